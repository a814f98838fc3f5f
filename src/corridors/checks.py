"""Checks on loaded geodata, and the checked loader every command reads geodata through.

:func:`load_problems` runs each time geodata is loaded (:func:`load_geodata`): references
between files, values, ids, geometry against distances, the demand files and the shipped
scenarios. It sits above :mod:`corridors.data` (parsing), :mod:`corridors.scenarios` and
:mod:`corridors.demand`, and below the network: :mod:`corridors.validate` adds the check that
needs routes (connectivity of the required corridors).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path

from corridors.data import (
    CARGO_PROFILES,
    COSTS_FILE,
    CROSSING_METRICS,
    CROSSINGS_FILE,
    EDGES_FILE,
    OBSERVATIONS_FILE,
    OBSERVED_VOLUMES_FILE,
    PLACES_FILE,
    PORTS_FILE,
    TERMINALS_FILE,
    GeoData,
    Problem,
    default_geodata_dir,
    parse_all,
    value_problems,
)
from corridors.demand import OD_DIR, load_flows
from corridors.errors import CorridorsError, DataError, UnknownPlaceError
from corridors.geo import haversine_km, polyline_km
from corridors.io import atomic_write_bytes
from corridors.places import PlaceIndex, parse_latlon
from corridors.queues import QueueParams, load_capacities
from corridors.scenarios import SCENARIO_DIR, apply_all, available, load_scenario

#: An edge may be at most this many times its endpoints' great-circle distance...
MAX_DETOUR = 2.5
#: ...unless its note explains the detour with this word.
DETOUR_WORD = "detour"
#: The line drawn through an edge's via points may exceed its distance by this share.
GEOMETRY_SLACK = 1.10


def integrity_problems(data: GeoData) -> list[Problem]:
    """Return problems in how the records of ``data`` refer to each other.

    Parameters
    ----------
    data
        Parsed geodata.

    Returns
    -------
    list of Problem

    """
    out: list[Problem] = []
    places = data.places
    for e in data.edges.values():
        for end in (e.from_id, e.to_id):
            if end and end not in places:
                out.append(Problem(EDGES_FILE, e.row, f"edge {e.id}: unknown place {end}"))
            elif end and places[end].country != e.country:
                out.append(
                    Problem(
                        EDGES_FILE,
                        e.row,
                        f"edge {e.id}: place {end} is in {places[end].country}, not {e.country}; a border is a crossing, not an edge",
                    )
                )
        if e.from_id and e.from_id == e.to_id:
            out.append(Problem(EDGES_FILE, e.row, f"edge {e.id} joins {e.from_id} to itself"))
    for c in data.crossings.values():
        ends = [(c.af_place, "af_place"), (c.partner_place, "partner_place")]
        for pid, col in ends:
            if pid and pid not in places:
                out.append(Problem(CROSSINGS_FILE, c.row, f"crossing {c.id}: {col} {pid} is not a place"))
        a, b = places.get(c.af_place), places.get(c.partner_place)
        if a and b:
            if a.country == b.country:
                out.append(Problem(CROSSINGS_FILE, c.row, f"crossing {c.id} joins two places in {a.country}"))
            elif b.country == "AF":
                out.append(
                    Problem(CROSSINGS_FILE, c.row, f"crossing {c.id}: the Afghan place {b.id} belongs in af_place")
                )
        if c.closure_group and c.closure_group not in data.groups:
            out.append(Problem(CROSSINGS_FILE, c.row, f"crossing {c.id}: unknown closure_group {c.closure_group}"))
    for t in data.terminals:
        if t.place and t.place not in places:
            out.append(Problem(TERMINALS_FILE, t.row, f"terminal at unknown place {t.place}"))
    for p in places.values():
        if p.railhead and p.railhead not in places:
            out.append(Problem(PLACES_FILE, p.row, f"place {p.id}: railhead {p.railhead} is not a place"))
        elif p.railhead == p.id:
            out.append(Problem(PLACES_FILE, p.row, f"place {p.id} is its own railhead"))
    for port in data.ports.values():
        if port.place not in places:
            out.append(Problem(PORTS_FILE, port.row, f"port at unknown place {port.place}"))
        elif places[port.place].kind != "port":
            out.append(Problem(PORTS_FILE, port.row, f"place {port.place} is a {places[port.place].kind}, not a port"))
    for v in data.observed_volumes:
        c = data.crossings.get(v.crossing)
        if c is None:
            out.append(Problem(OBSERVED_VOLUMES_FILE, v.row, f"unknown crossing {v.crossing}"))
        elif v.mode and v.mode not in c.modes:
            out.append(Problem(OBSERVED_VOLUMES_FILE, v.row, f"crossing {v.crossing} has no {v.mode} mode"))
    out += _observation_problems(data)
    out += _cost_problems(data)
    out += value_problems(data)
    out += _id_problems(data)
    return out


#: Ids are upper-case ASCII so that two spellings of one id cannot sit side by side.
_ID = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")
_EDGE_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


def _id_problems(data: GeoData) -> list[Problem]:
    """Ids in the documented form, and terminals listed once."""
    out: list[Problem] = []
    for file, records, pattern, form in (
        (PLACES_FILE, data.places.values(), _ID, "UPPER_SNAKE (A-Z, 0-9, _)"),
        (CROSSINGS_FILE, data.crossings.values(), _ID, "upper case (A-Z, 0-9, _)"),
        (EDGES_FILE, data.edges.values(), _EDGE_ID, "upper case (A-Z, 0-9, _ and -)"),
    ):
        for rec in records:
            if rec.id and not pattern.match(rec.id):
                out.append(Problem(file, rec.row, f"id '{rec.id}' is not {form}"))
    seen: dict[tuple[str, str, str], int] = {}
    for t in data.terminals:
        key = (t.place, *sorted((t.from_layer, t.to_layer)))
        if key in seen:
            out.append(
                Problem(
                    TERMINALS_FILE, t.row, f"terminal {t.place} {t.from_layer}<->{t.to_layer} repeats row {seen[key]}"
                )
            )
        else:
            seen[key] = t.row
    return out


def _observation_problems(data: GeoData) -> list[Problem]:
    """Observations must name places that resolve, known crossings and shipped scenarios."""
    if not data.observations:
        return []
    index = PlaceIndex(data)
    scenario_dir = data.directory / "scenarios"
    out: list[Problem] = []
    for o in data.observations.values():
        for text in (o.origin, o.destination):
            if not text or parse_latlon(text) is not None:
                continue
            try:
                index.endpoint(text)
            except UnknownPlaceError as exc:
                out.append(Problem(OBSERVATIONS_FILE, o.row, f"observation {o.id}: {exc.message}"))
        if o.metric in CROSSING_METRICS:
            for cid in o.observed.split("|"):
                if cid.strip() not in data.crossings:
                    out.append(Problem(OBSERVATIONS_FILE, o.row, f"observation {o.id}: unknown crossing {cid.strip()}"))
        for name in filter(None, (s.strip() for s in o.scenario.split(";"))):
            if not (scenario_dir / f"{name}.toml").exists():
                out.append(Problem(OBSERVATIONS_FILE, o.row, f"observation {o.id}: no scenario {name} in scenarios/"))
    return out


def _cost_problems(data: GeoData) -> list[Problem]:
    costs = data.costs
    if not costs.params:
        return []  # the parse step already reported the missing or broken file
    needed: set[str] = set()
    for e in data.edges.values():
        if e.mode == "road":
            needed.add(f"road.cost_usd_per_truck_km.{e.country}")
            if e.speed_kmh is None:
                needed.add(f"road.speed_kmh.{e.country}")
                needed.add(f"road.class_speed_factor.{e.road_class}")
        elif e.mode == "rail":
            needed.add(f"rail.tariff_usd_per_tkm.{e.country}")
            if e.speed_kmh is None:
                needed.add(f"rail.speed_kmh.{e.country}")
    needed |= {"rail.wagon_payload_t", "crossing.transload_cost_usd_per_t", "crossing.transload_time_h"}
    needed |= {"connector.detour_factor", "connector.speed_kmh"}
    for cargo in CARGO_PROFILES:
        for key in ("payload_t", "value_of_time_usd_per_t_h", "road_cost_factor", "rail_cost_factor"):
            needed.add(f"cargo.{cargo}.{key}")
    out = [Problem(COSTS_FILE, 0, f"missing parameter {k}") for k in sorted(needed - costs.params.keys())]
    for cargo in CARGO_PROFILES:
        key = f"cargo.{cargo}.payload_t"
        if key in costs.params and costs.params[key].value <= 0:
            out.append(Problem(COSTS_FILE, 0, f"{key} must be positive"))
    return out


def load_problems(data: GeoData) -> list[Problem]:
    """Every check that runs each time geodata is loaded: all of ``validate`` but connectivity.

    References, values, ids, geometry, the demand files and the shipped scenarios, so that no
    command runs on data that ``validate`` rejects. Connectivity of the required corridors
    (one route solve per corridor) is left to ``validate``: an unconnected pair does not
    break any command, its route request simply exits 4.
    """
    return (
        integrity_problems(data)
        + geometry_problems(data)
        + demand_problems(data)
        + scenario_problems(data)
        + capacity_problems(data)
    )


def capacity_problems(data: GeoData) -> list[Problem]:
    """Problems of the queue parameters and ``crossing_capacity.csv`` (read by ``assign``)."""
    if not data.costs.has("queue", "default_opening_hours"):
        return []  # a network without the load model: assign says what is missing
    try:
        load_capacities(data, QueueParams.from_costs(data.costs))
    except DataError as exc:
        return [problem_of(exc)]
    return []


def geometry_problems(data: GeoData) -> list[Problem]:
    """Return problems of edge lengths against their endpoints and via points.

    An edge's ``distance_km`` must be at least the great-circle distance between its ends,
    at most :data:`MAX_DETOUR` times it (unless the note explains the detour), and not
    shorter than the line through its via points by more than :data:`GEOMETRY_SLACK`.
    """
    out: list[Problem] = []
    for e in data.edges.values():
        a, b = data.places.get(e.from_id), data.places.get(e.to_id)
        if not a or not b or e.distance_km != e.distance_km:
            continue
        direct = haversine_km(a.lat, a.lon, b.lat, b.lon)
        if e.distance_km + 0.5 < direct:
            out.append(
                Problem(
                    EDGES_FILE,
                    e.row,
                    f"edge {e.id}: distance_km {e.distance_km:g} is shorter than the great-circle distance {direct:.1f} km",
                )
            )
        elif e.distance_km > MAX_DETOUR * direct + 1.0 and DETOUR_WORD not in e.provenance.note.lower():
            out.append(
                Problem(
                    EDGES_FILE,
                    e.row,
                    f"edge {e.id}: distance_km {e.distance_km:g} is more than {MAX_DETOUR}x the great-circle distance {direct:.1f} km and the note does not explain the detour",
                )
            )
        if not e.via:
            continue
        line = polyline_km([(a.lon, a.lat), *((w.lon, w.lat) for w in e.via), (b.lon, b.lat)])
        if line > GEOMETRY_SLACK * e.distance_km + 1.0:
            out.append(
                Problem(
                    EDGES_FILE,
                    e.row,
                    f"edge {e.id}: the line through its via points is {line:.0f} km, longer than distance_km {e.distance_km:g}; check the via coordinates",
                )
            )
    for c in data.crossings.values():
        a, b = data.places.get(c.af_place), data.places.get(c.partner_place)
        if a and b and haversine_km(a.lat, a.lon, b.lat, b.lon) > 25.0:
            out.append(
                Problem(
                    CROSSINGS_FILE,
                    c.row,
                    f"crossing {c.id}: its two places are {haversine_km(a.lat, a.lon, b.lat, b.lon):.0f} km apart (more than 25 km)",
                )
            )
    return out


def problem_of(exc: Exception) -> Problem:
    """A ``file:row: message`` error as a :class:`Problem`."""
    message = getattr(exc, "message", str(exc))
    file, _, rest = message.partition(":")
    row, sep, text = rest.partition(":")
    if sep and row.strip().isdigit():
        return Problem(file, int(row), text.strip())
    return Problem(file, 0, rest.strip())


def scenario_problems(data: GeoData) -> list[Problem]:
    """Every shipped scenario must parse and apply to the data (known ids, values in range)."""
    out: list[Problem] = []
    for name in available(data.directory):
        where = f"{SCENARIO_DIR}/{name}.toml"
        try:
            apply_all(data, [load_scenario(name, data.directory)])
        except CorridorsError as exc:
            out.append(Problem(where, getattr(exc, "line", 0) or 0, exc.message))
    return out


def demand_problems(data: GeoData) -> list[Problem]:
    """Problems of the shipped demand file: unreadable rows, unknown places."""
    out: list[Problem] = []
    folder = data.directory / OD_DIR
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        name = f"{OD_DIR}/{path.name}"
        try:
            flows = load_flows(path, name)
        except DataError as exc:
            out.append(problem_of(exc))
            continue
        for row, f in enumerate(flows, start=2):
            for end in (f.origin, f.destination):
                if end not in data.places:
                    out.append(Problem(name, row, f"unknown place {end} (use place ids)"))
    return out


def load_geodata(directory: str | Path | None = None) -> GeoData:
    """Read and check a geodata directory.

    Parameters
    ----------
    directory
        The directory; default :func:`default_geodata_dir`.

    Returns
    -------
    GeoData

    Raises
    ------
    DataError
        If any file is missing or malformed, or the records do not fit together (duplicate
        ids, references to unknown places). The message names the first problem and how many
        there are; ``python -m corridors validate`` lists them all.

    """
    folder = Path(directory if directory is not None else default_geodata_dir())
    cache = cache_dir() if folder.resolve() == Path(default_geodata_dir()).resolve() else None
    key = _content_key(folder) if cache is not None else ""
    if cache is not None:
        try:
            with (cache / f"geodata-{key}.pickle").open("rb") as fh:
                data = pickle.load(fh)
            if isinstance(data, GeoData):
                return data
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass  # no copy yet (or an unreadable one): parse and check
    data, problems = parse_all(folder)
    if not problems:
        problems += load_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more; run 'python -m corridors validate')" if len(problems) > 1 else ""
        raise DataError(f"{problems[0]}{more}")
    if cache is not None:
        _store(cache, key, data)
    return data


#: Environment variable: the folder of the checked-geodata cache, or ``off`` for none.
CACHE_ENV = "CORRIDORS_CACHE"


def cache_dir() -> Path | None:
    """Where :func:`load_geodata` keeps the shipped geodata as checked: ``$CORRIDORS_CACHE``.

    Default ``$XDG_CACHE_HOME/corridors`` (``~/.cache/corridors``); ``CORRIDORS_CACHE=off``
    turns the cache off. Only the default geodata directory is cached, one copy at a time,
    keyed by the content of every file under it and of the package's own source, so an edit
    to either is a miss: the copy is exactly what parsing and checking would return.
    """
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no") else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "corridors"


def _content_key(folder: Path) -> str:
    """Hash of every file under ``folder`` (names and bytes) and of the package's source files."""
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for root, files in ((package, sorted(package.rglob("*.py"))), (folder, sorted(folder.rglob("*")))):
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _store(cache: Path, key: str, data: GeoData) -> None:
    """Keep ``data`` as the one cached copy (written atomically; a cache that cannot be written is skipped)."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("geodata-*.pickle"):
            if old.name != f"geodata-{key}.pickle":
                old.unlink(missing_ok=True)
        atomic_write_bytes(cache / f"geodata-{key}.pickle", pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
