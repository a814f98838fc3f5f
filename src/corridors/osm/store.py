"""Where detailed networks live and how they are stored.

A network is the folder ``<data root>/networks/NAME`` (:func:`data_root`, :func:`network_dir`),
written atomically (:func:`write_atomically`) in a compact columnar format (``graph.npz`` +
``meta.json``, see :class:`DetailedGraph`) rather than GraphML: for a million edges GraphML is
several times larger and takes minutes and gigabytes to parse back (every attribute a string),
while the arrays load in seconds and carry exactly what conflation needs.
:func:`~corridors.osm.read.read_osm` still returns osmnx graphs, which ``osmnx.save_graphml``
accepts.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.data import LAYERS
from corridors.engine import PAIR_BASE
from corridors.errors import UsageError
from corridors.osm.countries import NearestSearch, unit_vectors
from corridors.osm.speeds import edge_maxspeed

if TYPE_CHECKING:
    import networkx as nx


#: Version of the stored format (``meta.json`` ``format_version``).
FORMAT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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


_NODE_ARRAYS = ("node_osmid", "node_layer", "node_x", "node_y", "node_country")
_EDGE_ARRAYS = (
    "edge_u", "edge_v", "edge_key", "edge_osmid", "edge_highway", "edge_oneway", "edge_reversed",
    "edge_maxspeed", "edge_length", "edge_name", "edge_ref", "geom_offsets", "geom_x", "geom_y",
)  # fmt: skip
#: Arrays derived from the others at build time (a store without them computes them on load).
_DERIVED_ARRAYS = (
    "edge_order", "pair_key", "pair_start", "node_component", "edge_country", "snap_query", "snap_node", "snap_chord",
)  # fmt: skip
#: A query of :meth:`DetailedGraph.nearest_nodes`: layer index, country index (-1: none), lon, lat.
Query = tuple[int, int, float, float]


@dataclass
class DetailedGraph:
    """All layers of a detailed network as flat arrays (the stored form).

    Nodes ``i`` have ``node_osmid[i]``, ``node_layer[i]`` (index into
    :data:`corridors.data.LAYERS`), ``node_x``/``node_y`` and ``node_country`` (index into
    ``countries``). Edges join node indexes ``edge_u`` -> ``edge_v`` with their osmnx key, way
    id, class (``edge_highway``, index into ``strings``: the highway class, or ``rail``),
    flags, posted limit (km/h, NaN), length (m), ``name`` and ``ref`` (indexes into
    ``strings``, -1 when untagged), and geometry points ``geom_offsets[e]:geom_offsets[e+1]``.

    What does not depend on a request or on the costs is derived once when the network is
    built and stored beside them: ``edge_order`` (edges sorted by ``(u, v)``, each pair's in
    row order), ``pair_key`` and ``pair_start`` (each node pair ``u * PAIR_BASE + v``, sorted,
    and where its rows start in ``edge_order``), ``node_component`` (weakly connected component of each node) and
    ``edge_country`` (the country of each edge's first node); see :meth:`pair_order`,
    :meth:`pair_groups`, :meth:`components` and :meth:`edge_countries`, which compute them for a store written before.
    ``snap_query``, ``snap_node`` and ``snap_chord`` hold answers of :meth:`nearest_nodes`
    for the places of the geodata the network was built with (any other query is searched).
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
    edge_order: np.ndarray | None = None
    pair_key: np.ndarray | None = None
    pair_start: np.ndarray | None = None
    node_component: np.ndarray | None = None
    edge_country: np.ndarray | None = None
    snap_query: np.ndarray | None = None
    snap_node: np.ndarray | None = None
    snap_chord: np.ndarray | None = None
    _memo: dict[Query, tuple[int, float]] | None = field(default=None, init=False, repr=False, compare=False)
    _searches: dict[tuple[int, int], NearestSearch | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _points: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def nearest_nodes(self, queries: Sequence[Query]) -> list[tuple[int, float] | None]:
        """The exact nearest node of each query among the nodes of its layer and country.

        Parameters
        ----------
        queries
            ``(layer index, country index, lon, lat)``; country -1 (not in ``countries``) has
            no nodes.

        Returns
        -------
        list
            ``(node row, chord between unit vectors)`` per query (ties: the first row), None
            where the layer and country have no node. Answers stored at build time are read
            back; the others are searched (:class:`~corridors.osm.countries.NearestSearch`).

        """
        if self._memo is None:
            self._memo = {}
            if self.snap_query is not None and self.snap_node is not None and self.snap_chord is not None:
                q = self.snap_query
                keys = zip(q[:, 0].astype(np.int64).tolist(), q[:, 1].astype(np.int64).tolist(),
                           q[:, 2].tolist(), q[:, 3].tolist(), strict=True)  # fmt: skip
                hits = zip(self.snap_node.tolist(), self.snap_chord.tolist(), strict=True)
                self._memo = dict(zip(keys, hits, strict=True))
        out: list[tuple[int, float] | None] = []
        missed = [q for q in queries if q not in self._memo]
        vectors = unit_vectors([q[2] for q in missed], [q[3] for q in missed]) if missed else None
        answers: dict[Query, tuple[int, float] | None] = {}
        for q, vector in zip(missed, vectors if vectors is not None else (), strict=True):
            search = self._search(q[0], q[1])
            answers[q] = None if search is None else search.nearest(vector)
        for q in queries:
            out.append(self._memo[q] if q in self._memo else answers[q])
        return out

    def _search(self, layer: int, country: int) -> NearestSearch | None:
        key = (layer, country)
        if key not in self._searches:
            members = np.zeros(0, dtype=np.int64)
            if country >= 0:
                members = np.flatnonzero((self.node_layer == layer) & (self.node_country == country))
            if len(members) and self._points is None:
                self._points = unit_vectors(self.node_x, self.node_y)
            found = NearestSearch(self._points[members], members) if len(members) and self._points is not None else None
            self._searches[key] = found
        return self._searches[key]

    def remember_snaps(self, queries: Sequence[Query]) -> None:
        """Answer ``queries`` now and keep the answers (``snap_*`` arrays) for :meth:`save`."""
        queries = list(dict.fromkeys(queries))
        found = self.nearest_nodes(queries)
        kept = [(q, hit) for q, hit in zip(queries, found, strict=True) if hit is not None]
        self.snap_query = np.array([q for q, _ in kept], dtype=float).reshape(-1, 4)
        self.snap_node = np.array([hit[0] for _, hit in kept], dtype=np.int64)
        self.snap_chord = np.array([hit[1] for _, hit in kept], dtype=float)
        self._memo = None

    def edge_countries(self) -> np.ndarray:
        """Country index (into ``countries``) of each edge: that of its first node (stored, or computed)."""
        if self.edge_country is None:
            self.edge_country = self.node_country[self.edge_u]
        return self.edge_country

    def pair_order(self) -> np.ndarray:
        """Edge rows sorted by ``(u, v)``, each pair's rows in row order (stored, or computed)."""
        if self.edge_order is None:
            keys = self.edge_u.astype(np.int64) * PAIR_BASE + self.edge_v
            if len(keys) < 2 or bool((keys[1:] >= keys[:-1]).all()):
                self.edge_order = np.arange(len(keys))
            else:
                self.edge_order = np.argsort(keys, kind="stable")
        return self.edge_order

    def pair_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """The node pairs of the edges (``u * PAIR_BASE + v``, sorted) and where each starts in :meth:`pair_order`."""
        if self.pair_key is None or self.pair_start is None:
            order = self.pair_order()
            keys = self.edge_u[order].astype(np.int64) * PAIR_BASE + self.edge_v[order]
            new = np.ones(len(keys), dtype=bool)
            np.not_equal(keys[1:], keys[:-1], out=new[1:])
            self.pair_start = np.flatnonzero(new)
            self.pair_key = keys[self.pair_start]
        return self.pair_key, self.pair_start

    def components(self) -> np.ndarray:
        """Weakly connected component label of every node (stored, or computed)."""
        if self.node_component is None:
            from scipy.sparse import csr_matrix  # deferred: scipy, only when paths are solved
            from scipy.sparse.csgraph import connected_components  # deferred: scipy, only when paths are solved

            order = self.pair_order()
            n = len(self.node_osmid)
            indptr = np.r_[0, np.cumsum(np.bincount(self.edge_u, minlength=n))]
            m = csr_matrix((np.ones(len(order)), self.edge_v[order], indptr), shape=(n, n))
            self.node_component = connected_components(m, directed=True, connection="weak")[1]
        return self.node_component

    def derive(self) -> DetailedGraph:
        """Compute the derived arrays (stored by :meth:`save`); returns self."""
        order = self.pair_order()
        small = np.int32 if len(order) < 2**31 else np.int64
        self.edge_order = order.astype(small)
        keys, starts = self.pair_groups()
        self.pair_key, self.pair_start = keys, starts.astype(small)
        self.node_component = self.components().astype(np.int32)
        self.edge_country = self.edge_countries()
        return self

    @property
    def edge_layer(self) -> np.ndarray:
        """Layer index of each edge."""
        return self.node_layer[self.edge_u]

    def layers(self) -> list[str]:
        """Layers present."""
        return [LAYERS[i] for i in np.flatnonzero(np.bincount(self.node_layer, minlength=len(LAYERS)))]

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
                cols["edge_maxspeed"].append(edge_maxspeed(d))
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
        return cls(**arrays, countries=countries, strings=list(strings), meta=dict(meta or {})).derive()

    def save(self, folder: Path) -> None:
        """Write ``graph.npz`` and ``meta.json`` into ``folder``."""
        arrays = {k: getattr(self, k) for k in (*_NODE_ARRAYS, *_EDGE_ARRAYS)}
        arrays |= {k: getattr(self, k) for k in _DERIVED_ARRAYS if getattr(self, k) is not None}
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
            arrays = map_arrays(folder / "graph.npz", (*_NODE_ARRAYS, *_EDGE_ARRAYS), optional=_DERIVED_ARRAYS)
        except UsageError:
            raise
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            from corridors.osm.read import one_line  # deferred: osm.read imports networkx; only for a message

            raise UsageError(f"detailed network '{name}' is damaged ({one_line(exc)}); build it again") from None
        countries, strings = meta.pop("countries"), meta.pop("strings")
        return cls(**arrays, countries=countries, strings=strings, meta=meta)


def map_arrays(path: Path, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Arrays of an ``.npz`` file, memory-mapped read-only where stored uncompressed.

    :func:`numpy.savez` stores each array uncompressed in the zip, so each one can be mapped
    in place: loading costs nothing until an array is read, and only the pages read (all of
    the edge endpoints, the geometry of a few edges) are ever brought into memory. Compressed
    members are read whole, as :func:`numpy.load` does.

    Parameters
    ----------
    path
        The ``.npz`` file.
    names
        The arrays to return.
    optional
        Arrays to return too when the file holds them.

    Returns
    -------
    dict of numpy.ndarray

    Raises
    ------
    KeyError
        If an array is missing.
    OSError, ValueError
        If the file is not a readable ``.npz`` file.

    """
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        held = set(zf.namelist())
        for name in (*names, *(o for o in optional if f"{o}.npy" in held)):
            info = zf.getinfo(f"{name}.npy")
            if info.compress_type != zipfile.ZIP_STORED:
                with zf.open(info) as member:
                    out[name] = np.lib.format.read_array(member, allow_pickle=False)
                continue
            fh.seek(info.header_offset)
            local = fh.read(30)
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"bad zip member {name}")
            start = (
                info.header_offset
                + 30
                + int.from_bytes(local[26:28], "little")
                + int.from_bytes(local[28:30], "little")
            )
            fh.seek(start)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            if dtype.hasobject:
                raise ValueError(f"array {name} holds objects")
            count = math.prod(shape)
            if count == 0:
                out[name] = np.zeros(shape, dtype=dtype)
                continue
            order = "F" if fortran else "C"
            out[name] = np.memmap(fh, dtype=dtype, mode="r", offset=fh.tell(), shape=shape, order=order).view(
                np.ndarray
            )
    return out


def write_atomically(target: Path, write: Any) -> None:
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
