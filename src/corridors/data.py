"""Read the geodata files into typed records.

``geodata/`` holds facts: places, road and rail edges, border crossings, closure groups,
terminals (transfer points) and the cost parameters. This module parses them into frozen
dataclasses and checks each field (types, ranges, known codes, a source on every record).
Checks that need several records at once (unique ids, references, geometry, connectivity)
live in :mod:`corridors.validate`.

Only the standard library is used here so that loading stays fast for the command line.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridors.errors import DataError
from corridors.limits import MAX_FIELD_CHARS, MAX_FILE_BYTES

#: Rail gauges the model knows, in millimetres: CIS broad gauge, standard gauge, Indian gauge.
GAUGES: tuple[int, ...] = (1520, 1435, 1676)
#: Graph layers: the road network and one rail layer per gauge.
LAYERS: tuple[str, ...] = ("road", *(f"rail{g}" for g in GAUGES))
MODES: tuple[str, ...] = ("road", "rail")
ROAD_CLASSES: tuple[str, ...] = ("motorway", "primary", "secondary", "mountain")
STATUSES: tuple[str, ...] = ("open", "under_construction", "planned", "closed")
QUALITIES: tuple[str, ...] = ("H", "M", "L", "EST")
PLACE_KINDS: tuple[str, ...] = ("city", "town", "border", "port", "terminal", "junction")
TERMINAL_KINDS: tuple[str, ...] = ("transload", "gauge_break")
CARGO_PROFILES: tuple[str, ...] = ("general", "bulk", "fuel", "perishable")

PLACES_FILE = "places.csv"
EDGES_FILE = "edges.csv"
CROSSINGS_FILE = "crossings.csv"
GROUPS_FILE = "closure_groups.csv"
TERMINALS_FILE = "terminals.csv"
COSTS_FILE = "costs.toml"
PORTS_FILE = "ports.csv"
OBSERVED_VOLUMES_FILE = "observed_volumes.csv"
OBSERVATIONS_FILE = "observations.csv"
#: The layer of a seaport's quay: routes from or to a port start or end there.
SEA_LAYER = "sea"
#: What an observation in ``observations.csv`` checks (see :mod:`corridors.fidelity`).
CROSSING_METRICS: tuple[str, ...] = ("uses_crossing", "avoids_crossing")
NUMERIC_METRICS: tuple[str, ...] = ("distance_km", "time_h", "cost_usd")
OBSERVATION_METRICS: tuple[str, ...] = (*CROSSING_METRICS, "main_mode", *NUMERIC_METRICS)
DIRECTIONS: tuple[str, ...] = ("both", "to_af", "from_af")
#: What an observation's numeric figure covers: ``land`` (the haul from or to the port gate,
#: the usual basis of a freight rate or a trucking time) or ``door`` (port dwell included).
OBSERVATION_SCOPES: tuple[str, ...] = ("land", "door")

SOURCE_FIELDS = ("source", "quality", "note")
PLACE_COLUMNS = ("id", "name", "aliases", "country", "lat", "lon", "kind", *SOURCE_FIELDS)
#: Optional places.csv column: the place whose rail nodes serve a town that has none.
PLACE_OPTIONAL_COLUMNS = ("railhead",)
PORT_COLUMNS = ("place", "dwell_h", "handling_usd_per_t", *SOURCE_FIELDS)
OBSERVED_VOLUME_COLUMNS = (
    "crossing",
    "mode",
    "direction",
    "trucks_per_day",
    "wagons_per_day",
    "tonnes_per_day",
    "date",
    *SOURCE_FIELDS,
)
OBSERVATION_COLUMNS = (
    "id",
    "origin",
    "destination",
    "cargo",
    "modes",
    "tonnes",
    "scenario",
    "metric",
    "observed",
    "tolerance",
    "date",
    *SOURCE_FIELDS,
)
EDGE_COLUMNS = (
    "id",
    "from",
    "to",
    "mode",
    "gauge_mm",
    "road_class",
    "country",
    "distance_km",
    "speed_kmh",
    "status",
    "project",
    "via",
    *SOURCE_FIELDS,
)
CROSSING_COLUMNS = (
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
    "capacity_trucks_per_day",
    "closure_prob",
    "closure_mean_days",
    "closure_group",
    "transload",
    "status",
    "project",
    *SOURCE_FIELDS,
)
GROUP_COLUMNS = ("id", "name", "closure_prob", "closure_mean_days", *SOURCE_FIELDS)
MAP_LAYER_COLUMNS = ("id", "name", "kind", "status", "project", "via", *SOURCE_FIELDS)
MAP_LAYERS_FILE = "map_layers.csv"
MAP_LAYER_KINDS: tuple[str, ...] = ("pipeline", "power_line")
TERMINAL_COLUMNS = (
    "place",
    "from_layer",
    "to_layer",
    "kind",
    "cost_usd_per_t",
    "time_h",
    "cargo",
    *SOURCE_FIELDS,
)


def layer_of(mode: str, gauge_mm: int | None) -> str:
    """Return the graph layer of a link: ``road`` or ``rail<gauge>``.

    Parameters
    ----------
    mode
        ``road`` or ``rail``.
    gauge_mm
        Track gauge for rail, ignored for road.

    Returns
    -------
    str

    """
    return "road" if mode == "road" else f"rail{gauge_mm}"


@dataclass(frozen=True)
class Provenance:
    """Where a record's figures come from."""

    source: str
    quality: str
    note: str = ""

    @property
    def is_estimate(self) -> bool:
        """True when the record is marked as an estimate."""
        return self.quality == "EST"


