"""Equilibrium assignment: a hand-solved Wardrop equilibrium, conservation, convergence, capacity,
closures, determinism, an independent Beckmann solution with scipy, and the CLI."""

from __future__ import annotations

import itertools
import json
import math
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PYTHON, REPO, write_toy_geodata
from corridors.assign import AssignParams, _row_weights, assign, prepare, solve
from corridors.demand import Flow
from corridors.queues import QueueParams

QUEUE_TOML = """
[queue]
daily_cv = { value = 0.5, source = "https://example.org/q", quality = "EST", note = "test" }
linear_from_utilisation = { value = 0.95, source = "https://example.org/q", quality = "EST", note = "test" }
default_opening_hours = { value = 12.0, source = "https://example.org/q", quality = "EST", note = "test" }
operating_days_per_year = { value = 365.0, source = "https://example.org/q", quality = "EST", note = "test" }
[assign]
logit_theta_per_usd_t = { value = 0.05, source = "https://example.org/q", quality = "EST", note = "test" }
"""
#: Vehicles a day that one tonne a year of general cargo (20 t trucks) adds, over 365 days.
PER_T = 1 / (20 * 365)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    d = write_toy_geodata(tmp_path_factory.mktemp("assign") / "geodata")
    with (d / "costs.toml").open("a", encoding="utf-8") as fh:
        fh.write(QUEUE_TOML)
    return d


def network(directory, close=()):
    from corridors.network import load_network
    from corridors.scenarios import from_flags

    net = load_network(directory)
    return net.with_scenarios([from_flags(close, ())]) if close else net


def params(method="ue", cv=0.5, rho0=0.95, hours=12.0, gap=1e-10, theta=0.05):
    q = QueueParams(daily_cv=cv, linear_from=rho0, opening_hours=hours, days_per_year=365.0)
    return AssignParams(queue=q, theta=theta, method=method, gap=gap, max_iterations=5000)


def corridor_tonnes(result):
    return dict(result.corridors)


def test_wardrop_two_corridors_by_hand(toy):
    # Uzcity -> Afcity, general cargo (20 t, value of time 0.5 USD/t/h), X1 rail closed. By hand:
    #   via X1: UZ-R-1 100 km x 1.0 USD/km / 20 t = 5, 2 h; X1 fee 200/20 = 10, 6 h; AF-R-1 80 x 2.0 / 20 = 8, 2 h
    #           -> 23 USD/t + 0.5 x 10 h = 28 USD/t
    #   via X2: UZ-R-2 150/20 = 7.5, 3 h; X2 50/20 = 2.5, 20 h; AF-R-2 120 x 2/20 = 12, 3 h -> 22 + 0.5 x 26 = 35 USD/t
    # Both crossings hold 100 trucks a day; open round the clock (H = 24, no overnight term), cv^2 = 14/12 so that
    # the wait is 12 cv^2 rho/(1-rho) = 14 rho/(1-rho) h, i.e. 7 rho/(1-rho) USD/t.
    # Equilibrium with rho_X1 = 2/3, rho_X2 = 1/2: 28 + 7 x 2 = 42 = 35 + 7 x 1. Trucks a day 66.67 + 50 = 116.67,
    # so the demand is 116.67 x 20 x 365 = 851,666.67 t/yr: 486,666.67 via X1 and 365,000 via X2.
    net = network(toy, close=["X1:rail"])
    a = net.route("Uzcity", "Afcity", avoid=["X2"])
    b = net.route("Uzcity", "Afcity", avoid=["X1"])
    assert a.totals["generalized_cost"] == pytest.approx(28.0) and b.totals["generalized_cost"] == pytest.approx(35.0)
    demand = 116.0 + 2 / 3
    flows = [Flow("UZCITY", "AFCITY", "general", demand * 20 * 365)]
    result = assign(net, flows, params=params(cv=math.sqrt(14 / 12), rho0=0.99, hours=24.0))
    t = corridor_tonnes(result)
    assert t["X1"] == pytest.approx(486_666.6667, rel=1e-6)
    assert t["X2"] == pytest.approx(365_000.0, rel=1e-6)
    costs = {c: k for c, _, k in result.flows[0].corridors}
    assert costs["X1"] == pytest.approx(42.0, rel=1e-7) and costs["X2"] == pytest.approx(42.0, rel=1e-7)
    loads = {c.crossing: c for c in result.crossings}
    assert loads["X1"].utilisation == pytest.approx(2 / 3, rel=1e-6)
    assert loads["X2"].wait_h == pytest.approx(14.0, rel=1e-6)


