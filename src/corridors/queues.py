"""Border-crossing delay under load: capacity, opening hours and the queue wait.

A crossing's time is its free time (``road_time_h`` / ``rail_time_h`` of ``crossings.csv``,
CPMM averages at the traffic of their survey) plus a *queue wait* that grows with the
vehicles a day it handles, ``x`` (trucks on the road mode, wagons on the rail mode, both
directions together: one post's lanes and staff serve both). With the capacity ``c``
(vehicles a day), the utilisation ``rho = x / c`` and the opening hours ``H`` (hours a day),
the queue wait in hours is

``q(rho) = T**2 / (2 (24 - rho H)) - T**2 / 48  +  12 cv**2 rho / (1 - rho)``,  ``T = 24 - H``

for ``rho <= rho0``, continued linearly beyond ``rho0`` with the slope at ``rho0``:

- the first part is the *overnight backlog*: vehicles arrive round the clock, the post
  serves ``c / H`` an open hour, so the queue built while it is closed takes longer to clear
  the busier the day (a deterministic fluid queue; its value at zero load, ``T**2 / 48``, is
  the wait for the opening that the free time already contains, so it is subtracted);
- the second part is the *day-to-day* queue: daily arrivals vary with coefficient of
  variation ``cv`` against a daily capacity ``c``; the heavy-traffic (Kingman) mean backlog
  of this random walk, ``cv**2 x**2 / (2 (c - x))`` vehicles, divided by ``x`` (Little's law)
  is ``cv**2 / 2 * rho / (1 - rho)`` days;
- the linear continuation beyond ``rho0`` (:data:`queue.linear_from_utilisation` in
  ``costs.toml``) keeps the function finite for any load, so an equilibrium exists even when
  demand exceeds every capacity; it is convex and increasing everywhere (a Davidson-type
  function with a linear extension, as in Akçelik's and Spiess's conical forms).

Capacities and opening hours are in ``geodata/crossing_capacity.csv`` (sourced, or ``EST``
with their reasoning); a road mode without a row takes ``capacity_trucks_per_day`` of
``crossings.csv``; a crossing mode with neither is uncongested (free time only). Where the
time in ``crossings.csv`` is an observed time that already contains a queue (Islam Qala's is
read from reports of multi-night waits), the row's optional ``free_time_h`` gives the free time
the queue wait is added to, so that the queue is not counted twice under load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corridors.data import MODES, CostParams, GeoData, Provenance, csv_rows, read_text_file
from corridors.errors import DataError

#: Equilibria :func:`corridors.assign.assign` can find (here, not there, so that the CLI
#: builds its options without loading the path engine).
METHODS: tuple[str, ...] = ("sue", "ue")
#: The relative gap below which an assignment counts as converged, by default.
DEFAULT_GAP = 1e-4
#: Iterations at most, by default.
DEFAULT_MAX_ITERATIONS = 2000

CAPACITY_FILE = "crossing_capacity.csv"
CAPACITY_COLUMNS = ("crossing", "mode", "capacity_per_day", "opening_hours", "source", "quality", "note")
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class QueueParams:
    """Parameters of the queue function (``[queue]`` of ``costs.toml``).

    Parameters
    ----------
    daily_cv
        Coefficient of variation of the vehicles arriving a day.
    linear_from
        Utilisation from which the wait grows linearly (``rho0``, below 1).
    opening_hours
        Opening hours a day of a crossing whose row gives none.
    days_per_year
        Days a year freight moves (tonnes a year to vehicles a day).

    """

    daily_cv: float
    linear_from: float
    opening_hours: float
    days_per_year: float

    @classmethod
    def from_costs(cls, costs: CostParams) -> QueueParams:
        """Read ``[queue]`` of ``costs.toml``.

        Raises
        ------
        DataError
            If a parameter is missing or out of range.

        """
        p = cls(
            daily_cv=costs.get("queue", "daily_cv"),
            linear_from=costs.get("queue", "linear_from_utilisation"),
            opening_hours=costs.get("queue", "default_opening_hours"),
            days_per_year=costs.get("queue", "operating_days_per_year"),
        )
        if not 0 < p.linear_from < 1:
            raise DataError("costs.toml: queue.linear_from_utilisation must be between 0 and 1")
        if not 0 < p.opening_hours <= HOURS_PER_DAY:
            raise DataError("costs.toml: queue.default_opening_hours must be in (0, 24]")
        if not 0 < p.days_per_year <= 366:
            raise DataError("costs.toml: queue.operating_days_per_year must be in (0, 366]")
        return p


@dataclass(frozen=True)
class Capacity:
    """Capacity of one mode of one crossing (vehicles a day, both directions)."""

    crossing: str
    mode: str
    capacity_per_day: float
    opening_hours: float
    provenance: Provenance
    from_file: str = CAPACITY_FILE
    free_time_h: float | None = None


def load_capacities(data: GeoData, params: QueueParams) -> dict[tuple[str, str], Capacity]:
    """Capacities by ``(crossing id, mode)``: ``crossings.csv`` for roads, else the capacity file.

    A road capacity in ``crossings.csv`` (``capacity_trucks_per_day``, which a scenario may
    set) wins over the file's; the file gives rail capacities, opening hours, and road
    capacities where ``crossings.csv`` has none.

    Parameters
    ----------
    data
        The geodata (its folder holds the optional ``crossing_capacity.csv``).
    params
        Supplies the default opening hours.

    Returns
    -------
    dict
        Crossing modes without any capacity are absent (uncongested).

    Raises
    ------
    DataError
        If a row is malformed or names an unknown crossing or a mode it does not serve.

    """
    out: dict[tuple[str, str], Capacity] = {}
    for c in data.crossings.values():
        if "road" in c.modes and c.capacity_trucks_per_day:
            out[(c.id, "road")] = Capacity(
                c.id, "road", c.capacity_trucks_per_day, params.opening_hours, c.provenance, "crossings.csv"
            )
    path = Path(data.directory) / CAPACITY_FILE
    if not path.exists():
        return out
    seen: set[tuple[str, str]] = set()
    for line, row in csv_rows(read_text_file(path, CAPACITY_FILE), CAPACITY_FILE, CAPACITY_COLUMNS):
        where = f"{CAPACITY_FILE}:{line}"
        cid, mode = row["crossing"].strip(), row["mode"].strip()
        crossing = data.crossings.get(cid)
        if crossing is None:
            raise DataError(f"{where}: unknown crossing '{cid}'")
        if mode not in MODES or mode not in crossing.modes:
            raise DataError(f"{where}: crossing {cid} does not serve mode '{mode}'")
        if (cid, mode) in seen:
            raise DataError(f"{where}: a second row for {cid} {mode}")
        seen.add((cid, mode))
        cap = _number(row["capacity_per_day"], where, "capacity_per_day", 1e6)
        if cap is None or cap <= 0:
            raise DataError(f"{where}: capacity_per_day must be a positive number")
        hours = _number(row["opening_hours"], where, "opening_hours", HOURS_PER_DAY)
        if hours is not None and hours <= 0:
            raise DataError(f"{where}: opening_hours must be in (0, 24]")
        quality = row["quality"].strip()
        if quality == "EST" and not row["note"].strip():
            raise DataError(f"{where}: an estimate (quality EST) needs its reasoning in note")
        prov = Provenance(source=row["source"].strip(), quality=quality, note=row["note"].strip())
        hours = params.opening_hours if hours is None else hours
        free = _number(row.get("free_time_h", ""), where, "free_time_h", 1000.0)
        record = crossing.capacity_trucks_per_day if mode == "road" else None
        if record:
            out[(cid, mode)] = Capacity(cid, mode, record, hours, crossing.provenance, "crossings.csv", free)
        else:
            out[(cid, mode)] = Capacity(cid, mode, cap, hours, prov, free_time_h=free)
    return out


def _number(text: str, where: str, column: str, high: float) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {column} '{text}' is not a number") from None
    if not math.isfinite(value) or not 0 <= value <= high:
        raise DataError(f"{where}: {column} must be a number from 0 to {high:g}")
    return value


def _raw(rho: np.ndarray, hours: np.ndarray, cv: float) -> tuple[np.ndarray, np.ndarray]:
    """Wait (h) and its derivative in ``rho`` of the two queue terms, for ``rho < 1``."""
    closed = HOURS_PER_DAY - hours
    den = HOURS_PER_DAY - rho * hours
    j = 12.0 * cv * cv
    wait = closed**2 / (2.0 * den) - closed**2 / (2.0 * HOURS_PER_DAY) + j * rho / (1.0 - rho)
    slope = closed**2 * hours / (2.0 * den**2) + j / (1.0 - rho) ** 2
    return wait, slope


def queue_wait(
    vehicles: np.ndarray, capacity: np.ndarray, hours: np.ndarray, params: QueueParams
) -> tuple[np.ndarray, np.ndarray]:
    """Queue wait in hours and its derivative per vehicle a day, elementwise.

    Parameters
    ----------
    vehicles
        Vehicles a day at each crossing mode (both directions).
    capacity
        Vehicles a day each can handle; ``inf`` for an uncongested one (wait 0).
    hours
        Opening hours a day of each.
    params
        ``daily_cv`` and ``linear_from``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(wait_h, d wait_h / d vehicles)``.

    """
    x = np.asarray(vehicles, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    h = np.broadcast_to(np.asarray(hours, dtype=float), x.shape)
    finite = np.isfinite(cap)
    rho = np.where(finite, x / np.where(finite, cap, 1.0), 0.0)
    rho0 = params.linear_from
    inner = np.minimum(rho, rho0)
    wait, slope = _raw(inner, h, params.daily_cv)
    w0, s0 = _raw(np.full_like(rho, rho0), h, params.daily_cv)
    beyond = rho > rho0
    wait = np.where(beyond, w0 + s0 * (rho - rho0), wait)
    slope = np.where(beyond, s0, slope)
    wait = np.where(finite, wait, 0.0)
    dwait = np.where(finite, slope / np.where(finite, cap, 1.0), 0.0)
    return wait, dwait


def utilisation(vehicles: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Vehicles over capacity; NaN where the capacity is unknown."""
    cap = np.asarray(capacity, dtype=float)
    return np.where(np.isfinite(cap), np.asarray(vehicles, dtype=float) / np.where(np.isfinite(cap), cap, 1.0), np.nan)
