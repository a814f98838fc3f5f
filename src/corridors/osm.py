"""Detailed networks from OpenStreetMap extracts: read, build, save, load and conflate.

A *detailed network* is the road (and optionally rail) graph of an OSM extract, built once
with :func:`build_network` and stored under the user data directory, then loaded with
:func:`load_osm_network` on top of the geodata, so that the crossings, terminals, penalties,
closures and scenarios of ``geodata/`` apply to it unchanged.

Building
    ``.osm`` XML is read with :func:`osmnx.graph_from_xml` and simplified with
    :func:`osmnx.simplify_graph`; ``.osm.pbf`` is streamed with pyosmium, its ways split at
    junctions by the same endpoint rule (:func:`split_ways`), and turned into a graph with
    :func:`osmnx.graph_from_gdfs`. Each layer (``road``, ``rail1520``, ``rail1435``,
    ``rail1676``) is its own osmnx graph with integer OSM node ids. Every node gets the
    country of the nearest geodata place (the same rule on both sides of a border post), and
    raw segments whose two ends lie in different countries are cut before simplification: the
    border can then only be crossed through the crossings of ``geodata/crossings.csv``, with
    their times, fees and closures.

Speeds
    Road: the country's freight speed (``costs.toml [road.speed_kmh]``) times the class factor
    (``[road.class_speed_factor]``) of the OSM highway class (:data:`HIGHWAY_CLASSES`), capped
    by the posted limit (``maxspeed:hgv``, else ``maxspeed``) where one is tagged: the CPMM
    speeds are measured truck speeds, which a limit can lower but not raise. Rail: the
    country's rail speed, capped the same way.

Storage
    A compact columnar format (``graph.npz`` + ``meta.json``, see :class:`DetailedGraph`)
    rather than GraphML: for a million edges GraphML is several times larger and takes minutes
    and gigabytes to parse back (every attribute a string), while the arrays load in seconds
    and carry exactly what conflation needs. :func:`read_osm` still returns osmnx graphs, which
    ``osmnx.save_graphml`` accepts.

Conflation (:class:`OSMNetwork`)
    The corridor graph of the geodata is built as usual (:func:`corridors.network.build_graph`)
    and laid over the detailed graph. Each place node (``PLACE:layer``) is snapped to the
    nearest detailed node of its layer and country within a tolerance and joined to it by a
    connector edge (the straight distance times the connector detour factor, as for a
    ``LAT,LON`` endpoint). Crossing and transfer edges are kept exactly as built. A geodata
    road or rail edge is dropped when the detailed graph replaces it (both ends snapped and
    connected in the detailed layer) and kept otherwise, so places outside the extract (or on a
    layer the extract lacks) stay reachable through their geodata links. Node ids stay
    ``PLACE:layer`` for places and are ``node/OSMID:layer`` for OSM nodes; edge ids are
    ``way/OSMID``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from corridors.data import LAYERS, GeoData, load_geodata
from corridors.errors import DataError, UsageError
from corridors.geo import EARTH_RADIUS_KM, haversine_km
from corridors.network import CRS, Network, build_graph, node_id
from corridors.places import PlaceIndex
from corridors.routing import Restrictions, Router

if TYPE_CHECKING:
    import geopandas as gpd
    from scipy.sparse import csr_matrix

    from corridors.costs import CostModel
    from corridors.data import CostParams
    from corridors.route import Route
    from corridors.routing import Endpoint
    from corridors.scenarios import Scenario

log = logging.getLogger(__name__)

#: OSM highway classes that may be built, mapped to the road classes of ``costs.toml``.
#: Trunk roads are the national highways the CPMM speeds were measured on (``primary``);
#: tertiary and unclassified roads get the lowest non-mountain factor (``secondary``).
HIGHWAY_CLASSES: dict[str, str] = {
    "motorway": "motorway",
    "trunk": "primary",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "secondary",
    "unclassified": "secondary",
}
for _cls, _road in list(HIGHWAY_CLASSES.items()):
    if _cls != "unclassified":
        HIGHWAY_CLASSES[f"{_cls}_link"] = _road
#: Highway classes built by default (each with its ``_link`` variant).
DEFAULT_HIGHWAYS: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")
#: Track gauges (mm) that become rail layers.
RAIL_GAUGES: tuple[int, ...] = (1520, 1435, 1676)
#: Default snapping tolerance of geodata places, in kilometres.
DEFAULT_TOLERANCE_KM = 5.0
#: Version of the stored format (``meta.json`` ``format_version``).
FORMAT_VERSION = 1

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}  # as osmnx
_REVERSED_VALUES = {"-1", "reverse", "T"}
_WAY_TAGS = ("highway", "railway", "gauge", "oneway", "junction", "maxspeed", "maxspeed:hgv", "name", "ref")
_EARTH_RADIUS_M = 6_371_009.0  # osmnx's great-circle radius, so lengths match osmnx


# ---------------------------------------------------------------------------------------
# options
# ---------------------------------------------------------------------------------------
def parse_bbox(text: str | Sequence[float]) -> tuple[float, float, float, float]:
    """Parse a bounding box ``W,S,E,N`` (decimal degrees).

    Parameters
    ----------
    text
        ``"W,S,E,N"`` or a sequence of four numbers.

    Returns
    -------
    tuple of (west, south, east, north)

    Raises
    ------
    UsageError
        If it is not four numbers with west < east and south < north inside lon/lat range.

    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise UsageError(f"--bbox must be W,S,E,N (four numbers), not '{text}'") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise UsageError(f"--bbox {west:g},{south:g},{east:g},{north:g} needs W < E and S < N within lon/lat range")
    return west, south, east, north


def parse_highways(classes: str | Iterable[str] = DEFAULT_HIGHWAYS) -> tuple[str, ...]:
    """Expand highway classes with their ``_link`` variants and check them.

    Parameters
    ----------
    classes
        Comma-separated text or a sequence, e.g. ``"motorway,trunk,primary"``.

    Returns
    -------
    tuple of str

    Raises
    ------
    UsageError
        For a class that is not in :data:`HIGHWAY_CLASSES`.

    """
    items = [c.strip() for c in (classes.split(",") if isinstance(classes, str) else classes) if c.strip()]
    if not items:
        raise UsageError("--highways needs at least one highway class")
    out: list[str] = []
    for c in items:
        if c not in HIGHWAY_CLASSES:
            known = ", ".join(k for k in HIGHWAY_CLASSES if not k.endswith("_link"))
            raise UsageError(f"unknown highway class '{c}'; choose from: {known}")
        out += [c] + ([f"{c}_link"] if f"{c}_link" in HIGHWAY_CLASSES else [])
    return tuple(dict.fromkeys(out))


def parse_maxspeed(value: Any) -> float:
    """Speed limit in km/h from an OSM ``maxspeed`` value, NaN when there is no number.

    ``"60"``, ``"60 km/h"``, ``"40 mph"`` and ``"50;70"`` (the lower) are read; implicit
    zone codes (``"RU:urban"``), ``"none"`` and ``"signals"`` give NaN.

    Parameters
    ----------
    value
        The tag value (a list, as osmnx aggregates, gives the lowest).

    Returns
    -------
    float

    """
    if value is None:
        return math.nan
    if isinstance(value, list | tuple):
        speeds = [parse_maxspeed(v) for v in value]
        finite = [s for s in speeds if math.isfinite(s)]
        return min(finite) if finite else math.nan
    best = math.nan
    for part in str(value).split(";"):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*", part)
        if not m:
            continue
        speed = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
        if speed > 0 and not speed >= best:
            best = speed
    return best


def parse_gauges(value: str | None) -> list[str]:
    """The gauges of an OSM ``gauge`` value (``"1520;1435"`` is dual gauge)."""
    return [g.strip() for g in (value or "").split(";") if g.strip()]


