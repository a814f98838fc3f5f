"""Criticality: close each crossing (or edge) alone and rank the damage over the demand.

The damage of a case is the extra cost of every flow of an origin–destination file
(:mod:`corridors.demand`), weighted by tonnes, and the flows that lose every route. Each
cargo profile's flows are solved on one CSR snapshot (:mod:`corridors.fastpath`); a case whose
closed link lies on no baseline path of any flow is known without solving, and a case that
closes some re-solves only the flows whose baseline path it closes, on the baseline's collapsed
matrix with that link's node pairs re-priced (several cases per Dijkstra call). The cases run
in chunks, in this process or on a Dask cluster (:mod:`corridors.cluster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridors.cluster import map_chunks
from corridors.costs import LOSS_OBJECTIVES
from corridors.demand import Flow
from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import Snapshot, path_engine
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
CASES_PER_CHUNK = 32
#: Distance cells (sources x nodes) one Dijkstra call of several closure cases may return.
BLOCK_CELLS = 1_000_000


@dataclass(frozen=True)
class CriticalityProblem:
    """One cargo's share of a criticality sweep: the snapshot, its flows and baseline costs.

    ``used`` marks the links (``snapshot.link_ids`` order) on a baseline path of some flow
    (:meth:`corridors.fastpath.Snapshot.least_path_links`); closing any other link changes no
    flow's cost, so such a case is known without solving. ``flow_links`` marks them per flow
    (shape flows x links): a case re-solves only the flows whose baseline path it closes,
    from their origins only, on the baseline's collapsed matrix with the closed link's node
    pairs re-priced. None for both solves every case in full (the check of the skip).
    """

    snapshot: Snapshot
    flows: tuple[tuple[str, str, float], ...]
    sources: tuple[int, ...]
    rows_of: dict[str, tuple[int, ...]]
    targets_of: dict[str, tuple[int, ...]]
    base: np.ndarray
    used: np.ndarray | None = None
    flow_links: np.ndarray | None = None
    _reuse: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def od_costs(self, dist: np.ndarray) -> np.ndarray:
        """Least cost of every flow, from a source-by-node distance matrix."""
        return np.array([
            dist[np.ix_(self.rows_of[o], self.targets_of[d])].min() if self.targets_of[d] else np.inf
            for o, d, _ in self.flows
        ])  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the matrices a process builds for itself (see :meth:`closed_costs`)."""
        return self.__dict__ | {"_reuse": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled problem (frozen: set the fields directly)."""
        self.__dict__.update(state)

    def reuse(self) -> dict[str, Any]:
        """What this process builds once for every case: link positions, collapsed matrices."""
        built = self._reuse.get("built")
        if built is None:
            snap = self.snapshot
            pairs = snap.pairs
            pair_of_row = np.empty(len(pairs.order), dtype=np.int64)
            pair_of_row[pairs.order] = pairs.gid
            n = len(snap.nodes)
            link_order = np.argsort(snap.link, kind="stable")
            made: dict[str, Any] = {
                "link_index": {k: i for i, k in enumerate(snap.link_ids)},
                "pair_of_row": pair_of_row,
                "base": [
                    (w, charge, csr_matrix((pairs.least(w), pairs.indices, pairs.indptr), shape=(n, n)))
                    for w, charge in snap.objective_weights()
                ],
                "link_order": link_order,
                "link_bounds": np.searchsorted(snap.link[link_order], np.arange(len(snap.link_ids) + 1)),
            }
            built = self._reuse.setdefault("built", made)  # one winner if threads race
        return built

    def closed_costs(self, links: Sequence[int], hits: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Least cost of every flow with each link closed alone, re-solving only the flows hit.

        Parameters
        ----------
        links
            Link of each case (``snapshot.link_ids`` order).
        hits
            Per case, boolean per flow: the flows whose baseline path uses the link. The other
            flows keep their baseline cost.

        Returns
        -------
        list of numpy.ndarray
            Per case, the least cost of every flow.

        Notes
        -----
        Per weight set of :meth:`~corridors.fastpath.Snapshot.objective_weights` the collapsed
        matrix is built once per process; a case re-prices the node pairs of the closed link's
        rows from their other rows and runs Dijkstra from the hit flows' origins only (each
        source's row as in a full solve, so the same numbers). Several cases share one call:
        their matrices side by side as the blocks of one block-diagonal matrix, as many as
        keep the distance output under :data:`BLOCK_CELLS`.

        """
        snap = self.snapshot
        pairs, reuse = snap.pairs, self.reuse()
        n = len(snap.nodes)
        cases = []
        for link, hit in zip(links, hits, strict=True):
            flows = np.flatnonzero(hit).tolist()
            positions = [p for o in sorted({self.flows[k][0] for k in flows}) for p in self.rows_of[o]]
            lo, hi = reuse["link_bounds"][link], reuse["link_bounds"][link + 1]
            touched = np.unique(reuse["pair_of_row"][reuse["link_order"][lo:hi]]).tolist()
            cases.append((link, flows, positions, touched))
        out: list[np.ndarray] = []
        start = 0
        while start < len(cases):
            stop, width = start, 0
            while stop < len(cases) and (
                stop == start or (width + len(cases[stop][2])) * (stop + 1 - start) * n <= BLOCK_CELLS
            ):
                width += len(cases[stop][2])
                stop += 1
            out += self._solve_block(cases[start:stop], pairs, reuse, n)
            start = stop
        return out

    def _solve_block(
        self, cases: list[tuple[int, list[int], list[int], list[int]]], pairs: Any, reuse: dict[str, Any], n: int
    ) -> list[np.ndarray]:
        """Solve a few cases in one Dijkstra call on a block-diagonal matrix (one block per case)."""
        snap = self.snapshot
        k = len(cases)
        sources = [self.sources[p] + j * n for j, (_, _, positions, _) in enumerate(cases) for p in positions]
        best: np.ndarray | None = None
        for w, charge, matrix in reuse["base"]:
            nnz = len(matrix.data)
            data = np.tile(matrix.data, k)
            for j, (link, _, _, touched) in enumerate(cases):
                for g in touched:
                    rows = pairs.order[pairs.bounds[g] : pairs.bounds[g + 1]]
                    rows = rows[snap.link[rows] != link]
                    data[j * nnz + g] = w[rows].min() if len(rows) else np.inf
            if k == 1:
                block = csr_matrix((data, matrix.indices, matrix.indptr), shape=(n, n))
            else:
                indices = (np.tile(matrix.indices, k) + np.repeat(np.arange(k) * n, nnz)).astype(np.int32)
                indptr = np.r_[0, np.tile(matrix.indptr[1:], k) + np.repeat(np.arange(k) * nnz, n)].astype(np.int32)
                block = csr_matrix((data, indices, indptr), shape=(k * n, k * n))
            dist = np.atleast_2d(dijkstra(block, directed=True, indices=sources)) + charge
            best = dist if best is None else np.minimum(best, dist)
        assert best is not None
        out = []
        row = 0
        for j, (_, flows, positions, _) in enumerate(cases):
            dist = best[row : row + len(positions), j * n : (j + 1) * n]
            local = {p: i for i, p in enumerate(positions)}
            row += len(positions)
            after = self.base.copy()
            for f in flows:
                o, d, _ = self.flows[f]
                rows = [local[p] for p in self.rows_of[o]]
                after[f] = dist[np.ix_(rows, self.targets_of[d])].min() if self.targets_of[d] else np.inf
            out.append(after)
        return out


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
    engine = path_engine(network)  # one pricing engine for every cargo's snapshot (an OSM network: its table)
    for cargo in sorted(by_cargo):
        od = by_cargo[cargo]
        snap = Snapshot(network, network.cost_model(cargo), objective, engine=engine)
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
        used = flow_links = None
        if skip_untouched:
            flow_links = snap.least_path_links_of(list(sources), [(rows_of[o], targets_of[d]) for o, d, _ in od])
            used = flow_links.any(axis=0)
        out.append(replace(problem, base=problem.od_costs(dist), used=used, flow_links=flow_links))
    return out


def case_damage(problem: CriticalityProblem, case_ids: Sequence[str]) -> np.ndarray:
    """Close each case alone; return per case: extra cost, flows lost, flows rerouted, tonnes lost.

    A pure function of its arguments (one chunk of a sweep).
    """
    snap = problem.snapshot
    tonnes = np.array([t for _, _, t in problem.flows])
    routable = np.isfinite(problem.base)
    out = np.zeros((len(case_ids), 4))
    lidx = problem.reuse()["link_index"]
    todo: list[tuple[int, int, np.ndarray | None]] = []
    for i, rec_id in enumerate(case_ids):
        link = lidx.get(rec_id)
        if link is None or (problem.used is not None and not problem.used[link]):
            continue  # on no baseline path: every flow keeps its baseline cost
        hit = None if problem.flow_links is None else problem.flow_links[:, link]
        if hit is None or hit.any():
            todo.append((i, link, hit))
    if problem.flow_links is not None:
        solved = problem.closed_costs([link for _, link, _ in todo], [hit for _, _, hit in todo])  # type: ignore[misc]
    else:
        solved = []
        for _, link, _ in todo:
            mask = np.zeros(len(snap.link_ids), dtype=bool)
            mask[link] = True
            solved.append(problem.od_costs(snap.least_distances(list(problem.sources), mask)))
    for (i, _, _), after in zip(todo, solved, strict=True):
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
