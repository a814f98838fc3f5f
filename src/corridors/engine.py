"""The path engine of route requests: the corridor graph as priced rows, masked and collapsed.

Every edge of the graph is a *row*. A :class:`PathEngine` prices its rows once per cargo and
objective (:meth:`~corridors.costs.CostModel.weight` is the one pricing rule), turns a set of
:class:`~corridors.routing.Restrictions` into a mask over the rows (:func:`edge_needs` and
:func:`edge_link` are the one restriction rule), and collapses parallel edges once: each node
pair keeps its cheapest usable row (equal weights: the first in key order). Zero weights stay
edges in both searches. A :class:`Solver` answers the shortest paths of one request on it.

Two engines share all of this and differ in how rows are priced and searched:

- :class:`GraphEngine`, for the strategic network: rows straight from a networkx graph and a
  small heapq Dijkstra in pure Python (no scipy import at start-up). It relaxes edges in the
  graph's adjacency order with the same heap entries as networkx's Dijkstra, so it picks the
  same path among equal-cost ones.
- :class:`EdgeTable`, for the detailed graph of an OSM network: detailed rows priced with
  numpy, and ``scipy.sparse.csgraph.dijkstra`` on a cached CSR matrix.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix

    from corridors.costs import CostModel
    from corridors.osm.conflate import ConflatedGraph
    from corridors.restrictions import Restrictions

#: Mode bits of :func:`edge_needs`.
ROAD, RAIL = 1, 2
#: Modes a transfer needs, by transfer kind (any other kind, e.g. a gauge break, needs rail).
TRANSFER_NEEDS = {"transload": ROAD | RAIL, "port": 0}

#: Node pairs ``(u, v)`` of a table are sorted as the one integer ``u * PAIR_BASE + v``.
PAIR_BASE = 1 << 32

Path = tuple[float, list[str]]
Link = tuple[str, str]


def mode_bits(modes: frozenset[str] | set[str]) -> int:
    """The bits of a set of modes (``road``, ``rail``)."""
    return (ROAD if "road" in modes else 0) | (RAIL if "rail" in modes else 0)


def edge_needs(attrs: Mapping[str, Any]) -> int:
    """Mode bits an edge needs allowed: its own mode, or what a transfer between modes needs."""
    if attrs["kind"] == "transfer":
        return TRANSFER_NEEDS.get(attrs["transfer_kind"], RAIL)
    return ROAD if attrs["mode"] == "road" else RAIL if attrs["mode"] == "rail" else ROAD | RAIL | 4


def edge_link(attrs: Mapping[str, Any]) -> Link:
    """What avoiding removes an edge with: ``("crossing", crossing id)`` or ``("edge", edge id)``."""
    if attrs["kind"] == "crossing":
        return "crossing", attrs["crossing_id"]
    return "edge", attrs["id"]


def banned_links(restrictions: Restrictions) -> set[Link]:
    """The links a set of restrictions avoids (see :func:`edge_link`)."""
    return {("crossing", c) for c in restrictions.crossings} | {("edge", e) for e in restrictions.edges}


def price(model: CostModel, objective: str, attrs: Mapping[str, Any]) -> float:
    """Weight of one edge for a cargo and objective; inf if the cargo may not use it."""
    return model.weight(attrs, objective) if model.handles(attrs) else math.inf


def least_per_pair(w: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Least row weight of each node pair: the one collapse of parallel rows.

    Parameters
    ----------
    w
        Weight of every row.
    order
        Rows sorted by node pair (see :class:`PairGroups`).
    starts
        Position in ``order`` where each pair's rows start.

    Returns
    -------
    numpy.ndarray
        One weight per pair, in pair order (inf where no row of the pair is usable).

    """
    if len(starts) == len(w):  # every pair has one row: nothing to collapse
        return w[order]
    return np.minimum.reduceat(w[order], starts) if len(w) else w


