"""Edge weights for a cargo profile and an objective.

The graph stores what does not depend on the cargo: distance, time, and the cost basis of
each edge (USD per truck, per wagon or per tonne). :class:`CostModel` turns that basis into
USD per tonne for one cargo profile and into the weight an objective minimises:

- road: ``cost_usd_per_truck x road_cost_factor / payload_t``
- rail: ``cost_usd_per_t x rail_cost_factor`` (tariff x km)
- crossing: ``fee per truck / payload_t`` or ``fee per wagon / wagon_payload_t``, plus the
  per-tonne cost of forced transloading where the crossing requires it
- transfer: ``cost_usd_per_t`` of the terminal
- generalized cost (USD/t) = money (USD/t) + value of time (USD/t/h) x hours
- reliability: ``-log(1 - p)`` of each crossing's own closure; closure groups are charged once
  per route by :func:`corridors.closures.least_over_groups`, so the least total weight is the
  route most likely to be open end to end (the ``p_open`` it reports)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridors.closures import crossing_weight
from corridors.data import CargoProfile, CostParams
from corridors.errors import UsageError

#: What a route can minimise.
OBJECTIVES: tuple[str, ...] = ("generalized", "cost", "time", "distance", "reliability")
#: Objectives measured per tonne, so that a closure's damage sums over flows (criticality);
#: ``reliability`` is a probability weight and has no such sum.
LOSS_OBJECTIVES: tuple[str, ...] = ("generalized", "cost", "time", "distance")
#: Under ``reliability`` the generalized cost only breaks ties between equally reliable routes.
TIE_BREAK = 1e-9


#: Per mode: the edge attribute that holds the cost basis, and the ``costs.toml`` path of its
#: rate per km (followed by the country).
MOVEMENT_RATES: dict[str, tuple[str, str, str]] = {
    "road": ("cost_usd_per_truck", "road", "cost_usd_per_truck_km"),
    "rail": ("cost_usd_per_t", "rail", "tariff_usd_per_tkm"),
}


def movement_cost(costs: CostParams, mode: str, country: str, distance_km: float) -> dict[str, float]:
    """Cost basis of a road or rail edge: the one rule every edge builder uses.

    Road edges cost ``cost_usd_per_truck_km x km`` per truck, rail edges
    ``tariff_usd_per_tkm x km`` per tonne (both of the edge's country).

    Parameters
    ----------
    costs
        Cost parameters.
    mode
        ``road`` or ``rail``.
    country
        Country code of the edge.
    distance_km
        Length of the edge.

    Returns
    -------
    dict
        ``{"cost_usd_per_truck": ...}`` or ``{"cost_usd_per_t": ...}``.

    """
    key, *path = MOVEMENT_RATES["road" if mode == "road" else "rail"]
    return {key: costs.get(*path, country) * distance_km}


@dataclass(frozen=True)
class CostModel:
    """Prices edges for one cargo profile.

    Parameters
    ----------
    profile
        The cargo profile (payload, value of time, cost factors).
    wagon_payload_t
        Tonnes per rail wagon, to spread per-wagon fees.

    """

    profile: CargoProfile
    wagon_payload_t: float

    @classmethod
    def from_params(cls, costs: CostParams, cargo: str) -> CostModel:
        """Build the model for the cargo profile called ``cargo``.

        Raises
        ------
        UsageError
            If there is no such profile.

        """
        names = costs.cargo_names()
        if cargo not in names:
            raise UsageError(f"unknown cargo profile '{cargo}'; choose one of: {', '.join(names)}")
        return cls(costs.cargo(cargo), costs.get("rail", "wagon_payload_t"))

    def handles(self, attrs: Mapping[str, Any]) -> bool:
        """Whether this cargo may use the edge (transfers list the cargo they handle)."""
        allowed = attrs.get("cargo")
        return not allowed or "all" in allowed or self.profile.name in allowed

    def cost_per_t(self, attrs: Mapping[str, Any]) -> float:
        """Money cost of one edge in USD per tonne of this cargo.

        Parameters
        ----------
        attrs
            Edge attributes of the corridor graph.

        Returns
        -------
        float

        """
        p = self.profile
        kind = attrs["kind"]
        per_truck = attrs.get("cost_usd_per_truck", 0.0) / p.payload_t
        per_wagon = attrs.get("cost_usd_per_wagon", 0.0) / self.wagon_payload_t
        per_t = attrs.get("cost_usd_per_t", 0.0)
        if kind == "road":
            per_truck *= p.road_cost_factor
        elif kind == "rail":
            per_t *= p.rail_cost_factor
        return per_truck + per_wagon + per_t

    def generalized(self, cost_per_t: float, time_h: float) -> float:
        """Generalized cost in USD per tonne: money plus value of time x hours."""
        return cost_per_t + self.profile.value_of_time_usd_per_t_h * time_h

    def weight(self, attrs: Mapping[str, Any], objective: str) -> float:
        """The quantity ``objective`` minimises on one edge.

        Parameters
        ----------
        attrs
            Edge attributes.
        objective
            One of :data:`OBJECTIVES`.

        Returns
        -------
        float

        """
        if objective == "distance":
            return attrs["distance_km"]
        if objective == "time":
            return attrs["time_h"]
        cost = self.cost_per_t(attrs)
        if objective == "cost":
            return cost
        generalized = self.generalized(cost, attrs["time_h"])
        if objective == "reliability":
            return crossing_weight(attrs) + TIE_BREAK * generalized
        return generalized


def check_objective(objective: str) -> str:
    """Return ``objective`` if known.

    Raises
    ------
    UsageError
        If it is not one of :data:`OBJECTIVES`.

    """
    if objective not in OBJECTIVES:
        raise UsageError(f"unknown objective '{objective}'; choose one of: {', '.join(OBJECTIVES)}")
    return objective
