"""The layered multimodal graph, and :class:`Network`, the entry point of the Python API.

Every place becomes one graph node per layer it serves (``HAIRATAN:road``,
``HAIRATAN:rail1520``). Road and rail edges join places within a layer; crossing edges join
the two sides of a border once per mode; transfer edges join layers inside a terminal and
carry its transshipment penalty. The graph is a networkx ``MultiDiGraph`` that osmnx accepts:
graph attribute ``crs``, node ``x``/``y``, edge ``length`` in metres and ``geometry``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
from shapely.geometry import LineString

from corridors.costs import CostModel, check_objective, movement_cost
from corridors.data import (
    LAYERS,
    MODES,
    SEA_LAYER,
    CostParams,
    Crossing,
    Edge,
    GeoData,
    Place,
    layer_of,
    load_geodata,
)
from corridors.errors import CorridorsError, NoRouteError, UsageError
from corridors.geo import haversine_km
from corridors.limits import MAX_ALTERNATIVES, MAX_SNAP_KM, MAX_TONNES
from corridors.places import PlaceIndex, parse_latlon

if TYPE_CHECKING:
    from pathlib import Path

    from corridors.route import Route
    from corridors.scenarios import Scenario

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
    if len(coords) == 1:
        coords = [coords[0], coords[0]]
    return LineString(coords)


def _add_pair(
    graph: nx.MultiDiGraph, u: str, v: str, key: str, coords: list[tuple[float, float]], **attrs: Any
) -> None:
    """Add an edge in both directions with the geometry drawn from ``u`` to ``v``."""
    length = attrs["distance_km"] * 1000.0
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
    costs = data.costs
    opened = set(open_projects)
    graph = nx.MultiDiGraph(crs=CRS, name="corridors")
    places = data.places

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
        _add_crossing(graph, data, c)

    for t in data.terminals:
        a, b = node_id(t.place, t.from_layer), node_id(t.place, t.to_layer)
        if a not in graph or b not in graph:
            continue  # the place does not (yet) serve both layers
        _add_transfer(
            graph, places[t.place], a, b, (t.from_layer, t.to_layer), t.kind, t.time_h, t.cost_usd_per_t, t.cargo
        )

    for port in data.ports.values():
        p = places[port.place]
        land = [n for n in (node_id(p.id, layer) for layer in LAYERS) if n in graph]
        if not land:
            continue
        quay = _ensure_node(graph, p, SEA_LAYER)
        for n in land:
            layers = (SEA_LAYER, graph.nodes[n]["layer"])
            _add_transfer(graph, p, quay, n, layers, "port", port.dwell_h, port.handling_usd_per_t)
    return graph


def _closures(before: GeoData, after: GeoData) -> list[str]:
    """What a scenario closed: crossings (``ID`` or ``ID:mode``) and edges."""
    out = []
    for cid, c in after.crossings.items():
        old = before.crossings.get(cid)
        if old is None or old.status == "closed":
            continue
        if c.status == "closed":
            out.append(cid)
        else:
            out += [f"{cid}:{m}" for m in old.modes if m not in c.modes]
    out += [eid for eid, e in after.edges.items() if e.status == "closed" and before.edges[eid].status != "closed"]
    return out


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
) -> None:
    """Join two layers of one place both ways (a terminal's transfer or a port's quay)."""
    key = f"{place.id}:{layers[0]}->{layers[1]}"
    extra = {"cargo": cargo} if cargo is not None else {}
    _add_pair(
        graph, a, b, key, [(place.lon, place.lat)], id=key, kind="transfer", mode="transfer",
        layer=f"{layers[0]}<->{layers[1]}", transfer_kind=kind, distance_km=0.0, time_h=time_h,
        cost_usd_per_t=cost_usd_per_t, country=place.country, **extra,
    )  # fmt: skip


def _is_built(status: str, project: str, opened: set[str]) -> bool:
    """Open links are built; planned ones when their project is opened; closed ones never."""
    return status == "open" or (status in ("planned", "under_construction") and project in opened)


def _add_crossing(graph: nx.MultiDiGraph, data: GeoData, c: Crossing) -> None:
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
            _add_pair(graph, u, v, f"{c.id}:{mode}", coords, **attrs)
            continue
        # A truck entering a country pays that country's entry fee for foreign trucks: the
        # two directions of a road crossing differ by the fee of the country each one enters.
        length = attrs["distance_km"] * 1000.0
        for s, t, into, line in ((u, v, b, coords), (v, u, a, coords[::-1])):
            fee = fees[into.id]
            cost = attrs["cost_usd_per_truck"] + fee
            graph.add_edge(
                s, t, key=f"{c.id}:{mode}", length=length, geometry=_line(line),
                **(attrs | {"cost_usd_per_truck": cost, "entry_fee_usd_per_truck": fee}),
            )  # fmt: skip


def road_entry_fee(data: GeoData, country: str) -> float:
    """USD a foreign truck pays on entering ``country`` by road (0 where costs.toml gives none).

    ``[road.entry_fee_usd_per_truck]`` of ``costs.toml``: entry and transit permit fees that
    a country charges trucks registered elsewhere, on top of the crossing's own fees.
    """
    path = ("road", "entry_fee_usd_per_truck", country)
    return data.costs.get(*path) if data.costs.has(*path) else 0.0


class Network:
    """The corridor network: geodata, the layered graph and the place index.

    Parameters
    ----------
    data
        Loaded geodata (see :func:`corridors.load_network` to read it from disk).
    open_projects
        Planned project ids to build into the graph.

    Attributes
    ----------
    data : GeoData
    graph : networkx.MultiDiGraph
        The layered graph (osmnx-compatible).
    places : PlaceIndex

    """

    #: The network the scenarios were applied to (None for a baseline network).
    baseline: Network | None = None
    #: What the applied scenarios closed (``TRK``, ``HAI:rail``, edge ids), for messages.
    closures: tuple[str, ...] = ()

    def __init__(self, data: GeoData, open_projects: Iterable[str] = ()) -> None:
        self.data = data
        self.open_projects = tuple(open_projects)
        self.graph = build_graph(data, self.open_projects)
        self.places = PlaceIndex(data)

    @classmethod
    def from_graph(cls, data: GeoData, graph: nx.MultiDiGraph, open_projects: Iterable[str] = ()) -> Network:
        """A network on a graph built elsewhere (e.g. a detailed OSM graph, :mod:`corridors.osm`).

        Parameters
        ----------
        data
            The geodata the graph was built from.
        graph
            A graph with the conventions of :func:`build_graph` (node ids ``PLACE:layer`` for
            places, node and edge attributes).
        open_projects
            Planned projects built into the graph.

        Returns
        -------
        Network

        """
        net = cls.__new__(cls)
        net.data = data
        net.open_projects = tuple(open_projects)
        net.graph = graph
        net.places = PlaceIndex(data)
        return net

    def with_scenarios(self, scenarios: Sequence[Scenario]) -> Network:
        """A new network with scenarios applied in order (this one is left as it is).

        Parameters
        ----------
        scenarios
            Scenarios from :func:`corridors.scenarios.load_scenario` or
            :func:`corridors.scenarios.from_flags`.

        Returns
        -------
        Network

        """
        from corridors.scenarios import apply_all

        data, opened = apply_all(self.data, scenarios)
        net = self._rebuild(data, (*self.open_projects, *sorted(opened - set(self.open_projects))))
        net.baseline = self.baseline or self
        net.closures = (*self.closures, *_closures(self.data, data))
        return net

    def with_points(self, texts: Iterable[str]) -> Network:
        """A network whose graph also holds the ``LAT,LON`` points among ``texts``, snapped.

        Each point is joined to its nearest road node by a connector leg (as ``route`` does),
        so that analyses which take place names (``risk``) accept coordinates too.

        Raises
        ------
        UnknownPlaceError
            If a point is farther than :data:`corridors.limits.MAX_SNAP_KM` from the network.

        """
        points = [(t, ll) for t in texts if (ll := parse_latlon(t)) is not None]
        if not points:
            return self
        graph = self.graph.copy()
        for text, latlon in points:
            self._snap(graph, text, latlon)
        net = Network.from_graph(self.data, graph, self.open_projects)  # a plain network on the extended graph
        net.baseline, net.closures = self.baseline, self.closures
        return net

    def _rebuild(self, data: GeoData, open_projects: Sequence[str]) -> Network:
        """The same kind of network on changed geodata (subclasses keep their own graph)."""
        return Network(data, open_projects)

    def layers_of(self, place_id: str) -> list[str]:
        """Graph nodes of a place, one per land layer it serves (a port's quay not included)."""
        return [n for n in (node_id(place_id, layer) for layer in LAYERS) if n in self.graph]

    def nodes_of(self, place_id: str) -> list[str]:
        """Every graph node of a place: its land layers and, for a seaport, its quay."""
        quay = node_id(place_id, SEA_LAYER)
        return [*self.layers_of(place_id), *([quay] if quay in self.graph else [])]

    def endpoint_nodes(self, place_id: str, modes: Iterable[str] = ("road", "rail")) -> list[str]:
        """Nodes a route from or to a place starts or ends on.

        A seaport's cargo arrives or leaves by sea, so a route from or to a port starts or
        ends on its quay and pays the port's dwell and handling. A town without a rail node
        that names a ``railhead`` (Mazar-i-Sharif: Naibabad) is reached on rail-only requests
        at its railhead.

        Parameters
        ----------
        place_id
            The place.
        modes
            The modes the request allows.

        Returns
        -------
        list of str

        """
        quay = node_id(place_id, SEA_LAYER)
        if quay in self.graph:
            return [quay]
        nodes = self.layers_of(place_id)
        place = self.data.places.get(place_id)
        has_rail = any(self.graph.nodes[n]["layer"].startswith("rail") for n in nodes)
        if place is not None and place.railhead and "road" not in set(modes) and not has_rail:
            nodes += [n for n in self.layers_of(place.railhead) if self.graph.nodes[n]["layer"].startswith("rail")]
        return nodes

    def resolve_endpoint(self, text: str, modes: Iterable[str] = ("road", "rail")) -> tuple[str, str, list[str]]:
        """Resolve an origin or destination name to ``(place id, label, graph nodes)``.

        A name for both sides of one crossing (``Torkham``) gives the nodes of both sides;
        the path picks the side. See :meth:`corridors.places.PlaceIndex.endpoint`.

        Raises
        ------
        UnknownPlaceError
            If the name matches no place or is ambiguous.
        NoRouteError
            If the place is on no open link.

        """
        latlon = parse_latlon(text)
        if latlon is not None:
            label = f"{latlon[0]:.4f},{latlon[1]:.4f}"
            point = node_id(f"@{label}", "road")
            if point not in self.graph:
                raise UsageError(f"{text}: snap coordinates first with Network.with_points (route does it itself)")
            return f"@{label}", label, [point]
        places, label = self.places.endpoint(text)
        nodes = [n for p in places for n in self.endpoint_nodes(p.id, modes)]
        if not nodes:
            raise NoRouteError(f"{label} is not on any open link of the network")
        return places[0].id, label, list(dict.fromkeys(nodes))

    def cost_model(self, cargo: str = "general") -> CostModel:
        """The :class:`~corridors.costs.CostModel` of a cargo profile."""
        return CostModel.from_params(self.data.costs, cargo)

    def route(
        self,
        origin: str,
        destination: str,
        *,
        cargo: str = "general",
        tonnes: float | None = None,
        objective: str = "generalized",
        modes: Iterable[str] | None = None,
        via: Sequence[str] = (),
        avoid: Iterable[str] = (),
        alternatives: int = 1,
    ) -> Route:
        """Find the least-cost corridor between two places.

        Parameters
        ----------
        origin, destination
            Place names, ids or aliases, or ``"LAT,LON"`` (snapped to the nearest road node
            with a connector leg).
        cargo
            Cargo profile: ``general``, ``bulk``, ``fuel`` or ``perishable``.
        tonnes
            Shipment size; default one full truckload of the profile.
        objective
            ``generalized`` (default), ``cost``, ``time`` or ``distance``.
        modes
            Modes allowed (``road``, ``rail``); default both.
        via
            Places the route must pass, in order.
        avoid
            Crossings (id or name), places or edge ids the route must not use.
        alternatives
            How many corridors to return; alternatives differ in the border crossings used.

        Returns
        -------
        Route
            The best route; ``route.alternatives`` holds all ``alternatives`` found, best first.

        Raises
        ------
        UnknownPlaceError
            A name matches nothing (exit code 3).
        NoRouteError
            No path under the restrictions (exit code 4).
        UsageError
            A bad option value (exit code 2).

        """
        from corridors.routing import Restrictions

        model = self.cost_model(cargo)
        check_objective(objective)
        if tonnes is None:
            tonnes = model.profile.payload_t
        if not 0 < tonnes <= MAX_TONNES:
            raise UsageError(f"--tonnes must be above 0 and at most {MAX_TONNES:,.0f}, not {tonnes:g}")
        if not 1 <= alternatives <= MAX_ALTERNATIVES:
            raise UsageError(f"--alternatives must be from 1 to {MAX_ALTERNATIVES}, not {alternatives}")
        modes = frozenset(("road", "rail") if modes is None else modes)
        bad = modes - set(MODES)
        if bad or not modes:
            raise UsageError(f"unknown mode(s) {', '.join(sorted(bad)) or '(none given)'}; use road and/or rail")

        graph = self.graph
        endpoints = []
        for text in (origin, destination):
            latlon = parse_latlon(text)
            if latlon is not None:
                if graph is self.graph:
                    graph = self.graph.copy()
                endpoints.append(self._snap(graph, text, latlon))
            else:
                endpoints.append(self.resolve_endpoint(text, modes))
        via_nodes = []
        for text in via:
            place = self.places.place(text)
            via_nodes.append(self.layers_of(place.id))

        restrictions = Restrictions(modes=modes)
        for text in avoid:
            kind, rec_id = self.places.avoidable(text)
            restrictions = restrictions.adding(kind, rec_id, self)
        for (_, name, nodes), role in zip(endpoints, ("origin", "destination"), strict=True):
            if {graph.nodes[n]["place"] for n in nodes} & restrictions.places:
                raise UsageError(f"cannot avoid {name}: it is the {role}")

        request = dict(
            network=self,
            graph=graph,
            model=model,
            objective=objective,
            tonnes=tonnes,
            origin=endpoints[0],
            destination=endpoints[1],
            via=via_nodes,
            restrictions=restrictions,
            k=alternatives,
        )
        try:
            return self._find_routes(**request)
        except NoRouteError as exc:
            if self.baseline is None or not self.closures:
                raise
            try:
                self.baseline.route(
                    origin, destination, cargo=cargo, objective=objective, modes=modes, via=via, avoid=avoid
                )
            except CorridorsError:
                raise exc from None
            closed = ", ".join(self.closures)
            also = exc.message.split(": ", 1)[-1]
            also = "" if "not connected" in also else f"; in this network {also}"
            raise NoRouteError(
                f"no route from {endpoints[0][1]} to {endpoints[1][1]}: the scenario closures ({closed}) "
                f"cut every path (the network without them has a route){also}"
            ) from None

    def _find_routes(self, **request: Any) -> Route:
        """Solve a route request (:func:`corridors.routing.find_routes`); subclasses may solve it faster."""
        from corridors.routing import find_routes

        return find_routes(**request)

    def place_records(
        self, country: str | None = None, kind: str | None = None, layer: str | None = None
    ) -> list[dict[str, Any]]:
        """Places with the layers they serve, filtered by country, kind and layer.

        Parameters
        ----------
        country
            ISO 3166-1 alpha-2 code (case-insensitive).
        kind
            Place kind (``city``, ``border``, ``port`` ...).
        layer
            ``road``, ``rail1520``, ``rail1435`` or ``rail1676``.

        Returns
        -------
        list of dict
            ``id``, ``name``, ``aliases``, ``country``, ``kind``, ``lat``, ``lon``, ``layers``,
            sorted by country then name.

        """
        out = []
        for p in self.data.places.values():
            layers = [n.split(":", 1)[1] for n in self.layers_of(p.id)]
            if country and p.country != country.upper():
                continue
            if kind and p.kind != kind:
                continue
            if layer and layer not in layers:
                continue
            out.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "aliases": list(p.aliases),
                    "country": p.country,
                    "kind": p.kind,
                    "lat": p.lat,
                    "lon": p.lon,
                    "layers": layers,
                }
            )
        return sorted(out, key=lambda r: (r["country"], r["name"]))

    def crossing_records(self, country: str | None = None, mode: str | None = None) -> list[dict[str, Any]]:
        """Crossings as flat records, filtered by partner country and mode.

        Parameters
        ----------
        country
            Partner country code (``PK``, ``UZ`` ...); ``AF`` keeps the crossings with an
            Afghan side (not, say, Khorgos between Kazakhstan and China).
        mode
            ``road`` or ``rail``.

        Returns
        -------
        list of dict

        """
        from corridors.report import crossing_record

        out = []
        for c in self.data.crossings.values():
            rec = crossing_record(c, self.data)
            af = self.data.places[c.af_place].country == "AF"
            if country and country.upper() == "AF" and not af:
                continue
            if country and country.upper() != "AF" and country.upper() != rec["partner_country"]:
                continue
            if mode and mode not in c.modes:
                continue
            out.append(rec)
        return sorted(out, key=lambda r: (r["partner_country"], r["id"]))

    def _snap(self, graph: nx.MultiDiGraph, text: str, latlon: tuple[float, float]) -> tuple[str, str, list[str]]:
        """Add a node at ``latlon`` joined by a road connector to the nearest road node.

        Raises
        ------
        UnknownPlaceError
            If the nearest road node is more than :data:`MAX_SNAP_KM` away (exit code 3).

        """
        from corridors.errors import UnknownPlaceError
        from corridors.geo import nearest_point

        lat, lon = latlon
        road = [n for n, d in self.graph.nodes(data=True) if d["layer"] == "road"]
        if not road:
            raise NoRouteError("the network has no road nodes to snap a coordinate to")
        coords = [(self.graph.nodes[n]["y"], self.graph.nodes[n]["x"]) for n in road]
        i, straight = nearest_point(lat, lon, coords)
        nearest = road[i]
        near = self.graph.nodes[nearest]
        if straight > MAX_SNAP_KM:
            raise UnknownPlaceError(
                f"{text.strip()} is {straight:,.0f} km from the nearest road node ({near['name']}); "
                f"a coordinate must lie within {MAX_SNAP_KM:g} km of the network"
            )
        costs = self.data.costs
        distance = straight * costs.get("connector", "detour_factor")
        label = f"{lat:.4f},{lon:.4f}"
        new = node_id(f"@{label}", "road")
        graph.add_node(
            new, x=lon, y=lat, place=f"@{label}", layer="road", name=label, country=near["country"], kind="point"
        )
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
        return f"@{label}", label, [new]

    def __repr__(self) -> str:
        return (
            f"<Network {len(self.data.places)} places, {self.graph.number_of_nodes()} nodes, "
            f"{self.graph.number_of_edges()} edges>"
        )


def load_network(directory: str | Path | None = None, open_projects: Iterable[str] = ()) -> Network:
    """Read geodata and build the corridor network.

    Parameters
    ----------
    directory
        Geodata directory; default ``$CORRIDORS_GEODATA`` or the shipped ``geodata/``.
    open_projects
        Planned project ids to build into the graph.

    Returns
    -------
    Network

    Raises
    ------
    DataError
        If the geodata is missing or invalid.

    """
    return Network(load_geodata(directory), open_projects)


__all__ = ["CRS", "Network", "build_graph", "layer_of", "load_network", "node_id"]
