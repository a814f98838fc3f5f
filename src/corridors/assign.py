"""Trade flows on the network: equilibrium assignment with queues at the border crossings.

Flows (tonnes a year per origin, destination and cargo, :mod:`corridors.demand`) become
vehicles a day at the crossings they pass: ``tonnes / payload_t / days`` trucks on a road
crossing (the cargo profile's payload) and ``tonnes / wagon_payload_t / days`` wagons on a
rail crossing (``costs.toml``). Only crossings are load-dependent: their time is the free time
plus the queue wait of :mod:`corridors.queues`, charged at the cargo's value of time; every
other edge keeps its fixed generalized cost. Each iteration re-prices the crossing rows and
re-solves the least path of every flow with the single path engine
(:meth:`corridors.fastpath.Snapshot.shortest_rows`), adding new paths to the flow's set.

Two equilibria:

- ``ue``, deterministic user equilibrium (Wardrop): every used path of a flow costs the
  least. Solved path-based: each flow's tonnes move from its dearer paths to its cheapest by
  a projected Newton step (Jayakrishnan et al.'s gradient projection; the second derivative
  of the cost difference is exact because only crossing waits vary). Convergence: the
  relative gap ``(sum f_p C_p - sum d_w min C_w) / sum f_p C_p``.
- ``sue`` (default), logit stochastic user equilibrium: each flow splits over its paths as
  ``exp(-theta C_p) / sum exp(-theta C_q)``, with ``theta`` of ``costs.toml``
  (``assign.logit_theta_per_usd_t``). Real traffic between two places uses several crossings
  (shippers differ in contracts, documents, trucks and what they know), which a
  deterministic equilibrium cannot show. The path set of a flow is its cheapest path at free
  flow, the cheapest path with each of its crossings banned in turn (the alternative
  corridors), and every path that was cheapest at some iteration. Solved by the method of
  successive averages with self-regulating steps (Liu, Ban and Ran 2009). Convergence: the
  share of tonnes not yet where the logit puts them, ``sum |f_p - y_p| / sum d_w``.

Paths are kept one per sequence of crossing modes (the *corridor*): two paths through the
same crossings have the same waits, so the cheaper one is always preferred. No random
numbers are drawn: the same inputs give the same numbers, in any process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.cluster import map_chunks
from corridors.data import csv_rows, read_text_file
from corridors.demand import Flow
from corridors.errors import DataError, NoRouteError, UsageError
from corridors.fastpath import Snapshot
from corridors.places import PlaceIndex
from corridors.queues import (
    DEFAULT_GAP,
    DEFAULT_MAX_ITERATIONS,
    METHODS,
    Capacity,
    QueueParams,
    load_capacities,
    queue_wait,
    utilisation,
)
from corridors.scenarios import Scenario

if TYPE_CHECKING:
    from corridors.data import GeoData
    from corridors.network import Network

#: After the first iterations, new paths are searched every this many iterations (and near the target).
COLUMN_EVERY = 5
#: Inner gradient-projection sweeps per outer iteration of ``ue``.
INNER_SWEEPS = 5


@dataclass(frozen=True)
class AssignParams:
    """What an assignment solves and how far.

    Parameters
    ----------
    queue
        The queue function's parameters.
    theta
        Logit dispersion (1 / (USD/t)) of ``sue``.
    method
        ``sue`` or ``ue``.
    gap
        Stop when the convergence measure falls below this.
    max_iterations
        Stop after this many iterations.

    """

    queue: QueueParams
    theta: float
    method: str = "sue"
    gap: float = DEFAULT_GAP
    max_iterations: int = DEFAULT_MAX_ITERATIONS

    @classmethod
    def from_network(cls, network: Network, **kwargs: Any) -> AssignParams:
        """Parameters from the network's ``costs.toml``, with keyword overrides."""
        costs = network.data.costs
        params = cls(QueueParams.from_costs(costs), costs.get("assign", "logit_theta_per_usd_t"), **kwargs)
        if params.method not in METHODS:
            raise UsageError(f"unknown method '{params.method}'; choose one of: {', '.join(METHODS)}")
        if not params.gap > 0:
            raise UsageError(f"the gap must be positive, not {params.gap}")
        return params


@dataclass(frozen=True)
class ClassProblem:
    """One cargo profile: its snapshot, value of time and the crossing link of each row."""

    cargo: str
    snapshot: Snapshot
    vot: float
    #: Per snapshot row: index into :attr:`AssignProblem.links`, or -1 for a row that is no crossing.
    row_link: np.ndarray
    #: Per link: vehicles a day that one tonne a year of this cargo adds.
    vehicles_per_t: np.ndarray


@dataclass(frozen=True)
class FlowSpec:
    """A flow resolved to snapshot nodes."""

    origin: str
    destination: str
    cargo: str
    klass: int
    tonnes: float
    value_usd: float | None
    sources: tuple[int, ...]
    targets: tuple[int, ...]


