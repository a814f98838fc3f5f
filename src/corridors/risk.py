"""Corridor risk under random border closures, exact enumeration, and criticality.

Closure model: each closure group closes with its probability (all of its crossings at once)
and each crossing closes independently with its own; a sample is one such state. A closed
crossing is impassable, or with ``wait`` passable after waiting out its mean closure duration
(the group's when the group closed it; the longer of the two when both did), so each sample
chooses to wait or to detour. Identical states are solved once on a CSR snapshot
(:mod:`corridors.fastpath`). Random numbers come from ``numpy.random.SeedSequence(seed)``,
spawned once per chunk of :data:`CHUNK` samples, so results do not depend on how chunks are
scheduled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.cluster import map_chunks
from corridors.costs import LOSS_OBJECTIVES
from corridors.demand import Flow
from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import PathResult, Snapshot
from corridors.overlay import Overlay
from corridors.places import PlaceIndex

if TYPE_CHECKING:
    from corridors.network import Network

#: Samples drawn per random stream; fixed so that results never depend on chunking.
CHUNK = 10_000
#: Closure states whose outcome a process keeps for later chunks (a state that recurs is solved once).
MAX_CACHED_STATES = 200_000
#: Enumerating more uncertain variables than this is refused (2^k states).
MAX_EXACT_VARIABLES = 20


@dataclass(frozen=True)
class Endpoints:
    """Snapshot node indexes of an origin and a destination."""

    origin: str
    destination: str
    sources: list[int]
    targets: list[int]


def endpoints(snapshot: Snapshot, origin: str, destination: str) -> Endpoints:
    """Resolve two place names to snapshot nodes.

    Raises
    ------
    UnknownPlaceError
        If a name matches no place.

    """
    net = snapshot.network
    if net is None:
        raise RuntimeError("a pickled snapshot carries no network: resolve places before sending it")
    (_, o_name, o_nodes), (_, d_name, d_nodes) = net.resolve_endpoint(origin), net.resolve_endpoint(destination)
    return Endpoints(o_name, d_name, [snapshot.index[n] for n in o_nodes], [snapshot.index[n] for n in d_nodes])


def draw_states(snapshot: Snapshot, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` closure states: uint8 per crossing, 0 open, bit 1 own closure, bit 2 group.

    Parameters
    ----------
    snapshot
        Carries the probabilities.
    rng
        Random generator (one per chunk).
    n
        Number of samples.

    Returns
    -------
    numpy.ndarray of shape (n, number of crossings)

    """
    return snapshot.closures.draw(rng, n)


def wait_hours(snapshot: Snapshot, state: np.ndarray) -> np.ndarray:
    """Hours each crossing stays closed in a state (0 where open)."""
    return snapshot.closures.wait_hours(state)


def solve_state(snapshot: Snapshot, ends: Endpoints, state: np.ndarray, wait: bool) -> PathResult | None:
    """Best path in one closure state."""
    closed = state > 0
    return snapshot.solve(ends.sources, ends.targets, closed, wait_hours(snapshot, state) if wait else None)


@dataclass
class RiskResult:
    """Monte Carlo summary of one origin–destination pair (see README, ``risk``)."""

    origin: str
    destination: str
    cargo: str
    tonnes: float
    samples: int
    seed: int
    wait: bool
    distinct_states: int
    p_no_route: float
    cost_usd: dict[str, float]
    time_h: dict[str, float]
    generalized_cost: dict[str, float]
    crossing_use: dict[str, float]
    corridor_use: dict[str, float]
    baseline: dict[str, Any]
    committed_generalized_cost: float
    rerouting_generalized_cost: float
    link_use: dict[str, float] = field(default_factory=dict)
    distribution: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    outcomes: dict[bytes, StateOutcome] = field(default_factory=dict, repr=False)

    @property
    def value_of_flexibility(self) -> float:
        """Expected generalized cost saved (USD/t) by rerouting instead of waiting on the baseline."""
        return self.committed_generalized_cost - self.rerouting_generalized_cost

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "origin": self.origin, "destination": self.destination, "cargo": self.cargo,
            "tonnes": self.tonnes, "samples": self.samples, "seed": self.seed, "wait": self.wait,
            "distinct_states": self.distinct_states, "p_no_route": self.p_no_route,
            "cost_usd": self.cost_usd, "time_h": self.time_h,
            "generalized_cost": self.generalized_cost, "crossing_use": self.crossing_use,
            "corridor_use": self.corridor_use, "baseline": self.baseline,
            "committed_generalized_cost": self.committed_generalized_cost,
            "rerouting_generalized_cost": self.rerouting_generalized_cost,
            "value_of_flexibility": self.value_of_flexibility,
        }  # fmt: skip