# ---------------------------------------------------------------------------------------
# where networks live
# ---------------------------------------------------------------------------------------
def data_root(data_dir: str | Path | None = None) -> Path:
    """The user data directory: ``data_dir``, ``$CORRIDORS_DATA``, or ``~/.local/share/corridors``.

    ``$XDG_DATA_HOME`` replaces ``~/.local/share`` when set.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("CORRIDORS_DATA")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(base) / "corridors"


def network_dir(name: str, data_dir: str | Path | None = None) -> Path:
    """Folder of the detailed network ``name``: ``<data root>/networks/NAME``.

    Raises
    ------
    UsageError
        If ``name`` is not a plain name (letters, digits, ``_ . -``).

    """
    if not _NAME.match(name or ""):
        raise UsageError(f"network name '{name}' must be letters, digits, '_', '.' or '-' (at most 64)")
    return data_root(data_dir) / "networks" / name


def list_networks(data_dir: str | Path | None = None) -> list[str]:
    """Names of the detailed networks built under the data root."""
    folder = data_root(data_dir) / "networks"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "meta.json").is_file())


def network_info(name: str, data_dir: str | Path | None = None) -> dict[str, Any]:
    """The build report of a stored network (``meta.json``): source, options, counts, skipped gauges."""
    path = network_dir(name, data_dir) / "meta.json"
    if not path.is_file():
        raise UsageError(f"no detailed network '{name}' in {path.parent.parent}; build it first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"detailed network '{name}' is damaged ({exc}); build it again") from None


# ---------------------------------------------------------------------------------------
# countries
# ---------------------------------------------------------------------------------------
def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord) / 2))


class CountryLocator:
    """Gives a point the country of the nearest geodata place (great-circle distance).

    Border posts come in pairs on both sides of each crossing, so near a crossing the
    boundary between their nearest-place regions follows the border.

    Parameters
    ----------
    data
        Geodata whose places (and their countries) are used.

    """

    def __init__(self, data: GeoData) -> None:
        from scipy.spatial import cKDTree

        places = [p for p in data.places.values() if math.isfinite(p.lat) and math.isfinite(p.lon)]
        if not places:
            raise DataError("geodata has no places to assign countries from")
        self.countries: list[str] = sorted({p.country for p in places})
        code = {c: i for i, c in enumerate(self.countries)}
        self._place_country = np.array([code[p.country] for p in places], dtype=np.int16)
        self._tree = cKDTree(_unit_vectors([p.lon for p in places], [p.lat for p in places]))

    def codes(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Country index (into :attr:`countries`) of each point."""
        if len(lon) == 0:
            return np.zeros(0, dtype=np.int16)
        _, idx = self._tree.query(_unit_vectors(lon, lat))
        return self._place_country[idx]


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
@dataclass
class BuildReport:
    """What a build read, kept and skipped (stored in ``meta.json``).

    Attributes
    ----------
    ways
        Ways used per layer.
    unknown_gauges
        Rail ways skipped, by gauge value (``"(none)"`` for a missing tag).
    border_segments_cut
        Raw segments dropped because their ends lie in different countries.
    nodes, edges
        Per layer, after simplification.

    """

    ways: dict[str, int] = field(default_factory=dict)
    unknown_gauges: dict[str, int] = field(default_factory=dict)
    border_segments_cut: int = 0
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report as short lines of text."""
        out = [f"{layer}: {self.nodes.get(layer, 0):,} nodes, {n:,} edges" for layer, n in self.edges.items()]
        if self.border_segments_cut:
            out.append(f"{self.border_segments_cut:,} segments crossing a border outside the crossings were cut")
        for gauge, n in sorted(self.unknown_gauges.items()):
            out.append(f"skipped {n:,} railway way(s) with unknown gauge {gauge}")
        return out


@dataclass
class OSMGraphs:
    """The simplified osmnx graphs of an extract, one per layer, and the build report."""

    graphs: dict[str, nx.MultiDiGraph]
    report: BuildReport


def _file_kind(path: Path) -> str:
    """``xml`` or ``pbf``, from the suffix or the first bytes."""
    name = path.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith((".osm", ".xml", ".osm.bz2", ".osm.gz")):
        return "xml"
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "xml" if head.startswith(b"<") else "pbf"


def _check_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"OSM file not found: {path}")
    if not path.is_file():
        raise UsageError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise UsageError(f"{path} is empty")
    return path


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _way_layers(tags: Mapping[str, str], highways: frozenset[str], rail: bool, unknown: Counter[str]) -> list[str]:
    """Layers a way belongs to (none, ``road``, or one rail layer per known gauge)."""
    if tags.get("highway") in highways:
        return ["road"]
    if rail and tags.get("railway") == "rail":
        layers = []
        gauges = parse_gauges(tags.get("gauge"))
        for g in gauges or ["(none)"]:
            if g.isdigit() and int(g) in RAIL_GAUGES:
                layers.append(f"rail{g}")
            else:
                unknown[g] += 1
        return layers
    return []


@dataclass
class RawWays:
    """Ways as flat arrays: the input of :func:`split_ways`.

    Node order is already the direction of travel for reversed one-ways (``oneway=-1``).

    Attributes
    ----------
    osmid, oneway, attrs
        Per way: OSM id, one-way flag, index into ``attr_table``.
    offsets
        Start of each way in the node arrays (length ways + 1).
    refs, lon, lat, valid
        Per node reference: OSM node id, coordinates, and whether the location is known.
    attr_table
        Distinct attribute dicts (``highway``/``railway``, ``maxspeed``, ``name`` ...).

    """

    osmid: np.ndarray
    oneway: np.ndarray
    attrs: np.ndarray
    offsets: np.ndarray
    refs: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    valid: np.ndarray
    attr_table: list[dict[str, Any]]


class _WayCollector:
    """Accumulates ways of one layer into flat arrays."""

    def __init__(self) -> None:
        from array import array

        self.osmid, self.oneway, self.attrs = array("q"), array("b"), array("l")
        self.offsets = array("q", [0])
        self.refs, self.lon, self.lat, self.valid = array("q"), array("d"), array("d"), array("b")
        self.attr_index: dict[tuple[tuple[str, Any], ...], int] = {}

    def add(self, osmid: int, attrs: dict[str, Any], nodes: list[tuple[int, float, float, bool]]) -> None:
        oneway = attrs.get("oneway") in _ONEWAY_VALUES or attrs.get("junction") == "roundabout"
        if oneway and attrs.get("oneway") in _REVERSED_VALUES:
            nodes = nodes[::-1]
        key = tuple(sorted(attrs.items()))
        self.osmid.append(osmid)
        self.oneway.append(oneway)
        self.attrs.append(self.attr_index.setdefault(key, len(self.attr_index)))
        for ref, lon, lat, ok in nodes:
            self.refs.append(ref)
            self.lon.append(lon)
            self.lat.append(lat)
            self.valid.append(ok)
        self.offsets.append(len(self.refs))

    def result(self) -> RawWays:
        table = [dict(k) for k in self.attr_index]
        return RawWays(
            osmid=np.frombuffer(self.osmid, dtype=np.int64).copy(),
            oneway=np.frombuffer(self.oneway, dtype=np.int8).astype(bool),
            attrs=np.array(self.attrs, dtype=np.int64),
            offsets=np.frombuffer(self.offsets, dtype=np.int64).copy(),
            refs=np.frombuffer(self.refs, dtype=np.int64).copy(),
            lon=np.frombuffer(self.lon, dtype=np.float64).copy(),
            lat=np.frombuffer(self.lat, dtype=np.float64).copy(),
            valid=np.frombuffer(self.valid, dtype=np.int8).astype(bool),
            attr_table=table,
        )


def _read_pbf_ways(
    path: Path, highways: frozenset[str], rail: bool, unknown: Counter[str], progress: bool
) -> dict[str, RawWays]:
    """Stream the highway and railway ways of a PBF (or any file pyosmium reads) with locations."""
    import osmium
    from tqdm import tqdm

    collectors: dict[str, _WayCollector] = {}
    keys = ("highway", "railway") if rail else ("highway",)
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        with tqdm(desc="reading ways", unit=" ways", disable=not progress, file=sys.stderr, leave=False) as bar:
            for n, way in enumerate(processor, 1):
                if n % 4096 == 0:
                    bar.update(4096)
                tags = {t.k: t.v for t in way.tags if t.k in _WAY_TAGS}
                layers = _way_layers(tags, highways, rail, unknown)
                if not layers:
                    continue
                nodes = []
                for nd in way.nodes:
                    loc = nd.location
                    if loc.valid():
                        nodes.append((nd.ref, loc.lon, loc.lat, True))
                    else:
                        nodes.append((nd.ref, 0.0, 0.0, False))
                attrs = {k: v for k, v in tags.items() if k not in ("junction",) or v == "roundabout"}
                for layer in layers:
                    collectors.setdefault(layer, _WayCollector()).add(way.id, attrs, nodes)
    except (RuntimeError, ValueError, OSError) as exc:
        raise UsageError(f"{path}: not a readable OSM file ({_one_line(exc)})") from None
    return {layer: c.result() for layer, c in collectors.items()}


def split_ways(
    ways: RawWays, countries: CountryLocator, bbox: tuple[float, float, float, float] | None = None
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int]:
    """Split ways at junctions into simplified edges, as ``osmnx.simplify_graph`` would.

    A node ends an edge when osmnx's rules make it an endpoint of the raw graph (a dead end,
    not exactly two neighbours with degree 2 or 4, in- or out-degree zero) or when ways
    meet there (``edge_attrs_differ=["osmid"]``), so an edge never spans two ways. Nodes
    outside ``bbox`` or without a location are dropped, and so are segments whose ends lie in
    different countries; isolated rings are removed.

    Parameters
    ----------
    ways
        Ways of one layer.
    countries
        Gives each node its country.
    bbox
        ``(west, south, east, north)``; None keeps everything.

    Returns
    -------
    tuple of (nodes GeoDataFrame, edges GeoDataFrame, segments cut at borders)
        In the form :func:`osmnx.graph_from_gdfs` takes: nodes indexed by ``osmid`` with
        ``x``, ``y``, ``country``; edges indexed by ``(u, v, key)``.

    """
    import geopandas as gpd
    import osmnx as ox
    import pandas as pd
    import shapely

    n_ways = len(ways.osmid)
    counts = np.diff(ways.offsets)
    wid = np.repeat(np.arange(n_ways), counts)
    refs, lon, lat, valid = ways.refs, ways.lon, ways.lat, ways.valid.copy()
    # drop consecutive repeats of a node inside a way (osmnx does the same)
    first = np.zeros(len(refs), dtype=bool)
    first[ways.offsets[:-1][counts > 0]] = True
    keep = first | np.r_[True, refs[1:] != refs[:-1]]
    wid, refs, lon, lat, valid = wid[keep], refs[keep], lon[keep], lat[keep], valid[keep]
    if bbox is not None:
        w, s, e, n = bbox
        valid &= (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)
    country = np.full(len(refs), -1, dtype=np.int16)
    country[valid] = countries.codes(lon[valid], lat[valid])

    # segment i joins positions i and i+1 of the same way
    same_way = wid[1:] == wid[:-1]
    both_valid = valid[1:] & valid[:-1]
    seg_ok = same_way & both_valid & (country[1:] == country[:-1])
    cut_mask = same_way & both_valid & (country[1:] != country[:-1])
    cut = len({(min(a, b), max(a, b)) for a, b in zip(refs[:-1][cut_mask], refs[1:][cut_mask], strict=True)})

    used = np.zeros(len(refs), dtype=bool)
    used[:-1] |= seg_ok
    used[1:] |= seg_ok
    node_refs, node_of = np.unique(refs[used], return_inverse=True)
    node = np.full(len(refs), -1, dtype=np.int64)
    node[used] = node_of
    n_nodes = len(node_refs)
    node_x = np.zeros(n_nodes)
    node_y = np.zeros(n_nodes)
    node_country = np.zeros(n_nodes, dtype=np.int16)
    node_x[node[used]] = lon[used]
    node_y[node[used]] = lat[used]
    node_country[node[used]] = country[used]

    # endpoints, by the raw graph's degrees
    sa, sb = node[:-1][seg_ok], node[1:][seg_ok]
    one = ways.oneway[wid[:-1][seg_ok]]
    out_deg = np.bincount(sa, minlength=n_nodes) + np.bincount(sb[~one], minlength=n_nodes)
    in_deg = np.bincount(sb, minlength=n_nodes) + np.bincount(sa[~one], minlength=n_nodes)
    lo, hi = np.minimum(sa, sb), np.maximum(sa, sb)
    pairs = np.unique(np.column_stack((lo, hi))[lo != hi], axis=0) if len(lo) else np.zeros((0, 2), dtype=np.int64)
    neighbours = np.bincount(pairs[:, 0], minlength=n_nodes) + np.bincount(pairs[:, 1], minlength=n_nodes)
    self_loop = np.zeros(n_nodes, dtype=bool)
    self_loop[sa[sa == sb]] = True
    seg_osmid = ways.osmid[wid[:-1][seg_ok]]
    node_way = np.unique(np.column_stack((np.r_[sa, sb], np.r_[seg_osmid, seg_osmid])), axis=0)
    n_osmids = np.bincount(node_way[:, 0], minlength=n_nodes) if len(node_way) else np.zeros(n_nodes, dtype=np.int64)
    degree = in_deg + out_deg
    endpoint = (
        self_loop
        | (in_deg == 0)
        | (out_deg == 0)
        | ~((neighbours == 2) & ((degree == 2) | (degree == 4)))
        | (n_osmids > 1)
    )

    if not seg_ok.any():
        empty = gpd.GeoDataFrame(
            {"osmid": []}, index=pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"]), geometry=[], crs=CRS
        )
        return gpd.GeoDataFrame({"y": [], "x": []}, geometry=[], crs=CRS), empty, cut

    # runs: maximal chains of valid segments inside one way, as position sequences
    starts = np.flatnonzero(seg_ok & ~np.r_[False, seg_ok[:-1]])
    ends = np.flatnonzero(seg_ok & ~np.r_[seg_ok[1:], False]) + 1
    lengths = ends - starts + 1
    seq = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths) + np.arange(lengths.sum())
    run_of = np.repeat(np.arange(len(starts)), lengths)
    run_start = np.r_[0, np.cumsum(lengths)[:-1]]
    run_end = run_start + lengths - 1
    # a closed run whose closing node is not an endpoint is a ring: rotate it to start at an
    # endpoint, or drop it if it has none (an isolated ring, as osmnx's remove_rings)
    bad = np.flatnonzero(~endpoint[node[seq[run_start]]])
    if len(bad):
        seq_list, run_list = [], []
        drop = np.zeros(len(starts), dtype=bool)
        for r in bad:
            pos = seq[run_start[r] : run_end[r] + 1]
            flags = endpoint[node[pos]]
            if node[pos[0]] == node[pos[-1]] and flags.any():
                k = int(np.argmax(flags))
                seq_list.append(np.r_[pos[k:], pos[1 : k + 1]])
                run_list.append(r)
            drop[r] = True
        keep_pos = ~drop[run_of]
        seq = np.concatenate([seq[keep_pos], *seq_list]) if seq_list else seq[keep_pos]
        run_of = np.concatenate(
            [run_of[keep_pos], *[np.full(len(s), r) for s, r in zip(seq_list, run_list, strict=True)]]
        )
        change = np.r_[True, run_of[1:] != run_of[:-1]]
        run_start = np.flatnonzero(change)
        run_end = np.r_[run_start[1:] - 1, len(seq) - 1]

    is_bound = endpoint[node[seq]]
    is_bound[run_start] = True
    is_bound[run_end] = True
    bounds = np.flatnonzero(is_bound)
    pair_ok = run_of[bounds[1:]] == run_of[bounds[:-1]]
    p0, p1 = bounds[:-1][pair_ok], bounds[1:][pair_ok]

    seg_len = np.zeros(len(seq))
    step = run_of[1:] == run_of[:-1]
    seg_len[1:][step] = ox.distance.great_circle(
        lat[seq[:-1]][step], lon[seq[:-1]][step], lat[seq[1:]][step], lon[seq[1:]][step], earth_radius=_EARTH_RADIUS_M
    )
    cum = np.cumsum(seg_len)
    length = cum[p1] - cum[p0]
    way = wid[seq[p0]]
    oneway = ways.oneway[way]

    # directed edges: forward for every piece, backward for two-way pieces
    fwd_u, fwd_v = node[seq[p0]], node[seq[p1]]
    two = ~oneway
    u = np.r_[fwd_u, fwd_v[two]]
    v = np.r_[fwd_v, fwd_u[two]]
    e_way = np.r_[way, way[two]]
    e_len = np.r_[length, length[two]]
    e_rev = np.r_[np.zeros(len(p0), dtype=bool), np.ones(int(two.sum()), dtype=bool)]
    g_start = np.r_[p0, p1[two]]
    g_end = np.r_[p1, p0[two]]
    npts = np.abs(g_end - g_start) + 1
    direction = np.where(g_end >= g_start, 1, -1)
    edge_of_pt = np.repeat(np.arange(len(u)), npts)
    offset = np.arange(npts.sum()) - np.repeat(np.r_[0, np.cumsum(npts)[:-1]], npts)
    pts = seq[np.repeat(g_start, npts) + offset * np.repeat(direction, npts)]
    geometry = shapely.linestrings(lon[pts], lat[pts], indices=edge_of_pt) if len(u) else []

    order = np.lexsort((np.arange(len(u)), v, u))
    key = np.zeros(len(u), dtype=np.int64)
    if len(u):
        su, sv = u[order], v[order]
        new = np.r_[True, (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])]
        grp = np.cumsum(new) - 1
        key[order] = np.arange(len(u)) - np.flatnonzero(new)[grp]

    columns: dict[str, Any] = {
        "osmid": ways.osmid[e_way],
        "oneway": ways.oneway[e_way],
        "reversed": e_rev,
        "length": e_len,
    }
    attrs = [ways.attr_table[i] for i in ways.attrs[e_way]]
    for tag in sorted({k for a in ways.attr_table for k in a} - {"oneway", "junction"}):
        columns[tag] = pd.array([a.get(tag) for a in attrs], dtype=object)
    index = pd.MultiIndex.from_arrays([node_refs[u], node_refs[v], key], names=["u", "v", "key"])
    edges = gpd.GeoDataFrame(columns, index=index, geometry=geometry, crs=CRS)
    kept = np.unique(np.r_[u, v])
    nodes = gpd.GeoDataFrame(
        {
            "y": node_y[kept],
            "x": node_x[kept],
            "country": np.array(countries.countries, dtype=object)[node_country[kept]],
        },
        index=pd.Index(node_refs[kept], name="osmid"),
        geometry=gpd.points_from_xy(node_x[kept], node_y[kept]),
        crs=CRS,
    )
    return nodes, edges, cut


@contextlib.contextmanager
def _osmnx_way_tags() -> Iterator[None]:
    import osmnx as ox

    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(_WAY_TAGS)
    try:
        yield
    finally:
        ox.settings.useful_tags_way = saved


def _read_xml(
    path: Path,
    highways: frozenset[str],
    rail: bool,
    countries: CountryLocator,
    bbox: tuple[float, float, float, float] | None,
    report: BuildReport,
    progress: bool,
) -> dict[str, nx.MultiDiGraph]:
    """Read OSM XML with osmnx, split it into layers, cut borders and simplify each layer."""
    import xml.sax
    from xml.etree.ElementTree import ParseError

    import osmnx as ox
    from osmnx._errors import InsufficientResponseError
    from tqdm import tqdm

    with path.open("rb") as handle:
        head = handle.read(4096)
    if path.suffix.lower() in (".osm", ".xml") and b"<osm" not in head:
        raise UsageError(f"{path}: not an OSM XML file (no <osm> root element)")
    try:
        with _osmnx_way_tags():
            raw = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except (ParseError, xml.sax.SAXException, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a readable OSM XML file ({_one_line(exc)})") from None
    except InsufficientResponseError:
        raise UsageError(f"{path}: no OSM nodes or ways in the file") from None
    except KeyError:
        raise UsageError(
            f"{path}: ways refer to nodes missing from the file; extract with complete ways "
            "(osmium extract --strategy complete_ways)"
        ) from None

    unknown: Counter[str] = Counter()
    by_layer: dict[str, list[tuple[int, int, int]]] = {}
    seen: set[int] = set()
    for u, v, k, d in raw.edges(keys=True, data=True):
        fresh = d["osmid"] not in seen
        seen.add(d["osmid"])
        layers = _way_layers(d, highways, rail, unknown if fresh else Counter())
        for layer in layers:
            by_layer.setdefault(layer, []).append((u, v, k))
    report.unknown_gauges = dict(unknown)

    graphs: dict[str, nx.MultiDiGraph] = {}
    for layer in tqdm(sorted(by_layer), desc="building layers", disable=not progress, file=sys.stderr, leave=False):
        g = raw.edge_subgraph(by_layer[layer]).copy()
        report.ways[layer] = len({d["osmid"] for _, _, d in g.edges(data=True)})
        ids = list(g.nodes)
        x = np.array([g.nodes[n]["x"] for n in ids])
        y = np.array([g.nodes[n]["y"] for n in ids])
        if bbox is not None:
            w, s, e, n = bbox
            outside = [i for i, ok in zip(ids, (x >= w) & (x <= e) & (y >= s) & (y <= n), strict=True) if not ok]
            g.remove_nodes_from(outside)
            ids = list(g.nodes)
            x = np.array([g.nodes[n]["x"] for n in ids])
            y = np.array([g.nodes[n]["y"] for n in ids])
        codes = countries.codes(x, y)
        nx.set_node_attributes(g, {n: countries.countries[c] for n, c in zip(ids, codes, strict=True)}, "country")
        cross = [(u, v, k) for u, v, k in g.edges(keys=True) if g.nodes[u]["country"] != g.nodes[v]["country"]]
        report.border_segments_cut += len({(min(u, v), max(u, v)) for u, v, _ in cross})
        g.remove_edges_from(cross)
        g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
        if g.number_of_edges() == 0:
            continue
        g = ox.simplify_graph(g, edge_attrs_differ=["osmid"])
        for _, _, d in g.edges(data=True):
            d.pop("junction", None)
        if g.number_of_edges():
            g.graph.update(crs=CRS, layer=layer)
            graphs[layer] = g
    return graphs


def read_osm(
    osm_path: str | Path,
    *,
    geodata: GeoData | str | Path | None = None,
    bbox: str | Sequence[float] | None = None,
    highways: str | Iterable[str] = DEFAULT_HIGHWAYS,
    rail: bool = False,
    progress: bool = False,
) -> OSMGraphs:
    """Read an OSM extract into simplified osmnx graphs, one per layer.

    Parameters
    ----------
    osm_path
        ``.osm`` XML (read by :func:`osmnx.graph_from_xml`) or ``.osm.pbf`` (read by pyosmium).
    geodata
        Geodata (or its directory) whose places give each node its country and whose
        ``costs.toml`` gives the speeds; default the shipped geodata.
    bbox
        ``W,S,E,N``: keep only nodes inside.
    highways
        OSM highway classes to keep (their ``_link`` variants are added).
    rail
        Also build ``railway=rail`` ways, one layer per known ``gauge``.
    progress
        Show progress bars on standard error.

    Returns
    -------
    OSMGraphs
        Graphs with integer OSM node ids (node ``x``, ``y``, ``country``; edge ``osmid``,
        ``highway`` or ``railway``/``gauge``, ``oneway``, ``reversed``, ``length``, ``geometry``
        where simplified, ``maxspeed``, ``name``, ``ref`` where tagged) and, from
        :func:`add_edge_speeds`, ``road_class``, ``country``, ``speed_kph``, ``travel_time``.

    Raises
    ------
    UsageError
        A missing, empty, truncated or non-OSM file; a bounding box with no data; no ways of
        the classes asked.

    """
    path = _check_file(osm_path)
    data = geodata if isinstance(geodata, GeoData) else load_geodata(geodata)
    box = parse_bbox(bbox) if bbox is not None else None
    classes = frozenset(parse_highways(highways))
    countries = CountryLocator(data)
    report = BuildReport()
    if _file_kind(path) == "xml":
        graphs = _read_xml(path, classes, rail, countries, box, report, progress)
    else:
        graphs = _read_pbf(path, classes, rail, countries, box, report, progress)
    if "road" not in graphs:
        what = f"highway ways of classes {','.join(sorted(c for c in classes if not c.endswith('_link')))}"
        where = f" inside bbox {','.join(f'{b:g}' for b in box)}" if box else ""
        raise UsageError(f"{path}: no {what}{where}")
    for layer, g in graphs.items():
        add_edge_speeds(g, data.costs, layer)
        report.nodes[layer] = g.number_of_nodes()
        report.edges[layer] = g.number_of_edges()
    return OSMGraphs(graphs, report)


def _read_pbf(
    path: Path,
    highways: frozenset[str],
    rail: bool,
    countries: CountryLocator,
    bbox: tuple[float, float, float, float] | None,
    report: BuildReport,
    progress: bool,
) -> dict[str, nx.MultiDiGraph]:
    import osmnx as ox
    from tqdm import tqdm

    unknown: Counter[str] = Counter()
    raw = _read_pbf_ways(path, highways, rail, unknown, progress)
    report.unknown_gauges = dict(unknown)
    graphs = {}
    for layer in tqdm(sorted(raw), desc="building layers", disable=not progress, file=sys.stderr, leave=False):
        ways = raw.pop(layer)
        report.ways[layer] = len(ways.osmid)
        nodes, edges, cut = split_ways(ways, countries, bbox)
        del ways
        report.border_segments_cut += cut
        if len(edges) == 0:
            continue
        g = ox.graph_from_gdfs(nodes, edges, graph_attrs={"crs": CRS, "simplified": True, "layer": layer})
        del nodes, edges
        graphs[layer] = g
    return graphs


# ---------------------------------------------------------------------------------------
# speeds
# ---------------------------------------------------------------------------------------
def _country_table(costs: CostParams, countries: Sequence[str], *path: str) -> np.ndarray:
    """``costs[path + (country,)]`` per country (NaN where missing)."""
    return np.array([costs.get(*path, c) if costs.has(*path, c) else math.nan for c in countries])


def _need(values: np.ndarray, used: np.ndarray, countries: Sequence[str], what: str) -> None:
    missing = sorted({countries[c] for c in np.unique(used) if not math.isfinite(values[c])})
    if missing:
        raise DataError(f"costs.toml: missing parameter {what}.{missing[0]} (needed by the detailed network)")


def edge_speeds_kph(
    layer: str,
    road_class: Sequence[str | None],
    country: np.ndarray,
    countries: Sequence[str],
    maxspeed_kph: np.ndarray,
    costs: CostParams,
) -> np.ndarray:
    """Freight speed (km/h) of detailed edges: country speed x class factor, capped by maxspeed.

    Parameters
    ----------
    layer
        ``road`` or a rail layer.
    road_class
        Road class per edge (``motorway``, ``primary``, ``secondary``); ignored for rail.
    country
        Country index per edge, into ``countries``.
    countries
        Country codes.
    maxspeed_kph
        Posted limit per edge, NaN where untagged.
    costs
        ``costs.toml`` parameters.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    DataError
        If ``costs.toml`` lacks the speed of a country or class in use.

    """
    country = np.asarray(country, dtype=np.int64)
    if layer == "road":
        table = _country_table(costs, countries, "road", "speed_kmh")
        _need(table, country, countries, "road.speed_kmh")
        classes = sorted({c for c in road_class if c})
        factor = {c: costs.get("road", "class_speed_factor", c) for c in classes}
        speed = table[country] * np.array([factor[c] for c in road_class], dtype=float)
    else:
        table = _country_table(costs, countries, "rail", "speed_kmh")
        _need(table, country, countries, "rail.speed_kmh")
        speed = table[country].astype(float)
    limit = np.asarray(maxspeed_kph, dtype=float)
    capped = np.isfinite(limit) & (limit > 0)
    return np.where(capped, np.minimum(speed, np.where(capped, limit, np.inf)), speed)


def _edge_maxspeed(d: Mapping[str, Any]) -> float:
    hgv = parse_maxspeed(d.get("maxspeed:hgv"))
    return hgv if math.isfinite(hgv) else parse_maxspeed(d.get("maxspeed"))


def _road_class(highway: Any) -> str:
    if isinstance(highway, list):  # osmnx keeps several values when ways merge
        highway = sorted(highway, key=list(HIGHWAY_CLASSES).index)[0]
    return HIGHWAY_CLASSES.get(highway, "secondary")


def add_edge_speeds(graph: nx.MultiDiGraph, costs: CostParams, layer: str) -> nx.MultiDiGraph:
    """Add ``road_class``, ``country``, ``speed_kph`` and ``travel_time`` (s) to a layer graph.

    Parameters
    ----------
    graph
        A layer graph of :func:`read_osm` (nodes carry ``country``).
    costs
        ``costs.toml`` parameters.
    layer
        The graph's layer.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, changed in place.

    """
    edges = list(graph.edges(data=True))
    countries = sorted({d["country"] for _, d in graph.nodes(data=True)})
    code = {c: i for i, c in enumerate(countries)}
    country = np.array([code[graph.nodes[u]["country"]] for u, _, _ in edges], dtype=np.int64)
    classes = [_road_class(d.get("highway")) if layer == "road" else None for _, _, d in edges]
    maxspeed = np.array([_edge_maxspeed(d) for _, _, d in edges])
    speed = edge_speeds_kph(layer, classes, country, countries, maxspeed, costs)
    for (u, _, d), cls, kph in zip(edges, classes, speed, strict=True):
        if cls:
            d["road_class"] = cls
        d["country"] = graph.nodes[u]["country"]
        d["speed_kph"] = float(kph)
        d["travel_time"] = d["length"] / 1000.0 / float(kph) * 3600.0
    return graph


# ---------------------------------------------------------------------------------------
# storage
# ---------------------------------------------------------------------------------------
_NODE_ARRAYS = ("node_osmid", "node_layer", "node_x", "node_y", "node_country")
_EDGE_ARRAYS = (
    "edge_u", "edge_v", "edge_key", "edge_osmid", "edge_highway", "edge_oneway", "edge_reversed",
    "edge_maxspeed", "edge_length", "edge_name", "edge_ref", "geom_offsets", "geom_x", "geom_y",
)  # fmt: skip


@dataclass
class DetailedGraph:
    """All layers of a detailed network as flat arrays (the stored form).

    Nodes ``i`` have ``node_osmid[i]``, ``node_layer[i]`` (index into
    :data:`corridors.data.LAYERS`), ``node_x``/``node_y`` and ``node_country`` (index into
    ``countries``). Edges join node indexes ``edge_u`` -> ``edge_v`` with their osmnx key, way
    id, class (``edge_highway``, index into ``strings``: the highway class, or ``rail``),
    flags, posted limit (km/h, NaN), length (m), ``name`` and ``ref`` (indexes into
    ``strings``, -1 when untagged), and geometry points ``geom_offsets[e]:geom_offsets[e+1]``.
    """

    node_osmid: np.ndarray
    node_layer: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    node_country: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_key: np.ndarray
    edge_osmid: np.ndarray
    edge_highway: np.ndarray
    edge_oneway: np.ndarray
    edge_reversed: np.ndarray
    edge_maxspeed: np.ndarray
    edge_length: np.ndarray
    edge_name: np.ndarray
    edge_ref: np.ndarray
    geom_offsets: np.ndarray
    geom_x: np.ndarray
    geom_y: np.ndarray
    countries: list[str]
    strings: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def edge_layer(self) -> np.ndarray:
        """Layer index of each edge."""
        return self.node_layer[self.edge_u]

    def layers(self) -> list[str]:
        """Layers present."""
        return [LAYERS[i] for i in np.unique(self.node_layer)]

    @classmethod
    def from_graphs(cls, graphs: Mapping[str, nx.MultiDiGraph], meta: dict[str, Any] | None = None) -> DetailedGraph:
        """Flatten the layer graphs of :func:`read_osm`."""
        strings: dict[str, int] = {}
        countries = sorted({d["country"] for g in graphs.values() for _, d in g.nodes(data=True)})
        ccode = {c: i for i, c in enumerate(countries)}

        def sid(value: Any) -> int:
            if value is None:
                return -1
            if isinstance(value, list):
                value = ";".join(sorted(map(str, value)))
            return strings.setdefault(str(value), len(strings))

        cols: dict[str, list[Any]] = {k: [] for k in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        npts: list[int] = []
        base = 0
        for layer in sorted(graphs, key=LAYERS.index):
            g = graphs[layer]
            index = {n: base + i for i, n in enumerate(g.nodes)}
            for n, d in g.nodes(data=True):
                cols["node_osmid"].append(n)
                cols["node_layer"].append(LAYERS.index(layer))
                cols["node_x"].append(d["x"])
                cols["node_y"].append(d["y"])
                cols["node_country"].append(ccode[d["country"]])
            for u, v, k, d in g.edges(keys=True, data=True):
                cols["edge_u"].append(index[u])
                cols["edge_v"].append(index[v])
                cols["edge_key"].append(k)
                osmid = d["osmid"]
                cols["edge_osmid"].append(min(osmid) if isinstance(osmid, list) else osmid)
                cols["edge_highway"].append(sid(d.get("highway") if layer == "road" else "rail"))
                cols["edge_oneway"].append(bool(d.get("oneway", False)))
                cols["edge_reversed"].append(bool(d.get("reversed", False) is True))
                cols["edge_maxspeed"].append(_edge_maxspeed(d))
                cols["edge_length"].append(d["length"])
                cols["edge_name"].append(sid(d.get("name")))
                cols["edge_ref"].append(sid(d.get("ref")))
                geom = d.get("geometry")
                if geom is None:
                    a, b = g.nodes[u], g.nodes[v]
                    xs.append(np.array([a["x"], b["x"]]))
                    ys.append(np.array([a["y"], b["y"]]))
                    npts.append(2)
                else:
                    coords = np.asarray(geom.coords)
                    xs.append(coords[:, 0])
                    ys.append(coords[:, 1])
                    npts.append(len(coords))
            base += g.number_of_nodes()
        dtypes = {
            "node_osmid": np.int64, "node_layer": np.uint8, "node_x": float, "node_y": float,
            "node_country": np.int16, "edge_u": np.int64, "edge_v": np.int64, "edge_key": np.int64,
            "edge_osmid": np.int64, "edge_highway": np.int32, "edge_oneway": bool, "edge_reversed": bool,
            "edge_maxspeed": float, "edge_length": float, "edge_name": np.int32, "edge_ref": np.int32,
        }  # fmt: skip
        arrays = {k: np.array(cols[k], dtype=t) for k, t in dtypes.items()}
        arrays["geom_offsets"] = np.r_[0, np.cumsum(npts, dtype=np.int64)].astype(np.int64)
        arrays["geom_x"] = np.concatenate(xs) if xs else np.zeros(0)
        arrays["geom_y"] = np.concatenate(ys) if ys else np.zeros(0)
        return cls(**arrays, countries=countries, strings=list(strings), meta=dict(meta or {}))

    def save(self, folder: Path) -> None:
        """Write ``graph.npz`` and ``meta.json`` into ``folder``."""
        arrays = {k: getattr(self, k) for k in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}
        np.savez(folder / "graph.npz", **arrays)
        meta = dict(self.meta, format_version=FORMAT_VERSION, countries=self.countries, strings=self.strings)
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> DetailedGraph:
        """Read a folder written by :meth:`save`.

        Raises
        ------
        UsageError
            If the folder is missing, damaged or of another format version.

        """
        name = folder.name
        if not (folder / "meta.json").is_file():
            raise UsageError(f"no detailed network '{name}' in {folder.parent}; build it first")
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format_version") != FORMAT_VERSION:
                raise UsageError(
                    f"detailed network '{name}' has format {meta.get('format_version')}, not {FORMAT_VERSION}; build it again"
                )
            with np.load(folder / "graph.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}
        except UsageError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"detailed network '{name}' is damaged ({_one_line(exc)}); build it again") from None
        countries, strings = meta.pop("countries"), meta.pop("strings")
        return cls(**arrays, countries=countries, strings=strings, meta=meta)


def build_network(
    osm_path: str | Path,
    name: str,
    *,
    bbox: str | Sequence[float] | None = None,
    highways: str | Iterable[str] = DEFAULT_HIGHWAYS,
    rail: bool = False,
    geodata: GeoData | str | Path | None = None,
    data_dir: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Build the detailed network of an OSM extract and store it as ``name``.

    Parameters
    ----------
    osm_path
        ``.osm`` XML or ``.osm.pbf`` file.
    name
        Network name (letters, digits, ``_ . -``); an existing network of that name is replaced.
    bbox
        ``W,S,E,N`` to keep only a part of the extract.
    highways
        OSM highway classes (default motorway, trunk, primary, secondary, with ``_link``).
    rail
        Also build ``railway=rail`` ways as rail layers by gauge (unknown gauges are skipped
        and counted in the report).
    geodata
        Geodata (or its directory) for countries and speeds; default the shipped geodata.
    data_dir
        Data root; default ``$CORRIDORS_DATA`` or ``~/.local/share/corridors``.
    progress
        Show progress bars on standard error.

    Returns
    -------
    pathlib.Path
        The network's folder (``<data root>/networks/NAME``).

    Raises
    ------
    UsageError
        A bad file or option, no data, or an unwritable data directory.

    """
    target = network_dir(name, data_dir)
    started = time.perf_counter()
    data = geodata if isinstance(geodata, GeoData) else load_geodata(geodata)
    read = read_osm(osm_path, geodata=data, bbox=bbox, highways=highways, rail=rail, progress=progress)
    meta = {
        "name": name,
        "source": str(Path(osm_path).resolve()),
        "bbox": list(parse_bbox(bbox)) if bbox is not None else None,
        "highways": list(parse_highways(highways)),
        "rail": rail,
        "geodata": str(data.directory),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "report": {k: v for k, v in read.report.__dict__.items()},
    }
    detailed = DetailedGraph.from_graphs(read.graphs, meta)
    del read
    _write_atomically(target, detailed.save)
    log.info("built %s in %.1f s", target, time.perf_counter() - started)
    return target


