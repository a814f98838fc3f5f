"""Exact enumeration and Monte Carlo against numbers worked out by hand (README, ``risk``).

The network (road only, cargo ``general`` of the toy ``costs.toml``: 20 t per truck, value of
time 0.5 USD/t/h; UZ roads 1.0 USD/truck-km at 50 km/h, AF roads 2.0 USD/truck-km at 40 km/h)::

    ORIG --UZ-A 100 km-- UZA -XA- AFA --AF-A  80 km-- DEST
    ORIG --UZ-B 150 km-- UZB -XB- AFB --AF-B 120 km-- DEST

Crossings (both in closure group G: p 0.2, mean closure 3 days = 72 h):

- XA: 4 h, USD 100 per truck; closes on its own with p 0.1 for 5 days (120 h)
- XB: 10 h, USD 40 per truck; closes on its own with p 0.3 for 1 day (24 h)

Corridor via XA: money 100/20 + 100/20 + 160/20 = 5 + 5 + 8 = 18 USD/t; time 2 + 4 + 2 = 8 h;
generalized 18 + 0.5 x 8 = 22 USD/t.
Corridor via XB: money 150/20 + 40/20 + 240/20 = 7.5 + 2 + 12 = 21.5 USD/t; time 3 + 10 + 3 =
16 h; generalized 21.5 + 0.5 x 16 = 29.5 USD/t.

Waiting model (README: a closed crossing is passable after waiting out its mean closure
duration: the group's when the group closed it, the longer of the two when both did). One hour
of waiting adds 0.5 USD/t to the generalized cost and nothing to the money cost, so waiting 120 h
at XA adds 60, 72 h adds 36, 24 h at XB adds 12.

The eight states (g = G closed, a = XA closed on its own, b = XB closed on its own):

====  =====  ============================  ==========================================
 gab    p    without waiting               with waiting (best of the two corridors)
====  =====  ============================  ==========================================
 000  0.504  XA 22                         XA 22 (8 h)
 001  0.216  XA 22                         XA 22 (8 h)
 010  0.056  XB 29.5                       XB 29.5 (XA would be 22 + 60 = 82)
 011  0.024  no route                      XB waits 24 h: 41.5 (40 h) against XA 82
 100  0.126  no route                      XA waits 72 h: 58 (80 h) against XB 29.5 + 36 = 65.5
 101  0.054  no route                      XA 58 against XB max(24, 72) h: 65.5
 110  0.014  no route                      XB 65.5 (88 h) against XA max(120, 72) h: 82
 111  0.006  no route                      XB 65.5 (88 h) against XA 82
====  =====  ============================  ==========================================

p(000) = 0.8 x 0.9 x 0.7; p(100) = 0.2 x 0.9 x 0.7, and so on. States 101, 110 and 111 tell
the rules apart: if a group closure did not lengthen XB's own closure (101) XB would win at
41.5; if XA's own 120 h did not outlast the group's 72 h (110) XA would win at 58; if the two
closures added up (111) XB would cost 29.5 + 48 = 77.5.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from conftest import SRC, TOY_COSTS
from corridors import exact, risk
from corridors.data import CROSSING_COLUMNS, EDGE_COLUMNS, GROUP_COLUMNS, PLACE_COLUMNS, TERMINAL_COLUMNS
from corridors.fastpath import Snapshot
from corridors.network import load_network

#: Per state ``(g, a, b)``: probability, then (corridor, USD/t, hours, generalized USD/t) without
#: waiting (None: no route) and with waiting. The literal numbers of the table above.
STATES: dict[tuple[int, int, int], tuple[float, tuple | None, tuple]] = {
    (0, 0, 0): (0.504, ("XA", 18.0, 8.0, 22.0), ("XA", 18.0, 8.0, 22.0)),
    (0, 0, 1): (0.216, ("XA", 18.0, 8.0, 22.0), ("XA", 18.0, 8.0, 22.0)),
    (0, 1, 0): (0.056, ("XB", 21.5, 16.0, 29.5), ("XB", 21.5, 16.0, 29.5)),
    (0, 1, 1): (0.024, None, ("XB", 21.5, 40.0, 41.5)),
    (1, 0, 0): (0.126, None, ("XA", 18.0, 80.0, 58.0)),
    (1, 0, 1): (0.054, None, ("XA", 18.0, 80.0, 58.0)),
    (1, 1, 0): (0.014, None, ("XB", 21.5, 88.0, 65.5)),
    (1, 1, 1): (0.006, None, ("XB", 21.5, 88.0, 65.5)),
}

# Without waiting: a route exists in 000, 001 (XA, 0.72) and 010 (XB, 0.056).
#   P(no route) = 0.024 + 0.2 = 0.224
#   E[generalized | route] = (0.72 x 22 + 0.056 x 29.5) / 0.776 = 17.492 / 0.776
#   E[USD/t | route]       = (0.72 x 18 + 0.056 x 21.5) / 0.776 = 14.164 / 0.776
#   E[hours | route]       = (0.72 x 8 + 0.056 x 16) / 0.776   = 6.656 / 0.776
NO_WAIT = {
    "p_no_route": 0.224,
    "generalized": 17.492 / 0.776,  # 22.541237...
    "cost_per_t": 14.164 / 0.776,  # 18.252577...
    "time_h": 6.656 / 0.776,  # 8.577319...
    "corridors": {"XA": 0.72, "XB": 0.056},
}
# With waiting there is always a route:
#   E[generalized] = 0.72 x 22 + 0.056 x 29.5 + 0.024 x 41.5 + 0.18 x 58 + 0.02 x 65.5
#                  = 15.84 + 1.652 + 0.996 + 10.44 + 1.31 = 30.238
#   E[USD/t]       = 0.9 x 18 + 0.1 x 21.5 = 18.35
#   E[hours]       = 0.72 x 8 + 0.056 x 16 + 0.024 x 40 + 0.18 x 80 + 0.02 x 88 = 23.776
#   (check: 18.35 + 0.5 x 23.776 = 30.238)
WAIT = {
    "p_no_route": 0.0,
    "generalized": 30.238,
    "cost_per_t": 18.35,
    "time_h": 23.776,
    "corridors": {"XA": 0.9, "XB": 0.1},
}
# Committed to the baseline XA, waiting out its closures: 22 + 0.5 x hours XA is closed,
#   XA closed alone (010, 011: 0.08) 120 h -> 82; by the group only (100, 101: 0.18) 72 h -> 58;
#   both (110, 111: 0.02) max(120, 72) h -> 82.
#   E = 0.72 x 22 + 0.10 x 82 + 0.18 x 58 = 15.84 + 8.2 + 10.44 = 34.48
COMMITTED = {22.0: 0.72, 82.0: 0.10, 58.0: 0.18}
COMMITTED_MEAN = 34.48
# Rerouting (the best of waiting and detouring in each state) is the waiting column: 30.238,
# so the value of flexibility is 34.48 - 30.238 = 4.242 USD/t.
FLEXIBILITY = 4.242


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> None:
    """Write ``rows`` as a CSV file with ``columns`` (missing fields empty)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({c: row.get(c, "") for c in columns} for row in rows)


