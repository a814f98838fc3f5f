"""Time/cost-distance charts (the UNESCAP and CAREC CPMM method).

Cumulative cost (top panel) and cumulative time (bottom panel) against cumulative distance:
movement by road or rail draws a sloped segment, and a border crossing or a transshipment,
which adds cost and time over almost no distance, draws a vertical step labelled with what it is.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corridors.errors import UsageError

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
ALTERNATIVE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
FORMATS = (".png", ".svg")


@dataclass(frozen=True)
class Step:
    """One point of the cumulative curves, reached at the end of a leg."""

    distance_km: float
    cost_usd: float
    time_h: float
    kind: str
    layer: str
    label: str


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
        The first item is the origin (all zeros).

    """
    d = c = t = 0.0
    out = [Step(0.0, 0.0, 0.0, "origin", "road", route.origin["name"])]
    for leg in route.leg_list:
        d += leg.distance_km
        c += leg.cost_usd
        t += leg.time_h
        if leg.kind == "crossing":
            label = f"{leg.crossing_id} border"
            layer = "crossing"
        elif leg.kind == "transfer":
            label = f"{leg.from_name}: {leg.from_layer}->{leg.to_layer}"
            layer = "transfer"
        else:
            label = ""
            layer = leg.layer
        out.append(Step(d, c, t, leg.kind, layer, label))
    return out


def plot_tcd(routes: Sequence[Route], title: str | None = None) -> Figure:
    """Draw the time/cost-distance chart of one route or of several alternatives.

    Parameters
    ----------
    routes
        One route (segments coloured by mode), or several (one colour per corridor).
    title
        Figure title; default "origin -> destination".

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: cost (USD per shipment) and time (hours) against distance (km).

    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 7), constrained_layout=True)
    ax_cost, ax_time = fig.subplots(2, 1, sharex=True)
    several = len(routes) > 1
    for i, route in enumerate(routes):
        steps = tcd_steps(route)
        colour = ALTERNATIVE_COLOURS[i % len(ALTERNATIVE_COLOURS)]
        name = f"#{i + 1} {' > '.join(route.crossings) or '(no crossing)'}"
        for ax, attr in ((ax_cost, "cost_usd"), (ax_time, "time_h")):
            xs = [s.distance_km for s in steps]
            ys = [getattr(s, attr) for s in steps]
            ax.plot(
                xs,
                ys,
                color=colour if several else "#999999",
                linewidth=1,
                label=name if several else None,
                gid=f"route-{i}",
            )
            if not several:
                for a, b in itertools.pairwise(steps):
                    ax.plot([a.distance_km, b.distance_km], [getattr(a, attr), getattr(b, attr)],
                            color=LAYER_COLOURS.get(b.layer, "#555555"), linewidth=2.5 if b.kind in ("crossing", "transfer") else 2)  # fmt: skip
            for b in steps[1:]:
                if b.label:
                    ax.annotate(b.label, (b.distance_km, getattr(b, attr)), xytext=(4, -10 if i % 2 else 4),
                                textcoords="offset points", fontsize=7, color=colour if several else "#333333")  # fmt: skip
    ax_cost.set_ylabel("cumulative cost (USD per shipment)")
    ax_time.set_ylabel("cumulative time (hours)")
    ax_time.set_xlabel("cumulative distance (km)")
    for ax in (ax_cost, ax_time):
        ax.grid(True, alpha=0.3)
    if several:
        ax_cost.legend(fontsize=8, loc="upper left")
    else:
        from matplotlib.lines import Line2D

        used = []
        for s in tcd_steps(routes[0])[1:]:
            if s.layer not in used:
                used.append(s.layer)
        handles = [Line2D([0], [0], color=LAYER_COLOURS.get(k, "#555555"), lw=2, label=k) for k in used]
        ax_cost.legend(handles=handles, fontsize=8, loc="upper left")
    first = routes[0]
    fig.suptitle(
        title
        or f"{first.origin['name']} -> {first.destination['name']}: time/cost-distance ({first.cargo}, {first.tonnes:g} t)"
    )
    return fig


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
    from corridors.io import atomic_write_bytes

    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise UsageError(f"--chart must end in .png or .svg, not '{path.suffix or path.name}'")
    return atomic_write_bytes(path, figure_bytes(plot_tcd(routes), path.suffix.lower()))
