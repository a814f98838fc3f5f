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


def test_foreign_truck_entry_fee_is_charged_in_the_direction_entered(toy_dir):
    from corridors.network import load_network

    fee = '\n[road.entry_fee_usd_per_truck]\nAF = { value = 100.0, source = "https://example.org/t", quality = "M" }\n'
    with (toy_dir / "costs.toml").open("a", encoding="utf-8") as fh:
        fh.write(fee)
    net = load_network(toy_dir)
    g = net.graph
    into_af = g["UZPOST:road"]["AFPOST:road"]["X1:road"]
    into_uz = g["AFPOST:road"]["UZPOST:road"]["X1:road"]
    assert into_af["cost_usd_per_truck"] == 300.0  # crossing fee 200 + AF entry fee 100
    assert into_uz["cost_usd_per_truck"] == 200.0  # UZ charges none in this file
    assert into_af["entry_fee_usd_per_truck"] == 100.0
    assert g["AFPOST:rail1520"]["UZPOST:rail1520"]["X1:rail"].get("cost_usd_per_wagon") == 120.0  # rail unchanged
    # By hand, one 20 t truck: UZ-R-1 100 km x 1.0 + X1 (200 + 100) + AF-R-1 80 km x 2.0 = 560 USD
    # into Afghanistan, and 160 + 200 + 100 = 460 USD out of it.
    there = net.route("Uzcity", "Afcity", modes=["road"])
    back = net.route("Afcity", "Uzcity", modes=["road"])
    assert there.crossings == back.crossings == ["X1"]
    assert there.totals["cost_usd"] == pytest.approx(560.0)
    assert back.totals["cost_usd"] == pytest.approx(460.0)


def test_no_entry_fee_table_keeps_crossings_symmetric(toy_net):
    g = toy_net.graph
    for u, v, k, d in g.edges(keys=True, data=True):
        if d["kind"] == "crossing":
            assert g[v][u][k]["cost_usd_per_truck" if d["mode"] == "road" else "cost_usd_per_wagon"] == d.get(
                "cost_usd_per_truck" if d["mode"] == "road" else "cost_usd_per_wagon"
            )