def _write_atomically(target: Path, write: Any) -> None:
    """Write a folder next to ``target`` and swap it in, so readers never see half of it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    old = target.parent / f".{target.name}.old"
    try:
        write(tmp)
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        tmp.rename(target)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# conflation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snap:
    """Where a place node landed on the detailed graph.

    ``node`` is None when nothing of its layer and country lies within the tolerance;
    ``distance_km`` is then the distance to the nearest such node (inf when there is none).
    """

    place: str
    layer: str
    node: str | None
    distance_km: float


@dataclass
class ConflationReport:
    """How the geodata was laid over the detailed graph.

    Attributes
    ----------
    tolerance_km
        Snapping tolerance.
    snaps
        Every place node on a layer the detailed graph has.
    coarse_layers
        Layers the detailed graph lacks: kept whole from the geodata.
    kept_edges
        Geodata edges kept on a detailed layer (an end unsnapped, or the detailed graph does
        not connect the two ends).

    """

    tolerance_km: float
    snaps: list[Snap] = field(default_factory=list)
    coarse_layers: list[str] = field(default_factory=list)
    kept_edges: list[str] = field(default_factory=list)

    @property
    def unsnapped(self) -> list[Snap]:
        """Place nodes farther than the tolerance from any detailed node of their layer."""
        return [s for s in self.snaps if s.node is None]

    def lines(self) -> list[str]:
        """The report as short lines of text."""
        out = [
            f"{s.place}:{s.layer} not snapped: nearest {s.layer} node in its country "
            + (
                f"{s.distance_km:.1f} km away (tolerance {self.tolerance_km:g} km)"
                if math.isfinite(s.distance_km)
                else "none"
            )
            for s in self.unsnapped
        ]
        if self.coarse_layers:
            out.append(f"layers from geodata only (not in the extract): {', '.join(self.coarse_layers)}")
        if self.kept_edges:
            out.append(f"geodata edges kept beside the detailed graph: {', '.join(sorted(self.kept_edges))}")
        return out


def _snap_places(
    coarse: nx.MultiDiGraph, base: DetailedGraph, tolerance_km: float, report: ConflationReport
) -> dict[str, tuple[int, float]]:
    """Nearest detailed node (same layer and country) of every place node, within tolerance."""
    from scipy.spatial import cKDTree

    present = set(base.layers())
    report.coarse_layers = sorted({d["layer"] for _, d in coarse.nodes(data=True)} - present, key=LAYERS.index)
    groups: dict[tuple[int, str], np.ndarray] = {}
    ccode = {c: i for i, c in enumerate(base.countries)}
    order = np.lexsort((base.node_country, base.node_layer))
    keys = np.column_stack((base.node_layer[order], base.node_country[order]))
    if len(order):
        change = np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)]
        starts = np.flatnonzero(change)
        for a, b in zip(starts, np.r_[starts[1:], len(order)], strict=True):
            groups[(int(keys[a, 0]), base.countries[int(keys[a, 1])])] = order[a:b]
    trees: dict[tuple[int, str], Any] = {}
    snapped: dict[str, tuple[int, float]] = {}
    for n, d in sorted(coarse.nodes(data=True)):
        if d["layer"] not in present:
            continue
        key = (LAYERS.index(d["layer"]), d["country"])
        members = groups.get(key) if d["country"] in ccode else None
        if members is None:
            report.snaps.append(Snap(d["place"], d["layer"], None, math.inf))
            continue
        if key not in trees:
            trees[key] = cKDTree(_unit_vectors(base.node_x[members], base.node_y[members]))
        chord, i = trees[key].query(_unit_vectors([d["x"]], [d["y"]])[0])
        dist = float(_chord_to_km(chord))
        if dist <= tolerance_km:
            idx = int(members[i])
            snapped[n] = (idx, dist)
            report.snaps.append(Snap(d["place"], d["layer"], _detailed_id(base, idx), dist))
        else:
            report.snaps.append(Snap(d["place"], d["layer"], None, dist))
    return snapped


def _detailed_id(base: DetailedGraph, i: int) -> str:
    return node_id(f"node/{int(base.node_osmid[i])}", LAYERS[int(base.node_layer[i])])


@dataclass
class _Measures:
    """Per detailed edge: what the corridor graph needs, from the current costs."""

    country: np.ndarray
    road_class: list[str | None]
    speed_kph: np.ndarray
    distance_km: np.ndarray
    time_h: np.ndarray
    cost_truck: np.ndarray
    cost_t: np.ndarray
    is_road: np.ndarray


def _measures(base: DetailedGraph, costs: CostParams) -> _Measures:
    country = base.node_country[base.edge_u].astype(np.int64)
    layer = base.edge_layer
    is_road = layer == LAYERS.index("road")
    highway = np.array([*base.strings, ""], dtype=object)[base.edge_highway]
    road_class: list[str | None] = [_road_class(h) if r else None for h, r in zip(highway, is_road, strict=True)]
    speed = np.zeros(len(country))
    for li in np.unique(layer):
        rows = layer == li
        speed[rows] = edge_speeds_kph(
            LAYERS[li],
            [c for c, r in zip(road_class, rows, strict=True) if r],
            country[rows],
            base.countries,
            base.edge_maxspeed[rows],
            costs,
        )
    km = base.edge_length / 1000.0
    truck = np.zeros(len(km))
    per_t = np.zeros(len(km))
    if is_road.any():
        table = _country_table(costs, base.countries, "road", "cost_usd_per_truck_km")
        _need(table, country[is_road], base.countries, "road.cost_usd_per_truck_km")
        truck[is_road] = table[country[is_road]] * km[is_road]
    if (~is_road).any():
        table = _country_table(costs, base.countries, "rail", "tariff_usd_per_tkm")
        _need(table, country[~is_road], base.countries, "rail.tariff_usd_per_tkm")
        per_t[~is_road] = table[country[~is_road]] * km[~is_road]
    return _Measures(country, road_class, speed, km, km / speed, truck, per_t, is_road)


def _detailed_graph(base: DetailedGraph, m: _Measures, progress: bool) -> tuple[nx.MultiDiGraph, list[str]]:
    """The detailed layers as a corridor graph (ids ``node/OSMID:layer``, every convention attribute)."""
    import shapely
    from tqdm import tqdm

    ids = [
        node_id(f"node/{o}", LAYERS[li])
        for o, li in zip(base.node_osmid.tolist(), base.node_layer.tolist(), strict=True)
    ]
    graph = nx.MultiDiGraph(crs=CRS, name="corridors-osm", simplified=True)
    countries = base.countries
    graph.add_nodes_from(
        (
            i,
            {"x": x, "y": y, "place": i.rsplit(":", 1)[0], "layer": LAYERS[li], "name": i.rsplit(":", 1)[0],
             "country": countries[c], "kind": "osm", "osmid": o},
        )
        for i, x, y, li, c, o in zip(
            ids, base.node_x.tolist(), base.node_y.tolist(), base.node_layer.tolist(),
            base.node_country.tolist(), base.node_osmid.tolist(), strict=True,
        )
    )  # fmt: skip
    n_pts = np.diff(base.geom_offsets)
    geoms = shapely.linestrings(
        base.geom_x, base.geom_y, indices=np.repeat(np.arange(len(n_pts)), n_pts)
    ) if len(n_pts) else np.zeros(0, dtype=object)  # fmt: skip
    strings = base.strings
    way_ids: dict[int, str] = {}
    gauge = {li: (int(LAYERS[li][4:]) if LAYERS[li] != "road" else None) for li in range(len(LAYERS))}
    layer = base.edge_layer.tolist()
    edges = zip(
        base.edge_u.tolist(), base.edge_v.tolist(), base.edge_key.tolist(), base.edge_osmid.tolist(), layer,
        base.edge_highway.tolist(), base.edge_oneway.tolist(), base.edge_reversed.tolist(),
        base.edge_maxspeed.tolist(), base.edge_length.tolist(), base.edge_name.tolist(), base.edge_ref.tolist(),
        m.country.tolist(), m.road_class, m.speed_kph.tolist(), m.distance_km.tolist(), m.time_h.tolist(),
        m.cost_truck.tolist(), m.cost_t.tolist(), geoms, strict=True,
    )  # fmt: skip
    bar = tqdm(
        total=len(base.edge_u), desc="loading edges", unit=" edges", disable=not progress, file=sys.stderr, leave=False
    )
    add = graph.add_edge
    for n, (
        u,
        v,
        k,
        osmid,
        li,
        hw,
        one,
        rev,
        maxspeed,
        length,
        name,
        ref,
        c,
        cls,
        kph,
        km,
        hours,
        truck,
        per_t,
        geom,
    ) in enumerate(edges):
        wid = way_ids.get(osmid)
        if wid is None:
            wid = way_ids[osmid] = f"way/{osmid}"
        road = li == 0
        d: dict[str, Any] = {
            "id": wid, "kind": "road" if road else "rail", "mode": "road" if road else "rail",
            "layer": LAYERS[li], "gauge_mm": gauge[li], "road_class": cls, "country": countries[c],
            "distance_km": km, "length": length, "time_h": hours, "speed_kph": kph, "travel_time": hours * 3600.0,
            "status": "open", "project": "", "osmid": osmid, "oneway": one, "reversed": rev, "geometry": geom,
        }  # fmt: skip
        if road:
            d["cost_usd_per_truck"] = truck
            d["highway"] = strings[hw]
        else:
            d["cost_usd_per_t"] = per_t
            d["railway"] = "rail"
        if maxspeed == maxspeed:
            d["maxspeed_kph"] = maxspeed
        if name >= 0:
            d["name"] = strings[name]
        if ref >= 0:
            d["ref"] = strings[ref]
        add(ids[u], ids[v], key=k, **d)
        if n % 65536 == 65535:
            bar.update(65536)
    bar.close()
    return graph, ids


def _components(base: DetailedGraph) -> np.ndarray:
    """Weakly connected component label of every detailed node."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(base.node_osmid)
    m = coo_matrix((np.ones(len(base.edge_u)), (base.edge_u, base.edge_v)), shape=(n, n)).tocsr()
    return connected_components(m, directed=True, connection="weak")[1]


