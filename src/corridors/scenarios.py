"""What-if scenarios: close crossings, edges or places, open planned projects, change figures.

A scenario is a TOML file in ``geodata/scenarios/`` (or anywhere, given by path)::

    name = "torkham-closed"
    description = "Torkham shut to freight, as in Feb-Mar 2025"
    source = "https://..."

    [close]
    crossings = ["TRK"]          # a crossing id, or "ID:mode" for one mode ("HAI:rail")
    edges = ["AF-R-SAN-SAS"]     # edge ids
    places = ["SPIN_BOLDAK"]     # every edge, crossing and terminal at the place

    [open]
    projects = ["TAR"]           # planned links and crossings of these projects

    [set]                        # replace a figure
    "crossing.TRK.road_time_h" = 72
    "costs.road.speed_kmh.AF" = 25

    [scale]                      # multiply a figure ("*" matches every key at that level)
    "costs.road.cost_usd_per_truck_km.*" = 1.2

Targets of ``set`` and ``scale``: ``crossing.ID.FIELD`` (times, fees, capacity, closure
figures), ``group.ID.closure_prob|closure_mean_days``, ``edge.ID.distance_km|speed_kmh``,
``terminal.PLACE.cost_usd_per_t|time_h`` and ``costs.<path>`` (any number in costs.toml).
Scenarios apply in order; each returns new geodata and leaves the old untouched.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corridors.data import GeoData, Param, read_text_file, toml_error_line, value_problems
from corridors.errors import DataError, UnknownPlaceError, UsageError

SCENARIO_DIR = "scenarios"
CROSSING_FIELDS = (
    "road_time_h",
    "rail_time_h",
    "road_fee_usd_per_truck",
    "rail_fee_usd_per_wagon",
    "capacity_trucks_per_day",
    "closure_prob",
    "closure_mean_days",
)
GROUP_FIELDS = ("closure_prob", "closure_mean_days")
EDGE_FIELDS = ("distance_km", "speed_kmh")
TERMINAL_FIELDS = ("cost_usd_per_t", "time_h")
PROBABILITY_FIELDS = ("closure_prob",)


@dataclass(frozen=True)
class Scenario:
    """A set of changes to the network.

    Attributes
    ----------
    name
        Short name (the file stem for shipped scenarios).
    description
        One line for reports.
    close_crossings
        Crossing ids, or ``ID:mode`` to close one mode only.
    close_edges
        Edge ids.
    close_places
        Place ids: every edge, crossing and terminal there closes.
    open_projects
        Planned project ids to build.
    set_values, scale_values
        Figures to replace or multiply, keyed by target (see module docs).
    source
        Where the scenario's facts come from.

    """

    name: str
    description: str = ""
    close_crossings: tuple[str, ...] = ()
    close_edges: tuple[str, ...] = ()
    close_places: tuple[str, ...] = ()
    open_projects: tuple[str, ...] = ()
    set_values: dict[str, float] = field(default_factory=dict)
    scale_values: dict[str, float] = field(default_factory=dict)
    source: str = ""


def scenario_dir(geodata_dir: Path) -> Path:
    """Folder of the shipped scenarios."""
    return Path(geodata_dir) / SCENARIO_DIR


def available(geodata_dir: Path) -> list[str]:
    """Names of the scenarios shipped in ``geodata/scenarios/``."""
    folder = scenario_dir(geodata_dir)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise DataError(f"{where}: expected a list of strings")
    return tuple(raw)


def _numbers(raw: Any, where: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a table of numbers")
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise DataError(f"{where}: {key} = {value!r} is not a finite number")
        out[key] = float(value)
    return out


def parse_scenario(text: str, name: str) -> Scenario:
    """Parse the TOML text of a scenario.

    Raises
    ------
    DataError
        If the text is not valid TOML or a field has the wrong type.

    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(exc)
        raise DataError(f"scenario {name}:{line}: not valid TOML: {message}") from None
    known = {"name", "description", "source", "close", "open", "set", "scale"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise DataError(f"scenario {name}: unknown key(s) {', '.join(unknown)}")
    close = raw.get("close", {}) or {}
    opened = raw.get("open", {}) or {}
    for table, value in (("close", close), ("open", opened)):
        if not isinstance(value, dict):
            raise DataError(f"scenario {name}: [{table}] must be a table, not {type(value).__name__}")
    for key in ("name", "description", "source"):
        if key in raw and not isinstance(raw[key], str):
            raise DataError(f"scenario {name}: {key} must be a string")
    for table, value, allowed in (("close", close, ("crossings", "edges", "places")), ("open", opened, ("projects",))):
        extra = sorted(set(value) - set(allowed))
        if extra:
            raise DataError(f"scenario {name}: unknown key(s) in [{table}]: {', '.join(extra)}")
    return Scenario(
        name=str(raw.get("name", name)),
        description=str(raw.get("description", "")),
        close_crossings=_strings(close.get("crossings"), f"scenario {name}: close.crossings"),
        close_edges=_strings(close.get("edges"), f"scenario {name}: close.edges"),
        close_places=_strings(close.get("places"), f"scenario {name}: close.places"),
        open_projects=_strings(opened.get("projects"), f"scenario {name}: open.projects"),
        set_values=_numbers(raw.get("set"), f"scenario {name}: set"),
        scale_values=_numbers(raw.get("scale"), f"scenario {name}: scale"),
        source=str(raw.get("source", "")),
    )


def load_scenario(name_or_file: str, geodata_dir: Path) -> Scenario:
    """Load a shipped scenario by name, or a scenario file by path.

    Parameters
    ----------
    name_or_file
        ``torkham-closed`` (a file in ``geodata/scenarios/``) or a path to a ``.toml`` file.
    geodata_dir
        The geodata directory.

    Raises
    ------
    UsageError
        If there is no such scenario (the shipped names are listed).
    DataError
        If the file is malformed.

    """
    path = Path(name_or_file)
    if not (path.suffix == ".toml" and path.exists()):
        path = scenario_dir(geodata_dir) / f"{name_or_file}.toml"
    if not path.exists():
        names = ", ".join(available(geodata_dir)) or "none shipped"
        raise UsageError(f"unknown scenario '{name_or_file}' (shipped: {names}; or give a .toml path)")
    return parse_scenario(read_text_file(path, f"scenario {path}"), path.stem)


def from_flags(close: Iterable[str] = (), open_projects: Iterable[str] = ()) -> Scenario:
    """A scenario made from ``--close ID`` and ``--open PROJECT`` flags.

    ``--close`` takes a crossing id (or ``ID:mode``), an edge id or a place id; which one is
    decided when the scenario is applied.
    """
    return Scenario(name="command line", close_crossings=tuple(close), open_projects=tuple(open_projects))


def projects(data: GeoData) -> set[str]:
    """Every project id named by an edge or a crossing."""
    return {e.project for e in data.edges.values() if e.project} | {
        c.project for c in data.crossings.values() if c.project
    }


def _unknown(kind: str, value: str, options: Iterable[str], scenario: Scenario) -> UnknownPlaceError:
    """A record the scenario names does not exist (exit code 3, like an unknown place)."""
    close = difflib.get_close_matches(value, sorted(options), n=3, cutoff=0.5)
    return UnknownPlaceError(f"scenario '{scenario.name}': unknown {kind} '{value}'", close)


def _bad_key(kind: str, value: str, options: Iterable[str], scenario: Scenario) -> DataError:
    """The scenario file names a field, kind or parameter the schema lacks (exit code 5: a bad file)."""
    close = difflib.get_close_matches(value, sorted(options), n=3, cutoff=0.7)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; use one of {', '.join(sorted(options)[:12])}"
    return DataError(f"scenario '{scenario.name}': unknown {kind} '{value}'{hint}")


def apply_scenario(data: GeoData, scenario: Scenario) -> tuple[GeoData, set[str]]:
    """Apply one scenario to geodata.

    Parameters
    ----------
    data
        The geodata (not modified).
    scenario
        The changes.

    Returns
    -------
    tuple of (GeoData, set of str)
        The changed geodata and the projects the scenario opens.

    Raises
    ------
    UnknownPlaceError
        A closure or target names a crossing, edge, place or project that does not exist.
    DataError
        A value is out of range (a probability outside [0, 1], a negative figure).

    """
    crossings = dict(data.crossings)
    edges = dict(data.edges)
    groups = dict(data.groups)
    terminals = list(data.terminals)
    costs = copy.copy(data.costs)
    costs.params = dict(data.costs.params)

    def close_crossing(cid: str, mode: str | None) -> None:
        c = crossings[cid]
        if mode is None:
            crossings[cid] = replace(c, status="closed")
            return
        if mode not in c.modes:
            raise UnknownPlaceError(
                f"scenario '{scenario.name}': crossing {cid} has no {mode} mode (it serves {', '.join(c.modes)})"
            )
        modes = tuple(m for m in c.modes if m != mode)
        crossings[cid] = replace(c, modes=modes, status=c.status if modes else "closed")

    for item in scenario.close_crossings:
        cid, _, mode = item.partition(":")
        if cid.upper() in crossings:
            close_crossing(cid.upper(), mode or None)
        elif item in edges:
            edges[item] = replace(edges[item], status="closed")
        elif item.upper() in data.places:
            _close_place(item.upper(), edges, crossings, terminals)
        else:
            raise _unknown("crossing, edge or place", item, list(crossings) + list(edges) + list(data.places), scenario)
    for eid in scenario.close_edges:
        if eid not in edges:
            raise _unknown("edge", eid, edges, scenario)
        edges[eid] = replace(edges[eid], status="closed")
    for pid in scenario.close_places:
        if pid.upper() not in data.places:
            raise _unknown("place", pid, data.places, scenario)
        _close_place(pid.upper(), edges, crossings, terminals)
    known_projects = projects(data)
    for project in scenario.open_projects:
        if project not in known_projects:
            raise _unknown("project", project, known_projects, scenario)

    for key, value in scenario.set_values.items():
        _change(key, lambda _old, v=value: v, scenario, crossings, groups, edges, terminals, costs)
    for key, factor in scenario.scale_values.items():
        if factor < 0:
            raise DataError(f"scenario '{scenario.name}': scale {key} = {factor:g} is negative")
        _change(key, lambda old, f=factor: old * f, scenario, crossings, groups, edges, terminals, costs)

    new = replace(data, crossings=crossings, edges=edges, groups=groups, terminals=terminals, costs=costs)
    bad = value_problems(new)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise DataError(f"scenario '{scenario.name}' makes {bad[0].message}{more}")
    return new, set(scenario.open_projects)


def _close_place(pid: str, edges: dict, crossings: dict, terminals: list) -> None:
    for eid, e in list(edges.items()):
        if pid in (e.from_id, e.to_id):
            edges[eid] = replace(e, status="closed")
    for cid, c in list(crossings.items()):
        if pid in (c.af_place, c.partner_place):
            crossings[cid] = replace(c, status="closed")
    terminals[:] = [t for t in terminals if t.place != pid]


def _check_value(key: str, value: float, scenario: Scenario) -> float:
    if not math.isfinite(value) or value < 0:
        raise DataError(f"scenario '{scenario.name}': {key} = {value:g} must be a non-negative number")
    if key.endswith(PROBABILITY_FIELDS) and value > 1:
        raise DataError(f"scenario '{scenario.name}': {key} = {value:g} is a probability outside [0, 1]")
    return value


def _change(
    key: str, fn: Any, scenario: Scenario, crossings: dict, groups: dict, edges: dict, terminals: list, costs: Any
) -> None:
    kind, _, rest = key.partition(".")
    if kind == "costs":
        matches = [k for k in costs.params if fnmatch.fnmatchcase(k, rest)]
        if not matches:
            raise _bad_key("cost parameter", rest, costs.params, scenario)
        for k in matches:
            old = costs.params[k]
            costs.params[k] = Param(_check_value(key, fn(old.value), scenario), old.provenance)
        return
    rec_id, _, fld = rest.rpartition(".")
    tables: dict[str, tuple[dict, tuple[str, ...]]] = {
        "crossing": (crossings, CROSSING_FIELDS),
        "group": (groups, GROUP_FIELDS),
        "edge": (edges, EDGE_FIELDS),
    }
    if kind == "terminal":
        if fld not in TERMINAL_FIELDS:
            raise _bad_key("terminal field", fld, TERMINAL_FIELDS, scenario)
        hits = [i for i, t in enumerate(terminals) if t.place == rec_id]
        if not hits:
            raise _unknown("terminal place", rec_id, {t.place for t in terminals}, scenario)
        for i in hits:
            t = terminals[i]
            terminals[i] = replace(t, **{fld: _check_value(key, fn(getattr(t, fld)), scenario)})
        return
    if kind not in tables:
        raise _bad_key("target kind", kind, [*tables, "terminal", "costs"], scenario)
    table, fields = tables[kind]
    if rec_id not in table:
        raise _unknown(kind, rec_id, table, scenario)
    if fld not in fields:
        raise _bad_key(f"{kind} field", fld, fields, scenario)
    rec = table[rec_id]
    old = getattr(rec, fld)
    table[rec_id] = replace(rec, **{fld: _check_value(key, fn(old if old is not None else 0.0), scenario)})


def apply_all(data: GeoData, scenarios: Sequence[Scenario]) -> tuple[GeoData, set[str]]:
    """Apply scenarios in order; return the geodata and every project they open."""
    opened: set[str] = set()
    for s in scenarios:
        data, more = apply_scenario(data, s)
        opened |= more
    return data, opened
