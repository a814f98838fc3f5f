"""The path engine against networkx (the oracle :class:`tests.oracle.Router`) on the exported graph.

:class:`~oracle.Router` prices edges with the package's cost model, so it checks the search
only; :func:`test_row_weights_are_the_file_prices` checks the prices the engine searches over
against :class:`~oracle.FileOracle`, which reads the geodata files.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from corridors.costs import OBJECTIVES
from corridors.engine import GraphEngine
from corridors.restrictions import Restrictions
from oracle import FileOracle, Router

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MODES = [frozenset({"road", "rail"}), frozenset({"road"}), frozenset({"rail"})]


def _layers(net):
    """Each routable place's land-layer nodes."""
    return {p: net.layers_of(p) for p in sorted(net.data.places) if net.layers_of(p)}


def draw_request(data, net):
    """A random cargo, objective, restrictions, origin, destination and via group."""
    graph = net.graph
    layers = _layers(net)
    places = sorted(layers)
    cargo = data.draw(st.sampled_from(net.data.costs.cargo_names()), label="cargo")
    objective = data.draw(st.sampled_from(OBJECTIVES), label="objective")
    crossings = sorted({d["crossing_id"] for *_, d in graph.edges(data=True) if d["kind"] == "crossing"})
    edges = sorted({d["id"] for *_, d in graph.edges(data=True) if d["kind"] in ("road", "rail")})
    o, d = data.draw(st.lists(st.sampled_from(places), min_size=2, max_size=2, unique=True), label="o, d")
    r = Restrictions(modes=data.draw(st.sampled_from(MODES), label="modes"))
    for c in data.draw(st.lists(st.sampled_from(crossings), max_size=3), label="avoid crossings"):
        r = r.adding("crossing", c, net)
    for e in data.draw(st.lists(st.sampled_from(edges), max_size=3), label="avoid edges"):
        r = r.adding("edge", e, net)
    others = [p for p in places if p not in (o, d)]
    for p in data.draw(st.lists(st.sampled_from(others), max_size=2), label="avoid places"):
        r = r.adding("place", p, net)
    via = data.draw(st.lists(st.sampled_from(others), max_size=1), label="via")
    return net.cost_model(cargo), objective, r, layers[o], layers[d], [layers[p] for p in via]


@pytest.fixture(scope="module")
def engines(toy_net, shipped_net):
    return {"toy_net": GraphEngine(toy_net.graph), "shipped_net": GraphEngine(shipped_net.graph)}


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(data=st.data())
def test_graph_engine_equals_networkx(request, engines, which, data):
    """Same weight, same node path (networkx's tie-breaks) and the same parallel edge on every leg."""
    net = request.getfixturevalue(which)
    model, objective, r, sources, targets, via = draw_request(data, net)
    solver = engines[which].solver(model, objective, r)
    oracle = Router(net.graph, model, objective, r)
    got, want = solver.shortest(sources, targets), oracle.shortest(sources, targets)
    assert got == want
    if got is not None:
        for u, v in itertools.pairwise(got[1]):
            assert solver.best_key(u, v) == oracle.best_key(u, v)
    if via:
        assert solver.shortest_via(sources, via, targets) == oracle.shortest_via(sources, via, targets)


@pytest.mark.parametrize(("which", "step"), [("toy_net", (1, 1)), ("shipped_net", (20, 3))])
def test_pairs_equal_networkx(request, engines, which, step):
    """Origins and destinations (all on the toy network) under every objective: the exact networkx answer."""
    net = request.getfixturevalue(which)
    layers = _layers(net)
    places = sorted(layers)
    for objective in OBJECTIVES:
        model = net.cost_model("general")
        solver = engines[which].solver(model, objective, Restrictions())
        oracle = Router(net.graph, model, objective, Restrictions())
        for o in places[:: step[0]]:
            for d in places[:: step[1]]:
                if o != d:
                    assert solver.shortest(layers[o], layers[d]) == oracle.shortest(layers[o], layers[d])


def test_row_weights_are_the_cost_model_and_the_restrictions(shipped_net):
    """Each row costs ``CostModel.weight`` where the cargo and the restrictions allow it, else inf."""
    engine = GraphEngine(shipped_net.graph)
    r = Restrictions(modes=frozenset({"road"})).adding("crossing", "HAI", shipped_net)
    for cargo in shipped_net.data.costs.cargo_names():
        model = shipped_net.cost_model(cargo)
        for objective in OBJECTIVES:
            w = engine.weights(model, objective, r)
            for i, (a, b, _, d) in enumerate(shipped_net.graph.edges(keys=True, data=True)):
                assert (engine.nodes[engine.u[i]], engine.nodes[engine.v[i]]) == (a, b)
                ok = r.allows(d) and model.handles(d) and b not in r.nodes
                assert w[i] == (model.weight(d, objective) if ok else float("inf"))


def test_route_start_up_imports_no_scipy():
    code = (
        "import sys; from corridors.network import load_network; "
        "load_network().route('Termez', 'Karachi', alternatives=3, via=['Kabul']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _as_leg(graph, u, v, d):
    """A graph edge described as a route leg is (what :meth:`FileOracle.link_of` reads)."""
    nu, nv = graph.nodes[u], graph.nodes[v]
    return {
        "kind": d["kind"],
        "mode": d["mode"],
        "edge_id": d["id"],
        "crossing_id": d.get("crossing_id"),
        "from_id": nu["place"],
        "to_id": nv["place"],
        "from_layer": nu["layer"],
        "to_layer": nv["layer"],
    }


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
def test_row_weights_are_the_file_prices(request, engines, which):
    """Every row of the engine is a link of the files, weighted as the files price it; none is missing."""
    net = request.getfixturevalue(which)
    oracle = FileOracle(REPO / "geodata" if which == "shipped_net" else net.data.directory)
    engine = engines[which]
    rows = list(net.graph.edges(keys=True, data=True))
    links = [oracle.link_of(_as_leg(net.graph, u, v, d), None) for u, v, _, d in rows]
    assert len(set(links)) == len(links) == len(oracle.links)  # the same links, each once
    for cargo in net.data.costs.cargo_names():
        model = net.cost_model(cargo)
        for objective in ("generalized", "cost", "time", "distance"):
            w = engine.weights(model, objective, Restrictions())
            for i, link in enumerate(links):
                want = oracle.weight(link, cargo, objective) if oracle.handles(link, cargo) else float("inf")
                assert w[i] == pytest.approx(want, rel=1e-12), (rows[i][2], cargo, objective)
