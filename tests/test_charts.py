"""Time/cost-distance charts: checked on the plotted data, not on pixels."""

from __future__ import annotations

import itertools

import pytest

from corridors.charts import place_ticks, plain, plot_tcd, tcd_steps, tcd_svg, write_chart
from corridors.errors import UsageError

# Uzcity -> Pkport on the toy network, general cargo (20 t): cumulative km, USD and hours at
# the origin and after each leg (UZ-RL-1, X1 rail, AF-RL-1, transfer at Afcity, AF-R-3, AF-R-4,
# X4 with transloading, PK-R-2), worked out by hand in tests/test_oracle.py.
X1_KM, X4_KM = 11.119508, 9.218490
HAND_KM = [0, 100, 100 + X1_KM, 175 + X1_KM, 175 + X1_KM, 575 + X1_KM, 775 + X1_KM, 775 + X1_KM + X4_KM,
           935 + X1_KM + X4_KM]  # fmt: skip
HAND_USD = [0, 80, 120, 195, 295, 1095, 1495, 1655, 1895]
HAND_H = [0, 4, 8, 13, 23, 43, 48, 65, 65 + 160 / 75]


def test_plot_has_labelled_axes_and_steps(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    fig = plot_tcd([route])
    ax_cost, ax_time = fig.axes
    assert "cost" in ax_cost.get_ylabel() and "time" in ax_time.get_ylabel()
    assert "distance" in ax_time.get_xlabel()
    line = next(ln for ln in ax_cost.lines if ln.get_gid() == "route-0")
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    assert xs == pytest.approx(HAND_KM, abs=1e-4) and ys == pytest.approx(HAND_USD, abs=1e-6)
    time_line = next(ln for ln in ax_time.lines if ln.get_gid() == "route-0")
    assert list(time_line.get_xdata()) == pytest.approx(HAND_KM, abs=1e-4)
    assert list(time_line.get_ydata()) == pytest.approx(HAND_H, abs=1e-6)
    texts = [t.get_text() for t in ax_cost.texts]
    assert "X1 border" in texts and "X4 border" in texts


def test_plotted_curves_are_running_sums_of_the_json_legs(shipped_net):
    """On a shipped route the curves are the running sums of the route's JSON legs (to the cent)."""
    route = shipped_net.route("Termez", "Karachi", cargo="bulk", tonnes=500)
    legs = route.to_dict()["legs"]
    want_km, want_usd, want_h = [0.0], [0.0], [0.0]
    for leg in legs:
        want_km.append(want_km[-1] + leg["distance_km"])
        want_usd.append(want_usd[-1] + leg["cost_usd"])
        want_h.append(want_h[-1] + leg["time_h"])
    fig = plot_tcd([route])
    ax_cost, ax_time = fig.axes
    cost = next(ln for ln in ax_cost.lines if ln.get_gid() == "route-0")
    time = next(ln for ln in ax_time.lines if ln.get_gid() == "route-0")
    tol = 0.005 * len(legs) + 1e-6
    assert list(cost.get_xdata()) == pytest.approx(want_km, abs=tol)
    assert list(cost.get_ydata()) == pytest.approx(want_usd, abs=tol)
    assert list(time.get_ydata()) == pytest.approx(want_h, abs=tol)
    assert want_usd[-1] == pytest.approx(route.totals["cost_usd"], abs=0.01)


def test_steps_at_crossings_and_transfers(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    steps = tcd_steps(route)
    assert [s.distance_km for s in steps] == pytest.approx(HAND_KM, abs=1e-4)
    assert [s.cost_usd for s in steps] == pytest.approx(HAND_USD, abs=1e-6)
    assert [s.time_h for s in steps] == pytest.approx(HAND_H, abs=1e-6)
    labelled = [s.label for s in steps if s.label and s.kind != "origin"]
    assert labelled == ["X1 border", "Afcity: rail1520->road", "X4 border"]
    # a step adds cost and time over (almost) no distance
    for a, b in itertools.pairwise(steps):
        if b.kind == "transfer":
            assert b.distance_km == a.distance_km and b.cost_usd > a.cost_usd and b.time_h > a.time_h


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


def _visible_label_boxes(fig):
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
        out.append(boxes)
    return out


def test_alternative_labels_never_overlap(shipped_net):
    route = shipped_net.route("Termez", "Karachi", alternatives=3)
    fig = plot_tcd(route.alternatives)
    for boxes in _visible_label_boxes(fig):
        assert len(boxes) >= 3
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), "two step labels overlap"
    # every alternative's crossings are labelled (none hidden for want of room)
    labels = {t.get_text() for t in fig.axes[0].texts if t.get_visible()}
    for alt in route.alternatives:
        assert {f"{c} border" for c in alt.crossings} <= labels


def test_place_names_along_the_distance_axis(toy_net):
    route = toy_net.route("Uzcity", "Pkport")
    assert place_ticks(route)[0][1] == "Uzcity"
    assert place_ticks(route)[-1] == (pytest.approx(route.totals["distance_km"], abs=0.05), "Pkport")
    fig = plot_tcd([route])
    fig.canvas.draw()
    top = next(c for c in fig.axes[0].child_axes if c.get_gid() == "place-axis")
    names = [t.get_text() for t in top.get_xticklabels()]
    assert names[0] == "Uzcity" and names[-1] == "Pkport"
    boxes = [t.get_window_extent() for t in top.get_xticklabels()]
    assert all(a.x0 < b.x0 for a, b in itertools.pairwise(boxes))  # in order along the route


def test_text_from_data_is_never_mathtext(toy_dir):
    import csv

    from corridors.network import load_network

    path = toy_dir / "places.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["name"] = "Uz$city$ ^{x}"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    route = load_network(toy_dir).route("UZCITY", "Pkport")
    assert plain("a $x$ b") == r"a \$x\$ b"
    fig = plot_tcd([route])
    texts = [fig._suptitle, *(t for ax in fig.axes for t in ax.texts)]
    top = next(c for c in fig.axes[0].child_axes if c.get_gid() == "place-axis")
    texts += top.get_xticklabels()
    for t in texts:
        assert t._preprocess_math(t.get_text())[1] is False
    assert any("Uz$city$" in t._preprocess_math(t.get_text())[0] for t in texts)


def test_inline_svg_keeps_text_as_escaped_text(toy_net):
    svg = tcd_svg([toy_net.route("Uzcity", "Pkport")])
    assert svg.startswith("<svg") and "<text" in svg and "X1 border" in svg
    assert 'width="' not in svg.split(">", 1)[0]  # scales to its container
