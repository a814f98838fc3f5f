"""Risk on a detailed OSM network: fresh-process ``corridors risk`` runs, setup included.

Each run is a new ``python -m corridors risk ORIGIN DESTINATION --network bench --samples N
--json`` on a network stored by ``benchmarks/osm_scale.py --keep DIR`` (build one there
first), timed from the outside: wall time and peak RSS (GNU ``/usr/bin/time``). With several
``--src`` folders (e.g. the code before and after a change), the variants run in paired,
interleaved rounds (the order alternates each round), their JSON answers are compared, and
the last line gives the median of the paired wall-time ratios (each variant over the first).

Usage: ``python benchmarks/osm_risk.py --keep DIR [--src SRC ...] [--rounds R] [--samples N]
[--origin O] [--destination D]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a fresh process: its wall time (s), peak RSS (MiB) and stdout."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
        return wall, int(rss.read().split()[-1]) / 1024, proc.stdout  # KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", required=True, help="folder holding networks/bench (from osm_scale.py --keep)")
    parser.add_argument("--src", action="append", help="PYTHONPATH of a variant (repeat; default this checkout)")
    parser.add_argument("--rounds", type=int, default=1, help="paired rounds (default 1)")
    parser.add_argument("--samples", type=int, default=10_000, help="samples per run (default 10,000)")
    parser.add_argument("--origin", default="Termez")
    parser.add_argument("--destination", default="Kunduz")
    args = parser.parse_args()

    work = Path(args.keep)
    if not (work / "networks" / "bench" / "meta.json").is_file():
        sys.exit(f"no stored network in {work}: run benchmarks/osm_scale.py --keep {work} first")
    srcs = args.src or [str(REPO / "src")]
    cmd = [sys.executable, "-m", "corridors", "risk", args.origin, args.destination, "--network", "bench"]
    cmd += ["--samples", str(args.samples), "--json"]
    base = {"CORRIDORS_DATA": str(work), "CORRIDORS_GEODATA": str(REPO / "geodata")}
    envs = [os.environ | base | {"PYTHONPATH": src} for src in srcs]
    runs: list[list[tuple[float, float]]] = [[] for _ in srcs]
    answers: list[str | None] = [None] * len(srcs)
    for i in range(args.rounds):
        order = list(range(len(srcs)))
        for k in order if i % 2 == 0 else order[::-1]:
            wall, rss, out = run_child(cmd, envs[k])
            runs[k].append((wall, rss))
            answers[k] = out
            print(f"round {i + 1} {srcs[k]}: {wall:.1f} s, peak RSS {rss:.0f} MiB", flush=True)
    for src, r in zip(srcs, runs, strict=True):
        walls = [w for w, _ in r]
        print(
            f"{src}: risk {args.origin} -> {args.destination}, {args.samples:,} samples, fresh process: "
            f"median {statistics.median(walls):.1f} s (range {min(walls):.1f}-{max(walls):.1f}), "
            f"peak RSS {max(m for _, m in r):.0f} MiB"
        )
    for k in range(1, len(srcs)):
        ratios = [b[0] / a[0] for a, b in zip(runs[0], runs[k], strict=True)]
        same = "identical" if answers[k] == answers[0] else "DIFFERENT"
        print(f"{srcs[k]} / {srcs[0]}: {statistics.median(ratios):.2f}x wall (median of paired ratios); JSON {same}")


if __name__ == "__main__":
    main()
