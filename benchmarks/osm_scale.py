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
  ``scipy.sparse.csgraph.dijkstra`` from the same origin on the same CSR matrix.

Usage: ``python benchmarks/osm_scale.py [--edges N] [--networkx] [--graphml]``. The last line
reads ``route/raw scipy: N.NNx (warm), peak memory N.N GiB``.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
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
    parser.add_argument("--keep", help="work in this folder and keep it")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="osm_scale."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        pbf = work / "grid.osm.pbf"
        n, ways = write_grid(pbf, args.edges)
        print(
            f"extract: {n}x{n} grid, {ways:,} ways, {pbf.stat().st_size / 2**20:.1f} MiB PBF, written in {time.perf_counter() - t:.1f} s"
        )
        geodata = load_geodata(REPO / "geodata")

        t = time.perf_counter()
        folder = osm.build_network(pbf, "bench", geodata=geodata, data_dir=work, progress=sys.stderr.isatty())
        build_s = time.perf_counter() - t
        info = osm.network_info("bench", work)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(
            f"build: {build_s:.1f} s, {info['report']['edges']['road']:,} edges, "
            f"{info['report']['nodes']['road']:,} nodes, {info['report']['border_segments_cut']:,} border segments cut, "
            f"stored {size:.0f} MiB; peak memory so far {peak_gib():.2f} GiB"
        )

        t = time.perf_counter()
        net = osm.load_osm_network("bench", geodata, work, progress=sys.stderr.isatty())
        load_s = time.perf_counter() - t
        snapped = [s for s in net.conflation.snaps if s.node]
        print(
            f"load: {load_s:.1f} s, graph {net.graph.number_of_nodes():,} nodes / {net.graph.number_of_edges():,} edges, "
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
