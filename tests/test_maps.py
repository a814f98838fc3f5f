"""Maps opened in headless Chromium from file:// with the network off.

Each map kind is checked as a reader would see it: the offline basemap is drawn, every
legend row matches something drawn (colour and dash), every crossing can be clicked and its
popup opens inside the window and beside (never under) the panel, nothing is fetched from
the network, and a screenshot is saved in tests/screenshots/.
"""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from browser import PHONE, open_page
from conftest import PYTHON, REPO

HOSTILE = "<script>alert(1)</script>"
SCREENSHOTS = Path(os.environ.get("CORRIDORS_SCREENSHOTS", REPO / "tests" / "screenshots"))

#: What a reader clicks to learn about a crossing (closure marks that let clicks through excluded).
CLICKABLE = "path.corridors-crossing:not(.corridors-leg), .corridors-closed-mark.leaflet-interactive"

LEGEND_CHECK = """() => {
  const bad = [];
  const entries = [...document.querySelectorAll('#corridors-legend .corridors-legend-entry')];
  for (const e of entries) {
    const key = e.dataset.key, style = e.dataset.style, colour = e.dataset.colour.toLowerCase(), dash = e.dataset.dash;
    const els = [...document.querySelectorAll('.corridors-k-' + key)];
    const shown = els.filter(el => el.getBoundingClientRect().width > 0 || el.getBoundingClientRect().height > 0);
    if (!shown.length) { bad.push(key + ': nothing drawn'); continue; }
    const stroke = el => (el.getAttribute('stroke') || '').toLowerCase();
    const fill = el => (el.getAttribute('fill') || '').toLowerCase();
    const dashOf = el => el.getAttribute('stroke-dasharray') || '';
    if (style === 'line' && !shown.some(el => stroke(el) === colour && dashOf(el) === dash)) {
      bad.push(key + ': no line in ' + colour + ' with dash "' + dash + '"');
    }
    if (style === 'point' && !shown.some(el => fill(el) === colour)) { bad.push(key + ': no point filled ' + colour); }
    if (style === 'ring' && !shown.some(el => stroke(el) === colour)) { bad.push(key + ': no ring in ' + colour); }
  }
  return {count: entries.length, bad: bad};
}"""

