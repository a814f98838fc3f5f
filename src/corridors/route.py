"""A solved route: its legs, totals, crossings and transfers, and their export formats."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from corridors import closures
from corridors.data import SEA_LAYER
from corridors.graph import gauge_of

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from corridors.engine import Solver

#: Version of the JSON output schema (README, "JSON output").
SCHEMA_VERSION = 1


@dataclass
class Leg:
    """One edge of a route, priced for the shipment."""

    from_name: str
    to_name: str
    from_id: str
    to_id: str
    kind: str
    mode: str
    layer: str
    gauge_mm: int | None
    distance_km: float
    time_h: float
    cost_usd_per_t: float
    cost_usd: float
    generalized_cost: float
    edge_id: str
    road_class: str | None = None
    country: str | None = None
    crossing_id: str | None = None
    crossing_name: str | None = None
    fee_usd: float | None = None
    from_layer: str | None = None
    to_layer: str | None = None
    transfer_kind: str | None = None
    transload_time_h: float | None = None
    closure_prob: float | None = None
    closure_group: str | None = None
    group_closure_prob: float | None = None
    coords: list[tuple[float, float]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The leg as the JSON schema gives it (``from``/``to`` are display names)."""
        d = {name: getattr(self, name) for name in _leg_fields()}  # values are scalars
        out = {"from": d.pop("from_name"), "to": d.pop("to_name")}
        out.update(d)
        for key in ("distance_km", "time_h", "cost_usd", "cost_usd_per_t", "generalized_cost", "fee_usd"):
            if out[key] is not None:
                out[key] = round(out[key], 2)
        return out


@functools.cache
def _leg_fields() -> tuple[str, ...]:
    """The fields of :class:`Leg` that its JSON form holds (all but ``coords``), in order."""
    return tuple(f.name for f in fields(Leg) if f.name != "coords")


