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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.checks import load_geodata
from corridors.costs import MOVEMENT_RATES, movement_cost
from corridors.data import LAYERS, SEA_LAYER, GeoData
from corridors.engine import PAIR_BASE, EdgeTable
from corridors.errors import NoRouteError, UsageError
from corridors.geo import haversine_km, nearest_point
from corridors.graph import CRS, SmallGraph, build_small_graph, gauge_of, node_id
from corridors.network import Network
from corridors.osm.countries import chord_to_km
from corridors.osm.options import DEFAULT_TOLERANCE_KM
from corridors.osm.routing import find_routes_csr
from corridors.osm.speeds import class_factors, class_of_highway, country_table, require_params, speeds_from_factors
from corridors.osm.store import DetailedGraph, network_dir
from corridors.places import PlaceIndex

if TYPE_CHECKING:
    import networkx as nx

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
    coarse: SmallGraph, base: DetailedGraph, tolerance_km: float, report: ConflationReport
) -> dict[str, tuple[int, float]]:
    """Nearest detailed node (same layer and country) of every place node, within tolerance."""
    present = set(base.layers())
    # the coarse layers the detailed graph lacks (kept from geodata), the sea quays among them
    report.coarse_layers = sorted(
        {d["layer"] for _, d in coarse.nodes(data=True)} - present, key=(*LAYERS, SEA_LAYER).index
    )
    ccode = {c: i for i, c in enumerate(base.countries)}
    snapped: dict[str, tuple[int, float]] = {}
    asked = [(n, d) for n, d in sorted(coarse.nodes(data=True)) if d["layer"] in present]
    found = base.nearest_nodes(
        [(LAYERS.index(d["layer"]), ccode.get(d["country"], -1), d["x"], d["y"]) for _, d in asked]
    )
    for (n, d), hit in zip(asked, found, strict=True):
        if hit is None:
            report.snaps.append(Snap(d["place"], d["layer"], None, math.inf))
            continue
        idx, chord = hit
        dist = float(chord_to_km(chord))
        if dist <= tolerance_km:
            snapped[n] = (idx, dist)
            report.snaps.append(Snap(d["place"], d["layer"], _detailed_id(base, idx), dist))
        else:
            report.snaps.append(Snap(d["place"], d["layer"], None, dist))
    return snapped


def _detailed_id(base: DetailedGraph, i: int) -> str:
    return node_id(f"node/{int(base.node_osmid[i])}", LAYERS[int(base.node_layer[i])])


@dataclass
class Measures:
    """Per detailed edge: what the corridor graph needs, from the current costs.

    ``class_code`` indexes ``classes`` (-1 off the road layer).
    """

    country: np.ndarray
    class_code: np.ndarray
    classes: list[str]
    speed_kph: np.ndarray
    distance_km: np.ndarray
    time_h: np.ndarray
    cost_truck: np.ndarray
    cost_t: np.ndarray
    is_road: np.ndarray

    @property
    def road_class(self) -> list[str | None]:
        """Road class of every edge (None off the road layer)."""
        names: list[str | None] = [*self.classes, None]
        return [names[c] for c in self.class_code.tolist()]


