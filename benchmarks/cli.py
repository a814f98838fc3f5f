"""Wall time of ``python -m corridors route Termez Karachi`` against ``python -c "import networkx"``.

Both are measured in the same run on the same machine; the figure that matters is the ratio
(goal: at most 3x). Usage: ``python benchmarks/cli.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def wall(cmd: list[str], runs: int) -> float:
    """Median wall time of ``cmd`` over ``runs`` runs (after one warm-up run)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = wall([sys.executable, "-c", "import networkx"], args.runs)
    ours = wall([sys.executable, "-m", "corridors", "route", "Termez", "Karachi"], args.runs)
    ours_json = wall(
        [sys.executable, "-m", "corridors", "route", "Termez", "Karachi", "--json", "--alternatives", "3"], args.runs
    )
    print(f"import networkx:                          {base * 1000:7.0f} ms (median of {args.runs})")
    print(f"corridors route Termez Karachi:           {ours * 1000:7.0f} ms")
    print(f"  ... --json --alternatives 3:            {ours_json * 1000:7.0f} ms")
    print(f"ratio (alternatives 3): {ours_json / base:.2f}x")
    print(f"ratio: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
