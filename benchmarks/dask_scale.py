"""Risk throughput in-process against a local Dask cluster of 2 worker processes, in one run.

Usage: ``python benchmarks/dask_scale.py [--samples N] [--workers W] [--every-crossing P]
[--no-wait] [--rounds R]``. Each round runs the in-process simulation and the cluster one
(the cluster started inside the timed span), alternating which goes first; the medians are
compared, and every result must be identical to the first in-process one (the summary, and
the tally state by state). ``--every-crossing P`` sets every crossing's closure probability
to P (a scenario): at 0.5 closure states rarely repeat, so the work really splits across
workers (with the shipped probabilities most samples hit a few cached states).
``--no-wait`` solves each state twice (the detour, and with waiting allowed for the value of
flexibility). The workload of more than 30 s in-process::

    python benchmarks/dask_scale.py --every-crossing 0.5 --no-wait --samples 3000000 --rounds 3

On a 2-core machine expect at most about 2x. The run also times a pure-Python loop on one and
on two processes at once: how much two processes get done together on this machine right
now (near 2.0 when the cores are free; other jobs on the machine lower it). The last line
reads ``speedup counting the cluster start: N.NNx``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import numpy as np

from corridors import load_network, risk
from corridors.cluster import connect
from corridors.scenarios import Scenario


def _burn(n: int) -> float:
    """Seconds a pure-Python loop of ``n`` steps takes."""
    start = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i
    return time.perf_counter() - start


def capacity(workers: int, n: int = 5_000_000) -> float:
    """Work done by ``workers`` processes at once, in units of one process alone."""
    alone = _burn(n)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        together = pool.map(_burn, [n] * workers)
    return workers * alone / max(together)


def same(a: risk.RiskResult, b: risk.RiskResult) -> bool:
    """Whether two results are identical: the summary, the distributions and every state's outcome."""
    if a.to_dict() != b.to_dict() or a.tally is None or b.tally is None:
        return False
    ta, tb = a.tally, b.tally
    arrays = all(
        np.array_equal(getattr(ta, k), getattr(tb, k), equal_nan=k == "flexible")
        for k in ("words", "counts", "route", "flexible", "committed")
    )
    dists = all(np.array_equal(a.distribution[k], b.distribution[k]) for k in a.distribution)
    return arrays and dists and ta.routes == tb.routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--origin", default="Termez")
    parser.add_argument("--destination", default="Karachi")
    parser.add_argument("--every-crossing", type=float, metavar="P", help="closure probability of every crossing")
    parser.add_argument("--no-wait", action="store_true", help="closed crossings are impassable (detour only)")
    parser.add_argument("--rounds", type=int, default=1, help="paired rounds (medians compared)")
    args = parser.parse_args()
    net = load_network()
    if args.every_crossing is not None:
        values = {f"crossing.{c}.closure_prob": args.every_crossing for c in net.data.crossings}
        net = net.with_scenarios([Scenario("every-crossing", set_values=values)])
    wait = not args.no_wait

    def run(client: object = None) -> risk.RiskResult:
        return risk.simulate(net, args.origin, args.destination, samples=args.samples, seed=1, wait=wait, client=client)

    def in_process() -> tuple[risk.RiskResult, float]:
        start = time.perf_counter()
        result = run()
        return result, time.perf_counter() - start

    def on_cluster() -> tuple[risk.RiskResult, float, float]:
        start = time.perf_counter()
        with connect(workers=args.workers) as client:
            client.wait_for_workers(args.workers)
            started = time.perf_counter() - start
            result = run(client)
            total = time.perf_counter() - start
        return result, total, started

    cap_before = capacity(args.workers)
    t_local: list[float] = []
    t_total: list[float] = []
    t_start: list[float] = []
    reference: risk.RiskResult | None = None
    identical = True
    for r in range(args.rounds):
        order = (in_process, on_cluster) if r % 2 == 0 else (on_cluster, in_process)
        for fn in order:
            out = fn()
            if fn is in_process:
                result, seconds = out  # type: ignore[misc]
                t_local.append(seconds)
            else:
                result, seconds, started = out  # type: ignore[misc]
                t_total.append(seconds)
                t_start.append(started)
            if reference is None:
                reference = result
            else:
                identical &= same(reference, result)
        print(
            f"round {r + 1}: in-process {t_local[-1]:6.2f} s, {args.workers} workers {t_total[-1]:6.2f} s "
            f"(cluster start {t_start[-1]:.1f} s) -> {t_local[-1] / t_total[-1]:.2f}x",
            flush=True,
        )
    cap_after = capacity(args.workers)
    assert reference is not None
    local, total, started = statistics.median(t_local), statistics.median(t_total), statistics.median(t_start)
    mode = "wait allowed" if wait else "no waiting (each state solved twice)"
    print(
        f"{args.origin} -> {args.destination}: {args.samples:,} samples, {mode}, "
        f"{reference.distinct_states:,} distinct closure states; medians of {args.rounds} paired rounds"
    )
    print(f"in-process:            {local:7.2f} s  ({args.samples / local:,.0f} samples/s)")
    print(f"{args.workers} local workers:       {total:7.2f} s  including the cluster start ({started:.1f} s)")
    print(
        f"machine capacity of {args.workers} processes (pure-Python loop): {cap_before:.2f} before, {cap_after:.2f} after"
    )
    print(f"identical results: {identical}")
    print(f"without the cluster start: {local / (total - started):.2f}x")
    print(f"speedup counting the cluster start: {local / total:.2f}x")


if __name__ == "__main__":
    main()