class PairGroups:
    """Rows grouped by node pair: the one collapse of parallel edges to the cheapest.

    Parameters
    ----------
    u, v
        Node index of each row's ends.
    order
        Rows sorted by node pair, the pairs of each node contiguous and the nodes ascending,
        each pair's rows in tie-break order.
    n
        Number of nodes.

    """

    def __init__(self, u: np.ndarray, v: np.ndarray, order: np.ndarray, n: int) -> None:
        self.order = order
        su, sv = u[order], v[order]
        new = np.r_[True, (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])] if len(su) else np.zeros(0, dtype=bool)
        #: Position in ``order`` where each pair's rows start (and end, one more entry).
        self.starts = np.flatnonzero(new)
        self.bounds = np.r_[self.starts, len(su)]
        #: Pair of each sorted row.
        self.gid = np.cumsum(new) - 1
        #: From and to node of each pair.
        self.u, self.v = su[self.starts], sv[self.starts]
        self.indices = self.v.astype(np.int32)
        self.indptr = np.r_[0, np.cumsum(np.bincount(self.u, minlength=n))].astype(np.int32)

    def least(self, w: np.ndarray) -> np.ndarray:
        """Least row weight of each pair (inf if none usable)."""
        return least_per_pair(w, self.order, self.starts)

    def best_rows(self, w: np.ndarray) -> np.ndarray:
        """The row of each pair with the least weight (equal weights: the first in ``order``)."""
        if not len(w):
            return self.order
        ws = w[self.order]
        least = np.minimum.reduceat(ws, self.starts)
        pos = np.where(ws == least[self.gid], np.arange(len(ws)), len(ws))
        return self.order[np.minimum.reduceat(pos, self.starts)]


