"""Closure states solved on an overlay: shortest paths between the few edges a closure touches.

Only crossing edges that can close (their own or their group's probability above 0) change
from one closure state to the next. :class:`Overlay` removes them, solves the rest of the
network once (Dijkstra from the origin and from every endpoint of a removed edge), and keeps
the distances between those endpoints: a dense ``k x k`` matrix ``D`` whose entries are
shortest paths on the certain part of the network. Every path of the full network is a chain
of certain segments (entries of ``D``) and uncertain edges, so a state is solved exactly by a
Bellman–Ford relaxation over the uncertain edges open in it, for a whole batch of states at once
(numpy, no Python loop per state). Paths are rebuilt from predecessor pointers, each certain
segment once (cached), so a state's measures (cost, time, distance, crossings, rows) are the
same as solving the full network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import dijkstra

from corridors.fastpath import PathResult

if TYPE_CHECKING:
    from corridors.fastpath import Snapshot

#: Distinct paths whose result is kept (many states share one path).
_MAX_PATHS = 100_000
#: States relaxed together (bounds the ``states x edges x nodes`` work array to ~64 MiB).
_BATCH_CELLS = 8_000_000


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
        if len(keys):
            dk, self._pred_k = dijkstra(matrix, directed=True, indices=keys, return_predecessors=True)
            dk = np.atleast_2d(dk)
            self._pred_k = np.atleast_2d(self._pred_k)
        else:
            dk = np.zeros((0, len(snap.nodes)))
            self._pred_k = np.zeros((0, len(snap.nodes)), dtype=np.int32)
        ds, self._pred_s, _ = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
        self.D = dk[:, keys]
        self.d0 = ds[keys]
        to_t = dk[:, self.targets] if len(self.targets) else np.full((len(keys), 0), np.inf)
        self.to_t_arg = np.argmin(to_t, axis=1) if to_t.shape[1] else np.zeros(len(keys), dtype=np.int64)
        self.to_t = to_t.min(axis=1) if to_t.shape[1] else np.full(len(keys), np.inf)
        direct = ds[self.targets]
        self.direct_arg = int(np.argmin(direct)) if len(direct) else -1
        self.direct = float(direct.min()) if len(direct) else np.inf
        self._segments: dict[tuple[int, int, int], _Segment] = {}
        self._results: dict[tuple, PathResult] = {}

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
        n_states, k = len(states), len(self.keys)
        rw, waits = self.row_weights(states, wait)
        d = np.broadcast_to(self.d0, (n_states, k)).copy()
        pred = np.full((n_states, k), -1, dtype=np.int64)
        if not len(self.rows):
            return d, pred, rw, waits
        through = self.D[self.rv]  # (R, k): from the head of each edge to every key
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
                reach = cand[:, :, None] + through[None, :, :]  # (s, R, k)
                arg = np.argmin(reach, axis=1)
                best = np.take_along_axis(reach, arg[:, None, :], axis=1)[:, 0, :]
                better = best < ds[idx]
                changed = better.any(axis=1)
                sub_d, sub_p = ds[idx], ps[idx]
                sub_d[better] = best[better]
                sub_p[better] = arg[better]
                ds[idx], ps[idx] = sub_d, sub_p
                active[idx[~changed]] = False
        return d, pred, rw, waits

    def solve(self, states: np.ndarray, wait: bool) -> list[PathResult | None]:
        """Best path of every state in a batch (as :meth:`Snapshot.solve` would give)."""
        d, pred, _, waits = self.distances(states, wait)
        via = d + self.to_t[None, :] if len(self.keys) else np.full((len(states), 0), np.inf)
        out: list[PathResult | None] = []
        if via.shape[1]:
            js = np.argmin(via, axis=1)
            totals = via[np.arange(len(states)), js]
        else:
            js = np.full(len(states), -1)
            totals = np.full(len(states), np.inf)
        for s in range(len(states)):
            j, total = int(js[s]), float(totals[s])
            if self.direct <= total:
                if not np.isfinite(self.direct):
                    out.append(None)
                    continue
                key: tuple = ("direct",)
                result = self._results.get(key)
                if result is None:
                    segs = [self._segment(-1, int(self.targets[self.direct_arg]))]
                    result = self._results[key] = self._result(self.direct, segs, {})
                out.append(result)
                continue
            chain = self._hops(s, j, pred)
            waited = {int(self.rows[r]): float(waits[s, r]) for r in chain if waits[s, r]}
            key = (j, chain, tuple(sorted(waited.items())))
            result = self._results.get(key)
            if result is None:
                result = self._result(total, self._chain(j, chain), waited)
                if len(self._results) < _MAX_PATHS:
                    self._results[key] = result
            out.append(result)
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
        pred = self._pred_s if start_key < 0 else self._pred_k[start_key]
        snap = self.snap
        rows: list[int] = []
        node = end_node
        while pred[node] >= 0:
            prev = int(pred[node])
            rows.append(int(self._best_rows[snap._group_of_pair[(prev, node)]]))
            node = prev
        rows.reverse()
        r = np.array(rows, dtype=np.int64)
        seg = _Segment(tuple(rows), float(snap.cost[r].sum()), float(snap.time[r].sum()), float(snap.dist[r].sum()))
        self._segments[cache_key] = seg
        return seg

    def _result(self, weight: float, segs: list[_Segment], waited: dict[int, float]) -> PathResult:
        rows = tuple(row for seg in segs for row in seg.rows)
        wait_h = float(np.array([waited.get(row, 0.0) for row in rows]).sum()) if waited else 0.0
        return self.snap.path_result(rows, weight, wait_h)
