"""The layered multimodal graph: how geodata becomes nodes and edges, and the graph contract.

Every place becomes one graph node per layer it serves (``HAIRATAN:road``,
``HAIRATAN:rail1520``). Road and rail edges join places within a layer; crossing edges join
the two sides of a border once per mode; transfer edges join layers inside a terminal and
carry its transshipment penalty. The graph is a networkx ``MultiDiGraph`` that osmnx accepts:
graph attribute ``crs``, node ``x``/``y``, edge ``length`` in metres and ``geometry``.

The contract (:func:`check_graph`): every node carries ``place`` and ``layer`` (code reads
them from the attributes, never from the node id), ``x``, ``y``, ``name``, ``country`` and
``kind``; every edge carries ``kind``, ``mode``, ``layer``, ``distance_km`` and ``time_h``
and what its kind is priced by. A graph from outside (:meth:`corridors.network.Network.from_graph`,
the OSM builders) is checked once where it enters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.costs import movement_cost
from corridors.data import LAYERS, SEA_LAYER, CostParams, Crossing, Edge, GeoData, Place
from corridors.errors import DataError
from corridors.geo import haversine_km

if TYPE_CHECKING:
    import networkx as nx
    from shapely.geometry import LineString

CRS = "EPSG:4326"


def node_id(place: str, layer: str) -> str:
    """Return the graph node id of a place on a layer, e.g. ``HAIRATAN:rail1520``."""
    return f"{place}:{layer}"


def _edge_time_h(edge: Edge, costs: CostParams) -> float:
    if edge.speed_kmh:
        speed = edge.speed_kmh
    elif edge.mode == "road":
        speed = costs.get("road", "speed_kmh", edge.country) * costs.get(
            "road", "class_speed_factor", edge.road_class or "primary"
        )
    else:
        speed = costs.get("rail", "speed_kmh", edge.country)
    return edge.distance_km / speed


def _line(coords: Sequence[tuple[float, float]]) -> LineString:
    from shapely.geometry import LineString  # deferred: shapely, only when geometry is built

    if len(coords) == 1:
        coords = [coords[0], coords[0]]
    return LineString(coords)


class _Lines:
    """Edge geometries drawn later, all at once (one shapely call for a whole graph).

    An edge is added with ``geometry`` None and its attribute dict noted; :meth:`draw` sets
    each one's LineString (the same as :func:`_line` of its points).
    """

    def __init__(self) -> None:
        self.pending: list[tuple[dict[str, Any], Sequence[tuple[float, float]]]] = []

    def add_edge(
        self, graph: Any, u: str, v: str, key: str, coords: Sequence[tuple[float, float]], length: float, **attrs: Any
    ) -> None:
        graph.add_edge(u, v, key=key, length=length, geometry=None, **attrs)
        self.pending.append((graph[u][v][key], coords))

    def draw(self) -> None:
        if not self.pending:
            return
        import shapely  # deferred: shapely, only when geometry is built

        points = [c if len(c) > 1 else [c[0], c[0]] for _, c in self.pending]
        sizes = [len(c) for c in points]
        flat = np.array([p for c in points for p in c], dtype=float)
        lines = shapely.linestrings(flat, indices=np.repeat(np.arange(len(points)), sizes))
        for (attrs, _), line in zip(self.pending, lines.tolist(), strict=True):
            attrs["geometry"] = line
        self.pending = []


def _add_pair(
    graph: nx.MultiDiGraph,
    u: str,
    v: str,
    key: str,
    coords: list[tuple[float, float]],
    lines: _Lines | None = None,
    **attrs: Any,
) -> None:
    """Add an edge in both directions with the geometry drawn from ``u`` to ``v`` (by ``lines``, later)."""
    length = attrs["distance_km"] * 1000.0
    if lines is not None:
        lines.add_edge(graph, u, v, key, coords, length=length, **attrs)
        lines.add_edge(graph, v, u, key, coords[::-1], length=length, **attrs)
        return
    graph.add_edge(u, v, key=key, length=length, geometry=_line(coords), **attrs)
    graph.add_edge(v, u, key=key, length=length, geometry=_line(coords[::-1]), **attrs)


def _ensure_node(graph: nx.MultiDiGraph, place: Place, layer: str) -> str:
    n = node_id(place.id, layer)
    if n not in graph:
        graph.add_node(
            n,
            x=place.lon,
            y=place.lat,
            place=place.id,
            layer=layer,
            name=place.name,
            country=place.country,
            kind=place.kind,
        )
    return n


class SmallGraph:
    """The part of the networkx ``MultiDiGraph`` interface the graph builders use, on plain dicts.

    :func:`build_small_graph` builds the corridor graph into one so that a caller that only
    reads it (the conflation of an OSM network, whose route requests never need networkx)
    does not import networkx. Nodes, edges, keys and their order are those networkx would
    hold: nodes in insertion order, each node's successors in the order first joined, each
    pair's keys in insertion order, one attribute dict per edge shared by both adjacencies.
    :meth:`to_networkx` gives the same graph as a ``MultiDiGraph``.

    Parameters
    ----------
    **attrs
        Graph attributes (``graph.graph``).

    """

    def __init__(self, **attrs: Any) -> None:
        self.graph: dict[str, Any] = dict(attrs)
        self._node: dict[Any, dict[str, Any]] = {}
        self._succ: dict[Any, dict[Any, dict[Any, dict[str, Any]]]] = {}
        self._pred: dict[Any, dict[Any, dict[Any, dict[str, Any]]]] = {}
        self._added: list[tuple[Any, Any, Any]] = []  # edges in the order added (fixes predecessor order)

    def __contains__(self, n: object) -> bool:
        try:
            return n in self._node
        except TypeError:
            return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    @property
    def nodes(self) -> SmallNodes:
        """``graph.nodes[n]`` (attributes), ``graph.nodes(data=True)``, iteration over node ids."""
        return SmallNodes(self._node)

    @property
    def adj(self) -> Mapping[Any, Mapping[Any, Mapping[Any, dict[str, Any]]]]:
        """``graph.adj[u][v][key]``: the attributes of an edge."""
        return self._succ

    def __getitem__(self, u: Any) -> Mapping[Any, Mapping[Any, dict[str, Any]]]:
        return self._succ[u]

    def add_node(self, n: Any, **attrs: Any) -> None:
        """Add a node, or update the attributes of one already there."""
        if n not in self._node:
            self._succ[n], self._pred[n], self._node[n] = {}, {}, {}
        self._node[n].update(attrs)

    def add_nodes_from(self, nodes: Iterable[tuple[Any, Mapping[str, Any]]]) -> None:
        """Add ``(node, attributes)`` pairs."""
        for n, attrs in nodes:
            self.add_node(n, **attrs)

    def add_edge(self, u: Any, v: Any, key: Any = None, **attrs: Any) -> Any:
        """Add an edge (its ends too); ``key`` None takes the least unused integer, as networkx does."""
        for n in (u, v):
            if n not in self._node:
                self.add_node(n)
        keys = self._succ[u].get(v)
        if keys is None:
            keys = self._succ[u][v] = self._pred[v][u] = {}
        if key is None:
            key = len(keys)
            while key in keys:
                key += 1
        d = keys.get(key)
        if d is None:
            d = keys[key] = {}
            self._added.append((u, v, key))
        d.update(attrs)
        return key

    def edges(self, keys: bool = False, data: bool = False) -> Iterator[tuple[Any, ...]]:
        """Every edge as ``(u, v[, key][, attributes])``, in networkx's order."""
        for u, succ in self._succ.items():
            for v, kd in succ.items():
                for k, d in kd.items():
                    yield (u, v) + ((k,) if keys else ()) + ((d,) if data else ())

    def out_edges(self, n: Any, keys: bool = False) -> list[tuple[Any, ...]]:
        """Edges leaving ``n``: ``(n, v)`` or ``(n, v, key)``."""
        return [(n, v, k) if keys else (n, v) for v, kd in self._succ[n].items() for k in kd]

    def in_edges(self, n: Any, keys: bool = False) -> list[tuple[Any, ...]]:
        """Edges entering ``n``: ``(u, n)`` or ``(u, n, key)``."""
        return [(u, n, k) if keys else (u, n) for u, kd in self._pred[n].items() for k in kd]

    def copy(self) -> SmallGraph:
        """A copy with its own node and edge attribute dicts (the values shared), as networkx copies."""
        out = SmallGraph(**self.graph)
        out.add_nodes_from((n, d) for n, d in self._node.items())
        for u, v, k in self._added:
            out.add_edge(u, v, key=k, **self._succ[u][v][k])
        return out

    def to_networkx(self) -> nx.MultiDiGraph:
        """The same nodes, edges and attributes (the same order) as a networkx ``MultiDiGraph``."""
        import networkx as nx  # deferred: networkx, only when a networkx graph is asked for

        graph = nx.MultiDiGraph(**self.graph)
        graph.add_nodes_from(self._node.items())
        graph.add_edges_from((u, v, k, self._succ[u][v][k]) for u, v, k in self._added)
        return graph