def write_hand_geodata(directory: Path) -> Path:
    """Write the two-corridor network of the module docstring as geodata files."""
    directory.mkdir(parents=True, exist_ok=True)
    prov = {"source": SRC, "quality": "M", "note": ""}
    places = [
        ("ORIG", "UZ", 38.0, 67.0, "city"),
        ("UZA", "UZ", 37.3, 67.0, "border"),
        ("UZB", "UZ", 37.3, 67.8, "border"),
        ("AFA", "AF", 37.2, 67.0, "border"),
        ("AFB", "AF", 37.2, 67.8, "border"),
        ("DEST", "AF", 36.7, 67.4, "city"),
    ]
    _write(
        directory / "places.csv",
        PLACE_COLUMNS,
        [
            {"id": i, "name": i.title(), "country": c, "lat": lat, "lon": lon, "kind": k} | prov
            for i, c, lat, lon, k in places
        ],
    )
    edges = [("UZ-A", "ORIG", "UZA", "UZ", 100), ("UZ-B", "ORIG", "UZB", "UZ", 150)]
    edges += [("AF-A", "AFA", "DEST", "AF", 80), ("AF-B", "AFB", "DEST", "AF", 120)]
    _write(
        directory / "edges.csv",
        EDGE_COLUMNS,
        [
            {"id": i, "from": a, "to": b, "mode": "road", "road_class": "primary", "country": c}
            | {"distance_km": km, "status": "open"}
            | prov
            for i, a, b, c, km in edges
        ],
    )
    crossings = [("XA", "AFA", "UZA", 4, 100, 0.1, 5), ("XB", "AFB", "UZB", 10, 40, 0.3, 1)]
    _write(
        directory / "crossings.csv",
        CROSSING_COLUMNS,
        [
            {"id": i, "name": i, "af_place": a, "partner_place": p, "modes": "road", "road_time_h": h}
            | {"road_fee_usd_per_truck": fee, "closure_prob": prob, "closure_mean_days": days}
            | {"closure_group": "G", "transload": "no", "status": "open", "capacity_trucks_per_day": 100}
            | prov
            for i, a, p, h, fee, prob, days in crossings
        ],
    )
    _write(
        directory / "closure_groups.csv",
        GROUP_COLUMNS,
        [{"id": "G", "name": "Both crossings", "closure_prob": 0.2, "closure_mean_days": 3} | prov],
    )
    _write(directory / "terminals.csv", TERMINAL_COLUMNS, [])
    (directory / "costs.toml").write_text(TOY_COSTS, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def hand_net(tmp_path_factory):
    """The hand network, loaded."""
    return load_network(write_hand_geodata(tmp_path_factory.mktemp("hand") / "geodata"))


def _column(wait: bool) -> list[tuple[float, tuple | None]]:
    """``(p, outcome)`` of every hand state, without or with waiting."""
    return [(p, w if wait else nw) for p, nw, w in STATES.values()]


def test_the_hand_table_adds_up():
    """The literal expectations are the table's weighted sums (so a typo in either shows)."""
    assert math.fsum(p for p, _, _ in STATES.values()) == pytest.approx(1.0, abs=1e-12)
    for (g, a, b), (p, _, _) in STATES.items():
        assert p == pytest.approx((0.2 if g else 0.8) * (0.1 if a else 0.9) * (0.3 if b else 0.7), abs=1e-12)
    for wait, want in ((False, NO_WAIT), (True, WAIT)):
        rows = [(p, o) for p, o in _column(wait) if o is not None]
        ok = math.fsum(p for p, _ in rows)
        assert 1 - ok == pytest.approx(want["p_no_route"], abs=1e-12)
        for i, key in ((1, "cost_per_t"), (2, "time_h"), (3, "generalized")):
            assert math.fsum(p * o[i] for p, o in rows) / ok == pytest.approx(want[key], abs=1e-9)
        for _, o in rows:
            assert o[3] == pytest.approx(o[1] + 0.5 * o[2])  # generalized = money + 0.5 x hours
    assert math.fsum(v * p for v, p in COMMITTED.items()) == pytest.approx(COMMITTED_MEAN, abs=1e-9)
    assert COMMITTED_MEAN - WAIT["generalized"] == pytest.approx(FLEXIBILITY, abs=1e-9)


def test_the_two_corridors_are_priced_as_by_hand(hand_net):
    """Every crossing open: the route via XA, 18 USD/t, 8 h, 22 USD/t generalized; XB 21.5, 16, 29.5."""
    best = hand_net.route("Orig", "Dest")
    assert best.crossings == ["XA"]
    assert best.totals["cost_usd"] == pytest.approx(18.0 * 20, abs=1e-6)
    assert best.totals["time_h"] == pytest.approx(8.0, abs=1e-6)
    assert best.totals["generalized_cost"] == pytest.approx(22.0, abs=1e-6)
    other = hand_net.route("Orig", "Dest", avoid=["XA"])
    assert other.crossings == ["XB"]
    assert other.totals["cost_usd"] == pytest.approx(21.5 * 20, abs=1e-6)
    assert other.totals["time_h"] == pytest.approx(16.0, abs=1e-6)
    assert other.totals["generalized_cost"] == pytest.approx(29.5, abs=1e-6)


@pytest.mark.parametrize("wait", [False, True])
def test_exact_enumeration_equals_the_hand_values(hand_net, wait):
    want = WAIT if wait else NO_WAIT
    ex = exact.exact(hand_net, "Orig", "Dest", wait=wait)
    assert ex.states == 8  # XA, XB and G, each uncertain
    assert ex.p_no_route == pytest.approx(want["p_no_route"], abs=1e-12)
    assert ex.expected_generalized_cost == pytest.approx(want["generalized"], rel=1e-9)
    assert ex.expected_cost_per_t == pytest.approx(want["cost_per_t"], rel=1e-9)
    assert ex.expected_time_h == pytest.approx(want["time_h"], rel=1e-9)


@pytest.mark.parametrize("wait", [False, True])
def test_every_enumerated_state_is_solved_as_by_hand(hand_net, wait):
    """State by state: probability, corridor and measures; and the corridor distribution."""
    snap = Snapshot(hand_net, hand_net.cost_model("general"), "generalized")
    ends = risk.endpoints(snap, "Orig", "Dest")
    assert snap.crossing_ids == ["XA", "XB"]
    seen, corridors = set(), {}
    for p, state in snap.closures.states():
        # a state is one byte per crossing: bit 1 own closure, bit 2 closed with the group
        g = int(state[0] >> 1)
        assert int(state[1] >> 1) == g  # one group closes both
        key = (g, int(state[0] & 1), int(state[1] & 1))
        seen.add(key)
        hand_p, no_wait, waiting = STATES[key]
        assert p == pytest.approx(hand_p, abs=1e-12), key
        want = waiting if wait else no_wait
        got = risk.solve_state(snap, ends, state, wait)
        if want is None:
            assert got is None, key
            continue
        assert got is not None, key
        corridor, cost, hours, gen = want
        assert got.crossings == (corridor,), key
        assert (got.cost_per_t, got.time_h, got.generalized) == pytest.approx((cost, hours, gen), abs=1e-6), key
        corridors[corridor] = corridors.get(corridor, 0.0) + p
    assert seen == set(STATES)
    want_corridors = (WAIT if wait else NO_WAIT)["corridors"]
    assert corridors == pytest.approx(want_corridors, abs=1e-12)


SAMPLES = 50_000
#: Tolerance in standard errors: a correct sampler misses by more with probability below 1e-6
#: per check (normal tail); the seed is fixed, so the test is deterministic anyway.
Z = 5.0


def _mean_sd(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean and standard deviation of a discrete distribution given as (probability, value)."""
    total = math.fsum(p for p, _ in pairs)
    mean = math.fsum(p * v for p, v in pairs) / total
    var = math.fsum(p * (v - mean) ** 2 for p, v in pairs) / total
    return mean, math.sqrt(var)


@pytest.mark.parametrize("wait", [False, True])
def test_monte_carlo_within_five_standard_errors_of_the_hand_values(hand_net, wait):
    """Monte Carlo against the hand numbers (not against the package's enumeration).

    A share estimated from n samples has standard error sqrt(p (1 - p) / n); a mean over the m
    samples with a route has sd / sqrt(m), sd that of the hand distribution given a route.
    """
    want = WAIT if wait else NO_WAIT
    mc = risk.simulate(hand_net, "Orig", "Dest", samples=SAMPLES, seed=13, wait=wait)
    assert mc.samples == SAMPLES
    p0 = want["p_no_route"]
    se_p0 = math.sqrt(p0 * (1 - p0) / SAMPLES)
    if p0 == 0:
        assert mc.p_no_route == 0.0
    else:
        assert abs(mc.p_no_route - p0) <= Z * se_p0, (mc.p_no_route, p0, se_p0)
    m = int(mc.distribution["count"].sum())
    assert m == round((1 - mc.p_no_route) * SAMPLES)
    rows = [o for _, o in _column(wait)]
    probs = [p for p, _ in _column(wait)]
    for i, key, got in ((1, "cost_per_t", mc.cost_usd["mean"] / mc.tonnes), (2, "time_h", mc.time_h["mean"]),
                        (3, "generalized", mc.generalized_cost["mean"])):  # fmt: skip
        mean, sd = _mean_sd([(p, o[i]) for p, o in zip(probs, rows, strict=True) if o is not None])
        assert mean == pytest.approx(want[key], rel=1e-12)
        assert abs(got - want[key]) <= Z * sd / math.sqrt(m), (key, got, want[key], sd / math.sqrt(m))
    # corridor shares are shares of all samples
    assert set(mc.corridor_use) == set(want["corridors"])
    for corridor, share in want["corridors"].items():
        se = math.sqrt(share * (1 - share) / SAMPLES)
        assert abs(mc.corridor_use[corridor] - share) <= Z * se, (corridor, mc.corridor_use[corridor], share, se)
    # committed to XA (waiting out its closures) against rerouting, over every sample
    mean, sd = _mean_sd([(p, v) for v, p in COMMITTED.items()])
    assert abs(mc.committed_generalized_cost - COMMITTED_MEAN) <= Z * sd / math.sqrt(SAMPLES)
    mean, sd = _mean_sd([(p, o[3]) for p, o in _column(True)])
    assert abs(mc.rerouting_generalized_cost - WAIT["generalized"]) <= Z * sd / math.sqrt(SAMPLES)
    # the baseline is known exactly: XA, USD 360 for the 20 t truck, open unless XA or G closes
    assert mc.baseline["crossings"] == ["XA"]
    assert mc.baseline["generalized_cost"] == pytest.approx(22.0)
    assert mc.baseline["cost_usd"] == pytest.approx(360.0)
    assert mc.baseline["p_open"] == pytest.approx(0.9 * 0.8)
    # percentiles of the generalized cost given a route, read off the hand table (inverted CDF);
    # each quantile lies at least 0.02 of probability from a step, over 10 standard errors
    if wait:
        # cumulative: 22 .72, 29.5 .776, 41.5 .80, 58 .98, 65.5 1
        assert [mc.generalized_cost[q] for q in ("p50", "p90", "p95")] == pytest.approx([22, 58, 58])
    else:
        # given a route: 22 with 0.72 / 0.776 = 0.928, 29.5 with 0.072
        assert [mc.generalized_cost[q] for q in ("p50", "p90", "p95")] == pytest.approx([22, 22, 29.5])
    hand_values = sorted({o[3] for o in rows if o is not None})
    assert sorted(set(mc.distribution["generalized_cost"].tolist())) == pytest.approx(hand_values)