@dataclass(frozen=True)
class AssignProblem:
    """Everything an assignment needs, frozen (picklable: what a Dask worker receives)."""

    links: tuple[tuple[str, str], ...]
    capacity: np.ndarray
    hours: np.ndarray
    classes: tuple[ClassProblem, ...]
    flows: tuple[FlowSpec, ...]
    params: AssignParams
    #: Hours of queue already in a link's time (its time minus its ``free_time_h``; 0 for most).
    queued_h: np.ndarray | None = None

    def waits(self, vehicles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Queue wait (h) and its derivative of every link, less the queue its time already holds.

        The engine's weights carry each crossing's time of ``crossings.csv``; where that is an
        observed time with a queue in it (``free_time_h`` of ``crossing_capacity.csv``), the
        difference is taken off so that free time plus modelled wait is what the flows pay.
        """
        wait, dwait = queue_wait(vehicles, self.capacity, self.hours, self.params.queue)
        if self.queued_h is not None:
            wait = wait - self.queued_h
        return wait, dwait


def prepare(network: Network, flows: Sequence[Flow], params: AssignParams) -> AssignProblem:
    """Freeze the network once per cargo profile of the flows and resolve their places.

    Raises
    ------
    UnknownPlaceError
        If a flow names an unknown place.
    NoRouteError
        If a flow's place is on no open link.

    """
    places = PlaceIndex(network.data)
    cargos = sorted({f.cargo for f in flows})
    snaps = {c: Snapshot(network, network.cost_model(c), "generalized") for c in cargos}
    links = sorted({
        (s.crossing_ids[s.crossing[r]], "rail" if s.rail[r] else "road")
        for s in snaps.values() for r in np.flatnonzero(s.crossing >= 0)
    })  # fmt: skip
    lidx = {k: i for i, k in enumerate(links)}
    caps = load_capacities(network.data, params.queue)
    capacity = np.array([caps[k].capacity_per_day if k in caps else np.inf for k in links])
    hours = np.array([caps[k].opening_hours if k in caps else params.queue.opening_hours for k in links])
    queued = np.array([_queued_h(network.data, k, caps.get(k)) for k in links])
    wagon_t = network.data.costs.get("rail", "wagon_payload_t")
    days = params.queue.days_per_year
    classes = []
    for c in cargos:
        s = snaps[c]
        row_link = np.full(len(s.weight), -1, dtype=np.int64)
        for r in np.flatnonzero(s.crossing >= 0):
            row_link[r] = lidx[(s.crossing_ids[s.crossing[r]], "rail" if s.rail[r] else "road")]
        payload = s.model.profile.payload_t
        per_t = np.array([1.0 / ((wagon_t if mode == "rail" else payload) * days) for _, mode in links])
        classes.append(ClassProblem(c, s, s.vot, row_link, per_t))
    specs = []
    for f in flows:
        o, d = places.place(f.origin).id, places.place(f.destination).id
        nodes = []
        for pid in (o, d):
            ends = network.endpoint_nodes(pid)
            if not ends:
                raise NoRouteError(
                    f"flow {f.origin} -> {f.destination}: {network.data.places[pid].name} is on no open link"
                )
            nodes.append(tuple(snaps[f.cargo].index[n] for n in ends))
        specs.append(FlowSpec(o, d, f.cargo, cargos.index(f.cargo), f.tonnes_per_year, f.value_usd, nodes[0], nodes[1]))
    return AssignProblem(tuple(links), capacity, hours, tuple(classes), tuple(specs), params, queued)


def _queued_h(data: GeoData, link: tuple[str, str], cap: Capacity | None) -> float:
    """Hours of queue in a link's time: its time less the row's ``free_time_h`` (0 without one)."""
    if cap is None or cap.free_time_h is None:
        return 0.0
    return max(0.0, _link_time(data, link) - cap.free_time_h)


def _link_time(data: GeoData, link: tuple[str, str]) -> float:
    c = data.crossings[link[0]]
    return (c.rail_time_h if link[1] == "rail" else c.road_time_h) or 0.0


@dataclass
class _Paths:
    """The path sets of every flow: flows, fixed costs, crossing links and rows of each path."""

    flow: list[int] = field(default_factory=list)
    fixed: list[float] = field(default_factory=list)
    links: list[tuple[int, ...]] = field(default_factory=list)
    rows: list[tuple[int, ...]] = field(default_factory=list)
    of_flow: list[list[int]] = field(default_factory=list)
    key: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)

    def add(self, problem: AssignProblem, w: int, rows: list[int]) -> tuple[int, bool]:
        """Add a path of flow ``w`` (or a cheaper version of a known corridor); return (index, new)."""
        k = problem.classes[problem.flows[w].klass]
        links = tuple(int(x) for x in k.row_link[rows] if x >= 0)
        fixed = k.snapshot.path_result(rows, 0.0).generalized
        known = self.key.get((w, links))
        if known is not None:
            if fixed < self.fixed[known] - 1e-12:
                self.fixed[known], self.rows[known] = fixed, tuple(rows)
            return known, False
        self.key[(w, links)] = len(self.flow)
        self.flow.append(w)
        self.fixed.append(fixed)
        self.links.append(links)
        self.rows.append(tuple(rows))
        self.of_flow[w].append(len(self.flow) - 1)
        return len(self.flow) - 1, True


@dataclass
class _Arrays:
    """Dense path arrays: incidence counts, vehicles per tonne, value of time, fixed cost."""

    count: np.ndarray
    vehicles: np.ndarray
    vot: np.ndarray
    fixed: np.ndarray
    demand: np.ndarray
    flow: np.ndarray


def _arrays(problem: AssignProblem, paths: _Paths) -> _Arrays:
    n, m = len(paths.flow), len(problem.links)
    count = np.zeros((n, m))
    for p, links in enumerate(paths.links):
        for k in links:
            count[p, k] += 1.0
    klass = np.array([problem.flows[w].klass for w in paths.flow], dtype=np.int64)
    per_t = np.array([c.vehicles_per_t for c in problem.classes]).reshape(len(problem.classes), m)
    vehicles = count * per_t[klass]
    vot = np.array([problem.classes[c].vot for c in klass])
    demand = np.array([problem.flows[w].tonnes for w in paths.flow])
    return _Arrays(count, vehicles, vot, np.array(paths.fixed), demand, np.array(paths.flow, dtype=np.int64))


@dataclass(frozen=True)
class Solution:
    """Path flows at the end of an assignment, and how it converged."""

    paths: _Paths
    tonnes: np.ndarray
    vehicles: np.ndarray
    wait_h: np.ndarray
    cost: np.ndarray
    iterations: int
    gap: float
    converged: bool
    lost: tuple[int, ...]


def _row_weights(problem: AssignProblem, k: int, wait: np.ndarray, closed: frozenset[str]) -> np.ndarray:
    c = problem.classes[k]
    w = c.snapshot.weight.copy()
    on = c.row_link >= 0
    w[on] += c.vot * wait[c.row_link[on]]
    if closed:
        dead = np.array([problem.links[i][0] in closed or f"{problem.links[i][0]}:{problem.links[i][1]}" in closed
                         for i in range(len(problem.links))], dtype=bool)  # fmt: skip
        w[on & dead[np.maximum(c.row_link, 0)]] = np.inf
    return w


def _shortest_all(
    problem: AssignProblem, weights: list[np.ndarray], skip: Sequence[int] = ()
) -> list[list[int] | None]:
    """Least rows of every flow (None for those in ``skip`` or without a path), one batch per class."""
    out: list[list[int] | None] = [None] * len(problem.flows)
    left_out = set(skip)
    for k, c in enumerate(problem.classes):
        members = [w for w, f in enumerate(problem.flows) if f.klass == k and w not in left_out]
        requests = [(problem.flows[w].sources, problem.flows[w].targets) for w in members]
        for w, found in zip(members, c.snapshot.shortest_rows_many(requests, weights[k]), strict=True):
            out[w] = None if found is None or not math.isfinite(found[0]) else found[1]
    return out


def solve(
    problem: AssignProblem, closed: frozenset[str] = frozenset(), progress: Callable[[int, float], None] | None = None
) -> Solution:
    """Find the equilibrium of ``problem`` (with the crossings or ``ID:mode`` in ``closed`` shut).

    Parameters
    ----------
    problem
        From :func:`prepare`.
    closed
        Crossing ids (every mode) or ``ID:mode`` closed for this solve.
    progress
        Called with (iteration, gap) after each iteration.

    Returns
    -------
    Solution
        Flows with no path at all are in ``lost`` and carry nothing.

    """
    params = problem.params
    m = len(problem.links)
    paths = _Paths(of_flow=[[] for _ in problem.flows])
    zero = np.zeros(m)
    weights = [_row_weights(problem, k, zero, closed) for k in range(len(problem.classes))]
    lost = []
    firsts: dict[int, list[int]] = {}
    for w, rows in enumerate(_shortest_all(problem, weights)):
        if rows is None:
            lost.append(w)
            continue
        paths.add(problem, w, rows)
        firsts[w] = rows
    if params.method == "sue":
        _alternatives(problem, paths, firsts, weights)
    arr = _arrays(problem, paths)
    if params.method == "ue":
        f = np.zeros(len(paths.flow))
        for w in range(len(problem.flows)):
            if paths.of_flow[w]:
                f[paths.of_flow[w][0]] = problem.flows[w].tonnes
    else:
        f = _logit(arr, arr.fixed, params.theta, len(problem.flows))
    beta, last_res = 1.0, math.inf
    gap, it = math.inf, 0
    for it in range(1, params.max_iterations + 1):
        v = f @ arr.vehicles
        wait, _ = problem.waits(v)
        # new paths: every iteration at first, then every COLUMN_EVERY and whenever near the target
        generate = it <= COLUMN_EVERY or it % COLUMN_EVERY == 0 or gap < 10 * params.gap
        grew = False
        if generate:
            weights = [_row_weights(problem, k, wait, closed) for k in range(len(problem.classes))]
            for w, rows in enumerate(_shortest_all(problem, weights, skip=lost)):
                if rows is not None:
                    _, new = paths.add(problem, w, rows)
                    grew |= new
        if grew or len(arr.fixed) != len(paths.flow) or not np.array_equal(arr.fixed, np.array(paths.fixed)):
            arr = _arrays(problem, paths)
            f = np.r_[f, np.zeros(len(paths.flow) - len(f))]
        cost = arr.fixed + arr.vot * (arr.count @ wait)
        if params.method == "ue":
            gap = _ue_gap(f, cost, arr, len(problem.flows))
            if gap < params.gap and generate:
                break
            for _ in range(INNER_SWEEPS):
                f = _gp_sweep(problem, paths, arr, f)
        else:
            y = _logit(arr, cost, params.theta, len(problem.flows))
            res = float(np.abs(y - f).sum() / max(arr_demand_total(problem, lost), 1e-300))
            gap = res
            if res < params.gap and generate and not grew:
                break
            beta += 1.5 if res >= last_res else 0.05
            last_res = res
            f = f + (y - f) / beta
        if progress:
            progress(it, gap)
    v = f @ arr.vehicles
    wait, _ = problem.waits(v)
    cost = arr.fixed + arr.vot * (arr.count @ wait)
    return Solution(paths, f, v, wait, cost, it, float(gap), bool(gap < params.gap), tuple(lost))


def arr_demand_total(problem: AssignProblem, lost: Sequence[int]) -> float:
    """Tonnes a year of the flows that have a route."""
    return float(sum(f.tonnes for i, f in enumerate(problem.flows) if i not in lost))


def _alternatives(
    problem: AssignProblem, paths: _Paths, firsts: dict[int, list[int]], weights: list[np.ndarray]
) -> None:
    """Add, for each flow, the cheapest path with each crossing of its first path banned in turn.

    ``firsts`` maps flows to the rows of their first path. The flows of a cargo that ban the
    same crossing are solved together (one weight vector, one batch), in a fixed order.
    """
    for k, c in enumerate(problem.classes):
        banning: dict[int, list[int]] = {}
        for w in sorted(firsts):
            if problem.flows[w].klass == k:
                for link in dict.fromkeys(int(x) for x in c.row_link[firsts[w]] if x >= 0):
                    banning.setdefault(link, []).append(w)
        for link in sorted(banning):
            ww = weights[k].copy()
            ww[c.row_link == link] = np.inf
            members = banning[link]
            requests = [(problem.flows[w].sources, problem.flows[w].targets) for w in members]
            for w, found in zip(members, c.snapshot.shortest_rows_many(requests, ww), strict=True):
                if found is not None and math.isfinite(found[0]):
                    paths.add(problem, w, found[1])


def _logit(arr: _Arrays, cost: np.ndarray, theta: float, n_flows: int) -> np.ndarray:
    """Tonnes per path that the logit model gives at path costs ``cost``."""
    best = np.full(n_flows, np.inf)
    np.minimum.at(best, arr.flow, cost)
    e = np.exp(-theta * (cost - best[arr.flow]))
    total = np.zeros(n_flows)
    np.add.at(total, arr.flow, e)
    return arr.demand * e / total[arr.flow]


def _ue_gap(f: np.ndarray, cost: np.ndarray, arr: _Arrays, n_flows: int) -> float:
    best = np.full(n_flows, np.inf)
    np.minimum.at(best, arr.flow, cost)
    total = float(f @ cost)
    demand = np.zeros(n_flows)
    np.add.at(demand, arr.flow, f)
    low = float(demand[np.isfinite(best)] @ best[np.isfinite(best)])
    return (total - low) / total if total > 0 else 0.0


def _gp_sweep(problem: AssignProblem, paths: _Paths, arr: _Arrays, f: np.ndarray) -> np.ndarray:
    """One Gauss–Seidel sweep of gradient projection over the flows (loads updated after each)."""
    f = f.copy()
    v = f @ arr.vehicles
    for members in paths.of_flow:
        if len(members) < 2:
            continue
        idx = np.array(members)
        wait, dwait = problem.waits(v)
        cost = arr.fixed[idx] + arr.vot[idx] * (arr.count[idx] @ wait)
        s = int(np.argmin(cost))
        for j, p in enumerate(idx):
            if j == s or f[p] <= 0:
                continue
            diff = cost[j] - cost[s]
            if diff <= 0:
                continue
            delta_links = arr.count[p] - arr.count[idx[s]]
            per_t = arr.vehicles[p] - arr.vehicles[idx[s]]
            h = float(arr.vot[p] * np.sum(delta_links * per_t * dwait))
            step = f[p] if h <= 0 else min(f[p], diff / h)
            f[p] -= step
            f[idx[s]] += step
            v = v + step * (arr.vehicles[idx[s]] - arr.vehicles[p])
            wait, dwait = problem.waits(v)
            cost = arr.fixed[idx] + arr.vot[idx] * (arr.count[idx] @ wait)
    return f


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossingLoad:
    """Assigned traffic at one mode of one crossing."""

    crossing: str
    name: str
    mode: str
    vehicles_per_day: float
    capacity_per_day: float | None
    utilisation: float | None
    opening_hours: float
    free_time_h: float
    wait_h: float
    tonnes_per_year: float
    tonnes_to_af: float
    tonnes_from_af: float
    value_usd: float | None
    value_to_af_usd: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (trucks or wagons a day by mode)."""
        d = dict(self.__dict__)
        d["trucks_per_day"] = self.vehicles_per_day if self.mode == "road" else None
        d["wagons_per_day"] = self.vehicles_per_day if self.mode == "rail" else None
        d["loaded_time_h"] = self.free_time_h + self.wait_h
        return d


@dataclass(frozen=True)
class FlowSplit:
    """One flow's corridors at equilibrium."""

    origin: str
    destination: str
    cargo: str
    tonnes_per_year: float
    cost_usd_per_t: float | None
    least_cost_usd_per_t: float | None
    corridors: tuple[tuple[str, float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "origin": self.origin, "destination": self.destination, "cargo": self.cargo,
            "tonnes_per_year": self.tonnes_per_year, "cost_usd_per_t": self.cost_usd_per_t,
            "least_cost_usd_per_t": self.least_cost_usd_per_t,
            "corridors": [{"corridor": c, "share": s, "cost_usd_per_t": k} for c, s, k in self.corridors],
        }  # fmt: skip


@dataclass(frozen=True)
class Assignment:
    """The equilibrium of a set of flows on a network: loads, waits, splits and convergence."""

    method: str
    iterations: int
    gap: float
    target_gap: float
    converged: bool
    scenarios: tuple[str, ...]
    crossings: tuple[CrossingLoad, ...]
    edges: dict[str, float]
    corridors: dict[str, float]
    flows: tuple[FlowSplit, ...]
    lost: tuple[tuple[str, str, str, float], ...]

    @property
    def tonnes_per_year(self) -> float:
        """Tonnes a year of all flows."""
        return sum(f.tonnes_per_year for f in self.flows)

    @property
    def cost_usd_per_year(self) -> float:
        """Generalized cost of all routed flows (USD a year)."""
        return sum(f.tonnes_per_year * f.cost_usd_per_t for f in self.flows if f.cost_usd_per_t is not None)

    def loaded_times(self) -> dict[tuple[str, str], float]:
        """Free time plus queue wait (h) of every crossing mode with a wait."""
        return {(c.crossing, c.mode): c.free_time_h + c.wait_h for c in self.crossings if c.wait_h > 0}

    def to_geojson(self, network: Network) -> dict[str, Any]:
        """Edges (LineStrings, ``tonnes_per_year``) and crossings (Points, every load field) as GeoJSON."""
        geometry: dict[str, Any] = {}
        for _, _, d in network.graph.edges(data=True):
            if d.get("kind") in ("road", "rail") and d["id"] in self.edges and d["id"] not in geometry:
                geometry[d["id"]] = d["geometry"]
        features = [
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in geometry[e].coords]},
             "properties": {"kind": "edge", "edge_id": e, "tonnes_per_year": t}}
            for e, t in self.edges.items() if e in geometry
        ]  # fmt: skip
        data = network.data
        for c in self.crossings:
            x = data.crossings[c.crossing]
            a, b = data.places[x.af_place], data.places[x.partner_place]
            point = [(a.lon + b.lon) / 2, (a.lat + b.lat) / 2]
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": point},
                             "properties": {"kind": "crossing", **c.to_dict()}})  # fmt: skip
        return {"type": "FeatureCollection", "features": features}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (schema in the README)."""
        return {
            "schema_version": 1,
            "method": self.method, "scenarios": list(self.scenarios),
            "convergence": {"iterations": self.iterations, "gap": self.gap, "target_gap": self.target_gap,
                            "converged": self.converged},
            "flows_count": len(self.flows), "tonnes_per_year": self.tonnes_per_year,
            "cost_usd_per_year": self.cost_usd_per_year,
            "crossings": [c.to_dict() for c in self.crossings],
            "corridors": [{"corridor": k, "tonnes_per_year": t} for k, t in self.corridors.items()],
            "edges": [{"edge": k, "tonnes_per_year": t} for k, t in self.edges.items()],
            "flows": [f.to_dict() for f in self.flows],
            "lost": [{"origin": o, "destination": d, "cargo": c, "tonnes_per_year": t} for o, d, c, t in self.lost],
        }  # fmt: skip


def corridor_name(problem: AssignProblem, links: Sequence[int]) -> str:
    """``HAI > TRK``: the crossings of a path in order (``HAI:rail`` for a rail mode); ``-`` for none."""
    names = [problem.links[k][0] + (":rail" if problem.links[k][1] == "rail" else "") for k in links]
    return " > ".join(names) if names else "-"


def summarise(problem: AssignProblem, sol: Solution, network: Network, scenarios: Sequence[str] = ()) -> Assignment:
    """Turn a solution into per-crossing, per-edge, per-corridor and per-flow results."""
    data = network.data
    m = len(problem.links)
    tonnes = np.zeros(m)
    to_af = np.zeros(m)
    value = np.zeros(m)
    value_in = np.zeros(m)
    has_value = any(f.value_usd is not None for f in problem.flows)
    edges: dict[str, float] = {}
    corridors: dict[str, float] = {}
    for p, w in enumerate(sol.paths.flow):
        t = float(sol.tonnes[p])
        if t <= 0:
            continue
        spec = problem.flows[w]
        k = problem.classes[spec.klass]
        snap = k.snapshot
        per_t = (spec.value_usd or 0.0) / spec.tonnes if spec.tonnes > 0 else 0.0
        for r in sol.paths.rows[p]:
            link = int(k.row_link[r])
            if link >= 0:
                tonnes[link] += t
                value[link] += t * per_t
                place = network.graph.nodes[snap.nodes[snap.v[r]]].get("place")
                if place == data.crossings[problem.links[link][0]].af_place:
                    to_af[link] += t
                    value_in[link] += t * per_t
            else:
                eid = snap.link_ids[snap.link[r]]
                if eid in data.edges:
                    edges[eid] = edges.get(eid, 0.0) + t
        name = corridor_name(problem, sol.paths.links[p])
        corridors[name] = corridors.get(name, 0.0) + t
    util = utilisation(sol.vehicles, problem.capacity)
    loads = []
    for i, (cid, mode) in enumerate(problem.links):
        c = data.crossings[cid]
        queued = 0.0 if problem.queued_h is None else float(problem.queued_h[i])
        free = _link_time(data, (cid, mode)) - queued
        cap = float(problem.capacity[i])
        loads.append(CrossingLoad(
            crossing=cid, name=c.name, mode=mode, vehicles_per_day=float(sol.vehicles[i]),
            capacity_per_day=cap if math.isfinite(cap) else None,
            utilisation=None if math.isnan(util[i]) else float(util[i]), opening_hours=float(problem.hours[i]),
            free_time_h=free, wait_h=float(sol.wait_h[i]) + queued, tonnes_per_year=float(tonnes[i]),
            tonnes_to_af=float(to_af[i]), tonnes_from_af=float(tonnes[i] - to_af[i]),
            value_usd=float(value[i]) if has_value else None, value_to_af_usd=float(value_in[i]) if has_value else None,
        ))  # fmt: skip
    splits = []
    for w, spec in enumerate(problem.flows):
        members = sol.paths.of_flow[w]
        if not members:
            continue
        f = sol.tonnes[members]
        c = sol.cost[members]
        total = float(f.sum())
        rows = sorted(
            ((corridor_name(problem, sol.paths.links[p]), float(sol.tonnes[p]) / total if total > 0 else 0.0,
              float(sol.cost[p])) for p in members if sol.tonnes[p] > 1e-9 * max(total, 1.0)),
            key=lambda x: (-x[1], x[0]),
        )  # fmt: skip
        mean = float(f @ c / total) if total > 0 else float(c.min())
        splits.append(
            FlowSplit(spec.origin, spec.destination, spec.cargo, spec.tonnes, mean, float(c.min()), tuple(rows))
        )
    lost = tuple((problem.flows[w].origin, problem.flows[w].destination, problem.flows[w].cargo,
                  problem.flows[w].tonnes) for w in sol.lost)  # fmt: skip
    order = sorted(range(m), key=lambda i: (-loads[i].tonnes_per_year, problem.links[i]))
    return Assignment(
        method=problem.params.method, iterations=sol.iterations, gap=sol.gap, target_gap=problem.params.gap,
        converged=sol.converged, scenarios=tuple(scenarios),
        crossings=tuple(loads[i] for i in order if loads[i].tonnes_per_year > 0),
        edges=dict(sorted(edges.items(), key=lambda kv: (-kv[1], kv[0]))),
        corridors=dict(sorted(corridors.items(), key=lambda kv: (-kv[1], kv[0]))),
        flows=tuple(splits), lost=lost,
    )  # fmt: skip


def assign(
    network: Network,
    flows: Sequence[Flow],
    *,
    params: AssignParams | None = None,
    scenarios: Sequence[str] = (),
    progress: Callable[[int, float], None] | None = None,
) -> Assignment:
    """Assign ``flows`` to ``network`` at equilibrium (see the module docs).

    Parameters
    ----------
    network
        The network (scenarios already applied).
    flows
        Origin–destination flows in tonnes a year.
    params
        Method, gap and queue parameters; default from the network's ``costs.toml``.
    scenarios
        Names of the scenarios applied, for the report.
    progress
        Called with (iteration, gap).

    Returns
    -------
    Assignment

    Raises
    ------
    UsageError
        If there are no flows.
    UnknownPlaceError, NoRouteError
        If a flow's place is unknown or on no open link.

    """
    if not flows:
        raise UsageError("no flows to assign")
    params = params or AssignParams.from_network(network)
    problem = prepare(network, flows, params)
    return summarise(problem, solve(problem, progress=progress), network, scenarios)


def loaded_network(network: Network, flows: Sequence[Flow], params: AssignParams | None = None) -> Network:
    """The network with every crossing priced at its assigned (queued) time (``--loaded``).

    Parameters
    ----------
    network
        The network (any scenarios applied); the flows are assigned on it.
    flows
        The demand.
    params
        How to solve; default :meth:`AssignParams.from_network`.

    Returns
    -------
    Network
        ``network`` with :func:`loaded_scenario` of the assignment applied.

    """
    return network.with_scenarios([loaded_scenario(assign(network, flows, params=params))])


def loaded_scenario(result: Assignment) -> Any:
    """A scenario that sets every loaded crossing's time to its free time plus its queue wait.

    ``whatif --loaded`` and ``risk --loaded`` apply it, so routes price the queues of the
    assignment instead of the free times.
    """
    values = {f"crossing.{cid}.{mode}_time_h": round(t, 6) for (cid, mode), t in result.loaded_times().items()}
    return Scenario(name="loaded", description=f"crossing times of a {result.method} assignment", set_values=values)


# -- modelled against observed -------------------------------------------------------------
REVENUE_FILE = "customs_revenue_shares.csv"
REVENUE_COLUMNS = ("group", "name", "crossings", "share", "year", "source", "quality", "note")


@dataclass(frozen=True)
class VolumeCheck:
    """One observed count at a crossing against the assignment."""

    crossing: str
    mode: str
    direction: str
    measure: str
    observed: float
    modelled: float
    date: str
    source: str

    @property
    def ratio(self) -> float | None:
        """Modelled over observed (None for an observed zero)."""
        return self.modelled / self.observed if self.observed else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__) | {"ratio": self.ratio}


@dataclass(frozen=True)
class RevenueCheck:
    """One border group's observed share of customs revenue against the modelled share of value."""

    group: str
    name: str
    crossings: tuple[str, ...]
    observed_share: float
    modelled_share: float | None
    year: str
    source: str
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__) | {"crossings": list(self.crossings)}


