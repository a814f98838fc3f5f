"""Generated command lines against the CLI contract (see harness.py)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from harness import check, examples, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PLACES = ["Termez", "Karachi", "Kabul", "Hairatan", "Torkham", "Mazar-e Sharif", "HAIRATAN", "Sarakhs", "Osh",
          "Kashgar", "Chabahar", "Towraghondi", "Ghulam Khan", "Friendship Bridge", "Peshawar", "Herat"]  # fmt: skip
HOSTILE = ["", " ", "-", "--", "$5 US$", "<script>alert(1)</script>", "Ka\u0301bul", "x" * 5000, "🚚", "a,b",
           "../../etc/passwd", "NUL\x00byte", "Torkham;rm -rf /", "%s%s%n", "\u202eLTR", "0x1F"]  # fmt: skip
COORDS = ["0,0", "36.71,67.11", "-40,-120", "91,0", "34.5,69.2", "34.5, 69.2", "1e308,1", "nan,nan", "36.7 67.1"]
CROSSINGS = ["TRK", "HAI", "HAI:rail", "HAI:boat", "SPB", "Trk", "KHUNJERAB", "AF-R-SLN-SLS", "KABUL", "nope"]
SCENARIOS = ["torkham-closed", "af-pk-border-closed", "salang-winter", "tarp-built", "nope", "", "../costs"]
NUMBERS = ["0", "-1", "1", "20", "1e308", "9223372036854775808", "nan", "inf", "-inf", "abc", "", "3.5", "10**9",
           "100000000", "1e-300"]  # fmt: skip

place = st.one_of(st.sampled_from(PLACES), st.sampled_from(HOSTILE), st.sampled_from(COORDS),
                  st.text(alphabet=string.printable, max_size=30))  # fmt: skip
number = st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 10**12).map(str))


@st.composite
def output_option(draw, tmp: Path) -> list[str]:
    flag = draw(st.sampled_from(["--geojson", "--map", "--chart"]))
    target = draw(st.sampled_from(["", "out.html", "out.geojson", "chart.png", "chart.svg", "missing/out.html", "."]))
    if target in ("", "."):
        return [flag, target if target == "" else str(tmp)]
    return [flag, str(tmp / target)]


@st.composite
def route_like(draw, tmp: Path) -> list[str]:
    cmd = draw(st.sampled_from(["route", "whatif", "risk"]))
    argv = [cmd, draw(place), draw(place)]
    opts = draw(
        st.lists(
            st.sampled_from(["cargo", "tonnes", "objective", "modes", "via", "avoid", "alternatives", "samples",
                             "seed", "scenario", "close", "open", "json", "wait", "why", "out", "scheduler"]),
            max_size=5,
        )
    )  # fmt: skip
    for opt in opts:
        if opt == "cargo":
            argv += ["--cargo", draw(st.sampled_from(["general", "bulk", "fuel", "perishable", "gold", ""]))]
        elif opt == "tonnes":
            argv += ["--tonnes", draw(number)]
        elif opt == "objective":
            argv += [
                "--objective",
                draw(st.sampled_from(["generalized", "cost", "time", "distance", "reliability", "x"])),
            ]
        elif opt == "modes":
            argv += ["--modes", draw(st.sampled_from(["road", "rail", "road,rail", "", ",", "boat", "rail,,road"]))]
        elif opt in ("via", "avoid"):
            argv += [f"--{opt}", draw(st.one_of(place, st.sampled_from(CROSSINGS)))]
        elif opt == "alternatives":
            argv += ["--alternatives", draw(st.sampled_from(["1", "2", "3", "0", "-2", "51", "x", "100000"]))]
        elif opt == "samples":
            argv += ["--samples", draw(st.sampled_from(["1", "100", "2000", "0", "-5", "10000001", "1e3", "x"]))]
        elif opt == "seed":
            argv += ["--seed", draw(number)]
        elif opt == "scenario":
            argv += ["--scenario", draw(st.sampled_from(SCENARIOS))]
        elif opt == "close":
            argv += ["--close", draw(st.sampled_from(CROSSINGS))]
        elif opt == "open":
            argv += ["--open", draw(st.sampled_from(["TAR", "KHAF_HERAT", "nope", ""]))]
        elif opt == "scheduler":
            argv += ["--scheduler", draw(st.sampled_from(["", "garbage", "tcp://", "tcp://host:0", "h:99999", "::"]))]
        elif opt == "out" and cmd == "route":
            argv += draw(output_option(tmp))
        elif opt in ("json", "wait", "why"):
            argv.append(f"--{opt}")
    return argv


@st.composite
def listing(draw, tmp: Path) -> list[str]:
    cmd = draw(st.sampled_from(["nodes", "crossings", "validate", "networks", "criticality", "fidelity", "build"]))
    argv = [cmd]
    if cmd in ("nodes", "crossings"):
        if draw(st.booleans()):
            argv += ["--country", draw(st.sampled_from(["AF", "pk", "XX", "", "AFG", "1"]))]
        if cmd == "nodes" and draw(st.booleans()):
            argv += ["--kind", draw(st.sampled_from(["city", "port", "bogus", ""]))]
        if cmd == "nodes" and draw(st.booleans()):
            argv += ["--layer", draw(st.sampled_from(["road", "rail1520", "sea", "rail9", ""]))]
        if cmd == "crossings" and draw(st.booleans()):
            argv += ["--mode", draw(st.sampled_from(["road", "rail", "boat"]))]
    elif cmd == "validate":
        argv += [draw(st.sampled_from([str(tmp), str(tmp / "nope"), str(tmp / "file.txt"), "geodata"]))]
    elif cmd == "criticality":
        if draw(st.booleans()):
            argv += ["--od", draw(st.sampled_from([str(tmp / "file.txt"), str(tmp / "binary.csv"), str(tmp / "nope")]))]
        if draw(st.booleans()):
            argv += ["--top", draw(st.sampled_from(["1", "0", "x"]))]
    elif cmd == "build":
        argv += ["--osm", draw(st.sampled_from([str(tmp / "file.txt"), str(tmp / "nope.osm")])), "--name", "fz"]
    if draw(st.booleans()):
        argv.append("--json")
    if draw(st.integers(0, 9)) == 0:
        argv += ["--geodata", draw(st.sampled_from([str(tmp / "file.txt"), str(tmp / "nope"), str(tmp)]))]
    return argv


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-fuzz")
    (tmp / "file.txt").write_text("not a directory\n")
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CORRIDORS_DATA", str(tmp / "store"))  # 'networks' and 'build' stay in the scratch folder
        yield tmp


FUZZ = settings(
    max_examples=examples(70), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)  # fmt: skip


@FUZZ
@given(data=st.data())
def test_route_like_commands_keep_the_contract(scratch, data):
    argv = data.draw(route_like(scratch))
    check(run(argv), [scratch])


@FUZZ
@given(data=st.data())
def test_listing_commands_keep_the_contract(scratch, data):
    argv = data.draw(listing(scratch))
    check(run(argv), [scratch])


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["risk", "Termez", "Karachi", "--scheduler", "garbage"], 2, "not a scheduler address"),
        (["risk", "Termez", "Karachi", "--scheduler", ""], 2, "not a scheduler address"),
        (["risk", "Termez", "Karachi", "--samples", "9223372036854775808"], 2, "limited to 10,000,000"),
        (["route", "Termez", "Karachi", "--tonnes", "1e308"], 2, "limited to 1,000,000"),
        (["route", "Termez", "Karachi", "--geojson", ""], 2, "the file name is empty"),
        (["route", "Termez", "Karachi", "--map", ""], 2, "the file name is empty"),
        (["route", "Termez", "Karachi", "--modes", ""], 2, "no mode given"),
        (["nodes", "--kind", "bogus"], 2, "invalid choice"),
        (["route", "0,0", "Peshawar"], 3, "km from the nearest road node"),
        (["route", "-40,-120", "Kabul"], 3, "km from the nearest road node"),
        (["route", "Termez", "Karachi", "--geodata", "pyproject.toml"], 5, "not a directory"),
        (["route", "Termez", "Karachi", "--geodata", "no-such-folder"], 5, "no such directory"),
        (["validate", "pyproject.toml"], 5, "not a directory"),
        (["route", "Termez", "\r"], 3, "unknown place '\\r'"),
        (["route", "Termez", "Kabul\nKarachi"], 3, "Kabul\\nKarachi"),
    ],
)
def test_found_by_fuzzing(argv, code, text):
    outcome = check(run(argv))
    assert outcome.code == code and text in outcome.err + outcome.out, outcome.err  # validate lists on stdout


def test_crossings_of_af_are_afghan():
    import json

    rows = json.loads(check(run(["crossings", "--country", "AF", "--json"])).out)
    assert rows and all(r["id"] not in ("KHG", "KHG_RAIL", "DOS_RAIL", "SRK", "FAR", "TAF") for r in rows)


def test_tonnes_do_not_change_the_cost_per_tonne():
    import json

    small = json.loads(check(run(["route", "Termez", "Kabul", "--json", "--tonnes", "1"])).out)["totals"]
    big = json.loads(check(run(["route", "Termez", "Kabul", "--json", "--tonnes", "1000000"])).out)["totals"]
    assert small["cost_usd_per_t"] == pytest.approx(big["cost_usd_per_t"], abs=0.01)


def test_version():
    out = check(run(["--version"]))
    assert out.code == 0 and out.out.startswith("corridors ")


@pytest.fixture
def zero_speed(tmp_path) -> Path:
    path = tmp_path / "zero.toml"
    path.write_text('name = "zero"\n[set]\n"costs.road.speed_kmh.AF" = 0\n', encoding="utf-8")
    return path


def test_zero_speed_scenario_is_bad_data(zero_speed):
    out = check(run(["route", "Termez", "Kabul", "--scenario", str(zero_speed)]))
    assert out.code == 5 and "road.speed_kmh.AF is 0; it must be positive" in out.err


def test_risk_accepts_coordinates():
    out = check(run(["risk", "34.5,69.2", "Karachi", "--samples", "500", "--json"]))
    assert out.code == 0


def test_avoid_a_crossing_name_avoids_the_crossing():
    import json

    route = json.loads(check(run(["route", "Termez", "Kabul", "--avoid", "Hairatan", "--json"])).out)
    assert "HAI" not in route["crossings"]
    by_id = json.loads(check(run(["route", "Naibabad", "Kabul", "--avoid", "HAIRATAN", "--json"])).out)
    assert all(leg["from"] != "Hairatan" for leg in by_id["legs"])


def test_demand_place_without_a_node(tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nKHWAHAN_AF,KABUL,general,1000\n", encoding="utf-8")
    out = check(run(["criticality", "--od", str(od)]))
    assert out.code == 4 and "on no open link" in out.err


def test_closures_that_cut_every_path_are_named():
    argv = ["route", "Termez", "Kabul", "--modes", "rail"]
    out = check(run([*argv, "--close", "HAI", "--close", "TOR", "--close", "AQI"]))
    assert out.code == 4
    out = check(run(["route", "Termez", "Naibabad", "--modes", "rail", "--close", "HAI:rail"]))
    assert out.code == 4 and "scenario closures (HAI:rail)" in out.err, out.err
