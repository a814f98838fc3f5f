"""Independent oracles the package is tested against.

:class:`FileOracle` prices routes from the geodata files themselves. It reads ``places.csv``,
``edges.csv``, ``crossings.csv``, ``terminals.csv``, ``ports.csv`` and ``costs.toml`` with
:mod:`csv` and :mod:`tomllib`, builds its own networkx graph and prices every link by the rules
that ``geodata/SCHEMA.md`` and README ("The model", "Costs") state. Nothing of ``corridors`` is
imported: neither the loader, nor the graph builder, nor the cost model. The rules:

- a place serves a layer (``road``, ``rail<gauge>``) when an open road/rail edge or an open
  crossing of that layer ends there; ``planned``/``under_construction`` links count only when
  their project is opened, ``closed`` ones never;
- road edge: ``cost_usd_per_truck_km[country] x km x road_cost_factor / payload_t`` USD/t;
  time ``km / speed_kmh`` (the edge's own) or ``km / (road.speed_kmh[country] x
  class_speed_factor[road_class])``;
- rail edge: ``tariff_usd_per_tkm[country] x km x rail_cost_factor`` USD/t; time
  ``km / rail.speed_kmh[country]``;
- crossing, per mode it serves: road ``road_fee_usd_per_truck / payload_t`` and
  ``road_time_h``; rail ``rail_fee_usd_per_wagon / wagon_payload_t`` and ``rail_time_h``
  (empty fee or time = 0); a truck entering a country by road also pays that country's
  ``[road.entry_fee_usd_per_truck]`` (optional, by country) / ``payload_t``, so the two
  directions of a road crossing differ; a ``transload = yes`` crossing adds ``[crossing]
  transload_cost_usd_per_t`` and ``transload_time_h`` to its road mode (cargo moved truck to
  truck). No cargo cost factor applies to fees. Its distance is the great-circle distance
  between the two posts (mean Earth radius 6371.0088 km);
- terminal: both ways between its two layers where the place serves both; ``cost_usd_per_t``,
  ``time_h``, no distance, only for the cargo profiles it lists (``all`` or empty = every one);
- port (``ports.csv``): a route that starts or ends at a port starts or ends on its quay and
  pays ``dwell_h`` and ``handling_usd_per_t`` once, to or from any land layer of the place; the
  quay is never a point to pass through (README: no terminal, no mode change);
- an origin or destination may be on any land layer of its place ("Origin and destination"),
  its quay if it is a port; a town without a rail node that names a ``railhead`` is reached at
  the railhead's rail nodes on requests that do not allow road;
- modes: road links need road, rail links rail, a road<->rail terminal both, a gauge break rail,
  a quay nothing;
- objectives: ``distance`` (km), ``time`` (h), ``cost`` (USD/t), ``generalized`` (USD/t:
  money + ``value_of_time_usd_per_t_h`` x hours).

Left out, because the oracle could not price them independently without re-implementing a
large part of the package: the ``reliability`` objective (closure probabilities, closure groups
charged once per route), scenarios, ``--via`` and ``--avoid``, ``LAT,LON`` connector legs and
OSM-built networks.

:func:`graph_oracle_cost` and :class:`Router` are older oracles that read the package's graph:
they check the path *search* (networkx against :mod:`corridors.engine`) on graphs that no
geodata file describes (the OSM networks of tests/test_osm.py), not the pricing.
"""

from __future__ import annotations

import csv
import itertools
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from corridors.costs import CostModel
from corridors.engine import shortest_via
from corridors.restrictions import Restrictions

REPO_GEODATA = Path(__file__).resolve().parents[1] / "geodata"
#: The objectives the file oracle prices.
OBJECTIVES = ("generalized", "cost", "time", "distance")
#: The route total (``Route.totals``) each objective minimises.
OBJECTIVE_TOTAL = {
    "generalized": "generalized_cost",
    "cost": "cost_usd_per_t",
    "time": "time_h",
    "distance": "distance_km",
}
#: The leg attribute (``corridors.route.Leg``) each objective sums.
OBJECTIVE_LEG = {
    "generalized": "generalized_cost",
    "cost": "cost_usd_per_t",
    "time": "time_h",
    "distance": "distance_km",
}
EARTH_RADIUS_KM = 6371.0088
SEA = "sea"

