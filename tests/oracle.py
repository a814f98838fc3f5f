"""An independent least-cost oracle: plain networkx on the exported graph.

The weights here are written out from the documented formulas (README, "Cost model"), not
taken from corridors.costs, and the path search is networkx's own on a collapsed DiGraph with
a super-source and super-sink.
"""

from __future__ import annotations

import networkx as nx


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
