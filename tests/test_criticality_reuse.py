"""Criticality re-solves only the flows a closure hits, on the reused baseline matrix: same numbers.

Also the one parallel-edge collapse (:class:`corridors.engine.PairGroups`) against the
sort-based collapse the snapshot used before.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from corridors import criticality
from corridors.demand import Flow
from corridors.engine import PairGroups


def _all_flows(net, cargos=("general", "bulk")):
    places = sorted(net.data.places)
    return [
        Flow(net.data.places[o].name, net.data.places[d].name, cargo, 100.0 + i)
        for i, (o, d) in enumerate(itertools.permutations(places, 2))
        for cargo in cargos
        if net.endpoint_nodes(o) and net.endpoint_nodes(d)
    ]


def _old_collapse(u, v, w):
    """The snapshot's former collapse: lexsort by pair, then by weight within a pair (stable)."""
    order = np.lexsort((v, u))
    pair = u[order] * (max(v.max(initial=0), u.max(initial=0)) + 1) + v[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = pair[1:] != pair[:-1]
    starts = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    within = np.lexsort((w[order], gid))
    return order[within[starts]]


@pytest.mark.parametrize("seed", range(20))
def test_pair_groups_best_rows_match_the_former_snapshot_collapse(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 12)), int(rng.integers(1, 80))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.choice([1.0, 2.0, 2.5, np.inf], m)  # many ties and unusable rows
    pairs = PairGroups(u, v, np.lexsort((v, u)), n)
    best = pairs.best_rows(w)
    np.testing.assert_array_equal(best, _old_collapse(u, v, w))
    np.testing.assert_array_equal(w[best], pairs.least(w))
    # CSR layout: pair k runs from node u[k] to node indices[k], rows of node a in indptr[a]:indptr[a+1]
    np.testing.assert_array_equal(np.repeat(np.arange(n), np.diff(pairs.indptr)), pairs.u)
    np.testing.assert_array_equal(pairs.indices, pairs.v)


def _full_after(problem, link):
    snap = problem.snapshot
    mask = np.zeros(len(snap.link_ids), dtype=bool)
    mask[link] = True
    return problem.od_costs(snap.least_distances(list(problem.sources), mask))


@pytest.mark.parametrize("cells", [1, criticality.BLOCK_CELLS])
def test_closed_costs_equal_a_full_solve_of_every_flow(shipped_net, monkeypatch, cells):
    from corridors.demand import default_od_path, load_flows

    monkeypatch.setattr(criticality, "BLOCK_CELLS", cells)  # one case per call, or many per block
    flows = load_flows(default_od_path(shipped_net.data.directory))
    for problem in criticality.criticality_problems(shipped_net, flows, "generalized"):
        links = np.flatnonzero(problem.used).tolist()
        hits = [problem.flow_links[:, k] for k in links]
        for link, after in zip(links, problem.closed_costs(links, hits), strict=True):
            np.testing.assert_array_equal(after, _full_after(problem, link))  # bit for bit
        # and a flow off the closed link's baseline path really keeps its cost
        for link in links[:5]:
            off = ~problem.flow_links[:, link]
            np.testing.assert_array_equal(_full_after(problem, link)[off], problem.base[off])


@pytest.mark.parametrize("objective", ["generalized", "time", "distance"])
def test_criticality_rows_do_not_depend_on_the_block_size(toy_net, monkeypatch, objective):
    flows = _all_flows(toy_net)
    many = criticality.criticality(toy_net, flows, edges=True, objective=objective)
    monkeypatch.setattr(criticality, "BLOCK_CELLS", 1)
    one = criticality.criticality(toy_net, flows, edges=True, objective=objective)
    full = criticality.criticality(toy_net, flows, edges=True, objective=objective, skip_untouched=False)
    assert [r.to_dict() for r in many] == [r.to_dict() for r in one] == [r.to_dict() for r in full]


def test_pickled_problem_rebuilds_its_matrices(toy_net):
    import pickle

    flows = _all_flows(toy_net)
    ids = [c for _, c, _ in criticality.criticality_cases(toy_net, True)]
    for problem in criticality.criticality_problems(toy_net, flows, "generalized"):
        expected = criticality.case_damage(problem, ids)  # builds this process's matrices
        blob = pickle.dumps(problem)
        copy = pickle.loads(blob)
        assert not copy._reuse  # the matrices are not shipped
        np.testing.assert_array_equal(criticality.case_damage(copy, ids), expected)
