"""Bytes a Dask sweep scatters to each worker, and bytes a risk task sends back.

The pickled risk and criticality problems are printed next to the pickled network, which a
problem no longer carries (its snapshot keeps only the arrays a task solves on). A risk task
returns a compact tally (arrays per distinct state); its size is printed per state, next to
the outcome objects per state it replaces. Usage: ``python benchmarks/task_size.py``.
"""

from __future__ import annotations

import pickle

from corridors import criticality, load_network, risk
from corridors.demand import default_od_path, load_flows
from corridors.scenarios import Scenario


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
    values = {f"crossing.{c}.closure_prob": 0.5 for c in net.data.crossings}
    every = risk.prepare(net.with_scenarios([Scenario("every", set_values=values)]), "Termez", "Karachi")
    tally = risk.run_chunks(every, risk.chunk_streams(1, 4 * risk.CHUNK))
    states = len(tally.counts)
    compact, objects = len(pickle.dumps(tally)), len(pickle.dumps((tally.counts.tolist(), tally.outcomes())))
    print(f"risk task result, {states:,} distinct states: {compact / states:6.1f} bytes per state (compact tally)")
    print(f"  as one outcome object per state:       {objects / states:6.1f} bytes per state")


if __name__ == "__main__":
    main()
