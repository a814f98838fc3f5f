"""Routing on a CSR table: the corridor graph of an OSM network as arrays, for scipy's Dijkstra.

:class:`EdgeTable` mirrors the graph of an :class:`~corridors.osm.conflate.OSMNetwork` as
arrays, priced per cost model, objective and restrictions into a cached CSR matrix;
:class:`CSRRouter` finds shortest paths on it, and :func:`find_routes_csr` is
:func:`corridors.routing.find_routes` with that router, so routes are the same as on networkx.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.routing import Router

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix

    from corridors.costs import CostModel
    from corridors.osm.conflate import OSMNetwork, _Measures
    from corridors.route import Route
    from corridors.routing import Restrictions


class EdgeTable:
    """The corridor graph's edges as arrays, priced per cargo, objective and restrictions.

    Detailed edges are priced with numpy; the few other edges (connectors, crossings,
    transfers, kept geodata links) through :class:`~corridors.costs.CostModel` and
    :class:`~corridors.routing.Restrictions` themselves. Parallel edges collapse to the
    cheapest; the CSR structure is built once and each pricing only refills its values.

    Parameters
    ----------
    network
        The network whose graph the table mirrors.
    detailed_ids
        Node ids of the detailed nodes, in :class:`DetailedGraph` order.
    measures
        Per detailed edge: distance, time, cost basis, mode.
    overlay
        ``(u, v, key)`` of every other edge.

    """

    def __init__(
        self, network: OSMNetwork, detailed_ids: list[str], measures: _Measures, overlay: list[tuple[str, str, str]]
    ) -> None:
        base = network.detailed
        self.graph = network.graph
        self.nodes: list[str] = list(detailed_ids)
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.nodes)}
        for n in self.graph.nodes:
            if n not in self.index:
                self.index[n] = len(self.nodes)
                self.nodes.append(n)
        self._det_u = base.edge_u
        self._det_v = base.edge_v
        self._det_road = measures.is_road
        self._det_dist = measures.distance_km
        self._det_time = measures.time_h
        self._det_truck = measures.cost_truck
        self._det_t = measures.cost_t
        self._det_osmid = base.edge_osmid
        self.overlay = overlay
        self._prepare()

    def _prepare(self) -> None:
        self._ov_u = np.array([self.index[u] for u, _, _ in self.overlay], dtype=np.int64)
        self._ov_v = np.array([self.index[v] for _, v, _ in self.overlay], dtype=np.int64)
        u = np.r_[self._det_u, self._ov_u]
        v = np.r_[self._det_v, self._ov_v]
        self.u, self.v = u, v
        n = len(self.nodes)
        order = np.lexsort((v, u))
        su, sv = u[order], v[order]
        new = np.r_[True, (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])] if len(order) else np.zeros(0, dtype=bool)
        self._order = order
        self._starts = np.flatnonzero(new)
        self._indices = sv[self._starts].astype(np.int32)
        self._indptr = np.r_[0, np.cumsum(np.bincount(su[self._starts], minlength=n))].astype(np.int32)
        self._cache: dict[Any, csr_matrix] = {}

    def extended(self, graph: nx.MultiDiGraph) -> EdgeTable:
        """A table for a copy of the graph with extra nodes and edges (the graph's other edges unchanged)."""
        extra = [n for n in graph.nodes if n not in self.index]
        table = object.__new__(EdgeTable)
        table.__dict__.update(self.__dict__)
        table.graph = graph
        table.nodes = [*self.nodes, *extra]
        table.index = dict(self.index)
        for n in extra:
            table.index[n] = len(table.index)
        edges = {
            (u, v, k) for n in extra for u, v, k in (*graph.out_edges(n, keys=True), *graph.in_edges(n, keys=True))
        }
        table.overlay = [*self.overlay, *sorted(edges)]
        table._prepare()
        return table

    def weights(self, model: CostModel, objective: str, restrictions: Restrictions) -> np.ndarray:
        """Weight of every row (detailed rows, then overlay rows); inf where not allowed.

        Detailed rows use the linearity of every objective in distance, time and the cost
        basis: the coefficients come from ``model.weight`` on unit edges.
        """
        w = np.zeros(len(self._det_u) + len(self.overlay))
        nd = len(self._det_u)
        for kind, rows in (("road", self._det_road), ("rail", ~self._det_road)):
            if not rows.any():
                continue
            basis = "cost_usd_per_truck" if kind == "road" else "cost_usd_per_t"
            unit = {"kind": kind, "mode": kind, "distance_km": 0.0, "time_h": 0.0}
            c_dist = model.weight(unit | {"distance_km": 1.0}, objective)
            c_time = model.weight(unit | {"time_h": 1.0}, objective)
            c_cost = model.weight(unit | {basis: 1.0}, objective)
            cost = self._det_truck if kind == "road" else self._det_t
            w[:nd][rows] = c_dist * self._det_dist[rows] + c_time * self._det_time[rows] + c_cost * cost[rows]
            if kind not in restrictions.modes:
                w[:nd][rows] = np.inf
        banned = [int(e[4:]) for e in restrictions.edges if e.startswith("way/") and e[4:].isdigit()]
        if banned:
            w[:nd][np.isin(self._det_osmid, banned)] = np.inf
        graph = self.graph
        for i, (a, b, k) in enumerate(self.overlay, nd):
            d = graph[a][b][k]
            ok = restrictions.allows(d) and model.handles(d)
            w[i] = model.weight(d, objective) if ok else np.inf
        if restrictions.nodes:
            blocked = [self.index[n] for n in restrictions.nodes if n in self.index]
            w[np.isin(self.v, blocked)] = np.inf
        return w

    def matrix(self, model: CostModel, objective: str, restrictions: Restrictions) -> csr_matrix:
        """The collapsed CSR matrix (cheapest parallel edge per node pair), cached."""
        from scipy.sparse import csr_matrix

        key = (model, objective, restrictions)
        m = self._cache.get(key)
        if m is None:
            w = self.weights(model, objective, restrictions)
            best = np.minimum.reduceat(w[self._order], self._starts) if len(w) else w
            n = len(self.nodes)
            m = csr_matrix((best, self._indices, self._indptr), shape=(n, n))  # explicit zeros stay edges
            m.has_sorted_indices = True
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = m
        return m


class CSRRouter(Router):
    """A :class:`~corridors.routing.Router` whose shortest paths run on an :class:`EdgeTable`."""

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        model: CostModel,
        objective: str,
        restrictions: Restrictions,
        table: EdgeTable,
    ) -> None:
        super().__init__(graph, model, objective, restrictions)
        self.table = table

    def shortest(self, sources: Sequence[str], targets: Sequence[str]) -> tuple[float, list[str]] | None:
        """Cheapest path from any source to any target, or None (see :meth:`Router.shortest`)."""
        from scipy.sparse.csgraph import dijkstra

        sources = [s for s in sources if s not in self.restrictions.nodes]
        if not sources:
            return None
        table = self.table
        matrix = table.matrix(self.model, self.objective, self.restrictions)
        src = [table.index[s] for s in sources]
        dist, pred, _ = dijkstra(matrix, directed=True, indices=src, return_predecessors=True, min_only=True)
        reached = [(dist[table.index[t]], i, t) for i, t in enumerate(targets) if np.isfinite(dist[table.index[t]])]
        if not reached:
            return None
        _, _, t = min(reached)
        path = [table.index[t]]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        nodes = [table.nodes[i] for i in reversed(path)]
        return float(dist[path[0]]), nodes


def find_routes_csr(*, table: EdgeTable, **request: Any) -> Route:
    """:func:`corridors.routing.find_routes` with every shortest path solved on ``table``.

    Takes the same keyword arguments and gives the same result (best route with
    ``alternatives``, the same search for alternatives and the same no-route explanations).
    """
    from corridors.routing import find_routes

    graph, model, objective = request["graph"], request["model"], request["objective"]
    return find_routes(**request, make_router=lambda r: CSRRouter(graph, model, objective, r, table))