REACHABLE = """(el) => {
  const map = window.corridorsMap;
  let layer = null;
  map.eachLayer(l => { if (l._path === el || l._icon === el) { layer = l; } });
  if (!layer) { return null; }
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = el.getBoundingClientRect(), m = map.getContainer().getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    const points = [[cx, cy]];
    for (const f of [0.3, -0.3]) { points.push([cx + f * r.width, cy], [cx, cy + f * r.height]); }
    for (const [x, y] of points) {
      const hit = document.elementFromPoint(x, y);
      if (x > m.left + 2 && x < m.right - 2 && y > m.top + 2 && y < m.bottom - 2 && hit && (hit === el || el.contains(hit))) {
        return [x, y];
      }
    }
    // not visible here: centre it, closer each time (as a reader would zoom in)
    map.setView(layer.getLatLng(), Math.min(map.getZoom() + (attempt ? 2 : 0), 13), {animate: false});
  }
  return null;
}"""


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    proc = subprocess.run([PYTHON, "-m", "corridors", *args], capture_output=True, text=True, cwd=cwd, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return proc


def shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def inside(a: dict, b: dict) -> bool:
    return (
        a["x"] >= b["x"] - 1
        and a["y"] >= b["y"] - 1
        and a["x"] + a["width"] <= b["x"] + b["width"] + 1
        and a["y"] + a["height"] <= b["y"] + b["height"] + 1
    )


def check_basemap(page) -> None:
    """The Natural Earth basemap is drawn: countries, rivers, and labels of countries and towns."""
    assert page.locator("path.corridors-basemap-country").count() >= 10
    assert page.locator("path.corridors-basemap-river").count() >= 5
    labels = page.evaluate("() => [...document.querySelectorAll('.corridors-basemap-label')].map(e => e.textContent)")
    assert "Afghanistan" in labels and "Kabul" in labels and "Amu Darya" in labels


def check_legend(page) -> int:
    result = page.evaluate(LEGEND_CHECK)
    assert result["count"] >= 3
    assert result["bad"] == []
    return result["count"]


def check_page(page) -> None:
    """Title, scenario, date and sources; the panel sits beside the map, never over it."""
    assert page.title().endswith("map")
    meta = page.locator("#corridors-panel .corridors-meta").first.inner_text()
    assert "scenario:" in meta and "made 2" in meta
    assert "Natural Earth" in page.locator("#corridors-sources").inner_text()
    assert not overlap(box(page, "#corridors-panel"), box(page, ".folium-map"))


NO_ANIMATION = """() => {
  const map = window.corridorsMap;
  map._fadeAnimated = false; map._zoomAnimated = false;
  const panBy = map.panBy.bind(map);
  map.panBy = (offset, options) => panBy(offset, Object.assign({}, options, {animate: false}));
}"""


def click_every_crossing(page) -> list[str]:
    """Click each crossing where it can be seen; check each popup; return the popup texts."""
    texts = []
    page.evaluate(NO_ANIMATION)  # popups open, pan and close at once: no waiting for transitions
    panel, viewport = box(page, "#corridors-panel"), {"x": 0, "y": 0, **page.viewport_size}
    elements = page.locator(CLICKABLE)
    assert elements.count() >= 1
    for i in range(elements.count()):
        el = elements.nth(i)
        ids = [
            c[len("corridors-id-") :]
            for c in (el.get_attribute("class") or "").split()
            if c.startswith("corridors-id-")
        ]
        point = el.evaluate(REACHABLE)
        assert point is not None, f"crossing {ids} cannot be clicked anywhere"
        page.mouse.click(*point)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=2000)
        text = popup.inner_text()
        assert all(i in text for i in ids), (ids, text[:80])
        pbox = box(page, ".leaflet-popup")
        assert not overlap(pbox, panel), "a popup opened under the panel"
        assert inside(pbox, viewport) and inside(pbox, box(page, ".folium-map")), "a popup does not fit the window"
        texts.append(text)
        page.evaluate("() => { corridorsMap.closePopup(); corridorsMap.fitBounds(corridorsBounds, {animate: false}); }")
        page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 0")
    page.mouse.move(page.viewport_size["width"] - 4, 4)  # off the map, so no tooltip stays in the screenshot
    return texts


@contextmanager
def checked_map(path: Path, screenshot: str) -> Iterator[tuple[Any, list[str]]]:
    """Every check of one map; yield the page and the crossing popup texts for more checks."""
    with open_page(path, shot(screenshot)) as (page, session):
        assert session.errors == []
        check_basemap(page)
        check_legend(page)
        check_page(page)
        texts = click_every_crossing(page)
        yield page, texts
        assert session.network == [], "the map tried to load something from the network"
        assert session.errors == []


@pytest.fixture
def hostile_dir(toy_dir: Path) -> Path:
    """The toy network with a place and a crossing named like a script."""
    for name, col in (("places.csv", "name"), ("crossings.csv", "name")):
        path = toy_dir / name
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        rows[3][col] = HOSTILE  # AFPOST / X4
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return toy_dir