def test_free_time_keeps_a_queue_in_the_observed_time_from_counting_twice(toy, tmp_path):
    """An observed crossing time with a 10 h queue in it, plus ``free_time_h``, gives the hand equilibrium."""
    import csv
    import shutil

    d = tmp_path / "geodata"
    shutil.copytree(toy, d)
    path = d / "crossings.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    for r in rows:
        if r["id"] == "X1":
            assert float(r["road_time_h"]) == 6.0
            r["road_time_h"] = "16"  # observed: the free 6 h plus a 10 h queue
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    (d / "crossing_capacity.csv").write_text(
        "crossing,mode,capacity_per_day,opening_hours,free_time_h,source,quality,note\n"
        "X1,road,100,,6,https://x.org,M,\n",
        encoding="utf-8",
    )
    net = network(d, close=["X1:rail"])
    assert net.route("Uzcity", "Afcity", avoid=["X2"]).totals["generalized_cost"] == pytest.approx(33.0)
    flows = [Flow("UZCITY", "AFCITY", "general", (116.0 + 2 / 3) * 20 * 365)]
    result = assign(net, flows, params=params(cv=math.sqrt(14 / 12), rho0=0.99, hours=24.0))
    t = corridor_tonnes(result)  # the same split as test_wardrop_two_corridors_by_hand
    assert t["X1"] == pytest.approx(486_666.6667, rel=1e-6) and t["X2"] == pytest.approx(365_000.0, rel=1e-6)
    x1 = {c.crossing: c for c in result.crossings}["X1"]
    assert x1.free_time_h == pytest.approx(6.0)
    assert x1.wait_h == pytest.approx(14 * (2 / 3) / (1 / 3), rel=1e-6)  # 12 cv^2 rho/(1-rho) at rho = 2/3


def many_flows():
    return [
        Flow("UZCITY", "PKPORT", "general", 400_000),
        Flow("UZCITY", "AFCITY", "bulk", 900_000),
        Flow("AFSOUTH", "UZCITY", "perishable", 60_000),
        Flow("PKPORT", "AFCITY", "fuel", 300_000),
    ]


@pytest.mark.parametrize("method", ["ue", "sue"])
def test_flow_conservation_and_convergence(toy, method):
    net = network(toy)
    problem = prepare(net, many_flows(), params(method=method, gap=1e-6))
    sol = solve(problem)
    assert sol.converged and sol.gap < 1e-6
    for w, spec in enumerate(problem.flows):
        snap = problem.classes[spec.klass].snapshot
        balance: dict[int, float] = {}
        for p in sol.paths.of_flow[w]:
            rows = sol.paths.rows[p]
            for a, b in itertools.pairwise(rows):
                assert snap.v[a] == snap.u[b]  # each path is a chain of edges
            for r in rows:
                balance[int(snap.u[r])] = balance.get(int(snap.u[r]), 0.0) - sol.tonnes[p]
                balance[int(snap.v[r])] = balance.get(int(snap.v[r]), 0.0) + sol.tonnes[p]
        assert sum(sol.tonnes[sol.paths.of_flow[w]]) == pytest.approx(spec.tonnes)
        for node, net_in in balance.items():
            if node in spec.sources:
                assert net_in <= 1e-6 * spec.tonnes
            elif node in spec.targets:
                assert net_in >= -1e-6 * spec.tonnes
            else:
                assert net_in == pytest.approx(0.0, abs=1e-6 * spec.tonnes)  # what comes in goes out
        out_src = -sum(v for n, v in balance.items() if n in spec.sources)
        assert out_src == pytest.approx(spec.tonnes)


def test_shipped_network_converges(shipped_net):
    from corridors.demand import default_od_path, load_flows

    flows = load_flows(default_od_path(shipped_net.data.directory))
    for method in ("ue", "sue"):
        result = assign(shipped_net, flows, params=AssignParams.from_network(shipped_net, method=method))
        assert result.converged and result.gap < 1e-4
        assert sum(result.corridors.values()) == pytest.approx(sum(f.tonnes_per_year for f in flows), rel=1e-9)


