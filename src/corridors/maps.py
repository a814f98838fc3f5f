"""Folium HTML maps of routes, the network, what-if runs, risk and criticality.

Every map is one self-contained HTML file that reads without internet:

- an offline basemap (Natural Earth countries and names, lakes, the main rivers, the main
  towns; ``geodata/basemap/``) is drawn under every map; OpenStreetMap tiles are only an
  optional layer on top of it (``tiles="osm"``), so a map never depends on them;
- a side panel (beside the map, never over it; below it and collapsed on a narrow screen)
  holds the title, the scenario, the date the map was made, a summary (itinerary with
  cumulative time and cost, totals, what-if deltas, risk statistics, rankings), the layer
  switches, a legend built from what was actually drawn, and the sources;
- popups fit the window (scrolling inside), name their sources as links, and crossings at
  one place (a road crossing and a planned railway) share one marker listing every record.

Leaflet and jQuery load from folium's CDN by default; ``offline=True`` inlines them from the
XStatic-Leaflet and XStatic-jQuery packages (installed from PyPI with the project; the same
versions folium loads: Leaflet 1.9.3, jQuery 3.7.1), so the file loads nothing at all from the
network. Every string that comes from data or the command line is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import xstatic.pkg.jquery as xjquery
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import shape

from corridors.charts import ALTERNATIVE_COLOURS, LAYER_COLOURS, tcd_svg
from corridors.errors import CorridorsError, DataError, UsageError
from corridors.graph import gauge_of
from corridors.io import atomic_write_text

if TYPE_CHECKING:
    import folium

    from corridors.criticality import CriticalityRow
    from corridors.data import Crossing, Edge, GeoData
    from corridors.network import Network
    from corridors.risk import RiskResult
    from corridors.route import Leg, Route
    from corridors.scenarios import Scenario

TILES = ("osm", "none")
PLANNED_DASH = "8 8"
CLOSED_DASH = "4 6"
DOTTED_DASH = "2 6"
ALTERNATIVE_DASH = "10 6"
MAP_LAYER_COLOURS = {"pipeline": "#8c564b", "power_line": "#bcbd22"}
BASELINE_COLOUR = "#2166ac"
SCENARIO_COLOUR = "#b2182b"
START_COLOUR = "#00a650"
END_COLOUR = "#c00000"
CLOSED_COLOUR = "#000000"
#: Width of the side panel (px), and the window width at or below which it moves under the map.
PANEL_WIDTH = 360
NARROW_PX = 700
POPUP_WIDTH = 320
POPUP_HEIGHT = 300
#: Crossing colours by closure probability: (lower bound, colour, legend label).
CLOSURE_CLASSES = (
    (0.1, "#b2182b", "P(closed) 10% or more"),
    (0.03, "#ef8a62", "P(closed) 3-10%"),
    (0.005, "#fddbc7", "P(closed) 0.5-3%"),
    (0.0, "#67a9cf", "P(closed) under 0.5%"),
)
#: Map panes (name, z-index, takes clicks): basemap and its labels under the tile pane (200),
#: then alternatives, lines, endpoints, points and marks over Leaflet's overlay pane (400).
PANES = (
    ("corridors-basemap", 150, False),
    ("corridors-labels", 160, False),
    ("corridors-alt", 405, True),
    ("corridors-lines", 410, True),
    ("corridors-ends", 420, True),
    ("corridors-points", 430, True),
    ("corridors-terminals", 435, True),
    ("corridors-marks", 440, True),
)
NATURAL_EARTH = "https://www.naturalearthdata.com/"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"


class Html(str):
    """Markup that is already escaped (a popup cell holding a link)."""

    __slots__ = ()


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


def link(url: str, text: str | None = None) -> Html:
    """An ``http(s)`` address as a link that opens in a new tab; anything else as plain text.

    Parameters
    ----------
    url
        The address (from data: it is escaped).
    text
        Link text; default the address without its scheme, shortened to 48 characters.

    Returns
    -------
    Html

    """
    url = url.strip()
    if not re.match(r"https?://\S+$", url, flags=re.IGNORECASE):
        return Html(esc(url))
    label = text or re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE)
    if len(label) > 48:
        label = label[:47] + "…"
    return Html(f"<a href='{esc(url)}' target='_blank' rel='noopener noreferrer'>{esc(label)}</a>")


def sources_html(text: str) -> Html:
    """A ``;``-separated sources field as one link (or text) per line."""
    parts = [p.strip() for p in (text or "").split(";") if p.strip()]
    return Html("<br>".join(link(p) for p in parts))


def default_map_path(origin: str, destination: str, folder: str | Path = ".", prefix: str = "") -> Path:
    """``<folder>/<prefix><origin>-<destination>.html``, names reduced to safe file-name characters.

    The default folder is the current directory, never the repository's ``maps/`` (whose
    examples are regenerated by ``maps/regenerate.py``); :func:`save_map` creates it if missing.

    Parameters
    ----------
    origin, destination
        Place names, as a route or a risk result names them.
    folder
        Where the file goes.
    prefix
        What the map shows (``whatif-``, ``risk-``), put before the names.

    Returns
    -------
    pathlib.Path

    """

    def slug(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "place"

    return Path(folder) / f"{prefix}{slug(origin)}-{slug(destination)}.html"


# -- basemap ---------------------------------------------------------------------------------
def basemap_path() -> Path:
    """Where the offline basemap is: ``$CORRIDORS_BASEMAP`` or ``geodata/basemap/basemap.geojson``.

    Raises
    ------
    DataError
        If no basemap file is found.

    """
    env = os.environ.get("CORRIDORS_BASEMAP")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "geodata" / "basemap" / "basemap.geojson" for p in here.parents]
    for path in candidates:
        if path.is_file():
            return path
    raise DataError("the offline basemap geodata/basemap/basemap.geojson is missing (set $CORRIDORS_BASEMAP)")


@cache
def load_basemap(path: str | None = None) -> dict[str, Any]:
    """The basemap FeatureCollection (``layer``: country, lake, river, town), with its label points.

    Parameters
    ----------
    path
        A basemap GeoJSON file; default :func:`basemap_path`.

    Returns
    -------
    dict
        GeoJSON with an extra ``labels`` list of ``[lat, lon, text, kind]``.

    """
    doc = json.loads(Path(path or basemap_path()).read_text(encoding="utf-8"))
    labels: list[list[Any]] = []
    for f in doc["features"]:
        props, geom = f["properties"], f["geometry"]
        name = props.get("name") or ""
        if not name:
            continue
        if props["layer"] == "country":
            lon, lat = props["label"]
            labels.append([lat, lon, name, "country"])
        elif props["layer"] == "town":
            lon, lat = geom["coordinates"]
            labels.append([lat, lon, name, "town"])
        elif props["layer"] == "river":
            line = shape(geom)
            part = max(getattr(line, "geoms", [line]), key=lambda g: g.length)
            p = part.interpolate(0.5, normalized=True)
            labels.append([round(p.y, 3), round(p.x, 3), name, "river"])
    doc["labels"] = labels
    return doc


def _basemap_element(doc: dict[str, Any]) -> folium.MacroElement:

    class Basemap(MacroElement):
        _template = Template(
            """{% macro script(this, kwargs) %}
