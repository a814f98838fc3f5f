"""Closure states solved on an overlay: shortest paths between the few edges a closure touches.

Only crossing edges that can close (their own or their group's probability above 0) change
from one closure state to the next. :class:`Overlay` removes them, solves the rest of the
network once (Dijkstra from the origin and from every endpoint of a removed edge), and keeps
the distances between those endpoints: a dense ``k x k`` matrix ``D`` whose entries are
shortest paths on the certain part of the network. Every path of the full network is a chain
of certain segments (entries of ``D``) and uncertain edges, so a weighting of the uncertain
edges is solved exactly by a Bellman–Ford relaxation over them, for a whole batch at once
(numpy, no Python loop per state). A batch of states walks a best-first tree over the sets of
closed edges (:meth:`Overlay.solve`): only the tree's nodes are relaxed, one batch per level,
and most states end on a node already solved. Paths are rebuilt from predecessor pointers,
each certain segment once (cached), so a state's measures (cost, time, distance, crossings,
rows) are the same as solving the full network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from corridors.fastpath import PathResult

if TYPE_CHECKING:
    from corridors.fastpath import Snapshot

#: Distinct paths whose result is kept (many states share one path), and tree nodes kept.
_MAX_PATHS = 100_000
#: Weightings relaxed together (bounds the ``batch x nodes x edges`` work array to ~64 MiB).
_BATCH_CELLS = 8_000_000
#: Distances from keys computed per Dijkstra call, in cells (keys x nodes: ~32 MiB).
_DIJKSTRA_CELLS = 4_000_000


@dataclass(frozen=True)
class _Segment:
    rows: tuple[int, ...]
    cost: float
    time: float
    dist: float


class Overlay:
    """The certain part of a snapshot solved once, for exact solves of many closure states.

    Parameters
    ----------
    snapshot
        The network as arrays (weights of one cargo and objective).
    sources, targets
        Snapshot nodes a route may start and end on.

    """

    def __init__(self, snapshot: Snapshot, sources: list[int], targets: list[int]) -> None:
        snap = self.snap = snapshot
        cm = snap.closures
        grp = np.where(cm.crossing_group >= 0, cm.group_prob[np.maximum(cm.crossing_group, 0)], 0.0)
        can_close = (cm.crossing_prob > 0) | (grp > 0)
        crossing = snap.crossing
        self.rows = np.flatnonzero((crossing >= 0) & can_close[np.maximum(crossing, 0)])
        self.row_crossing = crossing[self.rows]
        w0 = snap.weight.copy()
        w0[self.rows] = np.inf
        matrix, self._best_rows = snap._collapse(w0)
        keys = np.unique(np.r_[snap.u[self.rows], snap.v[self.rows]]).astype(np.int64)
        self.keys = keys
        where = {int(n): i for i, n in enumerate(keys)}
        self.ru = np.array([where[int(n)] for n in snap.u[self.rows]], dtype=np.int64)
        self.rv = np.array([where[int(n)] for n in snap.v[self.rows]], dtype=np.int64)
        self.rw = snap.weight[self.rows]
        self.targets = np.asarray(targets, dtype=np.int64)
        # distances from every key, a few keys per Dijkstra call: only the columns of the keys
        # and targets are kept (not a keys x nodes matrix); a key's predecessors are found
        # again, once, when a path through it is rebuilt (:meth:`_pred_of`)
        self._matrix = matrix
        self._pred_k: dict[int, np.ndarray] = {}
        n = len(snap.nodes)
        self.D = np.empty((len(keys), len(keys)))
        to_t = np.empty((len(keys), len(self.targets)))
        step = max(1, _DIJKSTRA_CELLS // max(n, 1))
        for lo in range(0, len(keys), step):
            dk = np.atleast_2d(dijkstra(matrix, directed=True, indices=keys[lo : lo + step]))
            self.D[lo : lo + step] = dk[:, keys]
            to_t[lo : lo + step] = dk[:, self.targets]
        ds, self._pred_s, _ = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
        self.d0 = ds[keys]
        self.to_t_arg = np.argmin(to_t, axis=1) if to_t.shape[1] else np.zeros(len(keys), dtype=np.int64)
        self.to_t = to_t.min(axis=1) if to_t.shape[1] else np.full(len(keys), np.inf)
        direct = ds[self.targets]
        self.direct_arg = int(np.argmin(direct)) if len(direct) else -1
        self.direct = float(direct.min()) if len(direct) else np.inf
        self._segments: dict[tuple[int, int, int], _Segment] = {}
        self._results: dict[tuple, PathResult] = {}
        #: tree nodes solved: (wait, closed edges with hours) -> (least path, its edges not closed there)
        self._nodes: dict[tuple[bool, tuple[tuple[int, float], ...]], tuple[PathResult | None, np.ndarray]] = {}

    # -- solving -------------------------------------------------------------------------
    def row_weights(self, states: np.ndarray, wait: bool) -> tuple[np.ndarray, np.ndarray]:
        """Weight and waiting hours of each uncertain edge in each state, shape (states, edges)."""
        closed = states[:, self.row_crossing] > 0
        w = np.broadcast_to(self.rw, closed.shape).copy()
        waits = np.zeros(closed.shape)
        if wait:
            hours = self.snap.closures.wait_hours(states)[:, self.row_crossing]
            waits = np.where(closed, hours, 0.0)
            w += waits * self.snap.wait_weight
        else:
            w[closed] = np.inf
        return w, waits

    def distances(self, states: np.ndarray, wait: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Relax a batch of states: least weight to each key node and the edge it came by.

        Returns
        -------
        tuple of (distance (S, k), predecessor edge (S, k; -1 = certain path from the
        origin), edge weights (S, R), waiting hours (S, R))

        """
        rw, waits = self.row_weights(states, wait)
        d, pred = self.relax(rw)
        return d, pred, rw, waits

    def relax(self, rw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bellman–Ford over the uncertain edges for a batch of edge weight vectors.

        Parameters
        ----------
        rw
            Weight of each uncertain edge (``inf`` = closed), shape (batch, edges).

        Returns
        -------
        tuple of (distance (batch, k), predecessor edge (batch, k; -1 = certain path from the
        origin))

        """
        n_states, k = len(rw), len(self.keys)
        d = np.broadcast_to(self.d0, (n_states, k)).copy()
        pred = np.full((n_states, k), -1, dtype=np.int64)
        if not len(self.rows):
            return d, pred
        through = np.ascontiguousarray(self.D[self.rv].T)  # (k, R): from the head of each edge to every key
        step = max(1, _BATCH_CELLS // max(1, len(self.rows) * k))
        for lo in range(0, n_states, step):
            sl = slice(lo, lo + step)
            ds, ps, ws = d[sl], pred[sl], rw[sl]
            active = np.ones(len(ds), dtype=bool)
            for _ in range(len(self.rows) + 1):
                idx = np.flatnonzero(active)
                if not len(idx):
                    break
                cand = ds[idx][:, self.ru] + ws[idx]  # (s, R)
                reach = cand[:, None, :] + through[None, :, :]  # (s, k, R): edges last, for a fast argmin
                arg = np.argmin(reach, axis=2)
                best = np.take_along_axis(reach, arg[:, :, None], axis=2)[:, :, 0]
                better = best < ds[idx]
                changed = better.any(axis=1)
                sub_d, sub_p = ds[idx], ps[idx]
                sub_d[better] = best[better]
                sub_p[better] = arg[better]
                ds[idx], ps[idx] = sub_d, sub_p
                active[idx[~changed]] = False
        return d, pred

    def solve(self, states: np.ndarray, wait: bool) -> list[PathResult | None]:
        """Best path of every state in a batch (as :meth:`Snapshot.solve` would give); see :meth:`solve_indexed`."""
        routes, which = self.solve_indexed(states, wait)
        return [routes[i] for i in which.tolist()]

    def solve_indexed(
        self, states: np.ndarray, wait: bool, hours: np.ndarray | None = None
    ) -> tuple[list[PathResult | None], np.ndarray]:
        """Best path of every state in a batch: the distinct paths, and the index of each state's.

        ``hours`` may pass the states' ``closures.wait_hours`` when the caller has them.

        A best-first tree over sets of closed uncertain edges, walked with the states. A node
        ``B`` (edges closed, with their waiting hours) has a least path ``P_B`` under the weights
        of ``B`` (every other edge open), solved once and cached. A state at the node agrees with
        ``B`` on the edges of ``B`` and weighs at least as much everywhere else, so if it closes
        no other edge of ``P_B``, ``P_B`` is also its least path; if it does, it goes to the child
        ``B`` plus the first such edge (with its hours), which it still agrees with. Each level of
        the tree is solved as one batch (:meth:`relax`), so the work follows the number of nodes,
        not of states. Exact as :meth:`solve_relaxed` (up to ties between equal-weight paths).
        """
        n = len(states)
        routes: list[PathResult | None] = []
        slot: dict[int, int] = {}

        def index(result: PathResult | None) -> int:
            j = slot.get(id(result))
            if j is None:
                j = slot[id(result)] = len(routes)
                routes.append(result)
            return j

        if not n or not len(self.rows):
            return routes, np.array([index(r) for r in self.solve_relaxed(states, wait)], dtype=np.int64)
        out = np.empty(n, dtype=np.int64)
        closed = states[:, self.row_crossing] > 0
        if wait:
            all_hours = self.snap.closures.wait_hours(states) if hours is None else hours
            hours = np.where(closed, all_hours[:, self.row_crossing], 0.0)
        else:
            hours = np.zeros(closed.shape)
        idx = np.arange(n)  # states still walking the tree
        nid = np.zeros(n, dtype=np.int64)  # the node of each, in this level's ``bans``
        bans: list[tuple[tuple[int, float], ...]] = [()]
        while len(idx):
            nodes = self._solve_nodes(bans, wait)
            width = max(1, max(len(free) for _, free in nodes))
            path = np.full((len(bans), width), -1, dtype=np.int64)  # edges not closed at the node, in path order
            for i, (_, free) in enumerate(nodes):
                path[i, : len(free)] = free
            on = path[nid]
            hit_rows = closed[idx[:, None], np.maximum(on, 0)] & (on >= 0)
            hit = hit_rows.any(axis=1)
            results = np.full(len(bans), -1, dtype=np.int64)  # paths of the nodes some state ends on
            for i in np.unique(nid[~hit]).tolist():
                results[i] = index(nodes[i][0])
            out[idx[~hit]] = results[nid[~hit]]
            idx, nid, on, hit_rows = idx[hit], nid[hit], on[hit], hit_rows[hit]
            if not len(idx):
                break
            first = on[np.arange(len(idx)), np.argmax(hit_rows, axis=1)]
            h = hours[idx, first]
            order = np.lexsort((h, first, nid))
            idx, nid, first, h = idx[order], nid[order], first[order], h[order]
            starts = np.flatnonzero(np.r_[True, (np.diff(nid) != 0) | (np.diff(first) != 0) | (np.diff(h) != 0)])
            children: dict[tuple[tuple[int, float], ...], int] = {}
            child_of = np.empty(len(starts), dtype=np.int64)
            for g, lo in enumerate(starts.tolist()):
                child = tuple(sorted((*bans[nid[lo]], (int(first[lo]), float(h[lo])))))
                child_of[g] = children.setdefault(child, len(children))
            nid = np.repeat(child_of, np.diff(np.r_[starts, len(idx)]))
            bans = list(children)
        return routes, out

    def _solve_nodes(
        self, bans: list[tuple[tuple[int, float], ...]], wait: bool
    ) -> list[tuple[PathResult | None, np.ndarray]]:
        """Least path of each tree node and its edges not closed there (the uncached in one batch)."""
        nodes = {ban: self._nodes[(wait, ban)] for ban in bans if (wait, ban) in self._nodes}
        missing = [ban for ban in bans if ban not in nodes]
        if not missing:
            return [nodes[ban] for ban in bans]
        rw = np.broadcast_to(self.rw, (len(missing), len(self.rows))).copy()
        waits = np.zeros(rw.shape)
        for i, ban in enumerate(missing):
            for r, h in ban:
                if wait:
                    waits[i, r] = h
                else:
                    rw[i, r] = np.inf
        if wait:
            rw += waits * self.snap.wait_weight
        d, pred = self.relax(rw)
        for ban, (result, hops) in zip(missing, self._pick(d, pred, waits), strict=True):
            banned = {r for r, _ in ban}
            free = np.array([r for r in reversed(hops) if r not in banned], dtype=np.int64)
            nodes[ban] = (result, free)
            if len(self._nodes) < _MAX_PATHS:
                self._nodes[(wait, ban)] = (result, free)
        return [nodes[ban] for ban in bans]

    def solve_relaxed(self, states: np.ndarray, wait: bool) -> list[PathResult | None]:
        """Best path of every state in a batch, each state relaxed on its own weights (reference)."""
        d, pred, _, waits = self.distances(states, wait)
        return [result for result, _ in self._pick(d, pred, waits)]

    def _pick(
        self, d: np.ndarray, pred: np.ndarray, waits: np.ndarray
    ) -> list[tuple[PathResult | None, tuple[int, ...]]]:
        """Best path of each relaxed row and its uncertain edges (overlay indexes, last first)."""
        n_states = len(d)
        via = d + self.to_t[None, :] if len(self.keys) else np.full((n_states, 0), np.inf)
        out: list[tuple[PathResult | None, tuple[int, ...]]] = []
        if via.shape[1]:
            js = np.argmin(via, axis=1)
            totals = via[np.arange(n_states), js]
        else:
            js = np.full(n_states, -1)
            totals = np.full(n_states, np.inf)
        for s in range(n_states):
            j, total = int(js[s]), float(totals[s])
            if self.direct <= total:
                if not np.isfinite(self.direct):
                    out.append((None, ()))
                    continue
                key: tuple = ("direct",)
                result = self._results.get(key)
                if result is None:
                    segs = [self._segment(-1, int(self.targets[self.direct_arg]))]
                    result = self._results[key] = self._result(self.direct, segs, {})
                out.append((result, ()))
                continue
            chain = self._hops(s, j, pred)
            waited = {int(self.rows[r]): float(waits[s, r]) for r in chain if waits[s, r]}
            key = (j, chain, tuple(sorted(waited.items())))
            result = self._results.get(key)
            if result is None:
                result = self._result(total, self._chain(j, chain), waited)
                if len(self._results) < _MAX_PATHS:
                    self._results[key] = result
            out.append((result, chain))
        return out

    # -- paths ---------------------------------------------------------------------------
    def _hops(self, s: int, j: int, pred: np.ndarray) -> tuple[int, ...]:
        """Uncertain edges (overlay indexes) on the path of state ``s`` to key ``j``, last first."""
        hops = []
        node = j
        for _ in range(len(self.rows) + 1):
            r = int(pred[s, node])
            if r < 0:
                break
            hops.append(r)
            node = int(self.ru[r])
        return tuple(hops)

    def _chain(self, j: int, hops: tuple[int, ...]) -> list[_Segment]:
        """Segments from the origin to the target through key ``j`` along ``hops``, in order."""
        target = int(self.targets[self.to_t_arg[j]])
        parts: list[_Segment] = [self._segment(j, target)]
        node = j
        for r in hops:
            parts.append(self._segment(int(self.rv[r]), int(self.keys[node])))
            row = int(self.rows[r])
            parts.append(
                _Segment((row,), float(self.snap.cost[row]), float(self.snap.time[row]), float(self.snap.dist[row]))
            )
            node = int(self.ru[r])
        parts.append(self._segment(-1, int(self.keys[node])))
        parts.reverse()
        return parts

    def _segment(self, start_key: int, end_node: int) -> _Segment:
        """Certain path from key ``start_key`` (-1: the origin) to snapshot node ``end_node``."""
        cache_key = (start_key, end_node, 0)
        seg = self._segments.get(cache_key)
        if seg is not None:
            return seg
        pred = self._pred_s if start_key < 0 else self._pred_of(start_key)
        snap = self.snap
        rows = snap.path_rows(pred, end_node, self._best_rows)
        r = np.array(rows, dtype=np.int64)
        seg = _Segment(tuple(rows), float(snap.cost[r].sum()), float(snap.time[r].sum()), float(snap.dist[r].sum()))
        self._segments[cache_key] = seg
        return seg

    def _pred_of(self, key: int) -> np.ndarray:
        """Dijkstra predecessors from key ``key`` on the certain part (the same search as its distances), cached."""
        pred = self._pred_k.get(key)
        if pred is None:
            start = [int(self.keys[key])]
            pred = self._pred_k[key] = dijkstra(self._matrix, directed=True, indices=start, return_predecessors=True)[
                1
            ][0]
        return pred

    def _result(self, weight: float, segs: list[_Segment], waited: dict[int, float]) -> PathResult:
        rows = tuple(row for seg in segs for row in seg.rows)
        wait_h = float(np.array([waited.get(row, 0.0) for row in rows]).sum()) if waited else 0.0
        return self.snap.path_result(rows, weight, wait_h)