@dataclass(frozen=True)
class Waypoint:
    """A named point an edge passes through."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Place:
    """A physical place: a city, border post, port, terminal or junction."""

    id: str
    name: str
    aliases: tuple[str, ...]
    country: str
    lat: float
    lon: float
    kind: str
    provenance: Provenance
    row: int = 0
    railhead: str = ""


@dataclass(frozen=True)
class Edge:
    """A two-way road or rail link inside one country."""

    id: str
    from_id: str
    to_id: str
    mode: str
    gauge_mm: int | None
    road_class: str | None
    country: str
    distance_km: float
    speed_kmh: float | None
    status: str
    project: str
    via: tuple[Waypoint, ...]
    provenance: Provenance
    row: int = 0

    @property
    def layer(self) -> str:
        """Graph layer the edge belongs to."""
        return layer_of(self.mode, self.gauge_mm)


@dataclass(frozen=True)
class Crossing:
    """A border crossing between an Afghan place and a place in a neighbouring country."""

    id: str
    name: str
    aliases: tuple[str, ...]
    af_place: str
    partner_place: str
    modes: tuple[str, ...]
    rail_gauge_mm: int | None
    road_time_h: float | None
    rail_time_h: float | None
    road_fee_usd_per_truck: float | None
    rail_fee_usd_per_wagon: float | None
    capacity_trucks_per_day: float | None
    closure_prob: float
    closure_mean_days: float
    closure_group: str
    transload: bool
    status: str
    project: str
    provenance: Provenance
    row: int = 0

    def layers(self) -> list[tuple[str, str]]:
        """Return ``(mode, layer)`` for every mode the crossing serves."""
        return [(m, layer_of(m, self.rail_gauge_mm)) for m in self.modes]


@dataclass(frozen=True)
class ClosureGroup:
    """Crossings that close together (for example the whole Afghanistan–Pakistan border)."""

    id: str
    name: str
    closure_prob: float
    closure_mean_days: float
    provenance: Provenance
    row: int = 0


@dataclass(frozen=True)
class Terminal:
    """A transfer between two layers at one place (transloading or break of gauge)."""

    place: str
    from_layer: str
    to_layer: str
    kind: str
    cost_usd_per_t: float
    time_h: float
    cargo: tuple[str, ...]
    provenance: Provenance
    row: int = 0

    def handles(self, cargo: str) -> bool:
        """Whether this terminal can transfer the given cargo profile."""
        return "all" in self.cargo or cargo in self.cargo


@dataclass(frozen=True)
class Port:
    """A seaport's dwell and handling, charged once when a route starts or ends there."""

    place: str
    dwell_h: float
    handling_usd_per_t: float
    provenance: Provenance
    row: int = 0

    @property
    def id(self) -> str:
        """The port's place id (one row per port)."""
        return self.place


@dataclass(frozen=True)
class ObservedVolume:
    """Traffic counted at a crossing on a date (observed, not capacity)."""

    crossing: str
    mode: str
    direction: str
    trucks_per_day: float | None
    wagons_per_day: float | None
    tonnes_per_day: float | None
    date: str
    provenance: Provenance
    row: int = 0


@dataclass(frozen=True)
class Observation:
    """An observed whole-route fact and the query that reproduces it."""

    id: str
    origin: str
    destination: str
    cargo: str
    modes: tuple[str, ...]
    tonnes: float | None
    scenario: str
    metric: str
    observed: str
    tolerance: float | None
    date: str
    provenance: Provenance
    row: int = 0
    scope: str = "land"


@dataclass(frozen=True)
class MapLayer:
    """A line drawn on maps that carries no freight (a pipeline, a power line)."""

    id: str
    name: str
    kind: str
    status: str
    project: str
    via: tuple[Waypoint, ...]
    provenance: Provenance
    row: int = 0


