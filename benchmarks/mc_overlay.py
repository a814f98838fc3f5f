"""Monte Carlo throughput: the overlay engine against igraph with a state cache.

1. ``risk.simulate`` on the shipped network (Termez–Karachi) at ``--samples`` samples: samples/s.
2. Every crossing uncertain at p = 0.5 (states rarely repeat): ``risk.simulate`` against igraph
   solving each distinct state once (edges of closed crossings removed, Dijkstra from the
   origin nodes), on the same states; rounds interleaved, answers compared state by state.

Usage: ``python benchmarks/mc_overlay.py [--samples N] [--half-samples N] [--rounds R]``.
Needs ``pip install igraph`` (benchmark only).
"""

from __future__ import annotations

import argparse
import time

import igraph as ig
import numpy as np

from corridors import load_network, risk
from corridors.scenarios import Scenario


def igraph_cached(problem: risk.RiskProblem, states: np.ndarray) -> np.ndarray:
    """Generalized cost per distinct state with igraph (NaN = no route)."""
    snap, ends = problem.snapshot, problem.ends
    graph = ig.Graph(n=len(snap.nodes), edges=list(zip(snap.u.tolist(), snap.v.tolist(), strict=True)), directed=True)
    rows = np.ascontiguousarray(states).view(np.dtype((np.void, states.shape[1]))).ravel()
    _, first = np.unique(rows, return_index=True)
    gen = snap.weight  # objective generalized: the weight is the generalized cost (+ epsilon)
    out = np.full(len(first), np.nan)
    for j, i in enumerate(first):
        closed = states[i] > 0
        keep = ~((snap.crossing >= 0) & closed[np.maximum(snap.crossing, 0)])
        sub = graph.subgraph_edges(np.flatnonzero(keep).tolist(), delete_vertices=False)
        d = np.array(sub.distances(source=ends.sources, target=ends.targets, weights=gen[keep].tolist()))
        best = d.min()
        out[j] = best if np.isfinite(best) else np.nan
    return out


def main() -> None:
    """Run both measurements and print the ratios."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--half-samples", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    net = load_network()

    t = time.perf_counter()
    r = risk.simulate(net, "Termez", "Karachi", samples=args.samples, seed=1)
    dt = time.perf_counter() - t
    print(f"shipped network: {args.samples:,} samples in {dt:.2f} s = {args.samples / dt:,.0f} samples/s "
          f"({r.distinct_states} distinct states)")  # fmt: skip

    half = net.with_scenarios(
        [Scenario("half", set_values={f"crossing.{c}.closure_prob": 0.5 for c in net.data.crossings})]
    )
    ours_t, theirs_t = [], []
    for rnd in range(args.rounds):
        seed = 100 + rnd
        t = time.perf_counter()
        res = risk.simulate(half, "Termez", "Karachi", samples=args.half_samples, seed=seed)
        ours_t.append(time.perf_counter() - t)
        problem = risk.prepare(half, "Termez", "Karachi")
        states = np.concatenate(
            [risk.chunk_states(problem, n, s) for n, s in risk.chunk_streams(seed, args.half_samples)]
        )
        t = time.perf_counter()
        ref = igraph_cached(problem, states)
        theirs_t.append(time.perf_counter() - t)
        outcomes = res.outcomes
        keys = sorted(outcomes)
        mine = np.array([o.route.generalized if o.route else np.nan for o in (outcomes[k] for k in keys)])
        diff = np.nanmax(np.abs(mine - ref)) if np.isfinite(mine).any() else 0.0
        same_none = np.array_equal(np.isnan(mine), np.isnan(ref))
        print(f"round {rnd}: ours {ours_t[-1]:.2f} s, igraph {theirs_t[-1]:.2f} s, {res.distinct_states} distinct "
              f"states, max |diff| {diff:.2e} (weight epsilon 1e-9/edge), same no-route states: {same_none}")  # fmt: skip
    ours, theirs = float(np.median(ours_t)), float(np.median(theirs_t))
    print(f"p = 0.5: ours {args.half_samples / ours:,.0f} samples/s, igraph {args.half_samples / theirs:,.0f}/s")
    print(f"speedup over igraph: {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()
