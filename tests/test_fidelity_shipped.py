"""Issue #10 on the shipped data: the corridors the model chooses against what freight does.

Each test reads its expectation from the geodata files themselves (csv/tomllib, not the code
under test) or from a published figure named in the comment.
"""

from __future__ import annotations

import csv
import json
import subprocess
import tomllib

import pytest

from conftest import PYTHON, REPO
from corridors.fidelity import check_all, main_mode, metric_value
from corridors.scenarios import load_scenario

GEODATA = REPO / "geodata"


def _csv(name: str) -> list[dict[str, str]]:
    with (GEODATA / name).open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _crossing(cid: str) -> dict[str, str]:
    return next(r for r in _csv("crossings.csv") if r["id"] == cid)


COSTS = tomllib.loads((GEODATA / "costs.toml").read_text(encoding="utf-8"))


# 1. Central Asia to Karachi goes through Kabul, not Spin Boldak-Chaman-Quetta -----------


@pytest.mark.parametrize("origin", ["Termez", "Tashkent", "Kabul", "Mazar-i-Sharif"])
def test_central_asia_to_karachi_leaves_through_the_kabul_side(shipped_net, origin):
    route = shipped_net.route(origin, "Karachi", modes=["road"])
    assert "SPB" not in route.crossings, route.crossings


def test_pakistani_motorways_have_their_own_speed(shipped_net):
    costs = COSTS["road"]["class_speed_factor"]
    assert costs["motorway"]["value"] > costs["primary"]["value"]
    m9 = [e for e in _csv("edges.csv") if e["country"] == "PK" and e["road_class"] == "motorway"]
    assert len(m9) >= 8  # M-1, M-2, M-3, M-4, M-5, M-9, M-14 sections


# 2. Rail is chosen where freight goes by rail, and rail arrivals clear customs -------------


def test_kazakh_flour_reaches_hairatan_by_rail(shipped_net):
    route = shipped_net.route("Almaty", "Hairatan", cargo="bulk")
    assert main_mode(route) == "rail"
    assert "HAI" in route.crossings


def test_mazar_by_rail_ends_at_its_railhead(shipped_net):
    railhead = next(p["railhead"] for p in _csv("places.csv") if p["id"] == "MAZAR_I_SHARIF")
    route = shipped_net.route("Almaty", "Mazar-i-Sharif", modes=["rail"])
    assert route.destination["id"] == railhead == "NAIBABAD"
    assert all(leg.mode == "rail" for leg in route.leg_list)


@pytest.mark.parametrize("cid", ["HAI", "TOR", "AQI", "KHF"])
def test_rail_arrivals_pay_afghan_clearance(shipped_net, cid):
    row = _crossing(cid)
    # the rail crossing carries both sides: partner side + Afghan clearance (19.5 h CPMM proxy)
    assert float(row["rail_time_h"]) >= 19.5
    route = shipped_net.route(row["partner_place"], row["af_place"], modes=["rail"])
    leg = next(leg for leg in route.leg_list if leg.crossing_id == cid)
    assert leg.time_h == pytest.approx(float(row["rail_time_h"]))
    wagon_t = COSTS["rail"]["wagon_payload_t"]["value"]
    assert leg.fee_usd == pytest.approx(float(row["rail_fee_usd_per_wagon"]) / wagon_t * route.tonnes, rel=1e-6)


def test_china_afghanistan_train_runs_without_a_scenario(shipped_net):
    route = shipped_net.route("Urumqi", "Mazar-i-Sharif", modes=["rail"])
    assert route.crossings[0] in {"KHG_RAIL", "DOS_RAIL"} and route.crossings[-1] == "HAI"
    bulk = shipped_net.route("Urumqi", "Mazar-i-Sharif", cargo="bulk")
    assert main_mode(bulk) == "rail"
    assert not (GEODATA / "scenarios" / "china-afghanistan-rail.toml").exists()


# 3. Seaports have dwell and handling ----------------------------------------------------------


def test_every_seaport_has_dwell_and_handling(shipped_net):
    ports = {p["id"] for p in _csv("places.csv") if p["kind"] == "port"}
    rows = {r["place"]: r for r in _csv("ports.csv")}
    assert ports == set(rows)
    for pid, row in rows.items():
        route = shipped_net.route(pid, "Kabul")
        first = route.leg_list[0]
        assert first.transfer_kind == "port"
        assert first.time_h == pytest.approx(float(row["dwell_h"]))
        assert first.cost_usd_per_t == pytest.approx(float(row["handling_usd_per_t"]))