def compare_volumes(result: Assignment, network: Network, days_per_year: float) -> list[VolumeCheck]:
    """Every row of ``observed_volumes.csv`` against the modelled traffic at its crossing.

    The direction split of vehicles follows the split of tonnes (the profiles' payloads
    differ little); a crossing mode the assignment leaves empty counts as zero.
    """
    loads = {(c.crossing, c.mode): c for c in result.crossings}
    out = []
    for ob in network.data.observed_volumes:
        c = loads.get((ob.crossing, ob.mode))
        total = c.tonnes_per_year if c else 0.0
        part = {"both": total, "to_af": c.tonnes_to_af if c else 0.0, "from_af": c.tonnes_from_af if c else 0.0}
        share = part[ob.direction] / total if total > 0 else 0.0
        for measure, observed in (("trucks_per_day", ob.trucks_per_day), ("wagons_per_day", ob.wagons_per_day),
                                  ("tonnes_per_day", ob.tonnes_per_day)):  # fmt: skip
            if observed is None:
                continue
            if measure == "tonnes_per_day":
                modelled = part[ob.direction] / days_per_year
            else:
                modelled = (c.vehicles_per_day if c else 0.0) * share
            out.append(VolumeCheck(ob.crossing, ob.mode, ob.direction, measure, float(observed), float(modelled),
                                   ob.date, ob.provenance.source))  # fmt: skip
    return out


