"""Assignment on the shipped network, and criticality --assign in-process against 2 Dask workers.

Run: ``PYTHONPATH=src python benchmarks/assign.py``. Prints, for each method, the time per
iteration and the iterations to a 1e-4 relative gap; then the wall times of the equilibrium
criticality sweep in-process and on a LocalCluster of 2 workers (cluster start not counted),
interleaved, with their ratio and whether the rows are identical.
"""

from __future__ import annotations

import statistics
import time

from corridors.assign import AssignParams, criticality_assign, prepare, solve
from corridors.cluster import connect
from corridors.demand import default_od_path, load_flows
from corridors.network import load_network


def main() -> None:
    """Print the figures."""
    net = load_network()
    flows = load_flows(default_od_path(net.data.directory))
    print(f"{len(flows)} flows, {sum(f.tonnes_per_year for f in flows):,.0f} t/yr, {net.graph.number_of_edges()} edges")
    for method in ("ue", "sue"):
        params = AssignParams.from_network(net, method=method, gap=1e-4)
        problem = prepare(net, flows, params)
        times, sol = [], None
        for _ in range(5):
            t = time.perf_counter()
            sol = solve(problem)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"{method}: {sol.iterations} iterations to gap {sol.gap:.2e} (target 1e-4), "
              f"{med:.3f} s median of 5 solves, {1000 * med / sol.iterations:.2f} ms per iteration")  # fmt: skip
    params = AssignParams.from_network(net, method="sue")
    with connect(workers=2) as client:
        criticality_assign(net, flows, params=params, client=client)  # warm the workers
        here, there, rows = [], [], []
        for _ in range(2):
            t = time.perf_counter()
            a = criticality_assign(net, flows, params=params)
            here.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = criticality_assign(net, flows, params=params, client=client)
            there.append(time.perf_counter() - t)
            rows.append(a == b)
    h, d = statistics.median(here), statistics.median(there)
    print(f"criticality --assign ({len(a)} cases, sue): in-process {h:.1f} s, 2 Dask workers {d:.1f} s: "
          f"speed-up {h / d:.2f}x, identical rows: {all(rows)}")  # fmt: skip


if __name__ == "__main__":
    main()
