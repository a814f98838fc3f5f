"""Why one corridor beats another: its generalized cost split into what decides.

The generalized cost of a route (USD per tonne) is the sum over its legs of money plus value
of time x hours. :func:`breakdown` splits that sum by what kind of leg it comes from:

- ``line haul``: road and rail legs (distance-driven money and moving time);
- ``borders``: crossing fees and crossing time (including forced transloading there);
- ``transfers``: mode changes, breaks of gauge and port dwell and handling.

Each part is given as money, hours and its share of the generalized cost, so the difference
between two routes says which part decides (for example "Spin Boldak's 74 h border wait
costs more than the 300 extra km via Torkham").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corridors.route import Leg, Route

#: The parts a route's generalized cost is split into, in display order.
PARTS: tuple[str, ...] = ("line haul", "borders", "transfers")


def _part(leg: Leg) -> str:
    if leg.kind == "crossing":
        return "borders"
    if leg.kind == "transfer":
        return "transfers"
    return "line haul"


@dataclass(frozen=True)
class Part:
    """One part of a route's cost: distance, hours, money (USD/t) and generalized USD/t."""

    name: str
    distance_km: float
    time_h: float
    cost_usd_per_t: float
    generalized: float

    def to_dict(self) -> dict[str, Any]:
        """Rounded, for JSON."""
        return {
            "part": self.name,
            "distance_km": round(self.distance_km, 2),
            "time_h": round(self.time_h, 2),
            "cost_usd_per_t": round(self.cost_usd_per_t, 2),
            "generalized_cost": round(self.generalized, 2),
        }


def breakdown(route: Route) -> list[Part]:
    """Split a route's totals into :data:`PARTS`.

    Parameters
    ----------
    route
        A solved route.

    Returns
    -------
    list of Part
        One per part in :data:`PARTS` order; their sums are the route's totals.

    """
    sums = {p: [0.0, 0.0, 0.0, 0.0] for p in PARTS}
    for leg in route.leg_list:
        s = sums[_part(leg)]
        s[0] += leg.distance_km
        s[1] += leg.time_h
        s[2] += leg.cost_usd_per_t
        s[3] += leg.generalized_cost
    return [Part(p, *sums[p]) for p in PARTS]


@dataclass(frozen=True)
class Comparison:
    """The chosen route against the runner-up, part by part.

    Attributes
    ----------
    chosen, runner_up
        The two routes (``runner_up`` None when no other corridor exists).
    deciding
        The part whose difference favours the chosen route most (None without a runner-up).

    """

    chosen: Route
    runner_up: Route | None
    deciding: str | None

    def rows(self) -> list[dict[str, Any]]:
        """Per part: both routes' figures and the runner-up's extra generalized cost."""
        mine = breakdown(self.chosen)
        other = breakdown(self.runner_up) if self.runner_up else [None] * len(mine)
        out = []
        for a, b in zip(mine, other, strict=True):
            out.append(
                {
                    "part": a.name,
                    "chosen": a.to_dict(),
                    "runner_up": b.to_dict() if b else None,
                    "difference_generalized": round(b.generalized - a.generalized, 2) if b else None,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``route --why --json`` block."""
        return {
            "chosen_crossings": self.chosen.crossings,
            "runner_up_crossings": self.runner_up.crossings if self.runner_up else None,
            "objective": self.chosen.objective,
            "deciding_part": self.deciding,
            "parts": self.rows(),
        }


def compare(route: Route) -> Comparison:
    """Compare a route with its runner-up (``route.alternatives[1]`` when it was found).

    Parameters
    ----------
    route
        A route solved with at least two alternatives asked for.

    Returns
    -------
    Comparison

    """
    runner = route.alternatives[1] if len(route.alternatives) > 1 else None
    deciding = None
    if runner is not None:
        diffs = {
            a.name: b.generalized - a.generalized for a, b in zip(breakdown(route), breakdown(runner), strict=True)
        }
        deciding = max(diffs, key=lambda k: diffs[k])
    return Comparison(route, runner, deciding)


__all__ = ["PARTS", "Comparison", "Part", "breakdown", "compare"]
