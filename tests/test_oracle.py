"""Routes against :class:`oracle.FileOracle`, which prices them from the geodata files alone.

Also checks the oracle itself: against hand arithmetic on the toy network, and that it catches
a wrong price or a wrong rule (so an agreement means something).
"""

from __future__ import annotations

import csv
import itertools
import shutil
from pathlib import Path

import pytest

from conftest import REPO, write_toy_geodata
from corridors.errors import NoRouteError
from corridors.network import load_network
from oracle import OBJECTIVES, FileOracle, route_mismatches

CARGOS = ("general", "bulk", "fuel", "perishable")


@pytest.fixture(scope="module")
def shipped_oracle() -> FileOracle:
    """The oracle of the shipped geodata."""
    return FileOracle(REPO / "geodata")


@pytest.fixture(scope="module")
def toy_oracle(toy_net) -> FileOracle:
    """The oracle of the toy geodata files the ``toy_net`` fixture was loaded from."""
    return FileOracle(toy_net.data.directory)


def _routable(oracle: FileOracle) -> list[str]:
    """Place ids on at least one open link, by the oracle's reading of the files."""
    return sorted({place for place, _ in oracle.nodes})


def check_pairs(net, oracle, pairs, cargo, objective, modes=("road", "rail")) -> int:
    """Route every pair with the package and assert the oracle agrees; return how many routed.

    A pair the package cannot route must have no route in the oracle either.
    """
    routed = 0
    for o, d in pairs:
        try:
            route = net.route(o, d, cargo=cargo, objective=objective, modes=modes)
        except NoRouteError:
            assert oracle.least(o, d, cargo, objective, modes) is None, (o, d, cargo, objective, modes)
            continue
        assert route_mismatches(oracle, route, origin=o, destination=d, modes=modes) == []
        routed += 1
    return routed


