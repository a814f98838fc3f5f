"""Batch shortest paths on a compiled backend: a CSR snapshot of the corridor graph.

networkx stays the modelling API; for thousands of closure states (risk) or closure cases
(criticality) the graph is frozen into numpy arrays once, and each state only masks edges,
collapses parallel edges to the cheapest, and calls ``scipy.sparse.csgraph.dijkstra``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from corridors.costs import CostModel
    from corridors.network import Network
    from corridors.routing import Restrictions

#: Added to every weight so that zero-weight edges (transfers under ``distance``) stay edges.
EPSILON = 1e-9


@dataclass(frozen=True)
class PathResult:
    """One solved path with its measures (money and generalized cost per tonne)."""

    weight: float
    cost_per_t: float
    time_h: float
    generalized: float
    distance_km: float
    wait_h: float
    crossings: tuple[str, ...]
    rows: tuple[int, ...]


class Snapshot:
    """The graph as arrays, for one cargo profile, objective and set of restrictions.

    Parameters
    ----------
    network
        The network to freeze.
    model
        Cost model of the cargo.
    objective
        What paths minimise.
    restrictions
        Edges the paths may not use; default none.

    """

    def __init__(
        self, network: Network, model: CostModel, objective: str, restrictions: Restrictions | None = None
    ) -> None:
        from corridors.routing import Restrictions

        restrictions = restrictions or Restrictions()
        graph = network.graph
        self.network = network
        self.model = model
        self.objective = objective
        self.nodes: list[str] = list(graph.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        data = network.data
        self.crossing_ids: list[str] = sorted(data.crossings)
        cidx = {c: i for i, c in enumerate(self.crossing_ids)}
        self.group_ids: list[str] = sorted(data.groups)
        gidx = {g: i for i, g in enumerate(self.group_ids)}
        self.crossing_prob = np.array([data.crossings[c].closure_prob for c in self.crossing_ids])
        self.crossing_days = np.array([data.crossings[c].closure_mean_days for c in self.crossing_ids])
        self.crossing_group = np.array(
            [gidx.get(data.crossings[c].closure_group, -1) for c in self.crossing_ids], dtype=np.int64
        )
        self.group_prob = np.array([data.groups[g].closure_prob for g in self.group_ids])
        self.group_days = np.array([data.groups[g].closure_mean_days for g in self.group_ids])

        u, v, w, cost, time, dist, crossing, links = [], [], [], [], [], [], [], []
        for a, b, d in graph.edges(data=True):
            if b in restrictions.nodes or not restrictions.allows(d) or not model.handles(d):
                continue
            u.append(self.index[a])
            v.append(self.index[b])
            w.append(model.weight(d, objective))
            cost.append(model.cost_per_t(d))
            time.append(d["time_h"])
            dist.append(d["distance_km"])
            crossing.append(cidx[d["crossing_id"]] if d["kind"] == "crossing" else -1)
            links.append(d["crossing_id"] if d["kind"] == "crossing" else d["id"])
        self.u = np.array(u, dtype=np.int64)
        self.v = np.array(v, dtype=np.int64)
        self.weight = np.array(w, dtype=float) + EPSILON
        self.cost = np.array(cost, dtype=float)
        self.time = np.array(time, dtype=float)
        self.dist = np.array(dist, dtype=float)
        self.crossing = np.array(crossing, dtype=np.int64)
        self.link_ids: list[str] = sorted(set(links))
        lidx = {k: i for i, k in enumerate(self.link_ids)}
        self.link = np.array([lidx[k] for k in links], dtype=np.int64)
        self.vot = model.profile.value_of_time_usd_per_t_h
        # how much one hour of waiting adds to the objective
        self.wait_weight = {"generalized": self.vot, "time": 1.0}.get(objective, 0.0)

        # parallel edges grouped by (u, v): sorted order, group starts, and the pair of each group
        order = np.lexsort((self.v, self.u))
        self._order = order
        pair = self.u[order] * len(self.nodes) + self.v[order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = pair[1:] != pair[:-1]
        self._starts = np.flatnonzero(new)
        self._gid = np.cumsum(new) - 1
        self._gu = self.u[order][self._starts]
        self._gv = self.v[order][self._starts]
        self._group_of_pair = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(self._gu, self._gv, strict=True))}

    # -- states -------------------------------------------------------------------------
    def edge_weights(
        self, closed: np.ndarray | None = None, wait_h: np.ndarray | None = None, closed_links: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights of every row under a closure state, and the waiting hours each row adds.

        Parameters
        ----------
        closed
            Boolean per crossing (``crossing_ids`` order): closed crossings.
        wait_h
            Hours per crossing a closed crossing can be waited out; None makes closed
            crossings impassable.
        closed_links
            Boolean per link (``link_ids`` order): edges or crossings removed outright.

        """
        w = self.weight.copy()
        waits = np.zeros(len(w))
        if closed is not None and closed.any():
            rows = self.crossing >= 0
            hit = np.zeros(len(w), dtype=bool)
            hit[rows] = closed[self.crossing[rows]]
            if wait_h is None:
                w[hit] = np.inf
            else:
                waits[hit] = wait_h[self.crossing[hit]]
                w[hit] += waits[hit] * self.wait_weight
        if closed_links is not None and closed_links.any():
            w[closed_links[self.link]] = np.inf
        return w, waits

    def _collapse(self, w: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
        ws = w[self._order]
        within = np.lexsort((ws, self._gid))
        best_rows = self._order[within[self._starts]]
        best_w = w[best_rows]
        ok = np.isfinite(best_w)
        n = len(self.nodes)
        matrix = csr_matrix((best_w[ok], (self._gu[ok], self._gv[ok])), shape=(n, n))
        return matrix, best_rows

    def distances(self, sources: list[int], w: np.ndarray) -> tuple[np.ndarray, np.ndarray, csr_matrix]:
        """All distances from each source node (rows) under weights ``w``."""
        matrix, best_rows = self._collapse(w)
        dist = dijkstra(matrix, directed=True, indices=sources)
        return np.atleast_2d(dist), best_rows, matrix

    def solve(
        self,
        sources: list[int],
        targets: list[int],
        closed: np.ndarray | None = None,
        wait_h: np.ndarray | None = None,
        closed_links: np.ndarray | None = None,
    ) -> PathResult | None:
        """Cheapest path from any source to any target under a closure state, or None."""
        w, waits = self.edge_weights(closed, wait_h, closed_links)
        matrix, best_rows = self._collapse(w)
        dist, pred, _ = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True, min_only=True)
        reached = dist[targets]
        if not np.isfinite(reached).any():
            return None
        t = targets[int(np.argmin(reached))]
        rows = []
        node = t
        while pred[node] >= 0:
            prev = int(pred[node])
            rows.append(int(best_rows[self._group_of_pair[(prev, node)]]))
            node = prev
        rows.reverse()
        r = np.array(rows, dtype=np.int64)
        crossings = tuple(self.crossing_ids[c] for c in self.crossing[r] if c >= 0)
        wait = float(waits[r].sum())
        cost = float(self.cost[r].sum())
        time = float(self.time[r].sum()) + wait
        return PathResult(
            weight=float(dist[t]),
            cost_per_t=cost,
            time_h=time,
            generalized=cost + self.vot * time,
            distance_km=float(self.dist[r].sum()),
            wait_h=wait,
            crossings=crossings,
            rows=tuple(rows),
        )

    def nodes_of(self, place_id: str) -> list[int]:
        """Snapshot indexes of the nodes a route from or to a place starts or ends on."""
        return [self.index[n] for n in self.network.endpoint_nodes(place_id)]

    def p_open(self, crossings: tuple[str, ...]) -> float:
        """Probability that none of ``crossings`` is closed (each closure group counted once)."""
        idx = [self.crossing_ids.index(c) for c in dict.fromkeys(crossings)]
        p = math.prod(1 - self.crossing_prob[i] for i in idx)
        groups = {int(self.crossing_group[i]) for i in idx if self.crossing_group[i] >= 0}
        return p * math.prod(1 - self.group_prob[g] for g in groups)