def _measures(base: DetailedGraph, costs: CostParams) -> Measures:
    country = base.edge_countries()
    road_layer = LAYERS.index("road")
    node_layers = np.flatnonzero(np.bincount(base.node_layer, minlength=len(LAYERS)))
    one = len(node_layers) == 1 and len(country) > 0  # the usual case: every row on one layer, no masks
    if one:  # every node, so every edge, on one layer
        layers, layer = node_layers, None
        is_road = np.full(len(country), bool(node_layers[0] == road_layer))
    else:
        layer = base.edge_layer
        layers = np.flatnonzero(np.bincount(layer, minlength=len(LAYERS)))
        is_road = layer == road_layer
    # one road class per distinct highway value (the last entry: untagged)
    of_value = [class_of_highway(h) for h in [*base.strings, ""]]
    classes = sorted(set(of_value))
    code_of_value = np.array([classes.index(c) for c in of_value], dtype=np.int8)
    class_code = code_of_value[base.edge_highway]
    if not is_road.all():
        class_code[~is_road] = -1
    speed = np.zeros(len(country))
    for li in layers:
        rows = slice(None) if one or layer is None else layer == li
        factor: np.ndarray | float = 1.0
        if LAYERS[li] == "road":
            codes = class_code[rows]
            used = np.flatnonzero(np.bincount(codes, minlength=len(classes)))
            table = np.full(len(classes), math.nan)
            table[used] = class_factors([classes[c] for c in used], costs)
            factor = table[codes]
        speed[rows] = speeds_from_factors(
            LAYERS[li], factor, country[rows], base.countries, base.edge_maxspeed[rows], costs
        )
    km = base.edge_length / 1000.0
    present = np.flatnonzero(np.bincount(country, minlength=len(base.countries))) if one else None
    truck = np.zeros(len(km))
    per_t = np.zeros(len(km))
    for road, out in ((True, truck), (False, per_t)):
        if one:
            if bool(is_road[0]) != road:
                continue
            rows = slice(None)
        else:
            rows = is_road if road else ~is_road
            if not rows.any():
                continue
        # the rates of corridors.costs.movement_cost, looked up once per country
        path = MOVEMENT_RATES["road" if road else "rail"][1:]
        table = country_table(costs, base.countries, *path)
        used = present if one else country[rows]
        require_params(table, used, base.countries, ".".join(path))
        out[rows] = table[country[rows]] * km[rows]
    return Measures(country, class_code, classes, speed, km, km / speed, truck, per_t, is_road)