class SmallNodes(Mapping[Any, dict[str, Any]]):
    """``graph.nodes`` of a :class:`SmallGraph`."""

    def __init__(self, nodes: dict[Any, dict[str, Any]]) -> None:
        self._nodes = nodes

    def __getitem__(self, n: Any) -> dict[str, Any]:
        return self._nodes[n]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __call__(self, data: bool = False) -> Iterator[Any]:
        """Iterate node ids, or ``(id, attributes)`` pairs with ``data=True``."""
        return iter(self._nodes.items()) if data else iter(self._nodes)


def build_graph(data: GeoData, open_projects: Iterable[str] = ()) -> nx.MultiDiGraph:
    """Build the layered corridor graph from geodata.

    Parameters
    ----------
    data
        Loaded geodata.
    open_projects
        Project ids whose planned or under-construction links are built; the rest are left out.

    Returns
    -------
    networkx.MultiDiGraph
        Node ids ``PLACE:layer``; edge keys are edge ids, ``CROSSING:mode`` for crossings and
        ``PLACE:from->to`` for transfers. Every edge has ``kind`` (road, rail, crossing,
        transfer), ``mode``, ``layer``, ``distance_km``, ``length`` (m), ``time_h``, its cost
        basis (``cost_usd_per_truck``, ``cost_usd_per_wagon``, ``cost_usd_per_t``) and
        ``geometry``.

    """
    import networkx as nx  # deferred: networkx (0.1 s), not needed by OSM route requests

    graph = nx.MultiDiGraph(crs=CRS, name="corridors")
    _fill_graph(graph, data, open_projects)
    return graph


