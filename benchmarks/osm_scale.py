"""Detailed OSM network at scale: build, save, load and route on a synthetic ~1M-edge extract.

A road grid is written as a real ``.osm.pbf`` with pyosmium (junctions every ~0.8 km, one
shape node per block, ways of ten blocks, classes motorway/trunk/primary/secondary, some
one-way pairs) over northern Afghanistan and its northern neighbours, so that the shipped
geodata's places (Termez, Hairatan, Mazar-e Sharif, Kunduz, Shir Khan Bandar ...) snap to it
and the borders are cut outside the crossings. Then, in one run:

- build: :func:`corridors.osm.build_network` (read, split, speeds, save), its time and the
  process peak memory (``ru_maxrss``);
- load: :func:`corridors.osm.load_osm_network` (arrays -> corridor graph, conflation);
- route: ``net.route`` once cold (prices the CSR) and once warm, against a raw
  ``scipy.sparse.csgraph.dijkstra`` from the same origin on the same CSR matrix;
- ``--fresh R``: R rounds, paired and interleaved (the order alternates each round), of a
  fresh-process ``python -m corridors route Termez Kunduz --network bench --json`` against a
  fresh-process raw baseline (``np.load`` the stored edge arrays, build the CSR matrix, scipy
  Dijkstra from the node Termez snaps to): wall time and peak RSS of each child
  (GNU ``/usr/bin/time``), and the ratios; the children cache bytecode (outside the source
  tree) unless ``--no-bytecode``;
- ``--risk``: a fresh-process ``python -m corridors risk Termez Kunduz --network bench
  --samples 10000 --json``, setup included, with its wall time and peak RSS.

Usage: ``python benchmarks/osm_scale.py [--edges N] [--fresh R] [--risk] [--networkx]
[--graphml] [--keep DIR] [--no-bytecode]``; with ``--keep`` an extract and network already built there for the
same ``--edges`` are reused. The last line reads ``route/raw scipy: N.NNx (warm), peak memory
N.N GiB``, preceded (``--fresh``) by ``fresh route/raw: N.NNx wall, N.NNx peak RSS``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from corridors import osm
from corridors.checks import load_geodata
from corridors.restrictions import Restrictions

REPO = Path(__file__).resolve().parents[1]
WEST, SOUTH, EAST, NORTH = 66.0, 36.0, 70.5, 38.5
CLASSES = ("motorway", "trunk", "primary", "secondary")


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


RAW = """
import sys
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

with np.load(sys.argv[1], allow_pickle=False) as z:
    u, v, w, n = z["edge_u"], z["edge_v"], z["edge_length"], len(z["node_osmid"])
