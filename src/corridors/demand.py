"""Origin–destination demand files (``geodata/od/*.csv``) for criticality analysis.

Columns: ``origin, destination, cargo, tonnes_per_year`` (place ids or names, a cargo
profile, annual tonnes), then ``source, quality, note`` like every geodata record.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from corridors.data import CARGO_PROFILES
from corridors.errors import DataError
from corridors.risk import Flow

OD_DIR = "od"
DEFAULT_OD_FILE = "trade_flows.csv"
OD_COLUMNS = ("origin", "destination", "cargo", "tonnes_per_year")


def default_od_path(geodata_dir: Path) -> Path:
    """The shipped demand file."""
    return Path(geodata_dir) / OD_DIR / DEFAULT_OD_FILE


def load_flows(path: str | Path) -> list[Flow]:
    """Read a demand file.

    Parameters
    ----------
    path
        CSV file with the columns of :data:`OD_COLUMNS`.

    Returns
    -------
    list of Flow

    Raises
    ------
    DataError
        If the file is missing or a row is malformed (``file:row: message``).

    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{path}: cannot read demand file ({exc.strerror})") from None
    flows = []
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in OD_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}:1: missing column(s): {', '.join(missing)}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            origin, dest = (row["origin"] or "").strip(), (row["destination"] or "").strip()
            cargo = (row["cargo"] or "general").strip()
            if not origin or not dest:
                raise DataError(f"{where}: origin and destination are required")
            if cargo not in CARGO_PROFILES:
                raise DataError(f"{where}: cargo '{cargo}' is not one of {', '.join(CARGO_PROFILES)}")
            try:
                tonnes = float(row["tonnes_per_year"])
            except (TypeError, ValueError):
                raise DataError(f"{where}: tonnes_per_year '{row['tonnes_per_year']}' is not a number") from None
            if not math.isfinite(tonnes) or tonnes < 0:
                raise DataError(f"{where}: tonnes_per_year must be a non-negative number")
            flows.append(Flow(origin, dest, cargo, tonnes))
    if not flows:
        raise DataError(f"{path}: no flows")
    return flows
