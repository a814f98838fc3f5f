"""Invariants, checked with hypothesis on the toy network and on the shipped geodata."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridors.errors import NoRouteError

OBJECTIVES = ["generalized", "cost", "time", "distance"]
TOTAL = {"generalized": "generalized_cost", "cost": "cost_usd_per_t", "time": "time_h", "distance": "distance_km"}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _net(request, which):
    return request.getfixturevalue(which)


def _routable(net):
    return sorted(p for p in net.data.places if net.layers_of(p))


def _try(net, o, d, **kw):
    try:
        return net.route(o, d, **kw)
    except NoRouteError:
        return None


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(data=st.data(), objective=st.sampled_from(OBJECTIVES))
def test_removing_an_edge_never_lowers_the_optimum(request, which, data, objective):
    net = _net(request, which)
    places = _routable(net)
    o = data.draw(st.sampled_from(places), label="origin")
    d = data.draw(st.sampled_from([p for p in places if p != o]), label="destination")
    base = _try(net, o, d, objective=objective)
    if base is None:
        return
    used = [leg.crossing_id or leg.edge_id for leg in base.leg_list if leg.kind != "transfer"]
    candidates = sorted(set(used)) + sorted(net.data.edges)[:5] + sorted(net.data.crossings)[:3]
    removed = data.draw(st.sampled_from(candidates), label="removed")
    after = _try(net, o, d, objective=objective, avoid=[removed])
    if after is not None:
        assert after.totals[TOTAL[objective]] >= base.totals[TOTAL[objective]] - 0.02


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(
    data=st.data(),
    objective=st.sampled_from(OBJECTIVES),
    cargo=st.sampled_from(["general", "bulk", "fuel", "perishable"]),
    tonnes=st.floats(min_value=0.5, max_value=5000),
)
def test_route_totals_are_the_sum_of_legs(request, which, data, objective, cargo, tonnes):
    net = _net(request, which)
    places = _routable(net)
    o = data.draw(st.sampled_from(places))
    d = data.draw(st.sampled_from([p for p in places if p != o]))
    route = _try(net, o, d, objective=objective, cargo=cargo, tonnes=tonnes)
    if route is None:
        return
    legs = route.to_dict()["legs"]
    totals = route.totals
    assert sum(leg["cost_usd"] for leg in legs) == pytest.approx(totals["cost_usd"], abs=1e-6)
    assert sum(leg["time_h"] for leg in legs) == pytest.approx(totals["time_h"], abs=1e-6)
    assert sum(leg.cost_usd for leg in route.leg_list) == pytest.approx(totals["cost_usd"], abs=0.01 * len(legs))
    assert totals["cost_usd_per_t"] == pytest.approx(totals["cost_usd"] / tonnes, abs=0.01)
    assert route.leg_list[0].from_id == route.origin["id"]
    assert route.leg_list[-1].to_id == route.destination["id"]
    for a, b in zip(route.leg_list, route.leg_list[1:], strict=False):
        assert a.to_id == b.from_id


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(data=st.data())
def test_each_objective_is_optimal_for_its_own_measure(request, which, data):
    net = _net(request, which)
    places = _routable(net)
    o = data.draw(st.sampled_from(places))
    d = data.draw(st.sampled_from([p for p in places if p != o]))
    routes = {obj: _try(net, o, d, objective=obj) for obj in OBJECTIVES}
    if routes["distance"] is None:
        assert all(r is None for r in routes.values())
        return
    for own in OBJECTIVES:
        for other in OBJECTIVES:
            assert routes[own].totals[TOTAL[own]] <= routes[other].totals[TOTAL[own]] + 0.02, (own, other)
