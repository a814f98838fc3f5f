"""The compact tally (arrays per distinct state) against a plain object merge of outcomes."""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest

from corridors import risk
from corridors.scenarios import Scenario


def _object_merge(problem, chunks):
    """The reference: count each state's bytes, solve each distinct state alone."""
    counts: Counter[bytes] = Counter()
    for size, stream in chunks:
        states = risk.chunk_states(problem, size, stream)
        counts.update(bytes(row) for row in np.ascontiguousarray(states))
    width = len(problem.snapshot.crossing_ids)
    outs = {k: risk.outcome(problem, np.frombuffer(k, dtype=np.uint8).reshape(width)) for k in counts}
    return counts, outs


@pytest.mark.parametrize(("p", "wait", "seed"), [(None, False, 1), (None, True, 2), (0.3, False, 3), (0.5, True, 4)])
def test_merged_tally_equals_the_object_merge(shipped_net, p, wait, seed):
    net = shipped_net
    if p is not None:
        values = {f"crossing.{c}.closure_prob": p for c in net.data.crossings}
        net = net.with_scenarios([Scenario("every", set_values=values)])
    problem = risk.prepare(net, "Termez", "Karachi", wait=wait)
    chunks = risk.chunk_streams(seed, 2500)
    chunks = [(500, s) for _, s in chunks] * 3 if len(chunks) == 1 else chunks  # the same states again: repeats
    rng = np.random.default_rng(seed)
    parts = [risk.run_chunk(problem, size, stream) for size, stream in chunks]
    order = rng.permutation(len(parts))
    merged = risk.Tally.merge([parts[i] for i in order])  # any order of tallies
    counts, outs = _object_merge(problem, chunks)
    assert dict(zip(merged.key_bytes(), merged.counts.tolist(), strict=True)) == dict(counts)
    got = merged.outcomes()
    assert got.keys() == outs.keys()
    for k, o in outs.items():
        g = got[k]
        assert g.route == o.route
        assert g.committed_generalized == o.committed_generalized
        assert g.flexible_generalized == o.flexible_generalized or (
            np.isnan(g.flexible_generalized) and np.isnan(o.flexible_generalized)
        )
    assert merged.key_bytes() == sorted(merged.key_bytes())  # sorted by bytes, each state once
    assert merged.samples == sum(counts.values())
    # every stored path is some state's; equal paths stored once
    assert sorted(set(merged.route.tolist())) == list(range(len(merged.routes)))
    assert len(set(merged.routes)) == len(merged.routes)


def test_merge_stores_equal_paths_from_different_tallies_once(toy_net):
    problem = risk.prepare(toy_net, "Uzcity", "Pkport")
    [(size, stream)] = risk.chunk_streams(5, 3000)
    a = risk.run_chunk(problem, size, stream)
    b = copy.deepcopy(a)  # equal paths, other objects (as from another worker)
    assert all(x is not y and x == y for x, y in zip(a.routes, b.routes, strict=True) if x is not None)
    merged = risk.Tally.merge([a, b])
    assert len(merged.routes) == len(set(a.routes))  # (one run may hold equal paths as two objects)
    np.testing.assert_array_equal(merged.counts, 2 * risk.Tally.merge([a]).counts)
    assert risk.Tally.merge([]).samples == 0


def test_simulate_result_does_not_depend_on_the_chunk_grouping(shipped_net):
    values = {f"crossing.{c}.closure_prob": 0.4 for c in shipped_net.data.crossings}
    net = shipped_net.with_scenarios([Scenario("every", set_values=values)])
    problem = risk.prepare(net, "Termez", "Karachi", wait=True)
    chunks = risk.chunk_streams(9, 5 * risk.CHUNK // 2)
    one = risk.Tally.merge([risk.run_chunk(problem, size, s) for size, s in chunks])
    grouped = risk.Tally.merge(
        [risk.run_chunks(problem, chunks[:2]), risk.run_chunks(problem, chunks[2:]), risk.run_chunks(problem, [])]
    )
    a = risk.summarize(problem, one, seed=9, tonnes=1.0)
    b = risk.summarize(problem, grouped, seed=9, tonnes=1.0)
    assert a.to_dict() == b.to_dict()
    assert a.outcomes == b.outcomes


@pytest.mark.parametrize("width", [0, 1, 5, 31, 32, 33, 38, 63, 64, 65, 90])
def test_packed_keys_sort_and_merge_as_the_states_bytes(width):
    rng = np.random.default_rng(width)
    states = rng.integers(0, 4, (3000, width), dtype=np.uint8)
    states[1000:1400] = states[:400]  # repeats, within and across tallies
    words = risk.pack_states(states)
    np.testing.assert_array_equal(risk.unpack_states(words, width), states)
    flex = rng.random(len(states))
    parts = []
    for lo, hi in ((0, 1200), (1200, 3000)):
        part = risk.Tally(words[lo:hi], width, np.ones(hi - lo, dtype=np.int64), np.zeros(hi - lo, dtype=np.int64),
                          flex[lo:hi], flex[lo:hi], [None])  # fmt: skip
        parts.append(risk.Tally.merge([part]))  # each sorted, as a task returns it
    merged = risk.Tally.merge(parts)
    expected = Counter(bytes(row) for row in states)
    assert merged.key_bytes() == sorted(expected)
    assert merged.counts.tolist() == [expected[k] for k in sorted(expected)]
    with pytest.raises(ValueError, match="0 to 3"):
        risk.pack_states(np.full((1, max(width, 1)), 4, dtype=np.uint8))


@pytest.mark.parametrize("cap", [0, 50, 10**9])
def test_the_state_cache_and_its_cut_off_change_nothing(shipped_net, monkeypatch, cap):
    values = {f"crossing.{c}.closure_prob": 0.5 for c in shipped_net.data.crossings}
    net = shipped_net.with_scenarios([Scenario("every", set_values=values)])
    reference = risk.simulate(net, "Termez", "Karachi", samples=25_000, seed=3)
    monkeypatch.setattr(risk, "MAX_CACHED_STATES", cap)  # full at once (lookups stop), small, never full
    got = risk.simulate(net, "Termez", "Karachi", samples=25_000, seed=3)
    assert got.to_dict() == reference.to_dict()
    assert got.outcomes == reference.outcomes