# 4. Stale figures replaced ------------------------------------------------------------------


def test_turkmen_and_kazakh_figures_are_cpmm_2022_23():
    road = COSTS["road"]["cost_usd_per_truck_km"]["TM"]["value"]
    assert 591 / 500 <= road <= 604 / 500  # CPMM TFI3 2023 / 2022
    rail = COSTS["rail"]["tariff_usd_per_tkm"]["TM"]["value"]
    assert 0.1308 <= rail <= 0.1357  # CPMM rail TFI3 USD 1,308-1,357 per 500 km per 20 t
    zhz = _crossing("ZHZ")
    assert "2023" in zhz["note"] and float(zhz["road_time_h"]) < 12.9


# 5. Observed traffic is not capacity --------------------------------------------------------


def test_aan_traffic_counts_are_observations_not_capacity():
    seen = {(r["crossing"], r["date"][:4]): float(r["trucks_per_day"] or 0) for r in _csv("observed_volumes.csv")}
    assert seen[("AQI", "2025")] == 200 and seen[("TOR", "2025")] == 150 and seen[("SKB", "2025")] == 100
    for cid in ("AQI", "TOR", "SKB"):
        assert _crossing(cid)["capacity_trucks_per_day"] not in ("80", "400")


def test_crossings_command_shows_observed_traffic():
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "crossings", "--json"], capture_output=True, text=True, cwd=REPO, check=True
    )
    aqi = next(r for r in json.loads(out.stdout) if r["id"] == "AQI")
    assert any(o["trucks_per_day"] == 200 for o in aqi["observed"])


# 6. Badakhshan and China-Pakistan can be routed -----------------------------------------------


def test_osh_faizabad_through_tajikistan(shipped_net):
    route = shipped_net.route("Osh", "Faizabad", via=["Khorog"])
    assert route.crossings[0] == "KZA" and route.crossings[-1] in {"ISH", "SHG", "DRZ"}
    closed = [r for r in _csv("crossings.csv") if r["id"] in ("ISH", "SHG", "DRZ")]
    assert all(float(r["closure_prob"]) < 1 and r["status"] == "open" for r in closed)


def test_karakoram_highway_links_china_and_pakistan(shipped_net):
    route = shipped_net.route("Kashgar", "Islamabad")
    assert route.crossings == ["KHUNJERAB"]
    khj = _crossing("KHUNJERAB")
    assert 0 < float(khj["closure_prob"]) < 1 and "winter" in khj["note"].lower()
    assert any(r["id"] == "KUL" for r in _csv("crossings.csv"))  # China-Tajikistan (Kulma)


# 7. Cargo profiles differ -------------------------------------------------------------------------


def test_perishables_value_time_far_above_general_cargo(shipped_net):
    vot = {c: COSTS["cargo"][c]["value_of_time_usd_per_t_h"]["value"] for c in ("general", "perishable", "bulk")}
    assert vot["perishable"] >= 3 * vot["general"] >= 3 * vot["bulk"]
    # a 74 h border wait costs fruit more than a third of its value per tonne (~1,200 USD/t)
    assert 74 * vot["perishable"] > 400
    assert main_mode(shipped_net.route("Tashkent", "Kabul", cargo="bulk")) == "rail"
    assert main_mode(shipped_net.route("Tashkent", "Kabul", cargo="perishable")) == "road"


# 8. Names a user types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "destination", "end", "expected"),
    [
        ("Termez", "Torkham", "destination", "TORKHAM_AF"),
        ("Torkham", "Peshawar", "origin", "TORKHAM_PK"),
        ("Mashhad", "Sarakhs", "destination", "SARAKHS_IR"),
        ("Khost", "Ghulam Khan", "destination", "GHULAM_KHAN_AF"),
    ],
)
def test_a_crossing_name_resolves_to_the_side_reached(shipped_net, origin, destination, end, expected):
    route = shipped_net.route(origin, destination)
    assert getattr(route, end)["id"] == expected


def test_arabian_sea_point_is_refused():
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "route", "20.0,63.0", "Kabul"], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 3 and "km from the nearest road node" in out.stderr and "Traceback" not in out.stderr