@pytest.fixture(scope="module")
def shipped_maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every map kind of the shipped geodata, built offline once for the module."""
    out = tmp_path_factory.mktemp("maps")
    od = out / "od.csv"
    od.write_text(
        "origin,destination,cargo,tonnes_per_year\nTermez,Karachi,general,100000\nMashhad,Kabul,fuel,50000\n"
        "Kabul,Peshawar,general,1000\n"
    )
    common = ("--offline", "--tiles", "none")
    jobs = {
        "route": ("route", "Termez", "Karachi", "--alternatives", "3", "--map"),
        "whatif": ("whatif", "Termez", "Karachi", "--scenario", "af-pk-border-closed", "--map"),
        "whatif-mode": ("whatif", "Termez", "Kabul", "--close", "HAI:rail", "--map"),
        "risk": ("risk", "Termez", "Karachi", "--samples", "2000", "--map"),
        "criticality": ("criticality", "--od", str(od), "--edges", "--map"),
        "flows": ("assign", "--flows", str(od), "--map"),
        "network": ("map", "-o"),
        "network-tar": ("map", "--open", "TAR", "--close", "TRK", "-o"),
    }
    paths = {name: out / f"{name}.html" for name in jobs}
    procs = [  # all at once: the slowest (criticality) sets the time
        subprocess.Popen([PYTHON, "-m", "corridors", *args, str(paths[name]), *common], cwd=REPO,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for name, args in jobs.items()
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    return paths


def test_route_map_offline_hostile(hostile_dir, tmp_path):
    out = tmp_path / "route.html"
    run("route", "Uzcity", "Pkport", "--alternatives", "3", "--geodata", str(hostile_dir), "--map", str(out),
        "--offline", "--tiles", "none")  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert "cdn.jsdelivr" not in text and "code.jquery.com" not in text
    with open_page(out, shot("route-map-toy.png")) as (page, session):
        assert session.errors == [] and session.network == []
        assert page.locator("path.corridors-leg").count() >= 5
        assert page.locator("path.corridors-start").count() == 1
        assert page.locator("#corridors-legend").count() == 1
        assert page.locator(".leaflet-control-scale").count() == 1
        # the layer switches live in the panel: one per corridor
        assert page.locator("#corridors-panel .leaflet-control-layers-overlays label").count() == 3
        assert page.locator("#corridors-chart svg").count() == 1
        check_legend(page)
        page.evaluate("() => { window.alert = () => { window.__pwned = true; }; }")
        texts = click_every_crossing(page)
        assert any(HOSTILE in t for t in texts)  # the hostile name is text in a popup
        assert page.evaluate("() => window.__pwned === undefined")
        assert page.locator("script", has_text="alert(1)").count() == 0


def test_hostile_name_is_text_in_network_popups(hostile_dir, tmp_path):
    out = tmp_path / "network.html"
    run("map", "-o", str(out), "--geodata", str(hostile_dir), "--offline", "--tiles", "none")
    with open_page(out, shot("network-map-toy.png")) as (page, session):
        assert session.errors == []
        page.evaluate("() => { window.alert = () => { window.__pwned = true; }; }")
        texts = click_every_crossing(page)
        assert any(HOSTILE in t for t in texts)
        assert page.evaluate("() => window.__pwned === undefined")


def test_route_map(shipped_maps):
    with checked_map(shipped_maps["route"], "route-map.png") as (page, texts):
        assert any("HAI" in t for t in texts)  # the Hairatan crossing next to the start can be clicked
        # the chart's text is readable (at least 8 px) and its labels never overlap
        heights = page.evaluate(
            "() => [...document.querySelectorAll('#corridors-chart svg text')].map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(h for h in heights if h > 0) >= 8
        # the best route is drawn over the alternatives: its pane is higher
        z = page.evaluate(
            "() => ['corridors-alt', 'corridors-lines', 'corridors-ends', 'corridors-points'].map(p => +corridorsMap.getPane(p).style.zIndex)"
        )
        assert z == sorted(z)
        panel = page.locator("#corridors-panel").inner_text()
        assert "Itinerary" in panel and "Alternatives" in panel and "Δ USD/t" in panel


def test_route_map_on_a_phone(shipped_maps):
    with open_page(shipped_maps["route"], shot("route-map-phone.png"), viewport=PHONE) as (page, session):
        assert session.errors == []
        assert page.evaluate("() => document.getElementById('corridors-summary').open") is False
        panel, m = box(page, "#corridors-panel"), box(page, ".folium-map")
        assert not overlap(panel, m) and m["height"] >= 0.55 * PHONE["height"]
        lines = page.locator("path.corridors-leg")
        assert lines.count() >= 10 and inside(lines.nth(0).bounding_box(), m)


def test_whatif_maps(shipped_maps):
    with checked_map(shipped_maps["whatif"], "whatif-map.png") as (page, texts):
        assert any("closed" in t for t in texts)
        panel = page.locator("#corridors-panel").inner_text()
        assert "af-pk-border-closed" in panel and "Route changed" in panel and "Δ" in panel
    with checked_map(shipped_maps["whatif-mode"], "whatif-mode-map.png") as (page, texts):
        panel = page.locator("#corridors-panel").inner_text()
        assert "Route unchanged" in panel or "Route changed" in panel
        # HAI:rail closes the rail only: the mark names the mode, the road leg still crosses there
        assert page.locator(".corridors-closed-mark", has_text="rail").count() == 1
        assert "road stays open" in " ".join(texts)


def test_risk_map(shipped_maps):
    with checked_map(shipped_maps["risk"], "risk-map.png") as (page, texts):
        assert all("of samples" in t for t in texts)  # only crossings the samples used
        panel = page.locator("#corridors-panel").inner_text()
        assert "P90" in panel and "P(no route)" in panel and "value of flexibility" in panel
        # fitted to the corridors used: Afghanistan fills the view (zoom 5 or closer)
        assert page.evaluate("() => corridorsMap.getZoom()") >= 5


def test_criticality_map(shipped_maps):
    with checked_map(shipped_maps["criticality"], "criticality-map.png") as (page, _):
        assert page.locator("path.corridors-k-crit-edge").count() >= 10  # --edges draws the edges
        assert page.locator(".corridors-legend-entry[data-style=size]").count() == 3


def test_flows_map(shipped_maps):
    with checked_map(shipped_maps["flows"], "flows-map.png") as (page, texts):
        assert page.locator("path.corridors-k-flow-edge").count() >= 5  # edges carrying the three flows
        assert all("utilisation" in t and "queue wait" in t for t in texts)
        assert page.locator(".corridors-legend-entry[data-style=size]").count() == 3
        assert "Busiest crossings" in page.locator("#corridors-panel").inner_text()


def test_network_map(shipped_maps):
    with checked_map(shipped_maps["network"], "network-map.png") as (page, texts):
        # the road crossing and the planned railway at Torkham share one marker listing both
        assert any("TRK " in t and "TRK_RAIL" in t for t in texts)
        labels = page.locator("#corridors-panel .leaflet-control-layers-overlays label").all_inner_texts()
        assert any("planned" in label for label in labels)
        assert page.locator(".corridors-project-label").count() >= 3  # project names always shown
        page.locator("path.corridors-id-HAI").first.dispatch_event("click")
        assert page.locator(".leaflet-popup-pane a[href^='http']").count() >= 1  # sources are links


def test_network_map_with_a_scenario_differs(shipped_maps):
    with checked_map(shipped_maps["network-tar"], "network-map-tar.png") as (page, _):
        opened = page.locator("path.corridors-k-opened-rail1520")
        assert opened.count() >= 2 and opened.first.get_attribute("stroke-dasharray") is None
        assert page.locator(".corridors-k-closed-crossing").count() == 1
        assert "TAR" in page.locator("#corridors-panel").inner_text()
    base = shipped_maps["network"].read_text(encoding="utf-8")
    assert "corridors-k-opened-" not in base and "corridors-k-closed-crossing" not in base


def test_default_map_path_is_the_current_directory(toy_dir, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    proc = run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--map", "--tiles", "none", cwd=work)
    assert (work / "uzcity-pkport.html").is_file() and "uzcity-pkport.html" in proc.stdout
    run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--map", "new/folder/m.html", cwd=work)
    assert (work / "new" / "folder" / "m.html").is_file()  # a missing folder is created


def test_online_map_uses_cdn_and_tiles_over_the_basemap(toy_dir, tmp_path):
    out = tmp_path / "online.html"
    run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--map", str(out))
    text = out.read_text()
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in text
    assert "openstreetmap.org/copyright" in text and "corridors-basemap" in text
    assert "bootstrap" not in text  # only what the maps use is loaded
    assert "<title>" in text
