"""Detailed networks from OpenStreetMap extracts: read, build, save, load and conflate.

A *detailed network* is the road (and optionally rail) graph of an OSM extract, built once
with :func:`build_network` and stored under the user data directory, then loaded with
:func:`load_osm_network` on top of the geodata, so that the crossings, terminals, penalties,
closures and scenarios of ``geodata/`` apply to it unchanged. The submodules:
:mod:`~corridors.osm.options` (highway classes, gauges, defaults and their parsers),
:mod:`~corridors.osm.store` (data directories and the stored :class:`DetailedGraph`),
:mod:`~corridors.osm.countries` (:class:`CountryLocator`), :mod:`~corridors.osm.read`
(XML and PBF into osmnx graphs: :func:`read_osm`, :func:`split_ways`),
:mod:`~corridors.osm.speeds` (edge speeds from ``costs.toml``), :mod:`~corridors.osm.build`
(:func:`build_network`), :mod:`~corridors.osm.conflate` (:class:`OSMNetwork`,
:func:`load_osm_network`) and :mod:`~corridors.osm.routing` (:class:`EdgeTable` of :mod:`corridors.engine`,
:func:`find_routes_csr`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corridors.network import Network as Network  # callers use ``osm.Network``
    from corridors.osm.build import build_network
    from corridors.osm.conflate import ConflationReport, OSMNetwork, OSMPlaceIndex, Snap, load_osm_network
    from corridors.osm.countries import CountryLocator
    from corridors.osm.options import (
        DEFAULT_HIGHWAYS,
        DEFAULT_TOLERANCE_KM,
        HIGHWAY_CLASSES,
        parse_bbox,
        parse_gauges,
        parse_highways,
        parse_maxspeed,
    )
    from corridors.osm.read import BuildReport, OSMGraphs, RawWays, read_osm, split_ways
    from corridors.osm.routing import EdgeTable, find_routes_csr
    from corridors.osm.speeds import add_edge_speeds, edge_speeds_kph
    from corridors.osm.store import DetailedGraph, data_root, list_networks, network_dir, network_info

#: Where each public name lives; imported on first use, so that ``corridors.osm.options``
#: (the CLI's defaults) loads without networkx, scipy or osmnx.
_LAZY: dict[str, str] = {
    "BuildReport": "corridors.osm.read",
    "ConflationReport": "corridors.osm.conflate",
    "CountryLocator": "corridors.osm.countries",
    "DEFAULT_HIGHWAYS": "corridors.osm.options",
    "DEFAULT_TOLERANCE_KM": "corridors.osm.options",
    "DetailedGraph": "corridors.osm.store",
    "EdgeTable": "corridors.osm.routing",
    "HIGHWAY_CLASSES": "corridors.osm.options",
    "Network": "corridors.network",
    "OSMGraphs": "corridors.osm.read",
    "OSMNetwork": "corridors.osm.conflate",
    "OSMPlaceIndex": "corridors.osm.conflate",
    "RawWays": "corridors.osm.read",
    "Snap": "corridors.osm.conflate",
    "add_edge_speeds": "corridors.osm.speeds",
    "build_network": "corridors.osm.build",
    "data_root": "corridors.osm.store",
    "edge_speeds_kph": "corridors.osm.speeds",
    "find_routes_csr": "corridors.osm.routing",
    "list_networks": "corridors.osm.store",
    "load_osm_network": "corridors.osm.conflate",
    "network_dir": "corridors.osm.store",
    "network_info": "corridors.osm.store",
    "parse_bbox": "corridors.osm.options",
    "parse_gauges": "corridors.osm.options",
    "parse_highways": "corridors.osm.options",
    "parse_maxspeed": "corridors.osm.options",
    "read_osm": "corridors.osm.read",
    "split_ways": "corridors.osm.read",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'corridors.osm' has no attribute {name!r}")


__all__ = [
    "DEFAULT_HIGHWAYS",
    "DEFAULT_TOLERANCE_KM",
    "HIGHWAY_CLASSES",
    "BuildReport",
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