@dataclass(frozen=True)
class Param:
    """One sourced number from ``costs.toml``."""

    value: float
    provenance: Provenance


@dataclass(frozen=True)
class CargoProfile:
    """A kind of cargo with its payload, value of time and cost factors."""

    name: str
    description: str
    payload_t: float
    value_of_time_usd_per_t_h: float
    road_cost_factor: float
    rail_cost_factor: float


@dataclass
class CostParams:
    """The model parameters of ``costs.toml``, each a sourced :class:`Param`."""

    params: dict[str, Param]
    descriptions: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    def get(self, *path: str) -> float:
        """Return the value at a dotted path such as ``("road", "speed_kmh", "AF")``.

        Raises
        ------
        DataError
            If the parameter is missing.

        """
        key = ".".join(path)
        try:
            return self.params[key].value
        except KeyError:
            raise DataError(f"{COSTS_FILE}: missing parameter {key}") from None

    def has(self, *path: str) -> bool:
        """Whether a parameter exists."""
        return ".".join(path) in self.params

    def cargo(self, name: str) -> CargoProfile:
        """Return the cargo profile called ``name``."""
        if not self.has("cargo", name, "payload_t"):
            raise DataError(f"{COSTS_FILE}: no cargo profile [cargo.{name}]")
        return CargoProfile(
            name=name,
            description=self.descriptions.get(f"cargo.{name}", ""),
            payload_t=self.get("cargo", name, "payload_t"),
            value_of_time_usd_per_t_h=self.get("cargo", name, "value_of_time_usd_per_t_h"),
            road_cost_factor=self.get("cargo", name, "road_cost_factor"),
            rail_cost_factor=self.get("cargo", name, "rail_cost_factor"),
        )

    def cargo_names(self) -> list[str]:
        """Names of the cargo profiles defined."""
        names = {k.split(".")[1] for k in self.params if k.startswith("cargo.")}
        return sorted(names)


@dataclass
class GeoData:
    """Everything read from one geodata directory."""

    directory: Path
    places: dict[str, Place]
    edges: dict[str, Edge]
    crossings: dict[str, Crossing]
    groups: dict[str, ClosureGroup]
    terminals: list[Terminal]
    costs: CostParams
    map_layers: dict[str, MapLayer] = field(default_factory=dict)
    ports: dict[str, Port] = field(default_factory=dict)
    observed_volumes: list[ObservedVolume] = field(default_factory=list)
    observations: dict[str, Observation] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a geodata file, reported as ``file:row: message``."""

    file: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.message}" if self.row else f"{self.file}: {self.message}"


class _RowReader:
    """Parse the fields of one CSV row, collecting problems instead of stopping."""

    def __init__(self, file: str, row: int, values: dict[str, str], problems: list[Problem]):
        self.file = file
        self.row = row
        self.values = values
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(Problem(self.file, self.row, message))

    def text(self, col: str, required: bool = True) -> str:
        value = (self.values.get(col) or "").strip()
        if required and not value:
            self.problem(f"{col} is empty")
        return value

    def choice(self, col: str, allowed: Iterable[str], required: bool = True) -> str:
        value = self.text(col, required)
        allowed = tuple(allowed)
        if value and value not in allowed:
            self.problem(f"{col} '{value}' is not one of {', '.join(allowed)}")
        return value

    def number(
        self, col: str, required: bool = True, low: float | None = 0.0, high: float | None = None
    ) -> float | None:
        raw = self.text(col, required)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problem(f"{col} '{raw}' is not a number")
            return None
        if not math.isfinite(value):
            self.problem(f"{col} '{raw}' is not finite")
            return None
        if low is not None and value < low:
            self.problem(f"{col} {raw} is below {low:g}")
        if high is not None and value > high:
            self.problem(f"{col} {raw} is above {high:g}")
        return value

    def gauge(self, col: str, required: bool) -> int | None:
        raw = self.text(col, required)
        if not raw:
            return None
        try:
            value = int(float(raw))
        except ValueError:
            self.problem(f"{col} '{raw}' is not a number")
            return None
        if value not in GAUGES:
            self.problem(f"{col} {value} is not a known gauge ({', '.join(map(str, GAUGES))})")
            return None
        return value

    def names(self, col: str) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.text(col, False).split(";") if a.strip())

    def provenance(self) -> Provenance:
        source = self.text("source")
        quality = self.choice("quality", QUALITIES)
        note = self.text("note", required=False)
        if quality == "EST" and not note:
            self.problem("an estimate (quality EST) needs its reasoning in note")
        return Provenance(source=source, quality=quality, note=note)


csv.field_size_limit(MAX_FIELD_CHARS)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text_file(path: Path, name: str) -> str:
    """Read a UTF-8 text file (a BOM is accepted) for parsing.

    Parameters
    ----------
    path
        The file.
    name
        How to name it in messages (``places.csv``, ``od/trade_flows.csv``).

    Returns
    -------
    str

    Raises
    ------
    DataError
        If it is missing, not a file, too large (:data:`MAX_FILE_BYTES`), or not UTF-8
        (``name:line: not valid UTF-8 ...``).

    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"{name}: file not found in {path.parent}") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot read: {exc.strerror}") from None
    if not path.is_file():
        raise DataError(f"{name}: not a file")
    if size > MAX_FILE_BYTES:
        raise DataError(f"{name}: {size:,} bytes, larger than the {MAX_FILE_BYTES:,}-byte limit")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{name}: cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"{name}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column}); save the file as UTF-8"
        ) from None


