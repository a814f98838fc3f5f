"""Detailed OSM networks: reading XML and PBF, speeds, layers, conflation with the toy geodata,
routing (against networkx and the independent oracle), storage and errors.

The hand-made extract follows the toy network of conftest (coordinates of TOY_PLACES)::

    UZCITY n1 ==trunk== n2 == n3 UZPOST -- n4 |border| n5 -- n6 AFPOST ==primary(30)== n10 AFCITY
       \\__secondary__ n7 __ n8 UZPOST2 -- |border| -- n9 AFPOST2 ==primary===========/   |  \\ oneway side streets
    AFCITY n10 ==trunk== n11 == n12 AFSOUTH ==primary== n13 AFSOUTH2 -|border|- n14 PKPOST ==motorway== n18
                                                                       -|border|- n19 PKPOST2 ==primary== n18
    rail 1520: n20 UZCITY - n21 UZPOST |border| n22 AFPOST - n23 AFCITY; a 1000 mm line n23-n24 (skipped)

n18 lies ~24 km short of PKPORT, so PKPORT:road cannot snap within 5 km.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_toy_geodata
from corridors import osm
from corridors.checks import load_geodata
from corridors.errors import DataError, UsageError
from corridors.fastpath import Snapshot
from corridors.network import load_network
from corridors.routing import find_routes
from oracle import OBJECTIVE_TOTAL, Router, oracle_cost
from test_engine import draw_request

NODES = {
    1: (38.0, 67.0), 2: (37.65, 67.2), 3: (37.3, 67.4), 4: (37.27, 67.4), 5: (37.23, 67.4), 6: (37.2, 67.4),
    7: (37.6, 67.8), 8: (37.3, 68.3), 9: (37.2, 68.3), 10: (36.7, 67.1), 11: (35.6, 68.2), 12: (34.5, 69.2),
    13: (34.0, 70.8), 14: (34.05, 70.95), 15: (36.75, 67.05), 16: (36.78, 67.0), 18: (33.2, 71.4),
    19: (34.0, 70.9), 20: (38.0, 67.01), 21: (37.3, 67.41), 22: (37.2, 67.41), 23: (36.7, 67.11),
    24: (36.6, 67.2), 30: (36.9, 67.3), 31: (36.95, 67.35),
}  # fmt: skip
# (way id, nodes, tags)
WAYS = [
    (101, [1, 2, 3], {"highway": "trunk", "ref": "M39", "name": "Termez road"}),
    (102, [3, 4, 5, 6], {"highway": "primary"}),
    (103, [1, 7, 8], {"highway": "secondary"}),
    (104, [8, 9], {"highway": "primary"}),
    (105, [6, 10], {"highway": "primary", "maxspeed": "30"}),
    (106, [9, 10], {"highway": "primary_link"}),
    (107, [10, 11, 12], {"highway": "trunk", "maxspeed": "90"}),
    (108, [12, 13], {"highway": "primary"}),
    (109, [13, 14], {"highway": "primary"}),
    (110, [13, 19], {"highway": "primary"}),
    (111, [14, 18], {"highway": "motorway", "maxspeed": "110", "oneway": "no"}),
    (112, [19, 18], {"highway": "primary"}),
    (113, [10, 15], {"highway": "secondary", "oneway": "yes"}),
    (114, [16, 15], {"highway": "secondary", "oneway": "-1"}),
    (115, [15, 16], {"highway": "footway"}),
    (116, [10, 30, 31], {"highway": "tertiary"}),
    (201, [20, 21, 22, 23], {"railway": "rail", "gauge": "1520"}),
    (202, [23, 24], {"railway": "rail", "gauge": "1000"}),
]


def osm_xml(nodes=NODES, ways=WAYS) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="hand">']
    for nid, (lat, lon) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_pbf(path: Path, nodes=NODES, ways=WAYS) -> Path:
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for nid, (lat, lon) in sorted(nodes.items()):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), version=1))
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    return path


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("osm")
    geodata = load_geodata(write_toy_geodata(root / "geodata"))
    xml = root / "toy.osm"
    xml.write_text(osm_xml(), encoding="utf-8")
    pbf = write_pbf(root / "toy.osm.pbf")
    return {"root": root, "geodata": geodata, "xml": xml, "pbf": pbf, "data_dir": root / "data"}


@pytest.fixture(scope="module")
def net(toy):
    osm.build_network(toy["xml"], "toy", rail=True, geodata=toy["geodata"], data_dir=toy["data_dir"], progress=False)
    return osm.load_osm_network("toy", toy["geodata"], toy["data_dir"])


def osm_edges(net, layer="road"):
    return [
        (u, v, d)
        for u, v, d in net.graph.edges(data=True)
        if u.startswith("node/") and v.startswith("node/") and d["layer"] == layer
    ]


# -- options ------------------------------------------------------------------------------
def test_parse_options():
    assert osm.parse_bbox("67,34,71,38") == (67.0, 34.0, 71.0, 38.0)
    for bad in ("1,2,3", "a,b,c,d", "71,34,67,38", "0,95,1,96"):
        with pytest.raises(UsageError):
            osm.parse_bbox(bad)
    assert osm.parse_highways("motorway,trunk") == ("motorway", "motorway_link", "trunk", "trunk_link")
    with pytest.raises(UsageError, match="unknown highway class 'footway'"):
        osm.parse_highways("primary,footway")
    assert osm.parse_maxspeed("60") == 60
    assert osm.parse_maxspeed("50;70") == 50
    assert osm.parse_maxspeed("40 mph") == pytest.approx(64.37, abs=0.01)
    assert math.isnan(osm.parse_maxspeed("RU:urban")) and math.isnan(osm.parse_maxspeed(None))


def test_data_dirs(monkeypatch, tmp_path):
    monkeypatch.delenv("CORRIDORS_DATA", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert osm.network_dir("af") == tmp_path / ".local/share/corridors/networks/af"
    monkeypatch.setenv("CORRIDORS_DATA", str(tmp_path / "d"))
    assert osm.network_dir("af") == tmp_path / "d/networks/af"
    assert osm.network_dir("af", tmp_path / "x") == tmp_path / "x/networks/af"
    for bad in ("", "../up", "a/b", ".hidden"):
        with pytest.raises(UsageError):
            osm.network_dir(bad)


# -- building -----------------------------------------------------------------------------
def test_build_stores_outside_repo_and_reports(toy, net):
    folder = osm.network_dir("toy", toy["data_dir"])
    assert (folder / "graph.npz").is_file() and (folder / "meta.json").is_file()
    assert osm.list_networks(toy["data_dir"]) == ["toy"]
    info = osm.network_info("toy", toy["data_dir"])
    report = info["report"]
    assert report["unknown_gauges"] == {"1000": 1}
    assert report["border_segments_cut"] == 5  # 4-5, 8-9, 13-14, 13-19 (road); 21-22 (rail)
    assert set(report["edges"]) == {"road", "rail1520"}


def test_graph_shape_and_conventions(net):
    g = net.graph
    assert g.graph["crs"] == "EPSG:4326"
    road = osm_edges(net)
    # footway and tertiary ways are not built, two-node ways across a border are cut away
    assert {d["osmid"] for _, _, d in road} == {101, 102, 103, 105, 106, 107, 108, 111, 112, 113, 114}
    pairs = {(u, v) for u, v, _ in road}
    assert ("node/1:road", "node/3:road") in pairs and ("node/3:road", "node/1:road") in pairs
    assert "node/2:road" not in g  # interior node simplified away
    for n, d in g.nodes(data=True):
        assert {"x", "y", "place", "layer", "name", "country", "kind"} <= d.keys(), n
    for u, v, d in g.edges(data=True):
        need = {"id", "kind", "mode", "layer", "distance_km", "length", "time_h", "geometry"}
        assert need <= d.keys(), (u, v)
        assert d["length"] == pytest.approx(d["distance_km"] * 1000)
        if d["kind"] == "road":
            assert "cost_usd_per_truck" in d
    _nodes, edges = ox.graph_to_gdfs(g)
    assert len(edges) == g.number_of_edges()


def test_oneway_streets(net):
    g = net.graph
    assert g.has_edge("node/10:road", "node/15:road") and not g.has_edge("node/15:road", "node/10:road")
    # oneway=-1: drawn 16 -> 15, driven 15 -> 16
    assert g.has_edge("node/15:road", "node/16:road") and not g.has_edge("node/16:road", "node/15:road")
    d = next(iter(g["node/15:road"]["node/16:road"].values()))
    assert d["oneway"] is True and d["reversed"] is False


def test_speeds_and_times(net):
    g = net.graph

    def edge(u, v):
        return next(iter(g[f"node/{u}:road"][f"node/{v}:road"].values()))

    trunk_uz = edge(1, 3)  # UZ 50 km/h x primary 1.0
    assert trunk_uz["road_class"] == "primary" and trunk_uz["country"] == "UZ"
    assert trunk_uz["speed_kph"] == pytest.approx(50)
    limited = edge(6, 10)  # AF 40 km/h, capped by maxspeed 30
    assert limited["speed_kph"] == pytest.approx(30)
    assert limited["time_h"] == pytest.approx(limited["distance_km"] / 30)
    assert limited["travel_time"] == pytest.approx(limited["time_h"] * 3600)
    assert limited["cost_usd_per_truck"] == pytest.approx(2.0 * limited["distance_km"])
    assert edge(10, 12)["speed_kph"] == pytest.approx(40)  # maxspeed 90 above the freight speed
    motorway = edge(14, 18)  # PK 50 x motorway 1.5 = 75 < 110
    assert motorway["road_class"] == "motorway" and motorway["speed_kph"] == pytest.approx(75)
    assert edge(12, 13)["road_class"] == "primary"
    assert edge(1, 8)["road_class"] == "secondary" and edge(1, 8)["speed_kph"] == pytest.approx(40)
    # length is the great-circle length along the way
    expected = sum(
        ox.distance.great_circle(*osm_coords(a), *osm_coords(b), earth_radius=6_371_009) for a, b in ((1, 2), (2, 3))
    )
    assert trunk_uz["length"] == pytest.approx(expected)


def osm_coords(n):
    lat, lon = NODES[n]
    return lat, lon


def test_rail_layer_by_gauge(net):
    rail = osm_edges(net, "rail1520")
    assert rail and all(d["kind"] == "rail" and d["gauge_mm"] == 1520 and "cost_usd_per_t" in d for _, _, d in rail)
    assert {u for u, _, _ in rail} == {"node/20:rail1520", "node/21:rail1520", "node/22:rail1520", "node/23:rail1520"}
    assert "node/24:rail1520" not in net.graph  # the 1000 mm line is skipped
    assert not any(d["layer"].startswith("rail1000") for _, _, d in net.graph.edges(data=True))


def test_borders_cut_outside_crossings(net):
    g = net.graph
    for u, v, d in g.edges(data=True):
        if d["kind"] != "crossing":
            assert g.nodes[u]["country"] == g.nodes[v]["country"], (u, v, d["id"])
    assert not g.has_edge("node/4:road", "node/5:road")
    assert g.nodes["node/4:road"]["country"] == "UZ" and g.nodes["node/5:road"]["country"] == "AF"


def test_xml_and_pbf_build_the_same_graph(toy):
    a = osm.read_osm(toy["xml"], geodata=toy["geodata"], rail=True)
    b = osm.read_osm(toy["pbf"], geodata=toy["geodata"], rail=True)
    assert a.report.__dict__ == b.report.__dict__
    for layer in ("road", "rail1520"):
        ga, gb = a.graphs[layer], b.graphs[layer]
        assert set(ga.nodes) == set(gb.nodes)

        def sig(g):
            return sorted(
                (u, v, d["osmid"], round(d["length"], 6), d["oneway"], d["reversed"], d["speed_kph"])
                for u, v, d in g.edges(data=True)
            )

        assert sig(ga) == sig(gb)
        for u, v, d in gb.edges(data=True):
            ref = next(iter(ga[u][v].values()))
            if "geometry" in ref:
                assert np.allclose(ref["geometry"].coords, d["geometry"].coords)


def test_split_ways_matches_osmnx_simplify_on_rings(toy):
    """Rings, a closed way touching a road, a way through the same node twice."""
    nodes = {1: (37.0, 67.0), 2: (37.0, 67.1), 3: (37.1, 67.1), 4: (37.1, 67.0), 5: (37.2, 67.2), 6: (37.3, 67.3),
             7: (36.9, 66.9), 8: (36.9, 67.1), 9: (36.8, 67.0), 10: (37.3, 67.5), 11: (37.4, 67.6), 12: (37.35, 67.7)}  # fmt: skip
    ways = [
        (1, [1, 2, 3, 4, 1], {"highway": "primary"}),  # ring with a road attached at 3
        (2, [3, 5, 6], {"highway": "primary"}),
        (3, [7, 8, 9, 7], {"highway": "primary", "junction": "roundabout"}),  # isolated ring: removed
        (4, [6, 10, 11, 12, 10], {"highway": "secondary"}),  # lollipop
    ]
    xml = toy["root"] / "rings.osm"
    xml.write_text(osm_xml(nodes, ways), encoding="utf-8")
    pbf = write_pbf(toy["root"] / "rings.osm.pbf", nodes, ways)
    ga = osm.read_osm(xml, geodata=toy["geodata"]).graphs["road"]
    gb = osm.read_osm(pbf, geodata=toy["geodata"]).graphs["road"]
    sig = lambda g: sorted((u, v, d["osmid"], round(d["length"], 6)) for u, v, d in g.edges(data=True))  # noqa: E731
    assert sig(ga) == sig(gb)
    assert 7 not in gb


# -- conflation ---------------------------------------------------------------------------
def test_places_snap_and_unsnappable_reported(net):
    report = net.conflation
    snaps = {(s.place, s.layer): s for s in report.snaps}
    assert snaps[("UZPOST", "road")].node == "node/3:road"
    assert snaps[("AFPOST", "road")].node == "node/6:road"
    assert snaps[("AFPOST", "rail1520")].node == "node/22:rail1520"
    assert snaps[("UZCITY", "road")].distance_km == pytest.approx(0.0, abs=1e-6)
    bad = {(s.place, s.layer): s for s in report.unsnapped}
    assert set(bad) == {("PKPORT", "road")}
    assert bad[("PKPORT", "road")].distance_km == pytest.approx(24.1, abs=0.1)
    assert any("PKPORT:road not snapped" in line and "km away" in line for line in report.lines())
    # the unsnapped place keeps its geodata links, the replaced ones are gone
    assert report.kept_edges == ["PK-R-1", "PK-R-2"]
    assert net.graph.has_edge("PKPOST:road", "PKPORT:road")
    assert not net.graph.has_edge("UZCITY:road", "UZPOST:road")
    assert net.layers_of("AFPOST") == ["AFPOST:road", "AFPOST:rail1520"]


def test_crossings_and_transfers_as_in_geodata(toy, net):
    coarse = load_network(toy["geodata"].directory).graph
    for u, v, k, d in coarse.edges(keys=True, data=True):
        if d["kind"] in ("crossing", "transfer"):
            got = net.graph[u][v][k]
            assert {a: got[a] for a in d if a != "geometry"} == {a: d[a] for a in d if a != "geometry"}
    connector = net.graph["AFPOST:road"]["node/6:road"]["connector:AFPOST:road"]
    assert connector["kind"] == "road" and connector["distance_km"] == pytest.approx(0.0, abs=1e-6)


def test_route_crosses_expected_crossing_and_matches_oracle(net):
    for objective in ("generalized", "cost", "time", "distance"):
        route = net.route("Uzcity", "Afsouth", objective=objective)
        assert route.crossings == ["X1"]
        assert any(leg.edge_id == "way/107" for leg in route.leg_list)
        expected = oracle_cost(net, "UZCITY", "AFSOUTH", objective=objective)
        total = sum(
            getattr(leg, OBJECTIVE_TOTAL[objective] if objective != "cost" else "cost_usd_per_t")
            for leg in route.leg_list
        )
        assert total == pytest.approx(expected, rel=1e-9)
    to_port = net.route("Uzcity", "Pkport")
    assert to_port.crossings[0] == "X1" and to_port.crossings[-1] in ("X3", "X4")
    assert to_port.totals["generalized_cost"] == pytest.approx(oracle_cost(net, "UZCITY", "PKPORT"), abs=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"objective": "time", "cargo": "perishable"},
        {"avoid": ["X1"]},
        {"modes": ["road"], "alternatives": 3},
        {"via": ["Afpost Two"]},
        {"objective": "reliability", "cargo": "bulk"},
        {"avoid": ["way/101"]},
    ],
)
def test_fast_router_agrees_with_networkx(net, kwargs, monkeypatch):
    from corridors.osm import conflate

    fast_requests, slow_requests = [], []
    csr = conflate.find_routes_csr

    def capture_fast(**request):
        fast_requests.append(request)
        return csr(**request)

    def capture_slow(**request):
        slow_requests.append(request)
        return find_routes(**request)

    monkeypatch.setattr(conflate, "find_routes_csr", capture_fast)
    fast = net.route("Uzcity", "Pkport", **kwargs)
    net_slow = osm.Network.from_graph(net.data, net.graph, net.open_projects)
    net_slow.places = net.places
    object.__setattr__(net_slow, "_find_routes", capture_slow)
    slow = net_slow.route("Uzcity", "Pkport", **kwargs)
    # the OSM network solved on its CSR table, the plain one through networkx, each once, and
    # both were asked the same question, the one the options describe
    [fast_request], [slow_request] = fast_requests, slow_requests
    assert fast_request.pop("table") is net.edge_table()
    assert "table" not in slow_request and "engine" not in slow_request  # the networkx engine
    assert fast_request.pop("network") is net and slow_request.pop("network") is net_slow
    assert fast_request.pop("graph") is net.route_graph and slow_request.pop("graph") is net_slow.graph
    assert fast_request == slow_request
    assert fast_request["objective"] == kwargs.get("objective", "generalized")
    assert fast_request["model"].profile.name == kwargs.get("cargo", "general")
    assert fast_request["k"] == kwargs.get("alternatives", 1)
    assert fast_request["origin"][1] == "Uzcity" and fast_request["destination"][1] == "Pkport"
    assert len(fast_request["via"]) == len(kwargs.get("via", ()))
    restrictions = fast_request["restrictions"]
    assert restrictions.modes == frozenset(kwargs.get("modes", ("road", "rail")))
    avoided = set(kwargs.get("avoid", ()))
    assert restrictions.crossings | restrictions.edges == avoided
    assert [r.crossings for r in fast.alternatives] == [r.crossings for r in slow.alternatives]
    for a, b in zip(fast.alternatives, slow.alternatives, strict=True):
        assert a.totals == pytest.approx(b.totals, abs=0.02)
    if kwargs.get("avoid") == ["way/101"]:
        assert all(leg.edge_id != "way/101" for leg in fast.leg_list)


def test_table_weights_equal_cost_model(net):
    table = net.edge_table()
    from corridors.restrictions import Restrictions

    for cargo in ("general", "fuel"):
        model = net.cost_model(cargo)
        for objective in ("generalized", "cost", "time", "distance", "reliability"):
            w = table.weights(model, objective, Restrictions())
            rows = list(net.graph.edges(keys=True, data=True))
            index = {(u, v, k): d for u, v, k, d in rows}
            det = [(table.nodes[a], table.nodes[b]) for a, b in zip(table._det_u, table._det_v, strict=True)]
            keys = net.detailed.edge_key
            for i, ((u, v), k) in enumerate(zip(det, keys, strict=True)):
                assert w[i] == pytest.approx(model.weight(index[(u, v, int(k))], objective), rel=1e-12)


def test_latlon_endpoint(net):
    route = net.route("37.95,67.02", "Afcity", modes=["road"])
    assert route.crossings == ["X1"]
    assert route.leg_list[0].road_class == "connector"


def test_scenarios_apply_unchanged(net):
    from corridors.scenarios import from_flags, parse_scenario

    closed = net.with_scenarios([from_flags(close=["X1"])])
    assert isinstance(closed, osm.OSMNetwork)
    assert closed.route("Uzcity", "Afcity", modes=["road"]).crossings == ["X2"]
    slow = net.with_scenarios([parse_scenario('[scale]\n"costs.road.speed_kmh.UZ" = 0.5\n', "slow")])
    before = net.route("Uzcity", "Afcity", objective="time", modes=["road"]).totals["time_h"]
    after = slow.route("Uzcity", "Afcity", objective="time", modes=["road"]).totals["time_h"]
    assert after > before


def test_snapshot_risk_and_criticality(net):
    from corridors import criticality, exact, risk
    from corridors.demand import Flow

    snap = Snapshot(net, net.cost_model("general"), "generalized")
    result = snap.solve(snap.nodes_of("UZCITY"), snap.nodes_of("AFSOUTH"))
    assert result.crossings == ("X1",)
    assert result.generalized == pytest.approx(oracle_cost(net, "UZCITY", "AFSOUTH"), rel=1e-9)
    sim = risk.simulate(net, "Uzcity", "Afsouth", samples=2000, seed=1)
    enumerated = exact.exact(net, "Uzcity", "Afsouth")
    assert sim.p_no_route == pytest.approx(enumerated.p_no_route, abs=0.01)
    rows = criticality.criticality(net, [Flow("Uzcity", "Afsouth", "general", 1000.0)])
    assert rows[0].closed in ("X1", "X2")


def test_rail_transfer_route(net):
    route = net.route("Uzcity", "Afcity", cargo="bulk", tonnes=2000, modes=["rail"])
    assert route.crossings == ["X1"]
    assert {leg.layer for leg in route.leg_list} == {"rail1520"}


def test_bbox_and_road_only_build(toy):
    # AF and PK only: UZ places cannot snap and keep their geodata links; rail from geodata
    osm.build_network(
        toy["pbf"], "south", bbox="66.5,33,72,37.25", geodata=toy["geodata"], data_dir=toy["data_dir"], progress=False
    )
    net = osm.load_osm_network("south", toy["geodata"], toy["data_dir"])
    assert {s.place for s in net.conflation.unsnapped} >= {"UZCITY", "UZPOST", "UZPOST2"}
    assert net.conflation.coarse_layers == ["rail1520"]
    assert "UZ-R-1" in net.conflation.kept_edges
    route = net.route("Uzcity", "Afsouth", modes=["road"])
    assert route.crossings == ["X1"]
    assert route.totals["generalized_cost"] == pytest.approx(oracle_cost(net, "UZCITY", "AFSOUTH"), abs=0.01)
    assert net.route("Uzcity", "Afcity", cargo="bulk", modes=["rail"]).crossings == ["X1"]


# -- errors -------------------------------------------------------------------------------
def _build(toy, path, **kw):
    return osm.build_network(path, "bad", geodata=toy["geodata"], data_dir=toy["data_dir"], progress=False, **kw)


def test_errors(toy, tmp_path):
    with pytest.raises(UsageError, match="OSM file not found"):
        _build(toy, tmp_path / "missing.osm.pbf")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"this is not a protobuf file at all" * 10)
    with pytest.raises(UsageError, match="not a readable OSM file"):
        _build(toy, junk)
    truncated = tmp_path / "cut.osm.pbf"
    truncated.write_bytes(toy["pbf"].read_bytes()[:-40])
    with pytest.raises(UsageError, match="not a readable OSM file"):
        _build(toy, truncated)
    bad_xml = tmp_path / "cut.osm"
    bad_xml.write_text(osm_xml()[:-30], encoding="utf-8")
    with pytest.raises(UsageError, match="not a readable OSM XML file"):
        _build(toy, bad_xml)
    other = tmp_path / "other.osm"
    other.write_text("<html><body>hello</body></html>", encoding="utf-8")
    with pytest.raises(UsageError, match="not an OSM XML file"):
        _build(toy, other)
    footpaths = tmp_path / "foot.osm"
    footpaths.write_text(osm_xml(ways=[w for w in WAYS if w[0] in (115, 116)]), encoding="utf-8")
    with pytest.raises(UsageError, match="no highway ways of classes"):
        _build(toy, footpaths)
    with pytest.raises(UsageError, match="inside bbox"):
        _build(toy, toy["pbf"], bbox="10,10,11,11")
    with pytest.raises(UsageError, match="no detailed network 'nothere'"):
        osm.load_osm_network("nothere", toy["geodata"], toy["data_dir"])
    assert "bad" not in osm.list_networks(toy["data_dir"])


def test_damaged_network_and_missing_costs(toy, tmp_path):
    osm.build_network(toy["xml"], "tmp", geodata=toy["geodata"], data_dir=tmp_path, progress=False)
    (osm.network_dir("tmp", tmp_path) / "graph.npz").write_bytes(b"garbage")
    with pytest.raises(UsageError, match="damaged"):
        osm.load_osm_network("tmp", toy["geodata"], tmp_path)
    osm.build_network(toy["xml"], "tmp", geodata=toy["geodata"], data_dir=tmp_path, progress=False)
    no_pk = load_geodata(toy["geodata"].directory)
    no_pk.costs.params.pop("road.speed_kmh.PK")
    with pytest.raises(DataError, match=r"road\.speed_kmh\.PK"):
        osm.load_osm_network("tmp", no_pk, tmp_path)


def test_graph_is_networkx_connected_per_country(net):
    g = nx.MultiDiGraph(net.graph)
    sub = g.subgraph([n for n, d in g.nodes(data=True) if d["country"] == "AF" and d["layer"] == "road"])
    assert nx.number_weakly_connected_components(sub) == 1


def test_cli_build_and_route_on_the_detailed_network(toy, tmp_path):
    import json
    import os
    import subprocess

    from conftest import PYTHON, REPO

    osm = tmp_path / "toy.osm"
    osm.write_text(osm_xml(), encoding="utf-8")
    env = os.environ | {"CORRIDORS_DATA": str(tmp_path / "data")}

    def cli(*args):
        return subprocess.run(
            [PYTHON, "-m", "corridors", *args, "--geodata", str(toy["geodata"].directory)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=180,
        )

    built = cli("build", "--osm", str(osm), "--name", "toyosm", "--rail")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "data" / "networks" / "toyosm").is_dir()
    assert "toyosm" in cli("networks").stdout
    routed = cli("route", "Uzcity", "Pkport", "--network", "toyosm", "--json")
    assert routed.returncode == 0, routed.stderr
    d = json.loads(routed.stdout)
    strategic = json.loads(cli("route", "Uzcity", "Pkport", "--json").stdout)
    assert d["crossings"][-1] in {"X3", "X4"} and len(d["legs"]) > len(strategic["legs"])
    missing = cli("route", "Uzcity", "Pkport", "--network", "nope")
    assert missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not osm", encoding="utf-8")
    broken = cli("build", "--osm", str(bad), "--name", "bad")
    assert broken.returncode in (2, 5) and len(broken.stderr.strip().splitlines()) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_edge_table_engine_equals_networkx(net, data):
    """The CSR engine on the OSM graph: networkx's least weight for random requests and restrictions."""
    model, objective, r, sources, targets, via = draw_request(data, net)
    solver = net.edge_table().solver(model, objective, r)
    oracle = Router(net.graph, model, objective, r)
    got, want = solver.shortest(sources, targets), oracle.shortest(sources, targets)
    assert (got is None) == (want is None)
    if got is not None:
        assert got[0] == pytest.approx(want[0], rel=1e-9, abs=1e-12)
        total = sum(oracle.edge_weight(net.graph[u][v][solver.best_key(u, v)]) for u, v in itertools.pairwise(got[1]))
        assert total == pytest.approx(got[0], rel=1e-9, abs=1e-12)
    if via:
        got_via, want_via = solver.shortest_via(sources, via, targets), oracle.shortest_via(sources, via, targets)
        assert (got_via is None) == (want_via is None)
        if got_via is not None:
            assert got_via[0] == pytest.approx(want_via[0], rel=1e-9, abs=1e-12)