def compare_revenue(result: Assignment, network: Network) -> list[RevenueCheck]:
    """Observed customs revenue shares by border group against the modelled shares of value entering.

    The modelled share of a group is the value of the flows entering Afghanistan through its
    crossings over the value entering through every Afghan crossing (customs revenue is
    mostly import duty); tonnes entering when the flows carry no value. Empty without the file.

    Raises
    ------
    DataError
        If the file is malformed or names an unknown crossing.

    """
    path = Path(network.data.directory) / REVENUE_FILE
    if not path.exists():
        return []
    data = network.data
    by_value = any(c.value_to_af_usd for c in result.crossings)
    basis = "value entering" if by_value else "tonnes entering"
    afghan = {cid for cid, c in data.crossings.items() if data.places[c.af_place].country == "AF"}

    def entering(c: CrossingLoad) -> float:
        return (c.value_to_af_usd or 0.0) if by_value else c.tonnes_to_af

    into: dict[str, float] = {}
    for c in result.crossings:
        if c.crossing in afghan:
            into[c.crossing] = into.get(c.crossing, 0.0) + entering(c)
    total = sum(into.values())
    out = []
    for line, row in csv_rows(read_text_file(path, REVENUE_FILE), REVENUE_FILE, REVENUE_COLUMNS):
        where = f"{REVENUE_FILE}:{line}"
        members = tuple(x.strip() for x in row["crossings"].split(";") if x.strip())
        unknown = [x for x in members if x not in data.crossings]
        if unknown:
            raise DataError(f"{where}: unknown crossing(s) {', '.join(unknown)}")
        try:
            share = float(row["share"])
        except ValueError:
            raise DataError(f"{where}: share '{row['share']}' is not a number") from None
        if not 0 <= share <= 1:
            raise DataError(f"{where}: share must be from 0 to 1")
        modelled = sum(into.get(x, 0.0) for x in members) / total if total > 0 else None
        out.append(RevenueCheck(row["group"].strip(), row["name"].strip(), members, share, modelled,
                                row["year"].strip(), row["source"].strip(), basis))  # fmt: skip
    return out


