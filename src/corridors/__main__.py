"""``python -m corridors``: see :mod:`corridors.cli`."""

import sys

from corridors.cli import main

sys.exit(main())
