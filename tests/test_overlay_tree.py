"""The overlay's tree over closed sets gives, state by state, what relaxing each state gives."""

from __future__ import annotations

import numpy as np
import pytest

from corridors import risk
from corridors.fastpath import Snapshot
from corridors.overlay import Overlay
from corridors.scenarios import Scenario

PAIRS = [("Uzcity", "Pkport"), ("Uzcity", "Afsouth"), ("Afcity", "Pkport"), ("Uzpost Two", "Pkport")]


def _half(net):
    """Every crossing closes with probability 0.5 (states rarely repeat)."""
    return net.with_scenarios(
        [Scenario("half", set_values={f"crossing.{c}.closure_prob": 0.5 for c in net.data.crossings})]
    )


def _assert_tree_equals_relaxation(snap: Snapshot, ends: risk.Endpoints, states: np.ndarray, wait: bool) -> None:
    tree = Overlay(snap, ends.sources, ends.targets)
    relaxed = Overlay(snap, ends.sources, ends.targets)
    got, want = tree.solve(states, wait), relaxed.solve_relaxed(states, wait)
    assert len(got) == len(want) == len(states)
    for a, b in zip(got, want, strict=True):
        assert a == b  # same path, rows, measures and weight
    # solved again on the same overlay (tree nodes cached) and in two halves: the same answers
    half = len(states) // 2
    assert tree.solve(states[half:], wait) + tree.solve(states[:half], wait) == want[half:] + want[:half]


@pytest.mark.parametrize("objective", ["generalized", "cost", "time", "reliability"])
@pytest.mark.parametrize("wait", [False, True])
def test_tree_equals_relaxation_on_every_toy_state(toy_net, objective, wait):
    """Every closure state of the toy network (own and group closures), every pair."""
    for o, d in PAIRS:
        snap = Snapshot(toy_net, toy_net.cost_model("general"), objective)
        ends = risk.endpoints(snap, o, d)
        states = np.array([s for _, s in snap.closures.states()])
        _assert_tree_equals_relaxation(snap, ends, states, wait)


@pytest.mark.parametrize("wait", [False, True])
def test_tree_equals_full_snapshot_on_random_toy_states(toy_net, wait):
    """Random states at p = 0.5 against the full snapshot (the reference solver) path by path."""
    net = _half(toy_net)
    for o, d in PAIRS:
        problem = risk.prepare(net, o, d)
        states = risk.chunk_states(problem, 300, np.random.SeedSequence(3))
        got = Overlay(problem.snapshot, problem.ends.sources, problem.ends.targets).solve(states, wait)
        for state, a in zip(states, got, strict=True):
            b = risk.solve_state(problem.snapshot, problem.ends, state, wait)
            assert (a is None) == (b is None)
            if a is not None:
                assert a.rows == b.rows
                assert a.generalized == pytest.approx(b.generalized, rel=1e-12)
                assert a.time_h == pytest.approx(b.time_h, rel=1e-12)


@pytest.mark.parametrize("half", [False, True], ids=["shipped-probabilities", "p-0.5"])
@pytest.mark.parametrize("wait", [False, True])
def test_tree_equals_relaxation_on_shipped_states(shipped_net, half, wait):
    """Random states of the shipped network, at its probabilities and with every crossing at 0.5."""
    net = _half(shipped_net) if half else shipped_net
    for objective in ("generalized", "time"):
        problem = risk.prepare(net, "Termez", "Karachi", objective=objective)
        for seed in (1, 2):
            states = np.unique(risk.chunk_states(problem, 1500, np.random.SeedSequence(seed)), axis=0)
            _assert_tree_equals_relaxation(problem.snapshot, problem.ends, states, wait)
