"""The country of a point: that of the nearest geodata place.

Every node of a detailed graph gets the country of the nearest geodata place by great-circle
distance (:class:`CountryLocator`, a k-d tree on unit vectors), the same rule on both sides of
a border post; :func:`unit_vectors` and :func:`chord_to_km` also serve the snapping of
places in :mod:`corridors.osm.conflate`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from corridors.errors import DataError
from corridors.geo import EARTH_RADIUS_KM

if TYPE_CHECKING:
    from corridors.data import GeoData


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit vectors on the sphere of points given in degrees (one row per point)."""
    lo, la = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) of a chord length between unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord) / 2))


class CountryLocator:
    """Gives a point the country of the nearest geodata place (great-circle distance).

    Border posts come in pairs on both sides of each crossing, so near a crossing the
    boundary between their nearest-place regions follows the border.

    Parameters
    ----------
    data
        Geodata whose places (and their countries) are used.

    """

    def __init__(self, data: GeoData) -> None:
        from scipy.spatial import cKDTree  # deferred: scipy, only when paths are solved

        places = [p for p in data.places.values() if math.isfinite(p.lat) and math.isfinite(p.lon)]
        if not places:
            raise DataError("geodata has no places to assign countries from")
        self.countries: list[str] = sorted({p.country for p in places})
        code = {c: i for i, c in enumerate(self.countries)}
        self._place_country = np.array([code[p.country] for p in places], dtype=np.int16)
        self._tree = cKDTree(unit_vectors([p.lon for p in places], [p.lat for p in places]))

    def codes(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Country index (into :attr:`countries`) of each point."""
        if len(lon) == 0:
            return np.zeros(0, dtype=np.int16)
        _, idx = self._tree.query(unit_vectors(lon, lat))
        return self._place_country[idx]
