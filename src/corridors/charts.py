"""Time/cost-distance charts (the UNESCAP and CAREC CPMM method).

Cumulative cost (top panel) and cumulative time (bottom panel) against cumulative distance:
movement by road or rail draws a sloped segment, and a border crossing or a transshipment,
which adds cost and time over almost no distance, draws a vertical step labelled with what it is.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corridors.errors import UsageError
from corridors.io import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from corridors.route import Route

#: Colours of movement by layer, shared with the maps.
LAYER_COLOURS = {
    "road": "#555555",
    "rail1520": "#d62728",
    "rail1435": "#1f77b4",
    "rail1676": "#2ca02c",
    "crossing": "#ff7f0e",
    "transfer": "#9467bd",
}
#: Line colours of the corridors when several are drawn: #1 first. None is a colour of
#: :data:`LAYER_COLOURS`, so an alternative never looks like a mode, a crossing or a transfer.
ALTERNATIVE_COLOURS = ("#222222", "#e7298a", "#a6761d", "#17becf", "#7f7f7f", "#e6ab02", "#1b9e77")
FORMATS = (".png", ".svg")
#: Longest place name printed along the distance axis.
MAX_PLACE_LABEL = 24


def plain(text: object) -> str:
    """Text from data made safe for matplotlib: dollar signs never start mathtext.

    Parameters
    ----------
    text
        Any value; ``None`` becomes an empty string.

    Returns
    -------
    str
        The text with every ``$`` escaped, so it is drawn literally.

    """
    return ("" if text is None else str(text)).replace("$", r"\$")


@dataclass(frozen=True)
class Step:
    """One point of the cumulative curves, reached at the end of a leg."""

    distance_km: float
    cost_usd: float
    time_h: float
    kind: str
    layer: str
    label: str
    place: str = ""


def tcd_steps(route: Route) -> list[Step]:
    """Cumulative distance, cost and time after each leg, starting from the origin.

    Crossings and transfers are steps: their label names the crossing or the transshipment.

    Parameters
    ----------
    route
        A solved route.

    Returns
    -------
    list of Step
        The first item is the origin (all zeros). ``place`` names where a step happens (the
        far side of a crossing, the terminal of a transfer, the destination at the end).

    """
    d = c = t = 0.0
    out = [Step(0.0, 0.0, 0.0, "origin", "road", route.origin["name"], route.origin["name"])]
    for leg in route.leg_list:
        d += leg.distance_km
        c += leg.cost_usd
        t += leg.time_h
        place = ""
        if leg.kind == "crossing":
            label = f"{leg.crossing_id} border"
            layer = "crossing"
            place = leg.to_name
        elif leg.kind == "transfer":
            label = f"{leg.from_name}: {leg.from_layer}->{leg.to_layer}"
            layer = "transfer"
            place = leg.from_name
        else:
            label = ""
            layer = leg.layer
        out.append(Step(d, c, t, leg.kind, layer, label, place))
    if len(out) > 1:
        last = out[-1]
        out[-1] = Step(last.distance_km, last.cost_usd, last.time_h, last.kind, last.layer, last.label,
                       route.destination["name"])  # fmt: skip
    return out


def place_ticks(route: Route) -> list[tuple[float, str]]:
    """``(cumulative km, place name)`` of the origin, crossings, transshipments and destination.

    Parameters
    ----------
    route
        A solved route.

    Returns
    -------
    list of tuple
        In order along the route; a place named twice in a row is kept once.

    """
    out: list[tuple[float, str]] = []
    for s in tcd_steps(route):
        if not s.place:
            continue
        name = s.place.split(" (")[0] or s.place
        name = name if len(name) <= MAX_PLACE_LABEL else name[: MAX_PLACE_LABEL - 1] + "…"
        if out and out[-1][1] == name:
            continue
        out.append((s.distance_km, name))
    return out


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _declutter(fig: Figure, annotations: list) -> None:
    """Move step labels until none overlaps another (or hide the few that never fit)."""
    renderer = fig.canvas.get_renderer()
    placed: list = []
    for ann in sorted(annotations, key=lambda a: (a.xy[0], a.xy[1])):
        base_dx, base_dy = ann.xyann
        for k in range(14):
            shift = (k + 1) // 2 * (1 if k % 2 else -1) * 9
            ann.xyann = (base_dx, base_dy + shift)
            box = ann.get_window_extent(renderer)
            if not any(_overlaps(box, other) for other in placed):
                placed.append(box)
                break
        else:
            ann.set_visible(False)


def plot_tcd(
    routes: Sequence[Route], title: str | None = None, *, figsize: tuple[float, float] = (9, 7), fontsize: float = 8
) -> Figure:
    """Draw the time/cost-distance chart of one route or of several alternatives.

    Parameters
    ----------
    routes
        One route (segments coloured by mode), or several (one colour per corridor).
    title
        Figure title; default "origin -> destination".
    figsize
        Figure size in inches.
    fontsize
        Size of the step labels, the place names and the legend, in points.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: cost (USD per shipment) and time (hours) against distance (km). The top
        edge of the cost axes names the places along the first route (origin, crossings,
        transshipments, destination). Step labels never overlap one another.

    """
    import matplotlib  # deferred: matplotlib (0.3 s), only for charts

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred: matplotlib (0.3 s), only for charts
    from matplotlib.figure import Figure  # deferred: matplotlib (0.3 s), only for charts

    fig = Figure(figsize=figsize, constrained_layout=True)
    FigureCanvasAgg(fig)
    ax_cost, ax_time = fig.subplots(2, 1, sharex=True)
    several = len(routes) > 1
    annotations = []
    far = 0.8 * max((sum(leg.distance_km for leg in r.leg_list) for r in routes), default=0.0)
    for i, route in enumerate(routes):
        steps = tcd_steps(route)
        colour = ALTERNATIVE_COLOURS[i % len(ALTERNATIVE_COLOURS)]
        name = plain(f"#{i + 1} {' > '.join(route.crossings) or '(no crossing)'}")
        for ax, attr in ((ax_cost, "cost_usd"), (ax_time, "time_h")):
            xs = [s.distance_km for s in steps]
            ys = [getattr(s, attr) for s in steps]
            ax.plot(
                xs,
                ys,
                color=colour if several else "#999999",
                linewidth=1.5 if several and i == 0 else 1,
                label=name if several else None,
                gid=f"route-{i}",
            )
            if not several:
                for a, b in itertools.pairwise(steps):
                    ax.plot([a.distance_km, b.distance_km], [getattr(a, attr), getattr(b, attr)],
                            color=LAYER_COLOURS.get(b.layer, "#555555"), linewidth=2.5 if b.kind in ("crossing", "transfer") else 2)  # fmt: skip
            for b in steps[1:]:
                if b.label and (i == 0 or b.kind == "crossing"):
                    right = b.distance_km > far  # near the right edge: label to the left of the step
                    ann = ax.annotate(plain(b.label), (b.distance_km, getattr(b, attr)), xytext=(-4 if right else 4, -4),
                                      textcoords="offset points", fontsize=fontsize, color=colour if several else "#333333",
                                      annotation_clip=False, gid=f"step-label-{i}", ha="right" if right else "left")  # fmt: skip
                    ann.set_in_layout(False)
                    annotations.append(ann)
    ax_cost.set_ylabel("cumulative cost (USD per shipment)", fontsize=fontsize + 1)
    ax_time.set_ylabel("cumulative time (hours)", fontsize=fontsize + 1)
    ax_time.set_xlabel("cumulative distance (km)", fontsize=fontsize + 1)
    for ax in (ax_cost, ax_time):
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=fontsize)
    if several:
        ax_cost.legend(fontsize=fontsize, loc="upper left")
    else:
        from matplotlib.lines import Line2D  # deferred: matplotlib (0.3 s), only for charts

        used = []
        for s in tcd_steps(routes[0])[1:]:
            if s.layer not in used:
                used.append(s.layer)
        handles = [Line2D([0], [0], color=LAYER_COLOURS.get(k, "#555555"), lw=2, label=k) for k in used]
        ax_cost.legend(handles=handles, fontsize=fontsize, loc="upper left")
    first = routes[0]
    fig.suptitle(
        plain(
            title
            or f"{first.origin['name']} -> {first.destination['name']}: time/cost-distance ({first.cargo}, {first.tonnes:g} t)"
        ),
        fontsize=fontsize + 2,
    )
    _place_axis(fig, ax_cost, first, fontsize, several)
    fig.canvas.draw()
    _declutter(fig, annotations)
    return fig


def _place_axis(fig: Figure, ax, route: Route, fontsize: float, several: bool) -> None:
    """Name the places of ``route`` along the top of ``ax``, thinned so no two names overlap."""
    ticks = place_ticks(route)
    if not ticks:
        return
    fig.canvas.draw()
    xmin, xmax = ax.get_xlim()
    width_px = ax.get_window_extent().width
    px_per_km = width_px / (xmax - xmin) if xmax > xmin else 0.0
    gap = fontsize * fig.dpi / 72 * 1.5
    kept: list[tuple[float, str]] = []
    for k, (x, name) in enumerate(ticks):
        last = k == len(ticks) - 1
        if kept and (x - kept[-1][0]) * px_per_km < gap:
            if not last:
                continue
            kept.pop()
        kept.append((x, name))
    top = ax.secondary_xaxis("top")
    top.set_xticks([x for x, _ in kept], [plain(n) for _, n in kept], rotation=35, ha="left", fontsize=fontsize)
    top.set_gid("place-axis")
    if several:
        top.set_xlabel("places on #1", fontsize=fontsize)


def tcd_svg(routes: Sequence[Route], *, width_in: float = 4.6, height_in: float = 5.6, fontsize: float = 8.5) -> str:
    """The chart as an inline ``<svg>`` element (text kept as text) for an HTML page.

    Parameters
    ----------
    routes
        As for :func:`plot_tcd`.
    width_in, height_in
        Figure size in inches; the element scales to the width of its container.
    fontsize
        Label size in points.

    Returns
    -------
    str
        Markup starting with ``<svg``; every text from data is XML-escaped by matplotlib.

    """
    import matplotlib  # deferred: matplotlib (0.3 s), only for charts

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "corridors-tcd"}):
        fig = plot_tcd(routes, figsize=(width_in, height_in), fontsize=fontsize)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue().decode("utf-8")
    text = text[text.index("<svg") :]
    head, rest = text.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return f'{head} class="corridors-tcd" role="img" aria-label="time/cost-distance chart" style="width:100%;height:auto">{rest}'


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render a figure as PNG or SVG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt.lstrip("."), dpi=110)
    return buf.getvalue()


def write_chart(routes: Sequence[Route], path: str | Path) -> Path:
    """Write the time/cost-distance chart to ``path`` (``.png`` or ``.svg``), atomically.

    Raises
    ------
    UsageError
        For another file extension or an unwritable folder.

    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"--chart must end in .png or .svg, not '{path.suffix or path.name}'")
    return atomic_write_bytes(path, figure_bytes(plot_tcd(routes), path.suffix.lower()))
