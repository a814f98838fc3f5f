"""Maps opened in headless Chromium from file:// with the network off."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest

from browser import chromium_path, open_page
from conftest import PYTHON, REPO

HOSTILE = "<script>alert(1)</script>"
SCREENSHOTS = Path(os.environ.get("CORRIDORS_SCREENSHOTS", REPO / "tests" / "screenshots"))

if chromium_path() is None:  # pragma: no cover - .ci/run installs Debian's chromium
    raise RuntimeError("the browser tests need Chromium: apt-get install chromium (see README, Quick start)")


def run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([PYTHON, "-m", "corridors", *args], capture_output=True, text=True, cwd=REPO, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return proc


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


def crossing_popup_texts(page) -> list[str]:
    """Open every crossing marker's popup in turn; return the popup texts."""
    texts = []
    for i in range(page.locator("path.corridors-crossing").count()):
        page.locator("path.corridors-crossing").nth(i).dispatch_event("click")
        page.wait_for_timeout(100)
        texts += page.locator(".leaflet-popup-content").all_inner_texts()
    return texts


def shot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def test_route_map_offline(hostile_dir, tmp_path):
    out = tmp_path / "route.html"
    run(
        "route",
        "Uzcity",
        "Pkport",
        "--alternatives",
        "3",
        "--geodata",
        str(hostile_dir),
        "--map",
        str(out),
        "--offline",
        "--tiles",
        "none",
    )
    text = out.read_text(encoding="utf-8")
    assert HOSTILE not in text
    assert "cdn.jsdelivr" not in text and "code.jquery.com" not in text
    with open_page(out, shot("route-map.png")) as (page, errors):
        assert errors == []
        assert page.locator("path.corridors-leg").count() >= 5
        assert page.locator("path.corridors-crossing").count() >= 2
        assert page.locator("path.corridors-start").count() == 1
        assert page.locator("#corridors-legend").count() == 1
        assert page.locator(".leaflet-control-layers").count() == 1
        assert page.locator(".leaflet-control-scale").count() == 1
        assert page.locator(".leaflet-control-layers-overlays label").count() == 3
        assert page.locator("#corridors-chart img").count() == 1
        # the hostile name shows as text in a popup, and no script ran
        page.evaluate("() => { window.alert = () => { window.__pwned = true; }; }")
        texts = crossing_popup_texts(page)
        assert any(HOSTILE in t for t in texts)
        assert page.evaluate("() => window.__pwned === undefined")
        assert page.locator("script", has_text="alert(1)").count() == 0


def test_hostile_name_is_text_in_tooltips(hostile_dir, tmp_path):
    out = tmp_path / "network.html"
    run("map", "-o", str(out), "--geodata", str(hostile_dir), "--offline", "--tiles", "none")
    with open_page(out, shot("network-map-toy.png")) as (page, errors):
        assert errors == []
        page.evaluate("() => { window.alert = () => { window.__pwned = true; }; }")
        # open every crossing's popup: the hostile crossing name must appear as text
        texts = crossing_popup_texts(page)
        assert any(HOSTILE in t for t in texts)
        assert page.evaluate("() => window.__pwned === undefined")


def test_network_map_of_shipped_data(tmp_path):
    out = tmp_path / "network.html"
    run("map", "-o", str(out), "--offline", "--tiles", "none")
    with open_page(out, shot("network-map.png")) as (page, errors):
        assert errors == []
        assert page.locator("path.corridors-crossing").count() >= 11
        assert page.locator("path.corridors-rail").count() >= 10
        assert page.locator("#corridors-legend").count() == 1
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert any("planned" in label for label in labels)


def test_whatif_risk_and_criticality_maps(toy_dir, tmp_path):
    od = tmp_path / "od.csv"
    od.write_text("origin,destination,cargo,tonnes_per_year\nUZCITY,PKPORT,general,1000\n")
    maps = {
        "whatif": ("whatif", "Uzcity", "Pkport", "--close", "X4"),
        "risk": ("risk", "Uzcity", "Pkport", "--samples", "500"),
        "criticality": ("criticality", "--od", str(od)),
    }
    for name, args in maps.items():
        out = tmp_path / f"{name}.html"
        run(*args, "--geodata", str(toy_dir), "--map", str(out), "--offline", "--tiles", "none")
        with open_page(out, shot(f"{name}-map.png")) as (page, errors):
            assert errors == [], name
            assert page.locator("#corridors-legend").count() == 1
            assert page.locator("path.corridors-crossing, path.corridors-leg").count() >= 1
    assert "closed" in (tmp_path / "whatif.html").read_text()


def test_online_map_uses_cdn_and_tiles(toy_dir, tmp_path):
    out = tmp_path / "online.html"
    run("route", "Uzcity", "Pkport", "--geodata", str(toy_dir), "--map", str(out))
    text = out.read_text()
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in text
    assert "openstreetmap.org/copyright" in text
    assert "bootstrap" not in text  # only what the maps use is loaded
