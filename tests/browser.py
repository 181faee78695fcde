"""Headless Chromium for the view tests, driven by Playwright, with the network blocked.

Debian's chromium (`scripts/test` installs it) is launched through Playwright's bundled driver with
`executable_path`, so no browser is ever downloaded (never run `playwright install`). If Chromium or the
`playwright` package is missing the browser tests FAIL with a clear message; set AIGRAPH_SKIP_BROWSER=1 to skip
them instead, or AIGRAPH_CHROMIUM to use another binary. Screenshots go to $AIGRAPH_ARTIFACTS, else
tests/artifacts/.

Every page is opened in a fresh context whose requests are all routed through `Loaded.on_route`: file: and
data: URLs are let through, anything else is aborted and recorded, and `Loaded.assert_clean()` fails the test
on any such attempt, on any console error or warning and on any uncaught exception.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(os.environ.get("AIGRAPH_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
VIEWPORT = {"width": 1400, "height": 900}
READY = "body[data-ready='1']"  # set by graph.js once the layout is settled, drawn and taking input
LOCAL_SCHEMES = ("file:", "data:", "about:")


def chromium() -> str:
    """The Chromium binary to drive, or skip/fail as the module docstring says."""
    if os.environ.get("AIGRAPH_SKIP_BROWSER") == "1":
        pytest.skip("AIGRAPH_SKIP_BROWSER=1")
    wanted = os.environ.get("AIGRAPH_CHROMIUM", "/usr/bin/chromium")
    found = shutil.which(wanted)
    if not found:
        pytest.fail(
            f"Chromium not found at {wanted!r}: install it (bash scripts/test does, with apt), point "
            "$AIGRAPH_CHROMIUM at it, or set AIGRAPH_SKIP_BROWSER=1 to skip the browser tests",
            pytrace=False,
        )
    return found


@contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium (a playwright Browser) for the duration of the block."""
    exe = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need playwright: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Loaded:
    """A page opened by `open_page`, with what it logged and what it tried to fetch."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def dataset(self) -> dict[str, str]:
        """The <body> data attributes graph.js and controls.js set (drawn, ready, readyMs, chain, ...)."""
        return dict(self.page.evaluate("() => Object.assign({}, document.body.dataset)"))

    def panel_text(self) -> str:
        return str(self.page.evaluate("() => document.getElementById('panel-body').textContent"))

    def node_point(self, node_id: str) -> tuple[float, float]:
        """Where on the page a node is drawn, for a real mouse click."""
        x, y = self.page.evaluate(
            """(id) => {
                const net = window.aigraph.network;
                const dom = net.canvasToDOM(net.getPositions([id])[id]);
                const box = document.getElementById('graph').getBoundingClientRect();
                return [box.left + dom.x, box.top + dom.y];
            }""",
            node_id,
        )
        return float(x), float(y)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        """Nothing was fetched from outside, nothing was logged as an error or warning, nothing threw."""
        outside = [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]
        assert not self.blocked and not outside, f"the page tried to reach the network: {self.blocked + outside}"
        noisy = [(kind, text) for kind, text in self.console if kind in ("error", "warning")]
        assert not noisy, f"console messages: {noisy}"
        assert not self.errors, f"uncaught exceptions: {self.errors}"


def open_page(browser: Any, page: Path, fragment: str = "", *, timeout_ms: int = 60_000) -> Loaded:
    """Open `page` (a local HTML file) in a new context with the network blocked; wait until it is ready."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    tab = context.new_page()
    loaded = Loaded(tab)
    context.route("**/*", loaded.on_route)
    tab.on("console", lambda message: loaded.console.append((message.type, message.text)))
    tab.on("pageerror", lambda error: loaded.errors.append(str(error)))
    tab.on("request", lambda request: loaded.requests.append(request.url))
    tab.goto(page.resolve().as_uri() + fragment)
    # (wait_for_function would need 'unsafe-eval', which the page's CSP rightly forbids; selectors work)
    tab.wait_for_selector(READY, state="attached", timeout=timeout_ms)
    return loaded


def close(loaded: Loaded) -> None:
    loaded.page.context.close()


# ---------------------------------------------------------------------------------------------------------
# `chromium --dump-dom`: the serialized DOM after scripts ran, without Playwright (used by test_end_to_end).

DUMP_DOM_FLAGS = [
    "--headless",
    *CHROMIUM_ARGS,
    "--virtual-time-budget=15000",
    "--dump-dom",
]
BROWSER_TIMEOUT = 120  # seconds, wall clock, per page load


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> tuple[str, float]:
    """Load `page` in headless Chromium: (serialized DOM after the virtual-time budget, wall seconds)."""
    exe = chromium()
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    url = page.resolve().as_uri() + fragment
    started = time.monotonic()
    proc = subprocess.run(
        [exe, *DUMP_DOM_FLAGS, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    assert "<body" in proc.stdout, f"no DOM dumped: {proc.stderr[-2000:]}"
    return proc.stdout, elapsed
