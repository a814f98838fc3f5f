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

import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import PathResult, Snapshot

if TYPE_CHECKING:
    from corridors.network import Network

#: Samples drawn per random stream; fixed so that results never depend on chunking.
CHUNK = 10_000
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
    places = snapshot.network.places
    o, d = places.place(origin), places.place(destination)
    return Endpoints(o.name, d.name, snapshot.nodes_of(o.id), snapshot.nodes_of(d.id))


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
    groups = rng.random((n, len(snapshot.group_ids))) < snapshot.group_prob
    own = rng.random((n, len(snapshot.crossing_ids))) < snapshot.crossing_prob
    by_group = np.zeros_like(own)
    member = snapshot.crossing_group >= 0
    by_group[:, member] = groups[:, snapshot.crossing_group[member]]
    return own.astype(np.uint8) | (by_group.astype(np.uint8) << 1)


def wait_hours(snapshot: Snapshot, state: np.ndarray) -> np.ndarray:
    """Hours each crossing stays closed in a state (0 where open)."""
    own = np.where(state & 1, snapshot.crossing_days * 24.0, 0.0)
    grp_days = np.where(snapshot.crossing_group >= 0, snapshot.group_days[np.maximum(snapshot.crossing_group, 0)], 0.0)
    group = np.where(state & 2, grp_days * 24.0, 0.0)
    return np.maximum(own, group)


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
    per_sample: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

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