def csv_rows(text: str, name: str, columns: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Parse CSV text into ``(line, row)`` pairs, checking the header and the shape of each row.

    Raises
    ------
    DataError
        On a missing column, a row with more or fewer fields than the header, a control
        character (such as NUL) in a field, an over-long field or a malformed line, each as
        ``name:line: message``.

    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise DataError(f"{name}:1: not a readable CSV header: {exc}") from None
    if not header:
        raise DataError(f"{name}: empty file (no header row)")
    header = [h.strip() for h in header]
    reader.fieldnames = header
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"{name}:1: missing column(s): {', '.join(missing)}")
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = f"a field is longer than {MAX_FIELD_CHARS:,} characters"
            raise DataError(f"{name}:{reader.line_num}: {reason}") from None
        line = reader.line_num
        if None in values:
            raise DataError(f"{name}:{line}: more fields than columns ({len(header)})")
        if not any((v or "").strip() for v in values.values()):
            continue
        if any(v is None for v in values.values()):
            raise DataError(f"{name}:{line}: fewer fields than columns ({len(header)}); is the line cut short?")
        bad = next((k for k, v in values.items() if _CONTROL.search(v)), None)
        if bad is not None:
            raise DataError(f"{name}:{line}: column {bad} holds a control character (such as NUL)")
        yield line, values


def _read_rows(
    directory: Path, name: str, columns: tuple[str, ...], problems: list[Problem], optional: bool = False
) -> Iterator[_RowReader]:
    """Yield a reader per data row of a CSV file; report unreadable files and rows.

    An ``optional`` file that does not exist yields nothing and is no problem.
    """
    if optional and not (directory / name).exists():
        return
    try:
        text = read_text_file(directory / name, name)
        for line, values in csv_rows(text, name, columns):
            yield _RowReader(name, line, values, problems)
    except DataError as exc:
        problems.append(_problem_of(exc))


def _problem_of(exc: DataError) -> Problem:
    """A ``file:row: message`` error as a :class:`Problem`."""
    file, _, rest = exc.message.partition(":")
    row, sep, message = rest.partition(":")
    if sep and row.strip().isdigit():
        return Problem(file, int(row), message.strip())
    return Problem(file, 0, rest.strip())