def _connector(place: Mapping[str, Any], near: Mapping[str, Any], costs: CostParams, layer: str) -> dict[str, Any]:
    """Attributes of the edge joining a place node to its snapped detailed node."""
    country = place["country"]
    straight = haversine_km(place["y"], place["x"], near["y"], near["x"])
    km = straight * costs.get("connector", "detour_factor")
    road = layer == "road"
    attrs: dict[str, Any] = {
        "id": f"connector:{place['place']}:{layer}",
        "kind": "road" if road else "rail",
        "mode": "road" if road else "rail",
        "layer": layer,
        "gauge_mm": None if road else int(layer[4:]),
        "road_class": "connector" if road else None,
        "country": country,
        "distance_km": km,
        "status": "open",
        "project": "",
    }
    if road:
        attrs["time_h"] = km / costs.get("connector", "speed_kmh")
        attrs["cost_usd_per_truck"] = costs.get("road", "cost_usd_per_truck_km", country) * km
    else:
        attrs["time_h"] = km / costs.get("rail", "speed_kmh", country)
        attrs["cost_usd_per_t"] = costs.get("rail", "tariff_usd_per_tkm", country) * km
    return attrs


class OSMPlaceIndex(PlaceIndex):
    """A :class:`~corridors.places.PlaceIndex` that also resolves OSM way ids (``way/123``) to avoid.

    Parameters
    ----------
    data
        The geodata.
    way_ids
        OSM ids of the ways in the detailed graph.

    """

    def __init__(self, data: GeoData, way_ids: np.ndarray) -> None:
        super().__init__(data)
        self.way_ids = way_ids

    def avoidable(self, text: str) -> tuple[str, str]:
        """Resolve a ``--avoid`` value; ``way/OSMID`` avoids every edge of that OSM way."""
        m = re.fullmatch(r"\s*way/(\d+)\s*", text)
        if m:
            wid = int(m.group(1))
            i = np.searchsorted(self.way_ids, wid)
            if i < len(self.way_ids) and self.way_ids[i] == wid:
                return "edge", f"way/{wid}"
        return super().avoidable(text)