def build_small_graph(data: GeoData, open_projects: Iterable[str] = ()) -> SmallGraph:
    """:func:`build_graph` into a :class:`SmallGraph`, without importing networkx.

    Parameters
    ----------
    data
        Loaded geodata.
    open_projects
        Project ids whose planned or under-construction links are built.

    Returns
    -------
    SmallGraph
        The nodes, edges, keys and attributes of :func:`build_graph`, in the same order.

    """
    graph = SmallGraph(crs=CRS, name="corridors")
    _fill_graph(graph, data, open_projects)
    return graph


def _fill_graph(graph: Any, data: GeoData, open_projects: Iterable[str]) -> None:
    """Add the nodes and edges of the corridor graph to an empty graph (networkx or :class:`SmallGraph`)."""
    costs = data.costs
    opened = set(open_projects)
    places = data.places
    lines = _Lines()

    for e in data.edges.values():
        if not _is_built(e.status, e.project, opened):
            continue
        a, b = places[e.from_id], places[e.to_id]
        u, v = _ensure_node(graph, a, e.layer), _ensure_node(graph, b, e.layer)
        coords = [(a.lon, a.lat), *((w.lon, w.lat) for w in e.via), (b.lon, b.lat)]
        cost = movement_cost(costs, e.mode, e.country, e.distance_km)
        _add_pair(
            graph,
            u,
            v,
            e.id,
            coords,
            lines,
            id=e.id,
            kind=e.mode,
            mode=e.mode,
            layer=e.layer,
            gauge_mm=e.gauge_mm,
            road_class=e.road_class,
            country=e.country,
            distance_km=e.distance_km,
            time_h=_edge_time_h(e, costs),
            status=e.status,
            project=e.project,
            **cost,
        )

    for c in data.crossings.values():
        if not _is_built(c.status, c.project, opened):
            continue
        _add_crossing(graph, data, c, lines)

    for t in data.terminals:
        a, b = node_id(t.place, t.from_layer), node_id(t.place, t.to_layer)
        if a not in graph or b not in graph:
            continue  # the place does not (yet) serve both layers
        _add_transfer(
            graph, places[t.place], a, b, (t.from_layer, t.to_layer), t.kind, t.time_h, t.cost_usd_per_t, t.cargo,
            lines,
        )  # fmt: skip

    for port in data.ports.values():
        p = places[port.place]
        land = [n for n in (node_id(p.id, layer) for layer in LAYERS) if n in graph]
        if not land:
            continue
        quay = _ensure_node(graph, p, SEA_LAYER)
        for n in land:
            layers = (SEA_LAYER, graph.nodes[n]["layer"])
            _add_transfer(graph, p, quay, n, layers, "port", port.dwell_h, port.handling_usd_per_t, None, lines)
    lines.draw()


