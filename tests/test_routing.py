"""Routes against the independent oracle (priced from the geodata files), and every routing option."""

from __future__ import annotations

import itertools

import pytest

from corridors.errors import NoRouteError, UnknownPlaceError, UsageError
from oracle import FileOracle, route_mismatches

TOY_PLACES = ["UZCITY", "UZPOST2", "AFCITY", "AFSOUTH", "PKPOST", "PKPORT"]


@pytest.fixture(scope="module")
def oracle(toy_net) -> FileOracle:
    """The file oracle of the toy geodata ``toy_net`` was loaded from."""
    return FileOracle(toy_net.data.directory)


@pytest.mark.parametrize("objective", ["generalized", "cost", "time", "distance"])
@pytest.mark.parametrize("cargo", ["general", "fuel", "perishable"])
def test_toy_routes_match_the_file_oracle(toy_net, oracle, objective, cargo):
    for o, d in itertools.permutations(TOY_PLACES, 2):
        route = toy_net.route(o, d, objective=objective, cargo=cargo)
        assert route_mismatches(oracle, route) == [], (o, d)


def test_modes_restrict_layers(toy_net):
    road = toy_net.route("Uzcity", "Afcity", modes=["road"])
    assert {leg.mode for leg in road.leg_list} == {"road"}
    rail = toy_net.route("Uzcity", "Afcity", modes=["rail"])
    assert {leg.mode for leg in rail.leg_list} == {"rail"}
    assert all(leg.kind != "transfer" for leg in rail.leg_list)


def test_no_route_says_which_restriction(toy_net):
    with pytest.raises(NoRouteError, match="--modes rail cuts every path") as err:
        toy_net.route("Uzcity", "Pkport", modes=["rail"])
    assert err.value.exit_code == 4
    with pytest.raises(NoRouteError, match="--avoid AFSOUTH cuts every path"):
        toy_net.route("Uzcity", "Pkport", avoid=["Afsouth"])


def test_avoid_crossing_and_edge(toy_net):
    base = toy_net.route("Uzcity", "Pkport")
    assert "X4" in base.crossings
    other = toy_net.route("Uzcity", "Pkport", avoid=["X4"])
    assert "X4" not in other.crossings
    assert other.totals["generalized_cost"] >= base.totals["generalized_cost"]
    by_rail = toy_net.route("Uzcity", "Afcity")
    assert "UZ-RL-1" in [leg.edge_id for leg in by_rail.leg_list]
    no_rail = toy_net.route("Uzcity", "Afcity", avoid=["UZ-RL-1"])
    assert "UZ-RL-1" not in [leg.edge_id for leg in no_rail.leg_list]
    with pytest.raises(NoRouteError, match="--avoid AF-R-3 cuts every path"):
        toy_net.route("Uzcity", "Afsouth", avoid=["AF-R-3"])


def test_avoid_origin_is_a_usage_error(toy_net):
    with pytest.raises(UsageError, match="it is the origin"):
        toy_net.route("Uzcity", "Pkport", avoid=["UZCITY"])


def test_via_forces_waypoint(toy_net):
    direct = toy_net.route("Uzcity", "Afcity")
    assert "X2" not in direct.crossings
    via = toy_net.route("Uzcity", "Afcity", via=["Uzpost Two"])
    assert via.crossings == ["X2"]
    assert "UZPOST2" in [leg.to_id for leg in via.leg_list]
    assert via.totals["generalized_cost"] >= direct.totals["generalized_cost"]


def test_alternatives_differ_in_crossings_and_are_ordered(toy_net):
    route = toy_net.route("Uzcity", "Pkport", alternatives=4)
    alts = route.alternatives
    assert alts[0] is route
    assert len(alts) == 4
    seqs = [tuple(r.crossings) for r in alts]
    assert len(set(seqs)) == 4
    costs = [r.totals["generalized_cost"] for r in alts]
    assert costs == sorted(costs)
    assert set(seqs) == {("X1", "X4"), ("X1", "X3"), ("X2", "X4"), ("X2", "X3")}


def test_alternatives_fewer_when_network_has_fewer(toy_net):
    route = toy_net.route("Uzcity", "Afcity", alternatives=5)
    assert {tuple(r.crossings) for r in route.alternatives} == {("X1",), ("X2",)}


def test_unknown_place(toy_net):
    with pytest.raises(UnknownPlaceError, match="unknown place 'Atlantis'"):
        toy_net.route("Atlantis", "Pkport")


def test_latlon_snaps_with_connector(toy_net):
    route = toy_net.route("36.8,67.2", "Pkport")
    first = route.leg_list[0]
    assert first.road_class == "connector"
    assert first.to_id == "AFCITY"
    assert first.distance_km > 0
    assert route.origin["lat"] == pytest.approx(36.8)


def test_bad_options(toy_net):
    with pytest.raises(UsageError):
        toy_net.route("Uzcity", "Pkport", tonnes=-1)
    with pytest.raises(UsageError):
        toy_net.route("Uzcity", "Pkport", modes=["boat"])
    with pytest.raises(UsageError):
        toy_net.route("Uzcity", "Pkport", alternatives=0)


def test_json_dict_shape_and_legs_priced_from_the_files(toy_net, oracle):
    d = toy_net.route("Uzcity", "Pkport", alternatives=2).to_dict()
    assert {
        "origin",
        "destination",
        "cargo",
        "objective",
        "tonnes",
        "totals",
        "legs",
        "crossings",
        "transfers",
        "alternatives",
    } <= d.keys()
    # every JSON leg is the oracle's price of its link, rounded to cents
    for leg in d["legs"]:
        m = oracle.measures(oracle.link_of(leg, "general"), "general")
        assert leg["distance_km"] == pytest.approx(m["distance"], abs=0.005)
        assert leg["time_h"] == pytest.approx(m["time"], abs=0.005)
        assert leg["cost_usd"] == pytest.approx(m["cost"] * 20, abs=0.005)
        if leg["kind"] in ("road", "rail"):
            assert leg["distance_km"] == float(oracle.edges[leg["edge_id"]]["distance_km"])
    money = oracle.price_path(oracle.node_path(d["legs"], "general"), "general", "cost")
    assert d["totals"]["cost_usd"] == pytest.approx(money * 20, abs=0.005 * len(d["legs"]))
    assert d["totals"]["cost_usd"] == pytest.approx(1895.0, abs=0.005)  # by hand: tests/test_oracle.py
    for leg in d["legs"]:
        assert leg["kind"] in {"road", "rail", "transfer", "crossing"}
        assert {"from", "to", "mode", "gauge_mm", "distance_km", "time_h", "cost_usd"} <= leg.keys()
        if leg["kind"] == "crossing":
            assert leg["crossing_id"]
    assert len(d["alternatives"]) == 2
    assert d["alternatives"][0]["totals"] == d["totals"]


def test_legs_geodataframe(toy_net):
    gdf = toy_net.route("Uzcity", "Pkport").legs
    assert str(gdf.crs) == "EPSG:4326"
    assert list(gdf["kind"])[:2] == ["rail", "crossing"]
    assert all(g.geom_type == "LineString" for g in gdf.geometry)
