"""Regenerate the example outputs in maps/ from the shipped geodata.

Usage: ``python maps/regenerate.py``. Each example is made by the command line itself, so the
files are exactly what a user gets. Maps load Leaflet from the CDN (add ``--offline`` for
maps that work without a network; they are about 250 KB larger).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXAMPLES = [
    ["route", "Termez", "Karachi", "--alternatives", "3", "--map", "maps/termez-karachi.html", "--chart", "maps/termez-karachi-tcd.png"],
    ["whatif", "Termez", "Karachi", "--scenario", "af-pk-border-closed", "--map", "maps/whatif-termez-karachi-af-pk-border-closed.html"],
    ["map", "--output", "maps/network.html"],
]


def main() -> None:
    for args in EXAMPLES:
        print("python -m corridors", " ".join(args))
        subprocess.run([sys.executable, "-m", "corridors", *args], check=True, cwd=HERE.parent, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
