"""Least-cost paths on the corridor graph: restrictions, waypoints and alternatives.

A route starts on any layer of its origin and ends on any layer of its destination (cargo at
a terminal may leave by road or by rail). Waypoints are chained layer by layer. Alternatives
are the K best corridors that differ in the border crossings they use: a best-first search
over sets of banned crossings, each set solved once. Every shortest path is solved by the
one path engine, :mod:`corridors.engine`.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from corridors.closures import ClosureModel, least_over_groups
from corridors.costs import CostModel
from corridors.engine import GraphEngine, PathEngine, Solver
from corridors.errors import NoRouteError
from corridors.restrictions import Restrictions
from corridors.route import Route, build_route

if TYPE_CHECKING:
    import networkx as nx

    from corridors.network import Network

#: Ban sets tried at most when searching alternatives (each is one shortest-path solve).
MAX_ALTERNATIVE_SOLVES = 200

Endpoint = tuple[str, str, list[str]]  # (place id, display name, graph nodes)


def crossings_on(graph: nx.MultiDiGraph, solver: Solver, path: Sequence[str]) -> tuple[str, ...]:
    """Crossing ids used along a node path, in order (``graph``: the graph it was found on)."""
    return solver.crossings_on(path)


def find_routes(
    *,
    network: Network,
    graph: nx.MultiDiGraph,
    model: CostModel,
    objective: str,
    tonnes: float,
    origin: Endpoint,
    destination: Endpoint,
    via: Sequence[Sequence[str]],
    restrictions: Restrictions,
    k: int = 1,
    engine: PathEngine | None = None,
) -> Route:
    """Solve a route request and build its :class:`~corridors.route.Route`.

    Returns the best route with ``alternatives`` set to the ``k`` best corridors that differ
    in their border crossings. ``engine`` solves every shortest path: default a
    :class:`~corridors.engine.GraphEngine` of ``graph``; :mod:`corridors.osm` passes its
    :class:`~corridors.engine.EdgeTable`.

    Raises
    ------
    NoRouteError
        If nothing connects origin and destination; the message names the restriction that
        cut the network when relaxing it would give a route.

    """
    paths = engine or GraphEngine(graph)
    solvers: dict[Restrictions, Solver] = {}

    def solver(r: Restrictions) -> Solver:
        if r not in solvers:
            solvers[r] = paths.solver(model, objective, r)
        return solvers[r]

    def solve_plain(r: Restrictions) -> tuple[float, list[str]] | None:
        if via:
            return solver(r).shortest_via(origin[2], via, destination[2])
        return solver(r).shortest(origin[2], destination[2])

    closure_groups = _closure_groups(network) if objective == "reliability" else None

    def solve_in(r: Restrictions) -> tuple[float, list[str], Restrictions] | None:
        """Solve; returns the restrictions the path was found under (with banned groups)."""
        if not closure_groups:
            found = solve_plain(r)
            return None if found is None else (found[0], found[1], r)
        probs, members = closure_groups
        best = least_over_groups(lambda banned: solve_plain(replace(r, crossings=r.crossings | banned)), probs, members)
        return None if best is None else (best[0], best[1], replace(r, crossings=r.crossings | best[2]))

    def solve(r: Restrictions) -> tuple[float, list[str]] | None:
        found = solve_in(r)
        return None if found is None else (found[0], found[1])

    first = solve_in(restrictions)
    if first is None:
        raise NoRouteError(_explain_no_route(solve, restrictions, origin, destination, bool(via)))

    found: list[tuple[float, list[str], Restrictions]] = []
    seen_crossings: set[tuple[str, ...]] = set()
    counter = itertools.count()
    heap = [(first[0], next(counter), restrictions, first[1], first[2])]
    tried = {restrictions.crossings}
    solves = 1
    while heap and len(found) < k:
        w, _, r, path, used = heapq.heappop(heap)
        seq = crossings_on(graph, solver(used), path)
        if seq not in seen_crossings:
            seen_crossings.add(seq)
            found.append((w, path, used))
        if len(found) >= k:
            break
        for c in dict.fromkeys(seq):
            banned = r.crossings | {c}
            if banned in tried or solves >= MAX_ALTERNATIVE_SOLVES:
                continue
            tried.add(banned)
            solves += 1
            r2 = replace(r, crossings=banned)
            nxt = solve_in(r2)
            if nxt is not None:
                heapq.heappush(heap, (nxt[0], next(counter), r2, nxt[1], nxt[2]))

    routes = [
        build_route(
            graph=graph,
            router=solver(r),
            path=path,
            tonnes=tonnes,
            objective=objective,
        )
        for _, path, r in found
    ]
    best = routes[0]
    best.alternatives = routes
    return best


def _closure_groups(network: Network) -> tuple[dict[str, float], dict[str, list[str]]] | None:
    """Closure probability and member crossings of each group that can close, or None."""
    model = ClosureModel.from_data(network.data)
    probs = {g: p for g, p in model.group_probs().items() if p > 0}
    if not probs:
        return None
    members = model.members()
    return probs, {g: members[g] for g in probs}


def _explain_no_route(
    solve: Any, restrictions: Restrictions, origin: Endpoint, destination: Endpoint, has_via: bool
) -> str:
    """Say which restriction cut every path, by relaxing them one at a time."""
    o, d = origin[1], destination[1]
    relaxations = []
    if restrictions.modes != {"road", "rail"}:
        relaxations.append(
            (
                f"--modes {','.join(sorted(restrictions.modes))}",
                replace(restrictions, modes=frozenset({"road", "rail"})),
            )
        )
    if restrictions.places or restrictions.crossings or restrictions.edges:
        avoided = sorted(restrictions.places | restrictions.crossings | restrictions.edges)
        relaxations.append(
            (
                f"--avoid {', '.join(avoided)}",
                replace(restrictions, places=frozenset(), crossings=frozenset(), edges=frozenset(), nodes=frozenset()),
            )
        )
    for label, relaxed in relaxations:
        if solve(relaxed) is not None:
            return f"no route from {o} to {d}: {label} cuts every path (a route exists without it)"
    if relaxations and solve(Restrictions()) is not None:
        return f"no route from {o} to {d} under {' and '.join(lbl for lbl, _ in relaxations)} together (each alone leaves a path)"
    if has_via:
        return f"no route from {o} to {d} through the --via place(s)"
    return f"no route from {o} to {d}: they are not connected in the network for this cargo"
