"""Headless Chromium for the tests: load a page with no network and return the DOM after scripts ran.

If Chromium is missing the browser tests FAIL with a clear message (`scripts/test` installs Debian's
chromium); set AIGRAPH_SKIP_BROWSER=1 to skip them instead, or AIGRAPH_CHROMIUM to use another binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--dump-dom",
]
BROWSER_TIMEOUT = 120  # seconds, wall clock, per page load


def chromium() -> str:
    if os.environ.get("AIGRAPH_SKIP_BROWSER") == "1":
        pytest.skip("AIGRAPH_SKIP_BROWSER=1")
    wanted = os.environ.get("AIGRAPH_CHROMIUM", "/usr/bin/chromium")
    found = shutil.which(wanted)
    if not found:
        pytest.fail(
            f"Chromium not found at {wanted!r}: install it (or point $AIGRAPH_CHROMIUM at it), "
            "or set AIGRAPH_SKIP_BROWSER=1 to skip the browser tests",
            pytrace=False,
        )
    return found


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> tuple[str, float]:
    """Load `page` in headless Chromium: (serialized DOM after the virtual-time budget, wall seconds)."""
    exe = chromium()
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    url = page.resolve().as_uri() + fragment
    started = time.monotonic()
    proc = subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    assert "<body" in proc.stdout, f"no DOM dumped: {proc.stderr[-2000:]}"
    return proc.stdout, elapsed
