"""Shared fixtures: a small hand-made network written as geodata files, and the shipped one.

The toy network (figures chosen for easy hand arithmetic)::

    UZ                     AF                                   PK
    UZCITY ==rail1520== UZPOST -X1- AFPOST ==rail1520== AFCITY --- AFSOUTH -X3- PKPOST --- PKPORT
       \\__ road ______/  (road+rail)   \\__ road ______/    \\        \\_X4 (transload)_/
        \\__ road __ UZPOST2 -X2- AFPOST2 __ road __________/
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

import corridors
from corridors.data import (
    CROSSING_COLUMNS,
    EDGE_COLUMNS,
    GROUP_COLUMNS,
    PLACE_COLUMNS,
    TERMINAL_COLUMNS,
)

if not Path(corridors.__file__).resolve().is_relative_to(Path(__file__).resolve().parents[1]):
    raise RuntimeError(
        f"the corridors package imported is {corridors.__file__}, not this checkout's: run pip install -e ."
    )

SRC = "https://example.org/test-fixture"
REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

TOY_PLACES = [
    # id, name, aliases, country, lat, lon, kind
    ("UZCITY", "Uzcity", "Uzgorod", "UZ", 38.0, 67.0, "city"),
    ("UZPOST", "Uzpost", "", "UZ", 37.3, 67.4, "border"),
    ("UZPOST2", "Uzpost Two", "", "UZ", 37.3, 68.3, "border"),
    ("AFPOST", "Afpost", "Afgate", "AF", 37.2, 67.4, "border"),
    ("AFPOST2", "Afpost Two", "", "AF", 37.2, 68.3, "border"),
    ("AFCITY", "Afcity", "Āfcity Sharīf;Af-e City", "AF", 36.7, 67.1, "city"),
    ("AFSOUTH", "Afsouth", "", "AF", 34.5, 69.2, "city"),
    ("PKPOST", "Pkpost", "", "PK", 34.05, 70.95, "border"),
    ("PKPOST2", "Pkpost Two", "", "PK", 34.0, 70.9, "border"),
    ("AFSOUTH2", "Afsouth Two", "", "AF", 34.0, 70.8, "border"),
    ("PKPORT", "Pkport", "", "PK", 33.0, 71.5, "port"),
]

TOY_EDGES = [
    # id, from, to, mode, gauge, class, country, km, speed
    ("UZ-R-1", "UZCITY", "UZPOST", "road", "", "primary", "UZ", 100, ""),
    ("UZ-RL-1", "UZCITY", "UZPOST", "rail", "1520", "", "UZ", 100, ""),
    ("UZ-R-2", "UZCITY", "UZPOST2", "road", "", "primary", "UZ", 150, ""),
    ("AF-R-1", "AFPOST", "AFCITY", "road", "", "primary", "AF", 80, ""),
    ("AF-RL-1", "AFPOST", "AFCITY", "rail", "1520", "", "AF", 75, ""),
    ("AF-R-2", "AFPOST2", "AFCITY", "road", "", "primary", "AF", 120, ""),
    ("AF-R-3", "AFCITY", "AFSOUTH", "road", "", "mountain", "AF", 400, ""),
    ("AF-R-4", "AFSOUTH", "AFSOUTH2", "road", "", "primary", "AF", 200, ""),
    ("PK-R-1", "PKPOST", "PKPORT", "road", "", "motorway", "PK", 150, ""),
    ("PK-R-2", "PKPOST2", "PKPORT", "road", "", "motorway", "PK", 160, ""),
]

TOY_CROSSINGS = [
    # id, name, aliases, af, partner, modes, gauge, road_h, rail_h, fee_truck, fee_wagon, prob, days, group, transload
    ("X1", "Afgate–Uzpost", "Friendship", "AFPOST", "UZPOST", "road;rail", "1520", 6, 4, 200, 120, 0.01, 5, "", "no"),
    ("X2", "Afpost Two–Uzpost Two", "", "AFPOST2", "UZPOST2", "road", "", 20, "", 50, "", 0.02, 3, "", "no"),
    ("X3", "Afsouth–Pkpost", "", "AFSOUTH2", "PKPOST", "road", "", 10, "", 300, "", 0.05, 10, "G", "no"),
    ("X4", "Afsouth–Pkpost Two", "", "AFSOUTH2", "PKPOST2", "road", "", 12, "", 100, "", 0.05, 10, "G", "yes"),
]

TOY_TERMINALS = [
    # place, from, to, kind, cost, time, cargo
    ("UZCITY", "road", "rail1520", "transload", 4, 8, "all"),
    ("AFCITY", "road", "rail1520", "transload", 5, 10, "all"),
    ("AFPOST", "road", "rail1520", "transload", 6, 12, "general;bulk"),
]

TOY_COSTS = """
[road.cost_usd_per_truck_km]
UZ = { value = 1.0, source = "SRC", quality = "H" }
AF = { value = 2.0, source = "SRC", quality = "M" }
PK = { value = 1.5, source = "SRC", quality = "M" }
[road.speed_kmh]
UZ = { value = 50.0, source = "SRC", quality = "H" }
AF = { value = 40.0, source = "SRC", quality = "H" }
PK = { value = 50.0, source = "SRC", quality = "H" }
[road.class_speed_factor]
motorway = { value = 1.5, source = "SRC", quality = "EST", note = "test" }
primary = { value = 1.0, source = "SRC", quality = "EST", note = "test" }
secondary = { value = 0.8, source = "SRC", quality = "EST", note = "test" }
mountain = { value = 0.5, source = "SRC", quality = "EST", note = "test" }
[rail]
wagon_payload_t = { value = 60.0, source = "SRC", quality = "M" }
[rail.tariff_usd_per_tkm]
UZ = { value = 0.04, source = "SRC", quality = "M" }
AF = { value = 0.05, source = "SRC", quality = "M" }
[rail.speed_kmh]
UZ = { value = 25.0, source = "SRC", quality = "M" }
AF = { value = 15.0, source = "SRC", quality = "M" }
[crossing]
transload_cost_usd_per_t = { value = 3.0, source = "SRC", quality = "EST", note = "test" }
transload_time_h = { value = 5.0, source = "SRC", quality = "EST", note = "test" }
[connector]
detour_factor = { value = 1.25, source = "SRC", quality = "EST", note = "test" }
speed_kmh = { value = 30.0, source = "SRC", quality = "EST", note = "test" }
[cargo.general]
description = "test general"
payload_t = { value = 20.0, source = "SRC", quality = "H" }
value_of_time_usd_per_t_h = { value = 0.5, source = "SRC", quality = "EST", note = "test" }
road_cost_factor = { value = 1.0, source = "SRC", quality = "EST", note = "test" }
rail_cost_factor = { value = 1.0, source = "SRC", quality = "EST", note = "test" }
[cargo.bulk]
description = "test bulk"
payload_t = { value = 25.0, source = "SRC", quality = "H" }
value_of_time_usd_per_t_h = { value = 0.1, source = "SRC", quality = "EST", note = "test" }
road_cost_factor = { value = 1.0, source = "SRC", quality = "EST", note = "test" }
rail_cost_factor = { value = 0.8, source = "SRC", quality = "EST", note = "test" }
[cargo.fuel]
description = "test fuel"
payload_t = { value = 30.0, source = "SRC", quality = "H" }
value_of_time_usd_per_t_h = { value = 0.2, source = "SRC", quality = "EST", note = "test" }
road_cost_factor = { value = 1.1, source = "SRC", quality = "EST", note = "test" }
rail_cost_factor = { value = 1.0, source = "SRC", quality = "EST", note = "test" }
[cargo.perishable]
description = "test perishable"
payload_t = { value = 18.0, source = "SRC", quality = "H" }
value_of_time_usd_per_t_h = { value = 3.0, source = "SRC", quality = "EST", note = "test" }
road_cost_factor = { value = 1.3, source = "SRC", quality = "EST", note = "test" }
rail_cost_factor = { value = 1.2, source = "SRC", quality = "EST", note = "test" }
""".replace("SRC", SRC)


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_toy_geodata(directory: Path) -> Path:
    """Write the toy network as geodata files into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    prov = {"source": SRC, "quality": "M", "note": ""}
    _write_csv(
        directory / "places.csv",
        PLACE_COLUMNS,
        [
            dict(zip(("id", "name", "aliases", "country", "lat", "lon", "kind"), p, strict=True)) | prov
            for p in TOY_PLACES
        ],
    )
    edge_keys = ("id", "from", "to", "mode", "gauge_mm", "road_class", "country", "distance_km", "speed_kmh")
    _write_csv(
        directory / "edges.csv",
        EDGE_COLUMNS,
        [dict(zip(edge_keys, e, strict=True)) | {"status": "open", "project": "", "via": ""} | prov for e in TOY_EDGES],
    )
    crossing_keys = (
        "id",
        "name",
        "aliases",
        "af_place",
        "partner_place",
        "modes",
        "rail_gauge_mm",
        "road_time_h",
        "rail_time_h",
        "road_fee_usd_per_truck",
        "rail_fee_usd_per_wagon",
        "closure_prob",
        "closure_mean_days",
        "closure_group",
        "transload",
    )
    _write_csv(
        directory / "crossings.csv",
        CROSSING_COLUMNS,
        [
            dict(zip(crossing_keys, c, strict=True))
            | {"status": "open", "project": "", "capacity_trucks_per_day": 100}
            | prov
            for c in TOY_CROSSINGS
        ],
    )
    _write_csv(
        directory / "closure_groups.csv",
        GROUP_COLUMNS,
        [{"id": "G", "name": "Toy border", "closure_prob": 0.1, "closure_mean_days": 30} | prov],
    )
    term_keys = ("place", "from_layer", "to_layer", "kind", "cost_usd_per_t", "time_h", "cargo")
    _write_csv(
        directory / "terminals.csv",
        TERMINAL_COLUMNS,
        [dict(zip(term_keys, t, strict=True)) | prov for t in TOY_TERMINALS],
    )
    (directory / "costs.toml").write_text(TOY_COSTS, encoding="utf-8")
    return directory


