"""Risk: Monte Carlo against exact enumeration, invariants, criticality, the fast path."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import add_edge
from corridors import criticality, exact, risk
from corridors.demand import Flow
from corridors.errors import NoRouteError, UsageError
from corridors.fastpath import Snapshot
from corridors.scenarios import Scenario

PAIRS = [("Uzcity", "Pkport"), ("Uzcity", "Afsouth"), ("Afcity", "Pkport"), ("Uzpost Two", "Pkport")]


def no_closures(net):
    values = {f"crossing.{c}.closure_prob": 0.0 for c in net.data.crossings}
    values |= {f"group.{g}.closure_prob": 0.0 for g in net.data.groups}
    return net.with_scenarios([Scenario("certain", set_values=values)])


@pytest.mark.parametrize(("o", "d"), PAIRS)
def test_zero_probabilities_give_the_deterministic_route(toy_net, o, d):
    net = no_closures(toy_net)
    result = risk.simulate(net, o, d, samples=500, seed=3)
    route = net.route(o, d)
    assert result.p_no_route == 0
    assert result.distinct_states == 1
    for key in ("mean", "p50", "p95"):
        assert result.generalized_cost[key] == pytest.approx(route.totals["generalized_cost"], abs=0.01)
        assert result.cost_usd[key] == pytest.approx(route.totals["cost_usd"], abs=0.05)
        assert result.time_h[key] == pytest.approx(route.totals["time_h"], abs=0.01)
    assert result.corridor_use == {" > ".join(route.crossings): 1.0}
    assert result.value_of_flexibility == pytest.approx(0.0)


@pytest.mark.parametrize("wait", [False, True])
@pytest.mark.parametrize(("o", "d"), PAIRS)
def test_monte_carlo_within_its_confidence_interval_of_exact(toy_net, o, d, wait):
    """Sampling and tallying against enumeration, on the toy network.

    Both solve each state with :func:`corridors.risk.solve_state`, so this checks the sampler,
    the tally and the summary, not the path costs or the waiting model: tests/test_exact_hand.py
    checks enumeration and Monte Carlo against numbers worked out by hand.
    """
    samples = 20_000
    mc = risk.simulate(toy_net, o, d, samples=samples, seed=11, wait=wait)
    ex = exact.exact(toy_net, o, d, wait=wait)
    assert ex.states == 2**5  # 4 crossings + 1 closure group, all uncertain
    se_p = math.sqrt(max(ex.p_no_route * (1 - ex.p_no_route), 1e-12) / samples)
    assert abs(mc.p_no_route - ex.p_no_route) <= 4 * se_p + 1e-9
    values, counts = mc.distribution["generalized_cost"], mc.distribution["count"]
    n = counts.sum()
    mean = float(np.dot(values, counts) / n)
    assert mean == pytest.approx(mc.generalized_cost["mean"])
    var = float(np.dot((values - mean) ** 2, counts) / (n - 1))
    se = math.sqrt(var / n) if var > 0 else 1e-9
    assert abs(mean - ex.expected_generalized_cost) <= 4 * se + 1e-9


def test_same_seed_same_numbers(toy_net):
    a = risk.simulate(toy_net, "Uzcity", "Pkport", samples=3000, seed=5)
    b = risk.simulate(toy_net, "Uzcity", "Pkport", samples=3000, seed=5)
    c = risk.simulate(toy_net, "Uzcity", "Pkport", samples=3000, seed=6)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()


def test_chunks_are_independent_of_sample_count(toy_net):
    # chunk i always draws from stream i: a larger run extends a smaller one, sample for sample
    problem = risk.prepare(toy_net, "Uzcity", "Pkport")
    small = risk.chunk_streams(2, risk.CHUNK)
    large = risk.chunk_streams(2, risk.CHUNK + 10)
    np.testing.assert_array_equal(risk.chunk_states(problem, *small[0]), risk.chunk_states(problem, *large[0]))
    assert [size for size, _ in large] == [risk.CHUNK, 10]
    a = risk.simulate(toy_net, "Uzcity", "Pkport", samples=risk.CHUNK, seed=2)
    b = risk.simulate(toy_net, "Uzcity", "Pkport", samples=risk.CHUNK + 10, seed=2)
    assert b.samples - a.samples == 10
    assert all(b.outcomes[k] == o for k, o in a.outcomes.items())


def test_wait_removes_no_route(toy_net):
    result = risk.simulate(toy_net, "Uzcity", "Pkport", samples=5000, seed=1, wait=True)
    assert result.p_no_route == 0
    assert result.committed_generalized_cost >= result.rerouting_generalized_cost


def test_bad_risk_input(toy_net):
    with pytest.raises(UsageError, match="--samples must be at least 1"):
        risk.simulate(toy_net, "Uzcity", "Pkport", samples=-5)
    with pytest.raises(UsageError, match="--seed"):
        risk.simulate(toy_net, "Uzcity", "Pkport", seed=-1)
    closed = toy_net.with_scenarios([Scenario("c", close_crossings=("X3", "X4"))])
    with pytest.raises(NoRouteError):
        risk.simulate(closed, "Uzcity", "Pkport", samples=10)


@pytest.mark.parametrize("objective", ["generalized", "cost", "time", "distance"])
def test_fast_path_matches_the_networkx_router(toy_net, objective):
    snap = Snapshot(toy_net, toy_net.cost_model("general"), objective)
    places = ["UZCITY", "UZPOST2", "AFCITY", "AFSOUTH", "PKPORT"]
    key = {"generalized": "generalized_cost", "cost": "cost_usd_per_t", "time": "time_h", "distance": "distance_km"}[
        objective
    ]
    for o, d in itertools.permutations(places, 2):
        fast = snap.solve(snap.nodes_of(o), snap.nodes_of(d))
        route = toy_net.route(o, d, objective=objective)
        value = {
            "generalized_cost": fast.generalized,
            "cost_usd_per_t": fast.cost_per_t,
            "time_h": fast.time_h,
            "distance_km": fast.distance_km,
        }[key]
        assert value == pytest.approx(route.totals[key], abs=0.02)
        assert list(fast.crossings) == route.crossings


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(closed=st.sets(st.sampled_from(["X1", "X2", "X3", "X4"])), pair=st.sampled_from(PAIRS))
def test_closing_crossings_never_lowers_the_optimum(toy_net, closed, pair):
    snap = Snapshot(toy_net, toy_net.cost_model("general"), "generalized")
    ends = risk.endpoints(snap, *pair)
    base = snap.solve(ends.sources, ends.targets)
    mask = np.array([c in closed for c in snap.crossing_ids])
    after = snap.solve(ends.sources, ends.targets, mask)
    if after is not None:
        assert after.weight >= base.weight - 1e-9


def test_opening_a_project_never_raises_the_optimum(toy_dir):
    from corridors.network import load_network

    add_edge(
        toy_dir,
        id="PLAN-1",
        **{"from": "AFCITY"},
        to="AFSOUTH2",
        mode="road",
        road_class="motorway",
        country="AF",
        distance_km="470",  # great circle 450 km: load-time geometry checks reject shorter
        status="planned",
        project="EXPRESS",
    )
    net = load_network(toy_dir)
    opened = net.with_scenarios([Scenario("open", open_projects=("EXPRESS",))])
    for pair in itertools.permutations(["UZCITY", "AFCITY", "AFSOUTH", "PKPOST2", "PKPORT"], 2):
        before = net.route(*pair).totals["generalized_cost"]
        after = opened.route(*pair).totals["generalized_cost"]
        assert after <= before + 1e-6
    assert (
        opened.route("AFCITY", "PKPORT").totals["generalized_cost"]
        < net.route("AFCITY", "PKPORT").totals["generalized_cost"]
    )


def test_criticality_bridge_edge_loses_flows(toy_net):
    flows = [Flow("Uzcity", "Pkport", "general", 1000.0), Flow("Uzcity", "Afcity", "bulk", 400.0)]
    rows = criticality.criticality(toy_net, flows, edges=True)
    by_id = {r.closed: r for r in rows}
    # AF-R-3 (Afcity-Afsouth) is a bridge: the only way south
    assert by_id["AF-R-3"].flows_lost == 1 and by_id["AF-R-3"].tonnes_lost == 1000.0
    assert rows[0].flows_lost >= 1
    # closing X4 reroutes the southern flow through X3, at a cost equal to the route difference x tonnes
    base = sum(leg.generalized_cost for leg in toy_net.route("Uzcity", "Pkport").leg_list)
    alt = sum(leg.generalized_cost for leg in toy_net.route("Uzcity", "Pkport", avoid=["X4"]).leg_list)
    assert by_id["X4"].extra_cost_usd == pytest.approx((alt - base) * 1000, rel=1e-3)
    assert by_id["X4"].flows_lost == 0
    # a crossing nobody uses costs nothing
    assert by_id["X2"].extra_cost_usd == 0 and by_id["X2"].flows_rerouted == 0


def test_reliability_objective_prefers_safer_crossings(toy_net):
    safe = toy_net.with_scenarios([Scenario("risky", set_values={"crossing.X4.closure_prob": 0.5})])
    route = safe.route("Uzcity", "Pkport", objective="reliability")
    assert "X4" not in route.crossings
    assert route.totals["p_open"] == pytest.approx((1 - 0.01) * (1 - 0.05) * (1 - 0.1), abs=1e-6)


def _all_flows(net, cargos=("general", "bulk")):
    places = sorted(net.data.places)
    return [
        Flow(net.data.places[o].name, net.data.places[d].name, cargo, 100.0 + i)
        for i, (o, d) in enumerate(itertools.permutations(places, 2))
        for cargo in cargos
        if net.endpoint_nodes(o) and net.endpoint_nodes(d)
    ]


@pytest.mark.parametrize("objective", ["generalized", "cost", "time", "distance"])
def test_criticality_skip_matches_solving_every_case_on_the_toy(toy_net, objective):
    flows = _all_flows(toy_net)
    fast = criticality.criticality(toy_net, flows, edges=True, objective=objective)
    full = criticality.criticality(toy_net, flows, edges=True, objective=objective, skip_untouched=False)
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in full]


def test_criticality_refuses_reliability(toy_net):
    """Damage is summed per tonne over flows; a probability weight has no such sum."""
    with pytest.raises(UsageError, match="criticality measures damage per tonne"):
        criticality.criticality(toy_net, _all_flows(toy_net), objective="reliability")


def test_criticality_skip_matches_solving_every_case_on_the_shipped_data(shipped_net):
    from corridors.demand import default_od_path, load_flows

    flows = load_flows(default_od_path(shipped_net.data.directory))
    fast = criticality.criticality(shipped_net, flows, edges=True)
    full = criticality.criticality(shipped_net, flows, edges=True, skip_untouched=False)
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in full]
    # the skip is real: some cases are off every baseline path, and the used ones are solved
    cases = {c for _, c, _ in criticality.criticality_cases(shipped_net, True)}
    for problem in criticality.criticality_problems(shipped_net, flows, "generalized"):
        snap = problem.snapshot
        assert problem.used is not None
        used = {snap.link_ids[i] for i in np.flatnonzero(problem.used)}
        assert used & cases  # (transfer links are marked too, but are no cases)
        assert (cases & set(snap.link_ids)) - used


def test_least_path_links_lie_on_a_networkx_shortest_path(shipped_net):
    # oracle: networkx on the same arrays; every marked link has a row on a least path
    import networkx as nx

    from corridors.places import PlaceIndex

    snap = Snapshot(shipped_net, shipped_net.cost_model("general"), "generalized")
    places = PlaceIndex(shipped_net.data)
    src = snap.nodes_of(places.place("Termez").id)
    tgt = snap.nodes_of(places.place("Karachi").id)
    used = snap.least_path_links(src, [(list(range(len(src))), tgt)])
    g = nx.DiGraph()
    for a, b, w in zip(snap.u.tolist(), snap.v.tolist(), snap.weight.tolist(), strict=True):
        if not g.has_edge(a, b) or g[a][b]["weight"] > w:
            g.add_edge(a, b, weight=w)
    g.add_edges_from([("S", s) for s in src] + [(t, "T") for t in tgt], weight=0.0)
    to = nx.single_source_dijkstra_path_length(g, "S", weight="weight")
    back = nx.single_source_dijkstra_path_length(g.reverse(), "T", weight="weight")
    best = to["T"]
    links_on = {
        snap.link_ids[snap.link[r]]
        for r in range(len(snap.u))
        if int(snap.u[r]) in to
        and int(snap.v[r]) in back
        and to[int(snap.u[r])] + snap.weight[r] + back[int(snap.v[r])] == pytest.approx(best, rel=1e-12)
    }
    marked = {snap.link_ids[i] for i in np.flatnonzero(used)}
    assert len(marked) >= 3
    assert marked <= links_on


def test_pickled_problems_carry_arrays_not_the_network(toy_net):
    import pickle

    problem = risk.prepare(toy_net, "Uzcity", "Pkport", wait=False)
    blob = pickle.dumps(problem)
    assert len(blob) < len(pickle.dumps(toy_net))  # the network alone is larger than the problem
    copy = pickle.loads(blob)
    assert copy.snapshot.network is None and problem.snapshot.network is toy_net
    with pytest.raises(RuntimeError):
        copy.snapshot.nodes_of("UZCITY")
    [(size, stream)] = risk.chunk_streams(3, 500)
    assert risk.run_chunk(copy, size, stream).outcomes() == risk.run_chunk(problem, size, stream).outcomes()
    np.testing.assert_array_equal(
        risk.run_chunk(copy, size, stream).counts, risk.run_chunk(problem, size, stream).counts
    )
    flows = [Flow("Uzcity", "Pkport", "general", 1000.0), Flow("Uzcity", "Afcity", "general", 10.0)]
    ids = [c for _, c, _ in criticality.criticality_cases(toy_net, True)]
    for crit in criticality.criticality_problems(toy_net, flows, "generalized"):
        np.testing.assert_array_equal(
            criticality.case_damage(pickle.loads(pickle.dumps(crit)), ids), criticality.case_damage(crit, ids)
        )
