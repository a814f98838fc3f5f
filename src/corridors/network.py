"""The corridor network: :class:`Network`, the entry point of the Python API.

A :class:`Network` holds loaded geodata, the layered graph built from it
(:mod:`corridors.graph`) and the place index, and answers route requests through
:mod:`corridors.routing`. :func:`load_network` reads and checks the geodata and builds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from corridors.checks import load_geodata
from corridors.costs import CostModel, check_objective
from corridors.data import LAYERS, MODES, SEA_LAYER, Crossing, GeoData, layer_of
from corridors.errors import CorridorsError, NoRouteError, UnknownPlaceError, UsageError
from corridors.geo import nearest_point
from corridors.graph import CRS, add_point, build_graph, check_graph, node_id
from corridors.limits import MAX_ALTERNATIVES, MAX_SNAP_KM, MAX_TONNES
from corridors.places import PlaceIndex, parse_latlon
from corridors.restrictions import Restrictions
from corridors.routing import find_routes
from corridors.scenarios import apply_all

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from corridors.route import Route
    from corridors.scenarios import Scenario


def crossing_record(c: Crossing, data: GeoData) -> dict[str, Any]:
    """A crossing as a flat dict for listing and JSON (``crossings --json``).

    Parameters
    ----------
    c
        The crossing.
    data
        The geodata it belongs to (its places and observed volumes).

    Returns
    -------
    dict

    """
    a, b = data.places[c.af_place], data.places[c.partner_place]
    return {
        "id": c.id,
        "name": c.name,
        "af_place": a.id,
        "partner_place": b.id,
        "partner_country": b.country,
        "modes": list(c.modes),
        "rail_gauge_mm": c.rail_gauge_mm,
        "road_time_h": c.road_time_h,
        "rail_time_h": c.rail_time_h,
        "road_fee_usd_per_truck": c.road_fee_usd_per_truck,
        "rail_fee_usd_per_wagon": c.rail_fee_usd_per_wagon,
        "capacity_trucks_per_day": c.capacity_trucks_per_day,
        "observed": [
            {
                "mode": v.mode,
                "direction": v.direction,
                "trucks_per_day": v.trucks_per_day,
                "wagons_per_day": v.wagons_per_day,
                "tonnes_per_day": v.tonnes_per_day,
                "date": v.date,
                "source": v.provenance.source,
            }
            for v in sorted(data.observed_volumes, key=lambda v: v.date)
            if v.crossing == c.id
        ],
        "closure_prob": c.closure_prob,
        "closure_mean_days": c.closure_mean_days,
        "closure_group": c.closure_group or None,
        "transload": c.transload,
        "status": c.status,
        "quality": c.provenance.quality,
        "source": c.provenance.source,
    }


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

    def __init__(
        self, data: GeoData, open_projects: Iterable[str] = (), *, graph: nx.MultiDiGraph | None = None
    ) -> None:
        self.data = data
        self.open_projects = tuple(open_projects)
        if graph is None:
            graph = build_graph(data, self.open_projects)
        else:
            check_graph(graph)
        self.graph = graph
        self.places = PlaceIndex(data)

    @classmethod
    def from_graph(cls, data: GeoData, graph: nx.MultiDiGraph, open_projects: Iterable[str] = ()) -> Network:
        """A network on a graph built elsewhere (e.g. a detailed OSM graph, :mod:`corridors.osm`).

        Parameters
        ----------
        data
            The geodata the graph was built from.
        graph
            A graph with the conventions of :func:`corridors.graph.build_graph`, checked by
            :func:`corridors.graph.check_graph`.
        open_projects
            Planned projects built into the graph.

        Returns
        -------
        Network

        Raises
        ------
        DataError
            If the graph breaks the graph contract (a node or edge attribute missing or wrong).

        """
        return cls(data, open_projects, graph=graph)

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

    @property
    def route_graph(self) -> nx.MultiDiGraph:
        """The graph route requests read nodes and edges from: :attr:`graph` itself here.

        A subclass may answer with a lighter read-only view of the same nodes and edges (an
        OSM network reads them from its stored arrays and builds :attr:`graph` only when asked).
        """
        return self.graph

    def _rebuild(self, data: GeoData, open_projects: Sequence[str]) -> Network:
        """The same kind of network on changed geodata (subclasses keep their own graph)."""
        return Network(data, open_projects)

    def layers_of(self, place_id: str) -> list[str]:
        """Graph nodes of a place, one per land layer it serves (a port's quay not included)."""
        return [n for n in (node_id(place_id, layer) for layer in LAYERS) if n in self.route_graph]

    def nodes_of(self, place_id: str) -> list[str]:
        """Every graph node of a place: its land layers and, for a seaport, its quay."""
        quay = node_id(place_id, SEA_LAYER)
        return [*self.layers_of(place_id), *([quay] if quay in self.route_graph else [])]

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
        if quay in self.route_graph:
            return [quay]
        nodes = self.layers_of(place_id)
        place = self.data.places.get(place_id)
        has_rail = any(self.route_graph.nodes[n]["layer"].startswith("rail") for n in nodes)
        if place is not None and place.railhead and "road" not in set(modes) and not has_rail:
            nodes += [
                n for n in self.layers_of(place.railhead) if self.route_graph.nodes[n]["layer"].startswith("rail")
            ]
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
            if point not in self.route_graph:
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

        graph = self.route_graph
        endpoints = []
        for text in (origin, destination):
            latlon = parse_latlon(text)
            if latlon is not None:
                if graph is self.route_graph:
                    graph = graph.copy()
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
            layers = [self.route_graph.nodes[n]["layer"] for n in self.layers_of(p.id)]
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
        lat, lon = latlon
        nearest, straight = self._nearest_road_node(lat, lon)
        near = self.route_graph.nodes[nearest]
        if straight > MAX_SNAP_KM:
            raise UnknownPlaceError(
                f"{text.strip()} is {straight:,.0f} km from the nearest road node ({near['name']}); "
                f"a coordinate must lie within {MAX_SNAP_KM:g} km of the network"
            )
        label = f"{lat:.4f},{lon:.4f}"
        new = add_point(graph, self.data.costs, label, lat, lon, nearest, straight)
        return f"@{label}", label, [new]

    def _nearest_road_node(self, lat: float, lon: float) -> tuple[str, float]:
        """The road node nearest to a point (ties: the first in node order) and its distance (km)."""
        road = [n for n, d in self.graph.nodes(data=True) if d["layer"] == "road"]
        if not road:
            raise NoRouteError("the network has no road nodes to snap a coordinate to")
        coords = [(self.graph.nodes[n]["y"], self.graph.nodes[n]["x"]) for n in road]
        i, straight = nearest_point(lat, lon, coords)
        return road[i], straight

    def __repr__(self) -> str:
        return (
            f"<Network {len(self.data.places)} places, {self.route_graph.number_of_nodes()} nodes, "
            f"{self.route_graph.number_of_edges()} edges>"
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