def _parse_via(r: _RowReader) -> tuple[Waypoint, ...]:
    points = []
    for item in r.names("via"):
        parts = item.rsplit(":", 2)
        try:
            name, lat, lon = parts[0].strip(), float(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            r.problem(f"via item '{item}' is not Name:lat:lon")
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            r.problem(f"via item '{item}' is outside lat/lon range")
            continue
        points.append(Waypoint(name, lat, lon))
    return tuple(points)


def parse_places(directory: Path, problems: list[Problem]) -> list[Place]:
    """Parse ``places.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, PLACES_FILE, PLACE_COLUMNS, problems):
        lat = r.number("lat", low=-90, high=90)
        lon = r.number("lon", low=-180, high=180)
        place = Place(
            id=r.text("id"),
            name=r.text("name"),
            aliases=r.names("aliases"),
            country=r.text("country").upper(),
            lat=lat if lat is not None else math.nan,
            lon=lon if lon is not None else math.nan,
            kind=r.choice("kind", PLACE_KINDS),
            provenance=r.provenance(),
            row=r.row,
            railhead=r.text("railhead", required=False),
        )
        out.append(place)
    return out


def parse_edges(directory: Path, problems: list[Problem]) -> list[Edge]:
    """Parse ``edges.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, EDGES_FILE, EDGE_COLUMNS, problems):
        mode = r.choice("mode", MODES)
        gauge = r.gauge("gauge_mm", required=mode == "rail")
        if mode == "road" and gauge is not None:
            r.problem("a road edge has a gauge_mm")
        road_class = r.choice("road_class", ROAD_CLASSES, required=mode == "road") or None
        status = r.choice("status", STATUSES)
        project = r.text("project", required=False)
        if status in ("planned", "under_construction") and not project:
            r.problem(f"a {status} edge needs a project id")
        distance = r.number("distance_km")
        speed = r.number("speed_kmh", required=False)
        if speed is not None and speed <= 0:
            r.problem("speed_kmh must be positive")
        out.append(
            Edge(
                id=r.text("id"),
                from_id=r.text("from"),
                to_id=r.text("to"),
                mode=mode,
                gauge_mm=gauge,
                road_class=road_class,
                country=r.text("country").upper(),
                distance_km=distance if distance is not None else math.nan,
                speed_kmh=speed,
                status=status,
                project=project,
                via=_parse_via(r),
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


def parse_crossings(directory: Path, problems: list[Problem]) -> list[Crossing]:
    """Parse ``crossings.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, CROSSINGS_FILE, CROSSING_COLUMNS, problems):
        modes = r.names("modes")
        for m in modes:
            if m not in MODES:
                r.problem(f"modes '{m}' is not one of {', '.join(MODES)}")
        modes = tuple(m for m in modes if m in MODES)
        if not modes:
            r.problem("modes is empty")
        has_road, has_rail = "road" in modes, "rail" in modes
        gauge = r.gauge("rail_gauge_mm", required=has_rail)
        road_time = r.number("road_time_h", required=has_road)
        rail_time = r.number("rail_time_h", required=has_rail)
        road_fee = r.number("road_fee_usd_per_truck", required=has_road)
        rail_fee = r.number("rail_fee_usd_per_wagon", required=has_rail)
        prob = r.number("closure_prob", low=0.0, high=1.0)
        transload = r.choice("transload", ("yes", "no"))
        status = r.choice("status", STATUSES)
        project = r.text("project", required=False)
        if status in ("planned", "under_construction") and not project:
            r.problem(f"a {status} crossing needs a project id")
        out.append(
            Crossing(
                id=r.text("id"),
                name=r.text("name"),
                aliases=r.names("aliases"),
                af_place=r.text("af_place"),
                partner_place=r.text("partner_place"),
                modes=modes,
                rail_gauge_mm=gauge,
                road_time_h=road_time,
                rail_time_h=rail_time,
                road_fee_usd_per_truck=road_fee,
                rail_fee_usd_per_wagon=rail_fee,
                capacity_trucks_per_day=r.number("capacity_trucks_per_day", required=False),
                closure_prob=prob if prob is not None else 0.0,
                closure_mean_days=r.number("closure_mean_days") or 0.0,
                closure_group=r.text("closure_group", required=False),
                transload=transload == "yes",
                status=status,
                project=project,
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


def parse_groups(directory: Path, problems: list[Problem]) -> list[ClosureGroup]:
    """Parse ``closure_groups.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, GROUPS_FILE, GROUP_COLUMNS, problems):
        prob = r.number("closure_prob", low=0.0, high=1.0)
        out.append(
            ClosureGroup(
                id=r.text("id"),
                name=r.text("name"),
                closure_prob=prob if prob is not None else 0.0,
                closure_mean_days=r.number("closure_mean_days") or 0.0,
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


def parse_terminals(directory: Path, problems: list[Problem]) -> list[Terminal]:
    """Parse ``terminals.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, TERMINALS_FILE, TERMINAL_COLUMNS, problems):
        from_layer = r.choice("from_layer", LAYERS)
        to_layer = r.choice("to_layer", LAYERS)
        if from_layer and from_layer == to_layer:
            r.problem("from_layer and to_layer are the same")
        kind = r.choice("kind", TERMINAL_KINDS)
        if kind == "gauge_break" and "road" in (from_layer, to_layer):
            r.problem("a gauge_break joins two rail layers")
        if kind == "transload" and "road" not in (from_layer, to_layer):
            r.problem("a transload joins road and a rail layer")
        cargo = r.names("cargo") or ("all",)
        for c in cargo:
            if c != "all" and c not in CARGO_PROFILES:
                r.problem(f"cargo '{c}' is not all or one of {', '.join(CARGO_PROFILES)}")
        out.append(
            Terminal(
                place=r.text("place"),
                from_layer=from_layer,
                to_layer=to_layer,
                kind=kind,
                cost_usd_per_t=r.number("cost_usd_per_t") or 0.0,
                time_h=r.number("time_h") or 0.0,
                cargo=cargo,
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


def parse_map_layers(directory: Path, problems: list[Problem]) -> list[MapLayer]:
    """Parse the optional ``map_layers.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, MAP_LAYERS_FILE, MAP_LAYER_COLUMNS, problems, optional=True):
        via = _parse_via(r)
        if len(via) < 2:
            r.problem("via needs at least two points")
        out.append(
            MapLayer(
                id=r.text("id"),
                name=r.text("name"),
                kind=r.choice("kind", MAP_LAYER_KINDS),
                status=r.choice("status", STATUSES),
                project=r.text("project", required=False),
                via=via,
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date(r: _RowReader) -> str:
    value = r.text("date")
    if value and not _DATE.match(value):
        r.problem(f"date '{value}' is not YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def parse_ports(directory: Path, problems: list[Problem]) -> list[Port]:
    """Parse the optional ``ports.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, PORTS_FILE, PORT_COLUMNS, problems, optional=True):
        out.append(
            Port(
                place=r.text("place"),
                dwell_h=r.number("dwell_h", high=24.0 * 365) or 0.0,
                handling_usd_per_t=r.number("handling_usd_per_t", high=1e4) or 0.0,
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


def parse_observed_volumes(directory: Path, problems: list[Problem]) -> list[ObservedVolume]:
    """Parse the optional ``observed_volumes.csv``; field problems are appended to ``problems``."""
    out = []
    for r in _read_rows(directory, OBSERVED_VOLUMES_FILE, OBSERVED_VOLUME_COLUMNS, problems, optional=True):
        counts = {
            c: r.number(c, required=False, high=1e6) for c in ("trucks_per_day", "wagons_per_day", "tonnes_per_day")
        }
        if all(v is None for v in counts.values()):
            r.problem("give at least one of trucks_per_day, wagons_per_day, tonnes_per_day")
        out.append(
            ObservedVolume(
                crossing=r.text("crossing"),
                mode=r.choice("mode", MODES),
                direction=r.choice("direction", DIRECTIONS),
                date=_date(r),
                provenance=r.provenance(),
                row=r.row,
                **counts,
            )
        )
    return out


def parse_observations(directory: Path, problems: list[Problem]) -> list[Observation]:
    """Parse the optional ``observations.csv``; field problems are appended to ``problems``.

    Place names, crossing ids and scenario names are checked against the other files by
    :func:`corridors.validate.integrity_problems`.
    """
    out = []
    for r in _read_rows(directory, OBSERVATIONS_FILE, OBSERVATION_COLUMNS, problems, optional=True):
        metric = r.choice("metric", OBSERVATION_METRICS)
        observed = r.text("observed")
        tolerance = r.number("tolerance", required=metric in NUMERIC_METRICS, high=10.0)
        if metric in NUMERIC_METRICS:
            try:
                value = float(observed)
                if not (math.isfinite(value) and value > 0):
                    r.problem(f"observed {observed} must be a positive number for {metric}")
            except ValueError:
                r.problem(f"observed '{observed}' is not a number (metric {metric})")
            if tolerance is not None and tolerance <= 0:
                r.problem("tolerance must be positive")
        elif metric == "main_mode" and observed and observed not in MODES:
            r.problem(f"observed '{observed}' is not one of {', '.join(MODES)} (metric main_mode)")
        modes = (
            r.names("modes")
            if ";" in r.text("modes", False)
            else tuple(m.strip() for m in r.text("modes", False).split(",") if m.strip())
        )
        for m in modes:
            if m not in MODES:
                r.problem(f"modes '{m}' is not one of {', '.join(MODES)}")
        cargo = r.text("cargo", required=False) or "general"
        if cargo not in CARGO_PROFILES:
            r.problem(f"cargo '{cargo}' is not one of {', '.join(CARGO_PROFILES)}")
        tonnes = r.number("tonnes", required=False, high=1e6)
        if tonnes is not None and tonnes <= 0:
            r.problem("tonnes must be positive")
        out.append(
            Observation(
                id=r.text("id"),
                origin=r.text("origin"),
                destination=r.text("destination"),
                cargo=cargo,
                modes=modes,
                tonnes=tonnes,
                scenario=r.text("scenario", required=False),
                metric=metric,
                observed=observed,
                tolerance=tolerance,
                date=_date(r),
                provenance=r.provenance(),
                row=r.row,
            )
        )
    return out


_TOML_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*(\"[^\"]*\"|[A-Za-z0-9_.-]+)\s*=")


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def toml_error_line(exc: tomllib.TOMLDecodeError) -> tuple[int, str]:
    """The line number of a TOML error and its message without the position."""
    text = str(exc)
    m = _TOML_AT.search(text)
    return (int(m.group(1)), text[: m.start()]) if m else (0, text)


def toml_key_lines(text: str) -> dict[str, int]:
    """Line numbers of the keys of a simple TOML file (tables and ``key = ...`` lines).

    Good enough for messages about ``costs.toml``: dotted table headers and bare or quoted
    keys; a key it cannot place is simply not in the result.
    """
    out: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _TOML_TABLE.match(line)
        if m and not line.lstrip().startswith("[["):
            table = m.group(1).replace(" ", "")
            out.setdefault(table, number)
            continue
        m = _TOML_KEY.match(line)
        if m:
            key = m.group(1).strip('"')
            out.setdefault(f"{table}.{key}" if table else key, number)
    return out


def _walk_params(table: dict[str, Any], prefix: str, out: CostParams, problems: list[Problem]) -> None:
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        line = out.lines.get(path, out.lines.get(prefix, 0))
        if isinstance(value, dict) and "value" in value:
            number = value.get("value")
            if isinstance(number, bool) or not isinstance(number, int | float):
                problems.append(Problem(COSTS_FILE, line, f"{path}: value is not a number"))
                continue
            if not math.isfinite(number) or number < 0:
                problems.append(Problem(COSTS_FILE, line, f"{path}: value {number} is negative or not finite"))
                continue
            quality = str(value.get("quality", ""))
            source = str(value.get("source", "")).strip()
            note = str(value.get("note", "")).strip()
            if not source:
                problems.append(Problem(COSTS_FILE, line, f"{path}: no source"))
            if quality not in QUALITIES:
                problems.append(
                    Problem(COSTS_FILE, line, f"{path}: quality '{quality}' is not one of {', '.join(QUALITIES)}")
                )
            elif quality == "EST" and not note:
                problems.append(Problem(COSTS_FILE, line, f"{path}: an estimate needs its reasoning in note"))
            out.params[path] = Param(float(number), Provenance(source, quality, note))
        elif isinstance(value, dict):
            _walk_params(value, path, out, problems)
        elif isinstance(value, str):
            out.descriptions[path.rsplit(".", 1)[0]] = value
        else:
            problems.append(Problem(COSTS_FILE, line, f"{path}: expected {{ value = …, source = … }}"))


def parse_costs(directory: Path, problems: list[Problem]) -> CostParams:
    """Parse ``costs.toml`` into :class:`CostParams`; problems are appended to ``problems``."""
    costs = CostParams(params={})
    try:
        text = read_text_file(directory / COSTS_FILE, COSTS_FILE)
    except DataError as exc:
        problems.append(_problem_of(exc))
        return costs
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(exc)
        problems.append(Problem(COSTS_FILE, line, f"not valid TOML: {message}"))
        return costs
    costs.lines = toml_key_lines(text)
    before = len(problems)
    _walk_params(raw, "", costs, problems)
    if not costs.params and len(problems) == before:
        problems.append(Problem(COSTS_FILE, 0, "no parameters (an empty file?)"))
    return costs


def parse_all(directory: str | Path) -> tuple[GeoData, list[Problem]]:
    """Parse every geodata file, returning the records and every field problem found.

    Parameters
    ----------
    directory
        The geodata directory.

    Returns
    -------
    tuple of (GeoData, list of Problem)
        Records are keyed by id; of duplicate ids the first is kept and the rest reported.

    """
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        what = "not a directory (give the geodata folder)" if directory.exists() else "no such directory"
        problems.append(Problem(str(directory), 0, what))
        empty = CostParams(params={})
        return GeoData(directory, {}, {}, {}, {}, [], empty), problems
    places = parse_places(directory, problems)
    edges = parse_edges(directory, problems)
    crossings = parse_crossings(directory, problems)
    groups = parse_groups(directory, problems)
    terminals = parse_terminals(directory, problems)
    costs = parse_costs(directory, problems)
    map_layers = parse_map_layers(directory, problems)
    ports = parse_ports(directory, problems)
    volumes = parse_observed_volumes(directory, problems)
    observations = parse_observations(directory, problems)
    return (
        GeoData(
            directory=directory,
            places=_index(places, PLACES_FILE, problems),
            edges=_index(edges, EDGES_FILE, problems),
            crossings=_index(crossings, CROSSINGS_FILE, problems),
            groups=_index(groups, GROUPS_FILE, problems),
            terminals=terminals,
            costs=costs,
            map_layers=_index(map_layers, MAP_LAYERS_FILE, problems),
            ports=_index(ports, PORTS_FILE, problems),
            observed_volumes=volumes,
            observations=_index(observations, OBSERVATIONS_FILE, problems),
        ),
        problems,
    )


def _index(records: list[Any], file: str, problems: list[Problem]) -> dict[str, Any]:
    """Key records by id, reporting empty and duplicate ids."""
    out: dict[str, Any] = {}
    for rec in records:
        if not rec.id:
            continue
        if rec.id in out:
            problems.append(Problem(file, rec.row, f"duplicate id {rec.id} (first on row {out[rec.id].row})"))
            continue
        out[rec.id] = rec
    return out


def default_geodata_dir() -> Path:
    """Return the geodata directory: ``$CORRIDORS_GEODATA`` or the one shipped with the repo.

    Returns
    -------
    pathlib.Path

    """
    env = os.environ.get("CORRIDORS_GEODATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "geodata"
        if (candidate / PLACES_FILE).exists():
            return candidate
    packaged = here.parent / "geodata"
    return packaged


#: Cost parameters that divide (speeds, payloads): zero would break every route.
POSITIVE_PARAMS: tuple[str, ...] = (
    "road.speed_kmh.*",
    "rail.speed_kmh.*",
    "road.class_speed_factor.*",
    "connector.speed_kmh",
    "connector.detour_factor",
    "rail.wagon_payload_t",
    "cargo.*.payload_t",
)
#: Upper bounds that no real figure reaches: a value above one is a typo or a corrupted file.
LIMITS: dict[str, float] = {
    "distance_km": 5_000.0,
    "speed_kmh": 300.0,
    "time_h": 24.0 * 120,
    "fee_usd": 100_000.0,
    "closure_mean_days": 3_650.0,
    "capacity": 1_000_000.0,
    "cost_usd_per_t": 10_000.0,
    "param": 1_000_000.0,
}


def value_problems(data: GeoData) -> list[Problem]:
    """Figures that parse but cannot be true: zero divisors, lengths of zero, absurd sizes.

    Run on every load and again after each scenario (a scenario's ``set`` can write a zero
    speed); the parse step already reports negative and non-numeric values.

    Parameters
    ----------
    data
        Geodata, possibly changed by scenarios.

    Returns
    -------
    list of Problem

    """
    out: list[Problem] = []

    def check(file: str, row: int, what: str, value: float | None, limit: str, positive: bool = False) -> None:
        if value is None or value != value or value < 0:
            return
        if positive and value == 0:
            out.append(Problem(file, row, f"{what} is 0; it must be positive"))
        elif value > LIMITS[limit]:
            out.append(Problem(file, row, f"{what} {value:g} is above the limit {LIMITS[limit]:g}"))

    for e in data.edges.values():
        check(EDGES_FILE, e.row, f"edge {e.id}: distance_km", e.distance_km, "distance_km", positive=True)
        check(EDGES_FILE, e.row, f"edge {e.id}: speed_kmh", e.speed_kmh, "speed_kmh", positive=True)
    for c in data.crossings.values():
        for fld in ("road_time_h", "rail_time_h"):
            check(CROSSINGS_FILE, c.row, f"crossing {c.id}: {fld}", getattr(c, fld), "time_h")
        for fld in ("road_fee_usd_per_truck", "rail_fee_usd_per_wagon"):
            check(CROSSINGS_FILE, c.row, f"crossing {c.id}: {fld}", getattr(c, fld), "fee_usd")
        check(CROSSINGS_FILE, c.row, f"crossing {c.id}: closure_mean_days", c.closure_mean_days, "closure_mean_days")
        check(CROSSINGS_FILE, c.row, f"crossing {c.id}: capacity_trucks_per_day", c.capacity_trucks_per_day, "capacity")
    for g in data.groups.values():
        check(GROUPS_FILE, g.row, f"group {g.id}: closure_mean_days", g.closure_mean_days, "closure_mean_days")
    for t in data.terminals:
        check(TERMINALS_FILE, t.row, f"terminal {t.place}: cost_usd_per_t", t.cost_usd_per_t, "cost_usd_per_t")
        check(TERMINALS_FILE, t.row, f"terminal {t.place}: time_h", t.time_h, "time_h")
    for p in data.ports.values():
        check(PORTS_FILE, p.row, f"port {p.place}: handling_usd_per_t", p.handling_usd_per_t, "cost_usd_per_t")
        check(PORTS_FILE, p.row, f"port {p.place}: dwell_h", p.dwell_h, "time_h")
    for key, param in data.costs.params.items():
        positive = any(fnmatch.fnmatchcase(key, pattern) for pattern in POSITIVE_PARAMS)
        check(COSTS_FILE, data.costs.lines.get(key, 0), key, param.value, "param", positive=positive)
    return out