class PathEngine:
    """Rows of a graph, priced, masked and collapsed; subclasses search them.

    Subclasses set ``nodes``, ``index`` and the row arrays ``u``, ``v`` (node indexes),
    ``need`` (mode bits) and ``order`` (rows sorted by node pair, the pairs of each node
    contiguous, each pair's rows in tie-break order: key order on a graph, row order in a
    table), fill ``_link_rows`` (rows of each link that avoiding can remove), and call
    :meth:`_group`.
    """

    nodes: list[str]
    index: dict[str, int]
    u: np.ndarray
    v: np.ndarray
    need: np.ndarray
    order: np.ndarray
    _link_rows: dict[Link, list[int]]

    def _group(self) -> None:
        """Group the sorted rows by node pair, and lay the pairs out as a CSR structure."""
        self.pairs = pairs = PairGroups(self.u, self.v, self.order, len(self.nodes))
        self._starts, self._bounds = pairs.starts, pairs.bounds
        self.indices, self.indptr = pairs.indices, pairs.indptr
        self._prices: dict[tuple[CostModel, str], np.ndarray] = {}
        self._pair_lookup: tuple[np.ndarray, np.ndarray | None] | None = None
        self._crossing_of: dict[int, str] | None = None

    # -- pricing and restrictions ---------------------------------------------------------
    def prices(self, model: CostModel, objective: str) -> np.ndarray:
        """Weight of every row for a cargo and objective (inf where the cargo may not go), cached."""
        key = (model, objective)
        w = self._prices.get(key)
        if w is None:
            if len(self._prices) >= 8:
                self._prices.pop(next(iter(self._prices)))
            w = self._prices[key] = self._price(model, objective)
        return w

    def _price(self, model: CostModel, objective: str) -> np.ndarray:
        raise NotImplementedError

    def mask(self, restrictions: Restrictions) -> np.ndarray:
        """Whether each row may be used under ``restrictions``."""
        ok = (self.need & np.uint8(mode_bits(restrictions.modes))) == self.need
        banned = [r for link in banned_links(restrictions) for r in self._link_rows.get(link, ())]
        ok[banned] = False
        extra = self._banned_extra(restrictions)
        if extra is not None:
            ok &= ~extra
        if restrictions.nodes:
            blocked = [self.index[n] for n in restrictions.nodes if n in self.index]
            ok &= ~np.isin(self.v, blocked)
        return ok

    def _banned_extra(self, restrictions: Restrictions) -> np.ndarray | None:
        """Rows avoided that ``_link_rows`` does not list (none here)."""
        return None

    def weights(self, model: CostModel, objective: str, restrictions: Restrictions) -> np.ndarray:
        """Weight of every row; inf where the cargo or the restrictions do not allow it (read-only)."""
        w = self.prices(model, objective)
        ok = self.mask(restrictions)
        # nothing removed: a view of the cached prices, not a copy
        out = w.view() if ok.all() else np.where(ok, w, np.inf)
        out.flags.writeable = False
        return out

    def collapse(self, w: np.ndarray) -> np.ndarray:
        """Least row weight of each node pair (CSR order of ``indices``); inf if none usable."""
        return least_per_pair(w, self.order, self._starts)

    def pair(self, u: str, v: str) -> int:
        """Position of the node pair ``(u, v)`` in the CSR structure."""
        a, b = self.index[u], self.index[v]
        lo = int(self.indptr[a])
        return lo + int(np.flatnonzero(self.indices[lo : self.indptr[a + 1]] == b)[0])

    def best_row(self, w: np.ndarray, u: str, v: str) -> int:
        """The cheapest usable row from ``u`` to ``v`` under row weights ``w`` (ties: key order)."""
        g = self.pair(u, v)
        rows = self.order[self._bounds[g] : self._bounds[g + 1]]
        return int(rows[int(np.argmin(w[rows]))])

    def best_rows(self, w: np.ndarray, path: Sequence[str]) -> np.ndarray:
        """:meth:`best_row` of every step of a node path at once (one row per consecutive pair)."""
        if len(path) < 2:
            return np.zeros(0, dtype=np.int64)
        if self._pair_lookup is None:  # the pair key of each CSR position, and its sort order if unsorted
            keys = np.repeat(np.arange(len(self.nodes), dtype=np.int64), np.diff(self.indptr)) * PAIR_BASE
            keys += self.indices
            sorted_ = len(keys) < 2 or bool((keys[1:] > keys[:-1]).all())
            self._pair_lookup = (keys, None if sorted_ else np.argsort(keys, kind="stable"))
        keys, sorter = self._pair_lookup
        at = np.array([self.index[n] for n in path], dtype=np.int64)
        wanted = at[:-1] * PAIR_BASE + at[1:]
        g = np.searchsorted(keys, wanted, sorter=sorter)
        if sorter is not None:
            g = sorter[np.minimum(g, len(sorter) - 1)]
        if not bool((keys[g] == wanted).all()):
            raise KeyError("a step of the path is not an edge")
        lo, hi = self._bounds[g], self._bounds[g + 1]
        rows = self.order[lo]
        for j in np.flatnonzero(hi - lo > 1).tolist():
            parallel = self.order[lo[j] : hi[j]]
            rows[j] = parallel[int(np.argmin(w[parallel]))]
        return rows

    def row_attrs(self, rows: Sequence[int]) -> list[Mapping[str, Any]]:
        """Attributes of the graph edge of each row (the graph's own dicts)."""
        raise NotImplementedError

    def crossing_of(self, row: int) -> str | None:
        """The crossing id of a row if it is a crossing edge (read from the links avoiding removes), else None."""
        if self._crossing_of is None:
            self._crossing_of = {
                r: link[1] for link, rows in self._link_rows.items() if link[0] == "crossing" for r in rows
            }
        return self._crossing_of.get(row)

    def key_of(self, row: int) -> Hashable:
        """The graph key of one row."""
        raise NotImplementedError

    def search(self, w: np.ndarray, pair_w: np.ndarray, sources: list[int]) -> tuple[Any, Any]:
        """Distances and predecessors from ``sources`` (indexable by node; inf, negative if unreached)."""
        raise NotImplementedError

    def solver(self, model: CostModel, objective: str, restrictions: Restrictions) -> Solver:
        """A :class:`Solver` for one cargo, objective and set of restrictions."""
        return Solver(self, model, objective, restrictions)


