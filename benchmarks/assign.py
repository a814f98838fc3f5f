"""Assignment on the shipped network, and criticality --assign in-process against 2 Dask workers.

Run: ``python benchmarks/assign.py [--osm-edges N] [--no-dask]``. Prints, for each method,
the time per iteration and the iterations to a 1e-4 relative gap; then the wall times of the
equilibrium criticality sweep in-process and on a LocalCluster of 2 workers (cluster start not
counted), interleaved, with their ratio and whether the rows are identical. With
``--osm-edges N`` it also builds the synthetic OSM road grid of ``benchmarks/osm_scale.py``
(about N directed edges over northern Afghanistan and its neighbours), loads it with the
shipped geodata laid over it, and assigns flows between the places that snap to it: the
shipped flows whose two ends lie on the grid, plus one flow of 100 kt/yr between every
other pair of snapped places (a synthetic demand, so that every crossing of the grid is used).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

from corridors.assign import AssignParams, criticality_assign, prepare, solve
from corridors.cluster import connect
from corridors.demand import Flow, default_od_path, load_flows
from corridors.network import load_network


def time_methods(net, flows, repeats: int) -> None:
    """Time each method's solve: median of ``repeats`` solves, iterations to the 1e-4 gap."""
    for method in ("ue", "sue"):
        params = AssignParams.from_network(net, method=method, gap=1e-4)
        problem = prepare(net, flows, params)
        times, sol = [], None
        for _ in range(repeats):
            t = time.perf_counter()
            sol = solve(problem)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"{method}: {sol.iterations} iterations to gap {sol.gap:.2e} (target 1e-4), "
              f"{med:.3f} s median of {repeats} solves, {1000 * med / sol.iterations:.2f} ms per iteration")  # fmt: skip


def osm_part(edges: int) -> None:
    """The assignment on a synthetic OSM road grid of about ``edges`` directed edges."""
    sys.path.insert(0, str(Path(__file__).parent))
    from corridors import osm
    from corridors.checks import load_geodata
    from osm_scale import write_grid

    work = Path(tempfile.mkdtemp(prefix="assign_osm."))
    pbf = work / "grid.osm.pbf"
    write_grid(pbf, edges)
    geodata = load_geodata()
    osm.build_network(pbf, "bench", geodata=geodata, data_dir=work, progress=False)
    t = time.perf_counter()
    net = osm.load_osm_network("bench", geodata, work, progress=False)
    print(f"OSM grid: {net.graph.number_of_edges():,} edges, loaded in {time.perf_counter() - t:.1f} s")
    on_grid = sorted({s.place for s in net.conflation.snaps if s.node})
    shipped = [
        f for f in load_flows(default_od_path(geodata.directory)) if f.origin in on_grid and f.destination in on_grid
    ]
    pairs = {(f.origin, f.destination) for f in shipped}
    extra = [Flow(o, d, "general", 100_000.0) for o, d in itertools.permutations(on_grid, 2) if (o, d) not in pairs]
    flows = shipped + extra
    print(f"{len(on_grid)} places on the grid; {len(shipped)} shipped flows + {len(extra)} synthetic ones")
    time_methods(net, flows, repeats=1)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm-edges", type=int, help="also assign on a synthetic OSM grid of about N edges")
    parser.add_argument("--no-dask", action="store_true", help="leave out the Dask comparison")
    args = parser.parse_args()
    net = load_network()
    flows = load_flows(default_od_path(net.data.directory))
    print(f"{len(flows)} flows, {sum(f.tonnes_per_year for f in flows):,.0f} t/yr, {net.graph.number_of_edges()} edges")
    time_methods(net, flows, repeats=5)
    if args.osm_edges:
        osm_part(args.osm_edges)
    if args.no_dask:
        return
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
