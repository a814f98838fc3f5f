"""The country of a point: that of the nearest geodata place.

Every node of a detailed graph gets the country of the nearest geodata place by great-circle
distance (:class:`CountryLocator`, a k-d tree on unit vectors), the same rule on both sides of
a border post; :func:`unit_vectors`, :func:`chord_to_km` and :class:`NearestSearch` also
serve the snapping of places (:meth:`corridors.osm.store.DetailedGraph.nearest_nodes`).
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


class NearestSearch:
    """Exact nearest point (least chord) among unit vectors, by cells with bounding spheres.

    The points are grouped into the cells of a coarse longitude-latitude grid; each cell
    keeps the centre and radius of a sphere holding its points. A query visits the cells by
    the least distance their sphere allows (the triangle inequality makes it a true lower
    bound) and stops when the next cell cannot hold a nearer point, so it reads the points
    of a few cells only. This is what a k-d tree answers, without importing
    ``scipy.spatial`` (0.15 s) or building a tree over every node on each load.

    Parameters
    ----------
    points
        Unit vectors, one row per point (:func:`~corridors.osm.countries.unit_vectors`).
    labels
        What :meth:`nearest` returns for each point (default its row).
    cells
        About how many cells along the longer side of the grid.

    """

    def __init__(self, points: np.ndarray, labels: np.ndarray | None = None, cells: int = 48) -> None:
        self.labels = np.arange(len(points)) if labels is None else np.asarray(labels)
        xyz = np.ascontiguousarray(np.asarray(points, dtype=float).T)  # one contiguous row per axis
        lon, lat = np.arctan2(xyz[1], xyz[0]), np.arcsin(np.clip(xyz[2], -1.0, 1.0))
        size = max(float(max(np.ptp(lon), np.ptp(lat))) / cells, 1e-9) if len(lon) else 1.0
        col = ((lon - lon.min()) / size).astype(np.int64) if len(lon) else lon.astype(np.int64)
        code = ((lat - lat.min()) / size).astype(np.int64) * (int(col.max(initial=0)) + 1) + col
        order = np.argsort(code, kind="stable")
        code = code[order]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, dtype=np.int64)
        self.points = xyz[:, order]
        self.rows = order
        self.bounds = np.r_[starts, len(order)]
        counts = np.diff(self.bounds)
        self.centres = np.add.reduceat(self.points, starts, axis=1) / counts if len(code) else np.zeros((3, 0))
        spread = np.sqrt(((self.points - np.repeat(self.centres, counts, axis=1)) ** 2).sum(axis=0))
        self.radii = np.maximum.reduceat(spread, starts) if len(code) else np.zeros(0)

    def nearest(self, q: np.ndarray) -> tuple[int, float]:
        """Label of the point nearest to the unit vector ``q`` (ties: the first point) and its chord."""
        q = np.asarray(q, dtype=float)
        floor = np.sqrt(((self.centres - q[:, None]) ** 2).sum(axis=0)) - self.radii
        best, best_row = math.inf, -1
        for c in np.argsort(floor, kind="stable"):
            if floor[c] > best:
                break
            a, b = self.bounds[c], self.bounds[c + 1]
            chord = np.linalg.norm(self.points[:, a:b].T - q, axis=1)
            least = float(chord.min())
            if least <= best:
                first = int(self.rows[a:b][chord == least].min())
                if least < best or first < best_row:
                    best, best_row = least, first
        return int(self.labels[best_row]), best
