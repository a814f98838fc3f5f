"""Cost arithmetic checked by hand on the toy network (see conftest for the figures)."""

from __future__ import annotations

import pytest

from corridors.costs import CostModel, check_objective
from corridors.errors import UsageError


def test_best_toy_route_costs_by_hand(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    # Leg by leg, general cargo: payload 20 t, value of time 0.5 USD/t/h, wagon 60 t.
    expected = [
        # (kind, edge, cost USD/t, hours)
        ("rail", "UZ-RL-1", 0.04 * 100, 100 / 25),  # tariff x km; 25 km/h
        ("crossing", "X1:rail", 120 / 60, 4.0),  # wagon fee / wagon payload
        ("rail", "AF-RL-1", 0.05 * 75, 75 / 15),
        ("transfer", "AFCITY:road->rail1520", 5.0, 10.0),  # terminal penalty
        ("road", "AF-R-3", 2.0 * 400 / 20, 400 / (40 * 0.5)),  # USD/truck-km x km / payload; mountain
        ("road", "AF-R-4", 2.0 * 200 / 20, 200 / 40),
        ("crossing", "X4:road", 100 / 20 + 3.0, 12 + 5.0),  # fee/payload + forced transload
        ("road", "PK-R-2", 1.5 * 160 / 20, 160 / (50 * 1.5)),  # motorway factor 1.5
    ]
    assert [(leg.kind, leg.edge_id) for leg in route.leg_list] == [(k, e) for k, e, _, _ in expected]
    for leg, (_, _, cost, hours) in zip(route.leg_list, expected, strict=True):
        assert leg.cost_usd_per_t == pytest.approx(cost)
        assert leg.time_h == pytest.approx(hours)
        assert leg.cost_usd == pytest.approx(cost * 20)
    total_cost = sum(c for _, _, c, _ in expected)
    total_time = sum(h for _, _, _, h in expected)
    assert total_cost == pytest.approx(94.75)
    assert route.totals["cost_usd_per_t"] == pytest.approx(total_cost, abs=0.01)
    assert route.totals["cost_usd"] == pytest.approx(total_cost * 20, abs=0.01)
    assert route.totals["time_h"] == pytest.approx(total_time, abs=0.01)
    assert route.totals["generalized_cost"] == pytest.approx(total_cost + 0.5 * total_time, abs=0.01)
    assert route.crossings == ["X1", "X4"]
    kinds = [(t["kind"], t["place_id"]) for t in route.transfers]
    assert kinds == [("transload", "AFCITY"), ("crossing_transload", "X4")]
    assert route.transfers[1]["cost_usd"] == pytest.approx(3.0 * 20)
    assert route.transfers[1]["time_h"] == pytest.approx(5.0)


def test_tonnes_scale_money_not_time(toy_net):
    one = toy_net.route("Uzcity", "Pkport", tonnes=20)
    many = toy_net.route("Uzcity", "Pkport", tonnes=200)
    assert many.totals["cost_usd"] == pytest.approx(10 * one.totals["cost_usd"], abs=0.1)
    assert many.totals["cost_usd_per_t"] == pytest.approx(one.totals["cost_usd_per_t"], abs=0.01)
    assert many.totals["time_h"] == pytest.approx(one.totals["time_h"])


def test_cargo_profiles_change_prices(toy_net):
    perishable = toy_net.cost_model("perishable")
    general = toy_net.cost_model("general")
    road = {"kind": "road", "cost_usd_per_truck": 200.0, "time_h": 5.0, "distance_km": 100.0}
    # 200 USD per truck, 18 t payload, refrigerated factor 1.3
    assert perishable.cost_per_t(road) == pytest.approx(200 * 1.3 / 18)
    assert general.cost_per_t(road) == pytest.approx(200 / 20)
    assert perishable.weight(road, "generalized") == pytest.approx(200 * 1.3 / 18 + 3.0 * 5)
    assert general.weight(road, "time") == 5.0
    assert general.weight(road, "distance") == 100.0


def test_transfer_restricted_to_cargo(toy_net):
    fuel = toy_net.cost_model("fuel")
    assert not fuel.handles({"kind": "transfer", "cargo": ("general", "bulk")})
    assert fuel.handles({"kind": "transfer", "cargo": ("all",)})


def test_unknown_cargo_and_objective(toy_net):
    with pytest.raises(UsageError, match="unknown cargo profile 'cement'"):
        CostModel.from_params(toy_net.data.costs, "cement")
    with pytest.raises(UsageError, match="unknown objective"):
        check_objective("cheapest")