class OSMNetwork(Network):
    """A :class:`~corridors.network.Network` on a detailed OSM graph.

    The graph keeps every convention of :func:`corridors.network.build_graph`, so routing,
    the CSR snapshot, risk and criticality work on it unchanged; place nodes ``PLACE:layer``
    are joined to the detailed graph by connector edges (see the module notes). Routes are
    solved on a cached CSR matrix (:class:`EdgeTable`) instead of networkx, with the same
    results.

    Use :func:`load_osm_network` to make one.

    Attributes
    ----------
    detailed : DetailedGraph
        The stored arrays (shared by scenario variants).
    conflation : ConflationReport
        Snapping results.
    tolerance_km : float

    """

    detailed: DetailedGraph
    conflation: ConflationReport
    tolerance_km: float

    def __init__(self, data: GeoData, open_projects: Iterable[str] = ()) -> None:
        raise TypeError("make an OSMNetwork with load_osm_network() or OSMNetwork.from_detailed()")

    @classmethod
    def from_detailed(
        cls,
        data: GeoData,
        detailed: DetailedGraph,
        open_projects: Iterable[str] = (),
        tolerance_km: float = DEFAULT_TOLERANCE_KM,
        progress: bool = False,
    ) -> OSMNetwork:
        """Lay the geodata over a detailed graph.

        Parameters
        ----------
        data
            Geodata (any scenario applied).
        detailed
            The detailed graph (from :meth:`DetailedGraph.load`).
        open_projects
            Planned projects to build (their geodata links are added as they are).
        tolerance_km
            How far a place may be from the detailed node it snaps to.
        progress
            Show a progress bar while building the graph.

        Returns
        -------
        OSMNetwork

        """
        if not tolerance_km >= 0:
            raise UsageError(f"snapping tolerance must be a non-negative number of km, not {tolerance_km}")
        opened = tuple(open_projects)
        coarse = build_graph(data, opened)
        report = ConflationReport(tolerance_km=tolerance_km)
        snapped = _snap_places(coarse, detailed, tolerance_km, report)
        measures = _measures(detailed, data.costs)
        graph, ids = _detailed_graph(detailed, measures, progress)
        component = _components(detailed) if len(detailed.node_osmid) else np.zeros(0, dtype=np.int64)
        present = set(detailed.layers())

        graph.add_nodes_from(coarse.nodes(data=True))
        overlay: list[tuple[str, str, str]] = []
        for u, v, k, d in coarse.edges(keys=True, data=True):
            replaced = (
                d["kind"] in ("road", "rail")
                and d["status"] == "open"
                and d["layer"] in present
                and u in snapped
                and v in snapped
                and component[snapped[u][0]] == component[snapped[v][0]]
            )
            if replaced:
                continue
            if d["kind"] in ("road", "rail") and d["layer"] in present and d["status"] == "open":
                report.kept_edges.append(d["id"])
            graph.add_edge(u, v, key=k, **d)
            overlay.append((u, v, k))
        report.kept_edges = sorted(set(report.kept_edges))
        from shapely.geometry import LineString

        for n, (idx, _) in snapped.items():
            place, near = coarse.nodes[n], graph.nodes[ids[idx]]
            layer = place["layer"]
            attrs = _connector(place, near, data.costs, layer)
            key = attrs["id"]
            length = attrs["distance_km"] * 1000.0
            line = [(place["x"], place["y"]), (near["x"], near["y"])]
            graph.add_edge(n, ids[idx], key=key, length=length, geometry=LineString(line), **attrs)
            graph.add_edge(ids[idx], n, key=key, length=length, geometry=LineString(line[::-1]), **attrs)
            overlay += [(n, ids[idx], key), (ids[idx], n, key)]
        for line in report.lines():
            log.info("%s", line)
        if report.unsnapped:
            log.warning(
                "%d place node(s) not snapped within %g km (e.g. %s); see the network's conflation report",
                len(report.unsnapped),
                tolerance_km,
                ", ".join(f"{s.place}:{s.layer}" for s in report.unsnapped[:3]),
            )

        net = cls.from_graph(data, graph, opened)
        net.places = OSMPlaceIndex(data, np.unique(detailed.edge_osmid))
        net.detailed = detailed
        net.conflation = report
        net.tolerance_km = tolerance_km
        net._table = EdgeTable(net, ids, measures, overlay)
        return net

    def with_scenarios(self, scenarios: Sequence[Scenario]) -> OSMNetwork:
        """A new network with scenarios applied, on the same detailed graph.

        Parameters
        ----------
        scenarios
            Scenarios from :func:`corridors.scenarios.load_scenario` or
            :func:`corridors.scenarios.from_flags`.

        Returns
        -------
        OSMNetwork

        """
        from corridors.scenarios import apply_all

        data, opened = apply_all(self.data, scenarios)
        projects = (*self.open_projects, *sorted(opened - set(self.open_projects)))
        return OSMNetwork.from_detailed(data, self.detailed, projects, self.tolerance_km)

    def edge_table(self, graph: nx.MultiDiGraph | None = None) -> EdgeTable:
        """The CSR edge table of the graph (or of a copy with extra nodes, as ``LAT,LON`` routes add)."""
        if graph is None or graph is self.graph:
            return self._table
        return self._table.extended(graph)

    def _find_routes(self, **request: Any) -> Route:
        """Solve a route request on the CSR table (same answers as :func:`corridors.routing.find_routes`)."""
        return find_routes_csr(table=self.edge_table(request["graph"]), **request)

    def __repr__(self) -> str:
        return (
            f"<OSMNetwork {len(self.data.places)} places, {self.graph.number_of_nodes()} nodes, "
            f"{self.graph.number_of_edges()} edges, {len(self.conflation.unsnapped)} unsnapped>"
        )


