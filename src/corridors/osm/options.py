"""Options of a build: the highway classes, rail gauges and defaults, and their parsers.

:data:`HIGHWAY_CLASSES` maps the OSM highway classes that may be built to the road classes of
``costs.toml``; :func:`parse_bbox` and :func:`parse_highways` check the options of a build,
and :func:`parse_maxspeed` and :func:`parse_gauges` read the OSM tag values of the same names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from corridors.errors import UsageError

#: OSM highway classes that may be built, mapped to the road classes of ``costs.toml``.
#: Trunk roads are the national highways the CPMM speeds were measured on (``primary``);
#: tertiary and unclassified roads get the lowest non-mountain factor (``secondary``).
HIGHWAY_CLASSES: dict[str, str] = {
    "motorway": "motorway",
    "trunk": "primary",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "secondary",
    "unclassified": "secondary",
}
for _cls, _road in list(HIGHWAY_CLASSES.items()):
    if _cls != "unclassified":
        HIGHWAY_CLASSES[f"{_cls}_link"] = _road
#: Highway classes built by default (each with its ``_link`` variant).
DEFAULT_HIGHWAYS: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")
#: Track gauges (mm) that become rail layers.
RAIL_GAUGES: tuple[int, ...] = (1520, 1435, 1676)
#: Default snapping tolerance of geodata places, in kilometres.
DEFAULT_TOLERANCE_KM = 5.0


def parse_bbox(text: str | Sequence[float]) -> tuple[float, float, float, float]:
    """Parse a bounding box ``W,S,E,N`` (decimal degrees).

    Parameters
    ----------
    text
        ``"W,S,E,N"`` or a sequence of four numbers.

    Returns
    -------
    tuple of (west, south, east, north)

    Raises
    ------
    UsageError
        If it is not four numbers with west < east and south < north inside lon/lat range.

    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise UsageError(f"--bbox must be W,S,E,N (four numbers), not '{text}'") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise UsageError(f"--bbox {west:g},{south:g},{east:g},{north:g} needs W < E and S < N within lon/lat range")
    return west, south, east, north


def parse_highways(classes: str | Iterable[str] = DEFAULT_HIGHWAYS) -> tuple[str, ...]:
    """Expand highway classes with their ``_link`` variants and check them.

    Parameters
    ----------
    classes
        Comma-separated text or a sequence, e.g. ``"motorway,trunk,primary"``.

    Returns
    -------
    tuple of str

    Raises
    ------
    UsageError
        For a class that is not in :data:`HIGHWAY_CLASSES`.

    """
    items = [c.strip() for c in (classes.split(",") if isinstance(classes, str) else classes) if c.strip()]
    if not items:
        raise UsageError("--highways needs at least one highway class")
    out: list[str] = []
    for c in items:
        if c not in HIGHWAY_CLASSES:
            known = ", ".join(k for k in HIGHWAY_CLASSES if not k.endswith("_link"))
            raise UsageError(f"unknown highway class '{c}'; choose from: {known}")
        out += [c] + ([f"{c}_link"] if f"{c}_link" in HIGHWAY_CLASSES else [])
    return tuple(dict.fromkeys(out))


def parse_maxspeed(value: Any) -> float:
    """Speed limit in km/h from an OSM ``maxspeed`` value, NaN when there is no number.

    ``"60"``, ``"60 km/h"``, ``"40 mph"`` and ``"50;70"`` (the lower) are read; implicit
    zone codes (``"RU:urban"``), ``"none"`` and ``"signals"`` give NaN.

    Parameters
    ----------
    value
        The tag value (a list, as osmnx aggregates, gives the lowest).

    Returns
    -------
    float

    """
    if value is None:
        return math.nan
    if isinstance(value, list | tuple):
        speeds = [parse_maxspeed(v) for v in value]
        finite = [s for s in speeds if math.isfinite(s)]
        return min(finite) if finite else math.nan
    best = math.nan
    for part in str(value).split(";"):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*", part)
        if not m:
            continue
        speed = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
        if speed > 0 and not speed >= best:
            best = speed
    return best


def parse_gauges(value: str | None) -> list[str]:
    """The gauges of an OSM ``gauge`` value (``"1520;1435"`` is dual gauge)."""
    return [g.strip() for g in (value or "").split(";") if g.strip()]
