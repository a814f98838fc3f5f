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

    python benchmarks/dask_scale.py --every-crossing 0.5 --no-wait --samples 6000000 --rounds 3

On a 2-core machine expect at most about 2x. The run also times a pure-Python loop on one and
on two processes at once: how much two processes get done together on this machine right
now (near 2.0 when the cores are free; other jobs on the machine lower it). The last line
reads ``speedup counting the cluster start: N.NNx``. ``--emulate`` instead runs each worker's
share one after another in this process (see :func:`emulate`): how the work splits, when the
machine is too busy for the cluster run to show it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import pickle
import statistics
import time

import numpy as np

from corridors import load_network, risk
from corridors.cluster import TASKS_PER_THREAD, connect
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


def emulate(net: object, args: argparse.Namespace, wait: bool) -> None:
    """What the cluster run would take with a free core per worker, measured one share at a time.

    The chunks are cut into tasks as on a cluster of ``--workers`` single-threaded workers and
    dealt round-robin; each worker's share runs here on a fresh unpickled copy of the problem
    (as scattered: no warm caches), one share after another. The estimate adds the slowest
    share, the final merge and summary, and a measured cluster start. Not a measurement of
    the cluster: a check of how the work splits when the machine is too busy to show it.
    """
    problem = risk.prepare(net, args.origin, args.destination, wait=wait)  # type: ignore[arg-type]
    blob = pickle.dumps(problem)
    chunks = risk.chunk_streams(1, args.samples)
    size = max(1, -(-len(chunks) // (args.workers * TASKS_PER_THREAD)))
    tasks = [chunks[i : i + size] for i in range(0, len(chunks), size)]
    wholes: list[float] = []
    slowest: list[float] = []
    merges: list[float] = []
    for r in range(args.rounds):  # the one-process run and the shares alternate, so load changes hit both
        for part in ("whole", "shares") if r % 2 == 0 else ("shares", "whole"):
            if part == "whole":
                start = time.perf_counter()
                whole = risk.run_chunks(pickle.loads(blob), chunks)
                risk.summarize(problem, whole, seed=1, tonnes=1.0)
                wholes.append(time.perf_counter() - start)
                continue
            shares, parts = [], []
            for w in range(args.workers):
                start = time.perf_counter()
                copy = pickle.loads(blob)
                parts += [risk.run_chunks(copy, t) for t in tasks[w :: args.workers]]
                shares.append(time.perf_counter() - start)
            start = time.perf_counter()
            merged = risk.Tally.merge(parts)
            risk.summarize(problem, merged, seed=1, tonnes=1.0)
            merges.append(time.perf_counter() - start)
            slowest.append(max(shares))
        print(f"round {r + 1}: one process {wholes[-1]:.2f} s; slowest share {slowest[-1]:.2f} s", flush=True)
    assert np.array_equal(merged.words, risk.Tally.merge([whole]).words)
    start = time.perf_counter()
    with connect(workers=args.workers) as client:
        client.wait_for_workers(args.workers)
        t_start = time.perf_counter() - start
    t_whole, t_share, t_merge = statistics.median(wholes), statistics.median(slowest), statistics.median(merges)
    print(f"medians of {args.rounds}: one process {t_whole:.2f} s, slowest of {args.workers} shares {t_share:.2f} s, "
          f"final merge and summary {t_merge:.2f} s, cluster start {t_start:.1f} s")  # fmt: skip
    print(f"emulated speedup counting the cluster start: {t_whole / (t_share + t_merge + t_start):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--origin", default="Termez")
    parser.add_argument("--destination", default="Karachi")
    parser.add_argument("--every-crossing", type=float, metavar="P", help="closure probability of every crossing")
    parser.add_argument("--no-wait", action="store_true", help="closed crossings are impassable (detour only)")
    parser.add_argument("--rounds", type=int, default=1, help="paired rounds (medians compared)")
    parser.add_argument(
        "--emulate", action="store_true", help="run each worker's share one after another here instead (see emulate)"
    )
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

    if args.emulate:
        emulate(net, args, wait)
        return
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