# -- criticality under equilibrium -----------------------------------------------------------
#: Closure cases per chunk of ``criticality --assign`` (each is a whole equilibrium).
CASES_PER_CHUNK = 2


@dataclass(frozen=True)
class LoadedCriticalityRow:
    """Closing one crossing alone, re-solved as an equilibrium."""

    closed: str
    kind: str
    name: str
    extra_cost_usd: float
    flows_rerouted: int
    flows_lost: int
    tonnes_lost: float
    max_wait_increase_h: float
    max_wait_crossing: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the ``criticality --json`` case fields, and the queue effect)."""
        return dict(self.__dict__)


def flow_costs(problem: AssignProblem, sol: Solution) -> np.ndarray:
    """Mean generalized cost (USD/t) of each flow at the equilibrium; inf for a lost flow."""
    out = np.full(len(problem.flows), np.inf)
    for w, members in enumerate(sol.paths.of_flow):
        if not members:
            continue
        f, c = sol.tonnes[members], sol.cost[members]
        out[w] = float(f @ c / f.sum()) if f.sum() > 0 else float(c.min())
    return out


def flow_corridors(problem: AssignProblem, sol: Solution) -> list[dict[str, float]]:
    """Share of each flow on each corridor."""
    out: list[dict[str, float]] = []
    for members in sol.paths.of_flow:
        total = float(sol.tonnes[members].sum()) if members else 0.0
        shares: dict[str, float] = {}
        for p in members:
            name = corridor_name(problem, sol.paths.links[p])
            shares[name] = shares.get(name, 0.0) + (float(sol.tonnes[p]) / total if total > 0 else 0.0)
        out.append(shares)
    return out


@dataclass(frozen=True)
class LoadedCriticalityProblem:
    """The assignment problem and its baseline, as sent to every worker."""

    problem: AssignProblem
    base_cost: np.ndarray
    base_wait: np.ndarray
    base_split: tuple[dict[str, float], ...]


def loaded_case_damage(crit: LoadedCriticalityProblem, case_ids: Sequence[str]) -> np.ndarray:
    """Close each case alone and re-solve; per case: extra cost, lost, rerouted, tonnes lost, wait rise, its link.

    A pure function of its arguments (one chunk of a sweep).
    """
    problem = crit.problem
    tonnes = np.array([f.tonnes for f in problem.flows])
    routable = np.isfinite(crit.base_cost)
    out = np.zeros((len(case_ids), 6))
    for i, cid in enumerate(case_ids):
        sol = solve(problem, closed=frozenset([cid]))
        after = flow_costs(problem, sol)
        gone = routable & ~np.isfinite(after)
        kept = routable & np.isfinite(after)
        split = flow_corridors(problem, sol)
        moved = sum(
            1 for w in np.flatnonzero(kept)
            if sum(abs(split[w].get(k, 0.0) - crit.base_split[w].get(k, 0.0))
                   for k in set(split[w]) | set(crit.base_split[w])) > 1e-3
        )  # fmt: skip
        rise = sol.wait_h - crit.base_wait
        open_links = np.array([k[0] != cid for k in problem.links], dtype=bool)
        rise = np.where(open_links, rise, -np.inf)
        j = int(np.argmax(rise)) if len(rise) else -1
        out[i] = (
            float(((after - crit.base_cost) * tonnes)[kept].sum()),
            gone.sum(),
            moved,
            float(tonnes[gone].sum()),
            max(float(rise[j]), 0.0) if j >= 0 else 0.0,
            j if j >= 0 and rise[j] > 0 else -1,
        )
    return out


def criticality_assign_size(network: Network) -> int:
    """How many cases :func:`criticality_assign` solves (its ``progress`` counts up to this).

    Parameters
    ----------
    network
        The network.

    Returns
    -------
    int
        One case per crossing.

    """
    return len(network.data.crossings)


def criticality_assign(
    network: Network,
    flows: Sequence[Flow],
    *,
    params: AssignParams | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> list[LoadedCriticalityRow]:
    """Close each crossing alone and re-solve the equilibrium: the damage includes the queues it causes.

    Parameters
    ----------
    network
        The network.
    flows
        Origin–destination flows.
    params
        Assignment parameters (default from ``costs.toml``).
    progress
        Called with the number of cases done.
    client
        A ``dask.distributed.Client`` to spread the cases over; None runs in this process.
        The answer is the same either way (each case is a pure function of the problem).

    Returns
    -------
    list of LoadedCriticalityRow
        Ranked like :func:`corridors.risk.criticality`: flows lost, tonnes lost, extra cost.

    """
    params = params or AssignParams.from_network(network)
    problem = prepare(network, flows, params)
    base = solve(problem)
    crit = LoadedCriticalityProblem(
        problem, flow_costs(problem, base), base.wait_h, tuple(flow_corridors(problem, base))
    )
    data = network.data
    cases = sorted(data.crossings)
    chunks = [(cases[i : i + CASES_PER_CHUNK],) for i in range(0, len(cases), CASES_PER_CHUNK)]
    parts = map_chunks(client, loaded_case_damage, crit, chunks, progress, weight=lambda c: len(c[0]))
    damage = np.concatenate(parts) if parts else np.zeros((0, 6))
    rows = []
    for i, cid in enumerate(cases):
        extra, lost, moved, t_lost, rise, j = damage[i]
        rows.append(LoadedCriticalityRow(
            closed=cid, kind="crossing", name=data.crossings[cid].name, extra_cost_usd=float(extra),
            flows_rerouted=int(moved), flows_lost=int(lost), tonnes_lost=float(t_lost), max_wait_increase_h=float(rise),
            max_wait_crossing=":".join(problem.links[int(j)]) if j >= 0 else None,
        ))  # fmt: skip
    rows.sort(key=lambda r: (-r.flows_lost, -r.tonnes_lost, -r.extra_cost_usd, r.closed))
    return rows
