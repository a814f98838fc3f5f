"""Regenerate the example outputs in maps/ from the shipped geodata.

Usage: ``python maps/regenerate.py``. Each example is made by the command line itself, so the
files are exactly what a user gets. Every map is an offline build (``--offline --tiles
none``): Leaflet and jQuery are inline and the Natural Earth basemap is drawn under it, so
the files show everything with no network at all. ``SOURCE_DATE_EPOCH`` is honoured for the
"made" date, so a rebuild on another day can keep the files unchanged.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OFFLINE = ["--offline", "--tiles", "none"]

EXAMPLES = [
    ["route", "Termez", "Karachi", "--alternatives", "3", "--map", "maps/termez-karachi.html",
     "--chart", "maps/termez-karachi-tcd.png", *OFFLINE],
    ["whatif", "Termez", "Karachi", "--scenario", "af-pk-border-closed",
     "--map", "maps/whatif-termez-karachi-af-pk-border-closed.html", *OFFLINE],
    ["risk", "Termez", "Karachi", "--samples", "5000", "--map", "maps/risk-termez-karachi.html", *OFFLINE],
    ["criticality", "--map", "maps/criticality.html", *OFFLINE],
    ["map", "--output", "maps/network.html", *OFFLINE],
    ["assign", "--map", "maps/flows.html", *OFFLINE],
]  # fmt: skip


def main() -> None:
    """Run every example command from the repository root."""
    for args in EXAMPLES:
        print("python -m corridors", " ".join(args))
        subprocess.run(
            [sys.executable, "-m", "corridors", *args], check=True, cwd=HERE.parent, stdout=subprocess.DEVNULL
        )


if __name__ == "__main__":
    main()
