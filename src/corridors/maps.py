"""Folium HTML maps of routes, the network, what-if runs, risk and criticality.

Every map is one self-contained HTML file: all vector layers are inline. Base tiles are
optional (OpenStreetMap with its attribution by default, ``tiles="none"`` for a plain
background). Leaflet and jQuery load from folium's CDN by default; ``offline=True`` inlines
them from the XStatic-Leaflet and XStatic-jQuery packages (installed from PyPI with the
project; the same versions folium loads: Leaflet 1.9.3, jQuery 3.7.1), so the file works with
no network at all. Every string that comes from data or the command line is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridors.charts import LAYER_COLOURS
from corridors.errors import UsageError

if TYPE_CHECKING:
    import folium

    from corridors.data import Crossing, Edge, GeoData
    from corridors.network import Network
    from corridors.risk import CriticalityRow, RiskResult
    from corridors.route import Leg, Route

TILES = ("osm", "none")
ALTERNATIVE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
PLANNED_DASH = "8 8"
MAP_LAYER_COLOURS = {"pipeline": "#8c564b", "power_line": "#bcbd22"}


def esc(value: Any) -> str:
    """Escape a value for HTML inside a JavaScript template string (folium popups, tooltips).

    Parameters
    ----------
    value
        Anything; ``None`` becomes an empty string.

    Returns
    -------
    str
        ``<``, ``>``, ``&``, quotes, backticks, ``$`` and backslashes as character references.

    """
    text = "" if value is None else str(value)
    return html.escape(text, quote=True).replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def default_map_path(route: Route, folder: str | Path = "maps") -> Path:
    """``maps/<origin>-<destination>.html`` with names reduced to safe file-name characters."""

    def slug(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "place"

    return Path(folder) / f"{slug(route.origin['name'])}-{slug(route.destination['name'])}.html"


# -- building blocks -------------------------------------------------------------------------
def new_map(bounds: Sequence[tuple[float, float]], tiles: str = "osm") -> folium.Map:
    """An empty map fitted to ``bounds`` (``(lat, lon)`` points), with a scale bar.

    Raises
    ------
    UsageError
        For an unknown ``tiles`` value.

    """
    import folium

    if tiles not in TILES:
        raise UsageError(f"--tiles must be one of {', '.join(TILES)}, not '{tiles}'")
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    m.default_js = [js for js in folium.Map.default_js if js[0] in ("leaflet", "jquery")]
    m.default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
    if tiles == "osm":
        folium.TileLayer(
            "OpenStreetMap",
            name="OpenStreetMap",
            attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        ).add_to(m)
    else:
        m.get_root().header.add_child(folium.Element("<style>.leaflet-container{background:#eef0f2;}</style>"))
    if bounds:
        lats = [p[0] for p in bounds]
        lons = [p[1] for p in bounds]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20))
    return m


def _popup(rows: Iterable[tuple[str, Any]], title: str) -> folium.Popup:
    import folium

    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:6px'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows
    )
    return folium.Popup(f"<b>{esc(title)}</b><table class='corridors-popup'>{cells}</table>", max_width=420)


def _tooltip(text: str) -> folium.Tooltip:
    import folium

    return folium.Tooltip(esc(text))


def _fmt(x: float | None, unit: str = "", digits: int = 1) -> str:
    return "" if x is None else f"{x:,.{digits}f}{unit}"


def legend(entries: Sequence[tuple[str, str, str]], title: str = "Legend") -> folium.Element:
    """A fixed legend box: ``(colour, style, label)`` per row, ``style`` ``line``/``dash``/``dot``."""
    import folium

    rows = []
    for colour, style, label in entries:
        if style == "dot":
            mark = f"<span style='display:inline-block;width:12px;height:12px;border-radius:6px;background:{colour}'></span>"
        else:
            border = "dashed" if style == "dash" else "solid"
            mark = f"<span style='display:inline-block;width:24px;border-top:4px {border} {colour};vertical-align:middle'></span>"
        rows.append(f"<div>{mark} {esc(label)}</div>")
    body = "".join(rows)
    return folium.Element(
        f"<div id='corridors-legend' style='position:fixed;bottom:70px;left:10px;z-index:1000;background:white;"
        f"padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-width:260px'>"
        f"<b>{esc(title)}</b>{body}</div>"
    )


def _add_legend(m: folium.Map, entries: Sequence[tuple[str, str, str]], title: str = "Legend") -> None:
    m.get_root().html.add_child(legend(entries, title))


def _leg_colour(leg: Leg) -> str:
    if leg.kind in ("crossing", "transfer"):
        return LAYER_COLOURS[leg.kind]
    return LAYER_COLOURS.get(leg.layer, "#555555")


def _leg_rows(leg: Leg) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("kind", leg.kind), ("mode", leg.mode), ("layer", leg.layer), ("distance", _fmt(leg.distance_km, " km")),
        ("time", _fmt(leg.time_h, " h")), ("cost", _fmt(leg.cost_usd, " USD", 0)),
        ("cost per tonne", _fmt(leg.cost_usd_per_t, " USD/t", 2)), ("edge", leg.edge_id),
    ]  # fmt: skip
    if leg.gauge_mm:
        rows.insert(3, ("gauge", f"{leg.gauge_mm} mm"))
    if leg.road_class:
        rows.insert(3, ("road class", leg.road_class))
    if leg.crossing_id:
        rows += [("crossing", f"{leg.crossing_id} {leg.crossing_name}"), ("fees", _fmt(leg.fee_usd, " USD", 0)),
                 ("P(closed)", _fmt(leg.closure_prob, "", 4))]  # fmt: skip
    if leg.transfer_kind:
        rows.append(("transshipment", leg.transfer_kind))
    return rows


def _draw_route(group: folium.FeatureGroup, route: Route, colour: str | None = None, weight: float = 5) -> None:
    import folium

    for i, leg in enumerate(route.leg_list, 1):
        pts = [(lat, lon) for lon, lat in leg.coords]
        title = f"{i}. {leg.from_name} -> {leg.to_name}"
        if leg.kind in ("crossing", "transfer"):
            lat, lon = pts[-1] if leg.kind == "crossing" else pts[0]
            folium.CircleMarker(
                (lat, lon), radius=8 if leg.kind == "crossing" else 6, color="#222222", weight=2,
                fill=True, fill_color=colour or _leg_colour(leg), fill_opacity=0.95,
                popup=_popup(_leg_rows(leg), title), tooltip=_tooltip(title),
                class_name=f"corridors-{leg.kind}",
            ).add_to(group)  # fmt: skip
            if leg.kind == "transfer" or len(set(pts)) < 2:
                continue
        folium.PolyLine(
            pts, color=colour or _leg_colour(leg), weight=weight, opacity=0.85,
            popup=_popup(_leg_rows(leg), title), tooltip=_tooltip(title),
            class_name=f"corridors-leg corridors-{leg.kind}",
        ).add_to(group)  # fmt: skip


def _endpoints(m: folium.Map, route: Route) -> None:
    import folium

    for role, info, colour in (("start", route.origin, "#00a650"), ("end", route.destination, "#c00000")):
        folium.CircleMarker(
            (info["lat"], info["lon"]), radius=10, color="#000000", weight=2, fill=True, fill_color=colour,
            fill_opacity=1.0, tooltip=_tooltip(f"{role}: {info['name']}"),
            popup=_popup([("place", info["id"]), ("country", info["country"])], f"{role}: {info['name']}"),
            class_name=f"corridors-{role}",
        ).add_to(m)  # fmt: skip


def _route_bounds(routes: Iterable[Route]) -> list[tuple[float, float]]:
    return [(lat, lon) for r in routes for leg in r.leg_list for lon, lat in leg.coords]


ROUTE_LEGEND = [
    (LAYER_COLOURS["road"], "line", "road"),
    (LAYER_COLOURS["rail1520"], "line", "rail 1520 mm"),
    (LAYER_COLOURS["rail1435"], "line", "rail 1435 mm"),
    (LAYER_COLOURS["rail1676"], "line", "rail 1676 mm"),
    (LAYER_COLOURS["crossing"], "dot", "border crossing"),
    (LAYER_COLOURS["transfer"], "dot", "transshipment"),
    ("#00a650", "dot", "start"),
    ("#c00000", "dot", "end"),
]


def _chart_panel(routes: Sequence[Route]) -> folium.Element:
    import folium

    from corridors.charts import figure_bytes, plot_tcd

    svg = figure_bytes(plot_tcd(routes), ".svg")
    data = base64.b64encode(svg).decode("ascii")
    return folium.Element(
        "<div id='corridors-chart' style='position:fixed;top:10px;left:60px;z-index:1000;background:white;"
        "border:1px solid #999;border-radius:4px;padding:4px;width:420px'>"
        "<details open><summary style='font:12px sans-serif;cursor:pointer'>time/cost-distance chart</summary>"
        f"<img alt='time/cost-distance chart' style='width:410px' src='data:image/svg+xml;base64,{data}'/></details></div>"
    )


# -- maps ------------------------------------------------------------------------------------
def route_map(route: Route, *, tiles: str = "osm", chart: bool = True) -> folium.Map:
    """Map of a route and its alternatives.

    Parameters
    ----------
    route
        The best route; ``route.alternatives`` are drawn as toggleable layers.
    tiles
        ``osm`` or ``none``.
    chart
        Embed the time/cost-distance chart in a side panel.

    Returns
    -------
    folium.Map

    """
    import folium

    routes = route.alternatives if len(route.alternatives) > 1 else [route]
    m = new_map(_route_bounds(routes), tiles)
    for i, r in enumerate(routes):
        name = f"#{i + 1} {' > '.join(r.crossings) or 'no crossing'}: {r.totals['cost_usd']:,.0f} USD, {r.totals['time_h']:,.0f} h"
        group = folium.FeatureGroup(name=esc(name), show=i == 0)
        _draw_route(
            group,
            r,
            colour=None if i == 0 else ALTERNATIVE_COLOURS[i % len(ALTERNATIVE_COLOURS)],
            weight=6 if i == 0 else 4,
        )
        group.add_to(m)
    _endpoints(m, route)
    _add_legend(m, ROUTE_LEGEND, f"{route.origin['name']} -> {route.destination['name']}")
    if chart:
        m.get_root().html.add_child(_chart_panel(routes))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _edge_coords(e: Edge, data: GeoData) -> list[tuple[float, float]]:
    a, b = data.places[e.from_id], data.places[e.to_id]
    return [(a.lat, a.lon), *((w.lat, w.lon) for w in e.via), (b.lat, b.lon)]


def _crossing_colour(p: float) -> str:
    if p >= 0.1:
        return "#b2182b"
    if p >= 0.03:
        return "#ef8a62"
    if p >= 0.005:
        return "#fddbc7"
    return "#67a9cf"


def _crossing_rows(c: Crossing, data: GeoData) -> list[tuple[str, Any]]:
    group = data.groups.get(c.closure_group)
    return [
        ("between", f"{data.places[c.af_place].name} ({data.places[c.af_place].country}) - "
                    f"{data.places[c.partner_place].name} ({data.places[c.partner_place].country})"),
        ("modes", ", ".join(c.modes) + (f" ({c.rail_gauge_mm} mm)" if c.rail_gauge_mm else "")),
        ("status", c.status), ("road crossing time", _fmt(c.road_time_h, " h")), ("rail crossing time", _fmt(c.rail_time_h, " h")),
        ("fees per truck", _fmt(c.road_fee_usd_per_truck, " USD", 0)), ("fees per wagon", _fmt(c.rail_fee_usd_per_wagon, " USD", 0)),
        ("trucks/day", _fmt(c.capacity_trucks_per_day, "", 0)), ("P(closed)", _fmt(c.closure_prob, "", 4)),
        ("mean closure", _fmt(c.closure_mean_days, " days")),
        ("closure group", f"{group.name} (P {group.closure_prob:.4f})" if group else ""),
        ("forced transloading", "yes" if c.transload else "no"), ("closure history", c.provenance.note),
        ("quality", c.provenance.quality), ("sources", c.provenance.source),
    ]  # fmt: skip


def _crossing_point(c: Crossing, data: GeoData) -> tuple[float, float]:
    a, b = data.places[c.af_place], data.places[c.partner_place]
    return ((a.lat + b.lat) / 2, (a.lon + b.lon) / 2)


def network_map(network: Network, *, tiles: str = "osm", closed: Iterable[str] = ()) -> folium.Map:
    """Map of the whole network.

    Roads by class, railways by gauge, planned projects dashed with their names, map-only
    layers (pipelines, power lines), every crossing coloured by closure probability with a
    popup of its facts, and the terminals.

    Parameters
    ----------
    network
        The network (its geodata, with any scenario applied).
    tiles
        ``osm`` or ``none``.
    closed
        Ids of edges and crossings to strike through (what a scenario closed).

    """
    import folium

    data = network.data
    closed = set(closed)
    m = new_map([(p.lat, p.lon) for p in data.places.values()], tiles)
    groups = {
        "road": folium.FeatureGroup(name="roads"),
        "rail": folium.FeatureGroup(name="railways"),
        "planned": folium.FeatureGroup(name="planned projects"),
        "closed": folium.FeatureGroup(name="closed"),
    }
    widths = {"motorway": 4, "primary": 3, "secondary": 2, "mountain": 3}
    for e in data.edges.values():
        colour = LAYER_COLOURS["road"] if e.mode == "road" else LAYER_COLOURS.get(e.layer, "#555555")
        planned = e.status in ("planned", "under_construction")
        target = "closed" if e.status == "closed" or e.id in closed else ("planned" if planned else e.mode)
        title = f"{e.id}: {data.places[e.from_id].name} - {data.places[e.to_id].name}"
        rows = [("mode", e.mode), ("gauge", f"{e.gauge_mm} mm" if e.gauge_mm else ""), ("road class", e.road_class or ""),
                ("distance", _fmt(e.distance_km, " km")), ("status", e.status), ("project", e.project),
                ("quality", e.provenance.quality), ("sources", e.provenance.source), ("note", e.provenance.note)]  # fmt: skip
        folium.PolyLine(
            _edge_coords(e, data), color="#000000" if target == "closed" else colour,
            weight=widths.get(e.road_class or "", 3), opacity=0.8, dash_array=PLANNED_DASH if planned or target == "closed" else None,
            popup=_popup(rows, title), tooltip=_tooltip(f"{title}{' (' + e.project + ')' if e.project else ''}"),
            class_name=f"corridors-edge corridors-{e.mode}{' corridors-closed' if target == 'closed' else ''}",
        ).add_to(groups[target])  # fmt: skip
    crossings = folium.FeatureGroup(name="border crossings")
    for c in data.crossings.values():
        is_closed = c.status == "closed" or c.id in closed
        folium.CircleMarker(
            _crossing_point(c, data), radius=8, color="#000000" if is_closed else "#333333", weight=3 if is_closed else 1,
            fill=True, fill_color="#000000" if is_closed else _crossing_colour(c.closure_prob), fill_opacity=0.9,
            popup=_popup(_crossing_rows(c, data), f"{c.id} {c.name}"), tooltip=_tooltip(f"{c.id} {c.name}"),
            class_name="corridors-crossing" + (" corridors-closed" if is_closed else ""),
        ).add_to(crossings)  # fmt: skip
    terminals = folium.FeatureGroup(name="terminals")
    by_place: dict[str, list[str]] = {}
    for t in data.terminals:
        by_place.setdefault(t.place, []).append(
            f"{t.from_layer}<->{t.to_layer} {t.kind}: {t.cost_usd_per_t:g} USD/t, {t.time_h:g} h"
        )
    for pid, lines in by_place.items():
        p = data.places[pid]
        folium.CircleMarker(
            (p.lat, p.lon), radius=4, color=LAYER_COLOURS["transfer"], fill=True, fill_opacity=1,
            popup=_popup([(str(i + 1), line) for i, line in enumerate(lines)], f"terminal {p.name}"),
            tooltip=_tooltip(f"terminal {p.name}"), class_name="corridors-terminal",
        ).add_to(terminals)  # fmt: skip
    extra = folium.FeatureGroup(name="pipelines and power lines (no freight)")
    for layer in data.map_layers.values():
        folium.PolyLine(
            [(w.lat, w.lon) for w in layer.via], color=MAP_LAYER_COLOURS.get(layer.kind, "#777777"), weight=3,
            dash_array="2 6" if layer.status != "open" else None,
            popup=_popup([("kind", layer.kind), ("status", layer.status), ("project", layer.project),
                          ("sources", layer.provenance.source)], layer.name),
            tooltip=_tooltip(f"{layer.name} ({layer.kind}, {layer.status})"), class_name="corridors-maplayer",
        ).add_to(extra)  # fmt: skip
    for g in (*groups.values(), extra, terminals, crossings):
        g.add_to(m)
    _add_legend(m, [
        (LAYER_COLOURS["road"], "line", "road"), (LAYER_COLOURS["rail1520"], "line", "rail 1520 mm"),
        (LAYER_COLOURS["rail1435"], "line", "rail 1435 mm"), (LAYER_COLOURS["rail1676"], "line", "rail 1676 mm"),
        ("#777777", "dash", "planned / under construction"), ("#000000", "dash", "closed"),
        (MAP_LAYER_COLOURS["pipeline"], "line", "pipeline (no freight)"), (MAP_LAYER_COLOURS["power_line"], "line", "power line (no freight)"),
        ("#67a9cf", "dot", "crossing P(closed) < 0.5%"), ("#fddbc7", "dot", "0.5-3%"), ("#ef8a62", "dot", "3-10%"),
        ("#b2182b", "dot", ">= 10%"), (LAYER_COLOURS["transfer"], "dot", "terminal"),
    ], "Corridor network")  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def whatif_map(
    base: Route, scenario: Route | None, closed: Iterable[str], network: Network, *, tiles: str = "osm"
) -> folium.Map:
    """Baseline and scenario routes together, with what the scenario closed struck through."""
    import folium

    routes = [base] + ([scenario] if scenario else [])
    m = new_map(_route_bounds(routes), tiles)
    g = folium.FeatureGroup(name=esc(f"baseline: {' > '.join(base.crossings)}"))
    _draw_route(g, base, colour="#2166ac", weight=6)
    g.add_to(m)
    if scenario:
        g = folium.FeatureGroup(name=esc(f"scenario: {' > '.join(scenario.crossings)}"))
        _draw_route(g, scenario, colour="#b2182b", weight=4)
        g.add_to(m)
    struck = folium.FeatureGroup(name="closed by the scenario")
    data = network.data
    for item in closed:
        cid = item.split(":")[0]
        if cid in data.crossings:
            c = data.crossings[cid]
            lat, lon = _crossing_point(c, data)
            folium.Marker((lat, lon), icon=folium.DivIcon(html="<div class='corridors-closed' style='font:bold 22px sans-serif;color:#000'>&#10006;</div>"),
                          tooltip=_tooltip(f"closed: {c.id} {c.name}")).add_to(struck)  # fmt: skip
        elif item in data.edges:
            folium.PolyLine(_edge_coords(data.edges[item], data), color="#000000", weight=4, dash_array="4 6",
                            tooltip=_tooltip(f"closed: {item}"), class_name="corridors-closed").add_to(struck)  # fmt: skip
    struck.add_to(m)
    _endpoints(m, base)
    _add_legend(
        m,
        [("#2166ac", "line", "baseline route"), ("#b2182b", "line", "scenario route"), ("#000000", "dash", "closed")],
        "What if",
    )
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def risk_map(result: RiskResult, network: Network, *, tiles: str = "osm") -> folium.Map:
    """Edges drawn with a width by how often the samples used them."""
    import folium

    data = network.data
    m = new_map([(p.lat, p.lon) for p in data.places.values()], tiles)
    g = folium.FeatureGroup(name="edge use across samples")
    for link, share in sorted(result.link_use.items(), key=lambda kv: kv[1]):
        if link in data.edges:
            coords = _edge_coords(data.edges[link], data)
        elif link in data.crossings:
            c = data.crossings[link]
            coords = [
                (data.places[c.af_place].lat, data.places[c.af_place].lon),
                (data.places[c.partner_place].lat, data.places[c.partner_place].lon),
            ]
        else:
            continue
        folium.PolyLine(coords, color="#d7301f", weight=1 + 11 * share, opacity=0.8,
                        tooltip=_tooltip(f"{link}: used in {share:.1%} of samples"),
                        class_name="corridors-leg corridors-risk").add_to(g)  # fmt: skip
    g.add_to(m)
    for c in data.crossings.values():
        share = result.crossing_use.get(c.id, 0.0)
        folium.CircleMarker(_crossing_point(c, data), radius=4 + 10 * share, color="#333333", fill=True,
                            fill_color=_crossing_colour(c.closure_prob), fill_opacity=0.9,
                            popup=_popup([("used in", f"{share:.1%} of samples"), ("P(closed)", _fmt(c.closure_prob, "", 4))], f"{c.id} {c.name}"),
                            tooltip=_tooltip(f"{c.id} {c.name}: {share:.1%}"), class_name="corridors-crossing").add_to(m)  # fmt: skip
    _add_legend(m, [("#d7301f", "line", "width: share of samples using the edge")],
                f"Risk {result.origin} -> {result.destination} ({result.samples:,} samples)")  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def criticality_map(rows: Sequence[CriticalityRow], network: Network, *, tiles: str = "osm") -> folium.Map:
    """Crossings sized and coloured by criticality (extra cost, lost flows)."""
    import folium

    data = network.data
    m = new_map([(p.lat, p.lon) for p in data.places.values()], tiles)
    crossing_rows = [r for r in rows if r.kind == "crossing"]
    top = max((r.extra_cost_usd for r in crossing_rows), default=0.0) or 1.0
    g = folium.FeatureGroup(name="crossings by criticality")
    for r in crossing_rows:
        c = data.crossings[r.closed]
        share = r.extra_cost_usd / top
        colour = "#000000" if r.flows_lost else ("#b2182b" if share > 0.5 else "#ef8a62" if share > 0.1 else "#67a9cf")
        folium.CircleMarker(
            _crossing_point(c, data), radius=5 + 20 * share + (6 if r.flows_lost else 0), color="#333333",
            fill=True, fill_color=colour, fill_opacity=0.85,
            popup=_popup([("extra cost", _fmt(r.extra_cost_usd, " USD/yr", 0)), ("flows rerouted", r.flows_rerouted),
                          ("flows lost", r.flows_lost), ("tonnes lost", _fmt(r.tonnes_lost, " t/yr", 0))], f"{c.id} {c.name}"),
            tooltip=_tooltip(f"{c.id} {c.name}"), class_name="corridors-crossing",
        ).add_to(g)  # fmt: skip
    g.add_to(m)
    _add_legend(m, [("#000000", "dot", "closing it cuts flows off"), ("#b2182b", "dot", "large extra cost"),
                    ("#ef8a62", "dot", "some extra cost"), ("#67a9cf", "dot", "little or none")], "Criticality (size: extra cost)")  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(m)
    return m


# -- output ----------------------------------------------------------------------------------
def _inline_assets(page: str) -> str:
    """Replace the CDN Leaflet and jQuery tags with the files of the XStatic packages."""
    import folium
    import xstatic.pkg.jquery as xjquery
    import xstatic.pkg.leaflet as xleaflet

    leaflet_dir = Path(xleaflet.BASE_DIR)
    jquery_dir = Path(xjquery.BASE_DIR)
    urls = dict(folium.Map.default_js) | dict(folium.Map.default_css)
    css = (leaflet_dir / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = leaflet_dir / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode('ascii')})"

    css = re.sub(r"url\((images/[a-z0-9-]+\.png)\)", data_uri, css)
    replacements = {
        f'<script src="{urls["leaflet"]}"></script>': f"<script>{(leaflet_dir / 'leaflet.js').read_text(encoding='utf-8')}</script>",
        f'<script src="{urls["jquery"]}"></script>': f"<script>{(jquery_dir / 'jquery.min.js').read_text(encoding='utf-8')}</script>",
        f'<link rel="stylesheet" href="{urls["leaflet_css"]}"/>': f"<style>{css}</style>",
    }
    for tag, inline in replacements.items():
        if tag not in page:
            raise RuntimeError(f"offline map: expected asset tag not found: {tag[:80]}")
        page = page.replace(tag, inline)
    return page


def render_html(m: folium.Map, *, offline: bool = False) -> str:
    """The map as one HTML page; with ``offline`` every script and style is inline."""
    page = m.get_root().render()
    return _inline_assets(page) if offline else page


def save_map(m: folium.Map, path: str | Path, *, offline: bool = False) -> Path:
    """Write a map atomically (temporary file, then rename).

    Raises
    ------
    UsageError
        For a path that does not end in ``.html`` or a folder that does not exist.

    """
    from corridors.io import atomic_write_text

    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"a map file must end in .html, not '{path.name}'")
    return atomic_write_text(path, render_html(m, offline=offline))
