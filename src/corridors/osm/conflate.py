"""Conflation: the geodata laid over a stored detailed graph (:class:`OSMNetwork`).

The corridor graph of the geodata is built as usual (:func:`corridors.network.build_graph`)
and laid over the detailed graph. Each place node (``PLACE:layer``) is snapped to the
nearest detailed node of its layer and country within a tolerance and joined to it by a
connector edge (the straight distance times the connector detour factor, as for a
``LAT,LON`` endpoint). Crossing and transfer edges are kept exactly as built. A geodata
road or rail edge is dropped when the detailed graph replaces it (both ends snapped and
connected in the detailed layer) and kept otherwise, so places outside the extract (or on a
layer the extract lacks) stay reachable through their geodata links. Node ids stay
``PLACE:layer`` for places and are ``node/OSMID:layer`` for OSM nodes; edge ids are
``way/OSMID``.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from corridors.checks import load_geodata
from corridors.costs import MOVEMENT_RATES, movement_cost
from corridors.data import LAYERS, SEA_LAYER, GeoData
from corridors.errors import UsageError
from corridors.geo import haversine_km
from corridors.graph import CRS, build_graph, gauge_of, node_id
from corridors.network import Network
from corridors.osm.countries import chord_to_km, unit_vectors
from corridors.osm.options import DEFAULT_TOLERANCE_KM
from corridors.osm.routing import EdgeTable, find_routes_csr
from corridors.osm.speeds import class_of_highway, country_table, edge_speeds_kph, require_params
from corridors.osm.store import DetailedGraph, network_dir
from corridors.places import PlaceIndex

if TYPE_CHECKING:
    from corridors.data import CostParams
    from corridors.route import Route

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snap:
    """Where a place node landed on the detailed graph.

    ``node`` is None when nothing of its layer and country lies within the tolerance;
    ``distance_km`` is then the distance to the nearest such node (inf when there is none).
    """

    place: str
    layer: str
    node: str | None
    distance_km: float


@dataclass
class ConflationReport:
    """How the geodata was laid over the detailed graph.

    Attributes
    ----------
    tolerance_km
        Snapping tolerance.
    snaps
        Every place node on a layer the detailed graph has.
    coarse_layers
        Layers the detailed graph lacks: kept whole from the geodata.
    kept_edges
        Geodata edges kept on a detailed layer (an end unsnapped, or the detailed graph does
        not connect the two ends).

    """

    tolerance_km: float
    snaps: list[Snap] = field(default_factory=list)
    coarse_layers: list[str] = field(default_factory=list)
    kept_edges: list[str] = field(default_factory=list)

    @property
    def unsnapped(self) -> list[Snap]:
        """Place nodes farther than the tolerance from any detailed node of their layer."""
        return [s for s in self.snaps if s.node is None]

    def lines(self) -> list[str]:
        """The report as short lines of text."""
        out = [
            f"{s.place}:{s.layer} not snapped: nearest {s.layer} node in its country "
            + (
                f"{s.distance_km:.1f} km away (tolerance {self.tolerance_km:g} km)"
                if math.isfinite(s.distance_km)
                else "none"
            )
            for s in self.unsnapped
        ]
        if self.coarse_layers:
            out.append(f"layers from geodata only (not in the extract): {', '.join(self.coarse_layers)}")
        if self.kept_edges:
            out.append(f"geodata edges kept beside the detailed graph: {', '.join(sorted(self.kept_edges))}")
        return out


def _snap_places(
    coarse: nx.MultiDiGraph, base: DetailedGraph, tolerance_km: float, report: ConflationReport
) -> dict[str, tuple[int, float]]:
    """Nearest detailed node (same layer and country) of every place node, within tolerance."""
    from scipy.spatial import cKDTree  # deferred: scipy, only when paths are solved

    present = set(base.layers())
    # the coarse layers the detailed graph lacks (kept from geodata), the sea quays among them
    report.coarse_layers = sorted(
        {d["layer"] for _, d in coarse.nodes(data=True)} - present, key=(*LAYERS, SEA_LAYER).index
    )
    groups: dict[tuple[int, str], np.ndarray] = {}
    ccode = {c: i for i, c in enumerate(base.countries)}
    order = np.lexsort((base.node_country, base.node_layer))
    keys = np.column_stack((base.node_layer[order], base.node_country[order]))
    if len(order):
        change = np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)]
        starts = np.flatnonzero(change)
        for a, b in zip(starts, np.r_[starts[1:], len(order)], strict=True):
            groups[(int(keys[a, 0]), base.countries[int(keys[a, 1])])] = order[a:b]
    trees: dict[tuple[int, str], Any] = {}
    snapped: dict[str, tuple[int, float]] = {}
    for n, d in sorted(coarse.nodes(data=True)):
        if d["layer"] not in present:
            continue
        key = (LAYERS.index(d["layer"]), d["country"])
        members = groups.get(key) if d["country"] in ccode else None
        if members is None:
            report.snaps.append(Snap(d["place"], d["layer"], None, math.inf))
            continue
        if key not in trees:
            trees[key] = cKDTree(unit_vectors(base.node_x[members], base.node_y[members]))
        chord, i = trees[key].query(unit_vectors([d["x"]], [d["y"]])[0])
        dist = float(chord_to_km(chord))
        if dist <= tolerance_km:
            idx = int(members[i])
            snapped[n] = (idx, dist)
            report.snaps.append(Snap(d["place"], d["layer"], _detailed_id(base, idx), dist))
        else:
            report.snaps.append(Snap(d["place"], d["layer"], None, dist))
    return snapped


def _detailed_id(base: DetailedGraph, i: int) -> str:
    return node_id(f"node/{int(base.node_osmid[i])}", LAYERS[int(base.node_layer[i])])


@dataclass
class Measures:
    """Per detailed edge: what the corridor graph needs, from the current costs."""

    country: np.ndarray
    road_class: list[str | None]
    speed_kph: np.ndarray
    distance_km: np.ndarray
    time_h: np.ndarray
    cost_truck: np.ndarray
    cost_t: np.ndarray
    is_road: np.ndarray


def _measures(base: DetailedGraph, costs: CostParams) -> Measures:
    country = base.node_country[base.edge_u].astype(np.int64)
    layer = base.edge_layer
    is_road = layer == LAYERS.index("road")
    highway = np.array([*base.strings, ""], dtype=object)[base.edge_highway]
    road_class: list[str | None] = [class_of_highway(h) if r else None for h, r in zip(highway, is_road, strict=True)]
    speed = np.zeros(len(country))
    for li in np.unique(layer):
        rows = layer == li
        speed[rows] = edge_speeds_kph(
            LAYERS[li],
            [c for c, r in zip(road_class, rows, strict=True) if r],
            country[rows],
            base.countries,
            base.edge_maxspeed[rows],
            costs,
        )
    km = base.edge_length / 1000.0
    truck = np.zeros(len(km))
    per_t = np.zeros(len(km))
    if is_road.any():
        # the rates of corridors.costs.movement_cost, looked up once per country
        path = MOVEMENT_RATES["road"][1:]
        table = country_table(costs, base.countries, *path)
        require_params(table, country[is_road], base.countries, ".".join(path))
        truck[is_road] = table[country[is_road]] * km[is_road]
    if (~is_road).any():
        path = MOVEMENT_RATES["rail"][1:]
        table = country_table(costs, base.countries, *path)
        require_params(table, country[~is_road], base.countries, ".".join(path))
        per_t[~is_road] = table[country[~is_road]] * km[~is_road]
    return Measures(country, road_class, speed, km, km / speed, truck, per_t, is_road)


def _detailed_graph(base: DetailedGraph, m: Measures, progress: bool) -> tuple[nx.MultiDiGraph, list[str]]:
    """The detailed layers as a corridor graph (ids ``node/OSMID:layer``, every convention attribute)."""
    import shapely  # deferred: shapely, only when geometry is built
    from tqdm import tqdm  # deferred: tqdm, only with progress bars

    places = [f"node/{o}" for o in base.node_osmid.tolist()]
    ids = [node_id(p, LAYERS[li]) for p, li in zip(places, base.node_layer.tolist(), strict=True)]
    graph = nx.MultiDiGraph(crs=CRS, name="corridors-osm", simplified=True)
    countries = base.countries
    graph.add_nodes_from(
        (
            i,
            {"x": x, "y": y, "place": p, "layer": LAYERS[li], "name": p,
             "country": countries[c], "kind": "osm", "osmid": o},
        )
        for i, p, x, y, li, c, o in zip(
            ids, places, base.node_x.tolist(), base.node_y.tolist(), base.node_layer.tolist(),
            base.node_country.tolist(), base.node_osmid.tolist(), strict=True,
        )
    )  # fmt: skip
    n_pts = np.diff(base.geom_offsets)
    geoms = shapely.linestrings(
        base.geom_x, base.geom_y, indices=np.repeat(np.arange(len(n_pts)), n_pts)
    ) if len(n_pts) else np.zeros(0, dtype=object)  # fmt: skip
    strings = base.strings
    way_ids: dict[int, str] = {}
    gauge = {li: gauge_of(LAYERS[li]) for li in range(len(LAYERS))}
    layer = base.edge_layer.tolist()
    edges = zip(
        base.edge_u.tolist(), base.edge_v.tolist(), base.edge_key.tolist(), base.edge_osmid.tolist(), layer,
        base.edge_highway.tolist(), base.edge_oneway.tolist(), base.edge_reversed.tolist(),
        base.edge_maxspeed.tolist(), base.edge_length.tolist(), base.edge_name.tolist(), base.edge_ref.tolist(),
        m.country.tolist(), m.road_class, m.speed_kph.tolist(), m.distance_km.tolist(), m.time_h.tolist(),
        m.cost_truck.tolist(), m.cost_t.tolist(), geoms, strict=True,
    )  # fmt: skip
    bar = tqdm(
        total=len(base.edge_u), desc="loading edges", unit=" edges", disable=not progress, file=sys.stderr, leave=False
    )
    add = graph.add_edge
    for n, (
        u,
        v,
        k,
        osmid,
        li,
        hw,
        one,
        rev,
        maxspeed,
        length,
        name,
        ref,
        c,
        cls,
        kph,
        km,
        hours,
        truck,
        per_t,
        geom,
    ) in enumerate(edges):
        wid = way_ids.get(osmid)
        if wid is None:
            wid = way_ids[osmid] = f"way/{osmid}"
        road = li == 0
        d: dict[str, Any] = {
            "id": wid, "kind": "road" if road else "rail", "mode": "road" if road else "rail",
            "layer": LAYERS[li], "gauge_mm": gauge[li], "road_class": cls, "country": countries[c],
            "distance_km": km, "length": length, "time_h": hours, "speed_kph": kph, "travel_time": hours * 3600.0,
            "status": "open", "project": "", "osmid": osmid, "oneway": one, "reversed": rev, "geometry": geom,
        }  # fmt: skip
        if road:
            d["cost_usd_per_truck"] = truck
            d["highway"] = strings[hw]
        else:
            d["cost_usd_per_t"] = per_t
            d["railway"] = "rail"
        if maxspeed == maxspeed:
            d["maxspeed_kph"] = maxspeed
        if name >= 0:
            d["name"] = strings[name]
        if ref >= 0:
            d["ref"] = strings[ref]
        add(ids[u], ids[v], key=k, **d)
        if n % 65536 == 65535:
            bar.update(65536)
    bar.close()
    return graph, ids


def _components(base: DetailedGraph) -> np.ndarray:
    """Weakly connected component label of every detailed node."""
    from scipy.sparse import coo_matrix  # deferred: scipy, only when paths are solved
    from scipy.sparse.csgraph import connected_components  # deferred: scipy, only when paths are solved

    n = len(base.node_osmid)
    m = coo_matrix((np.ones(len(base.edge_u)), (base.edge_u, base.edge_v)), shape=(n, n)).tocsr()
    return connected_components(m, directed=True, connection="weak")[1]


def _connector(place: Mapping[str, Any], near: Mapping[str, Any], costs: CostParams, layer: str) -> dict[str, Any]:
    """Attributes of the edge joining a place node to its snapped detailed node."""
    country = place["country"]
    straight = haversine_km(place["y"], place["x"], near["y"], near["x"])
    km = straight * costs.get("connector", "detour_factor")
    road = layer == "road"
    attrs: dict[str, Any] = {
        "id": f"connector:{place['place']}:{layer}",
        "kind": "road" if road else "rail",
        "mode": "road" if road else "rail",
        "layer": layer,
        "gauge_mm": gauge_of(layer),
        "road_class": "connector" if road else None,
        "country": country,
        "distance_km": km,
        "status": "open",
        "project": "",
    }
    if road:
        attrs["time_h"] = km / costs.get("connector", "speed_kmh")
    else:
        attrs["time_h"] = km / costs.get("rail", "speed_kmh", country)
    attrs |= movement_cost(costs, attrs["mode"], country, km)
    return attrs


class OSMPlaceIndex(PlaceIndex):
    """A :class:`~corridors.places.PlaceIndex` that also resolves OSM way ids (``way/123``) to avoid.

    Parameters
    ----------
    data
        The geodata.
    way_ids
        OSM ids of the ways in the detailed graph.

    """

    def __init__(self, data: GeoData, way_ids: np.ndarray) -> None:
        super().__init__(data)
        self.way_ids = way_ids

    def avoidable(self, text: str) -> tuple[str, str]:
        """Resolve a ``--avoid`` value; ``way/OSMID`` avoids every edge of that OSM way."""
        m = re.fullmatch(r"\s*way/(\d+)\s*", text)
        if m:
            wid = int(m.group(1))
            i = np.searchsorted(self.way_ids, wid)
            if i < len(self.way_ids) and self.way_ids[i] == wid:
                return "edge", f"way/{wid}"
        return super().avoidable(text)


class OSMNetwork(Network):
    """A :class:`~corridors.network.Network` on a detailed OSM graph.

    The graph keeps every convention of :func:`corridors.network.build_graph`, so routing,
    the CSR snapshot, risk and criticality work on it unchanged; place nodes ``PLACE:layer``
    are joined to the detailed graph by connector edges (see the module notes). Routes are
    solved by scipy on a cached CSR matrix (:class:`~corridors.engine.EdgeTable`) instead of
    the pure-Python search of the strategic network, with the same least weights.

    Use :func:`load_osm_network` to make one.

    Attributes
    ----------
    detailed : DetailedGraph
        The stored arrays (shared by scenario variants).
    conflation : ConflationReport
        Snapping results.
    tolerance_km : float

    """

    detailed: DetailedGraph
    conflation: ConflationReport
    tolerance_km: float

    def __init__(
        self,
        data: GeoData,
        graph: nx.MultiDiGraph,
        open_projects: Iterable[str],
        *,
        detailed: DetailedGraph,
        conflation: ConflationReport,
        tolerance_km: float,
        table: tuple[list[str], Measures, list[tuple[str, str, str]]],
    ) -> None:
        """Assemble a network from the parts :meth:`from_detailed` builds (use that, or :func:`load_osm_network`).

        ``table`` is what the CSR edge table is made of: the detailed node ids, the edge
        measures and the overlay edges (geodata links kept, connectors).
        """
        self.data = data
        self.open_projects = tuple(open_projects)
        self.graph = graph
        self.places = OSMPlaceIndex(data, np.unique(detailed.edge_osmid))
        self.detailed = detailed
        self.conflation = conflation
        self.tolerance_km = tolerance_km
        self._table = EdgeTable(self, *table)

    @classmethod
    def from_detailed(
        cls,
        data: GeoData,
        detailed: DetailedGraph,
        open_projects: Iterable[str] = (),
        tolerance_km: float = DEFAULT_TOLERANCE_KM,
        progress: bool = False,
    ) -> OSMNetwork:
        """Lay the geodata over a detailed graph.

        Parameters
        ----------
        data
            Geodata (any scenario applied).
        detailed
            The detailed graph (from :meth:`DetailedGraph.load`).
        open_projects
            Planned projects to build (their geodata links are added as they are).
        tolerance_km
            How far a place may be from the detailed node it snaps to.
        progress
            Show a progress bar while building the graph.

        Returns
        -------
        OSMNetwork

        """
        if not tolerance_km >= 0:
            raise UsageError(f"snapping tolerance must be a non-negative number of km, not {tolerance_km}")
        opened = tuple(open_projects)
        coarse = build_graph(data, opened)
        report = ConflationReport(tolerance_km=tolerance_km)
        snapped = _snap_places(coarse, detailed, tolerance_km, report)
        measures = _measures(detailed, data.costs)
        graph, ids = _detailed_graph(detailed, measures, progress)
        component = _components(detailed) if len(detailed.node_osmid) else np.zeros(0, dtype=np.int64)
        present = set(detailed.layers())

        graph.add_nodes_from(coarse.nodes(data=True))
        overlay: list[tuple[str, str, str]] = []
        for u, v, k, d in coarse.edges(keys=True, data=True):
            replaced = (
                d["kind"] in ("road", "rail")
                and d["status"] == "open"
                and d["layer"] in present
                and u in snapped
                and v in snapped
                and component[snapped[u][0]] == component[snapped[v][0]]
            )
            if replaced:
                continue
            if d["kind"] in ("road", "rail") and d["layer"] in present and d["status"] == "open":
                report.kept_edges.append(d["id"])
            graph.add_edge(u, v, key=k, **d)
            overlay.append((u, v, k))
        report.kept_edges = sorted(set(report.kept_edges))
        from shapely.geometry import LineString  # deferred: shapely, only when geometry is built

        for n, (idx, _) in snapped.items():
            place, near = coarse.nodes[n], graph.nodes[ids[idx]]
            layer = place["layer"]
            attrs = _connector(place, near, data.costs, layer)
            key = attrs["id"]
            length = attrs["distance_km"] * 1000.0
            line = [(place["x"], place["y"]), (near["x"], near["y"])]
            graph.add_edge(n, ids[idx], key=key, length=length, geometry=LineString(line), **attrs)
            graph.add_edge(ids[idx], n, key=key, length=length, geometry=LineString(line[::-1]), **attrs)
            overlay += [(n, ids[idx], key), (ids[idx], n, key)]
        for line in report.lines():
            log.info("%s", line)
        if report.unsnapped:
            log.warning(
                "%d place node(s) not snapped within %g km (e.g. %s); see the network's conflation report",
                len(report.unsnapped),
                tolerance_km,
                ", ".join(f"{s.place}:{s.layer}" for s in report.unsnapped[:3]),
            )

        return cls(
            data,
            graph,
            opened,
            detailed=detailed,
            conflation=report,
            tolerance_km=tolerance_km,
            table=(ids, measures, overlay),
        )

    def _rebuild(self, data: GeoData, open_projects: Sequence[str]) -> OSMNetwork:
        """Lay changed geodata (a scenario applied) over the same detailed graph."""
        return OSMNetwork.from_detailed(data, self.detailed, open_projects, self.tolerance_km)

    def edge_table(self, graph: nx.MultiDiGraph | None = None) -> EdgeTable:
        """The CSR edge table of the graph (or of a copy with extra nodes, as ``LAT,LON`` routes add)."""
        if graph is None or graph is self.graph:
            return self._table
        return self._table.extended(graph)

    def _find_routes(self, **request: Any) -> Route:
        """Solve a route request on the CSR table (same answers as :func:`corridors.routing.find_routes`)."""
        return find_routes_csr(table=self.edge_table(request["graph"]), **request)

    def __repr__(self) -> str:
        return (
            f"<OSMNetwork {len(self.data.places)} places, {self.graph.number_of_nodes()} nodes, "
            f"{self.graph.number_of_edges()} edges, {len(self.conflation.unsnapped)} unsnapped>"
        )


def load_osm_network(
    name: str,
    geodata: GeoData | str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    open_projects: Iterable[str] = (),
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    progress: bool = False,
) -> OSMNetwork:
    """Load a stored detailed network and lay the geodata over it.

    Parameters
    ----------
    name
        Name given to :func:`build_network`.
    geodata
        Geodata (or its directory); default ``$CORRIDORS_GEODATA`` or the shipped geodata.
    data_dir
        Data root; default ``$CORRIDORS_DATA`` or ``~/.local/share/corridors``.
    open_projects
        Planned projects to build.
    tolerance_km
        Snapping tolerance of places (default 5 km); places farther away are reported in
        ``net.conflation`` and keep their geodata links.
    progress
        Show a progress bar while building the graph.

    Returns
    -------
    OSMNetwork

    Raises
    ------
    UsageError
        If there is no such network or it is damaged.
    DataError
        If the geodata is invalid or ``costs.toml`` lacks a country the network uses.

    """
    folder = network_dir(name, data_dir)
    data = geodata if isinstance(geodata, GeoData) else load_geodata(geodata)
    detailed = DetailedGraph.load(folder)
    return OSMNetwork.from_detailed(data, detailed, open_projects, tolerance_km, progress)
