"""Exact enumeration of every closure state: the oracle for the Monte Carlo of :mod:`corridors.risk`.

Small networks only: each closure group and each crossing whose probability lies strictly
between 0 and 1 is a variable, and all 2^k states are solved with their probabilities
(:meth:`corridors.closures.ClosureModel.states`), under the same closure and waiting rules
as :func:`corridors.risk.simulate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from corridors.errors import UsageError
from corridors.fastpath import Snapshot
from corridors.risk import endpoints, solve_state

if TYPE_CHECKING:
    from corridors.network import Network

#: Enumerating more uncertain variables than this is refused (2^k states).
MAX_EXACT_VARIABLES = 20


@dataclass(frozen=True)
class ExactResult:
    """Exact expectation over every closure state (small networks only)."""

    states: int
    p_no_route: float
    expected_generalized_cost: float
    expected_cost_per_t: float
    expected_time_h: float


def exact(
    network: Network,
    origin: str,
    destination: str,
    *,
    wait: bool = False,
    cargo: str = "general",
    objective: str = "generalized",
) -> ExactResult:
    """Enumerate every closure state with its probability (the oracle for :func:`simulate`).

    Expectations are conditional on a route existing. Variables: each closure group and each
    crossing whose probability lies strictly between 0 and 1.

    Raises
    ------
    UsageError
        If there are more than :data:`MAX_EXACT_VARIABLES` uncertain variables.

    """
    model = network.cost_model(cargo)
    snap = Snapshot(network, model, objective)
    ends = endpoints(snap, origin, destination)
    g_var, c_var = snap.closures.uncertain()
    k = len(g_var) + len(c_var)
    if k > MAX_EXACT_VARIABLES:
        raise UsageError(f"exact enumeration needs 2^{k} states; at most {MAX_EXACT_VARIABLES} variables")
    total_p = no_route = gen = cost = time = 0.0
    n_states = 0
    for p, state in snap.closures.states():
        r = solve_state(snap, ends, state, wait)
        n_states += 1
        total_p += p
        if r is None:
            no_route += p
            continue
        gen += p * r.generalized
        cost += p * r.cost_per_t
        time += p * r.time_h
    ok = total_p - no_route
    return ExactResult(
        states=n_states,
        p_no_route=float(no_route),
        expected_generalized_cost=float(gen / ok) if ok > 0 else float("nan"),
        expected_cost_per_t=float(cost / ok) if ok > 0 else float("nan"),
        expected_time_h=float(time / ok) if ok > 0 else float("nan"),
    )
