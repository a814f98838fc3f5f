"""Criticality: close each crossing (or edge) alone and rank the damage over the demand.

The damage of a case is the extra cost of every flow of an origin–destination file
(:mod:`corridors.demand`), weighted by tonnes, and the flows that lose every route. Each
cargo profile's flows are solved on one CSR snapshot (:mod:`corridors.fastpath`); a case whose
closed link lies on no baseline path of any flow is known without solving. The cases run in
chunks, in this process or on a Dask cluster (:mod:`corridors.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.cluster import map_chunks
from corridors.costs import LOSS_OBJECTIVES
from corridors.demand import Flow
from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import Snapshot
from corridors.places import PlaceIndex

if TYPE_CHECKING:
    from corridors.network import Network


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
        part = map_chunks(client, case_damage, problem, chunks, report, weight=lambda c: len(c[0]))
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
