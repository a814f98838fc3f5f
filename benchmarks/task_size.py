"""Bytes a Dask sweep scatters to each worker: the pickled risk and criticality problems.

Printed next to the pickled network, which a problem no longer carries (its snapshot keeps
only the arrays a task solves on). Usage: ``python benchmarks/task_size.py``.
"""

from __future__ import annotations

import pickle

from corridors import criticality, load_network, risk
from corridors.demand import default_od_path, load_flows


def main() -> None:
    """Print the pickled sizes."""
    net = load_network()
    problem = risk.prepare(net, "Termez", "Karachi")
    flows = load_flows(default_od_path(net.data.directory))
    crit = criticality.criticality_problems(net, flows, "generalized")
    print(f"network (for comparison):            {len(pickle.dumps(net)):>9,} bytes")
    print(f"risk problem Termez-Karachi:         {len(pickle.dumps(problem)):>9,} bytes")
    sizes = [len(pickle.dumps(c)) for c in crit]
    print(f"criticality problems ({len(crit)} cargos):     {', '.join(f'{s:,}' for s in sizes)} bytes")


if __name__ == "__main__":
    main()