def _set_cell(path: Path, key: str, value: str, column: str, key_column: str = "id") -> None:
    """Rewrite one cell of a CSV file (the row whose ``key_column`` is ``key``)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hits = [r for r in rows if r[key_column] == key]
    assert len(hits) == 1, key
    hits[0][column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --- the oracle against hand arithmetic -----------------------------------------------------

# Uzcity -> Pkport, general cargo (20 t, 0.5 USD/t/h), the least generalized cost (conftest):
#   UZ-RL-1  rail 100 km   0.04 x 100 = 4.00 USD/t            100 / 25 = 4 h
#   X1 rail  11.1195 km    120 / 60 wagon t = 2.00             4 h
#   AF-RL-1  rail 75 km    0.05 x 75 = 3.75                     75 / 15 = 5 h
#   AFCITY   rail->road    5.00                                 10 h
#   AF-R-3   mountain 400  2.0 x 400 / 20 = 40.00               400 / (40 x 0.5) = 20 h
#   AF-R-4   primary 200   2.0 x 200 / 20 = 20.00               200 / 40 = 5 h
#   X4 road  9.2185 km     100 / 20 + 3 transload = 8.00        12 + 5 transload = 17 h
#   PK-R-2   motorway 160  1.5 x 160 / 20 = 12.00               160 / (50 x 1.5) = 2.1333 h
# money 94.75 USD/t, time 67.1333 h, generalized 94.75 + 0.5 x 67.1333 = 128.3167 USD/t,
# distance 100 + 11.1195 + 75 + 400 + 200 + 9.2185 + 160 = 955.3380 km (the crossings'
# great-circle lengths: 0.1 deg of latitude; 0.1 deg of longitude at 34 N).
HAND_MONEY = 4 + 2 + 3.75 + 5 + 40 + 20 + 8 + 12
HAND_HOURS = 4 + 4 + 5 + 10 + 20 + 5 + 17 + 160 / 75
HAND_KM = 100 + 11.119508 + 75 + 400 + 200 + 9.218490 + 160


def test_oracle_prices_the_toy_route_by_hand(toy_oracle, toy_net):
    assert toy_oracle.least("UZCITY", "PKPORT", "general", "generalized") == pytest.approx(
        HAND_MONEY + 0.5 * HAND_HOURS, abs=1e-6
    )
    route = toy_net.route("Uzcity", "Pkport")
    assert [leg.edge_id for leg in route.leg_list if leg.kind in ("road", "rail")] == [
        "UZ-RL-1",
        "AF-RL-1",
        "AF-R-3",
        "AF-R-4",
        "PK-R-2",
    ]
    assert route.crossings == ["X1", "X4"]
    assert route.totals["cost_usd_per_t"] == pytest.approx(HAND_MONEY, abs=0.005)
    assert route.totals["cost_usd"] == pytest.approx(HAND_MONEY * 20, abs=0.01)
    assert route.totals["time_h"] == pytest.approx(HAND_HOURS, abs=0.01)
    assert route.totals["distance_km"] == pytest.approx(HAND_KM, abs=0.01)
    assert route.totals["generalized_cost"] == pytest.approx(HAND_MONEY + 0.5 * HAND_HOURS, abs=0.005)


def test_oracle_prices_single_links_by_hand(toy_oracle):
    by_ident = {(lk.ident, lk.u[0]): lk for lk in toy_oracle.links}
    x4 = by_ident["X4:road", "AFSOUTH2"]
    assert toy_oracle.measures(x4, "perishable") == pytest.approx(
        {"distance": 9.218490, "time": 17.0, "cost": 100 / 18 + 3, "generalized": 100 / 18 + 3 + 3.0 * 17}
    )
    x1 = by_ident["X1:rail", "AFPOST"]
    assert toy_oracle.money_per_t(x1, "bulk") == pytest.approx(120 / 60)  # no rail factor on a fee
    rail = by_ident["UZ-RL-1", "UZCITY"]
    assert toy_oracle.money_per_t(rail, "bulk") == pytest.approx(0.04 * 100 * 0.8)
    road = by_ident["AF-R-3", "AFCITY"]
    assert toy_oracle.money_per_t(road, "fuel") == pytest.approx(2.0 * 400 * 1.1 / 30)
    afpost = [lk for lk in toy_oracle.links if lk.kind == "terminal" and lk.u[0] == "AFPOST"]
    assert len(afpost) == 2 and all(lk.cargo == ("general", "bulk") for lk in afpost)
    assert not toy_oracle.handles(afpost[0], "fuel") and toy_oracle.handles(afpost[0], "bulk")


# --- the package against the oracle ---------------------------------------------------------


@pytest.mark.parametrize("modes", [("road", "rail"), ("road",), ("rail",)])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_toy_routes_equal_the_oracle(toy_net, toy_oracle, objective, modes):
    pairs = list(itertools.permutations(_routable(toy_oracle), 2))
    for cargo in CARGOS:
        check_pairs(toy_net, toy_oracle, pairs, cargo, objective, modes)


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("cargo", CARGOS)
def test_shipped_routes_equal_the_oracle(shipped_net, shipped_oracle, objective, cargo):
    places = _routable(shipped_oracle)
    offset = CARGOS.index(cargo)  # a different sample of pairs for each cargo
    pairs = [(o, d) for o in places[offset::19] for d in places[offset::14] if o != d]
    assert check_pairs(shipped_net, shipped_oracle, pairs, cargo, objective) > 0.9 * len(pairs)


@pytest.mark.parametrize("modes", [("road",), ("rail",)])
def test_shipped_routes_by_one_mode_equal_the_oracle(shipped_net, shipped_oracle, modes):
    places = _routable(shipped_oracle)
    pairs = [(o, d) for o in places[3::19] for d in places[5::11] if o != d]
    pairs += [("MAZAR_I_SHARIF", "TERMEZ"), ("KABUL", "MAZAR_I_SHARIF")]  # a railhead on rail-only requests
    for objective in ("generalized", "distance"):
        check_pairs(shipped_net, shipped_oracle, pairs, "general", objective, modes)


def test_routes_from_and_to_ports_pay_the_quay_once(shipped_net, shipped_oracle):
    with (REPO / "geodata" / "ports.csv").open(newline="", encoding="utf-8") as fh:
        ports = {r["place"]: r for r in csv.DictReader(fh)}
    assert ports
    for port, row in ports.items():
        for other in ("KABUL", "TERMEZ"):
            check_pairs(shipped_net, shipped_oracle, [(port, other), (other, port)], "general", "generalized")
            out, back = shipped_net.route(port, other), shipped_net.route(other, port)
            first, last = out.leg_list[0], back.leg_list[-1]
            assert (first.transfer_kind, first.from_layer) == ("port", "sea")
            assert (last.transfer_kind, last.to_layer) == ("port", "sea")
            for leg in (first, last):
                assert leg.time_h == float(row["dwell_h"])
                assert leg.cost_usd_per_t == float(row["handling_usd_per_t"])
            legs = [*out.leg_list, *back.leg_list]
            assert sum(leg.transfer_kind == "port" for leg in legs) == 2


def test_opened_projects_equal_the_oracle(shipped_oracle):
    projects = ["TAR", "MAZAR_HERAT", "KHAF_HERAT"]
    net = load_network(REPO / "geodata", open_projects=projects)
    oracle = FileOracle(REPO / "geodata", open_projects=projects)
    assert len(oracle.links) > len(shipped_oracle.links)
    places = _routable(oracle)
    pairs = [(o, d) for o in places[1::29] for d in places[2::11] if o != d]
    pairs += [("TERMEZ", "PESHAWAR"), ("MAZAR_I_SHARIF", "HERAT"), ("KHAF", "HERAT")]
    for objective in ("generalized", "distance"):
        check_pairs(net, oracle, pairs, "bulk", objective)


# --- the oracle can fail --------------------------------------------------------------------


def test_a_changed_fee_is_read_by_both(tmp_path):
    """Both read a copy with X4's truck fee raised from 100 to 400: they still agree, and the price moved."""
    directory = write_toy_geodata(tmp_path / "toy")
    before = FileOracle(directory).least("UZCITY", "PKPOST2", "general", "cost")
    _set_cell(directory / "crossings.csv", "X4", "400", "road_fee_usd_per_truck")
    net, oracle = load_network(directory), FileOracle(directory)
    after = oracle.least("UZCITY", "PKPOST2", "general", "cost")
    assert after == pytest.approx(before + 300 / 20)
    route = net.route("Uzcity", "Pkpost Two", objective="cost")
    assert route_mismatches(oracle, route) == []
    x4 = next(leg for leg in route.leg_list if leg.crossing_id == "X4")
    assert x4.fee_usd == pytest.approx(400.0) and x4.cost_usd == pytest.approx(400 + 3 * 20)
    pairs = list(itertools.permutations(_routable(oracle), 2))
    for objective in OBJECTIVES:
        check_pairs(net, oracle, pairs, "general", objective)


