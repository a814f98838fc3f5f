"""Graph building: layers, transfers only at terminals, one crossing edge per mode, osmnx."""

from __future__ import annotations

import osmnx as ox
import pytest

from conftest import add_edge
from corridors.graph import build_graph, node_id


def test_one_node_per_place_and_layer(toy_net):
    g = toy_net.graph
    assert set(toy_net.layers_of("UZCITY")) == {"UZCITY:road", "UZCITY:rail1520"}
    assert toy_net.layers_of("PKPORT") == ["PKPORT:road"]
    for n, d in g.nodes(data=True):
        assert n == node_id(d["place"], d["layer"])
        assert "x" in d and "y" in d


def test_transfers_only_at_terminals(toy_net):
    g = toy_net.graph
    transfers = {(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "transfer"}
    # AFPOST's terminal is listed and both of its layers exist: it has transfers too.
    places = {g.nodes[u]["place"] for u, _ in transfers}
    assert places == {"UZCITY", "AFCITY", "AFPOST"}
    for u, v in transfers:
        assert g.nodes[u]["place"] == g.nodes[v]["place"]
        assert g.nodes[u]["layer"] != g.nodes[v]["layer"]
    # every other edge stays within one layer
    for u, v, d in g.edges(data=True):
        if d["kind"] != "transfer":
            assert g.nodes[u]["layer"] == g.nodes[v]["layer"] == d["layer"]


def test_one_crossing_edge_per_mode_and_direction(toy_net):
    g = toy_net.graph
    x1 = [(u, v, d["mode"]) for u, v, d in g.edges(data=True) if d.get("crossing_id") == "X1"]
    assert sorted(x1) == sorted(
        [
            ("AFPOST:road", "UZPOST:road", "road"),
            ("UZPOST:road", "AFPOST:road", "road"),
            ("AFPOST:rail1520", "UZPOST:rail1520", "rail"),
            ("UZPOST:rail1520", "AFPOST:rail1520", "rail"),
        ]
    )
    x2 = [d["mode"] for _, _, d in g.edges(data=True) if d.get("crossing_id") == "X2"]
    assert x2 == ["road", "road"]


def test_planned_links_only_when_opened(toy_dir):
    from corridors.checks import load_geodata

    add_edge(
        toy_dir,
        id="PLAN-1",
        **{"from": "AFSOUTH"},
        to="AFPOST2",
        mode="road",
        road_class="primary",
        country="AF",
        distance_km="500",
        status="planned",
        project="NEWROAD",
    )
    data = load_geodata(toy_dir)
    closed = build_graph(data)
    opened = build_graph(data, open_projects=["NEWROAD"])
    assert not closed.has_edge("AFSOUTH:road", "AFPOST2:road")
    assert opened.has_edge("AFSOUTH:road", "AFPOST2:road")
    assert opened["AFSOUTH:road"]["AFPOST2:road"]["PLAN-1"]["project"] == "NEWROAD"


def test_osmnx_accepts_the_graph(toy_net):
    nodes, edges = ox.graph_to_gdfs(toy_net.graph)
    assert len(nodes) == toy_net.graph.number_of_nodes()
    assert len(edges) == toy_net.graph.number_of_edges()
    assert str(edges.crs) == "EPSG:4326"
    road = edges.loc[("AFCITY:road", "AFSOUTH:road", "AF-R-3")]
    assert road["length"] == pytest.approx(400_000)
    assert road["geometry"].coords[0] == (67.1, 36.7)


def test_edge_length_metres_matches_distance(toy_net):
    for _, _, d in toy_net.graph.edges(data=True):
        assert d["length"] == pytest.approx(d["distance_km"] * 1000)
