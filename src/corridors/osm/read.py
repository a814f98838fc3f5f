"""Reading an OSM extract (XML or PBF) into simplified osmnx graphs, one per layer.

``.osm`` XML is read with :func:`osmnx.graph_from_xml` and simplified with
:func:`osmnx.simplify_graph`; ``.osm.pbf`` is streamed with pyosmium, its ways split at
junctions by the same endpoint rule (:func:`split_ways`), and turned into a graph with
:func:`osmnx.graph_from_gdfs`. Each layer (``road``, ``rail1520``, ``rail1435``,
``rail1676``) is its own osmnx graph with integer OSM node ids. Every node gets the
country of the nearest geodata place (the same rule on both sides of a border post), and
raw segments whose two ends lie in different countries are cut before simplification: the
border can then only be crossed through the crossings of ``geodata/crossings.csv``, with
their times, fees and closures.
"""

from __future__ import annotations

import contextlib
import sys
import xml.sax
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

import networkx as nx
import numpy as np

from corridors.checks import load_geodata
from corridors.data import GeoData
from corridors.errors import UsageError
from corridors.graph import CRS
from corridors.osm.countries import CountryLocator
from corridors.osm.options import DEFAULT_HIGHWAYS, RAIL_GAUGES, parse_bbox, parse_gauges, parse_highways
from corridors.osm.speeds import add_edge_speeds

if TYPE_CHECKING:
    import geopandas as gpd


_ONEWAY_VALUES = {"yes", "true", "1", "-1", "reverse", "T", "F"}  # as osmnx
_REVERSED_VALUES = {"-1", "reverse", "T"}
_WAY_TAGS = ("highway", "railway", "gauge", "oneway", "junction", "maxspeed", "maxspeed:hgv", "name", "ref")
_EARTH_RADIUS_M = 6_371_009.0  # osmnx's great-circle radius, so lengths match osmnx


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


def one_line(exc: BaseException) -> str:
    """An exception as one short line (whitespace folded, at most 200 characters)."""
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
    import osmium  # deferred: pyosmium, only for .pbf files
    from tqdm import tqdm  # deferred: tqdm, only with progress bars

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
        raise UsageError(f"{path}: not a readable OSM file ({one_line(exc)})") from None
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
    import geopandas as gpd  # deferred: geopandas (0.5 s), only for GeoDataFrames
    import osmnx as ox  # deferred: osmnx (1 s), only for OSM files and exports
    import pandas as pd  # deferred: pandas, only for OSM reads
    import shapely  # deferred: shapely, only when geometry is built

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
    import osmnx as ox  # deferred: osmnx (1 s), only for OSM files and exports

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
    import osmnx as ox  # deferred: osmnx (1 s), only for OSM files and exports
    from tqdm import tqdm  # deferred: tqdm, only with progress bars

    with path.open("rb") as handle:
        head = handle.read(4096)
    if path.suffix.lower() in (".osm", ".xml") and b"<osm" not in head:
        raise UsageError(f"{path}: not an OSM XML file (no <osm> root element)")
    try:
        with _osmnx_way_tags():
            raw = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except (ParseError, xml.sax.SAXException, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a readable OSM XML file ({one_line(exc)})") from None
    except ValueError as exc:  # osmnx raises a ValueError subclass when the file holds no graph
        raise UsageError(f"{path}: no OSM nodes or ways in the file ({one_line(exc)})") from None
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
    import osmnx as ox  # deferred: osmnx (1 s), only for OSM files and exports
    from tqdm import tqdm  # deferred: tqdm, only with progress bars

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
