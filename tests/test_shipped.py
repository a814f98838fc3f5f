"""The shipped geodata: it validates clean and its answers are plausible against the
reference figures (CAREC CPMM, Logistics Cluster, railway km posts)."""

from __future__ import annotations

import pytest

from conftest import REPO
from corridors.fidelity import metric_value
from corridors.validate import validate


def test_shipped_geodata_validates_clean():
    report = validate(REPO / "geodata")
    assert report.ok, "\n".join(map(str, report.problems))


def test_termez_karachi_is_plausible(shipped_net):
    route = shipped_net.route("Termez", "Karachi")
    t = route.totals
    # by road via Kabul and Kandahar-Chaman-Quetta-N-25 (~1,900 km) or Torkham-Peshawar-M-1..M-9 (~2,500 km)
    assert 1800 <= t["distance_km"] <= 2900
    # CPMM: border crossings of about a day each side; 5-10 days from Termez to the port gate
    # (the port's own dwell, about a week at Karachi, comes on top)
    land_h = metric_value(route, "time_h", "land")
    assert 4 * 24 <= land_h <= 12 * 24
    assert t["time_h"] == pytest.approx(land_h + shipped_net.data.ports["KARACHI"].dwell_h, abs=0.05)
    # CPMM TFI3: USD 570-1,030 per 500 km per 20 t truck -> USD 3,000-6,000 for ~2,500 km
    assert 2500 <= t["cost_usd"] <= 7000
    assert route.crossings[0] == "HAI"
    assert route.crossings[-1] in {"TRK", "SPB", "KHR", "GKH"}


def test_hairatan_is_the_termez_gateway_and_torkham_leads_to_peshawar(shipped_net):
    assert shipped_net.route("Termez", "Kabul").crossings == ["HAI"]
    assert shipped_net.route("Kabul", "Peshawar").crossings == ["TRK"]
    assert shipped_net.route("Kandahar", "Quetta").crossings == ["SPB"]
    assert shipped_net.route("Mashhad", "Herat", modes=["road"]).crossings == ["ISQ"]
    # with rail allowed the Khaf-Herat railway competes with Islam Qala's long queue of trucks
    assert shipped_net.route("Herat", "Mashhad").crossings[0] in {"ISQ", "KHF"}


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Hairatan", "Mazar-i-Sharif", 70, 90),  # 75-80 km (LCA, Pajhwok)
        ("Kabul", "Jalalabad", 140, 165),  # 143-160 km
        ("Herat", "Kandahar", 540, 600),  # 557 km NH01
        ("Kandahar", "Kabul", 470, 510),  # 483 km
        ("Peshawar", "Karachi", 1350, 1650),  # N-55: NHA Peshawar-Kotri 1,264 + M-9 136; motorways ~1,565
        ("Torkham_PK", "Karachi", 1416 * 0.9, 1416 * 1.1),  # 1,416 km, Afghan chamber (2017)
        ("Karachi", "Chaman", 780, 830),  # N-25 790-813 km
    ],
)
def test_road_distances_match_the_sheets(shipped_net, a, b, low, high):
    route = shipped_net.route(a, b, objective="distance", modes=["road"])
    assert low <= route.totals["distance_km"] <= high


def test_rail_from_termez_reaches_naibabad_on_1520(shipped_net):
    route = shipped_net.route("Termez", "Naibabad", modes=["rail"])
    assert {leg.gauge_mm for leg in route.leg_list} == {1520}
    assert route.crossings == ["HAI"]


def test_shir_khan_bandar_forces_transloading(shipped_net):
    route = shipped_net.route("Dushanbe", "Kunduz")
    assert "SKB" in route.crossings
    assert any(t["kind"] == "crossing_transload" for t in route.transfers)


def test_planned_trans_afghan_railway_opens_a_rail_route(shipped_net):
    from corridors.scenarios import load_scenario

    # today a rail-only Termez-Peshawar route must go round through Turkmenistan, Iran and Taftan
    today = shipped_net.route("Termez", "Peshawar", modes=["rail"], objective="distance")
    assert "KHR_RAIL" not in today.crossings
    tar = shipped_net.with_scenarios([load_scenario("tarp-built", REPO / "geodata")])
    route = tar.route("Termez", "Peshawar", modes=["rail"], objective="distance")
    assert route.crossings == ["HAI", "KHR_RAIL"]
    assert any(t["kind"] == "gauge_break" for t in route.transfers)
    assert route.totals["distance_km"] < today.totals["distance_km"] / 2


@pytest.mark.parametrize(
    "name",
    [
        "torkham-closed",
        "af-pk-border-closed",
        "kharlachi-2024",
        "hairatan-rail-suspended",
        "salang-winter",
        "tarp-built",
    ],
)
def test_shipped_scenarios_apply(shipped_net, name):
    from corridors.scenarios import load_scenario

    scenario = load_scenario(name, REPO / "geodata")
    net = shipped_net.with_scenarios([scenario])
    assert net.graph.number_of_edges() > 0


def test_aliases_resolve(shipped_net):
    for text, expected in [
        ("Termiz", "TERMEZ"),
        ("Mazar-e Sharif", "MAZAR_I_SHARIF"),
        ("Hayratan", "HAIRATAN"),
        ("Towraghondi", "TORGHUNDI"),
        ("Sherkhan Bandar", "SHIR_KHAN_BANDAR"),
    ]:
        assert shipped_net.places.place(text).id == expected
