"""Routing on a CSR table: the corridor graph of an OSM network as arrays, for scipy's Dijkstra.

:class:`~corridors.engine.EdgeTable` (of the path engine, re-exported here) mirrors the graph
of an :class:`~corridors.osm.conflate.OSMNetwork` as arrays; :func:`find_routes_csr` is
:func:`corridors.routing.find_routes` solved on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corridors.engine import EdgeTable
from corridors.routing import find_routes

if TYPE_CHECKING:
    from corridors.route import Route

__all__ = ["EdgeTable", "find_routes_csr"]


def find_routes_csr(*, table: EdgeTable, **request: Any) -> Route:
    """:func:`corridors.routing.find_routes` with every shortest path solved on ``table``.

    Takes the same keyword arguments and gives the same result (best route with
    ``alternatives``, the same search for alternatives and the same no-route explanations).
    """
    return find_routes(**request, engine=table)