(function (map) {
  var doc = {{ this.doc|tojson }};
  var r = doc.region;
  L.rectangle([[r[1], r[0]], [r[3], r[2]]], {pane: "corridors-basemap", interactive: false, stroke: false,
    fillColor: "#cfe2ef", fillOpacity: 1, className: "corridors-basemap-water"}).addTo(map);
  var styles = {
    country: {color: "#9a9a9a", weight: 1, fillColor: "#f3f0e8", fillOpacity: 1, className: "corridors-basemap-country"},
    lake: {color: "#8fb8d8", weight: 0.6, fillColor: "#cfe2ef", fillOpacity: 1, className: "corridors-basemap-lake"},
    river: {color: "#5b9bd5", weight: 1.4, opacity: 0.9, className: "corridors-basemap-river"}
  };
  L.geoJSON(doc, {pane: "corridors-basemap", interactive: false,
    filter: function (f) { return f.properties.layer !== "town"; },
    style: function (f) { return styles[f.properties.layer]; }}).addTo(map);
  doc.labels.forEach(function (l) {
    var el = document.createElement("span");
    el.textContent = l[2];
    if (l[3] === "town") { var dot = document.createElement("i"); el.insertBefore(dot, el.firstChild); }
    L.marker([l[0], l[1]], {pane: "corridors-labels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "corridors-basemap-label corridors-basemap-" + l[3] + "-label", html: el,
                       iconSize: null})}).addTo(map);
  });
  map.attributionControl.addAttribution('Basemap: <a href="{{ this.ne }}" target="_blank" rel="noopener">Natural Earth</a>');
})({{ this._parent.get_name() }});
{% endmacro %}"""
        )

        def __init__(self, doc: dict[str, Any]) -> None:
            super().__init__()
            self._name = "CorridorsBasemap"
            self.doc = {"type": "FeatureCollection", "region": doc.get("region", [44, 20, 90, 50]),
                        "features": doc["features"], "labels": doc["labels"]}  # fmt: skip
            self.ne = NATURAL_EARTH

    return Basemap(doc)


# -- legend ----------------------------------------------------------------------------------
@dataclass
class LegendEntry:
    """One legend row: the CSS class of what it explains and how that thing looks."""

    key: str
    colour: str
    style: str  # line, point, ring, cross, label; size (a ring) and width (a line) are keys of scale
    label: str
    dash: str | None = None
    width: float = 4
    radius: float = 6
    section: str = ""


class Legend:
    """Legend rows collected while drawing, so the legend lists exactly what is on the map."""

    def __init__(self) -> None:
        self.entries: list[LegendEntry] = []
        self._keys: set[tuple[str, str]] = set()

    def use(self, key: str, colour: str, style: str, label: str, **kw: Any) -> str:
        """Register a row (once per key and label); return the CSS class to put on the drawn thing."""
        key = re.sub(r"[^a-z0-9-]+", "-", key.lower())
        if (key, label) not in self._keys:
            self._keys.add((key, label))
            self.entries.append(LegendEntry(key, colour, style, label, **kw))
        return f"corridors-k-{key}"

    def html(self, title: str = "Legend") -> str:
        """The legend as HTML (every row carries ``data-key``, ``data-style`` and ``data-colour``)."""
        rows, section = [], None
        order = list(dict.fromkeys(e.section for e in self.entries))
        for e in sorted(self.entries, key=lambda e: order.index(e.section)):
            if e.section != section:
                section = e.section
                if section:
                    rows.append(f"<div class='corridors-legend-section'>{esc(section)}</div>")
            rows.append(
                f"<div class='corridors-legend-entry' data-key='{e.key}' data-style='{e.style}' "
                f"data-colour='{esc(e.colour)}' data-dash='{esc(e.dash or '')}'>{_mark(e)}<span>{esc(e.label)}</span></div>"
            )
        return f"<section id='corridors-legend'><h2>{esc(title)}</h2>{''.join(rows)}</section>"


def _mark(e: LegendEntry) -> str:
    c = esc(e.colour)
    if e.style in ("point", "ring", "size"):
        r = min(e.radius, 13)
        fill = c if e.style == "point" else "none"
        stroke = "#333333" if e.style == "point" else c
        size = 2 * r + 6
        return (f"<svg width='{max(size, 30)}' height='{size}'><circle cx='{max(size, 30) / 2}' cy='{size / 2}' r='{r}' "
                f"fill='{fill}' stroke='{stroke}' stroke-width='{1 if e.style == 'point' else 2}'/></svg>")  # fmt: skip
    if e.style == "cross":
        return f"<span class='corridors-mark-cross' style='color:{c}'>&#10006;</span>"
    if e.style == "label":
        return f"<span class='corridors-mark-label' style='color:{c}'>Aa</span>"
    dash = f" stroke-dasharray='{esc(e.dash)}'" if e.dash else ""
    return f"<svg width='30' height='14'><line x1='2' y1='7' x2='28' y2='7' stroke='{c}' stroke-width='{e.width}'{dash}/></svg>"


# -- page ------------------------------------------------------------------------------------
CSS = f"""
html, body {{ height: 100%; margin: 0; }}
body {{ display: flex; flex-direction: row; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; }}
body > .folium-map {{ order: 1; flex: 1 1 auto; width: auto !important; height: 100% !important; min-width: 0; }}
.leaflet-container {{ background: #e4e3de; font-size: 13px; }}
#corridors-panel {{ order: 2; flex: 0 0 {PANEL_WIDTH}px; width: {PANEL_WIDTH}px; height: 100%; overflow-y: auto;
  box-sizing: border-box; padding: 8px 12px 12px; border-left: 1px solid #bbb; background: #fff; color: #222; }}
#corridors-panel summary {{ cursor: pointer; font-weight: 600; font-size: 16px; padding: 2px 0 4px; }}
#corridors-panel h2 {{ font-size: 13px; margin: 12px 0 4px; border-bottom: 1px solid #ddd; }}
#corridors-panel .corridors-meta {{ color: #555; font-size: 12px; }}
#corridors-panel table {{ border-collapse: collapse; width: 100%; font-size: 12px; }}
#corridors-panel td, #corridors-panel th {{ padding: 1px 4px; vertical-align: top; text-align: left; }}
#corridors-panel td.n, #corridors-panel th.n {{ text-align: right; white-space: nowrap; }}
#corridors-panel tr:nth-child(even) td {{ background: #f5f5f5; }}
#corridors-panel .corridors-note {{ background: #fff6d5; border: 1px solid #e6d38a; padding: 4px 6px; margin: 6px 0; }}
.corridors-legend-entry {{ display: flex; align-items: center; gap: 6px; font-size: 12px; min-height: 18px; }}
.corridors-legend-entry svg, .corridors-legend-entry .corridors-mark-cross {{ flex: 0 0 auto; }}
.corridors-legend-section {{ font-size: 11px; color: #666; margin-top: 6px; text-transform: uppercase; }}
.corridors-mark-cross {{ display: inline-block; width: 30px; text-align: center; font: bold 16px sans-serif; }}
#corridors-sources {{ margin-top: 12px; font-size: 11px; color: #555; }}
#corridors-layers-slot .leaflet-control-layers {{ position: static; margin: 0; box-shadow: none; border: 1px solid #ddd; float: none; }}
.corridors-basemap-label {{ white-space: nowrap; pointer-events: none; }}
.corridors-basemap-label span {{ position: relative; left: -50%; display: inline-block; transform: translateY(-50%); }}
.corridors-basemap-country-label span {{ color: #8a8478; font: 600 12px sans-serif; letter-spacing: .08em; text-transform: uppercase; }}
.corridors-basemap-town-label span {{ left: 0; color: #444; font: 11px sans-serif; text-shadow: 0 0 2px #fff, 0 0 2px #fff; }}
.corridors-basemap-town-label i {{ display: inline-block; width: 5px; height: 5px; border-radius: 3px; background: #555; margin: 0 3px 1px -2px; }}
.corridors-basemap-river-label span {{ color: #2f6fa8; font: italic 11px serif; text-shadow: 0 0 2px #fff; }}
.corridors-passthrough, .corridors-passthrough * {{ pointer-events: none !important; }}
.corridors-closed-mark, .corridors-project-label {{ display: flex; align-items: center; justify-content: center; }}
.corridors-closed-mark span {{ font: bold 20px/1 sans-serif; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }}
.corridors-closed-mark small {{ position: absolute; top: 20px; font: bold 10px sans-serif; background: #fff; padding: 0 2px; }}
.corridors-project-label span {{ white-space: nowrap; font: 600 11px sans-serif; background: rgba(255,255,255,.85);
  border: 1px solid #999; border-radius: 3px; padding: 0 3px; }}
.leaflet-popup-content {{ font-size: 12px; margin: 10px 12px; }}
path.leaflet-interactive:focus {{ outline: none; }}
.leaflet-popup-content table {{ border-collapse: collapse; }}
.leaflet-popup-content th {{ text-align: left; padding-right: 6px; vertical-align: top; white-space: nowrap; }}
.leaflet-popup-content td {{ overflow-wrap: anywhere; }}
.leaflet-popup-content hr {{ border: 0; border-top: 1px solid #ccc; }}
@media (max-width: {NARROW_PX}px) {{
  body {{ flex-direction: column; }}
  body > .folium-map {{ width: 100% !important; height: auto !important; flex: 1 1 auto; min-height: 55vh; }}
  #corridors-panel {{ flex: 0 0 auto; width: 100%; height: auto; max-height: 45vh; border-left: 0; border-top: 1px solid #bbb; }}
}}
"""


def _made() -> str:
    """Today's date, or the date of ``$SOURCE_DATE_EPOCH`` (reproducible example builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def scenario_label(scenarios: Sequence[Scenario]) -> str:
    """``baseline (no scenario)`` or the scenario names in the order applied."""
    return ", ".join(s.name for s in scenarios) if scenarios else "baseline (no scenario)"


class Page:
    """A map under construction: the folium map, its legend and the panel sections."""

    def __init__(self, title: str, kind: str, tiles: str, scenarios: Sequence[Scenario] = ()) -> None:

        if tiles not in TILES:
            raise UsageError(f"--tiles must be one of {', '.join(TILES)}, not '{tiles}'")
        self.title, self.kind, self.tiles, self.scenarios = title, kind, tiles, list(scenarios)
        self.legend = Legend()
        self.sections: list[str] = []
        m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, location=(33.5, 66.0), zoom_start=5)
        m.default_js = [js for js in folium.Map.default_js if js[0] in ("leaflet", "jquery")]
        m.default_css = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]
        root = m.get_root()
        root.title = html.escape(f"{title} — corridors {kind} map")
        root.header.add_child(Element(f"<style>{CSS}</style>"), name="corridors_css")

        class Panes(MacroElement):
            _template = Template(
                """{% macro script(this, kwargs) %}
(function (map) {
  {{ this.panes|tojson }}.forEach(function (p) {
    var el = map.createPane(p[0]); el.style.zIndex = p[1]; if (!p[2]) { el.style.pointerEvents = "none"; }
  });
  window.corridorsMap = map;
})({{ this._parent.get_name() }});
{% endmacro %}"""
            )

            def __init__(self) -> None:
                super().__init__()
                self._name = "CorridorsPanes"
                self.panes = [list(p) for p in PANES]

        m.add_child(Panes())
        m.add_child(_basemap_element(load_basemap()))
        if tiles == "osm":
            folium.TileLayer(
                "OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=True, control=True,
                attr=f'&copy; <a href="{OSM_COPYRIGHT}">OpenStreetMap</a> contributors',
            ).add_to(m)  # fmt: skip
        self.map = m
        self.bounds: list[tuple[float, float]] = []
        #: crossing id -> what the scenario did to it (a popup row); crossing ids with a marker
        self.notes: dict[str, str] = {}
        self.stops: set[str] = set()

    def group(self, name: str, show: bool = True) -> folium.FeatureGroup:
        """A toggleable layer (its name is escaped)."""
        g = folium.FeatureGroup(name=esc(name), show=show)
        g.add_to(self.map)
        return g

    def section(self, heading: str, body: str) -> None:
        """Add a panel section (``body`` is HTML built with :func:`esc`)."""
        self.sections.append(f"<h2>{esc(heading)}</h2>{body}")

    def finish(self, sources: Sequence[tuple[str, str | None]] = ()) -> folium.Map:
        """Add the panel, the layer control and the closing script; return the map."""
        scen = scenario_label(self.scenarios)
        meta = [f"scenario: {esc(scen)}"]
        for s in self.scenarios:
            if s.description:
                meta.append(f"<i>{esc(s.name)}</i>: {esc(s.description)}")
        meta.append(f"made {esc(_made())} with corridors")
        src = [f"{link(url, label) if url else esc(label)}" for label, url in sources]
        src += [f"scenario {esc(s.name)}: {sources_html(s.source)}" for s in self.scenarios if s.source]
        src += [
            f"basemap: {link(NATURAL_EARTH, 'Natural Earth')} 1:50m (public domain), Kabul River a simplified sketch "
            "(geodata/basemap/SOURCES.md)"
        ]
        if self.tiles == "osm":
            src.append(f"tiles (online only): {link(OSM_COPYRIGHT, '© OpenStreetMap contributors')}")
        panel = (
            f"<aside id='corridors-panel' aria-label='summary'><details id='corridors-summary' open>"
            f"<summary>{esc(self.title)}</summary>"
            f"<div class='corridors-meta'>{'<br>'.join(meta)}</div>"
            f"{''.join(self.sections)}"
            f"<h2>Layers</h2><div id='corridors-layers-slot'></div>"
            f"{self.legend.html()}"
            f"<footer id='corridors-sources'><b>Sources</b>: {' · '.join(src)}</footer>"
            f"</details></aside>"
        )
        self.map.get_root().html.add_child(Element(panel), name="corridors_panel")
        folium.LayerControl(collapsed=False).add_to(self.map)
        if self.bounds:
            lats = [p[0] for p in self.bounds]
            lons = [p[1] for p in self.bounds]
            box = [[min(lats), min(lons)], [max(lats), max(lons)]]
        else:
            box = [[29.0, 60.0], [38.5, 75.0]]

        class Finish(MacroElement):
            _template = Template(
                """{% macro script(this, kwargs) %}
(function (map) {
  var slot = document.getElementById("corridors-layers-slot");
  var ctl = document.querySelector(".leaflet-control-layers");
  if (slot && ctl) { slot.appendChild(ctl); }
  var d = document.getElementById("corridors-summary");
  if (d && window.matchMedia("(max-width: {{ this.narrow }}px)").matches) { d.open = false; }
  var bounds = {{ this.box|tojson }};
  function fit() { map.invalidateSize(); map.fitBounds(bounds, {padding: [24, 24]}); }
  if (d) { d.addEventListener("toggle", function () { map.invalidateSize(); }); }
  fit();
  window.corridorsBounds = bounds;
})({{ this._parent.get_name() }});
{% endmacro %}"""
            )

            def __init__(self, box: list[list[float]]) -> None:
                super().__init__()
                self._name = "CorridorsFinish"
                self.box = box
                self.narrow = NARROW_PX

        self.map.add_child(Finish(box))
        return self.map


def _popup(rows: Iterable[tuple[str, Any]], title: str) -> folium.Popup:
    return _popup_sections([(title, list(rows))])


def _popup_sections(sections: Sequence[tuple[str, Sequence[tuple[str, Any]]]]) -> folium.Popup:

    parts = []
    for title, rows in sections:
        cells = "".join(
            f"<tr><th>{esc(k)}</th><td>{v if isinstance(v, Html) else esc(v)}</td></tr>"
            for k, v in rows
            if v not in (None, "")
        )
        parts.append(f"<b>{esc(title)}</b><table>{cells}</table>")
    return folium.Popup(
        f"<div class='corridors-popup'>{'<hr>'.join(parts)}</div>",
        max_width=POPUP_WIDTH, maxHeight=POPUP_HEIGHT, autoPanPadding=[24, 24], keepInView=True,
    )  # fmt: skip


def _tooltip(text: str) -> folium.Tooltip:

    return folium.Tooltip(esc(text), sticky=True)


def _fmt(x: float | None, unit: str = "", digits: int = 1) -> str:
    return "" if x is None else f"{x:,.{digits}f}{unit}"


def _in_pane(obj: Any, pane: str) -> Any:
    obj.options["pane"] = pane
    return obj


def _id_class(*ids: str) -> str:
    return " ".join("corridors-id-" + re.sub(r"[^A-Za-z0-9_-]+", "_", i) for i in ids)


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    def cell(tag: str, i: int, v: Any) -> str:
        cls = " class='n'" if i in numeric else ""
        return f"<{tag}{cls}>{v if isinstance(v, Html) else esc(v)}</{tag}>"

    th = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _closure_colour(p: float) -> tuple[str, str, str]:
    for i, (low, colour, label) in enumerate(CLOSURE_CLASSES):
        if p >= low:
            return f"p{i}", colour, label
    return "p3", CLOSURE_CLASSES[-1][1], CLOSURE_CLASSES[-1][2]


# -- shared drawing --------------------------------------------------------------------------
def _leg_colour(leg: Leg) -> str:
    if leg.kind in ("crossing", "transfer"):
        return LAYER_COLOURS[leg.kind]
    return LAYER_COLOURS.get(leg.layer, "#555555")


def _layer_label(layer: str) -> str:
    gauge = gauge_of(layer)
    return f"rail {gauge} mm" if gauge else layer


def _leg_rows(leg: Leg, cum: tuple[float, float, float] | None = None) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("kind", leg.kind), ("mode", leg.mode), ("layer", leg.layer), ("road class", leg.road_class),
        ("gauge", f"{leg.gauge_mm} mm" if leg.gauge_mm else ""), ("distance", _fmt(leg.distance_km, " km")),
        ("time", _fmt(leg.time_h, " h")), ("cost", _fmt(leg.cost_usd, " USD", 0)),
        ("cost per tonne", _fmt(leg.cost_usd_per_t, " USD/t", 2)), ("edge", leg.edge_id),
    ]  # fmt: skip
    if leg.crossing_id:
        rows += [("crossing", f"{leg.crossing_id} {leg.crossing_name}"), ("fees", _fmt(leg.fee_usd, " USD", 0)),
                 ("P(closed)", _fmt(leg.closure_prob, "", 4))]  # fmt: skip
    if leg.transfer_kind:
        rows.append(("transshipment", leg.transfer_kind))
    if cum:
        rows.append(("so far", f"{cum[0]:,.0f} km, {cum[1]:,.1f} h, {cum[2]:,.0f} USD"))
    return rows


def _midpoint(coords: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """``(lat, lon)`` halfway between the first and last ``(lon, lat)`` points."""
    (x0, y0), (x1, y1) = coords[0], coords[-1]
    return ((y0 + y1) / 2, (x0 + x1) / 2)


def _draw_route(
    page: Page,
    group: Any,
    route: Route,
    rank: int,
    colour: str | None = None,
    label: str = "",
    *,
    dashed: bool | None = None,
    weight: float | None = None,
    skip_stops: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Draw a route: legs as lines, crossings and transfers as points on top.

    ``colour=None`` colours legs by mode (the best route); otherwise every leg is drawn in
    ``colour`` (dashed, thinner and under the best route for alternatives) and stops as rings
    of that colour. Stops whose edge id is in ``skip_stops`` (already marked by a better
    route) are not drawn again, so no marker hides under another.
    """
    lg = page.legend
    alt = colour is not None and rank > 0 if dashed is None else dashed
    d = t = c = 0.0
    for i, leg in enumerate(route.leg_list, 1):
        d, t, c = d + leg.distance_km, t + leg.time_h, c + leg.cost_usd
        pts = [(lat, lon) for lon, lat in leg.coords]
        page.bounds.extend(pts)
        title = f"{label}leg {i}: {leg.from_name} -> {leg.to_name}"
        rows = _leg_rows(leg, (d, t, c))
        if leg.crossing_id and leg.crossing_id in page.notes:
            rows.append(("scenario", page.notes[leg.crossing_id]))
        popup = _popup(rows, title)
        if leg.kind in ("crossing", "transfer") and leg.edge_id not in skip_stops:
            where = _midpoint(leg.coords) if leg.kind == "crossing" else pts[0]
            if colour is None:
                name = (
                    "border crossing" if leg.kind == "crossing" else "transshipment (mode change, break of gauge, port)"
                )
                cls = lg.use(f"route-{leg.kind}", LAYER_COLOURS[leg.kind], "point", name,
                             radius=7 if leg.kind == "crossing" else 6, section="Route")  # fmt: skip
                marker = folium.CircleMarker(where, radius=7 if leg.kind == "crossing" else 6, color="#222222", weight=2,
                                             fill=True, fill_color=LAYER_COLOURS[leg.kind], fill_opacity=1.0)  # fmt: skip
            else:
                cls = lg.use(f"stops-{rank}", colour, "ring", f"{label.strip(': ')} crossings and transshipments",
                             radius=5, section="Route")  # fmt: skip
                marker = folium.CircleMarker(where, radius=5, color=colour, weight=3, fill=True, fill_color="#ffffff",
                                             fill_opacity=1.0)  # fmt: skip
            marker.options["className"] = (
                f"{cls} corridors-{leg.kind} corridors-stop {_id_class(leg.crossing_id or leg.from_id)}"
            )
            marker.add_child(popup)
            marker.add_child(_tooltip(title))
            _in_pane(marker, "corridors-points").add_to(group)
            if leg.crossing_id:
                page.stops.add(leg.crossing_id)
            popup = _popup(rows, title)
        if leg.kind == "transfer" or len(set(pts)) < 2:
            continue
        if colour is None:
            key = "route-crossing-leg" if leg.kind == "crossing" else f"route-{leg.layer}"
            name = "border crossing (between the two posts)" if leg.kind == "crossing" else _layer_label(leg.layer)
            cls = lg.use(key, _leg_colour(leg), "line", name, width=5, section="Route")
            line = folium.PolyLine(pts, color=_leg_colour(leg), weight=6, opacity=0.9)
        else:
            dash = ALTERNATIVE_DASH if alt else None
            w = weight or (3 if alt else 5)
            cls = lg.use(f"line-{rank}", colour, "line", label.strip(": "), dash=dash, width=min(w, 6), section="Route")
            line = folium.PolyLine(pts, color=colour, weight=w, opacity=0.9, dash_array=dash)
        line.options["className"] = f"{cls} corridors-leg corridors-{leg.kind}"
        line.add_child(popup)
        line.add_child(_tooltip(title))
        _in_pane(line, "corridors-alt" if alt else "corridors-lines").add_to(group)


def _endpoints(page: Page, route: Route) -> None:

    for role, info, colour in (("start", route.origin, START_COLOUR), ("end", route.destination, END_COLOUR)):
        cls = page.legend.use(role, colour, "ring", f"{role}: {info['name']}", radius=11, section="Route")
        marker = folium.CircleMarker(
            (info["lat"], info["lon"]), radius=12, color=colour, weight=4, fill=False,
            tooltip=_tooltip(f"{role}: {info['name']}"),
            popup=_popup([("place", info["id"]), ("country", info["country"]),
                          ("position", f"{info['lat']:.4f}, {info['lon']:.4f}")], f"{role}: {info['name']}"),
        )  # fmt: skip
        marker.options["className"] = f"{cls} corridors-{role}"
        _in_pane(marker, "corridors-ends").add_to(page.map)
        page.bounds.append((info["lat"], info["lon"]))


def _route_line(r: Route) -> str:
    return f"{' > '.join(r.crossings) or 'no crossing'}"


def _totals_table(r: Route) -> str:
    t = r.totals
    rows = [
        ("distance", f"{t['distance_km']:,.0f} km"),
        ("time", f"{t['time_h']:,.1f} h ({t['time_days']:,.1f} days)"),
        ("cost", f"{t['cost_usd']:,.0f} USD ({t['cost_usd_per_t']:,.2f} USD/t)"),
        ("generalized cost", f"{t['generalized_cost']:,.2f} USD/t"),
        ("P(every crossing open)", f"{t['p_open']:.4f}"),
        ("crossings", _route_line(r)),
    ]
    return _table(("", ""), rows)


def _short(name: str) -> str:
    """A place name without its parenthesis (``Ayritom (Termez-Hairatan border post)`` -> ``Ayritom``)."""
    return name.split(" (")[0] or name


def _itinerary(r: Route) -> str:
    d = t = c = 0.0
    rows = []
    for i, leg in enumerate(r.leg_list, 1):
        d, t, c = d + leg.distance_km, t + leg.time_h, c + leg.cost_usd
        how = (leg.crossing_id and f"border {leg.crossing_id}") or leg.transfer_kind or _layer_label(leg.layer)
        rows.append((i, f"{_short(leg.from_name)} → {_short(leg.to_name)}", how, f"{d:,.0f}", f"{t:,.1f}", f"{c:,.0f}"))
    return _table(("#", "leg", "by", "km", "h", "USD"), rows, numeric=(0, 3, 4, 5))


def _route_header(r: Route) -> str:
    o, d = r.origin, r.destination
    return (f"<div class='corridors-meta'>{esc(o['name'])} ({esc(o['country'])}) → {esc(d['name'])} ({esc(d['country'])}); "
            f"cargo {esc(r.cargo)}, {r.tonnes:g} t; objective {esc(r.objective)}</div>")  # fmt: skip


# -- maps ------------------------------------------------------------------------------------
def route_map(
    route: Route, *, tiles: str = "osm", chart: bool = True, scenarios: Sequence[Scenario] = ()
) -> folium.Map:
    """Map of a route and its alternatives.

    Parameters
    ----------
    route
        The best route; ``route.alternatives`` are drawn as toggleable layers, dashed in their
        own colours and under the best route.
    tiles
        ``osm`` (an optional online tile layer over the offline basemap) or ``none``.
    chart
        Put the time/cost-distance chart in the side panel.
    scenarios
        Scenarios applied to the network (named on the map).

    Returns
    -------
    folium.Map

    """
    routes = route.alternatives if len(route.alternatives) > 1 else [route]
    page = Page(f"{route.origin['name']} → {route.destination['name']}", "route", tiles, scenarios)
    for i, r in enumerate(reversed(routes)):
        rank = len(routes) - 1 - i
        colour = None if rank == 0 else ALTERNATIVE_COLOURS[rank % len(ALTERNATIVE_COLOURS)]
        name = f"#{rank + 1} {_route_line(r)}: {r.totals['cost_usd_per_t']:,.2f} USD/t, {r.totals['time_h']:,.0f} h"
        better = {leg.edge_id for b in routes[:rank] for leg in b.leg_list if leg.kind in ("crossing", "transfer")}
        _draw_route(page, page.group(name), r, rank, colour, label=f"#{rank + 1}: " if rank else "", skip_stops=better)
    _endpoints(page, route)
    page.sections.insert(0, _route_header(route))
    page.section("Totals (#1)", _totals_table(route))
    if len(routes) > 1:
        best = routes[0].totals
        rows = []
        for i, r in enumerate(routes):
            t = r.totals
            delta = "" if i == 0 else f"{t['cost_usd_per_t'] - best['cost_usd_per_t']:+,.2f}"
            rows.append((f"#{i + 1}", _route_line(r), f"{t['distance_km']:,.0f}", f"{t['time_h']:,.0f}",
                         f"{t['cost_usd_per_t']:,.2f}", delta))  # fmt: skip
        page.section(
            "Alternatives", _table(("", "crossings", "km", "h", "USD/t", "Δ USD/t"), rows, numeric=(2, 3, 4, 5))
        )
    page.section("Itinerary (#1, cumulative)", _itinerary(route))
    if chart:
        page.sections.append(f"<h2>Time/cost-distance chart</h2><div id='corridors-chart'>{tcd_svg(routes)}</div>")
    return page.finish(_data_sources(route_sources=True))


def _data_sources(route_sources: bool = False) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = [
        ("network: corridors geodata, each record's sources in its popup (geodata/SOURCES.md)", None)
    ]
    if route_sources:
        out.append(("costs: geodata/costs.toml (each figure with its source)", None))
    return out


def _edge_coords(e: Edge, data: GeoData) -> list[tuple[float, float]]:
    a, b = data.places[e.from_id], data.places[e.to_id]
    return [(a.lat, a.lon), *((w.lat, w.lon) for w in e.via), (b.lat, b.lon)]


def _crossing_rows(c: Crossing, data: GeoData) -> list[tuple[str, Any]]:
    group = data.groups.get(c.closure_group)
    a, b = data.places[c.af_place], data.places[c.partner_place]
    return [
        ("between", f"{a.name} ({a.country}) - {b.name} ({b.country})"),
        ("modes", ", ".join(c.modes) + (f" ({c.rail_gauge_mm} mm)" if c.rail_gauge_mm else "")),
        ("status", c.status), ("project", c.project), ("road crossing time", _fmt(c.road_time_h, " h")),
        ("rail crossing time", _fmt(c.rail_time_h, " h")),
        ("fees per truck", _fmt(c.road_fee_usd_per_truck, " USD", 0)), ("fees per wagon", _fmt(c.rail_fee_usd_per_wagon, " USD", 0)),
        ("trucks/day", _fmt(c.capacity_trucks_per_day, "", 0)), ("P(closed)", _fmt(c.closure_prob, "", 4)),
        ("mean closure", _fmt(c.closure_mean_days, " days")),
        ("closure group", f"{group.name} (P {group.closure_prob:.4f})" if group else ""),
        ("forced transloading", "yes" if c.transload else "no"), ("quality", c.provenance.quality),
        ("sources", sources_html(c.provenance.source)), ("note", c.provenance.note),
    ]  # fmt: skip


def _crossing_point(c: Crossing, data: GeoData) -> tuple[float, float]:
    a, b = data.places[c.af_place], data.places[c.partner_place]
    return ((a.lat + b.lat) / 2, (a.lon + b.lon) / 2)


@dataclass
class Closure:
    """One thing a scenario closed, located for drawing."""

    kind: str  # crossing, crossing-mode, edge, place
    id: str
    name: str
    mode: str = ""
    scenario: str = ""


def closures(data: GeoData, scenarios: Sequence[Scenario] = (), closed: Iterable[str] = ()) -> list[Closure]:
    """What the scenarios (and extra ``closed`` ids) close, as crossings, crossing modes, edges, places.

    Parameters
    ----------
    data
        Geodata (baseline or scenario: only ids and names are read).
    scenarios
        Applied scenarios.
    closed
        More ids: a crossing, ``ID:mode``, an edge or a place.

    Returns
    -------
    list of Closure
        Each thing once, in the order given.

    """
    items = [(i, s.name) for s in scenarios for i in (*s.close_crossings, *s.close_edges, *s.close_places)]
    items += [(i, "") for i in closed]
    out: list[Closure] = []
    seen: set[tuple[str, str]] = set()
    for item, scen in items:
        cid, _, mode = item.partition(":")
        if cid.upper() in data.crossings:
            c = data.crossings[cid.upper()]
            found = Closure("crossing-mode" if mode else "crossing", c.id, c.name, mode, scen)
        elif item in data.edges:
            e = data.edges[item]
            found = Closure("edge", e.id, f"{data.places[e.from_id].name} - {data.places[e.to_id].name}", "", scen)
        elif item.upper() in data.places:
            found = Closure("place", item.upper(), data.places[item.upper()].name, "", scen)
        else:
            continue
        if (found.id, found.mode) not in seen:
            seen.add((found.id, found.mode))
            out.append(found)
    return out


def _closure_note(cl: Closure) -> str:
    who = cl.scenario or "the scenario"
    if cl.kind == "crossing-mode":
        return f"{cl.mode} closed by {who}; {', '.join(m for m in ('road', 'rail') if m != cl.mode)} stays open"
    return f"closed by {who}"


def _closure_marks(page: Page, group: Any, items: Sequence[Closure], data: GeoData) -> None:
    """Mark closures: a cross centred on a closed crossing or place, a dashed line on an edge.

    A cross over a crossing that already has a marker (a route stop, a network crossing)
    lets clicks through to that marker, whose popup says what the scenario closed.
    """
    spots: dict[tuple[float, float], list[tuple[Closure, tuple[float, float], str, str]]] = {}
    for cl in items:
        who = f" by {cl.scenario}" if cl.scenario else " by the scenario"
        if cl.kind == "edge":
            cls = page.legend.use("closed-edge", CLOSED_COLOUR, "line", f"edge closed{who}", dash=CLOSED_DASH, width=4,
                                  section="Closures")  # fmt: skip
            line = folium.PolyLine(_edge_coords(data.edges[cl.id], data), color=CLOSED_COLOUR, weight=4,
                                   dash_array=CLOSED_DASH, tooltip=_tooltip(f"closed: {cl.id}"),
                                   popup=_popup([("edge", cl.id), ("between", cl.name), ("closed", who.strip())], f"closed: {cl.id}"))  # fmt: skip
            line.options["className"] = f"{cls} corridors-closed"
            _in_pane(line, "corridors-lines").add_to(group)
            continue
        if cl.kind == "place":
            p = data.places[cl.id]
            where = (p.lat, p.lon)
            what = f"every link at {cl.name} closed"
        else:
            where = _crossing_point(data.crossings[cl.id], data)
            what = (f"{cl.mode} closed; {', '.join(m for m in ('road', 'rail') if m != cl.mode)} stays open"
                    if cl.mode else "closed to every mode")  # fmt: skip
        spots.setdefault((round(where[0], 2), round(where[1], 2)), []).append((cl, where, what, who))
    for found in spots.values():
        cl, where = found[0][0], found[0][1]
        colour = CLOSED_COLOUR if cl.kind != "crossing-mode" else "#6a3d9a"
        key = "closed-mode" if cl.kind == "crossing-mode" else f"closed-{cl.kind}"
        label = {"crossing": f"crossing closed{found[0][3]}", "place": f"place closed{found[0][3]}",
                 "crossing-mode": f"one mode of a crossing closed{found[0][3]} (mode named under the cross)"}[cl.kind]  # fmt: skip
        cls = page.legend.use(key, colour, "cross", label, section="Closures")
        small = f"<small>{esc(cl.mode)}</small>" if cl.mode else ""
        ids = [f[0].id for f in found]
        # a cross over a route stop lets clicks through to the stop even when it also covers a
        # crossing that is not a stop at the same point (Torkham road and its planned railway)
        covered = any(f[0].kind != "place" and f[0].id in page.stops for f in found)
        icon = folium.DivIcon(
            html=f"<span style='color:{colour}'>&#10006;</span>{small}", icon_size=(24, 24), icon_anchor=(12, 12),
            class_name=f"corridors-closed-mark corridors-closed {cls} {_id_class(*ids)}"
                       + (" corridors-passthrough" if covered else ""),
        )  # fmt: skip
        if covered:
            marker = folium.Marker(where, icon=icon, interactive=False, keyboard=False)
        else:
            names = " + ".join(f"{f[0].id} {f[0].name}" for f in found)
            marker = folium.Marker(where, icon=icon, tooltip=_tooltip(f"closed: {names}"), popup=_popup_sections(
                [(f"{f[0].id} {f[0].name}", [("closed", f[2]), ("by", f[0].scenario or "the scenario")]) for f in found]))  # fmt: skip
        _in_pane(marker, "corridors-marks").add_to(group)


def network_map(
    network: Network, *, tiles: str = "osm", closed: Iterable[str] = (), scenarios: Sequence[Scenario] = ()
) -> folium.Map:
    """Map of the whole network.

    Roads by class, railways by gauge, planned projects dashed in their gauge colour with a
    label naming the project, projects a scenario opened drawn solid and thick, map-only layers
    (pipelines, power lines), crossings coloured by closure probability (crossings at one
    place share one marker whose popup lists every record), terminals, and what the scenario
    closed marked apart from what the data already marks closed.

    Parameters
    ----------
    network
        The network (its geodata, with any scenario applied).
    tiles
        ``osm`` or ``none``.
    closed
        More ids of crossings (``ID`` or ``ID:mode``), edges or places closed by a scenario.
    scenarios
        The scenarios applied (their closures are marked, their names shown).

    Returns
    -------
    folium.Map

    """
    data = network.data
    page = Page("Corridor network", "network", tiles, scenarios)
    lg = page.legend
    marks = closures(data, scenarios, closed)
    closed_edges = {c.id for c in marks if c.kind == "edge"}
    closed_places = {c.id for c in marks if c.kind == "place"}
    closed_crossings = {c.id for c in marks if c.kind == "crossing"}
    opened = set(network.open_projects)
    groups = {
        "open": page.group("roads and railways"),
        "planned": page.group("planned projects"),
        "closed": page.group("closed links"),
    }
    widths = {"motorway": 4, "primary": 3, "secondary": 2, "mountain": 3}
    project_edges: dict[str, list[Edge]] = {}
    for e in data.edges.values():
        colour = LAYER_COLOURS["road"] if e.mode == "road" else LAYER_COLOURS.get(e.layer, "#555555")
        what = _layer_label(e.layer if e.mode == "rail" else "road")
        planned = e.status in ("planned", "under_construction")
        by_scenario = e.status == "closed" and (e.id in closed_edges or {e.from_id, e.to_id} & closed_places)
        weight = widths.get(e.road_class or "", 3)
        dash = None
        if by_scenario:
            continue  # drawn with the closure marks
        if e.status == "closed":
            target, colour, dash = "closed", "#8c8c8c", DOTTED_DASH
            cls = lg.use(
                "closed-data", colour, "line", "link closed (in the data)", dash=dash, width=3, section="Network"
            )
        elif planned and e.project in opened:
            target, weight = "open", 6
            cls = lg.use(f"opened-{e.layer}", colour, "line", f"{what} opened by the scenario ({e.project})", width=6,
                         section="Network")  # fmt: skip
        elif planned:
            target, dash = "planned", PLANNED_DASH
            cls = lg.use(f"planned-{e.layer}", colour, "line", f"{what}, planned / under construction", dash=dash,
                         width=3, section="Network")  # fmt: skip
            project_edges.setdefault(e.project or "(no project)", []).append(e)
        else:
            target = "open"
            cls = lg.use(f"open-{e.layer}", colour, "line", what, width=3, section="Network")
        title = f"{e.id}: {data.places[e.from_id].name} - {data.places[e.to_id].name}"
        rows = [("mode", e.mode), ("gauge", f"{e.gauge_mm} mm" if e.gauge_mm else ""), ("road class", e.road_class or ""),
                ("distance", _fmt(e.distance_km, " km")), ("status", e.status), ("project", e.project),
                ("quality", e.provenance.quality), ("sources", sources_html(e.provenance.source)), ("note", e.provenance.note)]  # fmt: skip
        coords = _edge_coords(e, data)
        page.bounds.extend(coords)
        line = folium.PolyLine(coords, color=colour, weight=weight, opacity=0.85, dash_array=dash,
                               popup=_popup(rows, title), tooltip=_tooltip(f"{title}{' (' + e.project + ')' if e.project else ''}"))  # fmt: skip
        line.options["className"] = f"{cls} corridors-edge corridors-{e.mode}"
        _in_pane(line, "corridors-lines").add_to(groups[target])
    for project, edges in sorted(project_edges.items()):
        e = max(edges, key=lambda x: x.distance_km)
        coords = _edge_coords(e, data)
        lat, lon = (
            coords[len(coords) // 2]
            if len(coords) > 2
            else ((coords[0][0] + coords[-1][0]) / 2, (coords[0][1] + coords[-1][1]) / 2)
        )
        cls = lg.use("project-label", "#333333", "label", "planned project name", section="Network")
        folium.Marker(
            (lat, lon), icon=folium.DivIcon(html=f"<span>{esc(project)} (planned)</span>", icon_size=(140, 18),
                                            icon_anchor=(70, 9), class_name=f"corridors-project-label {cls}"),
            interactive=False,
        ).add_to(groups["planned"])  # fmt: skip

    # crossings: one marker per place, listing every record there
    at: dict[tuple[float, float], list[Crossing]] = {}
    for c in data.crossings.values():
        lat, lon = _crossing_point(c, data)
        at.setdefault((round(lat, 2), round(lon, 2)), []).append(c)
    crossings = page.group("border crossings")
    for cl in marks:
        if cl.kind in ("crossing", "crossing-mode"):
            page.notes[cl.id] = _closure_note(cl)
    for recs in at.values():
        recs.sort(key=lambda c: (c.status != "open", c.id))
        main = recs[0]
        where = _crossing_point(main, data)
        page.bounds.append(where)
        if main.status == "open":
            key, fill, label = _closure_colour(main.closure_prob)
            cls = lg.use(f"crossing-{key}", fill, "point", f"crossing, {label}", radius=8, section="Crossings")
            stroke, dash = "#333333", None
        elif main.id in closed_crossings:
            fill, stroke, dash = "#ffffff", CLOSED_COLOUR, None
            cls = lg.use("crossing-scenario-closed", fill, "point", "crossing closed by the scenario (white, crossed)",
                         radius=8, section="Crossings")  # fmt: skip
        elif main.status == "closed":
            fill, stroke, dash = "#8c8c8c", "#333333", None
            cls = lg.use(
                "crossing-closed-data", fill, "point", "crossing closed (in the data)", radius=8, section="Crossings"
            )
        else:
            fill, stroke, dash = "#ffffff", "#333333", "3 3"
            cls = lg.use("crossing-planned", fill, "point", "crossing planned (white)", radius=8, section="Crossings")
        names = " + ".join(f"{c.id} {c.name}" for c in recs)
        marker = folium.CircleMarker(where, radius=8, color=stroke, weight=2, fill=True, fill_color=fill,
                                     fill_opacity=0.95, dash_array=dash,
                                     popup=_popup_sections([(f"{c.id} {c.name}", [*(_scenario_row(page, c.id)), *_crossing_rows(c, data)])
                                                            for c in recs]),
                                     tooltip=_tooltip(names + (f" ({len(recs)} records)" if len(recs) > 1 else "")))  # fmt: skip
        marker.options["className"] = f"{cls} corridors-crossing {_id_class(*(c.id for c in recs))}"
        _in_pane(marker, "corridors-points").add_to(crossings)
        page.stops.update(c.id for c in recs)

    terminals = page.group("terminals")
    by_place: dict[str, list[str]] = {}
    for t in data.terminals:
        by_place.setdefault(t.place, []).append(
            f"{t.from_layer}<->{t.to_layer} {t.kind}: {t.cost_usd_per_t:g} USD/t, {t.time_h:g} h"
        )
    for pid, lines in by_place.items():
        p = data.places[pid]
        cls = lg.use(
            "terminal", LAYER_COLOURS["transfer"], "point", "terminal (transshipment)", radius=4, section="Network"
        )
        marker = folium.CircleMarker(
            (p.lat, p.lon), radius=4, color="#ffffff", weight=1, fill=True, fill_color=LAYER_COLOURS["transfer"], fill_opacity=1,
            popup=_popup([(str(i + 1), line) for i, line in enumerate(lines)], f"terminal {p.name}"),
            tooltip=_tooltip(f"terminal {p.name}"),
        )  # fmt: skip
        marker.options["className"] = f"{cls} corridors-terminal"
        _in_pane(marker, "corridors-terminals").add_to(terminals)

    if data.map_layers:
        extra = page.group("pipelines and power lines (no freight)")
        for layer in data.map_layers.values():
            colour = MAP_LAYER_COLOURS.get(layer.kind, "#777777")
            kind = layer.kind.replace("_", " ")
            if layer.status == "open":
                cls = lg.use(
                    f"maplayer-{layer.kind}", colour, "line", f"{kind} (no freight)", width=3, section="Other lines"
                )
                dash = None
            else:
                dash = DOTTED_DASH
                cls = lg.use(f"maplayer-{layer.kind}-planned", colour, "line", f"{kind}, planned / under construction",
                             dash=dash, width=3, section="Other lines")  # fmt: skip
            line = folium.PolyLine(
                [(w.lat, w.lon) for w in layer.via], color=colour, weight=3, dash_array=dash,
                popup=_popup([("kind", layer.kind), ("status", layer.status), ("project", layer.project),
                              ("sources", sources_html(layer.provenance.source))], layer.name),
                tooltip=_tooltip(f"{layer.name} ({layer.kind}, {layer.status})"),
            )  # fmt: skip
            line.options["className"] = f"{cls} corridors-maplayer"
            _in_pane(line, "corridors-lines").add_to(extra)

    if marks:
        _closure_marks(page, page.group("closed by the scenario"), marks, data)
    counts = [
        ("places", len(data.places)),
        ("edges", len(data.edges)),
        ("crossings", len(data.crossings)),
        ("crossing markers (records at one place share one)", len(at)),
        ("terminals", len(by_place)),
        ("projects opened", ", ".join(sorted(opened)) or "none"),
        ("closed by the scenario", ", ".join(f"{c.id}{':' + c.mode if c.mode else ''}" for c in marks) or "nothing"),
    ]
    page.section("Summary", _table(("", ""), counts))
    core = [(p.lat, p.lon) for p in data.places.values() if p.country == "AF"]
    core += [_crossing_point(c, data) for c in data.crossings.values() if data.places[c.af_place].country == "AF"]
    page.bounds = core or _core_bounds(page.bounds)
    return page.finish(_data_sources())


def _scenario_row(page: Page, crossing_id: str) -> list[tuple[str, Any]]:
    return [("scenario", page.notes[crossing_id])] if crossing_id in page.notes else []


def _core_bounds(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points inside the basemap region (drops far outliers such as a Chinese seaport)."""
    w, s, e, n = load_basemap().get("region", [44, 20, 90, 50])
    inside = [p for p in points if s <= p[0] <= n and w <= p[1] <= e]
    return inside or list(points)


def whatif_map(
    base: Route,
    scenario: Route | None,
    closed: Iterable[str],
    network: Network,
    *,
    tiles: str = "osm",
    scenarios: Sequence[Scenario] = (),
    reason: str | None = None,
) -> folium.Map:
    """Baseline and scenario routes together, the deltas, and what the scenario closed.

    Parameters
    ----------
    base
        The baseline route.
    scenario
        The route under the scenario, or None when there is none.
    closed
        Ids closed (crossings, ``ID:mode``, edges, places), besides the scenarios' own.
    network
        The scenario network.
    tiles
        ``osm`` or ``none``.
    scenarios
        The scenarios applied (names, descriptions, sources and closures).
    reason
        Why there is no scenario route.

    Returns
    -------
    folium.Map

    """
    data = network.data
    page = Page(f"What if: {base.origin['name']} → {base.destination['name']}", "what-if", tiles, scenarios)
    same = scenario is not None and [leg.edge_id for leg in base.leg_list] == [leg.edge_id for leg in scenario.leg_list]
    marks = closures(data, scenarios, closed)
    for cl in marks:
        if cl.kind in ("crossing", "crossing-mode"):
            page.notes[cl.id] = _closure_note(cl)
    if same:
        _draw_route(page, page.group("baseline = scenario route"), base, 1, BASELINE_COLOUR,
                    label="baseline = scenario route: ", dashed=False, weight=6)  # fmt: skip
    else:
        _draw_route(page, page.group(f"baseline: {_route_line(base)}"), base, 1, BASELINE_COLOUR, label="baseline: ",
                    dashed=False, weight=7)  # fmt: skip
        if scenario is not None:
            shared = {leg.edge_id for leg in base.leg_list if leg.kind in ("crossing", "transfer")}
            _draw_route(page, page.group(f"scenario: {_route_line(scenario)}"), scenario, 2, SCENARIO_COLOUR,
                        label="scenario: ", dashed=False, weight=3, skip_stops=shared)  # fmt: skip
    if marks:
        _closure_marks(page, page.group("closed by the scenario"), marks, data)
    _endpoints(page, base)
    page.sections.insert(0, _route_header(base))
    if scenario is None:
        page.sections.append(
            f"<div class='corridors-note'>No route under the scenario: {esc(reason or 'no path')}</div>"
        )
    elif same:
        page.sections.append(
            "<div class='corridors-note'>Route unchanged: the scenario route uses the same legs.</div>"
        )
    else:
        page.sections.append("<div class='corridors-note'>Route changed: the scenario reroutes the shipment.</div>")
    rows = []
    b = base.totals
    s = scenario.totals if scenario else None
    for key, label, digits in (("distance_km", "distance (km)", 0), ("time_h", "time (h)", 1),
                               ("cost_usd", "cost (USD)", 0), ("cost_usd_per_t", "cost (USD/t)", 2),
                               ("generalized_cost", "generalized (USD/t)", 2), ("p_open", "P(every crossing open)", 4)):  # fmt: skip
        sv = "" if s is None else f"{s[key]:,.{digits}f}"
        delta = "" if s is None else f"{s[key] - b[key]:+,.{digits}f}"
        rows.append((label, f"{b[key]:,.{digits}f}", sv, delta))
    rows.append(("crossings", _route_line(base), _route_line(scenario) if scenario else "", ""))
    page.section("Baseline, scenario and delta", _table(("", "baseline", "scenario", "Δ"), rows, numeric=(1, 2, 3)))
    if marks:
        page.section("Closed", _table(("id", "what", "name"), [
            (f"{c.id}{':' + c.mode if c.mode else ''}", c.kind.replace("-", " "), c.name) for c in marks]))  # fmt: skip
    opened = sorted({p for sc in scenarios for p in sc.open_projects})
    if opened:
        page.section("Projects opened", esc(", ".join(opened)))
    page.section("Scenario itinerary (cumulative)" if scenario else "Baseline itinerary (cumulative)",
                 _itinerary(scenario or base))  # fmt: skip
    return page.finish(_data_sources(route_sources=True))


def _place_latlon(network: Network, label: str) -> tuple[float, float, str] | None:
    try:
        pid, name, _ = network.resolve_endpoint(label)
    except CorridorsError:  # a label that no longer resolves is simply not marked
        return None
    p = network.data.places.get(pid)
    return (p.lat, p.lon, name) if p else None


def _ends_of(page: Page, network: Network, origin: str, destination: str) -> None:

    for role, label, colour in (("start", origin, START_COLOUR), ("end", destination, END_COLOUR)):
        found = _place_latlon(network, label)
        if not found:
            continue
        lat, lon, name = found
        cls = page.legend.use(role, colour, "ring", f"{role}: {name}", radius=11, section="Route")
        marker = folium.CircleMarker((lat, lon), radius=12, color=colour, weight=4, fill=False,
                                     tooltip=_tooltip(f"{role}: {name}"), popup=_popup([("place", name)], role))  # fmt: skip
        marker.options["className"] = f"{cls} corridors-{role}"
        _in_pane(marker, "corridors-ends").add_to(page.map)
        page.bounds.append((lat, lon))


def risk_map(
    result: RiskResult, network: Network, *, tiles: str = "osm", scenarios: Sequence[Scenario] = ()
) -> folium.Map:
    """Edges and crossings the Monte Carlo samples used, sized by how often, with the statistics.

    The view fits what the samples used; crossings no sample used are not drawn.

    Parameters
    ----------
    result
        The Monte Carlo result.
    network
        The network it ran on.
    tiles
        ``osm`` or ``none``.
    scenarios
        The scenarios applied.

    Returns
    -------
    folium.Map

    """
    data = network.data
    page = Page(f"Risk: {result.origin} → {result.destination}", "risk", tiles, scenarios)
    lg = page.legend
    g = page.group("edges used by the samples")
    for link_id, share in sorted(result.link_use.items(), key=lambda kv: kv[1]):
        if link_id not in data.edges or share <= 0:
            continue
        coords = _edge_coords(data.edges[link_id], data)
        page.bounds.extend(coords)
        cls = lg.use("risk-edge", "#d7301f", "line", "edge used in 100% of samples", width=1 + 11 * 1.0, section="Use")
        line = folium.PolyLine(coords, color="#d7301f", weight=1 + 11 * share, opacity=0.8,
                               tooltip=_tooltip(f"{link_id}: used in {share:.1%} of samples"),
                               popup=_popup([("used in", f"{share:.1%} of samples")], link_id))  # fmt: skip
        line.options["className"] = f"{cls} corridors-leg corridors-risk"
        _in_pane(line, "corridors-lines").add_to(g)
    if any(k in data.edges and v > 0 for k, v in result.link_use.items()):
        lg.use("risk-edge", "#d7301f", "width", "… in 50%", width=1 + 11 * 0.5, section="Use")
        lg.use("risk-edge", "#d7301f", "width", "… in 10%", width=1 + 11 * 0.1, section="Use")
    cg = page.group("crossings used by the samples")
    used = [
        (data.crossings[cid], share)
        for cid, share in result.crossing_use.items()
        if cid in data.crossings and share > 0
    ]
    for found in _colocated(used, data):
        c, share = max(found, key=lambda f: f[1])
        key, fill, label = _closure_colour(c.closure_prob)
        cls = lg.use(f"crossing-{key}", fill, "point", f"crossing, {label}", radius=8, section="Crossings (colour)")
        where = _crossing_point(c, data)
        page.bounds.append(where)
        marker = folium.CircleMarker(
            where, radius=_share_radius(share), color="#333333", weight=1, fill=True, fill_color=fill, fill_opacity=0.9,
            popup=_popup_sections([(f"{x.id} {x.name}", [
                ("used in", f"{sh:.1%} of samples"), ("P(closed)", _fmt(x.closure_prob, "", 4)),
                ("mean closure", _fmt(x.closure_mean_days, " days")), ("sources", sources_html(x.provenance.source))])
                for x, sh in found]),
            tooltip=_tooltip(" + ".join(f"{x.id} {x.name}: {sh:.1%}" for x, sh in found)),
        )  # fmt: skip
        marker.options["className"] = (
            f"{cls} corridors-k-risk-crossing corridors-crossing {_id_class(*(x.id for x, _ in found))}"
        )
        _in_pane(marker, "corridors-points").add_to(cg)
    if any(cid in data.crossings and v > 0 for cid, v in result.crossing_use.items()):
        for share in (1.0, 0.5, 0.1):
            lg.use("risk-crossing", "#999999", "size", f"crossing used in {share:.0%} of samples (size)",
                   radius=_share_radius(share), section="Crossings (size)")  # fmt: skip
    _ends_of(page, network, result.origin, result.destination)

    r = result
    stats = []
    for label, st in (("cost USD", r.cost_usd), ("time h", r.time_h), ("generalized USD/t", r.generalized_cost)):
        stats.append((label, *(f"{st.get(k, float('nan')):,.1f}" for k in ("mean", "p50", "p90", "p95"))))
    page.sections.insert(0, f"<div class='corridors-meta'>cargo {esc(r.cargo)}, {r.tonnes:g} t; "
                            f"{r.samples:,} samples, seed {r.seed}, {r.distinct_states:,} distinct closure states; "
                            f"{'wait or detour' if r.wait else 'detour only'}</div>")  # fmt: skip
    page.section("Outcome across samples", _table(("", "mean", "P50", "P90", "P95"), stats, numeric=(1, 2, 3, 4)))
    facts = [
        ("P(no route)", f"{r.p_no_route:.4f}"),
        ("baseline corridor", " > ".join(r.baseline.get("crossings", [])) or "no crossing"),
        ("baseline P(every crossing open)", f"{r.baseline.get('p_open', float('nan')):.4f}"),
        ("committed to the baseline (USD/t)", f"{r.committed_generalized_cost:,.2f}"),
        ("rerouting when closed (USD/t)", f"{r.rerouting_generalized_cost:,.2f}"),
        ("value of flexibility (USD/t)", f"{r.value_of_flexibility:,.2f}"),
    ]
    page.section("Summary", _table(("", ""), facts))
    page.section("Corridors used", _table(("corridor", "share"), [(k, f"{v:.1%}") for k, v in list(r.corridor_use.items())[:8]],
                                         numeric=(1,)))  # fmt: skip
    return page.finish(_data_sources())


def _colocated(items: Sequence[tuple[Crossing, Any]], data: GeoData) -> list[list[tuple[Crossing, Any]]]:
    """Crossing records grouped by place (a road crossing and its railway share one marker)."""
    at: dict[tuple[float, float], list[tuple[Crossing, Any]]] = {}
    for c, extra in items:
        lat, lon = _crossing_point(c, data)
        at.setdefault((round(lat, 2), round(lon, 2)), []).append((c, extra))
    return list(at.values())


def _share_radius(share: float) -> float:
    return round(4 + 10 * math.sqrt(max(share, 0.0)), 2)


def criticality_map(
    rows: Sequence[CriticalityRow], network: Network, *, tiles: str = "osm", scenarios: Sequence[Scenario] = ()
) -> folium.Map:
    """Crossings and edges sized and coloured by the damage of closing each one alone.

    Parameters
    ----------
    rows
        Criticality rows (crossings, and edges with ``--edges``).
    network
        The network they were computed on.
    tiles
        ``osm`` or ``none``.
    scenarios
        The scenarios applied.

    Returns
    -------
    folium.Map

    """
    data = network.data
    page = Page("Criticality of crossings and edges", "criticality", tiles, scenarios)
    lg = page.legend
    known = [
        r
        for r in rows
        if (r.kind == "crossing" and r.closed in data.crossings) or (r.kind == "edge" and r.closed in data.edges)
    ]
    top = max((r.extra_cost_usd for r in known), default=0.0) or 1.0

    def klass(r: CriticalityRow) -> tuple[str, str, str]:
        share = r.extra_cost_usd / top
        if r.flows_lost:
            return "lost", "#000000", "closing it cuts flows off"
        if share > 0.5:
            return "large", "#b2182b", "large extra cost (over half the top one)"
        if share > 0.1:
            return "some", "#ef8a62", "some extra cost (10-50% of the top one)"
        if r.extra_cost_usd > 0:
            return "little", "#67a9cf", "little extra cost (under 10%)"
        return "none", "#bdbdbd", "no effect on these flows"

    def rows_of(r: CriticalityRow) -> list[tuple[str, Any]]:
        out = [("extra cost", _fmt(r.extra_cost_usd, " USD/yr", 0)), ("flows rerouted", r.flows_rerouted),
               ("flows lost", r.flows_lost), ("tonnes lost", _fmt(r.tonnes_lost, " t/yr", 0))]  # fmt: skip
        rise = getattr(r, "max_wait_increase_h", None)  # criticality --assign: the queue it causes elsewhere
        if rise is not None:
            out.append(("largest wait rise", f"{_fmt(rise, ' h', 1)} at {r.max_wait_crossing or '-'}"))
        return out

    edges = [r for r in known if r.kind == "edge"]
    if edges:
        ge = page.group("edges by criticality")
        for r in sorted(edges, key=lambda r: r.extra_cost_usd):
            key, colour, label = klass(r)
            share = r.extra_cost_usd / top
            cls = lg.use(f"edge-{key}", colour, "line", f"edge: {label}", width=4, section="Edges (colour)")
            coords = _edge_coords(data.edges[r.closed], data)
            if key != "none":
                page.bounds.extend(coords)
            line = folium.PolyLine(coords, color=colour, weight=2 + 8 * share, opacity=0.85,
                                   popup=_popup(rows_of(r), f"{r.closed}: {r.name}"), tooltip=_tooltip(f"{r.closed}: {r.name}"))  # fmt: skip
            line.options["className"] = f"{cls} corridors-k-crit-edge corridors-edge"
            _in_pane(line, "corridors-lines").add_to(ge)
        for share in (1.0, 0.5):
            lg.use("crit-edge", "#999999", "width", f"edge width: extra cost {share:.0%} of the top one", width=2 + 8 * share,
                   section="Edges (width)")  # fmt: skip
    gc = page.group("crossings by criticality")
    drawn = 0
    ranked_crossings = sorted((r for r in known if r.kind == "crossing"), key=lambda r: r.extra_cost_usd)
    groups = _colocated([(data.crossings[r.closed], r) for r in ranked_crossings], data)
    for found in sorted(groups, key=lambda f: max(r.extra_cost_usd for _, r in f)):
        c, r = max(found, key=lambda f: (f[1].flows_lost, f[1].extra_cost_usd))
        key, colour, label = klass(r)
        share = r.extra_cost_usd / top
        cls = lg.use(f"crossing-{key}", colour, "point", f"crossing: {label}", radius=7, section="Crossings (colour)")
        where = _crossing_point(c, data)
        if key != "none":
            page.bounds.append(where)
        marker = folium.CircleMarker(where, radius=_share_radius(share) + (3 if r.flows_lost else 0), color="#333333", weight=1,
                                     fill=True, fill_color=colour, fill_opacity=0.85,
                                     popup=_popup_sections([(f"{x.id} {x.name}", rows_of(xr)) for x, xr in found]),
                                     tooltip=_tooltip(" + ".join(f"{x.id} {x.name}" for x, _ in found)))  # fmt: skip
        marker.options["className"] = (
            f"{cls} corridors-k-crit-crossing corridors-crossing {_id_class(*(x.id for x, _ in found))}"
        )
        _in_pane(marker, "corridors-points").add_to(gc)
        drawn += 1
    if drawn:
        for share in (1.0, 0.25, 0.0):
            lg.use("crit-crossing", "#999999", "size", f"crossing size: extra cost {share:.0%} of the top one",
                   radius=_share_radius(share), section="Crossings (size)")  # fmt: skip
    if not page.bounds:
        page.bounds = [_crossing_point(data.crossings[r.closed], data) for r in known if r.kind == "crossing"]
    ranked = sorted(known, key=lambda r: (-r.flows_lost, -r.extra_cost_usd))[:12]
    page.section("Most critical (closed alone)", _table(
        ("id", "name", "extra USD/yr", "lost"),
        [(r.closed, r.name, f"{r.extra_cost_usd:,.0f}", r.flows_lost) for r in ranked], numeric=(2, 3)))  # fmt: skip
    page.sections.insert(0, f"<div class='corridors-meta'>{len(known)} cases: each closes one "
                            f"{'crossing or edge' if edges else 'crossing'} alone; top extra cost {top:,.0f} USD/yr</div>")  # fmt: skip
    return page.finish(_data_sources())


def flows_map(result: Any, network: Network, *, tiles: str = "osm", scenarios: Sequence[Scenario] = ()) -> folium.Map:
    """Edges by tonnes a year and crossings by utilisation and queue wait (``assign --map``).

    Parameters
    ----------
    result
        An :class:`~corridors.assign.Assignment`.
    network
        The network it was computed on.
    tiles
        ``osm`` or ``none``.
    scenarios
        The scenarios applied.

    Returns
    -------
    folium.Map

    """
    data = network.data
    page = Page("Trade flows at equilibrium", "flows", tiles, scenarios)
    lg = page.legend
    top = max(result.edges.values(), default=0.0) or 1.0
    ge = page.group("edges by tonnes a year")
    for eid, t in sorted(result.edges.items(), key=lambda kv: kv[1]):
        e = data.edges[eid]
        share = t / top
        colour = "#7b3294" if e.mode == "rail" else "#d95f02"
        cls = lg.use(f"flow-{e.mode}", colour, "line", f"{e.mode} edge carrying flows", width=4, section="Edges")
        coords = _edge_coords(e, data)
        page.bounds.extend(coords)
        line = folium.PolyLine(coords, color=colour, weight=1.5 + 10 * share, opacity=0.8,
                               popup=_popup([("edge", eid), ("tonnes/yr", _fmt(t, " t", 0))], f"{eid}"),
                               tooltip=_tooltip(f"{eid}: {t:,.0f} t/yr"))  # fmt: skip
        line.options["className"] = f"{cls} corridors-k-flow-edge corridors-edge"
        _in_pane(line, "corridors-lines").add_to(ge)
    for share in (1.0, 0.25):
        lg.use("flow-edge", "#999999", "width", f"edge width: {share * top:,.0f} t/yr", width=1.5 + 10 * share,
               section="Edges (width)")  # fmt: skip

    def klass(u: float | None) -> tuple[str, str, str]:
        if u is None:
            return "nocap", "#bdbdbd", "capacity unknown (no queue)"
        if u >= 0.95:
            return "over", "#000000", "at or over 95% of capacity"
        if u >= 0.8:
            return "high", "#b2182b", "80-95% of capacity"
        if u >= 0.5:
            return "mid", "#ef8a62", "50-80% of capacity"
        return "low", "#67a9cf", "under 50% of capacity"

    gc = page.group("crossings by utilisation and wait")
    worst: dict[str, Any] = {}
    for c in result.crossings:
        if c.crossing in data.crossings:
            worst.setdefault(c.crossing, []).append(c)
    for cid, loads in sorted(worst.items(), key=lambda kv: max(x.wait_h for x in kv[1])):
        head = max(loads, key=lambda x: (x.utilisation or 0.0, x.wait_h))
        key, colour, label = klass(head.utilisation)
        cls = lg.use(f"util-{key}", colour, "point", f"crossing: {label}", radius=7, section="Crossings (colour)")
        where = _crossing_point(data.crossings[cid], data)
        page.bounds.append(where)
        radius = 5 + min(15.0, 3 * math.log1p(max(x.wait_h for x in loads)))
        sections = [(f"{cid} {data.crossings[cid].name} ({x.mode})", [
            ("trucks/day" if x.mode == "road" else "wagons/day", _fmt(x.vehicles_per_day, "", 1)),
            ("capacity/day", _fmt(x.capacity_per_day, "", 0)), ("utilisation", _fmt(x.utilisation, "", 2)),
            ("queue wait", _fmt(x.wait_h, " h", 1)), ("free time", _fmt(x.free_time_h, " h", 1)),
            ("tonnes/yr", _fmt(x.tonnes_per_year, " t", 0))]) for x in loads]  # fmt: skip
        marker = folium.CircleMarker(where, radius=radius, color="#333333", weight=1, fill=True, fill_color=colour,
                                     fill_opacity=0.85, popup=_popup_sections(sections),
                                     tooltip=_tooltip(f"{cid}: wait {head.wait_h:.1f} h"))  # fmt: skip
        marker.options["className"] = f"{cls} corridors-k-flow-crossing corridors-crossing {_id_class(cid)}"
        _in_pane(marker, "corridors-points").add_to(gc)
    for wait in (0.0, 24.0, 168.0):
        lg.use("flow-crossing", "#999999", "size", f"crossing size: queue wait {wait:.0f} h",
               radius=5 + min(15.0, 3 * math.log1p(wait)), section="Crossings (size)")  # fmt: skip
    busiest = sorted(result.crossings, key=lambda x: -x.tonnes_per_year)[:12]
    page.section("Busiest crossings", _table(
        ("crossing", "mode", "veh./day", "util.", "wait h"),
        [(x.crossing, x.mode, f"{x.vehicles_per_day:,.0f}", _fmt(x.utilisation, "", 2), f"{x.wait_h:.1f}")
         for x in busiest], numeric=(2, 3, 4)))  # fmt: skip
    page.sections.insert(0, f"<div class='corridors-meta'>{len(result.flows)} flows, {result.tonnes_per_year:,.0f} t/yr; "
                            f"{esc(result.method)} equilibrium, gap {result.gap:.1e} after {result.iterations} iterations</div>")  # fmt: skip
    return page.finish(_data_sources())


# -- output ----------------------------------------------------------------------------------
def _inline_assets(page: str) -> str:
    """Replace the CDN Leaflet and jQuery tags with the files of the XStatic packages."""
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
    """Write a map atomically (temporary file, then rename), creating its folder if missing.

    Raises
    ------
    UsageError
        For a path that does not end in ``.html``.

    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"a map file must end in .html, not '{path.name}'")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
    return atomic_write_text(path, render_html(m, offline=offline))
