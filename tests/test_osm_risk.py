"""Risk on a stored OSM network runs on its edge table: the same snapshot, the same answers.

A :class:`~corridors.fastpath.Snapshot` of an OSM network is built from the network's edge
table (its stored arrays) without the networkx graph. The reference is the snapshot built the
other way, row by row from the networkx graph of the same network (a plain ``Network`` over
``net.graph``): every row, link and weight per node pair must match, and so must ``risk``,
``exact`` and criticality's answers. The toy extract and geodata are those of ``test_osm``.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from corridors import exact, osm, risk
from corridors.engine import EdgeTable, GraphEngine
from corridors.fastpath import Snapshot
from corridors.restrictions import Restrictions
from test_osm import build_toy_osm, load_toy_osm


@pytest.fixture(scope="module")
def toy_osm(tmp_path_factory):
    return build_toy_osm(tmp_path_factory.mktemp("osm_risk"))


def load(toy_osm):
    return load_toy_osm(toy_osm)


def on_graph(net):
    """The same network as a plain networkx one (its snapshots are built row by row from the graph)."""
    slow = osm.Network.from_graph(net.data, net.graph, net.open_projects)
    slow.places = net.places
    return slow


def rows_of(snap):
    """Every row as ``(from, to, link, crossing, rail, cost, time, distance)``, sorted (row order aside)."""
    return sorted(
        zip(
            [snap.nodes[i] for i in snap.u.tolist()],
            [snap.nodes[i] for i in snap.v.tolist()],
            [snap.link_ids[k] for k in snap.link.tolist()],
            [snap.crossing_ids[c] if c >= 0 else "" for c in snap.crossing.tolist()],
            snap.rail.tolist(),
            snap.cost.tolist(),
            snap.time.tolist(),
            snap.dist.tolist(),
            strict=True,
        )
    )


def pair_weights(snap, w=None):
    """Least weight of each node pair, by node ids, and the link of the row that has it."""
    w = snap.weight if w is None else w
    best = snap.pairs.best_rows(w)
    return {
        (snap.nodes[a], snap.nodes[b]): (float(w[r]), snap.link_ids[snap.link[r]])
        for a, b, r in zip(snap.pairs.u.tolist(), snap.pairs.v.tolist(), best.tolist(), strict=True)
    }


CASES = [
    ("general", "generalized", Restrictions()),
    ("perishable", "time", Restrictions()),
    ("bulk", "cost", Restrictions(modes=frozenset({"rail"}))),
    ("fuel", "distance", Restrictions(edges=frozenset({"way/101"}))),
    ("general", "reliability", Restrictions(crossings=frozenset({"X2"}))),
]


@pytest.mark.parametrize(("cargo", "objective", "restrictions"), CASES)
def test_table_snapshot_equals_graph_snapshot(toy_osm, cargo, objective, restrictions):
    net = load(toy_osm)
    model = net.cost_model(cargo)
    fast = Snapshot(net, model, objective, restrictions)
    assert not net.graph_built  # the arrays only
    slow = Snapshot(on_graph(net), model, objective, restrictions, engine=GraphEngine(net.graph))
    assert list(fast.nodes) == list(slow.nodes)
    assert all(fast.index[n] == i for i, n in enumerate(slow.nodes))
    assert fast.link_ids == slow.link_ids and fast.crossing_ids == slow.crossing_ids
    assert any(k.startswith("way/") for k in fast.link_ids) and any(c in fast.link_ids for c in fast.crossing_ids)
    assert rows_of(fast) == rows_of(slow)  # every row with its values, exactly
    if restrictions != Restrictions():  # the rows restricted are dropped
        assert len(fast.u) < net.route_graph.number_of_edges()
    got, want = pair_weights(fast), pair_weights(slow)
    assert got.keys() == want.keys()
    for pair, (w, link) in want.items():
        assert got[pair][0] == pytest.approx(w, rel=1e-12)  # the table's pricing: equal up to rounding
        assert got[pair][1] == link, pair  # the same parallel edge kept
    # the same pairs in the same CSR order, so the same searches
    assert np.array_equal(fast.pairs.indptr, slow.pairs.indptr)
    assert np.array_equal(fast.pairs.indices, slow.pairs.indices)


def test_pair_lookup_finds_every_pair(toy_osm):
    net = load(toy_osm)
    snap = Snapshot(net, net.cost_model("general"), "generalized")
    k = np.arange(len(snap.pairs.u))
    assert np.array_equal(snap.pair_of(snap.pairs.u[k], snap.pairs.v[k]), k)
    rows = snap.pairs.best_rows(snap.weight)
    assert np.array_equal(snap.u[rows], snap.pairs.u) and np.array_equal(snap.v[rows], snap.pairs.v)


SIMULATIONS = [
    (("Uzcity", "Afsouth"), {}),
    (("Uzcity", "Afsouth"), {"wait": True}),
    (("Uzcity", "Pkport"), {"objective": "time", "cargo": "perishable"}),
    (("Uzcity", "Pkport"), {"objective": "reliability"}),
    (("Afcity", "Uzcity"), {"objective": "cost", "cargo": "bulk", "wait": True}),
]


@pytest.mark.parametrize(("ends", "kwargs"), SIMULATIONS)
def test_risk_on_the_table_equals_risk_on_the_graph(toy_osm, ends, kwargs):
    net = load(toy_osm)
    fast = risk.simulate(net, *ends, samples=3000, seed=7, **kwargs)
    assert not net.graph_built
    slow = risk.simulate(on_graph(net), *ends, samples=3000, seed=7, **kwargs)
    assert json.dumps(fast.to_dict()) == json.dumps(slow.to_dict())
    assert fast.crossing_use and fast.link_use  # something to compare: crossings and ways used
    assert any(k.startswith("way/") for k in fast.link_use)


def test_exact_on_the_table_equals_exact_on_the_graph(toy_osm):
    net = load(toy_osm)
    fast = [exact.exact(net, "Uzcity", "Afsouth", wait=wait) for wait in (False, True)]
    assert not net.graph_built
    slow = [exact.exact(on_graph(net), "Uzcity", "Afsouth", wait=wait) for wait in (False, True)]
    assert fast == slow and fast[0] != fast[1]


def test_a_pickled_table_problem_solves_the_same(toy_osm):
    """A cluster worker gets the problem pickled: without the network, with the same answers."""
    net = load(toy_osm)
    problem = risk.prepare(net, "Uzcity", "Afsouth")
    assert isinstance(net.edge_table(), EdgeTable) and problem.overlay is not None
    copy = pickle.loads(pickle.dumps(problem))
    assert copy.snapshot.network is None
    size, stream = risk.chunk_streams(3, 4000)[0]
    a, b = risk.run_chunk(problem, size, stream), risk.run_chunk(copy, size, stream)
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.flexible, b.flexible)
    assert [r.rows if r else None for r in a.routes] == [r.rows if r else None for r in b.routes]


def test_criticality_on_the_table_equals_criticality_on_the_graph(toy_osm):
    from corridors import criticality
    from corridors.demand import Flow

    flows = [Flow("Uzcity", "Afsouth", "general", 1000.0), Flow("Afcity", "Uzcity", "bulk", 5000.0)]
    net = load(toy_osm)
    fast = criticality.criticality(net, flows)
    assert not net.graph_built
    slow = criticality.criticality(on_graph(net), flows)
    assert fast == slow and any(row.closed in ("X1", "X2") for row in fast)
