"""Corridor risk under random border closures: Monte Carlo over closure states.

Closure model: each closure group closes with its probability (all of its crossings at once)
and each crossing closes independently with its own; a sample is one such state. A closed
crossing is impassable, or with ``wait`` passable after waiting out its mean closure duration
(the group's when the group closed it; the longer of the two when both did), so each sample
chooses to wait or to detour. Identical states are solved once on a CSR snapshot
(:mod:`corridors.fastpath`). Random numbers come from ``numpy.random.SeedSequence(seed)``,
spawned once per chunk of :data:`CHUNK` samples, so results do not depend on how chunks are
scheduled. Samples are counted in a compact :class:`Tally` (arrays per distinct state, states
packed 2 bits per crossing), which chunks and cluster tasks return and merge with numpy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import PathResult, Snapshot
from corridors.overlay import Overlay

if TYPE_CHECKING:
    from corridors.network import Network

#: Samples drawn per random stream; fixed so that results never depend on chunking.
CHUNK = 10_000
#: Closure states whose outcome a process keeps for later chunks (a state that recurs is solved once).
MAX_CACHED_STATES = 200_000


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
    tally: Tally | None = field(default=None, repr=False, compare=False)

    @cached_property
    def outcomes(self) -> dict[bytes, StateOutcome]:
        """The outcome of every distinct closure state (key: the state's bytes), built when first asked."""
        return {} if self.tally is None else self.tally.outcomes()

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


#: Crossings per packed key word (2 bits each: a state value is 0 to 3).
_PER_WORD = 32


def pack_states(states: np.ndarray) -> np.ndarray:
    """Pack closure states (uint8 0-3 per crossing) into uint64 words, 2 bits per crossing.

    The first crossing takes the top bits of the first word, so the words compare in the
    order of the states' bytes.

    Raises
    ------
    ValueError
        If a value does not fit in 2 bits.

    """
    n, width = states.shape
    if width and int(states.max(initial=0)) > 3:
        raise ValueError("closure states hold 0 to 3 per crossing")
    words = -(-width // _PER_WORD)
    padded = np.zeros((n, words * _PER_WORD), dtype=np.uint8)
    padded[:, :width] = states
    # four crossings a byte (the first in the top bits), eight bytes a word read big-endian, so
    # the words compare as the bytes do: a fifth of the work of shifting every crossing in uint64
    q = padded.reshape(n, words * 8, 4)
    byte = (q[:, :, 0] << 6) | (q[:, :, 1] << 4) | (q[:, :, 2] << 2) | q[:, :, 3]
    return np.ascontiguousarray(byte).view(">u8").astype(np.uint64).reshape(n, words)


def unpack_states(words: np.ndarray, width: int) -> np.ndarray:
    """The closure states of :func:`pack_states` back as uint8 per crossing."""
    n = len(words)
    shifts = np.arange(62, -1, -2, dtype=np.uint64)
    bits = (words[:, :, None] >> shifts) & np.uint64(3)
    return bits.reshape(n, -1)[:, :width].astype(np.uint8)


def _sort_key(words: np.ndarray, width: int) -> np.ndarray | None:
    """One uint64 per row ordered as the rows' words, or None when the rows need a lexsort.

    Up to 32 crossings it is the word itself; up to 64, the dense rank of the first word
    shifted over the bits the second one uses. Rows already sorted stay sorted, so sorting
    a concatenation of sorted tallies merges runs.
    """
    if words.shape[1] <= 1:
        return words[:, 0] if words.shape[1] else np.zeros(len(words), dtype=np.uint64)
    if words.shape[1] > 2:
        return None
    lo_bits = 2 * (width - _PER_WORD)
    hi = words[:, 0]
    order = np.argsort(hi, kind="stable")
    sorted_hi = hi[order]
    rank = np.empty(len(hi), dtype=np.uint64)
    rank[order] = np.cumsum(np.r_[False, sorted_hi[1:] != sorted_hi[:-1]], dtype=np.uint64)
    if len(hi) >= 1 << (64 - lo_bits):
        return None
    return (rank << np.uint64(lo_bits)) | (words[:, 1] >> np.uint64(64 - lo_bits))


def _unique_rows(words: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Order of the rows by their states' bytes (stable), and where each run of equal rows starts."""
    key = _sort_key(words, width)
    if key is None:
        order = np.lexsort(words.T[::-1])
        s = words[order]
        new = np.r_[True, (s[1:] != s[:-1]).any(axis=1)] if len(s) else np.zeros(0, dtype=bool)
    else:
        order = np.argsort(key, kind="stable")
        s = key[order]
        new = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
    return order, np.flatnonzero(new)


@dataclass
class Tally:
    """Samples counted by closure state, as arrays: one row per distinct state.

    ``words`` holds the states packed (:func:`pack_states`; ``width`` crossings), ``counts``
    how often each was drawn, ``route`` the index of its chosen path in ``routes`` (a path
    shared by many states is stored once), ``flexible`` and ``committed`` the generalized
    cost of rerouting with waiting allowed and of keeping the baseline route. A few arrays
    pickle and merge fast (a cluster task returns one), unlike an object per state.
    """

    words: np.ndarray
    width: int
    counts: np.ndarray
    route: np.ndarray
    flexible: np.ndarray
    committed: np.ndarray
    routes: list[PathResult | None] = field(default_factory=list)

    @classmethod
    def empty(cls, width: int) -> Tally:
        """A tally of no samples, for states of ``width`` crossings."""
        z, i = np.zeros(0), np.zeros(0, dtype=np.int64)
        return cls(np.zeros((0, -(-width // _PER_WORD)), dtype=np.uint64), width, i, i, z, z)

    @property
    def samples(self) -> int:
        """Number of samples counted."""
        return int(self.counts.sum())

    @property
    def keys(self) -> np.ndarray:
        """The states, uint8 per crossing."""
        return unpack_states(self.words, self.width)

    @classmethod
    def merge(cls, tallies: Sequence[Tally]) -> Tally:
        """One tally of all samples: states sorted by their bytes, equal states counted together.

        Paths equal in value are stored once; the outcome of a state is the same in every
        tally that holds it (a pure function of the state).
        """
        tallies = [t for t in tallies if len(t.counts)] or list(tallies[:1])
        if not tallies:
            return cls.empty(0)
        slot: dict[PathResult | None, int] = {}
        routes: list[PathResult | None] = []
        remapped = []
        for t in tallies:
            local = np.empty(len(t.routes), dtype=np.int64)
            for i, r in enumerate(t.routes):
                j = slot.get(r)
                if j is None:
                    j = slot[r] = len(routes)
                    routes.append(r)
                local[i] = j
            remapped.append(local[t.route])
        width = tallies[0].width
        words = np.concatenate([t.words for t in tallies])
        counts = np.concatenate([t.counts for t in tallies])
        order, starts = _unique_rows(words, width)
        first = order[starts]
        used, route = np.unique(np.concatenate(remapped)[first], return_inverse=True)  # paths some state takes
        return cls(
            words=words[first],
            width=width,
            counts=np.add.reduceat(counts[order], starts) if len(starts) else counts[:0],
            route=route.astype(np.int64).reshape(-1),
            flexible=np.concatenate([t.flexible for t in tallies])[first],
            committed=np.concatenate([t.committed for t in tallies])[first],
            routes=[routes[i] for i in used.tolist()],
        )

    def add(self, other: Tally) -> None:
        """Add another tally's samples to this one."""
        self.__dict__.update(Tally.merge([self, other]).__dict__)

    def key_bytes(self) -> list[bytes]:
        """Each state's bytes (the key of :attr:`RiskResult.outcomes`)."""
        keys = np.ascontiguousarray(self.keys)
        width = self.width
        return keys.view(np.dtype((np.void, width))).ravel().tolist() if width else [b""] * len(keys)

    def outcomes(self) -> dict[bytes, StateOutcome]:
        """The outcome of each state, by its bytes."""
        return {
            k: StateOutcome(self.routes[r], f, c)
            for k, r, f, c in zip(self.key_bytes(), self.route.tolist(), self.flexible.tolist(),
                                  self.committed.tolist(), strict=True)
        }  # fmt: skip


@dataclass(frozen=True)
class RiskProblem:
    """Everything a chunk needs: the snapshot, the endpoints, the baseline and the rules.

    ``cache`` keeps the outcome of every state solved in this process (a worker keeps its own),
    so a state that recurs in many chunks is solved once per process: its path, flexible and
    committed generalized cost.
    """

    snapshot: Snapshot
    ends: Endpoints
    base: PathResult
    wait: bool
    cache: dict[bytes, tuple[PathResult | None, float, float]] = field(default_factory=dict, compare=False, repr=False)
    #: Lookups and hits of ``cache`` in this process.
    cache_stats: list[int] = field(default_factory=lambda: [0, 0], compare=False, repr=False)
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
    routes, which, flexible, committed = solve_states(problem, states)
    return [
        StateOutcome(route=routes[r], flexible_generalized=f, committed_generalized=c)
        for r, f, c in zip(which.tolist(), flexible.tolist(), committed.tolist(), strict=True)
    ]


def _indexed(results: list[PathResult | None]) -> tuple[list[PathResult | None], np.ndarray]:
    """Distinct paths (by identity) and the index of each result's."""
    slot: dict[int, int] = {}
    routes: list[PathResult | None] = []
    which = np.empty(len(results), dtype=np.int64)
    for i, r in enumerate(results):
        j = slot.get(id(r))
        if j is None:
            j = slot[id(r)] = len(routes)
            routes.append(r)
        which[i] = j
    return routes, which


def solve_states(
    problem: RiskProblem, states: np.ndarray
) -> tuple[list[PathResult | None], np.ndarray, np.ndarray, np.ndarray]:
    """Solve a batch of closure states, as arrays.

    Returns
    -------
    tuple
        The distinct chosen paths, the index of each state's path among them, and per state
        the generalized cost of rerouting with waiting allowed (nan without a route) and of
        keeping the baseline route (waiting at its closed crossings).

    """
    snap, ends, base = problem.snapshot, problem.ends, problem.base
    hours = snap.closures.wait_hours(states)
    if problem.overlay is not None:
        routes, which = problem.overlay.solve_indexed(states, problem.wait, hours)
        f_routes, f_which = (routes, which) if problem.wait else problem.overlay.solve_indexed(states, True, hours)
    else:
        routes, which = _indexed([solve_state(snap, ends, s, problem.wait) for s in states])
        f_routes, f_which = (
            (routes, which) if problem.wait else _indexed([solve_state(snap, ends, s, True) for s in states])
        )
    flexible = np.array([r.generalized if r is not None else np.nan for r in f_routes], dtype=float)[f_which]
    base_idx = [snap.crossing_ids.index(c) for c in sorted(set(base.crossings))]
    extra = np.zeros(len(states))
    for c in base_idx:  # added one crossing at a time, in this order (as a sum per state would)
        extra = extra + np.where(states[:, c] > 0, hours[:, c], 0.0)
    committed = base.generalized + snap.vot * extra
    return routes, which, flexible, committed


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
    width = states.shape[1]
    packed = pack_states(states)
    order, starts = _unique_rows(packed, width)
    keys = states[order[starts]]
    words = packed[order[starts]]
    counts = np.diff(np.r_[starts, len(order)]).astype(np.int64)
    cache, stats = problem.cache, problem.cache_stats
    # states that rarely recur are not worth a lookup (or a place) each: stop once the cache
    # is full, or has been asked about 5 chunks of states, and fewer than 1 in 100 lookups hit
    # (the answer is the same either way)
    asked_enough = len(cache) >= MAX_CACHED_STATES or stats[0] >= 5 * CHUNK
    use_cache = not (asked_enough and stats[1] * 100 < stats[0])
    names: list[bytes] = []
    if use_cache:
        names = keys.view(np.dtype((np.void, width))).ravel().tolist() if width else [b""] * len(keys)
    missing = [i for i, k in enumerate(names) if k not in cache] if use_cache else list(range(len(keys)))
    if use_cache:
        stats[0] += len(keys)
        stats[1] += len(keys) - len(missing)
    route = np.empty(len(keys), dtype=np.int64)
    flexible = np.empty(len(keys))
    committed = np.empty(len(keys))
    routes: list[PathResult | None] = []
    if missing:
        routes, which, flex, comm = solve_states(problem, keys if len(missing) == len(keys) else keys[missing])
        route[missing], flexible[missing], committed[missing] = which, flex, comm
        room = max(MAX_CACHED_STATES - len(cache), 0) if use_cache else 0
        for i, r, f, c in zip(missing[:room], which[:room].tolist(), flex[:room].tolist(), comm[:room].tolist(),
                              strict=False):  # fmt: skip
            cache[names[i]] = (routes[r], f, c)
    if len(missing) < len(keys):
        solved = np.zeros(len(keys), dtype=bool)
        solved[missing] = True
        hit = np.flatnonzero(~solved)
        found = [cache[names[i]] for i in hit.tolist()]
        flexible[hit] = [f for _, f, _ in found]
        committed[hit] = [c for _, _, c in found]
        slot = {id(r): j for j, r in enumerate(routes)}
        index = []
        for r, _, _ in found:
            j = slot.get(id(r))
            if j is None:
                j = slot[id(r)] = len(routes)
                routes.append(r)
            index.append(j)
        route[hit] = index
    return Tally(words, width, counts, route, flexible, committed, routes)


def run_chunks(problem: RiskProblem, chunks: Sequence[tuple[int, np.random.SeedSequence]]) -> Tally:
    """Run several chunks and merge their tallies (one task on a cluster)."""
    return Tally.merge([run_chunk(problem, size, stream) for size, stream in chunks])


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
    return summarize(problem, Tally.merge(tallies), seed=seed, tonnes=tonnes)


def _weighted_stats(
    values: np.ndarray, counts: np.ndarray, distinct: np.ndarray | None = None, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Mean and inverted-CDF percentiles of values repeated ``counts`` times.

    With ``distinct`` (the values the states take, e.g. one per route) and ``weights`` (how
    many samples take each), the percentiles come from those few values; the answer is the
    same, since a percentile only depends on how many samples lie at or below each value.
    """
    n = counts.sum()
    if n == 0:
        return {"mean": float("nan"), "p50": float("nan"), "p90": float("nan"), "p95": float("nan")}
    if distinct is None or weights is None:
        distinct, weights = values, counts
    order = np.argsort(distinct, kind="stable")
    v, c = distinct[order], weights[order]
    cum = np.cumsum(c)
    out = {"mean": float(np.dot(values, counts) / n)}
    for q, key in ((0.5, "p50"), (0.9, "p90"), (0.95, "p95")):
        out[key] = float(v[np.searchsorted(cum, q * n, side="left")])
    return out


def summarize(problem: RiskProblem, tally: Tally, *, seed: int, tonnes: float) -> RiskResult:
    """Summarise counted samples (a tally from :meth:`Tally.merge`).

    States are taken in a fixed order (sorted bytes, as :meth:`Tally.merge` leaves them), so
    the numbers never depend on how the samples were split into chunks or spread over workers.
    """
    snap, ends, base = problem.snapshot, problem.ends, problem.base
    counts = tally.counts
    n = int(counts.sum())
    # many states share one route: measure each distinct route once
    routes, which = tally.routes, tally.route
    r_has = np.array([r is not None for r in routes], dtype=bool)
    r_cost = np.array([r.cost_per_t * tonnes if r else np.nan for r in routes])
    r_time = np.array([r.time_h if r else np.nan for r in routes])
    r_gen = np.array([r.generalized if r else np.nan for r in routes])
    has, cost, time, gen = r_has[which], r_cost[which], r_time[which], r_gen[which]
    flex = tally.flexible
    committed = tally.committed
    per_route = np.bincount(which, weights=counts, minlength=len(routes)).astype(np.int64)  # exact below 2**53
    crossing_use: Counter[str] = Counter()
    corridor_use: Counter[str] = Counter()
    link_use: Counter[str] = Counter()
    for route, k in zip(routes, per_route.tolist(), strict=True):
        if route is None:
            continue
        for link in {snap.link_ids[snap.link[row]] for row in route.rows}:
            link_use[link] += k
        for c in set(route.crossings):
            crossing_use[c] += k
        corridor_use[" > ".join(route.crossings) or "(no crossing)"] += k
    ok = np.isfinite(flex)
    return RiskResult(
        origin=ends.origin,
        destination=ends.destination,
        cargo=snap.model.profile.name,
        tonnes=tonnes,
        samples=n,
        seed=seed,
        wait=problem.wait,
        distinct_states=len(tally.counts),
        p_no_route=float(counts[~has].sum() / n),
        cost_usd=_weighted_stats(cost[has], counts[has], r_cost[r_has], per_route[r_has]),
        time_h=_weighted_stats(time[has], counts[has], r_time[r_has], per_route[r_has]),
        generalized_cost=_weighted_stats(gen[has], counts[has], r_gen[r_has], per_route[r_has]),
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
        tally=tally,
    )
