"""Plain-text reports for the terminal: route tables, alternatives, node and crossing lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corridors.route import Leg, Route


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """Format rows as an aligned text table.

    Parameters
    ----------
    headers
        Column titles.
    rows
        Cells (converted with ``str``).
    right
        Indexes of columns to right-align (numbers).

    Returns
    -------
    str

    """
    cells = [list(map(str, headers))] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def fmt(r: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(cells[0]), rule, *(fmt(r) for r in cells[1:])])


def _kind(leg: Leg) -> str:
    if leg.kind == "rail":
        return f"rail {leg.gauge_mm}"
    if leg.kind == "crossing":
        return f"crossing {leg.crossing_id} ({leg.mode}{' ' + str(leg.gauge_mm) if leg.gauge_mm else ''})"
    if leg.kind == "transfer":
        return f"transfer {leg.from_layer}->{leg.to_layer}"
    return f"road ({leg.road_class})" if leg.road_class else "road"


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.2f}"


def legs_table(route: Route) -> str:
    """The ordered legs of a route as a table."""
    rows = [
        (
            i,
            leg.from_name,
            leg.to_name,
            _kind(leg),
            f"{leg.distance_km:,.1f}",
            f"{leg.time_h:,.1f}",
            _money(leg.cost_usd),
        )
        for i, leg in enumerate(route.leg_list, 1)
    ]
    return table(("#", "from", "to", "kind", "km", "hours", "cost USD"), rows, right=(0, 4, 5, 6))


def totals_line(route: Route) -> str:
    """One-paragraph totals of a route."""
    t = route.totals
    return (
        f"distance {t['distance_km']:,.0f} km | time {t['time_h']:,.1f} h ({t['time_days']:.1f} days) | "
        f"cost USD {t['cost_usd']:,.0f} (USD {t['cost_usd_per_t']:,.2f}/t) | "
        f"generalized cost USD {t['generalized_cost']:,.2f}/t"
    )


def route_report(route: Route) -> str:
    """The full text report of a route.

    Header, legs, crossings, transshipments and totals, preceded by the side-by-side
    comparison when alternatives were asked for.
    """
    o, d = route.origin, route.destination
    lines = [
        f"{o['name']} ({o['country']}) -> {d['name']} ({d['country']})",
        f"cargo {route.cargo}, {route.tonnes:g} t, objective {route.objective}",
        "",
    ]
    if len(route.alternatives) > 1:
        lines += [
            "Corridors compared (best first)",
            alternatives_table(route.alternatives),
            "",
            "Best corridor, leg by leg",
        ]
    lines += [legs_table(route), ""]
    crossings = [leg for leg in route.leg_list if leg.kind == "crossing"]
    lines.append("Border crossings")
    if crossings:
        for leg in crossings:
            lines.append(
                f"  {leg.crossing_id}  {leg.crossing_name} ({leg.mode}): {leg.time_h:.1f} h, "
                f"fees USD {_money(leg.fee_usd or 0.0)} for this shipment"
            )
    else:
        lines.append("  none")
    lines.append("Transshipments")
    if route.transfers:
        for t in route.transfers:
            lines.append(
                f"  {t['place']}: {t['from_layer']} -> {t['to_layer']} ({t['kind']}): "
                f"USD {_money(t['cost_usd'])}, {t['time_h']:.1f} h"
            )
    else:
        lines.append("  none")
    lines += ["Totals", "  " + totals_line(route)]
    return "\n".join(lines)


def alternatives_table(routes: Sequence[Route]) -> str:
    """The K corridors side by side: crossings, distance, time, cost, generalized cost."""
    rows = []
    for i, r in enumerate(routes, 1):
        t = r.totals
        rows.append(
            (
                i,
                " > ".join(r.crossings) or "(none)",
                f"{t['distance_km']:,.0f}",
                f"{t['time_h']:,.1f}",
                f"{t['time_days']:.1f}",
                _money(t["cost_usd"]),
                f"{t['cost_usd_per_t']:,.2f}",
                f"{t['generalized_cost']:,.2f}",
            )
        )
    return table(
        ("#", "crossings", "km", "hours", "days", "cost USD", "USD/t", "gen. USD/t"),
        rows,
        right=(0, 2, 3, 4, 5, 6, 7),
    )


def nodes_table(rows: Sequence[dict[str, Any]]) -> str:
    """Places with their layers."""
    return table(
        ("id", "name", "country", "kind", "layers", "lat", "lon"),
        [
            (r["id"], r["name"], r["country"], r["kind"], ",".join(r["layers"]), f"{r['lat']:.4f}", f"{r['lon']:.4f}")
            for r in rows
        ],
        right=(5, 6),
    )


def crossings_table(rows: Sequence[dict[str, Any]]) -> str:
    """Crossings with their times, fees and closure figures."""

    def num(x: float | None, fmt: str = "{:g}") -> str:
        return "" if x is None else fmt.format(x)

    return table(
        (
            "id",
            "name",
            "to",
            "modes",
            "road h",
            "rail h",
            "USD/truck",
            "USD/wagon",
            "capacity/day",
            "seen trucks/day",
            "P(closed)",
            "group",
            "transload",
        ),
        [
            (
                r["id"],
                r["name"],
                r["partner_country"],
                "+".join(r["modes"]),
                num(r["road_time_h"]),
                num(r["rail_time_h"]),
                num(r["road_fee_usd_per_truck"]),
                num(r["rail_fee_usd_per_wagon"]),
                num(r["capacity_trucks_per_day"]),
                _latest_trucks(r["observed"]),
                f"{r['closure_prob']:.3f}",
                r["closure_group"] or "",
                "yes" if r["transload"] else "no",
            )
            for r in rows
        ],
        right=(4, 5, 6, 7, 8, 9, 10),
    )


def _latest_trucks(observed: Sequence[dict[str, Any]]) -> str:
    """The most recent observed truck count and its date (``200 (2025-11)``), or empty."""
    counts = [o for o in observed if o["trucks_per_day"] is not None]
    if not counts:
        return ""
    last = counts[-1]
    return f"{last['trucks_per_day']:g} ({last['date']})"


def _fmt_metric(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "crossings":
        return " > ".join(value) or "(none)"
    if key in ("cost_usd", "generalized_cost_usd"):
        return f"{value:,.0f}"
    if key == "p_open":
        return f"{value:.4f}"
    return f"{value:,.2f}"


WHATIF_METRICS = (
    ("crossings", "crossings"),
    ("distance_km", "distance km"),
    ("time_h", "time h"),
    ("time_days", "time days"),
    ("cost_usd", "cost USD"),
    ("cost_usd_per_t", "cost USD/t"),
    ("generalized_cost", "generalized USD/t"),
    ("p_open", "P(all crossings open)"),
)


def whatif_rows(base: Route, scenario: Route | None) -> list[dict[str, Any]]:
    """Metric, baseline, scenario and delta for the whatif comparison."""
    rows = []
    for key, label in WHATIF_METRICS:
        b = base.crossings if key == "crossings" else base.totals[key]
        s = None if scenario is None else (scenario.crossings if key == "crossings" else scenario.totals[key])
        delta = None if key == "crossings" or s is None else round(s - b, 6)
        rows.append({"metric": key, "label": label, "baseline": b, "scenario": s, "delta": delta})
    return rows


def whatif_report(base: Route, scenario: Route | None, names: Sequence[str], reason: str | None) -> str:
    """Baseline and scenario side by side, with deltas."""
    o, d = base.origin, base.destination
    lines = [f"{o['name']} ({o['country']}) -> {d['name']} ({d['country']})", f"scenario: {', '.join(names)}", ""]
    rows = []
    for r in whatif_rows(base, scenario):
        delta = (
            "" if r["delta"] is None else (f"{r['delta']:+.4f}" if r["metric"] == "p_open" else f"{r['delta']:+,.2f}")
        )
        rows.append(
            (r["label"], _fmt_metric(r["metric"], r["baseline"]), _fmt_metric(r["metric"], r["scenario"]), delta)
        )
    lines.append(table(("", "baseline", "scenario", "delta"), rows, right=(3,)))
    if scenario is None:
        lines += ["", f"scenario: {reason}"]
    return "\n".join(lines)


def risk_report(result: Any) -> str:
    """Monte Carlo summary: percentiles, no-route share, usage, value of flexibility."""
    r = result
    lines = [
        f"{r.origin} -> {r.destination}: {r.samples:,} samples (seed {r.seed}, {r.distinct_states} distinct closure states), "
        f"cargo {r.cargo}, {r.tonnes:g} t, {'wait or detour' if r.wait else 'detour only'}",
        "",
    ]
    rows = []
    for label, stats in (("cost USD", r.cost_usd), ("time h", r.time_h), ("generalized USD/t", r.generalized_cost)):
        rows.append((label, *(f"{stats[k]:,.2f}" for k in ("mean", "p50", "p90", "p95"))))
    lines.append(table(("", "mean", "P50", "P90", "P95"), rows, right=(1, 2, 3, 4)))
    lines += [
        "",
        f"P(no route): {r.p_no_route:.4f}",
        f"baseline corridor {' > '.join(r.baseline['crossings']) or '(none)'}: open end to end with P = {r.baseline['p_open']:.4f}",
        f"expected generalized cost committed to the baseline (waiting out closures): USD {r.committed_generalized_cost:,.2f}/t",
        f"expected generalized cost rerouting (wait or detour, best each time):       USD {r.rerouting_generalized_cost:,.2f}/t",
        f"value of flexibility: USD {r.value_of_flexibility:,.2f}/t",
        "",
        "Crossing use (share of samples)",
    ]
    lines += [f"  {c:<10} {share:7.2%}" for c, share in r.crossing_use.items()]
    lines.append("Corridor use (share of samples)")
    lines += [f"  {c:<30} {share:7.2%}" for c, share in r.corridor_use.items()]
    return "\n".join(lines)


def criticality_table(rows: Sequence[Any], top: int | None = None) -> str:
    """Ranked crossings (and edges) by flows lost and extra cost."""
    shown = rows[:top] if top else rows
    return table(
        ("#", "closed", "kind", "name", "flows lost", "tonnes lost/yr", "flows rerouted", "extra cost USD/yr"),
        [
            (
                i,
                r.closed,
                r.kind,
                r.name,
                r.flows_lost,
                f"{r.tonnes_lost:,.0f}",
                r.flows_rerouted,
                f"{r.extra_cost_usd:,.0f}",
            )
            for i, r in enumerate(shown, 1)
        ],
        right=(0, 4, 5, 6, 7),
    )


def why_report(comparison: Any) -> str:
    """What decides between the chosen corridor and the runner-up (``route --why``)."""
    c = comparison
    chosen = " > ".join(c.chosen.crossings) or "(no crossing)"
    lines = ["Why this corridor", f"  chosen:    {chosen}"]
    if c.runner_up is None:
        lines.append("  runner-up: none (no other corridor connects these places under the request)")
        return "\n".join(lines)
    lines.append(f"  runner-up: {' > '.join(c.runner_up.crossings) or '(no crossing)'}")
    rows = []
    totals = [0.0] * 8
    for r in c.rows():
        a, b = r["chosen"], r["runner_up"]
        vals = [a["distance_km"], a["time_h"], a["cost_usd_per_t"], a["generalized_cost"]]
        vals += [b["distance_km"], b["time_h"], b["cost_usd_per_t"], b["generalized_cost"]]
        totals = [t + v for t, v in zip(totals, vals, strict=True)]
        rows.append((r["part"], *_why_cells(vals), f"{r['difference_generalized']:+,.2f}"))
    rows.append(("total", *_why_cells(totals), f"{totals[7] - totals[3]:+,.2f}"))
    lines.append(
        table(
            ("part", "km", "h", "USD/t", "gen.", "runner-up km", "h", "USD/t", "gen.", "runner-up extra gen. USD/t"),
            rows,
            right=tuple(range(1, 10)),
        )
    )
    diff = {r["part"]: r["difference_generalized"] for r in c.rows()}
    lines.append(
        f"  deciding: {c.deciding} (the runner-up costs {diff[c.deciding]:+,.2f} USD/t there; "
        f"{c.chosen.objective} objective; gen. = money + value of time x hours)"
    )
    return "\n".join(lines)


def _why_cells(v: Sequence[float]) -> list[str]:
    return [
        f"{v[0]:,.0f}",
        f"{v[1]:,.1f}",
        f"{v[2]:,.2f}",
        f"{v[3]:,.2f}",
        f"{v[4]:,.0f}",
        f"{v[5]:,.1f}",
        f"{v[6]:,.2f}",
        f"{v[7]:,.2f}",
    ]


def fidelity_rows(checks: Sequence[Any]) -> list[tuple[str, ...]]:
    """One row per fidelity check: id, query, metric, observed, model, result."""
    rows = []
    for ch in checks:
        o = ch.observation
        query = f"{o.origin} -> {o.destination}"
        extras = [o.cargo] + ([",".join(o.modes)] if o.modes else []) + ([o.scenario] if o.scenario else [])
        observed = o.observed + (f" ±{o.tolerance:.0%}" if o.tolerance else "")
        rows.append(
            (o.id, f"{query} ({', '.join(extras)})", o.metric, observed, ch.model, "pass" if ch.passed else "FAIL")
        )
    return rows


def fidelity_report(checks: Sequence[Any], summary: dict[str, Any]) -> str:
    """The ``fidelity`` table and pass rate."""
    rows = fidelity_rows(checks)
    head = ("id", "query", "metric", "observed", "model", "result")
    return (
        table(head, rows)
        + f"\n\n{summary['passed']} of {summary['total']} observations pass ({summary['pass_rate']:.0%})"
    )


def fidelity_markdown(checks: Sequence[Any], summary: dict[str, Any]) -> str:
    """The ``fidelity`` table as Markdown (for the README; generated, never typed)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| id | query | metric | observed | model | result |",
        "|---|---|---|---|---|---|",
    ]
    for row in fidelity_rows(checks):
        lines.append("| " + " | ".join(cell(x) for x in row) + " |")
    lines.append("")
    lines.append(f"{summary['passed']} of {summary['total']} observations pass ({summary['pass_rate']:.0%}).")
    return "\n".join(lines)


