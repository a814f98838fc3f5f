"""The closure rules, in one place: probabilities, groups, ``p_open``, reliability, states.

Model: each closure group closes with its own probability (all of its crossings at once) and
each crossing closes independently with its own. A route is open when none of the crossings it
uses is closed, so

    p_open(route) = prod over distinct crossings c of (1 - p_c) x prod over distinct groups g of (1 - p_g)

(each crossing and each group counted once, however often the route uses it).

The ``reliability`` objective minimises ``-log p_open``. A plain shortest path can only charge
per edge, so the rule is:

- each crossing edge carries its own ``-log(1 - p_c)`` (:func:`crossing_weight`);
- the groups are charged exactly by enumeration (:func:`group_subsets`): for every set ``S`` of
  groups the route may use, the crossings of the other groups are banned and ``-log(1 - p_g)``
  of every group in ``S`` is added once. The least total over all sets is the least
  ``-log p_open`` (a route using groups ``T`` is priced exactly under ``S = T`` and at least as
  high under every other set that admits it), so the route found maximises ``p_open``.
  Sets are tried cheapest first and the search stops once the set's own charge reaches the best
  total, so one group costs at most two solves.

The only approximation left: a route that uses the *same* crossing twice is charged its own
closure twice (an upper bound on ``-log p_open``); a least-weight route never gains from that
unless it has no other way through.

A closure state is one uint8 per crossing: 0 open, bit 1 closed on its own, bit 2 closed with
its group (:meth:`ClosureModel.draw`, :meth:`ClosureModel.states`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from corridors.data import GeoData

#: The least probability of being open a weight is computed for (``-log`` stays finite).
_TINY = 1e-300

T = TypeVar("T")


def p_open(crossings: Mapping[str, float], groups: Mapping[str, float]) -> float:
    """Probability that no crossing of a route is closed.

    Parameters
    ----------
    crossings
        Closure probability of each distinct crossing the route uses.
    groups
        Closure probability of each distinct closure group of those crossings.

    Returns
    -------
    float

    """
    p = 1.0
    for q in (*crossings.values(), *groups.values()):
        p *= 1.0 - q
    return p


def open_weight(prob: float) -> float:
    """``-log(1 - prob)``: what being exposed to one closure adds to ``-log p_open``."""
    return -math.log(max(1.0 - prob, _TINY))


def crossing_weight(attrs: Mapping[str, Any]) -> float:
    """Reliability weight of one edge: ``-log(1 - p)`` of a crossing's own closure, else 0.

    The closure group is not charged here but once per route (:func:`group_subsets`).
    """
    if attrs.get("kind") != "crossing":
        return 0.0
    return open_weight(attrs.get("closure_prob", 0.0))


def group_subsets(groups: Mapping[str, float]) -> list[tuple[frozenset[str], float]]:
    """Every set of groups a route may use, with the charge of its groups, cheapest first.

    Groups that never close (probability 0) are always allowed and charged nothing.

    Parameters
    ----------
    groups
        Closure probability per group.

    Returns
    -------
    list of (allowed groups, sum of ``-log(1 - p_g)`` over them)

    """
    free = frozenset(g for g, p in groups.items() if p <= 0)
    risky = sorted(g for g, p in groups.items() if p > 0)
    out = []
    for r in range(len(risky) + 1):
        for combo in itertools.combinations(risky, r):
            out.append((free | frozenset(combo), math.fsum(open_weight(groups[g]) for g in combo)))
    out.sort(key=lambda sc: (sc[1], len(sc[0]), sorted(sc[0])))
    return out


def least_over_groups(
    solve: Callable[[frozenset[str]], tuple[float, T] | None],
    groups: Mapping[str, float],
    members: Mapping[str, Iterable[str]],
) -> tuple[float, T, frozenset[str]] | None:
    """The least ``-log p_open`` route: solve once per group set, charging each group once.

    Parameters
    ----------
    solve
        Solves with the given crossing ids banned; returns ``(weight, anything)`` or None.
        Weights must be non-negative.
    groups
        Closure probability per group.
    members
        Crossing ids of each group.

    Returns
    -------
    tuple of (total weight, what ``solve`` returned, crossings banned) or None

    """
    best: tuple[float, T, frozenset[str]] | None = None
    for allowed, charge in group_subsets(groups):
        if best is not None and charge >= best[0]:
            break
        banned = frozenset(c for g in groups if g not in allowed for c in members.get(g, ()))
        found = solve(banned)
        if found is not None and (best is None or found[0] + charge < best[0]):
            best = (found[0] + charge, found[1], banned)
    return best


@dataclass(frozen=True)
class ClosureModel:
    """Closure probabilities and durations of every crossing and group, as arrays.

    Attributes
    ----------
    crossing_ids
        Crossing ids, sorted; the order of every per-crossing array and of a state.
    crossing_prob, crossing_days
        Own closure probability and mean closure duration (days) per crossing.
    crossing_group
        Index into ``group_ids`` of each crossing's group, -1 for none.
    group_ids
        Closure group ids, sorted.
    group_prob, group_days
        Closure probability and mean duration (days) per group.

    """

    crossing_ids: tuple[str, ...]
    crossing_prob: np.ndarray
    crossing_days: np.ndarray
    crossing_group: np.ndarray
    group_ids: tuple[str, ...]
    group_prob: np.ndarray
    group_days: np.ndarray

    @classmethod
    def from_data(cls, data: GeoData) -> ClosureModel:
        """Read the probabilities of every crossing and group of the geodata."""
        cids = tuple(sorted(data.crossings))
        gids = tuple(sorted(data.groups))
        gidx = {g: i for i, g in enumerate(gids)}
        return cls(
            crossing_ids=cids,
            crossing_prob=np.array([data.crossings[c].closure_prob for c in cids], dtype=float),
            crossing_days=np.array([data.crossings[c].closure_mean_days for c in cids], dtype=float),
            crossing_group=np.array([gidx.get(data.crossings[c].closure_group, -1) for c in cids], dtype=np.int64),
            group_ids=gids,
            group_prob=np.array([data.groups[g].closure_prob for g in gids], dtype=float),
            group_days=np.array([data.groups[g].closure_mean_days for g in gids], dtype=float),
        )

    # -- probabilities -------------------------------------------------------------------
    def p_open(self, crossings: Iterable[str]) -> float:
        """Probability that none of ``crossings`` is closed (see :func:`p_open`)."""
        where = {c: i for i, c in enumerate(self.crossing_ids)}
        idx = [where[c] for c in dict.fromkeys(crossings)]
        own = {self.crossing_ids[i]: float(self.crossing_prob[i]) for i in idx}
        grp = {
            self.group_ids[g]: float(self.group_prob[g]) for g in (int(self.crossing_group[i]) for i in idx) if g >= 0
        }
        return p_open(own, grp)

    def group_probs(self) -> dict[str, float]:
        """Closure probability per group id."""
        return {g: float(p) for g, p in zip(self.group_ids, self.group_prob, strict=True)}

    def members(self) -> dict[str, list[str]]:
        """Crossing ids of each group."""
        out: dict[str, list[str]] = {g: [] for g in self.group_ids}
        for c, g in zip(self.crossing_ids, self.crossing_group, strict=True):
            if g >= 0:
                out[self.group_ids[g]].append(c)
        return out

    # -- states --------------------------------------------------------------------------
    def compose(self, own: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """States from closed crossings (own) and closed groups, both boolean (..., n)."""
        by_group = np.zeros(own.shape, dtype=bool)
        member = self.crossing_group >= 0
        by_group[..., member] = groups[..., self.crossing_group[member]]
        return own.astype(np.uint8) | (by_group.astype(np.uint8) << 1)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` closure states, shape (n, number of crossings).

        Group draws come first, then own draws, from the one generator.
        """
        groups = rng.random((n, len(self.group_ids))) < self.group_prob
        own = rng.random((n, len(self.crossing_ids))) < self.crossing_prob
        return self.compose(own, groups)

    def wait_hours(self, state: np.ndarray) -> np.ndarray:
        """Hours each crossing stays closed in a state (0 where open; the longer closure when both)."""
        own = np.where(state & 1, self.crossing_days * 24.0, 0.0)
        grp_days = np.where(self.crossing_group >= 0, self.group_days[np.maximum(self.crossing_group, 0)], 0.0)
        group = np.where(state & 2, grp_days * 24.0, 0.0)
        return np.maximum(own, group)

    def uncertain(self) -> tuple[list[int], list[int]]:
        """Indexes of the groups and of the crossings whose probability lies strictly in (0, 1)."""
        g_var = [i for i, p in enumerate(self.group_prob) if 0 < p < 1]
        c_var = [i for i, p in enumerate(self.crossing_prob) if 0 < p < 1]
        return g_var, c_var

    def states(self) -> Iterator[tuple[float, np.ndarray]]:
        """Every closure state with its probability (``2^k`` for ``k`` uncertain variables).

        Variables with probability 0 or 1 are fixed, so the probabilities sum to 1.
        """
        g_var, c_var = self.uncertain()
        for bits in itertools.product((0, 1), repeat=len(g_var) + len(c_var)):
            g_closed = self.group_prob >= 1
            c_closed = self.crossing_prob >= 1
            p = 1.0
            for b, i in zip(bits[: len(g_var)], g_var, strict=True):
                g_closed[i] = bool(b)
                p *= self.group_prob[i] if b else 1 - self.group_prob[i]
            for b, i in zip(bits[len(g_var) :], c_var, strict=True):
                c_closed[i] = bool(b)
                p *= self.crossing_prob[i] if b else 1 - self.crossing_prob[i]
            yield float(p), self.compose(c_closed, g_closed)