def chunk_sizes(samples: int) -> list[int]:
    """How many samples each random stream draws."""
    full, rest = divmod(samples, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


@dataclass(frozen=True)
class StateOutcome:
    """What one closure state leads to: the chosen path, and the two strategies compared."""

    route: PathResult | None
    flexible_generalized: float
    committed_generalized: float


@dataclass
class Tally:
    """Samples counted by closure state (the key is the state's bytes), with each outcome."""

    counts: dict[bytes, int] = field(default_factory=dict)
    outcomes: dict[bytes, StateOutcome] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        """Number of samples counted."""
        return sum(self.counts.values())

    def add(self, other: Tally) -> None:
        """Add another tally's counts (outcomes of the same state are the same)."""
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
            self.outcomes.setdefault(key, other.outcomes[key])


@dataclass(frozen=True)
class RiskProblem:
    """Everything a chunk needs: the snapshot, the endpoints, the baseline and the rules.

    ``cache`` keeps the outcome of every state solved in this process (a worker keeps its own),
    so a state that recurs in many chunks is solved once per process.
    """

    snapshot: Snapshot
    ends: Endpoints
    base: PathResult
    wait: bool
    cache: dict[bytes, StateOutcome] = field(default_factory=dict, compare=False, repr=False)
    overlay: Overlay | None = field(default=None, compare=False, repr=False)


def prepare(
    network: Network,
    origin: str,
    destination: str,
    *,
    cargo: str = "general",
    objective: str = "generalized",
    wait: bool = False,
) -> RiskProblem:
    """Freeze the network and solve the baseline (every crossing open).

    Raises
    ------
    NoRouteError
        If there is no route even with every crossing open.

    """
    snapshot = Snapshot(network, network.cost_model(cargo), objective)
    ends = endpoints(snapshot, origin, destination)
    base = snapshot.solve(ends.sources, ends.targets)
    if base is None:
        raise NoRouteError(f"no route from {ends.origin} to {ends.destination} even with every crossing open")
    # the overlay solves states exactly; reliability with closure groups needs one solve per group set
    exact_overlay = objective != "reliability" or not snapshot.group_ids
    overlay = Overlay(snapshot, ends.sources, ends.targets) if exact_overlay else None
    return RiskProblem(snapshot, ends, base, wait, overlay=overlay)


def outcome(problem: RiskProblem, state: np.ndarray) -> StateOutcome:
    """Solve one closure state: chosen path, rerouting with waiting allowed, committed baseline."""
    return outcomes(problem, state[None, :])[0]


def outcomes(problem: RiskProblem, states: np.ndarray) -> list[StateOutcome]:
    """Solve a batch of closure states (on the overlay when there is one)."""
    snap, ends, base = problem.snapshot, problem.ends, problem.base
    if problem.overlay is not None:
        chosen = problem.overlay.solve(states, problem.wait)
        flexible = chosen if problem.wait else problem.overlay.solve(states, True)
    else:
        chosen = [solve_state(snap, ends, s, problem.wait) for s in states]
        flexible = chosen if problem.wait else [solve_state(snap, ends, s, True) for s in states]
    base_idx = [snap.crossing_ids.index(c) for c in sorted(set(base.crossings))]
    hours = snap.closures.wait_hours(states)
    out = []
    for i, state in enumerate(states):
        extra = sum(hours[i, c] for c in base_idx if state[c])
        flex = flexible[i]
        out.append(
            StateOutcome(
                route=chosen[i],
                flexible_generalized=flex.generalized if flex else float("nan"),
                committed_generalized=base.generalized + snap.vot * extra,
            )
        )
    return out


def chunk_streams(seed: int, samples: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(size, stream)`` per chunk: chunk ``i`` always draws from ``SeedSequence(seed).spawn(...)[i]``."""
    sizes = chunk_sizes(samples)
    return list(zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes)), strict=True))


def chunk_states(problem: RiskProblem, size: int, stream: np.random.SeedSequence) -> np.ndarray:
    """The closure states of one chunk."""
    return draw_states(problem.snapshot, np.random.default_rng(stream), size)


def run_chunk(problem: RiskProblem, size: int, stream: np.random.SeedSequence) -> Tally:
    """Draw one chunk of samples and solve each distinct state once.

    A pure function of its arguments: the same chunk gives the same tally wherever it runs.
    """
    states = np.ascontiguousarray(chunk_states(problem, size, stream))
    rows = states.view(np.dtype((np.void, states.shape[1]))).ravel()  # one opaque key per sample
    keys, first, counts = np.unique(rows, return_index=True, return_counts=True)
    tally = Tally()
    byte_keys = [key.tobytes() for key in keys]
    missing = [j for j, k in enumerate(byte_keys) if k not in problem.cache]
    solved = dict(zip(missing, outcomes(problem, states[first[missing]]), strict=True)) if missing else {}
    for j, (k, n) in enumerate(zip(byte_keys, counts, strict=True)):
        tally.counts[k] = int(n)
        found = solved.get(j) or problem.cache[k]
        if j in solved and len(problem.cache) < MAX_CACHED_STATES:
            problem.cache[k] = found
        tally.outcomes[k] = found
    return tally


def run_chunks(problem: RiskProblem, chunks: Sequence[tuple[int, np.random.SeedSequence]]) -> Tally:
    """Run several chunks and add up their tallies (one task on a cluster)."""
    total = Tally()
    for size, stream in chunks:
        total.add(run_chunk(problem, size, stream))
    return total


def simulate(
    network: Network,
    origin: str,
    destination: str,
    *,
    samples: int = 10_000,
    seed: int = 0,
    wait: bool = False,
    cargo: str = "general",
    tonnes: float | None = None,
    objective: str = "generalized",
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> RiskResult:
    """Monte Carlo over closure states for one origin–destination pair.

    Parameters
    ----------
    network
        The network (with any scenario applied).
    origin, destination
        Place names.
    samples
        Number of closure states to draw (positive).
    seed
        Seed of the ``SeedSequence``; the same seed gives the same numbers.
    wait
        Let a sample wait out a closed crossing instead of only detouring.
    cargo, tonnes, objective
        As for :meth:`corridors.network.Network.route`.
    progress
        Called with the number of samples done after each chunk.
    client
        A ``dask.distributed.Client`` to spread the chunks over (see :mod:`corridors.cluster`);
        None runs in this process. The result is the same either way.

    Returns
    -------
    RiskResult

    Raises
    ------
    UsageError
        For a non-positive sample count or a negative seed.
    NoRouteError
        If there is no route even with every crossing open.

    """
    if samples < 1:
        raise UsageError(f"--samples must be at least 1, not {samples}")
    if seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {seed}")
    problem = prepare(network, origin, destination, cargo=cargo, objective=objective, wait=wait)
    tonnes = problem.snapshot.model.profile.payload_t if tonnes is None else tonnes
    chunks = chunk_streams(seed, samples)
    if client is not None:
        from corridors.cluster import (  # deferred: dask.distributed (via corridors.cluster), only for sweeps on a cluster
            batches,
            map_chunks,
        )

        groups = batches(chunks, client)
        tallies = map_chunks(client, run_chunks, problem, [(g,) for g in groups], progress,
                             weight=lambda args: sum(size for size, _ in args[0]))  # fmt: skip
    else:
        tallies, done = [], 0
        for size, stream in chunks:
            tallies.append(run_chunk(problem, size, stream))
            done += size
            if progress:
                progress(done)
    total = Tally()
    for t in tallies:
        total.add(t)
    return summarize(problem, total, seed=seed, tonnes=tonnes)


def _weighted_stats(values: np.ndarray, counts: np.ndarray) -> dict[str, float]:
    """Mean and inverted-CDF percentiles of values repeated ``counts`` times."""
    n = counts.sum()
    if n == 0:
        return {"mean": float("nan"), "p50": float("nan"), "p90": float("nan"), "p95": float("nan")}
    order = np.argsort(values, kind="stable")
    v, c = values[order], counts[order]
    cum = np.cumsum(c)
    out = {"mean": float(np.dot(values, counts) / n)}
    for q, key in ((0.5, "p50"), (0.9, "p90"), (0.95, "p95")):
        out[key] = float(v[np.searchsorted(cum, q * n, side="left")])
    return out


def summarize(problem: RiskProblem, tally: Tally, *, seed: int, tonnes: float) -> RiskResult:
    """Summarise counted samples.

    States are taken in a fixed order (sorted bytes), so the numbers never depend on how the
    samples were split into chunks or spread over workers.
    """
    snap, ends, base = problem.snapshot, problem.ends, problem.base
    keys = sorted(tally.counts)
    counts = np.array([tally.counts[k] for k in keys], dtype=np.int64)
    outs = [tally.outcomes[k] for k in keys]
    n = int(counts.sum())
    has = np.array([o.route is not None for o in outs])
    cost = np.array([o.route.cost_per_t * tonnes if o.route else np.nan for o in outs])
    time = np.array([o.route.time_h if o.route else np.nan for o in outs])
    gen = np.array([o.route.generalized if o.route else np.nan for o in outs])
    flex = np.array([o.flexible_generalized for o in outs])
    committed = np.array([o.committed_generalized for o in outs])
    crossing_use: Counter[str] = Counter()
    corridor_use: Counter[str] = Counter()
    link_use: Counter[str] = Counter()
    for o, k in zip(outs, counts, strict=True):
        if o.route is None:
            continue
        for link in {snap.link_ids[snap.link[row]] for row in o.route.rows}:
            link_use[link] += int(k)
        for c in set(o.route.crossings):
            crossing_use[c] += int(k)
        corridor_use[" > ".join(o.route.crossings) or "(no crossing)"] += int(k)
    ok = np.isfinite(flex)
    return RiskResult(
        origin=ends.origin,
        destination=ends.destination,
        cargo=snap.model.profile.name,
        tonnes=tonnes,
        samples=n,
        seed=seed,
        wait=problem.wait,
        distinct_states=len(keys),
        p_no_route=float(counts[~has].sum() / n),
        cost_usd=_weighted_stats(cost[has], counts[has]),
        time_h=_weighted_stats(time[has], counts[has]),
        generalized_cost=_weighted_stats(gen[has], counts[has]),
        crossing_use={c: v / n for c, v in sorted(crossing_use.items(), key=lambda kv: (-kv[1], kv[0]))},
        corridor_use={c: v / n for c, v in sorted(corridor_use.items(), key=lambda kv: (-kv[1], kv[0]))},
        baseline={
            "crossings": list(base.crossings),
            "cost_usd": base.cost_per_t * tonnes,
            "time_h": base.time_h,
            "generalized_cost": base.generalized,
            "p_open": snap.p_open(base.crossings),
        },
        link_use={k: v / n for k, v in sorted(link_use.items(), key=lambda kv: (-kv[1], kv[0]))},
        committed_generalized_cost=float(np.dot(committed, counts) / n),
        rerouting_generalized_cost=float(np.dot(flex[ok], counts[ok]) / counts[ok].sum()) if ok.any() else float("nan"),
        distribution={"generalized_cost": gen[has], "cost_usd": cost[has], "time_h": time[has], "count": counts[has]},
        outcomes={k: o for k, o in zip(keys, outs, strict=True)},
    )


@dataclass(frozen=True)
class ExactResult:
    """Exact expectation over every closure state (small networks only)."""

    states: int
    p_no_route: float
    expected_generalized_cost: float
    expected_cost_per_t: float
    expected_time_h: float


def exact(
    network: Network,
    origin: str,
    destination: str,
    *,
    wait: bool = False,
    cargo: str = "general",
    objective: str = "generalized",
) -> ExactResult:
    """Enumerate every closure state with its probability (the oracle for :func:`simulate`).

    Expectations are conditional on a route existing. Variables: each closure group and each
    crossing whose probability lies strictly between 0 and 1.

    Raises
    ------
    UsageError
        If there are more than :data:`MAX_EXACT_VARIABLES` uncertain variables.

    """
    model = network.cost_model(cargo)
    snap = Snapshot(network, model, objective)
    ends = endpoints(snap, origin, destination)
    g_var, c_var = snap.closures.uncertain()
    k = len(g_var) + len(c_var)
    if k > MAX_EXACT_VARIABLES:
        raise UsageError(f"exact enumeration needs 2^{k} states; at most {MAX_EXACT_VARIABLES} variables")
    total_p = no_route = gen = cost = time = 0.0
    n_states = 0
    for p, state in snap.closures.states():
        r = solve_state(snap, ends, state, wait)
        n_states += 1
        total_p += p
        if r is None:
            no_route += p
            continue
        gen += p * r.generalized
        cost += p * r.cost_per_t
        time += p * r.time_h
    ok = total_p - no_route
    return ExactResult(
        states=n_states,
        p_no_route=float(no_route),
        expected_generalized_cost=float(gen / ok) if ok > 0 else float("nan"),
        expected_cost_per_t=float(cost / ok) if ok > 0 else float("nan"),
        expected_time_h=float(time / ok) if ok > 0 else float("nan"),
    )


@dataclass
class CriticalityRow:
    """Effect of closing one crossing or edge alone on every flow."""

    closed: str
    kind: str
    name: str
    extra_cost_usd: float
    flows_rerouted: int
    flows_lost: int
    tonnes_lost: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return dict(self.__dict__)


#: Closure cases solved per chunk (one task on a cluster).
CASES_PER_CHUNK = 8


@dataclass(frozen=True)
class CriticalityProblem:
    """One cargo's share of a criticality sweep: the snapshot, its flows and baseline costs.

    ``used`` marks the links (``snapshot.link_ids`` order) on a baseline path of some flow
    (:meth:`corridors.fastpath.Snapshot.least_path_links`); closing any other link changes no
    flow's cost, so such a case is known without solving. None solves every case.
    """

    snapshot: Snapshot
    flows: tuple[tuple[str, str, float], ...]
    sources: tuple[int, ...]
    rows_of: dict[str, tuple[int, ...]]
    targets_of: dict[str, tuple[int, ...]]
    base: np.ndarray
    used: np.ndarray | None = None

    def od_costs(self, dist: np.ndarray) -> np.ndarray:
        """Least cost of every flow, from a source-by-node distance matrix."""
        return np.array([
            dist[np.ix_(self.rows_of[o], self.targets_of[d])].min() if self.targets_of[d] else np.inf
            for o, d, _ in self.flows
        ])  # fmt: skip


def criticality_cases(network: Network, edges: bool) -> list[tuple[str, str, str]]:
    """``(kind, id, name)`` of every crossing (and edge) to close, in a fixed order."""
    data = network.data
    cases = [("crossing", c, data.crossings[c].name) for c in sorted(data.crossings)]
    if edges:
        cases += [("edge", e, f"{data.edges[e].from_id}-{data.edges[e].to_id}") for e in sorted(data.edges)]
    return cases


def criticality_size(network: Network, flows: Sequence[Flow], edges: bool) -> int:
    """How many cases :func:`criticality` solves: each closure once per cargo profile of the flows.

    Parameters
    ----------
    network
        The network.
    flows
        The demand.
    edges
        Whether edges are closed too.

    Returns
    -------
    int
        The total its ``progress`` callback counts up to.

    """
    return len(criticality_cases(network, edges)) * len({f.cargo for f in flows})


def criticality_problems(
    network: Network, flows: Sequence[Flow], objective: str, *, skip_untouched: bool = True
) -> list[CriticalityProblem]:
    """Freeze the network once per cargo profile and solve the baseline of its flows.

    With ``skip_untouched`` the links on the baseline paths are marked too (see
    :class:`CriticalityProblem`), so that cases off every baseline path are not solved.

    Raises
    ------
    UnknownPlaceError
        If a flow names an unknown place.

    """
    places = PlaceIndex(network.data)
    by_cargo: dict[str, list[tuple[str, str, float]]] = {}
    for f in flows:
        o, d = places.place(f.origin).id, places.place(f.destination).id
        for pid in (o, d):
            if not network.endpoint_nodes(pid):
                raise NoRouteError(
                    f"demand flow {f.origin} -> {f.destination}: {network.data.places[pid].name} is on no open link "
                    "of the network, so the flow has no route even before any closure"
                )
        by_cargo.setdefault(f.cargo, []).append((o, d, f.tonnes_per_year))
    out = []
    for cargo in sorted(by_cargo):
        od = by_cargo[cargo]
        snap = Snapshot(network, network.cost_model(cargo), objective)
        rows_of: dict[str, tuple[int, ...]] = {}
        sources: list[int] = []
        for o in sorted({o for o, _, _ in od}):
            nodes = snap.nodes_of(o)
            rows_of[o] = tuple(range(len(sources), len(sources) + len(nodes)))
            sources += nodes
        if not sources:
            continue
        targets_of = {d: tuple(snap.nodes_of(d)) for _, d, _ in od}
        problem = CriticalityProblem(snap, tuple(od), tuple(sources), rows_of, targets_of, np.zeros(0))
        dist = snap.least_distances(list(sources))
        used = None
        if skip_untouched:
            used = snap.least_path_links(list(sources), [(rows_of[o], targets_of[d]) for o, d, _ in od])
        out.append(replace(problem, base=problem.od_costs(dist), used=used))
    return out


def case_damage(problem: CriticalityProblem, case_ids: Sequence[str]) -> np.ndarray:
    """Close each case alone; return per case: extra cost, flows lost, flows rerouted, tonnes lost.

    A pure function of its arguments (one chunk of a sweep).
    """
    snap = problem.snapshot
    tonnes = np.array([t for _, _, t in problem.flows])
    routable = np.isfinite(problem.base)
    out = np.zeros((len(case_ids), 4))
    lidx = {k: i for i, k in enumerate(snap.link_ids)}
    for i, rec_id in enumerate(case_ids):
        link = lidx.get(rec_id)
        if link is None or (problem.used is not None and not problem.used[link]):
            continue  # on no baseline path: every flow keeps its baseline cost
        mask = np.zeros(len(snap.link_ids), dtype=bool)
        mask[link] = True
        dist = snap.least_distances(list(problem.sources), mask)
        after = problem.od_costs(dist)
        gone = routable & ~np.isfinite(after)
        moved = routable & np.isfinite(after) & (after > problem.base + 1e-6)
        out[i] = (
            float(((after - problem.base) * tonnes)[moved].sum()),
            gone.sum(),
            moved.sum(),
            float(tonnes[gone].sum()),
        )
    return out


def criticality(
    network: Network,
    flows: Sequence[Flow],
    *,
    edges: bool = False,
    objective: str = "generalized",
    progress: Callable[[int], None] | None = None,
    client: Any = None,
    skip_untouched: bool = True,
) -> list[CriticalityRow]:
    """Close each crossing (and with ``edges`` each edge) alone and measure the damage.

    The damage is the extra generalized cost over the flows, weighted by tonnes, and the
    flows that lose every route.

    Parameters
    ----------
    network
        The network.
    flows
        Origin–destination demand.
    edges
        Also close every road and rail edge.
    objective
        What routes minimise (the extra cost is measured in that objective's unit x tonnes).
    progress
        Called with the number of cases done so far, out of :func:`criticality_size`.
    client
        A ``dask.distributed.Client`` to spread the cases over; None runs in this process.
    skip_untouched
        Leave unsolved the cases whose closed link is on no baseline path of any flow (their
        answer is the baseline); False solves every case (same rows, the check of the skip).

    Returns
    -------
    list of CriticalityRow
        Ranked: most flows lost first, then the largest extra cost. Flows with no route even
        with everything open are left out of the measure.

    """
    if objective not in LOSS_OBJECTIVES:
        raise UsageError(
            f"criticality measures damage per tonne: choose one of {', '.join(LOSS_OBJECTIVES)}, not {objective!r}"
        )
    cases = criticality_cases(network, edges)
    problems = criticality_problems(network, flows, objective, skip_untouched=skip_untouched)
    groups = [list(range(i, min(i + CASES_PER_CHUNK, len(cases)))) for i in range(0, len(cases), CASES_PER_CHUNK)]
    chunks = [([cases[i][1] for i in g],) for g in groups]
    parts: list[np.ndarray] = []
    for n, problem in enumerate(problems):
        offset = n * len(cases)
        report = None if progress is None else (lambda done, offset=offset: progress(offset + done))
        if client is not None:
            part = map_chunks(client, case_damage, problem, chunks, report, weight=lambda c: len(c[0]))
        else:
            part, done = [], 0
            for (ids,) in chunks:
                part.append(case_damage(problem, ids))
                done += len(ids)
                if report:
                    report(done)
        parts.append(np.concatenate(part) if part else np.zeros((0, 4)))
    damage = np.sum(parts, axis=0) if parts else np.zeros((len(cases), 4))
    extra, lost, rerouted, tonnes_lost = damage[:, 0], damage[:, 1], damage[:, 2], damage[:, 3]
    rows = [
        CriticalityRow(closed=rec_id, kind=kind, name=name, extra_cost_usd=float(extra[i]),
                       flows_rerouted=int(rerouted[i]), flows_lost=int(lost[i]), tonnes_lost=float(tonnes_lost[i]))
        for i, (kind, rec_id, name) in enumerate(cases)
    ]  # fmt: skip
    rows.sort(key=lambda r: (-r.flows_lost, -r.tonnes_lost, -r.extra_cost_usd, r.closed))
    return rows
