"""Fidelity: the model's whole-route answers against observed facts.

``geodata/observations.csv`` lists observed facts about real corridors, each with the query
that reproduces it (origin, destination, cargo, modes, tonnes, scenario), a metric, the
observed value and a tolerance:

- ``uses_crossing``: the route uses one of the crossing ids given (``TRK`` or ``TRK|SPB``);
- ``avoids_crossing``: it uses none of them;
- ``main_mode``: ``road`` or ``rail`` carries most of the route's distance;
- ``distance_km``, ``time_h``, ``cost_usd`` (the shipment's money cost): the model's total
  lies within ``tolerance`` (a fraction) of the observed value. The optional ``scope``
  column says what the figure covers: ``land`` (default: from or to the port gate, so a
  seaport's dwell and handling are left out, as freight rates and trucking times quote them)
  or ``door`` (port dwell and handling included).

:func:`check_all` runs every observation and returns one :class:`Check` each; the CLI's
``fidelity`` command prints them and the pass rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from corridors.data import NUMERIC_METRICS, Observation
from corridors.errors import CorridorsError

if TYPE_CHECKING:
    from corridors.network import Network
    from corridors.route import Route

#: Version of the ``fidelity --json`` schema (README, "JSON output").
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Check:
    """One observation checked against the model.

    Attributes
    ----------
    observation
        The observed fact.
    passed
        Whether the model agrees within the tolerance.
    model
        What the model answers for the metric (crossings as ``HAI>TRK``, numbers as text), or
        the error when it gives no route.
    deviation
        For numeric metrics, ``model / observed - 1``; else None.

    """

    observation: Observation
    passed: bool
    model: str
    deviation: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The check as the ``fidelity --json`` schema gives it."""
        o = self.observation
        return {
            "id": o.id,
            "origin": o.origin,
            "destination": o.destination,
            "cargo": o.cargo,
            "modes": list(o.modes),
            "tonnes": o.tonnes,
            "scenario": o.scenario or None,
            "metric": o.metric,
            "scope": o.scope,
            "observed": o.observed,
            "tolerance": o.tolerance,
            "model": self.model,
            "deviation": None if self.deviation is None else round(self.deviation, 4),
            "passed": self.passed,
            "date": o.date,
            "source": o.provenance.source,
        }


def main_mode(route: Route) -> str:
    """The mode (``road`` or ``rail``) that carries most of the route's distance."""
    km = {"road": 0.0, "rail": 0.0}
    for leg in route.leg_list:
        if leg.kind in ("road", "rail") or (leg.kind == "crossing" and leg.mode in km):
            km[leg.mode] += leg.distance_km
    return "rail" if km["rail"] > km["road"] else "road"


def metric_value(route: Route, metric: str, scope: str = "land") -> float | str:
    """The model's value of one metric on a route (crossings as ``A>B``).

    Parameters
    ----------
    route
        The model's route.
    metric
        One of :data:`corridors.data.OBSERVATION_METRICS`.
    scope
        ``land`` leaves seaport dwell and handling out of the numeric totals; ``door`` keeps them.

    """
    if metric in ("uses_crossing", "avoids_crossing"):
        return ">".join(route.crossings) or "(none)"
    if metric == "main_mode":
        return main_mode(route)
    legs = [leg for leg in route.leg_list if scope == "door" or leg.transfer_kind != "port"]
    field = {"distance_km": "distance_km", "time_h": "time_h", "cost_usd": "cost_usd"}[metric]
    return round(sum(getattr(leg, field) for leg in legs), 2)


def judge(observation: Observation, route: Route) -> Check:
    """Check one observation against the route the model found for its query.

    Parameters
    ----------
    observation
        The observed fact.
    route
        The model's route for the observation's query.

    Returns
    -------
    Check

    """
    metric = observation.metric
    value = metric_value(route, metric, observation.scope)
    if metric in NUMERIC_METRICS:
        observed = float(observation.observed)
        deviation = float(value) / observed - 1.0
        tolerance = observation.tolerance or 0.0
        return Check(observation, abs(deviation) <= tolerance + 1e-12, f"{float(value):.0f}", deviation)
    if metric == "main_mode":
        return Check(observation, value == observation.observed, str(value))
    wanted = {c.strip() for c in observation.observed.split("|")}
    used = set(route.crossings)
    passed = bool(wanted & used) if metric == "uses_crossing" else not (wanted & used)
    return Check(observation, passed, str(value))


def check_all(
    network: Network,
    observations: Iterable[Observation],
    load_scenario: Callable[[str], Any],
) -> list[Check]:
    """Run every observation's query and judge it.

    Parameters
    ----------
    network
        The baseline network.
    observations
        The observed facts (``network.data.observations`` for the shipped ones).
    load_scenario
        Turns a scenario name into a scenario (:func:`corridors.scenarios.load_scenario`
        bound to the geodata directory); observations under the same scenarios share one
        network.

    Returns
    -------
    list of Check
        In the order of ``observations``. A query the model cannot answer (no route) fails
        with the error as its model value.

    """
    networks: dict[tuple[str, ...], Network] = {(): network}
    out = []
    for o in observations:
        names = tuple(s.strip() for s in o.scenario.split(";") if s.strip())
        if names not in networks:
            networks[names] = network.with_scenarios([load_scenario(n) for n in names])
        net = networks[names]
        try:
            route = net.route(o.origin, o.destination, cargo=o.cargo, tonnes=o.tonnes, modes=o.modes or None)
        except CorridorsError as exc:
            out.append(Check(o, False, f"error: {exc.message}"))
            continue
        out.append(judge(o, route))
    return out


def summary(checks: Sequence[Check]) -> dict[str, Any]:
    """Counts and pass rate of a list of checks."""
    passed = sum(c.passed for c in checks)
    return {
        "total": len(checks),
        "passed": passed,
        "failed": len(checks) - passed,
        "pass_rate": round(passed / len(checks), 4) if checks else 0.0,
    }


def to_json(checks: Sequence[Check]) -> dict[str, Any]:
    """The ``fidelity --json`` document."""
    return {"schema_version": SCHEMA_VERSION, **summary(checks), "checks": [c.to_dict() for c in checks]}


__all__ = ["SCHEMA_VERSION", "Check", "check_all", "judge", "main_mode", "metric_value", "summary", "to_json"]
