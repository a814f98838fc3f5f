"""Headless Debian Chromium, driven by Playwright (no browser download: /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    for name in (os.environ.get("CORRIDORS_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


@contextmanager
def open_page(html: Path, screenshot: Path | None = None):
    """Open a local HTML file with the network off; yield (page, errors)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(html.resolve().as_uri())
            page.wait_for_function("() => document.querySelector('.leaflet-container') !== null")
            page.wait_for_timeout(300)
            yield page, errors
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