m = csr_matrix((w, (u, v)), shape=(n, n))
d = dijkstra(m, directed=True, indices=[int(sys.argv[2])], min_only=True)
print(int(np.isfinite(d).sum()))
"""


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a fresh process: its wall time (s), peak RSS (MiB) and stdout.

    The peak comes from GNU time (``/usr/bin/time -f %M``), a small process that forks the
    command: Linux keeps the larger of the pre-exec and post-exec peak of a child, so a child
    forked from this (large) process would report this process's memory.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}")
        return wall, int(rss.read().split()[-1]) / 1024, proc.stdout  # KiB


def child_env(work: Path, bytecode: bool) -> dict[str, str]:
    """The environment of the fresh processes.

    With ``bytecode`` (the default) the children may cache bytecode, under ``work/pycache``
    (``PYTHONPYCACHEPREFIX``, so nothing is written into the source tree), as an installed
    package has it: under ``PYTHONDONTWRITEBYTECODE=1`` and a source checkout every run of
    ``corridors`` compiles its modules again (~0.1 s) while the baseline imports only
    compiled numpy and scipy.
    """
    env = os.environ | {"CORRIDORS_DATA": str(work)}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def fresh_rounds(work: Path, origin: str, destination: str, node: int, rounds: int, bytecode: bool = True) -> None:
    """Paired, interleaved fresh-process runs of ``corridors route`` and the raw baseline."""
    env = child_env(work, bytecode)
    raw_script = work / "raw_dijkstra.py"
    raw_script.write_text(RAW, encoding="utf-8")
    route_cmd = [sys.executable, "-m", "corridors", "route", origin, destination, "--network", "bench", "--json"]
    raw_cmd = [sys.executable, str(raw_script), str(work / "networks" / "bench" / "graph.npz"), str(node)]
    run_child(route_cmd, env)  # warm the page cache and the bytecode of both
    run_child(raw_cmd, env)
    routes, raws = [], []
    for i in range(rounds):
        pair = [("route", route_cmd), ("raw", raw_cmd)]
        for name, cmd in pair if i % 2 == 0 else pair[::-1]:
            (routes if name == "route" else raws).append(run_child(cmd, env)[:2])
    ratios = [r[0] / b[0] for r, b in zip(routes, raws, strict=True)]
    med = lambda xs: statistics.median(xs)  # noqa: E731
    print(
        f"fresh process, {rounds} paired rounds: route {med([r[0] for r in routes]):.2f} s "
        f"(peak RSS {max(r[1] for r in routes):.0f} MiB), raw {med([b[0] for b in raws]):.2f} s "
        f"(peak RSS {max(b[1] for b in raws):.0f} MiB)"
    )
    print(
        f"fresh route/raw: {med(ratios):.2f}x wall (median of paired ratios, range "
        f"{min(ratios):.2f}-{max(ratios):.2f}), {max(r[1] for r in routes) / max(b[1] for b in raws):.2f}x peak RSS"
    )


def fresh_risk(work: Path, origin: str, destination: str, samples: int, bytecode: bool = True) -> None:
    """One fresh-process ``corridors risk`` on the network, setup included."""
    env = child_env(work, bytecode)
    cmd = [sys.executable, "-m", "corridors", "risk", origin, destination, "--network", "bench"]
    cmd += ["--samples", str(samples), "--json"]
    wall, rss, _ = run_child(cmd, env)
    print(f"fresh risk {origin} -> {destination}, {samples:,} samples: {wall:.1f} s, peak RSS {rss:.0f} MiB")


def write_grid(path: Path, edges: int) -> tuple[int, int]:
    """A grid of about ``edges`` directed edges (after simplification) as a PBF file."""
    import osmium

    n = max(4, round(math.sqrt(edges / 3.71)))  # 1/14 of the blocks are one-way
    lons = np.linspace(WEST, EAST, n)
    lats = np.linspace(SOUTH, NORTH, n)
    junction = lambda i, j: 1 + i * n + j  # noqa: E731
    mid_h = lambda i, j: 1 + n * n + i * n + j  # noqa: E731  (between (i, j) and (i, j+1))
    mid_v = lambda i, j: 1 + 2 * n * n + i * n + j  # noqa: E731  (between (i, j) and (i+1, j))
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.15, 0.15, size=(n, n, 2)) * (lons[1] - lons[0])
    ways = 0
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        node = osmium.osm.mutable.Node
        for i in range(n):
            for j in range(n):
                w.add_node(node(id=junction(i, j), location=(lons[j], lats[i]), version=1))
        for i in range(n):
            for j in range(n - 1):
                lon = (lons[j] + lons[j + 1]) / 2 + jitter[i, j, 0]
                w.add_node(node(id=mid_h(i, j), location=(lon, lats[i] + jitter[i, j, 1]), version=1))
        for i in range(n - 1):
            for j in range(n):
                lat = (lats[i] + lats[i + 1]) / 2 + jitter[i, j, 1]
                w.add_node(node(id=mid_v(i, j), location=(lons[j] + jitter[i, j, 0], lat), version=1))
        way = osmium.osm.mutable.Way
        wid = 1
        for horizontal in (True, False):
            for i in range(n):
                cls = CLASSES[0 if i % 50 == 0 else 1 if i % 10 == 0 else 2 if i % 3 == 0 else 3]
                tags = {"highway": cls}
                if i % 7 == 3:
                    tags["oneway"] = "yes" if (i // 7) % 2 else "-1"
                if cls == "motorway":
                    tags["maxspeed"] = "110"
                for start in range(0, n - 1, 10):
                    refs = []
                    for j in range(start, min(start + 10, n - 1)):
                        if horizontal:
                            refs += [junction(i, j), mid_h(i, j)]
                        else:
                            refs += [junction(j, i), mid_v(j, i)]
                    end = min(start + 10, n - 1)
                    refs.append(junction(i, end) if horizontal else junction(end, i))
                    w.add_way(way(id=wid, nodes=refs, tags=tags, version=1))
                    wid += 1
                    ways += 1
    return n, ways


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000, help="target directed edges (default 1,000,000)")
    parser.add_argument("--networkx", action="store_true", help="also time the networkx router on one query")
    parser.add_argument("--graphml", action="store_true", help="also time osmnx GraphML save/load of the road layer")
    parser.add_argument("--keep", help="work in this folder and keep it (reuse a network built there)")
    parser.add_argument("--fresh", type=int, default=0, metavar="R", help="paired fresh-process rounds (route vs raw)")
    parser.add_argument("--risk", action="store_true", help="also time a fresh-process 10,000-sample risk run")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="fresh processes keep PYTHONDONTWRITEBYTECODE as inherited"
    )
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="osm_scale."))
    work.mkdir(parents=True, exist_ok=True)
    stamp = work / "bench.edges"
    try:
        geodata = load_geodata(REPO / "geodata")
        pbf = work / "grid.osm.pbf"
        folder = work / "networks" / "bench"
        if stamp.is_file() and stamp.read_text().strip() == str(args.edges) and (folder / "meta.json").is_file():
            print(f"extract and network: reused from {work} (built before for --edges {args.edges:,})")
        else:
            stamp.unlink(missing_ok=True)
            t = time.perf_counter()
            n, ways = write_grid(pbf, args.edges)
            print(
                f"extract: {n}x{n} grid, {ways:,} ways, {pbf.stat().st_size / 2**20:.1f} MiB PBF, written in {time.perf_counter() - t:.1f} s"
            )
            t = time.perf_counter()
            folder = osm.build_network(pbf, "bench", geodata=geodata, data_dir=work, progress=sys.stderr.isatty())
            build_s = time.perf_counter() - t
            stamp.write_text(str(args.edges))
            print(f"build: {build_s:.1f} s; peak memory so far {peak_gib():.2f} GiB")
        info = osm.network_info("bench", work)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(
            f"network: {info['report']['edges']['road']:,} edges, "
            f"{info['report']['nodes']['road']:,} nodes, {info['report']['border_segments_cut']:,} border segments cut, "
            f"stored {size:.0f} MiB"
        )

        t = time.perf_counter()
        net = osm.load_osm_network("bench", geodata, work, progress=sys.stderr.isatty())
        load_s = time.perf_counter() - t
        snapped = [s for s in net.conflation.snaps if s.node]
        view = net.route_graph
        print(
            f"load: {load_s:.2f} s, graph {view.number_of_nodes():,} nodes / {view.number_of_edges():,} edges, "
            f"{len(snapped)} place nodes snapped, {len(net.conflation.unsnapped)} not; peak memory so far {peak_gib():.2f} GiB"
        )

        pairs = [("Termez", "Kunduz"), ("Mazar-e Sharif", "Shir Khan Bandar")]
        from scipy.sparse.csgraph import dijkstra

        table = net.edge_table()
        model = net.cost_model("general")
        ratios = []
        for label, (origin, destination) in zip(("cold", "warm"), pairs, strict=True):
            t = time.perf_counter()
            route = net.route(origin, destination)
            route_s = time.perf_counter() - t
            matrix = table.matrix(model, "generalized", Restrictions())
            sources = [table.index[s] for s in net.layers_of(net.places.place(origin).id)]
            raw = []
            for _ in range(3):
                t = time.perf_counter()
                dijkstra(matrix, directed=True, indices=sources, min_only=True)
                raw.append(time.perf_counter() - t)
            raw_s = min(raw)
            ratios.append(route_s / raw_s)
            print(
                f"route {origin} -> {destination} ({label}): {route_s * 1000:.0f} ms, {len(route.leg_list)} legs, "
                f"crossings {route.crossings}, {route.totals['distance_km']:.0f} km; raw scipy dijkstra "
                f"{raw_s * 1000:.0f} ms; ratio {route_s / raw_s:.2f}x"
            )
        if args.fresh:
            origin = pairs[0][0]
            snap = next(s for s in net.conflation.snaps if s.node and s.place == net.places.place(origin).id)
            fresh_rounds(work, *pairs[0], view.index[snap.node], args.fresh, not args.no_bytecode)
        if args.risk:
            fresh_risk(work, *pairs[0], 10_000, not args.no_bytecode)
        if args.networkx:
            from corridors.network import Network

            slow = Network.from_graph(net.data, net.graph)
            t = time.perf_counter()
            slow.route(*pairs[1])
            print(f"networkx router (unchanged corridors.routing) on the same query: {time.perf_counter() - t:.1f} s")
        if args.graphml:
            import osmnx as ox

            road = osm.read_osm(pbf, geodata=geodata).graphs["road"]
            t = time.perf_counter()
            ox.save_graphml(road, work / "road.graphml")
            save_s = time.perf_counter() - t
            t = time.perf_counter()
            ox.load_graphml(work / "road.graphml")
            print(
                f"GraphML (road layer): save {save_s:.1f} s, load {time.perf_counter() - t:.1f} s, "
                f"{(work / 'road.graphml').stat().st_size / 2**20:.0f} MiB"
            )
        print(f"route/raw scipy: {ratios[1]:.2f}x (warm), {ratios[0]:.2f}x (cold); peak memory {peak_gib():.2f} GiB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
