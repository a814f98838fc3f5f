"""Progress that the model reports: one running count up to the size it announces."""

from __future__ import annotations

import itertools

from corridors.criticality import criticality, criticality_cases, criticality_size
from corridors.demand import Flow


def test_criticality_progress_counts_up_to_its_size(toy_net):
    """Two cargo profiles: the count runs on across both, never back, and ends at the size."""
    flows = [Flow("Uzcity", "Pkport", "general", 1000.0), Flow("Uzcity", "Afsouth", "bulk", 500.0)]
    seen: list[int] = []
    criticality(toy_net, flows, edges=True, progress=seen.append)
    size = criticality_size(toy_net, flows, edges=True)
    assert size == 2 * len(criticality_cases(toy_net, True))
    assert seen[-1] == size
    assert all(b > a for a, b in itertools.pairwise(seen))