class GraphEngine(PathEngine):
    """The engine of a networkx graph, searched with a pure-Python heapq Dijkstra.

    Parameters
    ----------
    graph
        The corridor graph (not changed while the engine is used).

    """

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self.nodes = list(graph.nodes)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        index = self.index
        rows = list(graph.edges(keys=True, data=True))  # pairs in adjacency order, as networkx relaxes them
        #: ``(u, v, key, attrs)`` of every row.
        self.rows = rows
        self.u = np.array([index[a] for a, _, _, _ in rows], dtype=np.int64)
        self.v = np.array([index[b] for _, b, _, _ in rows], dtype=np.int64)
        self.need = np.array([edge_needs(d) for *_, d in rows], dtype=np.uint8)
        self._link_rows = {}
        for i, (*_, d) in enumerate(rows):
            self._link_rows.setdefault(edge_link(d), []).append(i)
        self.order = np.array(_key_order(rows), dtype=np.int64)
        self._group()
        self._adj_ptr: list[int] = self.indptr.tolist()
        self._adj: list[int] = self.indices.tolist()

    def _price(self, model: CostModel, objective: str) -> np.ndarray:
        return np.array([price(model, objective, d) for *_, d in self.rows], dtype=float)

    def key_of(self, row: int) -> Hashable:
        """The graph key of one row."""
        return self.rows[row][2]

    def row_attrs(self, rows: Sequence[int]) -> list[Mapping[str, Any]]:
        """Attributes of the graph edge of each row (the graph's own dicts)."""
        return [self.rows[r][3] for r in rows]

    def search(self, w: np.ndarray, pair_w: np.ndarray, sources: list[int]) -> tuple[list[float], list[int]]:
        """Dijkstra from ``sources``: networkx's heap entries and relaxation order, so its tie-breaks."""
        ptr, adj, cost = self._adj_ptr, self._adj, pair_w.tolist()
        n = len(self.nodes)
        dist = [math.inf] * n
        done = [False] * n
        pred = [-1] * n
        seen: dict[int, float] = {}
        counter = itertools.count()
        heap: list[tuple[float, int, int]] = []
        for s in sources:
            seen[s] = 0.0
            heapq.heappush(heap, (0.0, next(counter), s))
        inf = math.inf
        while heap:
            d, _, a = heapq.heappop(heap)
            if done[a]:
                continue
            done[a] = True
            dist[a] = d
            for g in range(ptr[a], ptr[a + 1]):
                c = cost[g]
                if c == inf:
                    continue
                b = adj[g]
                if done[b]:
                    continue
                nd = d + c
                if b not in seen or nd < seen[b]:
                    seen[b] = nd
                    heapq.heappush(heap, (nd, next(counter), b))
                    pred[b] = a
        return dist, pred


def _key_order(rows: list[tuple[Any, Any, Any, Any]]) -> list[int]:
    """Row positions with each node pair's (consecutive) rows sorted by key."""
    out = list(range(len(rows)))
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[start][0] or rows[i][1] != rows[start][1]:
            if i - start > 1:
                out[start:i] = sorted(range(start, i), key=lambda r: rows[r][2])
            start = i
    return out


