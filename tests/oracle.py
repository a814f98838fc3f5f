"""An independent least-cost oracle: plain networkx on the exported graph.

The weights here are written out from the documented formulas (README, "Cost model"), not
taken from corridors.costs, and the path search is networkx's own on a collapsed DiGraph with
a super-source and super-sink.

:class:`Router` is the path search the package used before :mod:`corridors.engine`: networkx's
Dijkstra over a weight function of the multigraph, kept here only as the oracle the engine is
tested against (same pricing rule, independent search).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from corridors.costs import CostModel
from corridors.engine import shortest_via
from corridors.restrictions import Restrictions


def edge_weight(d: dict, profile: dict, wagon_t: float, objective: str) -> float:
    if objective == "distance":
        return d["distance_km"]
    if objective == "time":
        return d["time_h"]
    truck = d.get("cost_usd_per_truck", 0.0) / profile["payload_t"]
    if d["kind"] == "road":
        truck *= profile["road_cost_factor"]
    per_t = d.get("cost_usd_per_t", 0.0)
    if d["kind"] == "rail":
        per_t *= profile["rail_cost_factor"]
    money = truck + d.get("cost_usd_per_wagon", 0.0) / wagon_t + per_t
    if objective == "cost":
        return money
    return money + profile["value_of_time_usd_per_t_h"] * d["time_h"]


def oracle_cost(
    net, origin_id: str, dest_id: str, cargo: str = "general", objective: str = "generalized"
) -> float | None:
    """Least total weight from any layer of origin to any layer of destination, or None."""
    costs = net.data.costs
    profile = {
        k: costs.get("cargo", cargo, k)
        for k in ("payload_t", "value_of_time_usd_per_t_h", "road_cost_factor", "rail_cost_factor")
    }
    wagon_t = costs.get("rail", "wagon_payload_t")
    g = nx.DiGraph()
    for u, v, d in net.graph.edges(data=True):
        cargo_ok = not d.get("cargo") or "all" in d["cargo"] or cargo in d["cargo"]
        if not cargo_ok:
            continue
        w = edge_weight(d, profile, wagon_t, objective)
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)
    for n, d in net.graph.nodes(data=True):
        if d["place"] == origin_id:
            g.add_edge("SOURCE", n, weight=0.0)
        if d["place"] == dest_id:
            g.add_edge(n, "SINK", weight=0.0)
    try:
        return nx.shortest_path_length(g, "SOURCE", "SINK", weight="weight")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


OBJECTIVE_TOTAL = {
    "generalized": "generalized_cost",
    "cost": "cost_usd_per_t",
    "time": "time_h",
    "distance": "distance_km",
}


class Router:
    """networkx's Dijkstra on ``graph`` for one cost model, objective and set of restrictions."""

    def __init__(self, graph: nx.MultiDiGraph, model: CostModel, objective: str, restrictions: Restrictions) -> None:
        self.graph = graph
        self.model = model
        self.objective = objective
        self.restrictions = restrictions

    def edge_weight(self, attrs: Mapping[str, Any]) -> float | None:
        """Weight of one edge, or None when it may not be used."""
        if not self.restrictions.allows(attrs) or not self.model.handles(attrs):
            return None
        return self.model.weight(attrs, self.objective)

    def _weight(self, u: str, v: str, keyed: Mapping[str, Mapping[str, Any]]) -> float | None:
        if v in self.restrictions.nodes:
            return None
        weights = [w for w in map(self.edge_weight, keyed.values()) if w is not None]
        return min(weights) if weights else None

    def best_key(self, u: str, v: str) -> str:
        """Key of the cheapest usable parallel edge from ``u`` to ``v``."""
        options = [(w, k) for k, d in self.graph[u][v].items() if (w := self.edge_weight(d)) is not None]
        return min(options)[1]

    def shortest(self, sources: Sequence[str], targets: Sequence[str]) -> tuple[float, list[str]] | None:
        """Cheapest (weight, node path) from any source to any target by networkx, or None."""
        sources = [s for s in sources if s not in self.restrictions.nodes]
        if not sources:
            return None
        dist, paths = nx.multi_source_dijkstra(self.graph, sources, weight=self._weight)
        reached = [(dist[t], i, t) for i, t in enumerate(targets) if t in dist]
        if not reached:
            return None
        w, _, t = min(reached)
        return w, paths[t]

    def shortest_via(
        self, sources: Sequence[str], vias: Sequence[Sequence[str]], targets: Sequence[str]
    ) -> tuple[float, list[str]] | None:
        """Cheapest path from sources through one node of each via group, in order, to targets."""
        return shortest_via(self.shortest, sources, vias, targets)
