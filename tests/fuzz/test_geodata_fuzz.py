"""Corrupted copies of the shipped geodata and generated scenario files against the contract.

Beyond "no traceback, a documented exit code": ``validate`` must reject what a command would
choke on, and the same checks run at load time, so that no command runs on data that
``validate`` rejects (connectivity of the required corridors is the one validate-only check).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from harness import check, examples, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from corridors.validate import REQUIRED_FILE, validate

CSV_FILES = ["places.csv", "edges.csv", "crossings.csv", "terminals.csv", "closure_groups.csv", "ports.csv",
             "observed_volumes.csv", "observations.csv", "required_corridors.csv", "od/trade_flows.csv",
             "map_layers.csv"]  # fmt: skip
OTHER_FILES = ["costs.toml", "scenarios/torkham-closed.toml", "scenarios/tarp-built.toml"]
VALUES = ["", "0", "-1", "1e308", "-1e308", "nan", "inf", "abc", "\x00", "x" * 200_000, "  ", "0,0", "TASHKENT",
          "tashkent", "Trk", "1.5", "rail1520", "road;rail", "9999", "1e-9", "\ufeff", "é", '"', "UNKNOWN_PLACE",
          "$5", "<b>x</b>"]  # fmt: skip
MUTATIONS = ["cell", "cell", "cell", "delete_file", "empty_file", "truncate", "bad_bytes", "bom", "duplicate_row",
             "drop_column", "header_only", "swap_columns", "append_garbage"]  # fmt: skip


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return Path(shutil.copytree(REPO / "geodata", tmp_path_factory.mktemp("pristine") / "geodata"))


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def corrupt(folder: Path, data: st.DataObject) -> str:
    """Apply one generated corruption to ``folder``; return what was done (for the report)."""
    name = data.draw(st.sampled_from(CSV_FILES + OTHER_FILES))
    path = folder / name
    kind = data.draw(st.sampled_from(MUTATIONS))
    raw = path.read_bytes()
    if kind == "delete_file":
        path.unlink()
    elif kind == "empty_file":
        path.write_bytes(b"")
    elif kind == "truncate":
        path.write_bytes(raw[: data.draw(st.integers(0, max(len(raw) - 1, 0)))])
    elif kind == "bad_bytes":
        at = data.draw(st.integers(0, len(raw)))
        path.write_bytes(raw[:at] + data.draw(st.sampled_from([b"\xff\xfe", b"\x80", b"\xc3", b"\x00"])) + raw[at:])
    elif kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + raw)
    elif kind == "append_garbage":
        path.write_bytes(raw + data.draw(st.binary(min_size=1, max_size=64)))
    elif name.endswith(".csv"):
        header, rows = _read(path)
        if not rows:
            return f"{name}: nothing to {kind}"
        r = data.draw(st.integers(0, len(rows) - 1))
        if kind == "cell":
            c = data.draw(st.integers(0, len(header) - 1))
            other = data.draw(st.sampled_from(rows))[c] if len(rows) > 1 else ""
            rows[r][c] = data.draw(st.sampled_from([*VALUES, other]))
        elif kind == "duplicate_row":
            rows.insert(r, list(rows[r]))
        elif kind == "drop_column":
            c = data.draw(st.integers(0, len(header) - 1))
            header = header[:c] + header[c + 1 :]
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif kind == "header_only":
            rows = []
        elif kind == "swap_columns":
            a, b = data.draw(st.integers(0, len(header) - 1)), data.draw(st.integers(0, len(header) - 1))
            header[a], header[b] = header[b], header[a]
        _write(path, header, rows)
        return f"{name}: {kind} row {r + 2}"
    else:  # a TOML file: replace a value on a random line
        lines = raw.decode("utf-8").splitlines()
        i = data.draw(st.integers(0, len(lines) - 1))
        replacement = data.draw(st.sampled_from(["0", "-3", "1e400", '"x"', ""]))
        lines[i] = lines[i].replace("value = ", f"value = {replacement}#", 1)
        if "= " in lines[i] and data.draw(st.booleans()):
            lines[i] = lines[i].split("= ", 1)[0] + "= " + data.draw(st.sampled_from(["1.5", "[1", "'", "{}", "0"]))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{name}: {kind}"


FUZZ = settings(
    max_examples=examples(40), deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)  # fmt: skip


@FUZZ
@given(data=st.data())
def test_corrupted_geodata_is_rejected_or_routes(pristine, tmp_path_factory, data):
    folder = Path(shutil.copytree(pristine, tmp_path_factory.mktemp("corrupt") / "geodata"))
    what = corrupt(folder, data)
    report = check(run(["validate", str(folder)]))
    assert report.code in (0, 5), what
    command = data.draw(st.sampled_from([["route", "Termez", "Kabul"], ["route", "Karachi", "Kandahar", "--json"],
                                         ["crossings"], ["nodes", "--json"], ["risk", "Termez", "Kabul", "--samples", "200"],
                                         ["route", "Termez", "Peshawar", "--scenario", "torkham-closed"]]))  # fmt: skip
    outcome = check(run([*command, "--geodata", str(folder)]))
    problems = validate(folder).problems
    only_connectivity = problems and all(p.file == REQUIRED_FILE for p in problems)
    if report.code == 5 and not only_connectivity:
        assert outcome.code == 5, f"{what}: validate rejects it but {command} exited {outcome.code}: {problems[:3]}"
    if outcome.code == 5:
        assert report.code == 5, f"{what}: {command} says bad data but validate passes: {outcome.err}"


SCENARIO_KEYS = ["name", "description", "source", "close", "open", "set", "scale", "bogus"]
TARGETS = ["crossing.TRK.road_time_h", "crossing.TRK.closure_prob", "costs.road.speed_kmh.AF", "rail.wagon_payload_t",
           "costs.rail.wagon_payload_t", "edge.AF-R-SLN-SLS.speed_kmh", "edge.AF-R-SLN-SLS.distance_km",
           "group.AF_PK.closure_prob", "terminal.HAIRATAN.time_h", "costs.road.cost_usd_per_truck_km.*", "crossing.Trk.x",
           "costs.cargo.general.payload_t", "costs.connector.speed_kmh", "crossing.NOPE.road_time_h"]  # fmt: skip
toml_value = st.one_of(
    st.sampled_from(["0", "-1", "1.5", "1e308", "nan", "inf", '"text"', "[]", "{}", "true", "72", "0.2"]),
    st.integers(-10, 10**6).map(str),
)


@st.composite
def scenario_text(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    lines = []
    for key in draw(st.lists(st.sampled_from(SCENARIO_KEYS), unique=True, max_size=5)):
        if key in ("name", "description", "source", "bogus"):
            value = draw(st.sampled_from(['"x"', "3", "[1]", '"$5 <b>"']))
            lines.append(f"{key} = {value}")
        elif key == "close":
            lines.append("[close]")
            for sub in draw(
                st.lists(st.sampled_from(["crossings", "edges", "places", "rivers"]), unique=True, max_size=3)
            ):
                items = draw(
                    st.lists(
                        st.sampled_from(["TRK", "HAI:rail", "HAI:boat", "Trk", "KABUL", "AF-R-SLN-SLS", "X"]),
                        max_size=3,
                    )
                )
                lines.append(f"{sub} = {items!r}".replace("'", '"') if draw(st.booleans()) else f'{sub} = "TRK"')
        elif key == "open":
            lines.append("[open]")
            projects = draw(st.sampled_from(['["TAR"]', '["NOPE"]', '"TAR"', "[1]"]))
            lines.append(f"projects = {projects}")
        else:
            lines.append(f"[{key}]")
            for target in draw(st.lists(st.sampled_from(TARGETS), unique=True, max_size=3)):
                lines.append(f'"{target}" = {draw(toml_value)}')
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=scenario_text(), command=st.sampled_from(["route", "whatif", "risk"]))
def test_generated_scenarios_keep_the_contract(tmp_path_factory, text, command):
    path = tmp_path_factory.mktemp("scenario") / "s.toml"
    path.write_text(text, encoding="utf-8")
    argv = [command, "Termez", "Peshawar", "--scenario", str(path)]
    if command == "risk":
        argv += ["--samples", "100"]
    check(run(argv))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("costs.toml", "wagon_payload_t = { value = 64.0", "wagon_payload_t = { value = 0"),
            "rail.wagon_payload_t is 0",
        ),
        (
            (
                "edges.csv",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,76,",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,0,",
            ),
            "distance_km is 0",
        ),
        (
            (
                "edges.csv",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,76,",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,1e308,",
            ),
            "above the limit",
        ),
        (
            (
                "edges.csv",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,76,",
                "AF-R-HAI-MAZ,HAIRATAN,MAZAR_I_SHARIF,road,,primary,AF,250,",
            ),
            "more than 2.5x",
        ),
        (("crossings.csv", "\nTRK,", "\nTrk,"), "id 'Trk' is not upper case"),
        (("places.csv", "\nTASHKENT,Tashkent,", "\ntashkent,Tashkent,"), "id 'tashkent' is not UPPER_SNAKE"),
        (("places.csv", "Tashkent,Toshkent", "Tash\x00kent,Toshkent"), "control character"),
    ],
)
def test_validation_catches_what_fuzzing_found(pristine, tmp_path, edit, message):
    folder = Path(shutil.copytree(pristine, tmp_path / "geodata"))
    name, old, new = edit
    text = (folder / name).read_text(encoding="utf-8")
    assert old in text, old
    (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    report = check(run(["validate", str(folder)]))
    assert report.code == 5 and message in report.out, report.out
    routed = check(run(["route", "Termez", "Kabul", "--geodata", str(folder)]))
    assert routed.code == 5  # the same checks run at load time


def test_bom_invalid_utf8_and_long_fields_name_the_row(pristine, tmp_path):
    folder = Path(shutil.copytree(pristine, tmp_path / "geodata"))
    places = folder / "places.csv"
    places.write_bytes(b"\xef\xbb\xbf" + places.read_bytes())
    assert check(run(["validate", str(folder)])).code == 0  # a BOM is accepted
    lines = (folder / "required_corridors.csv").read_bytes().split(b"\n")
    lines[3] = lines[3] + b"\xff"
    (folder / "required_corridors.csv").write_bytes(b"\n".join(lines))
    out = check(run(["validate", str(folder)]))
    assert "required_corridors.csv:4: not valid UTF-8" in out.out, out.out
    folder = Path(shutil.copytree(pristine, tmp_path / "again"))
    flows = folder / "od" / "trade_flows.csv"
    lines = flows.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines[-1] = ",".join(lines[-1].split(",")[:2])  # a last line cut short
    flows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = check(run(["validate", str(folder)]))
    assert f"od/trade_flows.csv:{len(lines)}: fewer fields than columns" in out.out, out.out


def test_empty_required_corridors_rejected(pristine, tmp_path):
    folder = Path(shutil.copytree(pristine, tmp_path / "geodata"))
    (folder / "required_corridors.csv").write_text("origin,destination,note\n", encoding="utf-8")
    out = check(run(["validate", str(folder)]))
    assert out.code == 5 and "no corridors listed" in out.out


def test_bad_shipped_scenario_blocks_loading(pristine, tmp_path):
    folder = Path(shutil.copytree(pristine, tmp_path / "geodata"))
    (folder / "scenarios" / "broken.toml").write_text('[set]\n"crossing.TRK.closure_prob" = 1.5\n', encoding="utf-8")
    out = check(run(["validate", str(folder)]))
    assert out.code == 5 and "scenarios/broken.toml" in out.out and "probability" in out.out
    assert check(run(["route", "Termez", "Kabul", "--geodata", str(folder)])).code == 5


def test_leftover_temp_files_are_cleaned(tmp_path):
    import os
    import time

    stale = tmp_path / ".corridors-tmp-legs.geojson.abc.tmp"
    stale.write_text("half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = tmp_path / ".corridors-tmp-other.abc.tmp"
    fresh.write_text("in progress")
    out = check(run(["route", "Termez", "Kabul", "--geojson", str(tmp_path / "legs.geojson")]))
    assert out.code == 0 and not stale.exists() and fresh.exists()