# The fidelity table: no regression against the rows that passed when it was last recorded ------

BASELINE = REPO / "tests" / "fidelity_passing.txt"


# 9 (fidelity pass, 2026-12). Foreign-truck entry fees and the Ghulam Khan trading days ---------


def test_entering_turkmenistan_costs_its_foreign_truck_fee(shipped_net):
    # costs.toml [road.entry_fee_usd_per_truck]: TM 250 (decree of Sep 2022); Iran has none.
    fee = COSTS["road"]["entry_fee_usd_per_truck"]["TM"]["value"]
    srk = float(_crossing("SRK")["road_fee_usd_per_truck"])
    g = shipped_net.graph
    assert g["SARAKHS_IR:road"]["SARAKHS_TM:road"]["SRK:road"]["cost_usd_per_truck"] == srk + fee
    assert g["SARAKHS_TM:road"]["SARAKHS_IR:road"]["SRK:road"]["cost_usd_per_truck"] == srk


def test_ghulam_khan_waits_for_its_trading_days(shipped_net):
    # 52.6 h national proxy + (3/7 x 36 h + 5/7 x 60 h) / 2 = 52.6 + 29.1 h.
    assert float(_crossing("GKH")["road_time_h"]) == pytest.approx(52.6 + (3 / 7 * 36 + 5 / 7 * 60) / 2, abs=0.05)
    route = shipped_net.route("Karachi", "Kabul", modes=["road"])
    assert route.crossings == ["TRK"]


def test_tir_return_leg_ends_at_the_afghan_side_of_torkham(shipped_net):
    # invest.gov.uz (May 2021): Tashkent "to the Torkham checkpoint" in 48 h, i.e. to the border,
    # so the row's destination is the Afghan side and the Torkham crossing is not in the figure.
    row = next(r for r in _csv("observations.csv") if r["id"] == "tashkent-torkham-af-tir-2021-time")
    route = shipped_net.route(row["origin"], row["destination"], modes=["road"])
    assert "TRK" not in route.crossings
    assert route.leg_list[-1].to_id == "TORKHAM_AF"
    excluded = {r["id"]: r for r in _csv("observations_excluded.csv")}
    for rid in ("tashkent-torkham-tir-2021-time", "kashgar-hairatan-time", "tashkent-mazar-rail-suspended-uses-aqi"):
        assert excluded[rid]["excluded_because"].startswith("does not measure what the query asks"), rid


def test_fidelity_rows_that_passed_still_pass(shipped_net):
    passing = {line.strip() for line in BASELINE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    data = shipped_net.data
    assert passing <= set(data.observations), "fidelity_passing.txt names rows that are not in observations.csv"
    checks = check_all(shipped_net, data.observations.values(), lambda n: load_scenario(n, data.directory))
    regressed = [c.observation.id for c in checks if c.observation.id in passing and not c.passed]
    assert not regressed, f"observations that passed before now fail: {regressed}"


def test_land_scope_leaves_the_port_out(shipped_net):
    route = shipped_net.route("Karachi", "Kabul")
    dwell = float(next(r for r in _csv("ports.csv") if r["place"] == "KARACHI")["dwell_h"])
    assert metric_value(route, "time_h", "door") == pytest.approx(metric_value(route, "time_h", "land") + dwell)


def test_readme_fidelity_table_is_generated():
    from readme_tables import fidelity_markdown, readme_block

    block = readme_block((REPO / "README.md").read_text(encoding="utf-8"))
    assert block is not None, "README.md lost its fidelity table markers"
    assert block == fidelity_markdown(), "README's fidelity table is stale: run python tests/readme_tables.py"


def test_sources_md_lists_every_cited_url():
    from readme_tables import sources_index, sources_md_index

    text = (GEODATA / "SOURCES.md").read_text(encoding="utf-8")
    assert sources_md_index(text) == sources_index(), (
        "SOURCES.md's URL index is stale: run python tests/readme_tables.py"
    )


def test_readme_python_examples_run():
    import re

    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["route"].crossings and namespace["rows"]


def test_readme_example_output_is_current():
    from readme_tables import example_output, readme_example

    assert readme_example((REPO / "README.md").read_text(encoding="utf-8")) == example_output(), (
        "README's example output is stale: run python tests/readme_tables.py"
    )