def load_osm_network(
    name: str,
    geodata: GeoData | str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    open_projects: Iterable[str] = (),
    tolerance_km: float = DEFAULT_TOLERANCE_KM,
    progress: bool = False,
) -> OSMNetwork:
    """Load a stored detailed network and lay the geodata over it.

    Parameters
    ----------
    name
        Name given to :func:`build_network`.
    geodata
        Geodata (or its directory); default ``$CORRIDORS_GEODATA`` or the shipped geodata.
    data_dir
        Data root; default ``$CORRIDORS_DATA`` or ``~/.local/share/corridors``.
    open_projects
        Planned projects to build.
    tolerance_km
        Snapping tolerance of places (default 5 km); places farther away are reported in
        ``net.conflation`` and keep their geodata links.
    progress
        Show a progress bar while building the graph.

    Returns
    -------
    OSMNetwork

    Raises
    ------
    UsageError
        If there is no such network or it is damaged.
    DataError
        If the geodata is invalid or ``costs.toml`` lacks a country the network uses.

    """
    folder = network_dir(name, data_dir)
    data = geodata if isinstance(geodata, GeoData) else load_geodata(geodata)
    detailed = DetailedGraph.load(folder)
    return OSMNetwork.from_detailed(data, detailed, open_projects, tolerance_km, progress)