Node = tuple[str, str]  # (place id, layer)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of stripped strings ([] when the file is absent)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _num(text: str) -> float:
    """A number from a CSV cell; an empty cell is 0."""
    return float(text) if text else 0.0


def _built(row: Mapping[str, str], opened: set[str]) -> bool:
    """Open links are built; planned or under construction ones when their project is opened."""
    status = row["status"]
    return status == "open" or (status in ("planned", "under_construction") and row["project"] in opened)


def _layer(mode: str, gauge: str) -> str:
    """``road`` or ``rail<gauge>``."""
    return "road" if mode == "road" else f"rail{int(float(gauge))}"


@dataclass(frozen=True)
class Link:
    """One direction of a link of the oracle's graph, with its cost basis.

    ``kind`` is ``road``, ``rail``, ``crossing``, ``terminal`` or ``port``; ``ident`` the
    edges.csv id, ``CROSSING:mode``, or ``PLACE:layer<->layer`` for terminals and quays.
    ``basis`` is USD per truck (road edge, road crossing), per tonne before the cargo factor
    (rail edge), per wagon (rail crossing) or per tonne (terminal, quay); ``extra_per_t`` is the
    forced transloading of a crossing.
    """

    ident: str
    kind: str
    mode: str
    u: Node
    v: Node
    distance_km: float
    time_h: float
    basis: float
    extra_per_t: float = 0.0
    cargo: tuple[str, ...] = ()
    needs: frozenset[str] = frozenset()
    fee_usd: float = 0.0