def _add_transfer(
    graph: nx.MultiDiGraph,
    place: Place,
    a: str,
    b: str,
    layers: tuple[str, str],
    kind: str,
    time_h: float,
    cost_usd_per_t: float,
    cargo: tuple[str, ...] | None = None,
    lines: _Lines | None = None,
) -> None:
    """Join two layers of one place both ways (a terminal's transfer or a port's quay)."""
    key = f"{place.id}:{layers[0]}->{layers[1]}"
    extra = {"cargo": cargo} if cargo is not None else {}
    _add_pair(
        graph, a, b, key, [(place.lon, place.lat)], lines, id=key, kind="transfer", mode="transfer",
        layer=f"{layers[0]}<->{layers[1]}", transfer_kind=kind, distance_km=0.0, time_h=time_h,
        cost_usd_per_t=cost_usd_per_t, country=place.country, **extra,
    )  # fmt: skip


def _is_built(status: str, project: str, opened: set[str]) -> bool:
    """Open links are built; planned ones when their project is opened; closed ones never."""
    return status == "open" or (status in ("planned", "under_construction") and project in opened)


def _add_crossing(graph: nx.MultiDiGraph, data: GeoData, c: Crossing, lines: _Lines) -> None:
    a, b = data.places[c.af_place], data.places[c.partner_place]
    distance = haversine_km(a.lat, a.lon, b.lat, b.lon)
    group = data.groups.get(c.closure_group)
    for mode, layer in c.layers():
        u, v = _ensure_node(graph, a, layer), _ensure_node(graph, b, layer)
        attrs: dict[str, Any] = {
            "id": f"{c.id}:{mode}",
            "kind": "crossing",
            "mode": mode,
            "layer": layer,
            "gauge_mm": c.rail_gauge_mm if mode == "rail" else None,
            "crossing_id": c.id,
            "crossing_name": c.name,
            "distance_km": distance,
            "status": c.status,
            "closure_prob": c.closure_prob,
            "closure_mean_days": c.closure_mean_days,
            "closure_group": c.closure_group,
            "group_closure_prob": group.closure_prob if group else 0.0,
        }
        if mode == "road":
            attrs["cost_usd_per_truck"] = c.road_fee_usd_per_truck or 0.0
            time = c.road_time_h or 0.0
        else:
            attrs["cost_usd_per_wagon"] = c.rail_fee_usd_per_wagon or 0.0
            time = c.rail_time_h or 0.0
        if c.transload and mode == "road":
            attrs["transload_cost_usd_per_t"] = data.costs.get("crossing", "transload_cost_usd_per_t")
            attrs["transload_time_h"] = data.costs.get("crossing", "transload_time_h")
            attrs["cost_usd_per_t"] = attrs["transload_cost_usd_per_t"]
            time += attrs["transload_time_h"]
        attrs["time_h"] = time
        coords = [(a.lon, a.lat), (b.lon, b.lat)]
        fees = {p.id: road_entry_fee(data, p.country) for p in (a, b)} if mode == "road" else {}
        if not any(fees.values()):
            _add_pair(graph, u, v, f"{c.id}:{mode}", coords, lines, **attrs)
            continue
        # A truck entering a country pays that country's entry fee for foreign trucks: the
        # two directions of a road crossing differ by the fee of the country each one enters.
        length = attrs["distance_km"] * 1000.0
        for s, t, into, line in ((u, v, b, coords), (v, u, a, coords[::-1])):
            fee = fees[into.id]
            cost = attrs["cost_usd_per_truck"] + fee
            lines.add_edge(
                graph, s, t, f"{c.id}:{mode}", line, length=length,
                **(attrs | {"cost_usd_per_truck": cost, "entry_fee_usd_per_truck": fee}),
            )  # fmt: skip


def road_entry_fee(data: GeoData, country: str) -> float:
    """USD a foreign truck pays on entering ``country`` by road (0 where costs.toml gives none).

    ``[road.entry_fee_usd_per_truck]`` of ``costs.toml``: entry and transit permit fees that
    a country charges trucks registered elsewhere, on top of the crossing's own fees.

    Parameters
    ----------
    data
        The geodata (its cost parameters).
    country
        ISO code of the country entered.

    Returns
    -------
    float

    """
    path = ("road", "entry_fee_usd_per_truck", country)
    return data.costs.get(*path) if data.costs.has(*path) else 0.0


