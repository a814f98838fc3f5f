"""osmnx conventions (corridors.convert) and the GeoJSON export of routes."""

from __future__ import annotations

import json

import networkx as nx
import osmnx as ox
import pytest
from shapely.geometry import shape

from corridors.convert import check_graph, node_of, to_osmnx
from corridors.errors import DataError, UnknownPlaceError


@pytest.fixture(scope="module")
def G(toy_net):
    return to_osmnx(toy_net)


def test_integer_nodes_keep_their_key(G, toy_net):
    assert all(isinstance(n, int) for n in G.nodes)
    assert sorted(d["node_key"] for _, d in G.nodes(data=True)) == sorted(toy_net.graph.nodes)
    n = node_of(G, "UZCITY", "rail1520")
    assert (
        G.nodes[n]["place"] == "UZCITY"
        and G.nodes[n]["layer"] == "rail1520"
        and G.nodes[n]["node_key"] == "UZCITY:rail1520"
    )
    with pytest.raises(UnknownPlaceError):
        node_of(G, "PKPORT", "rail1520")


def test_speed_and_travel_time(G, toy_net):
    for *_, d in G.edges(keys=True, data=True):
        assert d["travel_time"] == pytest.approx(d["time_h"] * 3600)
        if d["time_h"] > 0:
            assert d["speed_kph"] == pytest.approx(d["distance_km"] / d["time_h"])
        else:
            assert d["speed_kph"] == 0
    # a transfer covers no distance: speed 0, but its waiting time counts
    transfer = next(d for *_, d in G.edges(data=True) if d["kind"] == "transfer")
    assert transfer["speed_kph"] == 0 and transfer["travel_time"] > 0
    assert toy_net.graph.number_of_edges() == G.number_of_edges()  # the network's graph is untouched
    assert "travel_time" not in next(iter(toy_net.graph.edges(data=True)))[2]


def test_osmnx_shortest_path_matches_networkx(G):
    orig, dest = node_of(G, "UZCITY"), node_of(G, "PKPORT")
    path = ox.routing.shortest_path(G, orig, dest, weight="travel_time")
    assert path[0] == orig and path[-1] == dest
    assert path == nx.shortest_path(G, orig, dest, weight=lambda u, v, d: min(e["travel_time"] for e in d.values()))
    # vectorised form: lists of origins and destinations
    paths = ox.routing.shortest_path(G, [orig, orig], [dest, node_of(G, "AFCITY")], weight="travel_time")
    assert paths[0] == path and paths[1][-1] == node_of(G, "AFCITY")


def test_scalar_nearest_nodes(G):
    n = ox.distance.nearest_nodes(G, X=67.11, Y=36.69)  # next to Afcity
    assert n in G and G.nodes[n]["place"] == "AFCITY"
    many = ox.distance.nearest_nodes(G, X=[67.0, 71.5], Y=[38.0, 33.0])
    assert [G.nodes[m]["place"] for m in many] == ["UZCITY", "PKPORT"]


def test_basic_stats(G):
    stats = ox.stats.basic_stats(G)
    assert stats["n"] == G.number_of_nodes() and stats["m"] == G.number_of_edges()
    assert stats["edge_length_total"] == pytest.approx(sum(d["length"] for *_, d in G.edges(data=True)))


def test_graphml_round_trip(G, tmp_path):
    path = tmp_path / "toy.graphml"
    ox.io.save_graphml(G, path)
    H = ox.io.load_graphml(path)
    assert set(H.nodes) == set(G.nodes) and H.number_of_edges() == G.number_of_edges()
    assert H.graph["crs"] == G.graph["crs"]
    orig, dest = node_of(H, "UZCITY"), node_of(H, "PKPORT")
    assert ox.routing.shortest_path(H, orig, dest, weight="travel_time") == ox.routing.shortest_path(
        G, orig, dest, weight="travel_time"
    )
    d = next(iter(H.edges(data=True)))[2]
    assert isinstance(d["travel_time"], float) and isinstance(d["speed_kph"], float)
    nodes, edges = ox.convert.graph_to_gdfs(H)
    assert len(nodes) == len(G) and "travel_time" in edges.columns


def test_check_graph_says_what_is_missing(toy_net):
    g = toy_net.graph.copy()
    del g.graph["crs"]
    with pytest.raises(DataError, match="crs"):
        check_graph(g)
    g = toy_net.graph.copy()
    u, v, k = next(iter(g.edges(keys=True)))
    del g.edges[u, v, k]["time_h"]
    with pytest.raises(DataError, match="time_h"):
        to_osmnx(g)


def test_legs_explore_from_a_plain_install(toy_net):
    m = toy_net.route("Uzcity", "Pkport").legs.explore()
    assert "Uzcity" in m.get_root().render()


# -- GeoJSON --------------------------------------------------------------------------------
def test_geojson_geometries_are_valid(toy_net):
    route = toy_net.route("Uzcity", "Pkport", alternatives=3)
    gj = route.to_geojson()
    for f in gj["features"]:
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty
        kind = f["properties"]["kind"]
        assert f["geometry"]["type"] == ("Point" if kind in ("crossing", "transfer") else "LineString")


def test_geojson_exports_every_alternative_in_order(toy_net):
    route = toy_net.route("Uzcity", "Pkport", alternatives=3)
    gj = route.to_geojson()
    ids = [f["properties"]["route_id"] for f in gj["features"]]
    assert sorted(set(ids)) == [1, 2, 3] and ids == sorted(ids)
    for rid, alt in enumerate(route.alternatives, 1):
        legs = [f["properties"] for f in gj["features"] if f["properties"]["route_id"] == rid]
        assert [p["leg_index"] for p in legs] == list(range(1, len(alt.leg_list) + 1))
        assert legs[-1]["cum_cost_usd"] == pytest.approx(sum(leg.cost_usd for leg in alt.leg_list), abs=0.01)
        assert legs[0]["route_crossings"] == " > ".join(alt.crossings)


def test_geojson_property_types_are_stable(toy_net, tmp_path):
    import geopandas as gpd

    road = toy_net.route("Uzcity", "Pkport", modes=["road"]).to_geojson()
    rail = toy_net.route("Uzcity", "Pkport", alternatives=2).to_geojson()
    types = []
    for gj in (road, rail):
        keys = [tuple(f["properties"]) for f in gj["features"]]
        assert len(set(keys)) == 1  # every feature has the same properties, in the same order
        for f in gj["features"]:
            assert all(v is not None for v in f["properties"].values())
        path = tmp_path / "legs.geojson"
        path.write_text(json.dumps(gj))
        types.append(gpd.read_file(path).dtypes.astype(str).to_dict())
    assert types[0] == types[1]
    assert types[0]["gauge_mm"].startswith("int") and types[0]["fee_usd"].startswith("float")
    gauges = {f["properties"]["gauge_mm"] for f in rail["features"]}
    assert gauges == {0, 1520}