class FileOracle:
    """Least-cost routes priced from one geodata directory (see the module docstring).

    Parameters
    ----------
    directory
        The geodata directory to read.
    open_projects
        Project ids whose planned or under-construction links are built.

    """

    def __init__(self, directory: str | Path = REPO_GEODATA, open_projects: Iterable[str] = ()) -> None:
        self.directory = Path(directory)
        opened = set(open_projects)
        with (self.directory / "costs.toml").open("rb") as fh:
            self.params = tomllib.load(fh)
        self._profiles: dict[str, dict[str, float]] = {}
        self.places = {r["id"]: r for r in _rows(self.directory / "places.csv")}
        self.edges = {r["id"]: r for r in _rows(self.directory / "edges.csv")}
        self.crossings = {r["id"]: r for r in _rows(self.directory / "crossings.csv")}
        self.terminals = _rows(self.directory / "terminals.csv")
        self.ports = {r["place"]: r for r in _rows(self.directory / "ports.csv")}
        self.links: list[Link] = []
        self.nodes: set[Node] = set()
        for e in self.edges.values():
            if _built(e, opened):
                self._add_edge(e)
        for c in self.crossings.values():
            if _built(c, opened):
                self._add_crossing(c)
        for t in self.terminals:
            self._add_terminal(t)
        for place in self.ports:
            self._add_port(place)
        self.between: dict[tuple[Node, Node], list[Link]] = {}
        for link in self.links:
            self.between.setdefault((link.u, link.v), []).append(link)
        self._graphs: dict[tuple[str, str, frozenset[str]], nx.DiGraph] = {}
        self._dist: dict[tuple[str, str, frozenset[str], str], dict[Any, float]] = {}

    # --- parameters ---------------------------------------------------------------------

    def value(self, *path: str) -> float:
        """The value of a costs.toml parameter, e.g. ``value("road", "speed_kmh", "AF")``."""
        table: Any = self.params
        for key in path:
            table = table[key]
        return float(table["value"])

    def entry_fee(self, country: str) -> float:
        """USD per truck a country charges a foreign truck entering it by road (0 when not listed)."""
        table = self.params.get("road", {}).get("entry_fee_usd_per_truck", {})
        return float(table[country]["value"]) if country in table else 0.0

    def profile(self, cargo: str) -> dict[str, float]:
        """Payload, value of time and cost factors of a cargo profile."""
        if cargo not in self._profiles:
            keys = ("payload_t", "value_of_time_usd_per_t_h", "road_cost_factor", "rail_cost_factor")
            self._profiles[cargo] = {k: self.value("cargo", cargo, k) for k in keys}
        return self._profiles[cargo]

    # --- building -----------------------------------------------------------------------

    def _pair(self, link: Link) -> None:
        """Add a link in both directions (and its two nodes, unless it is a transfer)."""
        back = Link(**{**link.__dict__, "u": link.v, "v": link.u})
        self.links += [link, back]

    def _add_edge(self, e: Mapping[str, str]) -> None:
        layer = _layer(e["mode"], e["gauge_mm"])
        km = float(e["distance_km"])
        country = e["country"].upper()
        if e["speed_kmh"]:
            speed = float(e["speed_kmh"])
        elif e["mode"] == "road":
            factor = self.value("road", "class_speed_factor", e["road_class"] or "primary")
            speed = self.value("road", "speed_kmh", country) * factor
        else:
            speed = self.value("rail", "speed_kmh", country)
        if e["mode"] == "road":
            basis = self.value("road", "cost_usd_per_truck_km", country) * km
        else:
            basis = self.value("rail", "tariff_usd_per_tkm", country) * km
        u, v = (e["from"], layer), (e["to"], layer)
        self.nodes |= {u, v}
        mode = e["mode"]
        self._pair(Link(e["id"], mode, mode, u, v, km, km / speed, basis, needs=frozenset({mode})))

    def _add_crossing(self, c: Mapping[str, str]) -> None:
        a, b = self.places[c["af_place"]], self.places[c["partner_place"]]
        km = haversine_km(float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"]))
        for mode in (m.strip() for m in c["modes"].split(";") if m.strip()):
            layer = _layer(mode, c["rail_gauge_mm"])
            u, v = (a["id"], layer), (b["id"], layer)
            self.nodes |= {u, v}
            extra = extra_h = 0.0
            if mode == "road":
                basis, time = _num(c["road_fee_usd_per_truck"]), _num(c["road_time_h"])
                if c["transload"] == "yes":
                    extra = self.value("crossing", "transload_cost_usd_per_t")
                    extra_h = self.value("crossing", "transload_time_h")
            else:
                basis, time = _num(c["rail_fee_usd_per_wagon"]), _num(c["rail_time_h"])
            ident = f"{c['id']}:{mode}"
            for s, t, entered in ((u, v, b), (v, u, a)):
                # a truck entering a country by road pays its entry fee for foreign trucks
                entry = self.entry_fee(entered["country"]) if mode == "road" else 0.0
                self.links.append(
                    Link(
                        ident, "crossing", mode, s, t, km, time + extra_h, basis + entry, extra, needs=frozenset({mode})
                    )
                )

    def _add_terminal(self, t: Mapping[str, str]) -> None:
        u, v = (t["place"], t["from_layer"]), (t["place"], t["to_layer"])
        if u not in self.nodes or v not in self.nodes:
            return  # the place does not serve both layers
        cargo = tuple(x.strip() for x in t["cargo"].split(";") if x.strip())
        needs = frozenset({"road", "rail"}) if "road" in (u[1], v[1]) else frozenset({"rail"})
        ident = f"{t['place']}:{u[1]}<->{v[1]}"
        self._pair(Link(ident, "terminal", "transfer", u, v, 0.0, _num(t["time_h"]), _num(t["cost_usd_per_t"]),
                        cargo=cargo, needs=needs))  # fmt: skip

    def _add_port(self, place: str) -> None:
        port = self.ports[place]
        quay = (place, SEA)
        for land in sorted(n for n in self.nodes if n[0] == place):
            ident = f"{place}:{SEA}<->{land[1]}"
            self._pair(Link(ident, "port", "transfer", quay, land, 0.0, _num(port["dwell_h"]),
                            _num(port["handling_usd_per_t"])))  # fmt: skip

    # --- pricing ------------------------------------------------------------------------

    def money_per_t(self, link: Link, cargo: str) -> float:
        """USD per tonne of ``cargo`` on one link."""
        p = self.profile(cargo)
        if link.kind == "road":
            return link.basis * p["road_cost_factor"] / p["payload_t"]
        if link.kind == "rail":
            return link.basis * p["rail_cost_factor"]
        if link.kind == "crossing":
            payload = p["payload_t"] if link.mode == "road" else self.value("rail", "wagon_payload_t")
            return link.basis / payload + link.extra_per_t
        return link.basis

    def fee_per_t(self, link: Link, cargo: str) -> float:
        """The border fee per tonne of a crossing link (transloading excluded)."""
        return self.money_per_t(link, cargo) - link.extra_per_t

    def handles(self, link: Link, cargo: str) -> bool:
        """Whether ``cargo`` may use the link (terminals list the cargo they handle)."""
        return not link.cargo or "all" in link.cargo or cargo in link.cargo

    def measures(self, link: Link, cargo: str) -> dict[str, float]:
        """Distance, time, money and generalized cost of one link for ``cargo``."""
        money = self.money_per_t(link, cargo)
        return {
            "distance": link.distance_km,
            "time": link.time_h,
            "cost": money,
            "generalized": money + self.profile(cargo)["value_of_time_usd_per_t_h"] * link.time_h,
        }

    def weight(self, link: Link, cargo: str, objective: str) -> float:
        """The quantity ``objective`` minimises on one link."""
        return self.measures(link, cargo)[objective]

    # --- search -------------------------------------------------------------------------

    def _allowed(self, link: Link, cargo: str, modes: frozenset[str]) -> bool:
        return self.handles(link, cargo) and link.needs <= modes

    def graph(self, cargo: str, objective: str, modes: Iterable[str] = ("road", "rail")) -> nx.DiGraph:
        """Land links (quays left out) collapsed to the least weight per node pair."""
        key = (cargo, objective, frozenset(modes))
        if key not in self._graphs:
            g = nx.DiGraph()
            g.add_nodes_from(self.nodes)
            for link in self.links:
                if link.kind == "port" or not self._allowed(link, cargo, key[2]):
                    continue
                w = self.weight(link, cargo, objective)
                if not g.has_edge(link.u, link.v) or g[link.u][link.v]["weight"] > w:
                    g.add_edge(link.u, link.v, weight=w)
            self._graphs[key] = g
        return self._graphs[key]

    def land_nodes(self, place: str) -> list[Node]:
        """The land-layer nodes of a place."""
        return sorted(n for n in self.nodes if n[0] == place)

    def endpoints(self, place: str, modes: Iterable[str] = ("road", "rail")) -> list[Node]:
        """Nodes a route from or to ``place`` starts or ends on."""
        land = self.land_nodes(place)
        if place in self.ports and land:
            return [(place, SEA)]
        rail = [n for n in land if n[1].startswith("rail")]
        railhead = self.places.get(place, {}).get("railhead", "")
        if railhead and "road" not in set(modes) and not rail:
            land += [n for n in self.land_nodes(railhead) if n[1].startswith("rail")]
        return land

    def _quay_links(self, place: str, cargo: str, objective: str, to_quay: bool) -> dict[Node, float]:
        """Weight of the quay links of a port: land node -> weight (toward or from the quay)."""
        out: dict[Node, float] = {}
        for link in self.links:
            if link.kind == "port" and link.u[0] == place and (link.v[1] == SEA) == to_quay:
                land = link.u if to_quay else link.v
                out[land] = min(out.get(land, math.inf), self.weight(link, cargo, objective))
        return out

    def least(
        self,
        origin: str,
        destination: str,
        cargo: str = "general",
        objective: str = "generalized",
        modes: Iterable[str] = ("road", "rail"),
    ) -> float | None:
        """The least total ``objective`` from ``origin`` to ``destination`` (place ids), or None."""
        modes = frozenset(modes)
        key = (cargo, objective, modes, origin)
        if key not in self._dist:
            g = self.graph(cargo, objective, modes)
            starts = self.endpoints(origin, modes)
            if starts == [(origin, SEA)]:
                seeds = self._quay_links(origin, cargo, objective, to_quay=False)
            else:
                seeds = dict.fromkeys(starts, 0.0)
            g.add_node("SOURCE")
            g.add_weighted_edges_from((("SOURCE", n, w) for n, w in seeds.items()), weight="weight")
            try:
                self._dist[key] = nx.single_source_dijkstra_path_length(g, "SOURCE", weight="weight")
            finally:
                g.remove_node("SOURCE")
        dist = self._dist[key]
        ends = self.endpoints(destination, modes)
        if ends == [(destination, SEA)]:
            finals = self._quay_links(destination, cargo, objective, to_quay=True)
        else:
            finals = dict.fromkeys(ends, 0.0)
        reached = [dist[n] + w for n, w in finals.items() if n in dist]
        return min(reached) if reached else None

    # --- a route's own path -------------------------------------------------------------

    def link_of(self, leg: Mapping[str, Any], cargo: str | None, objective: str = "generalized") -> Link:
        """The oracle's link for one leg of a route (a ``Leg`` as a dict, or a JSON leg).

        Road and rail legs are found by their edges.csv id, crossings by crossing id and mode,
        transfers by place and layers; the cheapest one ``cargo`` may use when several match
        (``cargo`` None: any cargo, and the match must be unique).

        Raises
        ------
        LookupError
            If the oracle has no such link (the package used a link the files do not open).

        """
        kind = leg["kind"]
        if kind in ("road", "rail"):
            u, v = self._edge_nodes(leg)
            match = [lk for lk in self.between.get((u, v), []) if lk.ident == leg["edge_id"]]
        elif kind == "crossing":
            ident = f"{leg['crossing_id']}:{leg['mode']}"
            row = self.crossings.get(leg["crossing_id"])
            layer = _layer(leg["mode"], row["rail_gauge_mm"]) if row else ""
            match = [
                lk for lk in self.between.get(((leg["from_id"], layer), (leg["to_id"], layer)), []) if lk.ident == ident
            ]
        else:
            u, v = (leg["from_id"], leg["from_layer"]), (leg["to_id"], leg["to_layer"])
            want = "port" if SEA in (u[1], v[1]) else "terminal"
            match = [lk for lk in self.between.get((u, v), []) if lk.kind == want]
            match = [lk for lk in match if cargo is None or self.handles(lk, cargo)]
        if not match:
            raise LookupError(f"no open link in {self.directory} for leg {leg.get('edge_id')} ({kind})")
        if cargo is None:
            if len(match) > 1:
                raise LookupError(f"{len(match)} links match leg {leg.get('edge_id')}; name the cargo")
            return match[0]
        return min(match, key=lambda lk: self.weight(lk, cargo, objective))

    def _edge_nodes(self, leg: Mapping[str, Any]) -> tuple[Node, Node]:
        row = self.edges.get(leg["edge_id"])
        if row is None:
            raise LookupError(f"edges.csv has no edge {leg['edge_id']}")
        layer = _layer(row["mode"], row["gauge_mm"])
        return (leg["from_id"], layer), (leg["to_id"], layer)

    def node_path(self, legs: Sequence[Mapping[str, Any]], cargo: str, objective: str = "generalized") -> list[Node]:
        """The oracle nodes a route's legs pass, checking that consecutive legs join.

        Raises
        ------
        AssertionError
            If a leg does not start where the previous one ended.

        """
        links = [self.link_of(leg, cargo, objective) for leg in legs]
        for a, b in itertools.pairwise(links):
            assert a.v == b.u, f"{a.ident} ends at {a.v} but {b.ident} starts at {b.u}"
        return [links[0].u, *(lk.v for lk in links)]

    def price_path(self, nodes: Sequence[Node], cargo: str, objective: str) -> float:
        """The oracle's price of a node path: the cheapest usable link between each pair."""
        total = 0.0
        for u, v in itertools.pairwise(nodes):
            ws = [self.weight(lk, cargo, objective) for lk in self.between.get((u, v), []) if self.handles(lk, cargo)]
            assert ws, f"no link {u} -> {v}"
            total += min(ws)
        return total


def route_mismatches(
    oracle: FileOracle,
    route: Any,
    *,
    origin: str | None = None,
    destination: str | None = None,
    modes: Iterable[str] = ("road", "rail"),
    rel: float = 1e-9,
) -> list[str]:
    """Where a package route disagrees with the oracle (an empty list when it agrees).

    Checks, each against the files: that the route is a least one for its objective (summed over
    its legs equals :meth:`FileOracle.least`); that it starts and ends on the oracle's
    endpoint nodes and its legs join; that every leg's distance, time, cost per tonne,
    shipment cost, generalized cost and fee are the oracle's price of that link; and that the
    rounded totals are the oracle's sums within rounding.

    Parameters
    ----------
    oracle
        The oracle of the geodata the route was solved on.
    route
        A ``corridors.route.Route``.
    origin, destination
        The place ids asked for (default the route's ends; they differ at a railhead).
    modes
        The modes the request allowed.
    rel
        Relative tolerance of the unrounded comparisons.

    """
    cargo, tonnes, objective = route.cargo, route.tonnes, route.objective
    o, d = origin or route.origin["id"], destination or route.destination["id"]
    modes = frozenset(modes)
    out: list[str] = []

    def differ(what: str, got: float, want: float, tol: float = 0.0) -> None:
        if not math.isclose(got, want, rel_tol=rel, abs_tol=max(tol, 1e-9)):
            out.append(f"{o}->{d} {cargo}/{objective}: {what}: package {got!r}, oracle {want!r}")

    legs = [asdict(leg) for leg in route.leg_list]
    if not legs:  # origin and destination share a node (a town reached at its railhead)
        shared = set(oracle.endpoints(o, modes)) & set(oracle.endpoints(d, modes))
        return [] if shared else [f"{o}->{d}: a route without legs between places that share no node"]
    try:
        nodes = oracle.node_path(legs, cargo, objective)
    except (LookupError, AssertionError) as exc:
        return [f"{o}->{d} {cargo}/{objective}: {exc}"]
    if nodes[0] not in oracle.endpoints(o, modes):
        out.append(f"{o}->{d}: starts on {nodes[0]}, not on {oracle.endpoints(o, modes)}")
    if nodes[-1] not in oracle.endpoints(d, modes):
        out.append(f"{o}->{d}: ends on {nodes[-1]}, not on {oracle.endpoints(d, modes)}")
    if any(n[1] == SEA for n in nodes[1:-1]):
        out.append(f"{o}->{d}: passes through a quay {nodes}")
    sums = dict.fromkeys(OBJECTIVES, 0.0)
    for leg, raw in zip(route.leg_list, legs, strict=True):
        m = oracle.measures(oracle.link_of(raw, cargo, objective), cargo)
        for name in OBJECTIVES:
            sums[name] += m[name]
        differ(f"{leg.edge_id} distance_km", leg.distance_km, m["distance"])
        differ(f"{leg.edge_id} time_h", leg.time_h, m["time"])
        differ(f"{leg.edge_id} cost_usd_per_t", leg.cost_usd_per_t, m["cost"])
        differ(f"{leg.edge_id} cost_usd", leg.cost_usd, m["cost"] * tonnes)
        differ(f"{leg.edge_id} generalized_cost", leg.generalized_cost, m["generalized"])
        if leg.kind == "crossing":
            link = oracle.link_of(raw, cargo, objective)
            differ(f"{leg.edge_id} fee_usd", leg.fee_usd, oracle.fee_per_t(link, cargo) * tonnes)
    differ("path price", oracle.price_path(nodes, cargo, objective), sums[objective])
    least = oracle.least(o, d, cargo, objective, modes)
    if least is None:
        out.append(f"{o}->{d} {cargo}/{objective}: the oracle finds no route")
    else:
        differ("least total", sums[objective], least)
    # totals are sums of legs rounded to cents: allow half a cent per leg
    n = len(legs)
    totals = route.totals
    differ("totals.distance_km", totals["distance_km"], sums["distance"], 0.005 * n + 1e-6)
    differ("totals.time_h", totals["time_h"], sums["time"], 0.005 * n + 1e-6)
    differ("totals.cost_usd", totals["cost_usd"], sums["cost"] * tonnes, 0.005 * n + 1e-6)
    differ("totals.cost_usd_per_t", totals["cost_usd_per_t"], sums["cost"], (0.005 * n) / tonnes + 0.005 + 1e-6)
    differ("totals.generalized_cost", totals["generalized_cost"], sums["generalized"], 0.005 + 1e-6)
    return out


# --- oracles of the path search on the package's graph ----------------------------------


def graph_edge_weight(d: dict, profile: dict, wagon_t: float, objective: str) -> float:
    """Weight of one edge of the package's graph, written out from the README's formulas."""
    if objective == "distance":
        return d["distance_km"]
    if objective == "time":
        return d["time_h"]
    truck = d.get("cost_usd_per_truck", 0.0) / profile["payload_t"]
    if d["kind"] == "road":
        truck *= profile["road_cost_factor"]
    per_t = d.get("cost_usd_per_t", 0.0)
    if d["kind"] == "rail":
        per_t *= profile["rail_cost_factor"]
    money = truck + d.get("cost_usd_per_wagon", 0.0) / wagon_t + per_t
    if objective == "cost":
        return money
    return money + profile["value_of_time_usd_per_t_h"] * d["time_h"]


def graph_oracle_cost(
    net, origin_id: str, dest_id: str, cargo: str = "general", objective: str = "generalized"
) -> float | None:
    """Least total weight on the package's own graph (``net.graph``), by plain networkx.

    This shares graph building and edge pricing with the code under test and only checks
    the path search; it is kept for the OSM networks of tests/test_osm.py, which no geodata
    file describes. Use :class:`FileOracle` for networks built from geodata.
    """
    costs = net.data.costs
    profile = {
        k: costs.get("cargo", cargo, k)
        for k in ("payload_t", "value_of_time_usd_per_t_h", "road_cost_factor", "rail_cost_factor")
    }
    wagon_t = costs.get("rail", "wagon_payload_t")
    g = nx.DiGraph()
    for u, v, d in net.graph.edges(data=True):
        cargo_ok = not d.get("cargo") or "all" in d["cargo"] or cargo in d["cargo"]
        if not cargo_ok:
            continue
        w = graph_edge_weight(d, profile, wagon_t, objective)
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    for n, d in net.graph.nodes(data=True):
        if d["place"] == origin_id:
            g.add_edge("SOURCE", n, weight=0.0)
        if d["place"] == dest_id:
            g.add_edge(n, "SINK", weight=0.0)
    try:
        return nx.shortest_path_length(g, "SOURCE", "SINK", weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


#: The name tests/test_osm.py imports (a graph oracle: OSM networks have no geodata files).
oracle_cost = graph_oracle_cost


class Router:
    """networkx's Dijkstra on ``graph`` for one cost model, objective and set of restrictions.

    The path search the package used before :mod:`corridors.engine`, kept as the oracle the
    engine's *search* is tested against: it prices edges with the package's own
    :class:`~corridors.costs.CostModel` on the package's graph, so it checks the search, not
    the prices (tests/test_engine.py checks the engine's row weights against
    :class:`FileOracle`).
    """

    def __init__(self, graph: nx.MultiDiGraph, model: CostModel, objective: str, restrictions: Restrictions) -> None:
        self.graph = graph
        self.model = model
        self.objective = objective
        self.restrictions = restrictions

    def edge_weight(self, attrs: Mapping[str, Any]) -> float | None:
        """Weight of one edge, or None when it may not be used."""
        if not self.restrictions.allows(attrs) or not self.model.handles(attrs):
            return None
        return self.model.weight(attrs, self.objective)

    def _weight(self, u: str, v: str, keyed: Mapping[str, Mapping[str, Any]]) -> float | None:
        if v in self.restrictions.nodes:
            return None
        weights = [w for w in map(self.edge_weight, keyed.values()) if w is not None]
        return min(weights) if weights else None

    def best_key(self, u: str, v: str) -> str:
        """Key of the cheapest usable parallel edge from ``u`` to ``v``."""
        options = [(w, k) for k, d in self.graph[u][v].items() if (w := self.edge_weight(d)) is not None]
        return min(options)[1]

    def shortest(self, sources: Sequence[str], targets: Sequence[str]) -> tuple[float, list[str]] | None:
        """Cheapest (weight, node path) from any source to any target by networkx, or None."""
        sources = [s for s in sources if s not in self.restrictions.nodes]
        if not sources:
            return None
        dist, paths = nx.multi_source_dijkstra(self.graph, sources, weight=self._weight)
        reached = [(dist[t], i, t) for i, t in enumerate(targets) if t in dist]
        if not reached:
            return None
        w, _, t = min(reached)
        return w, paths[t]

    def shortest_via(
        self, sources: Sequence[str], vias: Sequence[Sequence[str]], targets: Sequence[str]
    ) -> tuple[float, list[str]] | None:
        """Cheapest path from sources through one node of each via group, in order, to targets."""
        return shortest_via(self.shortest, sources, vias, targets)