# ---------------------------------------------------------------------------------------
# routing on a CSR table
# ---------------------------------------------------------------------------------------
class EdgeTable:
    """The corridor graph's edges as arrays, priced per cargo, objective and restrictions.

    Detailed edges are priced with numpy; the few other edges (connectors, crossings,
    transfers, kept geodata links) through :class:`~corridors.costs.CostModel` and
    :class:`~corridors.routing.Restrictions` themselves. Parallel edges collapse to the
    cheapest; the CSR structure is built once and each pricing only refills its values.

    Parameters
    ----------
    network
        The network whose graph the table mirrors.
    detailed_ids
        Node ids of the detailed nodes, in :class:`DetailedGraph` order.
    measures
        Per detailed edge: distance, time, cost basis, mode.
    overlay
        ``(u, v, key)`` of every other edge.

    """

    def __init__(
        self, network: OSMNetwork, detailed_ids: list[str], measures: _Measures, overlay: list[tuple[str, str, str]]
    ) -> None:
        base = network.detailed
        self.graph = network.graph
        self.nodes: list[str] = list(detailed_ids)
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.nodes)}
        for n in self.graph.nodes:
            if n not in self.index:
                self.index[n] = len(self.nodes)
                self.nodes.append(n)
        self._det_u = base.edge_u
        self._det_v = base.edge_v
        self._det_road = measures.is_road
        self._det_dist = measures.distance_km
        self._det_time = measures.time_h
        self._det_truck = measures.cost_truck
        self._det_t = measures.cost_t
        self._det_osmid = base.edge_osmid
        self.overlay = overlay
        self._prepare()

    def _prepare(self) -> None:
        self._ov_u = np.array([self.index[u] for u, _, _ in self.overlay], dtype=np.int64)
        self._ov_v = np.array([self.index[v] for _, v, _ in self.overlay], dtype=np.int64)
        u = np.r_[self._det_u, self._ov_u]
        v = np.r_[self._det_v, self._ov_v]
        self.u, self.v = u, v
        n = len(self.nodes)
        order = np.lexsort((v, u))
        su, sv = u[order], v[order]
        new = np.r_[True, (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])] if len(order) else np.zeros(0, dtype=bool)
        self._order = order
        self._starts = np.flatnonzero(new)
        self._indices = sv[self._starts].astype(np.int32)
        self._indptr = np.r_[0, np.cumsum(np.bincount(su[self._starts], minlength=n))].astype(np.int32)
        self._cache: dict[Any, csr_matrix] = {}

    def extended(self, graph: nx.MultiDiGraph) -> EdgeTable:
        """A table for a copy of the graph with extra nodes and edges (the graph's other edges unchanged)."""
        extra = [n for n in graph.nodes if n not in self.index]
        table = object.__new__(EdgeTable)
        table.__dict__.update(self.__dict__)
        table.graph = graph
        table.nodes = [*self.nodes, *extra]
        table.index = dict(self.index)
        for n in extra:
            table.index[n] = len(table.index)
        edges = {
            (u, v, k) for n in extra for u, v, k in (*graph.out_edges(n, keys=True), *graph.in_edges(n, keys=True))
        }
        table.overlay = [*self.overlay, *sorted(edges)]
        table._prepare()
        return table

    def weights(self, model: CostModel, objective: str, restrictions: Restrictions) -> np.ndarray:
        """Weight of every row (detailed rows, then overlay rows); inf where not allowed.

        Detailed rows use the linearity of every objective in distance, time and the cost
        basis: the coefficients come from ``model.weight`` on unit edges.
        """
        w = np.zeros(len(self._det_u) + len(self.overlay))
        nd = len(self._det_u)
        for kind, rows in (("road", self._det_road), ("rail", ~self._det_road)):
            if not rows.any():
                continue
            basis = "cost_usd_per_truck" if kind == "road" else "cost_usd_per_t"
            unit = {"kind": kind, "mode": kind, "distance_km": 0.0, "time_h": 0.0}
            c_dist = model.weight(unit | {"distance_km": 1.0}, objective)
            c_time = model.weight(unit | {"time_h": 1.0}, objective)
            c_cost = model.weight(unit | {basis: 1.0}, objective)
            cost = self._det_truck if kind == "road" else self._det_t
            w[:nd][rows] = c_dist * self._det_dist[rows] + c_time * self._det_time[rows] + c_cost * cost[rows]
            if kind not in restrictions.modes:
                w[:nd][rows] = np.inf
        banned = [int(e[4:]) for e in restrictions.edges if e.startswith("way/") and e[4:].isdigit()]
        if banned:
            w[:nd][np.isin(self._det_osmid, banned)] = np.inf
        graph = self.graph
        for i, (a, b, k) in enumerate(self.overlay, nd):
            d = graph[a][b][k]
            ok = restrictions.allows(d) and model.handles(d)
            w[i] = model.weight(d, objective) if ok else np.inf
        if restrictions.nodes:
            blocked = [self.index[n] for n in restrictions.nodes if n in self.index]
            w[np.isin(self.v, blocked)] = np.inf
        return w

    def matrix(self, model: CostModel, objective: str, restrictions: Restrictions) -> csr_matrix:
        """The collapsed CSR matrix (cheapest parallel edge per node pair), cached."""
        from scipy.sparse import csr_matrix

        key = (model, objective, restrictions)
        m = self._cache.get(key)
        if m is None:
            w = self.weights(model, objective, restrictions)
            best = np.minimum.reduceat(w[self._order], self._starts) if len(w) else w
            n = len(self.nodes)
            m = csr_matrix((best, self._indices, self._indptr), shape=(n, n))  # explicit zeros stay edges
            m.has_sorted_indices = True
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = m
        return m