def add_edge(directory: Path, **fields: str) -> None:
    """Append an edge row to ``directory/edges.csv`` (fields not given copy the first row)."""
    path = directory / "edges.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows.append(rows[0] | fields)
    _write_csv(path, EDGE_COLUMNS, rows)


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A fresh copy of the toy geodata (safe to corrupt)."""
    return write_toy_geodata(tmp_path / "toy")


@pytest.fixture(scope="session")
def toy_net(tmp_path_factory: pytest.TempPathFactory):
    from corridors.network import load_network

    return load_network(write_toy_geodata(tmp_path_factory.mktemp("toy") / "geodata"))


@pytest.fixture(scope="session")
def shipped_net():
    from corridors.network import load_network

    return load_network(REPO / "geodata")


_SESSION_START = __import__("time").time()


def pytest_configure(config):
    """Keep the checked-geodata cache of this run out of the user's home (``CORRIDORS_CACHE``)."""
    import os
    import tempfile

    if "CORRIDORS_CACHE" not in os.environ:
        os.environ["CORRIDORS_CACHE"] = tempfile.mkdtemp(prefix="corridors-cache-")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """List the map screenshots this run took, so a reader can open them (tests/screenshots/)."""
    import os

    folder = Path(os.environ.get("CORRIDORS_SCREENSHOTS", REPO / "tests" / "screenshots"))
    shots = sorted(p for p in folder.glob("*.png") if p.stat().st_mtime >= _SESSION_START) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", f"{len(shots)} map screenshots in {folder}")
        for p in shots:
            terminalreporter.write_line(f"  {p.name}")
