"""Fidelity checks, --why, crossing-side names, snapping limits, ports and railheads (toy network)."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON, REPO, SRC
from corridors.checks import load_geodata
from corridors.data import OBSERVATION_COLUMNS, PORT_COLUMNS, Observation, Provenance
from corridors.errors import NoRouteError, UnknownPlaceError
from corridors.explain import PARTS, breakdown, compare
from corridors.fidelity import check_all, judge, main_mode, summary
from corridors.limits import MAX_SNAP_KM
from corridors.network import Network, load_network


def _rewrite(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    columns = change(columns, rows) or columns
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def _obs(metric: str, observed: str, tolerance: float | None = None, **kw) -> Observation:
    fields = {"origin": "UZCITY", "destination": "PKPORT", "cargo": "general", "modes": (), "tonnes": None}
    fields |= kw
    return Observation(
        id=f"t-{metric}",
        scenario="",
        metric=metric,
        observed=observed,
        tolerance=tolerance,
        date="2025",
        provenance=Provenance(SRC, "M", ""),
        **fields,
    )


# -- judging -----------------------------------------------------------------------------


def test_crossing_metrics(toy_net):
    route = toy_net.route("UZCITY", "PKPORT")
    used = route.crossings
    assert used and used[0] in ("X1", "X2")
    assert judge(_obs("uses_crossing", used[0]), route).passed
    assert judge(_obs("uses_crossing", f"X9|{used[-1]}"), route).passed
    assert not judge(_obs("uses_crossing", "X9"), route).passed
    assert judge(_obs("avoids_crossing", "X9"), route).passed
    assert not judge(_obs("avoids_crossing", used[0]), route).passed
    assert judge(_obs("uses_crossing", "X9"), route).model == ">".join(used)


def test_numeric_metric_tolerance_by_hand(toy_net):
    route = toy_net.route("UZCITY", "PKPORT")
    km = route.totals["distance_km"]
    # observed 10% above the model: -9.09% deviation; passes at 10% tolerance, fails at 5%
    assert judge(_obs("distance_km", str(km * 1.1), 0.10), route).passed
    check = judge(_obs("distance_km", str(km * 1.1), 0.05), route)
    assert not check.passed
    assert check.deviation == pytest.approx(1 / 1.1 - 1)


def test_main_mode_counts_distance(toy_net):
    rail = toy_net.route("UZCITY", "AFCITY", modes=["rail"])
    road = toy_net.route("UZCITY", "AFCITY", modes=["road"])
    assert main_mode(rail) == "rail" and main_mode(road) == "road"
    assert judge(_obs("main_mode", "rail"), rail).passed
    assert not judge(_obs("main_mode", "rail"), road).passed


def test_check_all_reports_errors_as_failures(toy_net):
    checks = check_all(
        toy_net,
        [
            _obs("uses_crossing", "X1", origin="UZCITY", destination="AFCITY"),
            _obs("time_h", "10", 0.1, modes=("rail",)),
        ],
        lambda name: pytest.fail(f"no scenario expected, got {name}"),
    )
    assert checks[0].passed
    assert not checks[1].passed and checks[1].model.startswith("error: no route")
    assert summary(checks) == {"total": 2, "passed": 1, "failed": 1, "pass_rate": 0.5}


# -- --why -------------------------------------------------------------------------------


def test_breakdown_parts_sum_to_totals(toy_net):
    route = toy_net.route("UZCITY", "PKPORT", alternatives=2)
    parts = breakdown(route)
    assert [p.name for p in parts] == list(PARTS)
    border_h = sum(leg.time_h for leg in route.leg_list if leg.kind == "crossing")
    assert parts[1].time_h == pytest.approx(border_h)
    assert sum(p.generalized for p in parts) == pytest.approx(route.totals["generalized_cost"], abs=0.01)
    cmp = compare(route)
    assert cmp.runner_up is route.alternatives[1]
    diffs = {r["part"]: r["difference_generalized"] for r in cmp.rows()}
    assert diffs[cmp.deciding] == max(diffs.values())
    # the runner-up is worse overall, so the differences add up to a positive number
    assert sum(diffs.values()) >= -0.02


def test_why_cli(toy_dir):
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "route", "UZCITY", "PKPORT", "--why", "--geodata", str(toy_dir), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert "alternatives" not in doc  # --why solves a runner-up but prints only what was asked
    assert doc["why"]["deciding_part"] in PARTS
    assert doc["why"]["runner_up_crossings"] != doc["why"]["chosen_crossings"]
    text = subprocess.run(
        [PYTHON, "-m", "corridors", "route", "UZCITY", "PKPORT", "--why", "--geodata", str(toy_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    assert "Why this corridor" in text and "deciding:" in text


# -- names of the two sides of one crossing ----------------------------------------------


def _gate_net(toy_dir: Path) -> Network:
    def alias(columns, rows):
        for r in rows:
            if r["id"] in ("AFPOST", "UZPOST"):
                r["aliases"] = "Gate"
            if r["id"] in ("AFCITY", "AFSOUTH"):
                r["aliases"] = "Twin"

    _rewrite(toy_dir / "places.csv", alias)
    return load_network(toy_dir)


def test_crossing_name_resolves_to_the_side_reached_first(toy_dir):
    net = _gate_net(toy_dir)
    to_gate = net.route("UZCITY", "Gate")
    assert to_gate.destination["id"] == "UZPOST" and to_gate.crossings == []
    from_gate = net.route("Gate", "AFCITY")
    assert from_gate.origin["id"] == "AFPOST" and from_gate.crossings == []
    beyond = net.route("AFCITY", "Gate")
    assert beyond.destination["id"] == "AFPOST"
    # an id still picks one side
    assert net.route("UZCITY", "AFPOST").crossings in (["X1"], ["X2"])
    # a name shared by two places that are not one crossing stays ambiguous
    with pytest.raises(UnknownPlaceError, match="ambiguous"):
        net.route("UZCITY", "Twin")


def test_crossing_own_name_is_an_endpoint(toy_net):
    route = toy_net.route("UZCITY", "Friendship")  # X1's alias, no place of that name
    assert route.destination["id"] == "UZPOST"


# -- LAT,LON snapping limit --------------------------------------------------------------


def test_far_coordinate_refused_with_distance(toy_net):
    with pytest.raises(UnknownPlaceError, match=r"km from the nearest road node .*within 100 km"):
        toy_net.route("0,0", "AFCITY")
    near = toy_net.route("36.9,67.1", "AFCITY")  # ~22 km north of Afcity
    assert near.leg_list[0].road_class == "connector"
    assert MAX_SNAP_KM == 100.0


def test_far_coordinate_exit_code(toy_dir):
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "route", "10,60", "AFCITY", "--geodata", str(toy_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 3
    assert "Traceback" not in out.stderr and "km from the nearest road node" in out.stderr


# -- ports -------------------------------------------------------------------------------


def _write_ports(directory: Path, rows: list[dict[str, object]]) -> None:
    with (directory / "ports.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=PORT_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({"source": SRC, "quality": "M", "note": ""} | r)


def test_port_dwell_and_handling_charged_once_by_hand(toy_dir):
    without = load_network(toy_dir).route("AFCITY", "PKPORT")
    _write_ports(toy_dir, [{"place": "PKPORT", "dwell_h": 48, "handling_usd_per_t": 10}])
    net = load_network(toy_dir)
    with_port = net.route("AFCITY", "PKPORT")
    port_legs = [leg for leg in with_port.leg_list if leg.transfer_kind == "port"]
    assert len(port_legs) == 1 and port_legs[0] is with_port.leg_list[-1]
    assert with_port.totals["time_h"] == pytest.approx(without.totals["time_h"] + 48, abs=0.02)
    assert with_port.totals["cost_usd_per_t"] == pytest.approx(without.totals["cost_usd_per_t"] + 10, abs=0.02)
    assert [t["kind"] for t in with_port.transfers][-1] == "port"
    # from the port: the same charge, on the first leg
    outbound = net.route("PKPORT", "AFCITY")
    assert outbound.leg_list[0].transfer_kind == "port"
    # passing by a port does not charge it: ports are only ends
    through = net.route("AFSOUTH", "PKPOST2")
    assert all(leg.transfer_kind != "port" for leg in through.leg_list)


def test_port_file_checked(toy_dir):
    _write_ports(toy_dir, [{"place": "AFCITY", "dwell_h": 10, "handling_usd_per_t": 1}])
    from corridors.errors import DataError

    with pytest.raises(DataError, match=r"ports\.csv:2: place AFCITY is a city, not a port"):
        load_geodata(toy_dir)


# -- railheads ---------------------------------------------------------------------------


def test_railhead_serves_rail_only_requests(toy_dir):
    with pytest.raises(NoRouteError):
        load_network(toy_dir).route("UZCITY", "AFSOUTH", modes=["rail"])

    def railhead(columns, rows):
        for r in rows:
            r["railhead"] = "AFCITY" if r["id"] == "AFSOUTH" else ""
        return [*columns, "railhead"]

    _rewrite(toy_dir / "places.csv", railhead)
    net = load_network(toy_dir)
    rail = net.route("UZCITY", "AFSOUTH", modes=["rail"])
    assert rail.destination["id"] == "AFCITY"
    assert all(leg.mode == "rail" for leg in rail.leg_list if leg.kind != "transfer")
    # with road allowed the route still reaches the town itself
    assert net.route("UZCITY", "AFSOUTH").destination["id"] == "AFSOUTH"


# -- observations file and the CLI -------------------------------------------------------


def _write_observations(directory: Path, rows: list[dict[str, object]]) -> None:
    with (directory / "observations.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=OBSERVATION_COLUMNS)
        w.writeheader()
        for r in rows:
            base = {"cargo": "general", "date": "2025", "source": SRC, "quality": "M", "note": ""}
            w.writerow(base | r)


def test_fidelity_cli(toy_dir):
    _write_observations(
        toy_dir,
        [
            {"id": "a", "origin": "Uzcity", "destination": "Afcity", "metric": "uses_crossing", "observed": "X1|X2"},
            {"id": "b", "origin": "Uzcity", "destination": "Afcity", "metric": "avoids_crossing", "observed": "X1|X2"},
            {
                "id": "c",
                "origin": "Uzcity",
                "destination": "Afcity",
                "modes": "rail",
                "metric": "main_mode",
                "observed": "rail",
            },
        ],
    )
    run = [PYTHON, "-m", "corridors", "fidelity", "--geodata", str(toy_dir)]
    out = subprocess.run([*run, "--json"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["total"], doc["passed"]) == (3, 2)
    assert [c["passed"] for c in doc["checks"]] == [True, False, True]
    text = subprocess.run(run, capture_output=True, text=True, cwd=REPO).stdout
    assert "2 of 3 observations pass (67%)" in text
    md = subprocess.run([*run, "--markdown"], capture_output=True, text=True, cwd=REPO).stdout
    assert md.startswith("| id | query |") and md.count("\n| ") == 3  # the three rows (the separator starts with |-)


def test_observations_validated(toy_dir):
    _write_observations(
        toy_dir,
        [
            {"id": "a", "origin": "Nowhere", "destination": "Afcity", "metric": "uses_crossing", "observed": "X1"},
            {"id": "b", "origin": "Uzcity", "destination": "Afcity", "metric": "uses_crossing", "observed": "X7"},
            {"id": "c", "origin": "Uzcity", "destination": "Afcity", "metric": "time_h", "observed": "x"},
            {"id": "d", "origin": "Uzcity", "destination": "Afcity", "metric": "speed", "observed": "1"},
            {
                "id": "e",
                "origin": "Uzcity",
                "destination": "Afcity",
                "metric": "uses_crossing",
                "observed": "X1",
                "scenario": "nope",
            },
        ],
    )
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "validate", str(toy_dir)], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 5
    for expected in (
        "observations.csv:2: observation a: unknown place 'Nowhere'",
        "observations.csv:3: observation b: unknown crossing X7",
        "observations.csv:4: observed 'x' is not a number (metric time_h)",
        "observations.csv:4: tolerance is empty",
        "observations.csv:5: metric 'speed' is not one of",
        "observations.csv:6: observation e: no scenario nope in scenarios/",
    ):
        assert expected in out.stdout, out.stdout


def test_fidelity_without_observations_is_a_usage_error(toy_dir):
    out = subprocess.run(
        [PYTHON, "-m", "corridors", "fidelity", "--geodata", str(toy_dir)], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 2 and "no observations" in out.stderr