def _detailed_graph(base: DetailedGraph, m: Measures, progress: bool) -> tuple[nx.MultiDiGraph, list[str]]:
    """The detailed layers as a corridor graph (ids ``node/OSMID:layer``, every convention attribute)."""
    import networkx as nx  # deferred: networkx (0.1 s), only when the networkx graph is built
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
        OSM ids of the ways in the detailed graph (one per edge is fine: they are made unique
        when a way is first looked up).

    """

    def __init__(self, data: GeoData, way_ids: np.ndarray) -> None:
        super().__init__(data)
        self._edge_ways = way_ids
        self._ways: np.ndarray | None = None

    @property
    def way_ids(self) -> np.ndarray:
        """OSM ids of the ways in the detailed graph, sorted."""
        if self._ways is None:
            self._ways = np.unique(self._edge_ways)
        return self._ways

    def avoidable(self, text: str) -> tuple[str, str]:
        """Resolve a ``--avoid`` value; ``way/OSMID`` avoids every edge of that OSM way."""
        m = re.fullmatch(r"\s*way/(\d+)\s*", text)
        if m:
            wid = int(m.group(1))
            i = np.searchsorted(self.way_ids, wid)
            if i < len(self.way_ids) and self.way_ids[i] == wid:
                return "edge", f"way/{wid}"
        return super().avoidable(text)


_DETAILED_ID = re.compile(r"node/(-?\d+):([a-z0-9]+)")


class ConflatedGraph:
    """The corridor graph of an OSM network, read from the stored arrays (a read-only view).

    It answers the part of the networkx ``MultiDiGraph`` interface that route requests use
    (``n in g``, ``g.nodes[n]``, ``g[u][v][key]``, ``copy``, ``add_node``/``add_edge`` of
    extra points, ``out_edges``/``in_edges``) with the same nodes, edges and attributes as
    :attr:`OSMNetwork.graph`, but builds the attributes of a detailed node or edge only when
    it is asked for. The detailed layers are the arrays of a :class:`DetailedGraph` (node
    ids ``node/OSMID:layer``); everything else (the geodata's nodes, the geodata links kept,
    the connectors, points added later) is a small graph, the *overlay*
    (a :class:`~corridors.graph.SmallGraph`: no networkx import on the route path).

    Parameters
    ----------
    detailed
        The stored arrays.
    measures
        Per detailed edge: speed, time, cost basis (:func:`_measures` of the current costs).
    overlay
        The other nodes and edges (it may also hold detailed nodes that overlay edges touch,
        without attributes).
    extra
        The overlay's own nodes (not detailed), in order: node ``len(detailed) + i`` is ``extra[i]``.
    overlay_edges
        ``(u, v, key)`` of every overlay edge, in the order they were added.

    """

    def __init__(
        self,
        detailed: DetailedGraph,
        measures: Measures,
        overlay: SmallGraph,
        extra: Sequence[str],
        overlay_edges: Sequence[tuple[str, str, str]],
    ) -> None:
        self.detailed = detailed
        self.measures = measures
        self.overlay = overlay
        self.extra = list(extra)
        self.overlay_edges = list(overlay_edges)
        self.graph: dict[str, Any] = {"crs": CRS, "name": "corridors-osm", "simplified": True}
        self._nd = len(detailed.node_osmid)
        self._extra_index = {n: self._nd + i for i, n in enumerate(self.extra)}
        self._shared: dict[str, Any] = {}  # lookups computed once, shared with copies
        self._positions: dict[str, int | None] = {}
        self.ids = NodeIds(self)
        self.index = NodeIndex(self)
        self.nodes = NodeAttrs(self)

    # -- nodes ----------------------------------------------------------------------------
    def detailed_index(self, n: str) -> int | None:
        """Position of a detailed node id (``node/OSMID:layer``) in the arrays, or None."""
        known = self._positions.get(n, -2)
        if known != -2:
            return known
        m = _DETAILED_ID.fullmatch(n) if isinstance(n, str) else None
        found = None
        if m is not None and m.group(2) in LAYERS:
            osmids, rows = self._layer_lookup(LAYERS.index(m.group(2)))
            osmid = int(m.group(1))
            i = int(np.searchsorted(osmids, osmid))
            found = int(rows[i]) if i < len(osmids) and osmids[i] == osmid else None
        if len(self._positions) < 1 << 16:  # the nodes of the paths asked about, bounded
            self._positions[n] = found
        return found

    def _layer_lookup(self, li: int) -> tuple[np.ndarray, np.ndarray]:
        key = f"layer{li}"
        if key not in self._shared:
            base = self.detailed
            rows = np.flatnonzero(base.node_layer == li)
            osmids = base.node_osmid[rows]
            if len(osmids) > 1 and not bool((osmids[1:] > osmids[:-1]).all()):
                order = np.argsort(osmids, kind="stable")
                rows, osmids = rows[order], osmids[order]
            self._shared[key] = (osmids, rows)
        return self._shared[key]

    def node_id(self, i: int) -> str:
        """Id of node ``i`` (detailed ones first, then the overlay's own)."""
        if i < self._nd:
            base = self.detailed
            return f"node/{int(base.node_osmid[i])}:{LAYERS[int(base.node_layer[i])]}"
        return self.extra[i - self._nd]

    def position(self, n: str) -> int | None:
        """Position of node ``n`` (see :meth:`node_id`), or None if it is not in the graph."""
        i = self._extra_index.get(n)
        return i if i is not None else self.detailed_index(n)

    def node_attrs(self, n: str) -> dict[str, Any]:
        """Attributes of node ``n``, as :attr:`OSMNetwork.graph` holds them.

        Raises
        ------
        KeyError
            If ``n`` is not a node.

        """
        if n in self._extra_index:
            return self.overlay.nodes[n]
        i = self.detailed_index(n)
        if i is None:
            raise KeyError(n)
        base = self.detailed
        place = f"node/{int(base.node_osmid[i])}"
        return {
            "x": float(base.node_x[i]), "y": float(base.node_y[i]), "place": place,
            "layer": LAYERS[int(base.node_layer[i])], "name": place,
            "country": base.countries[int(base.node_country[i])], "kind": "osm", "osmid": int(base.node_osmid[i]),
        }  # fmt: skip

    def __contains__(self, n: object) -> bool:
        return isinstance(n, str) and self.position(n) is not None

    def __len__(self) -> int:
        return self._nd + len(self.extra)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def number_of_nodes(self) -> int:
        """Number of nodes."""
        return len(self)

    def number_of_edges(self) -> int:
        """Number of edges."""
        return len(self.detailed.edge_u) + len(self.overlay_edges)

    # -- edges ----------------------------------------------------------------------------
    def detailed_groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Detailed rows sorted by ``(u, v)``, the sorted node pairs and where each pair's rows start.

        Each pair's rows are in row order; pairs are ``u * PAIR_BASE + v``.
        """
        if "groups" not in self._shared:
            base = self.detailed
            self._shared["groups"] = (base.pair_order(), *base.pair_groups())
        return self._shared["groups"]

    def detailed_rows(self, iu: int, iv: int | None = None) -> np.ndarray:
        """Detailed rows from node ``iu`` (to node ``iv``, or to any), in row order."""
        order, keys, starts = self.detailed_groups()
        lo = iu * PAIR_BASE + (0 if iv is None else iv)
        hi = (iu + 1) * PAIR_BASE if iv is None else lo + 1
        a, b = np.searchsorted(keys, [lo, hi]).tolist()
        rows = order[(starts[a] if a < len(starts) else len(order)) : (starts[b] if b < len(starts) else len(order))]
        return np.sort(rows) if iv is None else rows

    def edge_attrs(self, row: int) -> dict[str, Any]:
        """Attributes of detailed edge ``row``, as :attr:`OSMNetwork.graph` holds them.

        The attributes of the edges asked about are kept (a bounded number), so that a path
        read twice (its crossings, then its legs) builds each edge's geometry once; like a
        networkx graph, the same edge gives the same dict.
        """
        made: dict[int, dict[str, Any]] = self._shared.setdefault("attrs", {})
        d = made.get(row)
        if d is None:
            d = self._edge_attrs(row)
            if len(made) >= 1 << 14:
                made.pop(next(iter(made)))
            made[row] = d
        return d

    def edge_attrs_many(self, rows: Sequence[int]) -> list[dict[str, Any]]:
        """:meth:`edge_attrs` of several rows, the geometries of those not yet made drawn in one call."""
        import shapely  # deferred: shapely, only when geometry is built

        made: dict[int, dict[str, Any]] = self._shared.setdefault("attrs", {})
        new = list(dict.fromkeys(r for r in rows if r not in made))
        if new:
            base = self.detailed
            a, b = base.geom_offsets[new], base.geom_offsets[np.asarray(new) + 1]
            take = np.concatenate([np.arange(i, j) for i, j in zip(a.tolist(), b.tolist(), strict=True)])
            lines = shapely.linestrings(
                base.geom_x[take], base.geom_y[take], indices=np.repeat(np.arange(len(new)), b - a)
            ).tolist()
            for r, line in zip(new, lines, strict=True):
                if len(made) >= 1 << 14:
                    made.pop(next(iter(made)))
                made[r] = self._edge_attrs(r, line)
        return [made[r] if r in made else self.edge_attrs(r) for r in rows]

    def _edge_attrs(self, row: int, geom: Any = None) -> dict[str, Any]:
        import shapely  # deferred: shapely, only when geometry is built

        base, m = self.detailed, self.measures
        li = int(base.node_layer[base.edge_u[row]])
        road = li == 0
        osmid = int(base.edge_osmid[row])
        code = int(m.class_code[row])
        hours = float(m.time_h[row])
        if geom is None:
            a, b = int(base.geom_offsets[row]), int(base.geom_offsets[row + 1])
            geom = shapely.linestrings(base.geom_x[a:b], base.geom_y[a:b])
        d: dict[str, Any] = {
            "id": f"way/{osmid}", "kind": "road" if road else "rail", "mode": "road" if road else "rail",
            "layer": LAYERS[li], "gauge_mm": gauge_of(LAYERS[li]), "road_class": m.classes[code] if code >= 0 else None,
            "country": base.countries[int(m.country[row])], "distance_km": float(m.distance_km[row]),
            "length": float(base.edge_length[row]), "time_h": hours, "speed_kph": float(m.speed_kph[row]),
            "travel_time": hours * 3600.0, "status": "open", "project": "", "osmid": osmid,
            "oneway": bool(base.edge_oneway[row]), "reversed": bool(base.edge_reversed[row]), "geometry": geom,
        }  # fmt: skip
        if road:
            d["cost_usd_per_truck"] = float(m.cost_truck[row])
            d["highway"] = base.strings[int(base.edge_highway[row])]
        else:
            d["cost_usd_per_t"] = float(m.cost_t[row])
            d["railway"] = "rail"
        maxspeed = float(base.edge_maxspeed[row])
        if maxspeed == maxspeed:
            d["maxspeed_kph"] = maxspeed
        name, ref = int(base.edge_name[row]), int(base.edge_ref[row])
        if name >= 0:
            d["name"] = base.strings[name]
        if ref >= 0:
            d["ref"] = base.strings[ref]
        return d

    def edges_between(self, u: str, v: str) -> Mapping[Any, dict[str, Any]]:
        """The parallel edges from ``u`` to ``v``: ``{key: attributes}``.

        Raises
        ------
        KeyError
            If there is no edge from ``u`` to ``v``.

        """
        iu = self.detailed_index(u) if u not in self._extra_index else None
        iv = self.detailed_index(v) if v not in self._extra_index else None
        if iu is None or iv is None:  # an overlay edge touches a node of the overlay's own
            return self.overlay.adj[u][v]
        rows = self.detailed_rows(iu, iv)
        if not len(rows):
            raise KeyError((u, v))
        return {int(self.detailed.edge_key[r]): self.edge_attrs(int(r)) for r in rows}

    def __getitem__(self, u: str) -> Adjacent:
        if u not in self:
            raise KeyError(u)
        return Adjacent(self, u)

    def has_edge(self, u: str, v: str) -> bool:
        """Whether an edge joins ``u`` to ``v``."""
        try:
            self.edges_between(u, v)
        except KeyError:
            return False
        return True

    def out_edges(self, n: str, keys: bool = False) -> list[tuple[Any, ...]]:
        """Edges leaving ``n``: ``(n, v)`` or ``(n, v, key)``."""
        out: list[tuple[Any, ...]] = []
        i = self.detailed_index(n) if n not in self._extra_index else None
        if i is not None:
            base = self.detailed
            out += [(n, self.node_id(int(base.edge_v[r])), int(base.edge_key[r])) for r in self.detailed_rows(i)]
        if n in self.overlay:
            out += list(self.overlay.out_edges(n, keys=True))
        return out if keys else [e[:2] for e in out]

    def in_edges(self, n: str, keys: bool = False) -> list[tuple[Any, ...]]:
        """Edges entering ``n``: ``(u, n)`` or ``(u, n, key)``."""
        out: list[tuple[Any, ...]] = []
        i = self.detailed_index(n) if n not in self._extra_index else None
        if i is not None:
            base = self.detailed
            rows = np.flatnonzero(base.edge_v == i)
            out += [(self.node_id(int(base.edge_u[r])), n, int(base.edge_key[r])) for r in rows]
        if n in self.overlay:
            out += list(self.overlay.in_edges(n, keys=True))
        return out if keys else [e[:2] for e in out]

    # -- changes (extra points on a copy) -------------------------------------------------
    def copy(self) -> ConflatedGraph:
        """A copy sharing the arrays; nodes and edges added to it stay in its own overlay."""
        view = ConflatedGraph(self.detailed, self.measures, self.overlay.copy(), self.extra, self.overlay_edges)
        view._shared, view._positions = self._shared, self._positions
        return view

    def _register(self, n: str) -> None:
        if n not in self._extra_index and self.detailed_index(n) is None:
            self._extra_index[n] = self._nd + len(self.extra)
            self.extra.append(n)

    def add_node(self, n: str, **attrs: Any) -> None:
        """Add a node (to the overlay) with its attributes."""
        if self.detailed_index(n) is not None:
            raise ValueError(f"{n} is a detailed node: the arrays are read-only")
        self._register(n)
        self.overlay.add_node(n, **attrs)

    def add_edge(self, u: str, v: str, key: Any = None, **attrs: Any) -> Any:
        """Add an edge (to the overlay); one end must be a node of the overlay's own."""
        self._register(u)
        self._register(v)
        if u not in self._extra_index and v not in self._extra_index:
            raise ValueError(f"{u} -> {v} joins two detailed nodes: the arrays are read-only")
        key = self.overlay.add_edge(u, v, key=key, **attrs)
        self.overlay_edges.append((u, v, key))
        return key

    def to_networkx(self, progress: bool = False) -> nx.MultiDiGraph:
        """The whole graph as a networkx ``MultiDiGraph`` (what :attr:`OSMNetwork.graph` holds)."""
        graph, _ = _detailed_graph(self.detailed, self.measures, progress)
        overlay = self.overlay
        graph.add_nodes_from((n, overlay.nodes[n]) for n in self.extra)
        for u, v, k in self.overlay_edges:
            graph.add_edge(u, v, key=k, **overlay.adj[u][v][k])
        return graph


class Adjacent(Mapping[str, Mapping[Any, dict[str, Any]]]):
    """``graph[u]`` of a :class:`ConflatedGraph`: ``graph[u][v]`` is ``{key: attributes}``."""

    def __init__(self, graph: ConflatedGraph, u: str) -> None:
        self.graph = graph
        self.u = u

    def __getitem__(self, v: str) -> Mapping[Any, dict[str, Any]]:
        return self.graph.edges_between(self.u, v)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(v for _, v in self.graph.out_edges(self.u)))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class NodeIds(Sequence[str]):
    """Node ids of a :class:`ConflatedGraph` by position, formatted when asked for."""

    def __init__(self, graph: ConflatedGraph) -> None:
        self.graph = graph

    def __len__(self) -> int:
        return len(self.graph)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.graph.node_id(j) for j in range(*i.indices(len(self)))]
        j = int(i)
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(i)
        return self.graph.node_id(j)


