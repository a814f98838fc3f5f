"""A stored OSM network routes on its arrays; its networkx graph is built only when asked for.

The toy extract and geodata are those of ``test_osm``. ``osm_toy_graph.json`` is the graph the
loader built before the arrays became the network (every node and edge with its attributes,
in insertion order, and each node's predecessors): the graph built on demand must equal it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from corridors import osm
from corridors.errors import UsageError
from corridors.osm.conflate import ConflatedGraph
from corridors.osm.countries import NearestSearch, unit_vectors
from corridors.osm.store import map_arrays
from test_osm import build_toy_osm, load_toy_osm

GOLDEN = Path(__file__).with_name("osm_toy_graph.json")


@pytest.fixture(scope="module")
def toy_osm(tmp_path_factory):
    return build_toy_osm(tmp_path_factory.mktemp("osm_arrays"))


def load(toy_osm):
    return load_toy_osm(toy_osm)


def value(v):
    if hasattr(v, "coords"):
        return [[round(x, 9), round(y, 9)] for x, y in v.coords]
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 9)
    return v


def signature(g):
    return {
        "graph": {k: g.graph[k] for k in sorted(g.graph)},
        "nodes": [[n, {k: value(d[k]) for k in sorted(d)}] for n, d in g.nodes(data=True)],
        "edges": [[u, v, k, {a: value(d[a]) for a in sorted(d)}] for u, v, k, d in g.edges(keys=True, data=True)],
        "pred": [[n, list(g.pred[n])] for n in g.nodes],
    }


def test_graph_built_on_demand_equals_the_old_loader(toy_osm):
    net = load(toy_osm)
    assert not net.graph_built
    got = json.loads(json.dumps(signature(net.graph), sort_keys=True))
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert net.graph_built and net.graph is net.graph  # built once, kept
    for part in ("graph", "nodes", "pred"):
        assert got[part] == want[part], part
    assert len(got["edges"]) == len(want["edges"])
    for a, b in zip(got["edges"], want["edges"], strict=True):
        assert a == b


def test_the_view_answers_as_the_graph(toy_osm):
    net = load(toy_osm)
    view = net.route_graph
    assert isinstance(view, ConflatedGraph)
    g = net.graph
    assert view.number_of_nodes() == g.number_of_nodes() and view.number_of_edges() == g.number_of_edges()
    assert list(view.ids) == list(g.nodes) and all(view.index[n] == i for i, n in enumerate(g.nodes))
    for n, d in g.nodes(data=True):
        assert n in view and view.nodes[n] == d
        assert sorted(view.out_edges(n, keys=True)) == sorted(g.out_edges(n, keys=True))
        assert sorted(view.in_edges(n, keys=True)) == sorted(g.in_edges(n, keys=True))
    for u, v, k, d in g.edges(keys=True, data=True):
        got = view[u][v][k]
        assert {a: value(x) for a, x in got.items()} == {a: value(x) for a, x in d.items()}
        assert list(view[u][v]) == list(g[u][v])  # parallel edges in key order
    assert "node/999:road" not in view and "UZCITY:rail1435" not in view
    for u, v in (("AFSOUTH:road", "node/1:road"), ("node/1:road", "node/12:road")):
        assert not view.has_edge(u, v) and not g.has_edge(u, v)
        with pytest.raises(KeyError):
            view[u][v]
    with pytest.raises(ValueError, match="read-only"):
        view.copy().add_edge("node/1:road", "node/3:road", key="x")


ROUTES = [
    (("Uzcity", "Pkport"), {}),
    (("Uzcity", "Pkport"), {"objective": "time", "cargo": "perishable", "alternatives": 3}),
    (("Uzcity", "Afsouth"), {"avoid": ["way/101"]}),
    (("Uzcity", "Afsouth"), {"via": ["Afpost Two"], "modes": ["road"]}),
    (("Uzcity", "Afcity"), {"cargo": "bulk", "tonnes": 2000, "modes": ["rail"]}),
    (("Uzcity", "Pkport"), {"objective": "reliability"}),
    (("37.95,67.02", "Afcity"), {"modes": ["road"]}),
    (("Uzcity", "36.70,67.12"), {}),
]


@pytest.mark.parametrize(("ends", "kwargs"), ROUTES)
def test_routes_never_build_the_graph_and_match_networkx(toy_osm, ends, kwargs):
    net = load(toy_osm)
    fast = net.route(*ends, **kwargs)
    assert not net.graph_built  # the route path read the arrays only
    slow_net = osm.Network.from_graph(net.data, net.graph, net.open_projects)  # the networkx path
    slow_net.places = net.places
    slow = slow_net.route(*ends, **kwargs)
    assert json.dumps(fast.to_dict()) == json.dumps(slow.to_dict())
    assert fast.to_geojson() == slow.to_geojson()


def test_scenarios_and_listings_never_build_the_graph(toy_osm):
    from corridors.scenarios import from_flags

    net = load(toy_osm)
    closed = net.with_scenarios([from_flags(close=["X1"])])
    assert closed.route("Uzcity", "Afcity", modes=["road"]).crossings == ["X2"]
    assert net.place_records(country="AF") and "unsnapped" in repr(net)
    assert not net.graph_built and not closed.graph_built
    assert closed.graph.number_of_edges() == closed.route_graph.number_of_edges()


def test_edge_table_takes_only_the_view(toy_osm):
    net = load(toy_osm)
    assert net.edge_table() is net.edge_table(net.route_graph)
    with pytest.raises(TypeError):
        net.edge_table(net.graph.copy())


def test_nearest_search_is_exact():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(60, 75, 4000), rng.uniform(30, 45, 4000)
    lon[:50], lat[:50] = lon[50:100], lat[50:100]  # exact ties: the first point wins
    points = unit_vectors(lon, lat)
    labels = np.arange(4000) * 10
    search = NearestSearch(points, labels)
    queries = unit_vectors(rng.uniform(50, 85, 300), rng.uniform(20, 55, 300))
    for q in [*queries, *points[:60]]:
        chords = np.linalg.norm(points - q, axis=1)
        label, chord = search.nearest(q)
        assert chord == chords.min() and label == labels[int(np.argmin(chords))]


def test_mapped_arrays_equal_numpy_load(tmp_path):
    arrays = {"a": np.arange(7, dtype=np.int64), "b": np.array([1.5, math.nan]), "e": np.zeros(0), "m": np.eye(3)}
    np.savez(tmp_path / "x.npz", **arrays)
    got = map_arrays(tmp_path / "x.npz", tuple(arrays))
    for k, v in arrays.items():
        assert np.array_equal(got[k], v, equal_nan=True) and got[k].dtype == v.dtype
    np.savez_compressed(tmp_path / "z.npz", **arrays)
    assert np.array_equal(map_arrays(tmp_path / "z.npz", ("m",))["m"], arrays["m"])
    with pytest.raises(KeyError):
        map_arrays(tmp_path / "x.npz", ("nope",))


def test_damaged_archive_is_a_usage_error(toy_osm, tmp_path):
    geodata, _ = toy_osm
    folder = tmp_path / "networks" / "t"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"format_version": 1}), encoding="utf-8")
    (folder / "graph.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UsageError, match="damaged"):
        osm.load_osm_network("t", geodata, tmp_path)


def test_small_graph_is_the_networkx_graph():
    """The corridor graph built without networkx has the same nodes, edges, keys, order and attributes."""
    from corridors.checks import load_geodata
    from corridors.graph import build_graph, build_small_graph

    data = load_geodata()
    projects = sorted({e.project for e in data.edges.values() if e.project})
    for opened in ((), projects):
        small = build_small_graph(data, opened)
        assert signature(small.to_networkx()) == signature(build_graph(data, opened))
        copied = small.copy()
        assert signature(copied.to_networkx()) == signature(small.to_networkx())
        n = next(iter(small))
        assert copied.nodes[n] == small.nodes[n] and copied.nodes[n] is not small.nodes[n]
        assert sorted(small.out_edges(n, keys=True)) == sorted(build_graph(data, opened).out_edges(n, keys=True))
    g = build_small_graph(data)
    assert g.add_edge("a", "b") == 0 and g.add_edge("a", "b") == 1 and g.add_edge("a", "b", key="k") == "k"
    assert g.in_edges("b", keys=True) == [("a", "b", 0), ("a", "b", 1), ("a", "b", "k")]


def test_fresh_route_imports_neither_networkx_nor_the_reader(toy_osm):
    """``corridors route --network`` in a fresh process reads the arrays without networkx or osm.read."""
    import os
    import subprocess
    import sys

    geodata, data_dir = toy_osm
    code = (
        "import sys, runpy\n"
        "sys.argv = ['corridors', 'route', 'Uzcity', 'Afcity', '--network', 'toy', '--geodata', sys.argv[1], '--json']\n"
        "try:\n    runpy.run_module('corridors', run_name='__main__')\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "print(sorted(m for m in ('networkx', 'corridors.osm.read', 'geopandas') if m in sys.modules), file=sys.stderr)\n"
    )
    env = os.environ | {"CORRIDORS_DATA": str(data_dir)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(geodata.directory)], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["legs"]
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_derived_arrays_are_stored_and_a_store_without_them_gives_the_same(toy_osm, tmp_path):
    """Build stores the pair order, components, edge countries and the places' nearest nodes;
    a store written before them (the same arrays without those) loads to the same network."""
    import zipfile

    from corridors.osm.store import DetailedGraph, network_dir

    geodata, data_dir = toy_osm
    folder = network_dir("toy", data_dir)
    names = set(zipfile.ZipFile(folder / "graph.npz").namelist())
    derived = ("edge_order", "node_component", "edge_country", "snap_query", "snap_node", "snap_chord")
    assert {f"{k}.npy" for k in derived} <= names
    detailed = DetailedGraph.load(folder)
    assert len(detailed.snap_node) > 0
    old_dir = tmp_path / "old"
    old = DetailedGraph.load(folder)  # mapped from the built store; saved into another folder
    for k in derived:
        setattr(old, k, None)
    network_dir("toy", old_dir).mkdir(parents=True)
    old.save(network_dir("toy", old_dir))
    assert not {f"{k}.npy" for k in derived} & set(
        zipfile.ZipFile(network_dir("toy", old_dir) / "graph.npz").namelist()
    )
    new_net, old_net = osm.load_osm_network("toy", geodata, data_dir), osm.load_osm_network("toy", geodata, old_dir)
    assert new_net.conflation == old_net.conflation
    again = DetailedGraph.load(network_dir("toy", old_dir))
    assert np.array_equal(again.pair_order(), detailed.edge_order)
    assert np.array_equal(again.edge_countries(), detailed.edge_country)
    assert np.array_equal(again.components(), detailed.node_component)
    for ends, kwargs in ROUTES:
        assert new_net.route(*ends, **kwargs).to_dict() == old_net.route(*ends, **kwargs).to_dict()
    queries = [(0, 0, 67.0, 37.5), (0, -1, 67.0, 37.5)]  # not remembered: searched
    assert detailed.nearest_nodes(queries) == again.nearest_nodes(queries)
    assert detailed.nearest_nodes(queries)[1] is None


def test_edge_table_groups_as_the_generic_grouping(toy_osm):
    """The table merges the overlay rows into the stored detailed pairs exactly as grouping all rows would."""
    from corridors.engine import PathEngine as Generic

    net = load(toy_osm)
    graph = net.route_graph.copy()
    net._snap(graph, "37.95,67.02", (37.95, 67.02))
    for table in (net.edge_table(), net.edge_table(graph)):
        keys = table.u * (1 << 32) + table.v
        assert np.array_equal(table.order, np.lexsort((np.arange(len(keys)), keys)))
        got = (table._starts.copy(), table._bounds.copy(), table.indices.copy(), table.indptr.copy())
        Generic._group(table)
        for a, b in zip(got, (table._starts, table._bounds, table.indices, table.indptr), strict=True):
            assert np.array_equal(a, b)