@dataclass
class Route:
    """The answer to a route request.

    Attributes
    ----------
    origin, destination : dict
        ``id``, ``name``, ``country``, ``lat``, ``lon`` of each end.
    cargo : str
    objective : str
    tonnes : float
    leg_list : list of Leg
        The legs in order (:attr:`legs` is the same as a GeoDataFrame).
    alternatives : list of Route
        The K best corridors, this one first (only one when no alternatives were asked).

    """

    origin: dict[str, Any]
    destination: dict[str, Any]
    cargo: str
    objective: str
    tonnes: float
    leg_list: list[Leg]
    alternatives: list[Route] = field(default_factory=list, repr=False)

    @property
    def totals(self) -> dict[str, float]:
        """Route totals, the sums of the rounded legs.

        Distance (km), time (hours and days), cost (USD per shipment and per tonne) and
        generalized cost (USD per tonne, and per shipment).
        """
        return self._totals([leg.to_dict() for leg in self.leg_list])

    def _totals(self, legs: list[dict[str, Any]]) -> dict[str, float]:
        """:attr:`totals` from the legs' JSON form (:meth:`Leg.to_dict` of each)."""
        cost = round(sum(leg["cost_usd"] for leg in legs), 2)
        time_h = round(sum(leg["time_h"] for leg in legs), 2)
        gen = sum(leg.generalized_cost for leg in self.leg_list)
        return {
            "distance_km": round(sum(leg["distance_km"] for leg in legs), 2),
            "time_h": time_h,
            "time_days": round(time_h / 24.0, 2),
            "cost_usd": cost,
            "cost_usd_per_t": round(cost / self.tonnes, 2),
            "generalized_cost": round(gen, 2),
            "generalized_cost_usd": round(gen * self.tonnes, 2),
            "p_open": round(self.p_open, 6),
        }

    @property
    def p_open(self) -> float:
        """Probability that no crossing on the route is closed (each closure group once)."""
        crossings: dict[str, float] = {}
        groups: dict[str, float] = {}
        for leg in self.leg_list:
            if leg.kind == "crossing" and leg.crossing_id:
                crossings[leg.crossing_id] = leg.closure_prob or 0.0
                if leg.closure_group:
                    groups[leg.closure_group] = leg.group_closure_prob or 0.0
        return closures.p_open(crossings, groups)

    @property
    def crossings(self) -> list[str]:
        """Ids of the border crossings used, in order."""
        return [leg.crossing_id for leg in self.leg_list if leg.kind == "crossing" and leg.crossing_id]

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """Every transshipment: mode changes, breaks of gauge and forced transloading."""
        out = []
        for leg in self.leg_list:
            if leg.kind == "transfer":
                out.append(
                    {
                        "place": leg.from_name,
                        "place_id": leg.from_id,
                        "kind": leg.transfer_kind,
                        "from_layer": leg.from_layer,
                        "to_layer": leg.to_layer,
                        "cost_usd": round(leg.cost_usd, 2),
                        "time_h": round(leg.time_h, 2),
                    }
                )
            elif leg.kind == "crossing" and leg.transfer_kind == "crossing_transload":
                out.append(
                    {
                        "place": leg.crossing_name,
                        "place_id": leg.crossing_id,
                        "kind": "crossing_transload",
                        "from_layer": "road",
                        "to_layer": "road",
                        "cost_usd": round(leg.cost_usd - (leg.fee_usd or 0.0), 2),
                        "time_h": round(leg.transload_time_h or 0.0, 2),
                    }
                )
        return out

    @property
    def legs(self) -> gpd.GeoDataFrame:
        """The legs as a GeoDataFrame (EPSG:4326), one LineString row per leg."""
        import geopandas as gpd  # deferred: geopandas (0.5 s), only for GeoDataFrames
        from shapely.geometry import LineString  # deferred: shapely, only when geometry is built

        rows = [leg.to_dict() for leg in self.leg_list]
        geoms = [LineString(leg.coords if len(leg.coords) > 1 else leg.coords * 2) for leg in self.leg_list]
        return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")

    def to_dict(self, with_alternatives: bool = True) -> dict[str, Any]:
        """The route in the JSON output schema (README, "JSON output")."""
        legs = [leg.to_dict() for leg in self.leg_list]
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "origin": self.origin,
            "destination": self.destination,
            "cargo": self.cargo,
            "objective": self.objective,
            "tonnes": self.tonnes,
            "totals": self._totals(legs),
            "crossings": self.crossings,
            "transfers": self.transfers,
            "legs": legs,
        }
        if with_alternatives and len(self.alternatives) > 1:
            out["alternatives"] = [r.to_dict(with_alternatives=False) for r in self.alternatives]
        return out

    def to_geojson(self) -> dict[str, Any]:
        """Every leg of this route and of its alternatives as one GeoJSON FeatureCollection.

        Movement legs are LineStrings; crossings (at the midpoint of their two posts) and
        transshipments (at their terminal) are Points, so every geometry is valid. Every
        feature has the same properties with the same types: a
        field that does not apply to a leg is ``""`` for text and ``0`` for numbers (e.g.
        ``gauge_mm`` 0 on a road leg), never null, so a column keeps its type from route to
        route. ``route_id`` is 1 for the best route and 2, 3 ... for the alternatives;
        ``leg_index`` counts legs from 1 within a route; ``cum_*`` are running totals.

        Returns
        -------
        dict
            A FeatureCollection with the request (origin, destination, cargo, tonnes,
            objective) as foreign members.

        """
        # every feature's properties and their types; a missing value becomes "" or 0
        schema: dict[str, type] = {
            "route_id": int, "leg_index": int, "route_crossings": str, "from": str, "to": str, "from_id": str,
            "to_id": str, "kind": str, "mode": str, "layer": str, "gauge_mm": int, "distance_km": float,
            "time_h": float, "cost_usd_per_t": float, "cost_usd": float, "generalized_cost": float, "edge_id": str,
            "road_class": str, "country": str, "crossing_id": str, "crossing_name": str, "fee_usd": float,
            "from_layer": str, "to_layer": str, "transfer_kind": str, "transload_time_h": float,
            "closure_prob": float, "closure_group": str, "group_closure_prob": float, "cum_distance_km": float,
            "cum_time_h": float, "cum_cost_usd": float,
        }  # fmt: skip

        def geometry(leg: Leg) -> dict[str, Any]:
            coords = [(float(x), float(y)) for x, y in leg.coords]
            if leg.kind == "crossing" and coords:
                (x0, y0), (x1, y1) = coords[0], coords[-1]
                return {"type": "Point", "coordinates": [round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6)]}
            if leg.kind == "transfer" or len(set(coords)) < 2:
                return {"type": "Point", "coordinates": list(coords[0])}
            return {"type": "LineString", "coordinates": [list(p) for p in coords]}

        features = []
        routes = self.alternatives if len(self.alternatives) > 1 else [self]
        for route_id, route in enumerate(routes, 1):
            crossings = " > ".join(route.crossings)
            d = t = c = 0.0
            for index, leg in enumerate(route.leg_list, 1):
                d, t, c = d + leg.distance_km, t + leg.time_h, c + leg.cost_usd
                raw = leg.to_dict() | {
                    "route_id": route_id,
                    "leg_index": index,
                    "route_crossings": crossings,
                    "cum_distance_km": round(d, 2),
                    "cum_time_h": round(t, 2),
                    "cum_cost_usd": round(c, 2),
                }
                props = {k: kind() if raw.get(k) is None else kind(raw[k]) for k, kind in schema.items()}
                features.append({"type": "Feature", "geometry": geometry(leg), "properties": props})
        return {
            "type": "FeatureCollection",
            "origin": self.origin,
            "destination": self.destination,
            "cargo": self.cargo,
            "tonnes": self.tonnes,
            "objective": self.objective,
            "features": features,
        }


