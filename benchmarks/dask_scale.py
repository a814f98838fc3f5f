"""Risk throughput in-process against a local Dask cluster of 2 worker processes, in one run.

Usage: ``python benchmarks/dask_scale.py [--samples N] [--workers W] [--every-crossing P]``.
On a 2-core machine expect at most about 2x. The speed-up is printed twice: without and with
the cluster's start-up. The results of the two runs must be identical. ``--every-crossing P``
sets every crossing's closure probability to P (a scenario): at 0.5 closure states rarely
repeat, so the work really splits across workers (with the shipped probabilities most samples
hit a few cached states); at 1,000,000 samples the in-process run takes about 12 s here.
"""

from __future__ import annotations

import argparse
import time

from corridors import load_network, risk
from corridors.cluster import connect
from corridors.scenarios import Scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--origin", default="Termez")
    parser.add_argument("--destination", default="Karachi")
    parser.add_argument("--every-crossing", type=float, metavar="P", help="closure probability of every crossing")
    args = parser.parse_args()
    net = load_network()
    if args.every_crossing is not None:
        values = {f"crossing.{c}.closure_prob": args.every_crossing for c in net.data.crossings}
        net = net.with_scenarios([Scenario("every-crossing", set_values=values)])

    start = time.perf_counter()
    local = risk.simulate(net, args.origin, args.destination, samples=args.samples, seed=1, wait=True)
    t_local = time.perf_counter() - start

    start = time.perf_counter()
    with connect(workers=args.workers) as client:
        client.wait_for_workers(args.workers)
        t_start = time.perf_counter() - start
        start = time.perf_counter()
        remote = risk.simulate(
            net, args.origin, args.destination, samples=args.samples, seed=1, wait=True, client=client
        )
        t_remote = time.perf_counter() - start

    print(
        f"{args.origin} -> {args.destination}: {args.samples:,} samples, {local.distinct_states:,} distinct closure states"
    )
    print(f"in-process:            {t_local:7.2f} s  ({args.samples / t_local:,.0f} samples/s)")
    print(
        f"{args.workers} local workers:       {t_remote:7.2f} s  ({args.samples / t_remote:,.0f} samples/s; cluster start {t_start:.1f} s not counted)"
    )
    print(f"identical results: {local.to_dict() == remote.to_dict()}")
    print(f"speedup: {t_local / t_remote:.2f}x; counting the cluster start: {t_local / (t_remote + t_start):.2f}x")


if __name__ == "__main__":
    main()