def test_capacity_respected_in_the_limit(toy):
    # 190 trucks a day between two crossings of 100 each: with the linear part pushed to rho0 = 0.9999 the
    # queue acts as a wall at capacity, so neither crossing is loaded beyond it
    net = network(toy, close=["X1:rail"])
    flows = [Flow("UZCITY", "AFCITY", "general", 190 * 20 * 365)]
    result = assign(net, flows, params=params(rho0=0.9999, hours=24.0))
    loads = {c.crossing: c for c in result.crossings}
    assert loads["X1"].utilisation <= 1.0 and loads["X2"].utilisation <= 1.0
    assert loads["X1"].utilisation + loads["X2"].utilisation == pytest.approx(1.9)


def test_closure_shifts_flow_and_raises_waits(toy):
    net = network(toy, close=["X1:rail"])
    flows = [Flow("UZCITY", "AFCITY", "general", 700_000), Flow("UZCITY", "PKPORT", "general", 200_000)]
    problem = prepare(net, flows, params())
    base = solve(problem)
    shut = solve(problem, closed=frozenset({"X1"}))
    i2 = problem.links.index(("X2", "road"))
    i1 = problem.links.index(("X1", "road"))
    assert shut.vehicles[i1] == 0 and shut.vehicles[i2] > base.vehicles[i2]
    assert shut.wait_h[i2] > base.wait_h[i2]


def test_deterministic(toy):
    net = network(toy)
    one = assign(net, many_flows(), params=params(method="sue", gap=1e-8)).to_dict()
    two = assign(network(toy), many_flows(), params=params(method="sue", gap=1e-8)).to_dict()
    assert one == two


def test_matches_scipy_beckmann(toy):
    # Uzcity -> Afcity general cargo over three corridors: X1 road (28 USD/t free), X2 road (35) and X1 rail;
    # X1 rail gets 30 wagons a day of capacity. Beckmann: minimise sum F_p f_p + sum_k (vot / e_k) int_0^{v_k} q_k,
    # solved here with scipy's SLSQP over the three path flows (the paths enumerated by route(), not by assign).
    from scipy.integrate import quad
    from scipy.optimize import minimize

    from corridors.queues import queue_wait

    d = write_toy_geodata(toy.parent / "beckmann")
    with (d / "costs.toml").open("a", encoding="utf-8") as fh:
        fh.write(QUEUE_TOML)
    (d / "crossing_capacity.csv").write_text(
        "crossing,mode,capacity_per_day,opening_hours,source,quality,note\nX1,rail,30,,https://example.org/c,M,\n",
        encoding="utf-8",
    )
    net = network(d)
    fixed = [  # rounded to cents by totals(): at most 0.005 USD/t off the exact free costs
        net.route("Uzcity", "Afcity", avoid=["X2"], modes=["road"]).totals["generalized_cost"],
        net.route("Uzcity", "Afcity", avoid=["X1"]).totals["generalized_cost"],
        net.route("Uzcity", "Afcity", modes=["rail"]).totals["generalized_cost"],
    ]
    qp = QueueParams(daily_cv=0.5, linear_from=0.95, opening_hours=12.0, days_per_year=365.0)
    vot, cap, e = 0.5, [100.0, 100.0, 30.0], [PER_T, PER_T, 1 / (60 * 365)]
    demand = 1_500_000.0

    def integral(k, v):
        return quad(lambda x: float(queue_wait(np.array([x]), np.array([cap[k]]), np.array([12.0]), qp)[0][0]), 0, v)[0]

    def objective(s):
        f = s * demand
        return (sum(fixed[k] * f[k] + vot / e[k] * integral(k, e[k] * f[k]) for k in range(3))) / demand

    res = minimize(objective, np.full(3, 1 / 3), method="SLSQP", bounds=[(0, 1)] * 3,
                   constraints=[{"type": "eq", "fun": lambda s: s.sum() - 1}], options={"ftol": 1e-12, "maxiter": 500})  # fmt: skip
    assert res.success
    ours = assign(net, [Flow("UZCITY", "AFCITY", "general", demand)], params=params(gap=1e-10))
    t = corridor_tonnes(ours)
    got = np.array([t.get("X1", 0.0), t.get("X2", 0.0), t.get("X1:rail", 0.0)]) / demand
    assert np.allclose(got, res.x, atol=2e-3), (got, res.x)