@pytest.mark.parametrize(
    ("file", "key", "column", "value", "key_column"),
    [
        ("crossings.csv", "X4", "road_fee_usd_per_truck", "101", "id"),  # a fee
        ("crossings.csv", "X1", "rail_time_h", "4.5", "id"),  # a crossing time
        ("edges.csv", "AF-R-3", "distance_km", "401", "id"),  # a distance
        ("edges.csv", "PK-R-2", "speed_kmh", "70", "id"),  # an edge's own speed
        ("terminals.csv", "AFCITY", "cost_usd_per_t", "5.5", "place"),  # a terminal
        ("crossings.csv", "X4", "transload", "no", "id"),  # forced transloading
    ],
)
def test_the_oracle_catches_a_wrong_number(tmp_path, toy_oracle, file, key, column, value, key_column):
    """The package reads a copy with one number changed; the oracle reads the true files."""
    wrong = tmp_path / "wrong"
    shutil.copytree(toy_oracle.directory, wrong)
    _set_cell(wrong / file, key, value, column, key_column)
    route = load_network(wrong).route("Uzcity", "Pkport")
    found = route_mismatches(toy_oracle, route)
    assert found, "a changed number went unnoticed"
    assert any(key in m or "least total" in m or "totals" in m for m in found), found


def test_the_oracle_catches_a_wrong_price_on_the_shipped_data(tmp_path, shipped_oracle):
    """Hairatan's truck fee raised by 20 USD in the package's copy: the oracle sees it."""
    wrong = tmp_path / "geodata"
    shutil.copytree(REPO / "geodata", wrong)
    fee = float(shipped_oracle.crossings["HAI"]["road_fee_usd_per_truck"])
    _set_cell(wrong / "crossings.csv", "HAI", f"{fee + 20:g}", "road_fee_usd_per_truck")
    route = load_network(wrong).route("Termez", "Kabul", modes=["road"])
    assert "HAI" in route.crossings
    assert any("HAI:road fee_usd" in m for m in route_mismatches(shipped_oracle, route, modes=["road"]))
    assert route_mismatches(FileOracle(wrong), route, modes=["road"]) == []


class RoadFactorOnFees(FileOracle):
    """A wrong rule: the cargo's road cost factor also applied to border fees."""

    def money_per_t(self, link, cargo):
        """The fee of a road crossing scaled by the road factor; everything else as documented."""
        money = super().money_per_t(link, cargo)
        if link.kind == "crossing" and link.mode == "road":
            money = (money - link.extra_per_t) * self.profile(cargo)["road_cost_factor"] + link.extra_per_t
        return money


class NoTransload(FileOracle):
    """A wrong rule: forced transloading at a crossing costs nothing."""

    def money_per_t(self, link, cargo):
        """The documented price less any transloading cost."""
        return super().money_per_t(link, cargo) - link.extra_per_t


@pytest.mark.parametrize(
    ("wrong_rule", "cargo", "crossing"),
    [(RoadFactorOnFees, "perishable", "X1:road"), (NoTransload, "general", "X4:road")],
)
def test_the_oracle_with_a_wrong_rule_disagrees(toy_oracle, toy_net, wrong_rule, cargo, crossing):
    """The package's route agrees with the documented rules and not with a wrong one."""
    wrong = wrong_rule(toy_oracle.directory)
    route = toy_net.route("Uzcity", "Pkport", cargo=cargo)
    assert route_mismatches(toy_oracle, route) == []
    found = route_mismatches(wrong, route)
    assert any(f"{crossing} cost_usd_per_t" in m for m in found), found