class CSRRouter(Router):
    """A :class:`~corridors.routing.Router` whose shortest paths run on an :class:`EdgeTable`."""

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        model: CostModel,
        objective: str,
        restrictions: Restrictions,
        table: EdgeTable,
    ) -> None:
        super().__init__(graph, model, objective, restrictions)
        self.table = table

    def shortest(self, sources: Sequence[str], targets: Sequence[str]) -> tuple[float, list[str]] | None:
        """Cheapest path from any source to any target, or None (see :meth:`Router.shortest`)."""
        from scipy.sparse.csgraph import dijkstra

        sources = [s for s in sources if s not in self.restrictions.nodes]
        if not sources:
            return None
        table = self.table
        matrix = table.matrix(self.model, self.objective, self.restrictions)
        src = [table.index[s] for s in sources]
        dist, pred, _ = dijkstra(matrix, directed=True, indices=src, return_predecessors=True, min_only=True)
        reached = [(dist[table.index[t]], i, t) for i, t in enumerate(targets) if np.isfinite(dist[table.index[t]])]
        if not reached:
            return None
        _, _, t = min(reached)
        path = [table.index[t]]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        nodes = [table.nodes[i] for i in reversed(path)]
        return float(dist[path[0]]), nodes


def find_routes_csr(
    *,
    table: EdgeTable,
    network: Network,
    graph: nx.MultiDiGraph,
    model: CostModel,
    objective: str,
    tonnes: float,
    origin: Endpoint,
    destination: Endpoint,
    via: Sequence[Sequence[str]],
    restrictions: Restrictions,
    k: int = 1,
) -> Route:
    """:func:`corridors.routing.find_routes` with every shortest path solved on ``table``.

    Same arguments and result (best route with ``alternatives``), same search for
    alternatives (best-first over banned crossings) and the same no-route explanations.
    """
    from corridors.routing import find_routes

    return find_routes(
        network=network,
        graph=graph,
        model=model,
        objective=objective,
        tonnes=tonnes,
        origin=origin,
        destination=destination,
        via=via,
        restrictions=restrictions,
        k=k,
        make_router=lambda r: CSRRouter(graph, model, objective, r, table),
    )


__all__ = [
    "DEFAULT_HIGHWAYS",
    "DEFAULT_TOLERANCE_KM",
    "HIGHWAY_CLASSES",
    "BuildReport",
    "CSRRouter",
    "ConflationReport",
    "CountryLocator",
    "DetailedGraph",
    "EdgeTable",
    "OSMGraphs",
    "OSMNetwork",
    "OSMPlaceIndex",
    "RawWays",
    "Snap",
    "add_edge_speeds",
    "build_network",
    "data_root",
    "edge_speeds_kph",
    "find_routes_csr",
    "list_networks",
    "load_osm_network",
    "network_dir",
    "network_info",
    "parse_bbox",
    "parse_gauges",
    "parse_highways",
    "parse_maxspeed",
    "read_osm",
    "split_ways",
]
