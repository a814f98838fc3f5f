"""Origin–destination demand files (``geodata/od/*.csv``) for criticality analysis.

Columns: ``origin, destination, cargo, tonnes_per_year`` (place ids or names, a cargo
profile, annual tonnes), then ``source, quality, note`` like every geodata record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from corridors.data import CARGO_PROFILES, csv_rows, read_text_file
from corridors.errors import DataError

OD_DIR = "od"


@dataclass(frozen=True)
class Flow:
    """One origin–destination flow of an OD demand file (tonnes per year of one cargo)."""

    origin: str
    destination: str
    cargo: str
    tonnes_per_year: float
    #: Customs-relevant value of a year's flow (USD), when the file gives ``value_usd``.
    value_usd: float | None = None


DEFAULT_OD_FILE = "trade_flows.csv"
OD_COLUMNS = ("origin", "destination", "cargo", "tonnes_per_year")
#: More than this on one flow (t/yr) is a typo: all of Afghanistan's trade is ~20 Mt/yr.
MAX_TONNES_PER_YEAR = 1e9


def default_od_path(geodata_dir: Path) -> Path:
    """The shipped demand file."""
    return Path(geodata_dir) / OD_DIR / DEFAULT_OD_FILE


def _value(text: str | None, where: str) -> float | None:
    """The optional ``value_usd`` column: None when absent or empty."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: value_usd '{text.strip()}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise DataError(f"{where}: value_usd must be a non-negative number")
    return value


def load_flows(path: str | Path, name: str | None = None) -> list[Flow]:
    """Read a demand file.

    Parameters
    ----------
    path
        CSV file with the columns of :data:`OD_COLUMNS`.
    name
        How to name the file in messages (default its path).

    Returns
    -------
    list of Flow

    Raises
    ------
    DataError
        If the file is missing or a row is malformed (``file:row: message``).

    """
    path = Path(path)
    label = name or str(path)
    flows = []
    for line, row in csv_rows(read_text_file(path, label), label, OD_COLUMNS):
        where = f"{label}:{line}"
        origin, dest = row["origin"].strip(), row["destination"].strip()
        cargo = row["cargo"].strip() or "general"
        if not origin or not dest:
            raise DataError(f"{where}: origin and destination are required")
        if cargo not in CARGO_PROFILES:
            raise DataError(f"{where}: cargo '{cargo}' is not one of {', '.join(CARGO_PROFILES)}")
        try:
            tonnes = float(row["tonnes_per_year"])
        except ValueError:
            raise DataError(f"{where}: tonnes_per_year '{row['tonnes_per_year']}' is not a number") from None
        if not math.isfinite(tonnes) or not 0 <= tonnes <= MAX_TONNES_PER_YEAR:
            raise DataError(f"{where}: tonnes_per_year must be a number from 0 to {MAX_TONNES_PER_YEAR:,.0f}")
        flows.append(Flow(origin, dest, cargo, tonnes, _value(row.get("value_usd"), where)))
    if not flows:
        raise DataError(f"{label}: no flows")
    return flows
