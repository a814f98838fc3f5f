"""Building a detailed network from an OSM extract and storing it under a name.

:func:`build_network` reads the extract (:func:`~corridors.osm.read.read_osm`), flattens its
layer graphs into a :class:`~corridors.osm.store.DetailedGraph` whose metadata records the
source, the options and the build report, and swaps it in atomically as
``<data root>/networks/NAME``, from where :func:`~corridors.osm.conflate.load_osm_network`
loads it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from corridors.checks import load_geodata
from corridors.data import LAYERS, GeoData
from corridors.osm.options import DEFAULT_HIGHWAYS, parse_bbox, parse_highways
from corridors.osm.read import read_osm
from corridors.osm.store import DetailedGraph, network_dir, write_atomically

log = logging.getLogger(__name__)


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
    # the nearest node of every place on every layer built: what loading the network snaps
    ccode = {c: i for i, c in enumerate(detailed.countries)}
    layers = [LAYERS.index(layer) for layer in detailed.layers()]
    detailed.remember_snaps(
        [(li, ccode.get(p.country, -1), p.lon, p.lat) for p in data.places.values() for li in layers]
    )
    write_atomically(target, detailed.save)
    log.info("built %s in %.1f s", target, time.perf_counter() - started)
    return target
