"""Scenarios: closures, projects, overrides, and their errors."""

from __future__ import annotations

import subprocess

import pytest

from conftest import PYTHON, REPO
from corridors.errors import DataError, UnknownPlaceError, UsageError
from corridors.scenarios import Scenario, apply_scenario, load_scenario, parse_scenario


def test_close_crossing_reroutes(toy_net):
    closed = toy_net.with_scenarios([Scenario("x4", close_crossings=("X4",))])
    assert "X4" not in closed.route("Uzcity", "Pkport").crossings
    # the original network is untouched
    assert "X4" in toy_net.route("Uzcity", "Pkport").crossings


def test_close_one_mode_only(toy_net):
    net = toy_net.with_scenarios([Scenario("x1 rail", close_crossings=("X1:rail",))])
    assert net.data.crossings["X1"].modes == ("road",)
    route = net.route("Uzcity", "Afcity")
    assert all(not (leg.kind == "crossing" and leg.mode == "rail") for leg in route.leg_list)
    with pytest.raises(UnknownPlaceError, match="crossing X2 has no rail mode"):
        toy_net.with_scenarios([Scenario("bad", close_crossings=("X2:rail",))])


def test_close_place_and_edge(toy_net):
    net = toy_net.with_scenarios([Scenario("p", close_places=("AFPOST",))])
    assert net.route("Uzcity", "Afcity").crossings == ["X2"]
    net = toy_net.with_scenarios([Scenario("e", close_edges=("AF-R-2",))])
    with pytest.raises(Exception, match="cuts every path"):
        net.route("Uzcity", "Afcity", avoid=["X1"])


def test_set_and_scale(toy_net):
    slow = toy_net.with_scenarios([Scenario("slow", set_values={"crossing.X1.rail_time_h": 100.0})])
    leg = next(leg for leg in slow.route("Uzcity", "Afcity", modes=["rail"]).leg_list if leg.kind == "crossing")
    assert leg.time_h == pytest.approx(100.0)
    dear = toy_net.with_scenarios([Scenario("dear", scale_values={"costs.road.cost_usd_per_truck_km.*": 2.0})])
    base = toy_net.route("Afcity", "Afsouth").totals["cost_usd"]
    assert dear.route("Afcity", "Afsouth").totals["cost_usd"] == pytest.approx(2 * base, abs=0.02)


@pytest.mark.parametrize(
    ("scenario", "error", "text"),
    [
        (Scenario("s", close_crossings=("NOPE",)), UnknownPlaceError, "unknown crossing, edge or place 'NOPE'"),
        (Scenario("s", close_edges=("NOPE",)), UnknownPlaceError, "unknown edge 'NOPE'"),
        (Scenario("s", open_projects=("MOONRAIL",)), UnknownPlaceError, "unknown project 'MOONRAIL'"),
        (Scenario("s", set_values={"crossing.X1.closure_prob": 1.5}), DataError, "probability outside [0, 1]"),
        (Scenario("s", set_values={"crossing.X1.road_time_h": -1.0}), DataError, "must be a non-negative number"),
        (Scenario("s", set_values={"crossing.X1.colour": 1.0}), DataError, "unknown crossing field 'colour'"),
        (Scenario("s", set_values={"costs.road.nothing": 1.0}), DataError, "unknown cost parameter"),
    ],
)
def test_bad_scenarios(toy_net, scenario, error, text):
    with pytest.raises(error, match=text.replace("[", r"\[").replace("]", r"\]")):
        apply_scenario(toy_net.data, scenario)


def test_parse_and_load(tmp_path, toy_dir):
    text = """
name = "test"
description = "closes X4"
[close]
crossings = ["X4"]
[set]
"group.G.closure_prob" = 0.5
"""
    s = parse_scenario(text, "file")
    assert s.close_crossings == ("X4",) and s.set_values == {"group.G.closure_prob": 0.5}
    path = tmp_path / "mine.toml"
    path.write_text(text)
    assert load_scenario(str(path), toy_dir).name == "test"
    with pytest.raises(UsageError, match="unknown scenario 'nothing-here'"):
        load_scenario("nothing-here", toy_dir)
    with pytest.raises(DataError, match="not valid TOML"):
        parse_scenario("[close", "broken")
    with pytest.raises(DataError, match="unknown key"):
        parse_scenario("colour = 1", "odd")


@pytest.mark.parametrize(
    ("lines", "code", "text"),
    [
        # a name the schema lacks is a bad file (5), not an unknown place (3)
        ('[set]\n"crossing.X1.colour" = 1', 5, "unknown crossing field 'colour'"),
        ('[set]\n"planet.X1.road_time_h" = 1', 5, "unknown target kind 'planet'"),
        ('[set]\n"costs.road.nothing" = 1', 5, "unknown cost parameter 'road.nothing'"),
        ('[set]\n"group.G.colour" = 1', 5, "unknown group field 'colour'"),
        # a record the network lacks is an unknown id (3)
        ('[set]\n"crossing.NOPE.road_time_h" = 1', 3, "unknown crossing 'NOPE'"),
        ('[close]\ncrossings = ["NOPE"]', 3, "unknown crossing, edge or place 'NOPE'"),
    ],
)
def test_cli_exit_codes_of_bad_scenario_files(toy_dir, tmp_path, lines, code, text):
    """``whatif --scenario FILE`` through a real process: the code, one line on stderr, no traceback."""
    path = tmp_path / "bad.toml"
    path.write_text(f'name = "bad"\n{lines}\n', encoding="utf-8")
    args = ["whatif", "Uzcity", "Pkport", "--scenario", str(path), "--geodata", str(toy_dir)]
    proc = subprocess.run([PYTHON, "-m", "corridors", *args], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert text in line