# -- assign ----------------------------------------------------------------------------------
def _opt(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def assign_report(result: Any) -> str:
    """``assign``: crossings by tonnes, corridors, flows and the convergence."""
    crossings = table(
        ("crossing", "mode", "trucks/day", "wagons/day", "capacity/day", "util.", "free h", "wait h", "t/yr",
         "value USD/yr"),
        [(c.crossing, c.mode, _opt(c.vehicles_per_day if c.mode == "road" else None, ",.1f"),
          _opt(c.vehicles_per_day if c.mode == "rail" else None, ",.1f"), _opt(c.capacity_per_day, ",.0f"),
          _opt(c.utilisation, ".2f"), f"{c.free_time_h:.1f}", f"{c.wait_h:.2f}", f"{c.tonnes_per_year:,.0f}",
          _opt(c.value_usd, ",.0f")) for c in result.crossings],
        right=range(2, 10),
    )  # fmt: skip
    corridors = table(("corridor", "t/yr"), [(k, f"{t:,.0f}") for k, t in result.corridors.items()], right=(1,))
    flows = table(
        ("origin", "destination", "cargo", "t/yr", "cost USD/t", "corridors (share)"),
        [(f.origin, f.destination, f.cargo, f"{f.tonnes_per_year:,.0f}", _opt(f.cost_usd_per_t, ",.2f"),
          ", ".join(f"{c} {s:.0%}" for c, s, _ in f.corridors if s >= 0.005)) for f in result.flows],
        right=(3, 4),
    )  # fmt: skip
    conv = "converged" if result.converged else "NOT converged"
    lines = [
        f"Assignment ({'logit stochastic' if result.method == 'sue' else 'deterministic'} user equilibrium, "
        f"method {result.method}): {conv} after {result.iterations} iterations, gap {result.gap:.2e} "
        f"(target {result.target_gap:.0e})",
        f"{len(result.flows)} flows, {result.tonnes_per_year:,.0f} t/yr, generalized cost "
        f"USD {result.cost_usd_per_year:,.0f}/yr",
    ]
    if result.scenarios:
        lines.append(f"scenarios: {', '.join(result.scenarios)}")
    lines += ["", "Crossings", crossings, "", "Corridors", corridors, "", "Flows", flows]
    if result.lost:
        lines += ["", "Flows with no route: " + ", ".join(f"{o} -> {d} ({c})" for o, d, c, _ in result.lost)]
    return "\n".join(lines)


def _measure(m: str) -> str:
    return m.replace("_per_day", "/day")


def compare_rows(volumes: Sequence[Any]) -> list[tuple[str, ...]]:
    """Rows of the modelled-against-observed volume table."""
    return [(v.crossing, v.mode, v.direction, _measure(v.measure), f"{v.observed:,.0f}", f"{v.modelled:,.0f}",
             _opt(v.ratio, ".2f"), v.date) for v in volumes]  # fmt: skip


def revenue_rows(revenue: Sequence[Any]) -> list[tuple[str, ...]]:
    """Rows of the customs revenue share table."""
    return [(r.name, ", ".join(r.crossings), f"{r.observed_share:.0%}", _opt(r.modelled_share, ".0%"), r.year)
            for r in revenue]  # fmt: skip


VOLUME_HEAD = ("crossing", "mode", "direction", "measure", "observed", "modelled", "model/obs", "date")
REVENUE_HEAD = ("border", "crossings", "customs revenue (observed)", "modelled share", "year")


def compare_report(volumes: Sequence[Any], revenue: Sequence[Any]) -> str:
    """``assign --compare``: modelled against observed volumes and customs revenue shares."""
    lines = ["Modelled against observed traffic (observed_volumes.csv)",
             table(VOLUME_HEAD, compare_rows(volumes), right=(4, 5, 6))]  # fmt: skip
    if revenue:
        lines += ["", f"Customs revenue by border against the modelled share of {revenue[0].basis} Afghanistan",
                  table(REVENUE_HEAD, revenue_rows(revenue), right=(2, 3))]  # fmt: skip
    return "\n".join(lines)


def compare_markdown(volumes: Sequence[Any], revenue: Sequence[Any]) -> str:
    """``assign --compare --markdown``: the README's tables (generated, never typed)."""

    def md(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return out + ["| " + " | ".join(x.replace("|", "\\|") for x in r) + " |" for r in rows]

    lines = md(VOLUME_HEAD, compare_rows(volumes))
    if revenue:
        lines += ["", f"Modelled share: {revenue[0].basis} Afghanistan through the group's crossings.", ""]
        lines += md(REVENUE_HEAD, revenue_rows(revenue))
    return "\n".join(lines)


ASSIGN_CSV_COLUMNS = ("crossing", "name", "mode", "trucks_per_day", "wagons_per_day", "capacity_per_day", "utilisation",
                      "opening_hours", "free_time_h", "wait_h", "loaded_time_h", "tonnes_per_year", "tonnes_to_af",
                      "tonnes_from_af", "value_usd", "value_to_af_usd")  # fmt: skip


def assign_csv(result: Any) -> str:
    """``assign --csv``: one row per loaded crossing mode."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ASSIGN_CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for c in result.crossings:
        writer.writerow({k: ("" if v is None else v) for k, v in c.to_dict().items()})
    return out.getvalue()