class NodeIndex(Mapping[str, int]):
    """Position of each node id of a :class:`ConflatedGraph` (the inverse of :class:`NodeIds`)."""

    def __init__(self, graph: ConflatedGraph) -> None:
        self.graph = graph

    def __getitem__(self, n: str) -> int:
        i = self.graph.position(n)
        if i is None:
            raise KeyError(n)
        return i

    def __contains__(self, n: object) -> bool:
        return n in self.graph

    def __iter__(self) -> Iterator[str]:
        return iter(self.graph.ids)

    def __len__(self) -> int:
        return len(self.graph)


class NodeAttrs(Mapping[str, dict[str, Any]]):
    """``graph.nodes`` of a :class:`ConflatedGraph`: ``graph.nodes[n]`` is ``n``'s attributes."""

    def __init__(self, graph: ConflatedGraph) -> None:
        self.graph = graph

    def __getitem__(self, n: str) -> dict[str, Any]:
        return self.graph.node_attrs(n)

    def __contains__(self, n: object) -> bool:
        return n in self.graph

    def __iter__(self) -> Iterator[str]:
        return iter(self.graph.ids)

    def __len__(self) -> int:
        return len(self.graph)

    def __call__(self, data: bool = False) -> Iterator[Any]:
        """Iterate node ids, or ``(id, attributes)`` pairs with ``data=True`` (every node: slow)."""
        if not data:
            return iter(self.graph.ids)
        return ((n, self.graph.node_attrs(n)) for n in self.graph.ids)


