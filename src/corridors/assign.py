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
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.demand import Flow
from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import Snapshot
from corridors.queues import QueueParams, load_capacities, queue_wait, utilisation

if TYPE_CHECKING:
    from corridors.network import Network

#: Equilibria :func:`assign` can find.
METHODS: tuple[str, ...] = ("sue", "ue")
#: The relative gap below which an assignment counts as converged, by default.
DEFAULT_GAP = 1e-4
#: Iterations at most, by default.
DEFAULT_MAX_ITERATIONS = 2000
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


def prepare(network: Network, flows: Sequence[Flow], params: AssignParams) -> AssignProblem:
    """Freeze the network once per cargo profile of the flows and resolve their places.

    Raises
    ------
    UnknownPlaceError
        If a flow names an unknown place.
    NoRouteError
        If a flow's place is on no open link.

    """
    from corridors.places import PlaceIndex

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
                raise NoRouteError(f"flow {f.origin} -> {f.destination}: {network.data.places[pid].name} is on no open link")
            nodes.append(tuple(snaps[f.cargo].index[n] for n in ends))
        specs.append(FlowSpec(o, d, f.cargo, cargos.index(f.cargo), f.tonnes_per_year, f.value_usd, nodes[0], nodes[1]))
    return AssignProblem(tuple(links), capacity, hours, tuple(classes), tuple(specs), params)


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


def _shortest(problem: AssignProblem, w: int, weights: list[np.ndarray]) -> list[int] | None:
    f = problem.flows[w]
    found = problem.classes[f.klass].snapshot.shortest_rows(list(f.sources), list(f.targets), weights[f.klass])
    return None if found is None or not math.isfinite(found[0]) else found[1]


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
    qp = params.queue
    m = len(problem.links)
    paths = _Paths(of_flow=[[] for _ in problem.flows])
    zero = np.zeros(m)
    weights = [_row_weights(problem, k, zero, closed) for k in range(len(problem.classes))]
    lost = []
    for w in range(len(problem.flows)):
        rows = _shortest(problem, w, weights)
        if rows is None:
            lost.append(w)
            continue
        paths.add(problem, w, rows)
        if params.method == "sue":
            _alternatives(problem, paths, w, rows, weights)
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
        wait, _ = queue_wait(v, problem.capacity, problem.hours, qp)
        weights = [_row_weights(problem, k, wait, closed) for k in range(len(problem.classes))]
        grew = False
        for w in range(len(problem.flows)):
            if w in lost:
                continue
            rows = _shortest(problem, w, weights)
            if rows is not None:
                _, new = paths.add(problem, w, rows)
                grew |= new
        if grew or len(arr.fixed) != len(paths.flow) or not np.array_equal(arr.fixed, np.array(paths.fixed)):
            arr = _arrays(problem, paths)
            f = np.r_[f, np.zeros(len(paths.flow) - len(f))]
        cost = arr.fixed + arr.vot * (arr.count @ wait)
        if params.method == "ue":
            gap = _ue_gap(f, cost, arr, len(problem.flows))
            if gap < params.gap:
                break
            for _ in range(INNER_SWEEPS):
                f = _gp_sweep(problem, paths, arr, f)
        else:
            y = _logit(arr, cost, params.theta, len(problem.flows))
            res = float(np.abs(y - f).sum() / max(arr_demand_total(problem, lost), 1e-300))
            gap = res
            if res < params.gap:
                break
            beta += 1.5 if res >= last_res else 0.05
            last_res = res
            f = f + (y - f) / beta
        if progress:
            progress(it, gap)
    v = f @ arr.vehicles
    wait, _ = queue_wait(v, problem.capacity, problem.hours, qp)
    cost = arr.fixed + arr.vot * (arr.count @ wait)
    return Solution(paths, f, v, wait, cost, it, float(gap), bool(gap < params.gap), tuple(lost))


def arr_demand_total(problem: AssignProblem, lost: Sequence[int]) -> float:
    """Tonnes a year of the flows that have a route."""
    return float(sum(f.tonnes for i, f in enumerate(problem.flows) if i not in lost))


def _alternatives(problem: AssignProblem, paths: _Paths, w: int, rows: list[int], weights: list[np.ndarray]) -> None:
    """Add the cheapest path with each crossing of ``rows`` banned in turn (alternative corridors)."""
    k = problem.flows[w].klass
    c = problem.classes[k]
    for link in dict.fromkeys(int(x) for x in c.row_link[rows] if x >= 0):
        ww = weights[k].copy()
        ww[c.row_link == link] = np.inf
        found = c.snapshot.shortest_rows(list(problem.flows[w].sources), list(problem.flows[w].targets), ww)
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
    qp = problem.params.queue
    f = f.copy()
    v = f @ arr.vehicles
    for w, members in enumerate(paths.of_flow):
        if len(members) < 2:
            continue
        idx = np.array(members)
        wait, dwait = queue_wait(v, problem.capacity, problem.hours, qp)
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
            wait, dwait = queue_wait(v, problem.capacity, problem.hours, qp)
            cost = arr.fixed[idx] + arr.vot[idx] * (arr.count[idx] @ wait)
    return f
