"""Batch shortest paths on a compiled backend: a CSR snapshot of the corridor graph.

networkx stays the modelling API; for thousands of closure states (risk) or closure cases
(criticality) the graph is frozen into numpy arrays once, and each state only masks edges,
collapses parallel edges to the cheapest, and calls ``scipy.sparse.csgraph.dijkstra``. A
network on stored arrays (an OSM network) is frozen from its edge table instead, without
building its networkx graph (:func:`path_engine`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from corridors.closures import ClosureModel, group_subsets, least_over_groups
from corridors.engine import EdgeTable, GraphEngine, PairGroups, PathEngine
from corridors.restrictions import Restrictions

if TYPE_CHECKING:
    from corridors.costs import CostModel
    from corridors.network import Network

#: Added to every weight so that zero-weight edges (transfers under ``distance``) stay edges.
EPSILON = 1e-9


def path_engine(network: Network) -> PathEngine:
    """The engine that prices a network's rows: its edge table if it has one, else one of its graph.

    A network on stored arrays (an OSM network) offers ``edge_table()``, read from the arrays,
    so that snapshots of it never build its networkx graph (seconds and gigabytes on a
    million edges); any other network gets a :class:`~corridors.engine.GraphEngine` of
    ``network.graph``.
    """
    table = getattr(network, "edge_table", None)
    return table() if callable(table) else GraphEngine(network.graph)


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
    engine
        The path engine to price rows with (snapshots of several cargos may share one):
        a :class:`~corridors.engine.GraphEngine` of ``network.graph``, or the network's
        :class:`~corridors.engine.EdgeTable`. Default: the network's edge table when it has
        one, else a new graph engine (:func:`path_engine`).

    """

    #: Node ids in snapshot order, and the index of each (a list and a dict, or the views of
    #: an edge table's graph).
    nodes: Sequence[str]
    index: Mapping[str, int]

    def __init__(
        self,
        network: Network,
        model: CostModel,
        objective: str,
        restrictions: Restrictions | None = None,
        engine: PathEngine | None = None,
    ) -> None:
        restrictions = restrictions or Restrictions()
        #: The network frozen (this process only: a pickled copy, as sent to a worker, has None).
        self.network: Network | None = network
        self.model = model
        self.objective = objective
        self.closures = ClosureModel.from_data(network.data)
        self.crossing_ids: list[str] = list(self.closures.crossing_ids)
        self.group_ids: list[str] = list(self.closures.group_ids)
        self.crossing_prob = self.closures.crossing_prob
        self.crossing_days = self.closures.crossing_days
        self.crossing_group = self.closures.crossing_group
        self.group_prob = self.closures.group_prob
        self.group_days = self.closures.group_days
        engine = engine if engine is not None else path_engine(network)
        if isinstance(engine, EdgeTable):
            self._rows_of_table(engine, model, objective, restrictions)
        else:
            self._rows_of_graph(engine, model, objective, restrictions)
        self.vot = model.profile.value_of_time_usd_per_t_h
        # how much one hour of waiting adds to the objective
        self.wait_weight = {"generalized": self.vot, "time": 1.0}.get(objective, 0.0)

        # parallel edges grouped by (u, v) in node order, ties in row order: the engine's one collapse
        n = len(self.nodes)
        self.pairs = PairGroups(self.u, self.v, np.lexsort((self.v, self.u)), n)
        self._gu, self._gv = self.pairs.u, self.pairs.v
        #: ``u * nodes + v`` of each pair, ascending: a pair's position by binary search.
        self._pair_keys = self._gu * n + self._gv

    def _rows_of_graph(self, engine: GraphEngine, model: CostModel, objective: str, restrictions: Restrictions) -> None:
        """Fill the row arrays from the rows of a networkx graph, one attribute dict at a time."""
        self.nodes = list(engine.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        cidx = {c: i for i, c in enumerate(self.crossing_ids)}
        # the rows the path engine allows, priced by it (one pricing and restriction rule)
        priced = engine.weights(model, objective, restrictions)
        keep = np.isfinite(priced)
        u, v, cost, time, dist, crossing, links, rail = [], [], [], [], [], [], [], []
        for (a, b, _, d), ok in zip(engine.rows, keep.tolist(), strict=True):
            if not ok:
                continue
            u.append(self.index[a])
            v.append(self.index[b])
            cost.append(model.cost_per_t(d))
            time.append(d["time_h"])
            dist.append(d["distance_km"])
            crossing.append(cidx[d["crossing_id"]] if d["kind"] == "crossing" else -1)
            links.append(d["crossing_id"] if d["kind"] == "crossing" else d["id"])
            rail.append(d.get("mode") == "rail")
        self.u = np.array(u, dtype=np.int64)
        self.v = np.array(v, dtype=np.int64)
        self.weight = priced[keep] + EPSILON
        self.cost = np.array(cost, dtype=float)
        self.time = np.array(time, dtype=float)
        self.dist = np.array(dist, dtype=float)
        self.crossing = np.array(crossing, dtype=np.int64)
        self.link_ids: list[str] = sorted(set(links))
        lidx = {k: i for i, k in enumerate(self.link_ids)}
        self.link = np.array([lidx[k] for k in links], dtype=np.int64)
        #: Whether each row is a rail row (a crossing's rail mode carries wagons, not trucks).
        self.rail = np.array(rail, dtype=bool)

    def _rows_of_table(self, table: EdgeTable, model: CostModel, objective: str, restrictions: Restrictions) -> None:
        """Fill the row arrays from an edge table: detailed rows as arrays, overlay rows one by one.

        The same rows, values and link ids as :meth:`_rows_of_graph` on the networkx graph of
        the same network (rows in table order, not the graph's): weights are the table's
        pricing, money per tonne is :meth:`~corridors.costs.CostModel.cost_per_t` evaluated on
        the arrays of detailed edges, and a detailed edge's link is its way, ``way/<osmid>``.
        """
        graph = table.graph
        measures, osmid = graph.measures, graph.detailed.edge_osmid
        self.nodes = table.nodes
        self.index = table.index
        cidx = {c: i for i, c in enumerate(self.crossing_ids)}
        priced = table.weights(model, objective, restrictions)
        keep = np.isfinite(priced)
        nd = len(measures.time_h)
        det, over = keep[:nd], np.flatnonzero(keep[nd:])
        attrs = [graph[a][b][k] for a, b, k in (table.overlay[i] for i in over.tolist())]
        road = measures.is_road[det]
        # the one money rule on whole arrays (elementwise the same floating-point steps)
        per_truck = model.cost_per_t({"kind": "road", "cost_usd_per_truck": measures.cost_truck[det]})
        per_t = model.cost_per_t({"kind": "rail", "cost_usd_per_t": measures.cost_t[det]})
        self.u = table.u[keep]
        self.v = table.v[keep]
        self.weight = priced[keep] + EPSILON
        self.cost = np.r_[np.where(road, per_truck, per_t), [model.cost_per_t(d) for d in attrs]].astype(float)
        self.time = np.r_[measures.time_h[det], [d["time_h"] for d in attrs]].astype(float)
        self.dist = np.r_[measures.distance_km[det], [d["distance_km"] for d in attrs]].astype(float)
        self.crossing = np.r_[
            np.full(int(det.sum()), -1), [cidx[d["crossing_id"]] if d["kind"] == "crossing" else -1 for d in attrs]
        ].astype(np.int64)
        self.rail = np.r_[~road, [d.get("mode") == "rail" for d in attrs]].astype(bool)
        # links: each way once as a string, then every link sorted by name (as the graph's ids)
        ways, way_of_row = np.unique(osmid[det], return_inverse=True)
        way_names = [f"way/{w}" for w in ways.tolist()]
        links = [d["crossing_id"] if d["kind"] == "crossing" else d["id"] for d in attrs]
        self.link_ids = sorted(set(way_names).union(links))
        lidx = {k: i for i, k in enumerate(self.link_ids)}
        way_link = np.array([lidx[w] for w in way_names], dtype=np.int64)
        self.link = np.r_[way_link[way_of_row.ravel()], [lidx[k] for k in links]].astype(np.int64)

    def __getstate__(self) -> dict[str, object]:
        """Pickle the arrays only: a worker solves on them and never needs the network."""
        return {k: v for k, v in self.__dict__.items() if k != "network"} | {"network": None}

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
        best_rows = self.pairs.best_rows(w)
        n = len(self.nodes)
        # the pairs' CSR structure as it is, no sort; an unusable pair stays as an inf entry,
        # which scipy's Dijkstra never relaxes (the same search as without it)
        matrix = csr_matrix((w[best_rows], self.pairs.indices, self.pairs.indptr), shape=(n, n))
        return matrix, best_rows

    def pair_of(self, a: np.ndarray | Sequence[int], b: np.ndarray | Sequence[int]) -> np.ndarray:
        """Position of each node pair ``(a[i], b[i])`` among the snapshot's pairs (each must exist)."""
        keys = np.asarray(a, dtype=np.int64) * len(self.nodes) + np.asarray(b, dtype=np.int64)
        return np.searchsorted(self._pair_keys, keys)

    def path_rows(self, pred: np.ndarray, end: int, best_rows: np.ndarray) -> list[int]:
        """Rows of the path to ``end`` along Dijkstra predecessors ``pred``, in path order.

        Parameters
        ----------
        pred
            Predecessor of each node (negative: none), one search.
        end
            The last node.
        best_rows
            Row of each pair in the collapsed matrix searched (from :meth:`_collapse`).

        """
        nodes = [end]
        node = end
        while pred[node] >= 0:
            node = int(pred[node])
            nodes.append(node)
        if len(nodes) < 2:
            return []
        chain = np.array(nodes[::-1], dtype=np.int64)
        return best_rows[self.pair_of(chain[:-1], chain[1:])].tolist()

    def distances(self, sources: list[int], w: np.ndarray) -> tuple[np.ndarray, np.ndarray, csr_matrix]:
        """All distances from each source node (rows) under weights ``w``."""
        matrix, best_rows = self._collapse(w)
        dist = dijkstra(matrix, directed=True, indices=sources)
        return np.atleast_2d(dist), best_rows, matrix

    def objective_weights(self, closed_links: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, float]]:
        """The row weights whose elementwise least (plus a charge) is the objective.

        One ``(weights, 0.0)`` pair, except under ``reliability`` with closure groups: one pair
        per group set of :func:`corridors.closures.group_subsets` (the links of the groups
        left out removed, and the set's charge), so that each group is charged once.

        Parameters
        ----------
        closed_links
            Boolean per link (``link_ids`` order): edges or crossings removed outright.

        Yields
        ------
        tuple of (row weights, charge added to every distance)

        """
        if self.objective != "reliability" or not self.group_ids:
            yield self.edge_weights(closed_links=closed_links)[0], 0.0
            return
        lidx = {k: i for i, k in enumerate(self.link_ids)}
        members = self.closures.members()
        for allowed, charge in group_subsets(self.closures.group_probs()):
            links = np.zeros(len(self.link_ids), dtype=bool) if closed_links is None else closed_links.copy()
            banned = [lidx[c] for g, cs in members.items() if g not in allowed for c in cs if c in lidx]
            links[banned] = True
            yield self.edge_weights(closed_links=links)[0], charge

    def least_distances(self, sources: list[int], closed_links: np.ndarray | None = None) -> np.ndarray:
        """Least objective from each source (rows) to every node, with ``closed_links`` removed.

        Under ``reliability`` each closure group is charged once: the elementwise least over
        the weight sets of :meth:`objective_weights`.
        """
        best: np.ndarray | None = None
        for w, charge in self.objective_weights(closed_links):
            dist = self.distances(sources, w)[0] + charge
            best = dist if best is None else np.minimum(best, dist)
        assert best is not None
        return best

    def least_path_links(self, sources: list[int], pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> np.ndarray:
        """Links on one least path of each pair, under every weight set of :meth:`objective_weights`.

        Closing a link that is on none of them leaves :meth:`least_distances` of every pair
        unchanged: each weight set keeps its least path, and the objective is their least.

        Parameters
        ----------
        sources
            Source nodes, as passed to :meth:`least_distances`.
        pairs
            Per pair: positions in ``sources`` it may start from, and nodes it may end on.

        Returns
        -------
        numpy.ndarray
            Boolean per link (``link_ids`` order).

        """
        return self.least_path_links_of(sources, pairs).any(axis=0)

    def least_path_links_of(
        self, sources: list[int], pairs: Sequence[tuple[Sequence[int], Sequence[int]]]
    ) -> np.ndarray:
        """:meth:`least_path_links` of each pair apart: boolean of shape (pairs, links).

        Closing a link off every marked path of a pair leaves that pair's least distance
        unchanged, whatever happens to the other pairs.
        """
        used = np.zeros((len(pairs), len(self.link_ids)), dtype=bool)
        for w, _ in self.objective_weights():
            matrix, best_rows = self._collapse(w)
            dist, pred = dijkstra(matrix, directed=True, indices=sources, return_predecessors=True)
            dist, pred = np.atleast_2d(dist), np.atleast_2d(pred)
            for k, (rows, targets) in enumerate(pairs):
                if not len(rows) or not len(targets):
                    continue
                sub = dist[np.ix_(rows, targets)]
                if not np.isfinite(sub).any():
                    continue
                i, j = np.unravel_index(int(np.argmin(sub)), sub.shape)
                r, node = rows[i], int(targets[j])
                used[k, self.link[self.path_rows(pred[r], node, best_rows)]] = True
        return used

    def solve(
        self,
        sources: list[int],
        targets: list[int],
        closed: np.ndarray | None = None,
        wait_h: np.ndarray | None = None,
        closed_links: np.ndarray | None = None,
    ) -> PathResult | None:
        """Cheapest path from any source to any target under a closure state, or None.

        Under ``reliability`` each closure group is charged once per route
        (:func:`corridors.closures.least_over_groups`).
        """
        if self.objective != "reliability" or not self.group_ids:
            return self._solve(sources, targets, closed, wait_h, closed_links)
        lidx = {k: i for i, k in enumerate(self.link_ids)}

        def banned_solve(banned: frozenset[str]) -> tuple[float, PathResult] | None:
            links = np.zeros(len(self.link_ids), dtype=bool) if closed_links is None else closed_links.copy()
            links[[lidx[c] for c in banned if c in lidx]] = True
            found = self._solve(sources, targets, closed, wait_h, links)
            return None if found is None else (found.weight, found)

        best = least_over_groups(banned_solve, self.closures.group_probs(), self.closures.members())
        return None if best is None else replace(best[1], weight=best[0])

    def _solve(
        self,
        sources: list[int],
        targets: list[int],
        closed: np.ndarray | None,
        wait_h: np.ndarray | None,
        closed_links: np.ndarray | None,
    ) -> PathResult | None:
        w, waits = self.edge_weights(closed, wait_h, closed_links)
        found = self.shortest_rows(sources, targets, w)
        if found is None:
            return None
        weight, rows = found
        return self.path_result(rows, weight, float(waits[np.array(rows, dtype=np.int64)].sum()))

    def shortest_rows(self, sources: list[int], targets: list[int], w: np.ndarray) -> tuple[float, list[int]] | None:
        """Least path under row weights ``w`` from any source to any target: ``(weight, rows)`` or None."""
        return self.shortest_rows_many([(sources, targets)], w)[0]

    def shortest_rows_many(
        self, requests: Sequence[tuple[Sequence[int], Sequence[int]]], w: np.ndarray
    ) -> list[tuple[float, list[int]] | None]:
        """:meth:`shortest_rows` for many ``(sources, targets)`` requests under one set of weights.

        The weights are collapsed to one CSR matrix once, and requests with the same sources
        share one multi-source Dijkstra (an assignment solves every flow of a cargo this way
        in each iteration).

        Parameters
        ----------
        requests
            Source and target node indexes of each request.
        w
            Row weights (:meth:`edge_weights`).

        Returns
        -------
        list
            Per request, ``(weight, rows)`` of its least path, or None when no target is reached.

        """
        matrix, best_rows = self._collapse(w)
        out: list[tuple[float, list[int]] | None] = [None] * len(requests)
        by_sources: dict[tuple[int, ...], list[int]] = {}
        for i, (sources, _) in enumerate(requests):
            by_sources.setdefault(tuple(sources), []).append(i)
        for sources, members in by_sources.items():
            dist, pred, _ = dijkstra(
                matrix, directed=True, indices=list(sources), return_predecessors=True, min_only=True
            )
            for i in members:
                targets = list(requests[i][1])
                reached = dist[targets]
                if not np.isfinite(reached).any():
                    continue
                t = targets[int(np.argmin(reached))]
                out[i] = (float(dist[t]), self.path_rows(pred, t, best_rows))
        return out

    def path_result(self, rows: list[int] | tuple[int, ...], weight: float, wait_h: float = 0.0) -> PathResult:
        """The measures of a path given as snapshot rows (its objective weight and hours waited)."""
        r = np.array(rows, dtype=np.int64)
        cost = float(self.cost[r].sum())
        time = float(self.time[r].sum()) + wait_h
        return PathResult(
            weight=weight,
            cost_per_t=cost,
            time_h=time,
            generalized=cost + self.vot * time,
            distance_km=float(self.dist[r].sum()),
            wait_h=wait_h,
            crossings=tuple(self.crossing_ids[c] for c in self.crossing[r] if c >= 0),
            rows=tuple(rows),
        )

    def nodes_of(self, place_id: str) -> list[int]:
        """Snapshot indexes of the nodes a route from or to a place starts or ends on.

        Needs the network: not on a pickled copy.
        """
        if self.network is None:
            raise RuntimeError("a pickled snapshot carries no network: resolve places before sending it")
        return [self.index[n] for n in self.network.endpoint_nodes(place_id)]

    def p_open(self, crossings: tuple[str, ...]) -> float:
        """Probability that none of ``crossings`` is closed (each closure group counted once)."""
        return self.closures.p_open(crossings)