def test_a_network_over_geodata_with_seaports_loads(toy, tmp_path):
    """Geodata with a port (a ``sea`` quay layer the OSM graph lacks) lays over the detailed graph.

    The quay is kept from the geodata and listed among the coarse layers; a route from the
    port pays its dwell once, as on the strategic network.
    """
    directory = write_toy_geodata(tmp_path / "geodata")
    (directory / "ports.csv").write_text(
        "place,dwell_h,handling_usd_per_t,source,quality,note\nPKPORT,48,10,https://example.org/port,M,\n",
        encoding="utf-8",
    )
    geodata = load_geodata(directory)
    data_dir = tmp_path / "data"
    osm.build_network(toy["xml"], "ports", geodata=geodata, data_dir=data_dir, progress=False)
    ported = osm.load_osm_network("ports", geodata, data_dir)
    assert "sea" in ported.conflation.coarse_layers
    legs = ported.route("Pkport", "Afcity").leg_list
    quay = [leg for leg in legs if leg.kind == "transfer" and leg.transfer_kind == "port"]
    assert len(quay) == 1 and quay[0].time_h == 48.0


def build_toy_osm(root):
    """The toy geodata and the toy OSM extract built as the stored network ``toy`` under ``root``.

    Returns ``(geodata, data_dir)``; :func:`load_toy_osm` loads it.
    """
    from conftest import write_toy_geodata
    from corridors.checks import load_geodata

    geodata = load_geodata(write_toy_geodata(root / "geodata"))
    (root / "toy.osm").write_text(osm_xml(), encoding="utf-8")
    osm.build_network(root / "toy.osm", "toy", rail=True, geodata=geodata, data_dir=root / "data", progress=False)
    return geodata, root / "data"


def load_toy_osm(built):
    """Load the network :func:`build_toy_osm` stored."""
    geodata, data_dir = built
    return osm.load_osm_network("toy", geodata, data_dir)
