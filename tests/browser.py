"""Headless Debian Chromium, driven by Playwright (no browser download: /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    for name in (os.environ.get("CORRIDORS_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


#: Why a browser test cannot run here.
NO_BROWSER = "the browser tests need Chromium: apt-get install chromium (see README, Quick start)"


def require_browser() -> None:
    """Skip the calling test when Chromium is missing, or fail it under ``CORRIDORS_REQUIRE_BROWSER=1``.

    Only the tests that open a page stop here; the rest of their module still runs.
    """
    if chromium_path() is not None:
        return
    if os.environ.get("CORRIDORS_REQUIRE_BROWSER") == "1":
        pytest.fail(NO_BROWSER + " (CORRIDORS_REQUIRE_BROWSER=1: a missing browser fails, never skips)")
    pytest.skip(NO_BROWSER)


@dataclass
class Session:
    """What a page did: script errors and every request that was not to a local file or data URI."""

    errors: list[str] = field(default_factory=list)
    network: list[str] = field(default_factory=list)


@contextmanager
def open_page(
    html: Path, screenshot: Path | None = None, viewport: dict[str, int] | None = None
) -> Iterator[tuple[Any, Session]]:
    """Open a local HTML file with the network off; yield (page, session).

    ``session.errors`` collects page errors and console errors; ``session.network`` every
    request for anything but ``file:``, ``data:``, ``blob:`` or ``about:`` (each is also
    aborted), so a test can assert that a map loads nothing from the network.
    """
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport=viewport or DESKTOP)
            session = Session()

            def guard(route: Any) -> None:
                url = route.request.url
                if url.split(":", 1)[0] in ("file", "data", "blob", "about"):
                    route.continue_()
                else:
                    session.network.append(url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.on("pageerror", lambda exc: session.errors.append(str(exc)))
            page.on("console", lambda msg: session.errors.append(msg.text) if msg.type == "error" else None)
            page.goto(html.resolve().as_uri())
            page.wait_for_function("() => window.corridorsMap !== undefined && window.corridorsBounds !== undefined")
            page.wait_for_timeout(300)
            yield page, session
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
