"""The command line through real subprocesses: happy paths and every error exit code."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import PYTHON, REPO
from oracle import FileOracle


def run(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    """Run ``python -m corridors ARGS`` and capture its output."""
    return subprocess.run([PYTHON, "-m", "corridors", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, text: str) -> None:
    """Assert the process failed with ``code`` and a one-line message containing ``text``."""
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert text in lines[0]


def test_route_text(toy_dir):
    proc = run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Uzcity (UZ) -> Pkport (PK)" in out
    assert "crossing X1 (rail 1520)" in out
    assert "Border crossings" in out and "Transshipments" in out
    assert "cost USD 1,895 (USD 94.75/t)" in out


def test_route_json_schema(toy_dir):
    proc = run(
        "route",
        "Uzcity",
        "Pkport",
        "--geodata",
        str(toy_dir),
        "--json",
        "--alternatives",
        "3",
        "--cargo",
        "bulk",
        "--tonnes",
        "500",
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["origin"]["id"] == "UZCITY" and d["destination"]["id"] == "PKPORT"
    assert d["cargo"] == "bulk" and d["tonnes"] == 500 and d["objective"] == "generalized"
    assert set(d["totals"]) >= {"distance_km", "time_h", "cost_usd", "cost_usd_per_t", "generalized_cost"}
    # the legs and totals against the files: 500 t of toy bulk (25 t trucks, 60 t wagons)
    oracle = FileOracle(toy_dir)
    for leg in d["legs"]:
        m = oracle.measures(oracle.link_of(leg, "bulk"), "bulk")
        assert leg["cost_usd"] == pytest.approx(m["cost"] * 500, abs=0.005), leg["edge_id"]
        assert leg["time_h"] == pytest.approx(m["time"], abs=0.005), leg["edge_id"]
        if leg["kind"] in ("road", "rail"):
            assert leg["distance_km"] == float(oracle.edges[leg["edge_id"]]["distance_km"])
        if leg["kind"] == "crossing":
            row = oracle.crossings[leg["crossing_id"]]
            fee, payload = (
                (row["road_fee_usd_per_truck"], 25.0)
                if leg["mode"] == "road"
                else (row["rail_fee_usd_per_wagon"], 60.0)
            )
            assert leg["fee_usd"] == pytest.approx(float(fee) / payload * 500, abs=0.005)
    nodes = oracle.node_path(d["legs"], "bulk")
    assert d["totals"]["cost_usd"] == pytest.approx(
        oracle.price_path(nodes, "bulk", "cost") * 500, abs=0.005 * len(d["legs"])
    )
    assert d["totals"]["generalized_cost"] == pytest.approx(oracle.least("UZCITY", "PKPORT", "bulk"), abs=0.005)
    assert d["crossings"] == [leg["crossing_id"] for leg in d["legs"] if leg["kind"] == "crossing"]
    assert len(d["alternatives"]) == 3
    assert len({tuple(a["crossings"]) for a in d["alternatives"]}) == 3


def test_route_geojson_written_atomically(toy_dir, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "legs.geojson"
    proc = run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--geojson", str(out))
    assert proc.returncode == 0, proc.stderr
    gj = json.loads(out.read_text())
    assert gj["type"] == "FeatureCollection"
    assert {f["geometry"]["type"] for f in gj["features"]} == {"LineString", "Point"}  # crossings are Points
    assert {"kind", "cost_usd", "distance_km"} <= gj["features"][0]["properties"].keys()
    assert [p.name for p in out.parent.iterdir()] == ["legs.geojson"]  # no temp file left


def test_geojson_into_missing_folder(toy_dir, tmp_path):
    target = tmp_path / "nope" / "legs.geojson"
    proc = run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--geojson", str(target))
    assert_one_line_error(proc, 2, "folder")
    assert not target.parent.exists()


def test_nodes_and_crossings(toy_dir):
    proc = run("nodes", "--country", "af", "--geodata", str(toy_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["id"] for r in rows} == {"AFPOST", "AFPOST2", "AFCITY", "AFSOUTH", "AFSOUTH2"}
    proc = run("nodes", "--layer", "rail1520", "--geodata", str(toy_dir))
    assert "UZCITY" in proc.stdout and "PKPORT" not in proc.stdout
    proc = run("crossings", "--country", "PK", "--geodata", str(toy_dir))
    assert proc.returncode == 0
    assert "X3" in proc.stdout and "X4" in proc.stdout and "X1" not in proc.stdout
    proc = run("crossings", "--mode", "rail", "--geodata", str(toy_dir), "--json")
    assert [r["id"] for r in json.loads(proc.stdout)] == ["X1"]


def test_validate_command(toy_dir):
    proc = run("validate", str(toy_dir), "--report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "estimates:" in proc.stdout
    (toy_dir / "places.csv").write_text((toy_dir / "places.csv").read_text().replace("37.3,67.4", "37.3,east", 1))
    proc = run("validate", str(toy_dir))
    assert proc.returncode == 5
    assert "places.csv:3: lon 'east' is not a number" in proc.stdout


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["route", "Atlantis", "Pkport"], 3, "unknown place 'Atlantis'"),
        (["route", "Afcty", "Pkport"], 3, "did you mean: Afcity"),
        (["route", "Uzcity", "Pkport", "--modes", "rail"], 4, "--modes rail cuts every path"),
        (["route", "Uzcity", "Pkport", "--avoid", "Afsouth"], 4, "--avoid AFSOUTH cuts every path"),
        (["route", "Uzcity", "Pkport", "--avoid", "Xanadu"], 3, "nothing called 'Xanadu' to avoid"),
        (["route", "Uzcity", "Pkport", "--cargo", "gold"], 2, "unknown cargo profile 'gold'"),
        (["route", "Uzcity", "Pkport", "--tonnes", "-3"], 2, "must be a positive number"),
        (["route", "Uzcity", "Pkport", "--alternatives", "0"], 2, "must be at least 1"),
        (["route", "Uzcity", "Pkport", "--modes", "boat"], 2, "unknown mode(s) boat"),
        (["route", "Uzcity", "Pkport", "--objective", "fastest"], 2, "invalid choice"),
        (["route", "Uzcity"], 2, "required"),
        (["teleport"], 2, "invalid choice"),
    ],
)
def test_user_errors_exit_codes(toy_dir, args, code, text):
    assert_one_line_error(run(*args, "--geodata", str(toy_dir)) if args[0] != "teleport" else run(*args), code, text)


def test_bad_geodata_exits_5(tmp_path, toy_dir):
    assert_one_line_error(run("route", "A", "B", "--geodata", str(tmp_path / "missing")), 5, "no such directory")
    (toy_dir / "costs.toml").write_text("[road\n")
    assert_one_line_error(
        run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir)), 5, "costs.toml:1: not valid TOML"
    )


def test_help_lists_every_command():
    proc = run("--help")
    assert proc.returncode == 0
    for cmd in ("route", "nodes", "crossings", "validate"):
        assert cmd in proc.stdout


def test_whatif_side_by_side(toy_dir):
    proc = run("whatif", "Uzcity", "Pkport", "--close", "X4", "--geodata", str(toy_dir))
    assert proc.returncode == 0, proc.stderr
    assert "baseline" in proc.stdout and "scenario" in proc.stdout
    assert "X1 > X4" in proc.stdout and "X1 > X3" in proc.stdout
    proc = run("whatif", "Uzcity", "Pkport", "--close", "X3", "--close", "X4", "--geodata", str(toy_dir), "--json")
    d = json.loads(proc.stdout)
    assert d["scenario"] is None
    assert "the scenario closures (X3, X4) cut every path" in d["no_route_reason"]
    assert d["baseline"]["crossings"] == ["X1", "X4"]


def test_whatif_scenario_file_and_errors(toy_dir, tmp_path):
    scen = tmp_path / "s.toml"
    scen.write_text('name = "slow x1"\n[set]\n"crossing.X1.rail_time_h" = 200\n')
    proc = run("whatif", "Uzcity", "Afcity", "--scenario", str(scen), "--geodata", str(toy_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["scenarios"] == ["slow x1"] and d["deltas"]["generalized_cost"] >= 0
    assert_one_line_error(
        run("whatif", "Uzcity", "Afcity", "--geodata", str(toy_dir)), 2, "needs at least one --scenario"
    )
    assert_one_line_error(
        run("whatif", "Uzcity", "Afcity", "--scenario", "nope", "--geodata", str(toy_dir)), 2, "unknown scenario 'nope'"
    )
    assert_one_line_error(
        run("route", "Uzcity", "Afcity", "--close", "X9", "--geodata", str(toy_dir)),
        3,
        "unknown crossing, edge or place 'X9'",
    )
    scen.write_text('[set]\n"crossing.X1.closure_prob" = 2\n')
    assert_one_line_error(
        run("route", "Uzcity", "Afcity", "--scenario", str(scen), "--geodata", str(toy_dir)),
        5,
        "probability outside [0, 1]",
    )


def test_risk_cli(toy_dir):
    args = ("risk", "Uzcity", "Pkport", "--samples", "3000", "--seed", "4", "--geodata", str(toy_dir))
    a = run(*args, "--json")
    b = run(*args, "--json")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout  # same seed, same numbers
    assert a.stderr == ""  # silent with --json
    d = json.loads(a.stdout)
    assert d["samples"] == 3000 and 0 < d["p_no_route"] < 1
    assert {"mean", "p50", "p90", "p95"} == set(d["cost_usd"])
    text = run(*args, "--wait")
    assert "value of flexibility" in text.stdout and "P(no route): 0.0000" in text.stdout
    assert_one_line_error(
        run("risk", "Uzcity", "Pkport", "--samples", "-5", "--geodata", str(toy_dir)), 2, "must be at least 1"
    )


def test_criticality_cli(toy_dir, tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nUZCITY,PKPORT,general,1000\nUZCITY,AFCITY,bulk,500\n")
    proc = run("criticality", "--od", str(od), "--edges", "--geodata", str(toy_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["flows"] == 2
    first = d["cases"][0]
    assert first["flows_lost"] >= 1
    text = run("criticality", "--od", str(od), "--geodata", str(toy_dir), "--top", "2")
    assert "extra cost USD/yr" in text.stdout
    od.write_text("origin,destination,cargo,tonnes_per_year\nUZCITY,PKPORT,general,lots\n")
    assert_one_line_error(
        run("criticality", "--od", str(od), "--geodata", str(toy_dir)), 5, "tonnes_per_year 'lots' is not a number"
    )


def test_route_reliability_objective(toy_dir):
    proc = run("route", "Uzcity", "Pkport", "--objective", "reliability", "--json", "--geodata", str(toy_dir))
    assert proc.returncode == 0, proc.stderr
    assert 0 < json.loads(proc.stdout)["totals"]["p_open"] <= 1


def test_version_on_standard_output():
    from importlib.metadata import version

    r = run("--version")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout == f"corridors {version('corridors')}\n"
