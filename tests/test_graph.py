"""The graph contract: what every node and edge carries, checked where a graph enters."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from corridors.data import LAYERS, SEA_LAYER
from corridors.errors import DataError
from corridors.graph import EDGE_ATTRS, NODE_ATTRS, check_graph, gauge_of
from corridors.network import Network


def test_built_graphs_keep_the_contract(toy_net, shipped_net):
    """Every node and edge the builder makes carries the contract's attributes."""
    for net in (toy_net, shipped_net):
        check_graph(net.graph)
        for n, d in net.graph.nodes(data=True):
            assert d["place"] in net.data.places or d["place"].startswith("@"), n
            assert d["layer"] in (*LAYERS, SEA_LAYER)


def test_gauges_come_from_layer_names_once():
    assert [gauge_of(x) for x in ("road", "rail1520", "rail1435", "rail1676", SEA_LAYER)] == [
        None,
        1520,
        1435,
        1676,
        None,
    ]


def test_route_legs_report_the_gauge_of_their_layer(shipped_net):
    """A rail leg's gauge is its edge's gauge (edges.csv) and its layer's: the two agree."""
    route = shipped_net.route("Termez", "Mazar-i-Sharif", modes=["rail"])
    rail = [leg for leg in route.leg_list if leg.mode == "rail" and leg.kind == "rail"]
    assert rail and all(leg.gauge_mm == gauge_of(leg.layer) == 1520 for leg in rail)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda g, n, e: g.nodes[n].pop("layer"), "lacks layer"),
        (lambda g, n, e: g.nodes[n].pop("place"), "lacks place"),
        (lambda g, n, e: g.nodes[n].__setitem__("layer", "rail1000"), "unknown layer 'rail1000'"),
        (lambda g, n, e: g.edges[e].pop("time_h"), "lacks time_h"),
        (lambda g, n, e: g.edges[e].__setitem__("kind", "ferry"), "unknown kind 'ferry'"),
        (lambda g, n, e: g.edges[e].__setitem__("distance_km", -1.0), "distance_km = -1.0"),
        (lambda g, n, e: g.edges[e].__setitem__("time_h", math.nan), "time_h = nan"),
        (lambda g, n, e: g.edges[e].__setitem__("cost_usd_per_t", "3"), "cost_usd_per_t = '3'"),
    ],
)
def test_a_foreign_graph_that_breaks_the_contract_is_refused(toy_net, damage, message):
    """``Network.from_graph`` checks the graph once and names the first defect (no KeyError later)."""
    graph = toy_net.graph.copy()
    node = next(iter(graph.nodes))
    edge = next(iter(graph.edges(keys=True)))
    damage(graph, node, edge)
    with pytest.raises(DataError, match=message):
        Network.from_graph(toy_net.data, graph)


def test_from_graph_refuses_a_graph_of_the_wrong_type(toy_net):
    with pytest.raises(DataError, match="must be a networkx MultiDiGraph, not DiGraph"):
        Network.from_graph(toy_net.data, nx.DiGraph(toy_net.graph))


def test_from_graph_accepts_a_conforming_graph_and_routes_on_it(toy_net):
    """A copy of a built graph passes the check and gives the same answer."""
    net = Network.from_graph(toy_net.data, toy_net.graph.copy())
    a = net.route("Uzcity", "Pkport").totals
    b = toy_net.route("Uzcity", "Pkport").totals
    assert a == b


def test_contract_lists_are_what_the_docs_say():
    """The module docstring's contract names the same attributes the check enforces."""
    import corridors.graph as g

    for name in (*NODE_ATTRS, *EDGE_ATTRS):
        if name != "id":
            assert f"``{name}``" in g.__doc__, name
