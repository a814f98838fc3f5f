"""The closure module: p_open by hand, against the state model, and reliability by brute force."""

from __future__ import annotations

import csv
import itertools
import math

import networkx as nx
import numpy as np
import pytest

from corridors import closures, risk
from corridors.fastpath import Snapshot
from corridors.network import load_network
from corridors.scenarios import Scenario

PAIRS = [("Uzcity", "Pkport"), ("Uzcity", "Afsouth"), ("Afcity", "Pkport"), ("Uzpost Two", "Pkport")]


def test_p_open_counts_each_crossing_and_group_once():
    assert closures.p_open({"A": 0.1, "B": 0.2}, {"G": 0.5}) == pytest.approx(0.9 * 0.8 * 0.5)
    assert closures.p_open({}, {}) == 1.0


def test_model_p_open_by_hand(toy_net):
    model = closures.ClosureModel.from_data(toy_net.data)
    # X3 and X4 share group G (0.1): the group is counted once, a repeated crossing once
    assert model.p_open(["X3", "X4", "X3"]) == pytest.approx(0.95 * 0.95 * 0.9)
    assert model.p_open(["X1", "X2"]) == pytest.approx(0.99 * 0.98)


def test_group_subsets_cheapest_first():
    subsets = closures.group_subsets({"A": 0.5, "B": 0.1, "Z": 0.0})
    assert [sorted(s) for s, _ in subsets] == [["Z"], ["B", "Z"], ["A", "Z"], ["A", "B", "Z"]]
    assert subsets[-1][1] == pytest.approx(-math.log(0.5) - math.log(0.9))


def test_states_sum_to_one_and_give_p_open(toy_net):
    """p_open of any set of crossings equals the total probability of the states leaving them open."""
    model = closures.ClosureModel.from_data(toy_net.data)
    states = list(model.states())
    assert len(states) == 2**5
    assert sum(p for p, _ in states) == pytest.approx(1.0)
    for r in range(1, 4):
        for combo in itertools.combinations(model.crossing_ids, r):
            idx = [model.crossing_ids.index(c) for c in combo]
            open_p = sum(p for p, s in states if not s[idx].any())
            assert model.p_open(combo) == pytest.approx(open_p, abs=1e-12)


def test_wait_hours_by_hand(toy_net):
    """Hours a closed crossing is waited out: its own mean closure, its group's, the longer of both."""
    model = closures.ClosureModel.from_data(toy_net.data)
    assert model.crossing_ids == ("X1", "X2", "X3", "X4")
    # X1 5 days, X2 3 days, X3 and X4 10 days on their own; their group G 30 days
    states = np.array([[1, 0, 1, 2], [0, 1, 3, 3], [0, 0, 0, 0]], dtype=np.uint8)
    assert model.wait_hours(states).tolist() == [[120, 0, 240, 720], [0, 72, 720, 720], [0, 0, 0, 0]]


def test_a_group_closes_all_its_crossings_at_once(toy_net):
    model = closures.ClosureModel.from_data(toy_net.data)
    states = model.draw(np.random.default_rng(3), 20_000)
    by_group = states & 2
    x = [model.crossing_ids.index(c) for c in ("X3", "X4")]
    np.testing.assert_array_equal(by_group[:, x[0]], by_group[:, x[1]])
    assert not by_group[:, [model.crossing_ids.index(c) for c in ("X1", "X2")]].any()  # in no group
    # G closes 10% of samples: 2,000 expected, standard error sqrt(20,000 x 0.1 x 0.9) = 42
    assert abs(int((by_group[:, x[0]] > 0).sum()) - 2000) <= 5 * 42


def test_draws_match_probabilities(toy_net):
    model = closures.ClosureModel.from_data(toy_net.data)
    states = model.draw(np.random.default_rng(5), 200_000)
    closed = (states > 0).mean(axis=0)
    expected = [1 - model.p_open([c]) for c in model.crossing_ids]
    assert closed == pytest.approx(expected, abs=0.005)


@pytest.fixture(scope="module")
def grouped_dir(tmp_path_factory):
    """The toy network with X1 also in group G, so one corridor crosses group G twice."""
    from conftest import write_toy_geodata

    directory = write_toy_geodata(tmp_path_factory.mktemp("grouped") / "geodata")
    path = directory / "crossings.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns, rows = reader.fieldnames, list(reader)
    for row in rows:
        if row["id"] == "X1":
            row["closure_group"] = "G"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return directory


