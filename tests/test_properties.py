"""Invariants, checked with hypothesis on the toy network and on the shipped geodata."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from corridors.errors import NoRouteError
from oracle import FileOracle, route_mismatches

OBJECTIVES = ["generalized", "cost", "time", "distance"]
TOTAL = {"generalized": "generalized_cost", "cost": "cost_usd_per_t", "time": "time_h", "distance": "distance_km"}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _net(request, which):
    """The network fixture called ``which``."""
    return request.getfixturevalue(which)


@pytest.fixture(scope="module")
def oracles(toy_net):
    """The file oracle of each network, read from the geodata files it was loaded from."""
    return {"toy_net": FileOracle(toy_net.data.directory), "shipped_net": FileOracle(REPO / "geodata")}


def _routable(net):
    """Places on at least one open link."""
    return sorted(p for p in net.data.places if net.layers_of(p))


def _try(net, o, d, **kw):
    """The route, or None when there is none."""
    try:
        return net.route(o, d, **kw)
    except NoRouteError:
        return None


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(data=st.data(), objective=st.sampled_from(OBJECTIVES))
def test_removing_an_edge_never_lowers_the_optimum(request, oracles, which, data, objective):
    """Avoiding a link never gives a better route, and both routes are the oracle's least."""
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
    assert route_mismatches(oracles[which], base) == []
    after = _try(net, o, d, objective=objective, avoid=[removed])
    if removed not in used:  # an unused link: the optimum stays the same
        assert after is not None
        assert after.totals[TOTAL[objective]] == pytest.approx(base.totals[TOTAL[objective]], abs=0.02)
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
def test_route_totals_are_the_oracle_price_of_its_path(request, oracles, which, data, objective, cargo, tonnes):
    """Legs and totals equal the file oracle's prices of the route's own links, and the route is least."""
    net = _net(request, which)
    places = _routable(net)
    o = data.draw(st.sampled_from(places))
    d = data.draw(st.sampled_from([p for p in places if p != o]))
    route = _try(net, o, d, objective=objective, cargo=cargo, tonnes=tonnes)
    if route is None:
        assert oracles[which].least(o, d, cargo, objective) is None
        return
    assert route_mismatches(oracles[which], route) == []
    assert route.tonnes == tonnes
    assert route.leg_list[0].from_id == route.origin["id"] == o
    assert route.leg_list[-1].to_id == route.destination["id"] == d


@pytest.mark.parametrize("which", ["toy_net", "shipped_net"])
@SETTINGS
@given(data=st.data())
def test_each_objective_is_optimal_for_its_own_measure(request, oracles, which, data):
    """Each objective's route is least in its own measure, by the oracle and against the others."""
    net = _net(request, which)
    places = _routable(net)
    o = data.draw(st.sampled_from(places))
    d = data.draw(st.sampled_from([p for p in places if p != o]))
    routes = {obj: _try(net, o, d, objective=obj) for obj in OBJECTIVES}
    if routes["distance"] is None:
        assert all(r is None for r in routes.values())
        return
    for own in OBJECTIVES:
        assert route_mismatches(oracles[which], routes[own]) == []
        for other in OBJECTIVES:
            assert routes[own].totals[TOTAL[own]] <= routes[other].totals[TOTAL[own]] + 0.02, (own, other)
