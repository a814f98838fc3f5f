"""Great-circle distances and edge geometry (plain floats, no projection needed)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

#: Mean Earth radius in kilometres (IUGG), as osmnx uses for great-circle distances.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two WGS84 points in kilometres.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Coordinates in decimal degrees.

    Returns
    -------
    float

    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def polyline_km(coords: Sequence[tuple[float, float]]) -> float:
    """Return the great-circle length of a line given as ``(lon, lat)`` pairs, in kilometres.

    Parameters
    ----------
    coords
        Vertices in order, each ``(lon, lat)``.

    Returns
    -------
    float

    """
    return sum(haversine_km(a[1], a[0], b[1], b[0]) for a, b in itertools.pairwise(coords))


def nearest_point(lat: float, lon: float, points: Sequence[tuple[float, float]]) -> tuple[int, float]:
    """Return the index of the point nearest to ``(lat, lon)`` and its great-circle distance.

    Parameters
    ----------
    lat, lon
        The query point in decimal degrees.
    points
        Candidate points as ``(lat, lon)`` pairs (at least one).

    Returns
    -------
    tuple of (int, float)
        Index into ``points`` and distance in kilometres.

    """
    import numpy as np  # deferred: the rest of this module is plain floats

    pts = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    p1, l1 = math.radians(lat), math.radians(lon)
    h = np.sin((pts[:, 0] - p1) / 2) ** 2 + math.cos(p1) * np.cos(pts[:, 0]) * np.sin((pts[:, 1] - l1) / 2) ** 2
    best = int(np.argmin(h))
    return best, haversine_km(lat, lon, *points[best])