def _endpoint_info(graph: nx.MultiDiGraph, node: str) -> dict[str, Any]:
    d = graph.nodes[node]
    return {"id": d["place"], "name": d["name"], "country": d["country"], "lat": d["y"], "lon": d["x"]}


def build_route(
    *,
    graph: nx.MultiDiGraph,
    router: Solver,
    path: list[str],
    tonnes: float,
    objective: str,
) -> Route:
    """Turn a node path into a priced :class:`Route`.

    Parameters
    ----------
    graph
        The graph the path was found on.
    router
        The solver that found it (its cost model and restrictions pick each parallel edge).
    path
        Graph nodes from origin to destination.
    tonnes
        Shipment size.
    objective
        The objective minimised.

    """
    model = router.model
    legs = []
    for (u, v), d in zip(itertools.pairwise(path), router.path_edges(path), strict=True):
        nu, nv = graph.nodes[u], graph.nodes[v]
        per_t = model.cost_per_t(d)
        leg = Leg(
            from_name=nu["name"],
            to_name=nv["name"],
            from_id=nu["place"],
            to_id=nv["place"],
            kind=d["kind"],
            mode=d["mode"],
            layer=d["layer"],
            gauge_mm=d.get("gauge_mm"),
            distance_km=d["distance_km"],
            time_h=d["time_h"],
            cost_usd_per_t=per_t,
            cost_usd=per_t * tonnes,
            generalized_cost=model.generalized(per_t, d["time_h"]),
            edge_id=d["id"],
            road_class=d.get("road_class"),
            country=d.get("country"),
            coords=list(d["geometry"].coords),
        )
        if d["kind"] == "crossing":
            leg.crossing_id = d["crossing_id"]
            leg.crossing_name = d["crossing_name"]
            leg.closure_prob = d["closure_prob"]
            leg.closure_group = d["closure_group"] or None
            leg.group_closure_prob = d["group_closure_prob"] if d["closure_group"] else None
            fees_per_t = per_t - d.get("cost_usd_per_t", 0.0)
            leg.fee_usd = fees_per_t * tonnes
            if d.get("transload_cost_usd_per_t") is not None:
                leg.transfer_kind = "crossing_transload"
                leg.transload_time_h = d.get("transload_time_h", 0.0)
        elif d["kind"] == "transfer":
            leg.from_layer, leg.to_layer = nu["layer"], nv["layer"]
            leg.transfer_kind = d["transfer_kind"]
            land = nv["layer"] if nv["layer"] != SEA_LAYER else nu["layer"]
            leg.mode = "rail" if land.startswith("rail") else "road"
            leg.gauge_mm = gauge_of(land)
        legs.append(leg)
    return Route(
        origin=_endpoint_info(graph, path[0]),
        destination=_endpoint_info(graph, path[-1]),
        cargo=model.profile.name,
        objective=objective,
        tonnes=tonnes,
        leg_list=legs,
    )
