"""``criticality --edges`` on the shipped data: as the sweep runs now, against solving every case.

``skip_untouched=False`` reproduces the per-case solve of when issue 12 was filed: every case
closes its link and solves every flow from every origin on a freshly collapsed matrix. The
default skips cases off every baseline path, re-solves only the flows whose baseline path the
closed link is on (from their origins only), reuses the baseline's collapsed matrix with the
closed link's node pairs re-priced, and solves several cases per Dijkstra call (a
block-diagonal matrix). Both variants run in the same process on the same network, rounds
interleaved; their rows must be identical. Usage: ``python benchmarks/criticality.py
[--rounds R]``. The last line reads ``speedup: N.Nx``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from corridors import criticality, load_network
from corridors.demand import default_od_path, load_flows


def main() -> None:
    """Time both variants and print the ratio."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    net = load_network()
    flows = load_flows(default_od_path(net.data.directory))
    times: dict[bool, list[float]] = {True: [], False: []}
    rows: dict[bool, list[dict]] = {}
    for _ in range(args.rounds):
        for skip in (False, True):
            start = time.perf_counter()
            out = criticality.criticality(net, flows, edges=True, skip_untouched=skip)
            times[skip].append(time.perf_counter() - start)
            rows[skip] = [r.to_dict() for r in out]
    assert rows[True] == rows[False], "the skip changed the answer"
    solve_all, skip = statistics.median(times[False]), statistics.median(times[True])
    cases = len(criticality.criticality_cases(net, True))
    print(f"{cases} cases x {len({f.cargo for f in flows})} cargos, {len(flows)} flows, median of {args.rounds}")
    print(f"solve every case:        {solve_all * 1000:8.0f} ms")
    print(f"skip, re-solve hit flows: {skip * 1000:8.0f} ms   (identical rows)")
    print(f"speedup: {solve_all / skip:.1f}x")


if __name__ == "__main__":
    main()