#: Attributes every node carries.
NODE_ATTRS: tuple[str, ...] = ("x", "y", "place", "layer", "name", "country", "kind")
#: Attributes every edge carries.
EDGE_ATTRS: tuple[str, ...] = ("id", "kind", "mode", "layer", "distance_km", "time_h")
#: What each edge kind needs beyond :data:`EDGE_ATTRS`.
KIND_ATTRS: dict[str, tuple[str, ...]] = {
    "road": (),
    "rail": (),
    "crossing": ("crossing_id", "closure_prob"),
    "transfer": ("transfer_kind",),
}
#: Edges priced by none of these cost nothing but their time.
COST_ATTRS: tuple[str, ...] = ("cost_usd_per_truck", "cost_usd_per_wagon", "cost_usd_per_t")


def gauge_of(layer: str) -> int | None:
    """The track gauge (mm) of a rail layer (``rail1520`` -> 1520); None for road and sea.

    Parameters
    ----------
    layer
        A layer name of :data:`corridors.data.LAYERS` or :data:`corridors.data.SEA_LAYER`.

    Returns
    -------
    int or None

    """
    return int(layer.removeprefix("rail")) if layer.startswith("rail") else None


def check_graph(graph: Any, what: str = "graph") -> None:
    """Check that a graph follows the corridor graph contract, once, where it enters.

    Parameters
    ----------
    graph
        The graph to check: a ``networkx.MultiDiGraph`` built by :func:`build_graph` or with
        its conventions (see the module docstring).
    what
        How to name the graph in the message.

    Raises
    ------
    DataError
        Naming the first node or edge that lacks an attribute, holds a wrong value, or the
        graph is not a MultiDiGraph.

    """
    import networkx as nx  # deferred: networkx (0.1 s), only to check a graph from outside

    if not isinstance(graph, nx.MultiDiGraph):
        raise DataError(f"{what} must be a networkx MultiDiGraph, not {type(graph).__name__}")
    layers = {*LAYERS, SEA_LAYER}
    for n, d in graph.nodes(data=True):
        missing = [a for a in NODE_ATTRS if a not in d]
        if missing:
            raise DataError(f"{what}: node {n!r} lacks {', '.join(missing)}")
        if d["layer"] not in layers:
            raise DataError(f"{what}: node {n!r} has unknown layer {d['layer']!r}")
    for u, v, k, d in graph.edges(keys=True, data=True):
        kind = d.get("kind")
        if kind not in KIND_ATTRS:
            raise DataError(f"{what}: edge {u!r}->{v!r} ({k}) has unknown kind {kind!r}")
        missing = [a for a in (*EDGE_ATTRS, *KIND_ATTRS[kind]) if a not in d]
        if missing:
            raise DataError(f"{what}: edge {u!r}->{v!r} ({k}) lacks {', '.join(missing)}")
        for a in ("distance_km", "time_h", *COST_ATTRS):
            x = d.get(a, 0.0)
            if not isinstance(x, (int, float)) or not x >= 0:  # also refuses NaN
                raise DataError(f"{what}: edge {u!r}->{v!r} ({k}) has {a} = {x!r}; it must be a number >= 0")


def add_point(
    graph: nx.MultiDiGraph, costs: CostParams, label: str, lat: float, lon: float, nearest: str, straight_km: float
) -> str:
    """Add a point node joined to a road node by a connector leg (both ways).

    Parameters
    ----------
    graph
        The graph to extend (changed in place).
    costs
        Cost parameters: the connector's detour factor and speed, the road cost per km.
    label
        The point's label (``LAT,LON`` rounded); its place id is ``@label``.
    lat, lon
        The point.
    nearest
        The road node it joins.
    straight_km
        Great-circle distance from the point to ``nearest``.

    Returns
    -------
    str
        The new node id.

    """
    near = graph.nodes[nearest]
    distance = straight_km * costs.get("connector", "detour_factor")
    place = f"@{label}"
    new = node_id(place, "road")
    graph.add_node(new, x=lon, y=lat, place=place, layer="road", name=label, country=near["country"], kind="point")
    _add_pair(
        graph,
        new,
        nearest,
        f"connector:{label}",
        [(lon, lat), (near["x"], near["y"])],
        id=f"connector:{label}",
        kind="road",
        mode="road",
        layer="road",
        gauge_mm=None,
        road_class="connector",
        country=near["country"],
        distance_km=distance,
        time_h=distance / costs.get("connector", "speed_kmh"),
        status="open",
        project="",
        **movement_cost(costs, "road", near["country"], distance),
    )
    return new
