"""The crossing delay model: hand values, shape (increasing, convex, finite) and the capacity file."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors.errors import DataError
from corridors.queues import QueueParams, load_capacities, queue_wait


def params(cv=0.5, rho0=0.95, hours=12.0) -> QueueParams:
    return QueueParams(daily_cv=cv, linear_from=rho0, opening_hours=hours, days_per_year=365.0)


def wait(x, cap, hours, p):
    return float(queue_wait(np.array([x]), np.array([cap]), np.array([hours]), p)[0][0])


def test_hand_values():
    # round the clock (H = 24): only the day-to-day term 12 h cv^2 rho/(1-rho); cv 0.5, rho 0.5 -> 12*0.25*1 = 3 h
    assert wait(50, 100, 24, params()) == pytest.approx(3.0)
    # cv 0, H 12, rho 0.9: T = 12, T^2/(2(24 - 10.8)) - T^2/48 = 144/26.4 - 3 = 2.454545...
    assert wait(90, 100, 12, params(cv=0.0, rho0=0.99)) == pytest.approx(144 / 26.4 - 3)
    # beyond rho0 the wait is linear with the slope at rho0: H 24, cv 0.5 -> J = 3 h; rho0 0.9:
    # q(0.9) = 3*9 = 27 h, slope 3/0.01 = 300 h per unit rho; q(1.5) = 27 + 0.6*300 = 207 h
    assert wait(150, 100, 24, params(rho0=0.9)) == pytest.approx(207.0)
    assert wait(0, 100, 12, params()) == 0.0
    assert wait(500, math.inf, 12, params()) == 0.0  # no capacity known: uncongested


@settings(max_examples=60, deadline=None)
@given(cv=st.floats(0.0, 2.0), rho0=st.floats(0.5, 0.99), hours=st.floats(1.0, 24.0), cap=st.floats(1.0, 5000.0))
def test_increasing_convex_finite(cv, rho0, hours, cap):
    p = params(cv, rho0, hours)
    x = np.linspace(0.0, 4.0 * cap, 401)
    w, dw = queue_wait(x, np.full_like(x, cap), np.full_like(x, hours), p)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert np.all(np.diff(w) >= -1e-9 * (1 + w[1:]))  # increasing
    assert np.all(np.diff(dw) >= -1e-9 * (1 + dw[1:]))  # derivative increasing: convex
    # the derivative is the slope of the wait: central differences of step 1e-6 x capacity, off the kink at rho0
    pts = x[np.abs(x - rho0 * cap) > 1e-3 * cap]
    h = 1e-6 * cap
    up = queue_wait(pts + h, np.full_like(pts, cap), np.full_like(pts, hours), p)[0]
    down = queue_wait(np.maximum(pts - h, 0), np.full_like(pts, cap), np.full_like(pts, hours), p)[0]
    slope = (up - down) / (pts + h - np.maximum(pts - h, 0))
    dw_pts = queue_wait(pts, np.full_like(pts, cap), np.full_like(pts, hours), p)[1]
    assert np.allclose(slope, dw_pts, rtol=1e-4, atol=1e-9)


def test_shipped_capacities(shipped_net):
    p = QueueParams.from_costs(shipped_net.data.costs)
    caps = load_capacities(shipped_net.data, p)
    assert caps[("TRK", "road")].opening_hours == 24  # sourced row
    assert caps[("HAI", "rail")].provenance.quality == "EST"
    assert ("SRK", "road") in caps  # from crossings.csv capacity_trucks_per_day
    assert all(c.capacity_per_day > 0 for c in caps.values())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("NOPE,road,10,,https://x.org,M,", "unknown crossing 'NOPE'"),
        ("X2,rail,10,,https://x.org,M,", "does not serve mode 'rail'"),
        ("X1,road,-3,,https://x.org,M,", "capacity_per_day"),
        ("X1,road,10,30,https://x.org,M,", "opening_hours"),
        ("X1,road,10,,https://x.org,EST,", "reasoning in note"),
    ],
)
def test_capacity_file_errors(toy_dir, row, message):
    from corridors.checks import load_geodata

    (toy_dir / "crossing_capacity.csv").write_text(
        "crossing,mode,capacity_per_day,opening_hours,source,quality,note\n" + row + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=message):
        load_capacities(load_geodata(toy_dir), params())
