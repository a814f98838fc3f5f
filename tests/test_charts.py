"""Time/cost-distance charts: checked on the plotted data, not on pixels."""

from __future__ import annotations

import itertools

import pytest

from corridors.charts import plot_tcd, tcd_steps, write_chart
from corridors.errors import UsageError


def test_steps_at_crossings_and_transfers(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    steps = tcd_steps(route)
    assert steps[0].distance_km == 0 and steps[0].cost_usd == 0
    assert steps[-1].cost_usd == pytest.approx(route.totals["cost_usd"], abs=0.05)
    assert steps[-1].time_h == pytest.approx(route.totals["time_h"], abs=0.05)
    labelled = [s.label for s in steps if s.label and s.kind != "origin"]
    assert labelled == ["X1 border", "Afcity: rail1520->road", "X4 border"]
    # a step adds cost and time over (almost) no distance
    for a, b in itertools.pairwise(steps):
        if b.kind == "transfer":
            assert b.distance_km == a.distance_km and b.cost_usd > a.cost_usd and b.time_h > a.time_h


def test_plot_has_labelled_axes_and_steps(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    fig = plot_tcd([route])
    ax_cost, ax_time = fig.axes
    assert "cost" in ax_cost.get_ylabel() and "time" in ax_time.get_ylabel()
    assert "distance" in ax_time.get_xlabel()
    line = next(ln for ln in ax_cost.lines if ln.get_gid() == "route-0")
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    steps = tcd_steps(route)
    assert xs == [s.distance_km for s in steps] and ys == [s.cost_usd for s in steps]
    texts = [t.get_text() for t in ax_cost.texts]
    assert "X1 border" in texts and "X4 border" in texts


def test_alternatives_one_line_each(toy_net):
    route = toy_net.route("Uzcity", "Pkport", alternatives=3)
    fig = plot_tcd(route.alternatives)
    gids = [ln.get_gid() for ln in fig.axes[0].lines]
    assert gids == ["route-0", "route-1", "route-2"]


def test_write_chart_formats(toy_net, tmp_path):
    route = toy_net.route("Uzcity", "Pkport")
    png = write_chart([route], tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write_chart([route], tmp_path / "c.svg")
    assert svg.read_text().lstrip().startswith("<?xml")
    with pytest.raises(UsageError, match=r"--chart must end in \.png or \.svg"):
        write_chart([route], tmp_path / "c.pdf")