class OSMNetwork(Network):
    """A :class:`~corridors.network.Network` on a detailed OSM graph.

    The stored arrays are the network: route requests read nodes and edges from them
    (:attr:`route_graph`, a :class:`ConflatedGraph`) and are solved by scipy on a cached CSR
    matrix (:class:`~corridors.engine.EdgeTable`), with the same least weights as the
    pure-Python search of the strategic network. :attr:`graph`, the networkx graph with every
    convention of :func:`corridors.network.build_graph` (place nodes ``PLACE:layer`` joined to
    the detailed graph by connector edges, see the module notes), is built the first time it
    is asked for, for what still works on networkx (coordinate endpoints of risk, parts of
    the assignment, maps and ``graph_to_gdfs``); route, risk and criticality read the
    arrays through the engine (:func:`corridors.fastpath.path_engine`).

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
        graph: ConflatedGraph,
        open_projects: Iterable[str],
        *,
        detailed: DetailedGraph,
        conflation: ConflationReport,
        tolerance_km: float,
        progress: bool = False,
    ) -> None:
        """Assemble a network from the parts :meth:`from_detailed` builds (use that, or :func:`load_osm_network`).

        ``graph`` is the array-backed corridor graph; ``progress`` shows a progress bar when
        the networkx graph is built.
        """
        self.data = data
        self.open_projects = tuple(open_projects)
        self.places = OSMPlaceIndex(data, detailed.edge_osmid)
        self.detailed = detailed
        self.conflation = conflation
        self.tolerance_km = tolerance_km
        self._view = graph
        self._nx: nx.MultiDiGraph | None = None
        self._progress = progress
        self._table = EdgeTable(graph)

    @property
    def route_graph(self) -> ConflatedGraph:  # type: ignore[override]
        """The corridor graph read from the stored arrays (what route requests use)."""
        return self._view

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The corridor graph as networkx (osmnx-compatible), built on first use and kept.

        On a network of a million edges this takes seconds and gigabytes; route requests
        never need it.
        """
        if self._nx is None:
            self._nx = self._view.to_networkx(self._progress)
        return self._nx

    @property
    def graph_built(self) -> bool:
        """Whether :attr:`graph` has been built."""
        return self._nx is not None

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
            Show a progress bar when the networkx graph is built.

        Returns
        -------
        OSMNetwork

        """
        if not tolerance_km >= 0:
            raise UsageError(f"snapping tolerance must be a non-negative number of km, not {tolerance_km}")
        opened = tuple(open_projects)
        coarse = build_small_graph(data, opened)
        report = ConflationReport(tolerance_km=tolerance_km)
        snapped = _snap_places(coarse, detailed, tolerance_km, report)
        measures = _measures(detailed, data.costs)
        present = set(detailed.layers())
        component: np.ndarray | None = None

        overlay = SmallGraph()
        overlay.add_nodes_from(coarse.nodes(data=True))
        view = ConflatedGraph(detailed, measures, overlay, list(coarse.nodes), ())
        edges: list[tuple[str, str, str]] = []
        for u, v, k, d in coarse.edges(keys=True, data=True):
            replaced = (
                d["kind"] in ("road", "rail") and d["status"] == "open" and d["layer"] in present
                and u in snapped and v in snapped
            )  # fmt: skip
            if replaced:
                if component is None:
                    component = detailed.components()
                replaced = component[snapped[u][0]] == component[snapped[v][0]]
            if replaced:
                continue
            if d["kind"] in ("road", "rail") and d["layer"] in present and d["status"] == "open":
                report.kept_edges.append(d["id"])
            overlay.add_edge(u, v, key=k, **d)
            edges.append((u, v, k))
        report.kept_edges = sorted(set(report.kept_edges))
        from shapely.geometry import LineString  # deferred: shapely, only when geometry is built

        for n, (idx, _) in snapped.items():
            place = coarse.nodes[n]
            near = {"x": float(detailed.node_x[idx]), "y": float(detailed.node_y[idx])}
            target = _detailed_id(detailed, idx)
            layer = place["layer"]
            attrs = _connector(place, near, data.costs, layer)
            key = attrs["id"]
            length = attrs["distance_km"] * 1000.0
            line = [(place["x"], place["y"]), (near["x"], near["y"])]
            overlay.add_edge(n, target, key=key, length=length, geometry=LineString(line), **attrs)
            overlay.add_edge(target, n, key=key, length=length, geometry=LineString(line[::-1]), **attrs)
            edges += [(n, target, key), (target, n, key)]
        for line in report.lines():
            log.info("%s", line)
        if report.unsnapped:
            log.warning(
                "%d place node(s) not snapped within %g km (e.g. %s); see the network's conflation report",
                len(report.unsnapped),
                tolerance_km,
                ", ".join(f"{s.place}:{s.layer}" for s in report.unsnapped[:3]),
            )
        view.overlay_edges = edges
        return cls(
            data, view, opened, detailed=detailed, conflation=report, tolerance_km=tolerance_km, progress=progress
        )

    def _rebuild(self, data: GeoData, open_projects: Sequence[str]) -> OSMNetwork:
        """Lay changed geodata (a scenario applied) over the same detailed graph."""
        return OSMNetwork.from_detailed(data, self.detailed, open_projects, self.tolerance_km, self._progress)

    def edge_table(self, graph: ConflatedGraph | None = None) -> EdgeTable:
        """The CSR edge table of the graph (or of a copy with extra nodes, as ``LAT,LON`` routes add).

        Raises
        ------
        TypeError
            If ``graph`` is not this network's :attr:`route_graph` or a copy of it.

        """
        if graph is None or graph is self._view or graph is self._nx:
            return self._table
        if not isinstance(graph, ConflatedGraph):
            raise TypeError("edge_table takes the network's route_graph or a copy of it")
        return self._table.extended(graph)

    def _find_routes(self, **request: Any) -> Route:
        """Solve a route request on the CSR table (same answers as :func:`corridors.routing.find_routes`)."""
        return find_routes_csr(table=self.edge_table(request["graph"]), **request)

    def _nearest_road_node(self, lat: float, lon: float) -> tuple[str, float]:
        """The road node nearest to a point, among the detailed and the geodata's ones (ties: detailed first)."""
        view, base = self._view, self.detailed
        road = np.flatnonzero(base.node_layer == LAYERS.index("road"))
        extra = [n for n in view.extra if view.overlay.nodes[n]["layer"] == "road"]
        if not len(road) and not extra:
            raise NoRouteError("the network has no road nodes to snap a coordinate to")
        coords = np.concatenate(
            (
                np.column_stack((base.node_y[road], base.node_x[road])),
                np.array([(view.overlay.nodes[n]["y"], view.overlay.nodes[n]["x"]) for n in extra]).reshape(-1, 2),
            )
        )
        i, straight = nearest_point(lat, lon, coords)
        return (view.node_id(int(road[i])) if i < len(road) else extra[i - len(road)]), straight

    def __repr__(self) -> str:
        view = self._view
        return (
            f"<OSMNetwork {len(self.data.places)} places, {view.number_of_nodes()} nodes, "
            f"{view.number_of_edges()} edges, {len(self.conflation.unsnapped)} unsnapped>"
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