class EdgeTable(PathEngine):
    """The corridor graph of an OSM network as arrays, searched with scipy's Dijkstra.

    Detailed rows are priced with numpy; the few other rows (connectors, crossings,
    transfers, kept geodata links), the *overlay*, with :func:`price`. The CSR structure is
    built once and each pricing only refills its values. Nothing here walks the detailed
    graph edge by edge: node ids and edge attributes are read from the stored arrays, and
    only for the nodes and edges a request names.

    Parameters
    ----------
    graph
        The array-backed corridor graph of the network
        (:class:`~corridors.osm.conflate.ConflatedGraph`): its detailed arrays, edge
        measures, node ids and the overlay edges.

    """

    def __init__(self, graph: ConflatedGraph) -> None:
        base, measures = graph.detailed, graph.measures
        self.graph = graph
        self.nodes = graph.ids
        self.index = graph.index
        self._det_u = base.edge_u
        self._det_v = base.edge_v
        self._det_key = base.edge_key
        self._det_road = measures.is_road
        self._det_dist = measures.distance_km
        self._det_time = measures.time_h
        self._det_truck = measures.cost_truck
        self._det_t = measures.cost_t
        self._det_osmid = base.edge_osmid
        self._det_order, self._det_pairs, self._det_starts = graph.detailed_groups()
        self.overlay = list(graph.overlay_edges)
        self._prepare()

    def _prepare(self) -> None:
        graph = self.graph
        attrs = [graph[a][b][k] for a, b, k in self.overlay]
        nd = len(self._det_u)
        ou = np.array([self.index[a] for a, _, _ in self.overlay], dtype=np.int64)
        ov = np.array([self.index[b] for _, b, _ in self.overlay], dtype=np.int64)
        self._ou, self._ov = ou, ov
        self._uv: tuple[np.ndarray, np.ndarray] | None = None
        self.need = np.concatenate(
            (np.where(self._det_road, np.uint8(ROAD), np.uint8(RAIL)), np.array([edge_needs(d) for d in attrs]))
        ).astype(np.uint8, copy=False)
        self._link_rows = {}
        for i, d in enumerate(attrs, nd):
            self._link_rows.setdefault(edge_link(d), []).append(i)
        # rows sorted by (u, v), each pair's rows in row order (np.lexsort((v, u)) of all rows),
        # grouped by pair: the detailed rows' order and pairs are stored with the network, the
        # few overlay rows (never on a detailed pair: one end is the overlay's own) merged in
        n_det, n_pairs = len(self._det_order), len(self._det_pairs)
        keys = ou * PAIR_BASE + ov
        mine = np.argsort(keys, kind="stable")
        keys = keys[mine]
        before = np.searchsorted(self._det_pairs, keys)  # the detailed pair each overlay row goes before
        at = np.full(len(keys), n_det, dtype=np.int64)
        inside = before < n_pairs
        at[inside] = self._det_starts[before[inside]]
        self.order = _insert_sorted(self._det_order, at, nd + mine)
        first = np.ones(len(keys), dtype=bool)
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        gaps = before[first]  # where each overlay pair goes among the detailed pairs
        # a detailed pair's rows start later by the overlay rows inserted before it
        shift = np.r_[0, np.searchsorted(before, gaps, side="right")]
        bounds = _insert_sorted(self._det_starts, gaps, (at + np.arange(len(at)))[first], shift, tail=len(self.order))
        self._group_pairs(_insert_sorted(self._det_pairs, gaps, keys[first]), bounds)
        self._cache: dict[Any, csr_matrix] = {}

    @property  # type: ignore[override]
    def u(self) -> np.ndarray:
        """Start node of every row (detailed rows first, then the overlay's), made when first asked for."""
        return self._ends()[0]

    @property  # type: ignore[override]
    def v(self) -> np.ndarray:
        """End node of every row."""
        return self._ends()[1]

    def _ends(self) -> tuple[np.ndarray, np.ndarray]:
        if self._uv is None:
            self._uv = (
                np.concatenate((self._det_u, self._ou)).astype(np.int64, copy=False),
                np.concatenate((self._det_v, self._ov)).astype(np.int64, copy=False),
            )
        return self._uv

    def _group_pairs(self, pairs: np.ndarray, bounds: np.ndarray) -> None:
        """:meth:`_group` from the sorted node pairs (``u * PAIR_BASE + v``) and where each starts in ``order`` (then the end)."""
        self._bounds = bounds.astype(np.int64, copy=False)
        self._starts = self._bounds[:-1]
        self.indices = (pairs & (PAIR_BASE - 1)).astype(np.int32)
        counts = np.bincount(pairs >> 32, minlength=len(self.nodes))
        self.indptr = np.r_[0, np.cumsum(counts)].astype(np.int32)
        self._prices = {}
        self._pair_lookup = (pairs, None)  # already sorted: what best_rows searches
        self._crossing_of = None

    def extended(self, graph: ConflatedGraph) -> EdgeTable:
        """A table for a copy of the graph with extra nodes and edges (the graph's other edges unchanged)."""
        extra = graph.ids[len(self.nodes) :]
        table = copy.copy(self)  # shares the detailed arrays; what differs is replaced below
        table.graph = graph
        table.nodes = graph.ids
        table.index = graph.index
        edges = {
            (u, v, k) for n in extra for u, v, k in (*graph.out_edges(n, keys=True), *graph.in_edges(n, keys=True))
        }
        table.overlay = [*self.overlay, *sorted(edges)]
        table._prepare()
        return table

    def _price(self, model: CostModel, objective: str) -> np.ndarray:
        """Detailed rows by the linearity of every objective in distance, time and the cost basis.

        The coefficients come from ``model.weight`` on unit edges; overlay rows from :func:`price`.
        """
        nd = len(self._det_u)
        w = np.zeros(nd + len(self.overlay))
        for kind, rows in (("road", self._det_road), ("rail", ~self._det_road)):
            if not rows.any():
                continue
            basis = "cost_usd_per_truck" if kind == "road" else "cost_usd_per_t"
            unit = {"kind": kind, "mode": kind, "distance_km": 0.0, "time_h": 0.0}
            c_dist = model.weight(unit | {"distance_km": 1.0}, objective)
            c_time = model.weight(unit | {"time_h": 1.0}, objective)
            c_cost = model.weight(unit | {basis: 1.0}, objective)
            cost = self._det_truck if kind == "road" else self._det_t
            if rows.all():  # one kind of row: no masks, one temporary ((a + b) + c as written below)
                out = np.multiply(self._det_dist, c_dist, out=w[:nd])
                term = np.multiply(self._det_time, c_time)
                out += term
                out += np.multiply(cost, c_cost, out=term)
            else:
                w[:nd][rows] = c_dist * self._det_dist[rows] + c_time * self._det_time[rows] + c_cost * cost[rows]
        graph = self.graph
        w[nd:] = [price(model, objective, graph[a][b][k]) for a, b, k in self.overlay]
        return w

    def _banned_extra(self, restrictions: Restrictions) -> np.ndarray | None:
        """Detailed rows of avoided OSM ways (``way/<id>``)."""
        banned = [int(e[4:]) for e in restrictions.edges if e.startswith("way/") and e[4:].isdigit()]
        if not banned:
            return None
        return np.r_[np.isin(self._det_osmid, banned), np.zeros(len(self.overlay), dtype=bool)]

    def key_of(self, row: int) -> Hashable:
        """The graph key of one row."""
        nd = len(self._det_u)
        return int(self._det_key[row]) if row < nd else self.overlay[row - nd][2]

    def row_attrs(self, rows: Sequence[int]) -> list[Mapping[str, Any]]:
        """Attributes of each row's edge: detailed rows read from the arrays at once, overlay rows from the graph."""
        nd = len(self._det_u)
        detailed = iter(self.graph.edge_attrs_many([r for r in rows if r < nd]))
        graph = self.graph
        out: list[Mapping[str, Any]] = []
        for r in rows:
            if r < nd:
                out.append(next(detailed))
            else:
                a, b, k = self.overlay[r - nd]
                out.append(graph[a][b][k])
        return out

    def matrix(self, model: CostModel, objective: str, restrictions: Restrictions) -> csr_matrix:
        """The collapsed CSR matrix (cheapest usable row per node pair), cached."""
        key = (model, objective, restrictions)
        m = self._cache.get(key)
        if m is None:
            m = self._matrix(self.collapse(self.weights(model, objective, restrictions)))
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = m
        return m

    def _matrix(self, pair_w: np.ndarray) -> csr_matrix:
        from scipy.sparse import csr_matrix  # deferred: scipy, only when paths are solved

        n = len(self.nodes)
        m = csr_matrix((pair_w, self.indices, self.indptr), shape=(n, n))  # explicit zeros stay edges
        m.has_sorted_indices = True
        return m

    def search(self, w: np.ndarray, pair_w: np.ndarray, sources: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Dijkstra of scipy from ``sources`` (any of them) on the collapsed matrix."""
        from scipy.sparse.csgraph import dijkstra  # deferred: scipy, only when paths are solved

        dist, pred, _ = dijkstra(
            self._matrix(pair_w), directed=True, indices=sources, return_predecessors=True, min_only=True
        )
        return dist, pred


def _insert_sorted(
    arr: np.ndarray, at: np.ndarray, values: np.ndarray, shift: np.ndarray | None = None, tail: int | None = None
) -> np.ndarray:
    """``np.insert(arr, at, values)`` for sorted ``at`` and few values, by slices.

    With ``shift``, the ``i``-th run of ``arr`` (before ``at[i]``; the last one after them
    all) is increased by ``shift[i]``; ``tail`` is appended.
    """
    pieces: list[np.ndarray] = []
    prev = 0
    for i, a in enumerate(at.tolist()):
        piece = arr[prev:a]
        pieces += [piece + shift[i] if shift is not None and shift[i] else piece, values[i : i + 1]]
        prev = a
    last = arr[prev:]
    pieces.append(last + shift[len(at)] if shift is not None and shift[len(at)] else last)
    if tail is not None:
        pieces.append(np.array([tail], dtype=np.int64))
    return np.concatenate(pieces).astype(np.result_type(arr, values), copy=False)


class Solver:
    """Shortest paths on an engine for one cargo, objective and set of restrictions.

    Row weights are computed once; each set of sources is searched once and answers every
    target asked from it.

    Parameters
    ----------
    engine
        The engine.
    model
        Prices edges for the cargo.
    objective
        What to minimise (see :data:`corridors.costs.OBJECTIVES`).
    restrictions
        What the route may not use.

    """

    def __init__(self, engine: PathEngine, model: CostModel, objective: str, restrictions: Restrictions) -> None:
        self.engine = engine
        self.model = model
        self.objective = objective
        self.restrictions = restrictions
        self.row_weights = engine.weights(model, objective, restrictions)
        self._pair_w = engine.collapse(self.row_weights)
        self._runs: dict[tuple[int, ...], tuple[Any, Any]] = {}

    def shortest(self, sources: Sequence[str], targets: Sequence[str]) -> Path | None:
        """Cheapest path from any source to any target (ties: the first target), or None.

        Parameters
        ----------
        sources, targets
            Graph nodes.

        Returns
        -------
        tuple of (weight, node path) or None

        """
        engine = self.engine
        src = tuple(engine.index[s] for s in sources if s not in self.restrictions.nodes)
        if not src:
            return None
        run = self._runs.get(src)
        if run is None:
            run = self._runs[src] = engine.search(self.row_weights, self._pair_w, list(src))
        dist, pred = run
        reached = [(dist[i], k, i) for k, i in enumerate(engine.index[t] for t in targets) if dist[i] < math.inf]
        if not reached:
            return None
        _, _, node = min(reached)
        path = [node]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        return float(dist[node]), [engine.nodes[i] for i in reversed(path)]

    def shortest_via(
        self, sources: Sequence[str], vias: Sequence[Sequence[str]], targets: Sequence[str]
    ) -> Path | None:
        """Cheapest path from sources through one node of each via group, in order, to targets."""
        return shortest_via(self.shortest, sources, vias, targets)

    def best_key(self, u: str, v: str) -> Hashable:
        """Key of the cheapest usable parallel edge from ``u`` to ``v`` (ties: the least key)."""
        return self.engine.key_of(self.engine.best_row(self.row_weights, u, v))

    def crossings_on(self, path: Sequence[str]) -> tuple[str, ...]:
        """Crossing ids used along a node path (on its cheapest parallel edges), in order."""
        rows = self.engine.best_rows(self.row_weights, path).tolist()
        return tuple(c for c in map(self.engine.crossing_of, rows) if c is not None)

    def path_edges(self, path: Sequence[str]) -> list[Mapping[str, Any]]:
        """Attributes of the cheapest parallel edge of every step of a node path."""
        return self.engine.row_attrs(self.engine.best_rows(self.row_weights, path).tolist())

    def best_keys(self, path: Sequence[str]) -> list[Hashable]:
        """:meth:`best_key` of every step of a node path, found at once."""
        key_of = self.engine.key_of
        return [key_of(r) for r in self.engine.best_rows(self.row_weights, path).tolist()]


def shortest_via(
    shortest: Callable[[Sequence[str], Sequence[str]], Path | None],
    sources: Sequence[str],
    vias: Sequence[Sequence[str]],
    targets: Sequence[str],
) -> Path | None:
    """Chain ``shortest`` from sources through one node of each via group, in order, to targets.

    Each group keeps, per node, the cheapest path to it through the groups before.
    """
    frontier: dict[str, Path] = {}
    for group in [*vias, targets]:
        nxt: dict[str, Path] = {}
        for node in group:
            best: Path | None = None
            if not frontier:
                best = shortest(sources, [node])
            else:
                for start, (w0, p0) in frontier.items():
                    found = shortest([start], [node])
                    if found and (best is None or w0 + found[0] < best[0]):
                        best = (w0 + found[0], p0 + found[1][1:])
            if best is not None:
                nxt[node] = best
        if not nxt:
            return None
        frontier = nxt
    return min(frontier.values(), key=lambda wp: wp[0])