def _stats(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {"mean": float("nan"), "p50": float("nan"), "p90": float("nan"), "p95": float("nan")}
    p50, p90, p95 = np.percentile(values, [50, 90, 95], method="inverted_cdf")
    return {"mean": float(values.mean()), "p50": float(p50), "p90": float(p90), "p95": float(p95)}


def chunk_sizes(samples: int) -> list[int]:
    """How many samples each random stream draws."""
    full, rest = divmod(samples, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


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
    model = network.cost_model(cargo)
    tonnes = model.profile.payload_t if tonnes is None else tonnes
    snapshot = Snapshot(network, model, objective)
    ends = endpoints(snapshot, origin, destination)
    base = snapshot.solve(ends.sources, ends.targets)
    if base is None:
        raise NoRouteError(f"no route from {ends.origin} to {ends.destination} even with every crossing open")

    streams = np.random.SeedSequence(seed).spawn(len(chunk_sizes(samples)))
    chunks = []
    done = 0
    for size, stream in zip(chunk_sizes(samples), streams, strict=True):
        chunks.append(draw_states(snapshot, np.random.default_rng(stream), size))
        done += size
        if progress:
            progress(done)
    states = np.concatenate(chunks)
    return summarize(snapshot, ends, base, states, seed=seed, wait=wait, tonnes=tonnes)


def summarize(
    snapshot: Snapshot, ends: Endpoints, base: PathResult, states: np.ndarray, *, seed: int, wait: bool, tonnes: float
) -> RiskResult:
    """Solve each distinct state once and summarise the samples."""
    unique, inverse = np.unique(states, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    chosen = [solve_state(snapshot, ends, s, wait) for s in unique]
    flexible = chosen if wait else [solve_state(snapshot, ends, s, True) for s in unique]
    base_set = {snapshot.crossing_ids.index(c) for c in base.crossings}
    committed = []
    for s in unique:
        hours = wait_hours(snapshot, s)
        extra = sum(hours[i] for i in base_set if s[i])
        committed.append(base.generalized + snapshot.vot * extra)

    n = len(states)
    has = np.array([r is not None for r in chosen])[inverse]
    cost = np.array([r.cost_per_t if r else np.nan for r in chosen])[inverse] * tonnes
    time = np.array([r.time_h if r else np.nan for r in chosen])[inverse]
    gen = np.array([r.generalized if r else np.nan for r in chosen])[inverse]
    counts = np.bincount(inverse, minlength=len(unique))
    crossing_use: Counter[str] = Counter()
    corridor_use: Counter[str] = Counter()
    link_use: Counter[str] = Counter()
    for r, k in zip(chosen, counts, strict=True):
        if r is None:
            continue
        for link in {snapshot.link_ids[snapshot.link[row]] for row in r.rows}:
            link_use[link] += int(k)
        for c in set(r.crossings):
            crossing_use[c] += int(k)
        corridor_use[" > ".join(r.crossings) or "(no crossing)"] += int(k)
    flex = np.array([r.generalized if r else np.nan for r in flexible])[inverse]
    committed_arr = np.array(committed)[inverse]
    return RiskResult(
        origin=ends.origin,
        destination=ends.destination,
        cargo=snapshot.model.profile.name,
        tonnes=tonnes,
        samples=n,
        seed=seed,
        wait=wait,
        distinct_states=len(unique),
        p_no_route=float(1 - has.mean()),
        cost_usd=_stats(cost[has]),
        time_h=_stats(time[has]),
        generalized_cost=_stats(gen[has]),
        crossing_use={c: v / n for c, v in sorted(crossing_use.items(), key=lambda kv: -kv[1])},
        corridor_use={c: v / n for c, v in corridor_use.most_common()},
        baseline={
            "crossings": list(base.crossings),
            "cost_usd": base.cost_per_t * tonnes,
            "time_h": base.time_h,
            "generalized_cost": base.generalized,
            "p_open": snapshot.p_open(base.crossings),
        },
        link_use={k: v / n for k, v in link_use.most_common()},
        committed_generalized_cost=float(committed_arr.mean()),
        rerouting_generalized_cost=float(np.nanmean(flex)) if np.isfinite(flex).any() else float("nan"),
        per_sample={"cost_usd": cost, "time_h": time, "generalized_cost": gen, "has_route": has},
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
    g_var = [i for i, p in enumerate(snap.group_prob) if 0 < p < 1]
    c_var = [i for i, p in enumerate(snap.crossing_prob) if 0 < p < 1]
    k = len(g_var) + len(c_var)
    if k > MAX_EXACT_VARIABLES:
        raise UsageError(f"exact enumeration needs 2^{k} states; at most {MAX_EXACT_VARIABLES} variables")
    total_p = no_route = gen = cost = time = 0.0
    n_states = 0
    for bits in itertools.product((0, 1), repeat=k):
        g_closed = snap.group_prob >= 1
        c_closed = snap.crossing_prob >= 1
        p = 1.0
        for b, i in zip(bits[: len(g_var)], g_var, strict=True):
            g_closed[i] = bool(b)
            p *= snap.group_prob[i] if b else 1 - snap.group_prob[i]
        for b, i in zip(bits[len(g_var) :], c_var, strict=True):
            c_closed[i] = bool(b)
            p *= snap.crossing_prob[i] if b else 1 - snap.crossing_prob[i]
        member = snap.crossing_group >= 0
        by_group = np.zeros(len(c_closed), dtype=bool)
        by_group[member] = g_closed[snap.crossing_group[member]]
        state = c_closed.astype(np.uint8) | (by_group.astype(np.uint8) << 1)
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


@dataclass(frozen=True)
class Flow:
    """One origin–destination flow of an OD demand file."""

    origin: str
    destination: str
    cargo: str
    tonnes_per_year: float


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


def criticality(
    network: Network,
    flows: Sequence[Flow],
    *,
    edges: bool = False,
    objective: str = "generalized",
    progress: Callable[[int], None] | None = None,
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
        Called with the number of cases done.

    Returns
    -------
    list of CriticalityRow
        Ranked: most flows lost first, then the largest extra cost. Flows with no route even
        with everything open are left out of the measure.

    """
    from corridors.places import PlaceIndex

    places = PlaceIndex(network.data)
    by_cargo: dict[str, list[tuple[str, str, float]]] = {}
    for f in flows:
        o, d = places.place(f.origin).id, places.place(f.destination).id
        by_cargo.setdefault(f.cargo, []).append((o, d, f.tonnes_per_year))

    cases: list[tuple[str, str, str]] = [
        ("crossing", c, network.data.crossings[c].name) for c in sorted(network.data.crossings)
    ]
    if edges:
        cases += [
            ("edge", e, f"{network.data.edges[e].from_id}-{network.data.edges[e].to_id}")
            for e in sorted(network.data.edges)
        ]
    extra = np.zeros(len(cases))
    lost = np.zeros(len(cases), dtype=np.int64)
    rerouted = np.zeros(len(cases), dtype=np.int64)
    tonnes_lost = np.zeros(len(cases))

    for cargo, od in by_cargo.items():
        snap = Snapshot(network, network.cost_model(cargo), objective)
        origins = sorted({o for o, _, _ in od})
        src_nodes = [snap.nodes_of(o) for o in origins]
        flat = [n for nodes in src_nodes for n in nodes]
        row_of = {}
        pos = 0
        for o, nodes in zip(origins, src_nodes, strict=True):
            row_of[o] = list(range(pos, pos + len(nodes)))
            pos += len(nodes)
        dest_nodes = {d: snap.nodes_of(d) for _, d, _ in od}

        def od_costs(dist: np.ndarray, od=od, row_of=row_of, dest_nodes=dest_nodes) -> np.ndarray:
            return np.array(
                [dist[np.ix_(row_of[o], dest_nodes[d])].min() if dest_nodes[d] else np.inf for o, d, _ in od]
            )

        if not flat:
            continue
        base_dist, _, _ = snap.distances(flat, snap.edge_weights()[0])
        base = od_costs(base_dist)
        tonnes = np.array([t for _, _, t in od])
        routable = np.isfinite(base)
        for i, (_kind, rec_id, _name) in enumerate(cases):
            mask = np.zeros(len(snap.link_ids), dtype=bool)
            if rec_id in snap.link_ids:
                mask[snap.link_ids.index(rec_id)] = True
            if not mask.any():
                continue
            dist, _, _ = snap.distances(flat, snap.edge_weights(closed_links=mask)[0])
            after = od_costs(dist)
            gone = routable & ~np.isfinite(after)
            moved = routable & np.isfinite(after) & (after > base + 1e-6)
            lost[i] += int(gone.sum())
            tonnes_lost[i] += float(tonnes[gone].sum())
            rerouted[i] += int(moved.sum())
            extra[i] += float(((after - base) * tonnes)[moved].sum())
            if progress:
                progress(i + 1)
    rows = [
        CriticalityRow(closed=rec_id, kind=kind, name=name, extra_cost_usd=float(extra[i]),
                       flows_rerouted=int(rerouted[i]), flows_lost=int(lost[i]), tonnes_lost=float(tonnes_lost[i]))
        for i, (kind, rec_id, name) in enumerate(cases)
    ]  # fmt: skip
    rows.sort(key=lambda r: (-r.flows_lost, -r.tonnes_lost, -r.extra_cost_usd, r.closed))
    return rows
