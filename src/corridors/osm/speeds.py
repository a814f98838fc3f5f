"""Freight speeds and travel times of detailed edges.

Road: the country's freight speed (``costs.toml [road.speed_kmh]``) times the class factor
(``[road.class_speed_factor]``) of the OSM highway class
(:data:`~corridors.osm.options.HIGHWAY_CLASSES`), capped by the posted limit (``maxspeed:hgv``,
else ``maxspeed``) where one is tagged: the CPMM speeds are measured truck speeds, which a
limit can lower but not raise. Rail: the country's rail speed, capped the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from corridors.errors import DataError
from corridors.osm.options import HIGHWAY_CLASSES, parse_maxspeed

if TYPE_CHECKING:
    import networkx as nx

    from corridors.data import CostParams


def country_table(costs: CostParams, countries: Sequence[str], *path: str) -> np.ndarray:
    """``costs[path + (country,)]`` per country (NaN where missing)."""
    return np.array([costs.get(*path, c) if costs.has(*path, c) else math.nan for c in countries])


def require_params(values: np.ndarray, used: np.ndarray, countries: Sequence[str], what: str) -> None:
    """Raise DataError naming the first used country whose parameter ``what`` is missing (NaN)."""
    present = (
        np.flatnonzero(np.bincount(np.asarray(used, dtype=np.int64), minlength=len(countries))) if len(used) else []
    )
    missing = sorted({countries[c] for c in present if not math.isfinite(values[c])})
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
    if layer == "road":
        classes = sorted({c for c in road_class if c})
        factor = {c: costs.get("road", "class_speed_factor", c) for c in classes}
        factors = np.array([factor[c] for c in road_class], dtype=float)
    else:
        factors = np.ones(len(country))
    return speeds_from_factors(layer, factors, country, countries, maxspeed_kph, costs)


def class_factors(classes: Sequence[str], costs: CostParams) -> np.ndarray:
    """Speed factor (``[road.class_speed_factor]``) of each road class."""
    return np.array([costs.get("road", "class_speed_factor", c) for c in classes], dtype=float)


def speeds_from_factors(
    layer: str,
    factor: np.ndarray,
    country: np.ndarray,
    countries: Sequence[str],
    maxspeed_kph: np.ndarray,
    costs: CostParams,
) -> np.ndarray:
    """:func:`edge_speeds_kph` with the class factor of each edge given (1 on rail).

    Parameters
    ----------
    layer
        ``road`` or a rail layer.
    factor
        Class speed factor per edge (see :func:`class_factors`); ignored for rail.
    country, countries, maxspeed_kph, costs
        As for :func:`edge_speeds_kph`.

    Returns
    -------
    numpy.ndarray

    """
    country = np.asarray(country)
    if layer == "road":
        table = country_table(costs, countries, "road", "speed_kmh")
        require_params(table, country, countries, "road.speed_kmh")
        speed = table[country] * np.asarray(factor, dtype=float)
    else:
        table = country_table(costs, countries, "rail", "speed_kmh")
        require_params(table, country, countries, "rail.speed_kmh")
        speed = table[country].astype(float)
    limit = np.asarray(maxspeed_kph, dtype=float)
    capped = limit < speed  # a posted limit (finite, > 0) below the speed; NaN compares False
    capped &= limit > 0
    np.copyto(speed, limit, where=capped)
    return speed


def edge_maxspeed(d: Mapping[str, Any]) -> float:
    """The HGV speed limit of an OSM edge if tagged, else its general limit (km/h; NaN if none)."""
    hgv = parse_maxspeed(d.get("maxspeed:hgv"))
    return hgv if math.isfinite(hgv) else parse_maxspeed(d.get("maxspeed"))


def class_of_highway(highway: Any) -> str:
    """The corridor road class of an OSM ``highway`` value (the most important of a list)."""
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
    classes = [class_of_highway(d.get("highway")) if layer == "road" else None for _, _, d in edges]
    maxspeed = np.array([edge_maxspeed(d) for _, _, d in edges])
    speed = edge_speeds_kph(layer, classes, country, countries, maxspeed, costs)
    for (u, _, d), cls, kph in zip(edges, classes, speed, strict=True):
        if cls:
            d["road_class"] = cls
        d["country"] = graph.nodes[u]["country"]
        d["speed_kph"] = float(kph)
        d["travel_time"] = d["length"] / 1000.0 / float(kph) * 3600.0
    return graph