def best_p_open_brute_force(net, origin: str, destination: str) -> float:
    """Largest p_open over every simple path (the cheapest usable edge per hop), networkx only."""
    graph = net.graph
    model = net.cost_model("general")
    cm = closures.ClosureModel.from_data(net.data)
    (_, _, sources), (_, _, targets) = net.resolve_endpoint(origin), net.resolve_endpoint(destination)
    simple = nx.DiGraph()
    hop: dict[tuple[str, str], str | None] = {}
    for u, v, d in graph.edges(data=True):
        if not model.handles(d):
            continue
        simple.add_edge(u, v)
        crossing = d["crossing_id"] if d["kind"] == "crossing" else None
        if (u, v) not in hop or crossing is None:
            hop[(u, v)] = crossing
    best = 0.0
    for s in sources:
        for t in targets:
            if s == t:
                return 1.0
            for path in nx.all_simple_paths(simple, s, t):
                used = [c for a, b in itertools.pairwise(path) if (c := hop[(a, b)]) is not None]
                best = max(best, cm.p_open(used))
    return best


@pytest.mark.parametrize("x1", [0.001, 0.01, 0.05])
@pytest.mark.parametrize("x2", [0.005, 0.02, 0.2])
@pytest.mark.parametrize("group", [0.05, 0.3, 0.8])
def test_reliability_route_maximises_p_open(grouped_dir, x1, x2, group):
    values = {"crossing.X1.closure_prob": x1, "crossing.X2.closure_prob": x2, "group.G.closure_prob": group}
    net = load_network(grouped_dir).with_scenarios([Scenario("p", set_values=values)])
    for o, d in PAIRS:
        best = best_p_open_brute_force(net, o, d)
        route = net.route(o, d, objective="reliability")
        assert route.p_open == pytest.approx(best, rel=1e-9), (o, d)
        # the array engine optimises the same probability
        snap = Snapshot(net, net.cost_model("general"), "reliability")
        ends = risk.endpoints(snap, o, d)
        found = snap.solve(ends.sources, ends.targets)
        assert found is not None
        assert snap.p_open(found.crossings) == pytest.approx(best, rel=1e-9)
        assert found.weight == pytest.approx(-math.log(best), abs=1e-5)


def test_reliability_charges_a_group_once_not_per_crossing(grouped_dir):
    """X1 + X3 (both in G) beats X2 + X3 once G is counted once; per crossing it would lose."""
    values = {"crossing.X1.closure_prob": 0.01, "crossing.X2.closure_prob": 0.04, "group.G.closure_prob": 0.1}
    net = load_network(grouped_dir).with_scenarios([Scenario("p", set_values=values)])
    route = net.route("Uzcity", "Pkport", objective="reliability")
    assert route.crossings[0] == "X1"
    assert route.p_open == pytest.approx(0.99 * 0.95 * 0.9)


@pytest.mark.parametrize("wait", [False, True])
def test_overlay_solves_every_state_as_the_full_network(toy_net, wait):
    """Every state of the toy network: the overlay gives the full snapshot's path and measures."""
    from corridors.overlay import Overlay

    for o, d in PAIRS:
        snap = Snapshot(toy_net, toy_net.cost_model("general"), "generalized")
        ends = risk.endpoints(snap, o, d)
        overlay = Overlay(snap, ends.sources, ends.targets)
        states = np.array([s for _, s in snap.closures.states()])
        got = overlay.solve(states, wait)
        for state, a in zip(states, got, strict=True):
            b = risk.solve_state(snap, ends, state, wait)
            assert (a is None) == (b is None)
            if a is not None:
                assert a.rows == b.rows
                assert (a.generalized, a.time_h, a.cost_per_t, a.wait_h) == (
                    b.generalized,
                    b.time_h,
                    b.cost_per_t,
                    b.wait_h,
                )
                assert a.weight == pytest.approx(b.weight, rel=1e-12)


def test_overlay_matches_networkx_on_shipped_states(shipped_net):
    """Random states of the shipped network at p = 0.5: the overlay's cost equals networkx on the graph minus the closed crossings."""
    from corridors.overlay import Overlay

    net = shipped_net.with_scenarios(
        [Scenario("half", set_values={f"crossing.{c}.closure_prob": 0.5 for c in shipped_net.data.crossings})]
    )
    model = net.cost_model("general")
    snap = Snapshot(net, model, "generalized")
    ends = risk.endpoints(snap, "Termez", "Karachi")
    overlay = Overlay(snap, ends.sources, ends.targets)
    states = snap.closures.draw(np.random.default_rng(7), 40)
    sources = [snap.nodes[i] for i in ends.sources]
    targets = {snap.nodes[i] for i in ends.targets}
    for state, found in zip(states, overlay.solve(states, False), strict=True):
        closed = {c for c, x in zip(snap.crossing_ids, state, strict=True) if x}

        def weight(u, v, keyed, closed=closed):
            ws = [model.weight(a, "generalized") for a in keyed.values()
                  if model.handles(a) and not (a["kind"] == "crossing" and a["crossing_id"] in closed)]  # fmt: skip
            return min(ws) if ws else None

        dist = nx.multi_source_dijkstra_path_length(net.graph, sources, weight=weight)
        best = min((dist[t] for t in targets if t in dist), default=None)
        if best is None:
            assert found is None
        else:
            assert found is not None
            assert found.generalized == pytest.approx(best, rel=1e-9)