def run(*args):
    return subprocess.run([PYTHON, "-m", "corridors", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_cli_assign_json_csv_geojson(toy, tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year,value_usd\nUzcity,Pkport,general,400000,8e8\n"
                  "Uzcity,Afcity,bulk,900000,\n", encoding="utf-8")  # fmt: skip
    out_csv, out_geo = tmp_path / "x.csv", tmp_path / "x.geojson"
    proc = run("assign", "--geodata", str(toy), "--flows", str(od), "--json", "--csv", str(out_csv),
               "--geojson", str(out_geo), "--method", "ue")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["convergence"]["converged"] and doc["convergence"]["gap"] < 1e-4
    assert doc["tonnes_per_year"] == 1_300_000
    assert sum(c["tonnes_per_year"] for c in doc["corridors"]) == pytest.approx(1_300_000)
    assert any(c["value_usd"] and c["value_usd"] > 0 for c in doc["crossings"])
    assert out_csv.read_text(encoding="utf-8").startswith("crossing,name,mode,trucks_per_day")
    geo = json.loads(out_geo.read_text(encoding="utf-8"))
    kinds = {f["properties"]["kind"] for f in geo["features"]}
    assert kinds == {"edge", "crossing"}


def test_cli_assign_errors(toy, tmp_path):
    bad = run("assign", "--geodata", str(toy), "--flows", str(tmp_path / "missing.csv"))
    assert bad.returncode == 5 and len(bad.stderr.strip().splitlines()) == 1
    assert run("assign", "--geodata", str(toy), "--gap", "0").returncode == 2
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nNowhere,Pkport,general,10\n", encoding="utf-8")
    unknown = run("assign", "--geodata", str(toy), "--flows", str(od))
    assert unknown.returncode == 3 and len(unknown.stderr.strip().splitlines()) == 1
    nocap = write_toy_geodata(tmp_path / "noqueue")  # costs.toml without [queue]
    missing = run("assign", "--geodata", str(nocap), "--flows", str(od))
    assert missing.returncode == 5 and "queue" in missing.stderr


def test_cli_compare_shipped():
    proc = run("assign", "--compare", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    groups = {r["group"]: r for r in doc["compare"]["revenue"]}
    assert groups["PK"]["observed_share"] == 0.52 and groups["TM"]["observed_share"] == 0.05
    assert sum(r["modelled_share"] for r in groups.values()) <= 1.0 + 1e-9
    assert any(v["crossing"] == "TRK" and v["measure"] == "trucks_per_day" for v in doc["compare"]["volumes"])


def test_cli_criticality_assign_and_loaded(toy, tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nUzcity,Afcity,general,700000\n", encoding="utf-8")
    proc = run("criticality", "--geodata", str(toy), "--od", str(od), "--assign", "--json", "--method", "ue")
    assert proc.returncode == 0, proc.stderr
    cases = {c["closed"]: c for c in json.loads(proc.stdout)["cases"]}
    assert cases["X1"]["extra_cost_usd"] > 0 and cases["X1"]["max_wait_crossing"] == "X2:road"
    assert cases["X3"]["extra_cost_usd"] == 0
    free = run("whatif", "Uzcity", "Afcity", "--close", "X1", "--geodata", str(toy), "--json")
    loaded = run("whatif", "Uzcity", "Afcity", "--close", "X1", "--geodata", str(toy), "--json", "--loaded",
                 "--flows", str(od))  # fmt: skip
    assert free.returncode == 0 and loaded.returncode == 0, loaded.stderr
    # with 700,000 t/yr on it, the queue at X2 makes the scenario route slower than at free flow
    assert (
        json.loads(loaded.stdout)["scenario"]["totals"]["time_h"]
        > json.loads(free.stdout)["scenario"]["totals"]["time_h"]
    )


def test_criticality_assign_dask_matches_in_process(toy, tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nUzcity,Afcity,general,700000\n"
                  "Uzcity,Pkport,bulk,300000\n", encoding="utf-8")  # fmt: skip
    base = ("criticality", "--geodata", str(toy), "--od", str(od), "--assign", "--json")
    here, there = run(*base), run(*base, "--workers", "2")
    assert here.returncode == 0 and there.returncode == 0, there.stderr
    assert json.loads(here.stdout) == json.loads(there.stdout)


def test_readme_compare_table_is_current():
    from readme_tables import assign_markdown, readme_assign_block

    block = readme_assign_block((REPO / "README.md").read_text(encoding="utf-8"))
    assert block is not None, "README.md lost its assign-compare markers"
    assert block == assign_markdown(), "README assign table is stale: run python tests/readme_tables.py"


def test_a_scenario_sets_a_crossings_road_capacity(toy, tmp_path):
    """``crossing.X.capacity_trucks_per_day`` in a scenario is the capacity the queues use."""
    from corridors.network import load_network
    from corridors.scenarios import Scenario

    net = load_network(toy)
    flows = [Flow("UZCITY", "PKPORT", "general", 700_000)]
    base = prepare(net, flows, params())
    i = base.links.index(("X4", "road"))
    narrow = net.with_scenarios([Scenario("narrow", set_values={"crossing.X4.capacity_trucks_per_day": 40.0})])
    problem = prepare(narrow, flows, params())
    assert base.capacity[i] == 100.0 and problem.capacity[problem.links.index(("X4", "road"))] == 40.0
    before, after = solve(base), solve(problem)
    assert before.vehicles[i] > 40.0  # the narrower post is loaded beyond its new capacity...
    assert (
        after.vehicles[i] < before.vehicles[i] and after.wait_h[i] > before.wait_h[i]
    )  # ...so traffic leaves and waits grow


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tonnes=st.lists(st.floats(min_value=1e4, max_value=2e6), min_size=4, max_size=4),
    cv=st.floats(min_value=0.2, max_value=1.5),
)
def test_ue_satisfies_wardrop_for_any_demand(toy, tonnes, cv):
    """Property: at the UE every used path of a flow costs the flow's least path cost, none less.

    Checked from the solution's own path costs against a fresh least-path solve at the
    equilibrium waits (an unused corridor that were cheaper would show there), for random
    demands and queue variability.
    """
    net = network(toy)
    flows = [Flow(f.origin, f.destination, f.cargo, t) for f, t in zip(many_flows(), tonnes, strict=True)]
    problem = prepare(net, flows, params(method="ue", cv=cv, gap=1e-9))
    sol = solve(problem)
    assert sol.converged
    for w in range(len(flows)):
        members = sol.paths.of_flow[w]
        used = [p for p in members if sol.tonnes[p] > 1e-6 * flows[w].tonnes_per_year]
        best = min(sol.cost[p] for p in members)
        assert used and all(sol.cost[p] <= best * (1 + 1e-5) + 1e-9 for p in used)
        spec = problem.flows[w]
        weights = _row_weights(problem, spec.klass, sol.wait_h, frozenset())
        fresh = problem.classes[spec.klass].snapshot.shortest_rows(list(spec.sources), list(spec.targets), weights)
        assert fresh is not None and fresh[0] >= best * (1 - 1e-5) - 1e-6  # no cheaper corridor left unused
        assert sum(sol.tonnes[p] for p in members) == pytest.approx(flows[w].tonnes_per_year, rel=1e-9)


def test_criticality_assign_map_shows_the_wait_it_causes(toy, tmp_path):
    """The criticality map of ``--assign`` rows names, per closure, the largest wait rise elsewhere."""
    from corridors import maps
    from corridors.assign import criticality_assign

    net = network(toy)
    rows = criticality_assign(net, many_flows(), params=params(method="ue", gap=1e-6))
    worst = max(rows, key=lambda r: r.max_wait_increase_h)
    assert worst.max_wait_increase_h > 0 and worst.max_wait_crossing
    out = maps.save_map(maps.criticality_map(rows, net, tiles="none"), tmp_path / "c.html", offline=True)
    page = out.read_text(encoding="utf-8")
    assert "largest wait rise" in page
    assert f"{worst.max_wait_increase_h:,.1f} h at {worst.max_wait_crossing}" in page
