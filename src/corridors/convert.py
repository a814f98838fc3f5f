"""Conversions to the conventions of osmnx (as ``osmnx.convert`` does for its own graphs).

The corridor graph (:func:`corridors.network.build_graph`) names its nodes ``PLACE:layer``.
osmnx takes a string node id for a sequence of ids (``shortest_path(G, "TERMEZ:road", ...)``
fails), and its GraphML reader reads node ids back as integers. :func:`to_osmnx` gives a copy
that osmnx's routing, nearest-node, stats and GraphML functions accept as they are:

- integer node ids ``0 .. n-1`` (sorted by the original id, so the same network always gets the
  same numbers), the original id kept as ``node_key`` next to ``place`` and ``layer``, and
  ``street_count`` as :func:`osmnx.stats.count_streets_per_node` counts it;
- every edge with ``length`` (m), ``speed_kph`` (distance over time; 0 for a transfer, which
  covers no distance) and ``travel_time`` (s, crossing and transshipment waits included);
- graph attributes ``crs`` and ``name``.

Example::

    import osmnx as ox
    from corridors import load_network
    from corridors.convert import node_of, to_osmnx

    G = to_osmnx(load_network())
    path = ox.routing.shortest_path(G, node_of(G, "TERMEZ"), node_of(G, "KARACHI"), weight="travel_time")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from corridors.errors import DataError, UnknownPlaceError

if TYPE_CHECKING:
    from corridors.network import Network

#: Node attributes every graph from outside must carry (the graph contract, README "Python API").
NODE_ATTRIBUTES = ("x", "y", "place", "layer")
#: Edge attributes every graph from outside must carry.
EDGE_ATTRIBUTES = ("length", "time_h", "distance_km", "kind", "mode")


def check_graph(graph: nx.MultiDiGraph) -> None:
    """Check a corridor graph once, saying exactly what is missing.

    Parameters
    ----------
    graph
        A graph with the attributes of :func:`corridors.network.build_graph`.

    Raises
    ------
    DataError
        If it is not a MultiDiGraph, has no ``crs``, or a node or edge lacks an attribute.

    """
    if not isinstance(graph, nx.MultiDiGraph):
        raise DataError(f"a corridor graph must be a networkx MultiDiGraph, not {type(graph).__name__}")
    if "crs" not in graph.graph:
        raise DataError("the graph has no 'crs' graph attribute (osmnx needs it; corridors uses EPSG:4326)")
    for node, data in graph.nodes(data=True):
        missing = [a for a in NODE_ATTRIBUTES if a not in data]
        if missing:
            raise DataError(f"node {node!r} has no {', '.join(missing)} attribute")
    for u, v, key, data in graph.edges(keys=True, data=True):
        missing = [a for a in EDGE_ATTRIBUTES if a not in data]
        if missing:
            raise DataError(f"edge {u!r} -> {v!r} (key {key!r}) has no {', '.join(missing)} attribute")


def to_osmnx(source: Network | nx.MultiDiGraph) -> nx.MultiDiGraph:
    """An osmnx-ready copy of a network's graph.

    Parameters
    ----------
    source
        A :class:`corridors.network.Network` or its graph.

    Returns
    -------
    networkx.MultiDiGraph
        Integer node ids with ``node_key``, ``place``, ``layer``, ``x``, ``y`` and
        ``street_count``; edges with ``length`` (m), ``speed_kph`` and ``travel_time`` (s)
        besides their corridor attributes; graph ``crs``. The source is not changed.

    Raises
    ------
    DataError
        If the graph lacks what the corridor graph contract requires (:func:`check_graph`).

    """
    import osmnx as ox  # deferred: osmnx (1 s), only for OSM files and exports

    graph = source if isinstance(source, nx.MultiDiGraph) else source.graph
    check_graph(graph)
    ids = {key: i for i, key in enumerate(sorted(graph.nodes, key=str))}
    out = nx.MultiDiGraph(**dict(graph.graph))
    out.graph.setdefault("name", "corridors")
    for key, data in graph.nodes(data=True):
        out.add_node(ids[key], **data, node_key=str(key))
    for u, v, k, data in graph.edges(keys=True, data=True):
        attrs: dict[str, Any] = dict(data)
        hours = float(data["time_h"])
        attrs["travel_time"] = hours * 3600.0
        attrs["speed_kph"] = float(data["distance_km"]) / hours if hours > 0 else 0.0
        attrs["length"] = float(data["length"])
        out.add_edge(ids[u], ids[v], key=k, **attrs)
    nx.set_node_attributes(out, ox.stats.count_streets_per_node(out), name="street_count")
    return out


def node_of(graph: nx.MultiDiGraph, place: str, layer: str = "road") -> int:
    """The integer id of a place's node on a layer in a graph from :func:`to_osmnx`.

    Parameters
    ----------
    graph
        A graph from :func:`to_osmnx` (or one read back with ``osmnx.load_graphml``).
    place
        Place id (``TERMEZ``).
    layer
        ``road``, ``rail1520``, ``rail1435``, ``rail1676`` or ``sea``.

    Returns
    -------
    int

    Raises
    ------
    UnknownPlaceError
        If the graph has no such node.

    """
    for node, data in graph.nodes(data=True):
        if str(data.get("place")) == place and str(data.get("layer")) == layer:
            return int(node)
    raise UnknownPlaceError(f"no node for place {place} on layer {layer}")


__all__ = ["EDGE_ATTRIBUTES", "NODE_ATTRIBUTES", "check_graph", "node_of", "to_osmnx"]
