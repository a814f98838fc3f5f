"""Validation: each class of data error in a corrupted copy gives its exact message."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from corridors.checks import load_geodata
from corridors.errors import DataError
from corridors.validate import validate


def edit_csv(path: Path, row_index: int, **changes: str) -> None:
    """Change fields of one data row (0 = first data row, file row 2)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[row_index].update(changes)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def messages(directory: Path) -> list[str]:
    return [str(p) for p in validate(directory).problems]


def test_toy_geodata_is_clean(toy_dir):
    report = validate(toy_dir)
    assert report.ok, report.problems
    assert report.counts["places by country"]["AF"] == 5


@pytest.mark.parametrize(
    ("file", "row", "changes", "expected"),
    [
        ("places.csv", 1, {"id": "UZCITY"}, "places.csv:3: duplicate id UZCITY (first on row 2)"),
        ("places.csv", 0, {"lat": "north"}, "places.csv:2: lat 'north' is not a number"),
        ("places.csv", 0, {"lat": "95"}, "places.csv:2: lat 95 is above 90"),
        (
            "places.csv",
            0,
            {"kind": "village"},
            "places.csv:2: kind 'village' is not one of city, town, border, port, terminal, junction",
        ),
        ("places.csv", 0, {"source": ""}, "places.csv:2: source is empty"),
        (
            "places.csv",
            0,
            {"quality": "EST", "note": ""},
            "places.csv:2: an estimate (quality EST) needs its reasoning in note",
        ),
        ("edges.csv", 0, {"to": "NOWHERE"}, "edges.csv:2: edge UZ-R-1: unknown place NOWHERE"),
        (
            "edges.csv",
            0,
            {"to": "AFPOST"},
            "edges.csv:2: edge UZ-R-1: place AFPOST is in AF, not UZ; a border is a crossing, not an edge",
        ),
        ("edges.csv", 1, {"gauge_mm": "1000"}, "edges.csv:3: gauge_mm 1000 is not a known gauge (1520, 1435, 1676)"),
        ("edges.csv", 0, {"distance_km": "-5"}, "edges.csv:2: distance_km -5 is below 0"),
        ("edges.csv", 0, {"distance_km": "inf"}, "edges.csv:2: distance_km 'inf' is not finite"),
        (
            "edges.csv",
            0,
            {"distance_km": "10"},
            "edges.csv:2: edge UZ-R-1: distance_km 10 is shorter than the great-circle distance 85.4 km",
        ),
        (
            "edges.csv",
            0,
            {"distance_km": "300"},
            "edges.csv:2: edge UZ-R-1: distance_km 300 is more than 2.5x the great-circle distance 85.4 km and the note does not explain the detour",
        ),
        (
            "edges.csv",
            0,
            {"via": "Far away:30.0:60.0"},
            "edges.csv:2: edge UZ-R-1: the line through its via points is 2159 km, longer than distance_km 100; check the via coordinates",
        ),
        ("edges.csv", 0, {"via": "Nowhere:abc"}, "edges.csv:2: via item 'Nowhere:abc' is not Name:lat:lon"),
        ("edges.csv", 0, {"status": "planned"}, "edges.csv:2: a planned edge needs a project id"),
        ("crossings.csv", 0, {"partner_place": "AFCITY"}, "crossings.csv:2: crossing X1 joins two places in AF"),
        (
            "crossings.csv",
            0,
            {"af_place": "UZPOST", "partner_place": "AFPOST"},
            "crossings.csv:2: crossing X1: the Afghan place AFPOST belongs in af_place",
        ),
        ("crossings.csv", 0, {"closure_prob": "1.5"}, "crossings.csv:2: closure_prob 1.5 is above 1"),
        ("crossings.csv", 0, {"closure_group": "NOPE"}, "crossings.csv:2: crossing X1: unknown closure_group NOPE"),
        ("crossings.csv", 0, {"rail_gauge_mm": ""}, "crossings.csv:2: rail_gauge_mm is empty"),
        ("crossings.csv", 0, {"road_fee_usd_per_truck": "-1"}, "crossings.csv:2: road_fee_usd_per_truck -1 is below 0"),
        ("terminals.csv", 0, {"place": "MOON"}, "terminals.csv:2: terminal at unknown place MOON"),
        ("terminals.csv", 0, {"to_layer": "road"}, "terminals.csv:2: from_layer and to_layer are the same"),
        (
            "terminals.csv",
            0,
            {"cargo": "coal"},
            "terminals.csv:2: cargo 'coal' is not all or one of general, bulk, fuel, perishable",
        ),
        ("closure_groups.csv", 0, {"closure_prob": "-0.1"}, "closure_groups.csv:2: closure_prob -0.1 is below 0"),
    ],
)
def test_each_error_class_has_its_message(toy_dir, file, row, changes, expected):
    edit_csv(toy_dir / file, row, **changes)
    assert expected in messages(toy_dir)


def test_loading_refuses_broken_references(toy_dir):
    edit_csv(toy_dir / "edges.csv", 0, to="NOWHERE")
    with pytest.raises(DataError, match=r"edges\.csv:2: edge UZ-R-1: unknown place NOWHERE") as err:
        load_geodata(toy_dir)
    assert err.value.exit_code == 5


def test_missing_file_and_column(toy_dir):
    (toy_dir / "terminals.csv").unlink()
    text = (toy_dir / "edges.csv").read_text().replace("road_class", "roadclass", 1)
    (toy_dir / "edges.csv").write_text(text)
    found = messages(toy_dir)
    assert f"terminals.csv: file not found in {toy_dir}" in found
    assert "edges.csv:1: missing column(s): road_class" in found


def test_costs_toml_problems(toy_dir):
    path = toy_dir / "costs.toml"
    text = path.read_text()
    text = text.replace('PK = { value = 1.5, source = "https://example.org/test-fixture", quality = "M" }', "")
    text = text.replace(
        'UZ = { value = 50.0, source = "https://example.org/test-fixture", quality = "H" }',
        'UZ = { value = 50.0, quality = "H" }',
    )
    path.write_text(text)
    found = messages(toy_dir)
    assert "costs.toml: missing parameter road.cost_usd_per_truck_km.PK" in found
    assert "costs.toml:7: road.speed_kmh.UZ: no source" in found  # the line of the key


def test_broken_toml(toy_dir):
    (toy_dir / "costs.toml").write_text("[road\n")
    assert any(m.startswith("costs.toml:1: not valid TOML") for m in messages(toy_dir))


def test_required_corridor_disconnected(toy_dir):
    (toy_dir / "required_corridors.csv").write_text("origin,destination\nUZCITY,PKPORT\nUZCITY,AFCITY\n")
    assert validate(toy_dir).ok
    edit_csv(toy_dir / "crossings.csv", 2, status="closed")
    edit_csv(toy_dir / "crossings.csv", 3, status="closed")
    assert messages(toy_dir) == [
        "required_corridors.csv:2: UZCITY -> PKPORT: no route from Uzcity to Pkport: they are not connected in the network for this cargo"
    ]


def test_load_reports_first_problem_and_count(toy_dir):
    edit_csv(toy_dir / "places.csv", 0, lat="x", lon="y")
    with pytest.raises(
        DataError, match=r"places.csv:2: lat 'x' is not a number \(and 1 more; run 'python -m corridors validate'\)"
    ):
        load_geodata(toy_dir)


def test_report_lists_estimates(toy_dir):
    report = validate(toy_dir)
    assert any("road.class_speed_factor.mountain" in line for line in report.estimates)
