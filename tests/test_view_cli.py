"""`aigraph view`: finds the page of a build, prints its path or opens it in the user's browser.

Opening is tested for real, in a subprocess: Python's webbrowser module runs the program named by $BROWSER,
here a small script that records the URL it was given (nothing is mocked, and no real browser starts).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from aigraph.cli import main
from aigraph.model import GraphData
from aigraph.view import write_html


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def built(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_html(GraphData(), out / "graph.html")
    return out


def test_help_has_an_example() -> None:
    code, out, _ = run("view", "--help")
    assert code == 0 and "Example" in out and "--print-path" in out


def test_print_path_of_a_build_folder_or_the_file(tmp_path: Path) -> None:
    out = built(tmp_path)
    page = (out / "graph.html").resolve()
    assert run("view", str(out), "--print-path") == (0, f"{page}\n", "")
    assert run("view", str(out / "graph.html"), "--print-path") == (0, f"{page}\n", "")


def test_missing_view_says_to_run_build(tmp_path: Path) -> None:
    code, out, err = run("view", str(tmp_path / "nope"))
    assert code == 1 and out == ""
    assert err.startswith("Error: ") and "does not exist" in err and "aigraph build" in err
    code, _, err = run("view", str(tmp_path), "--print-path")  # a folder with no graph.html
    assert code == 1 and "no graph.html in" in err and "aigraph build" in err
    (tmp_path / "graph.ttl").write_text("", encoding="utf-8")
    code, _, err = run("view", str(tmp_path / "graph.ttl"))
    assert code == 1 and "is not an HTML file" in err


def test_opens_the_page_in_the_users_browser(tmp_path: Path) -> None:
    out = built(tmp_path)
    record = tmp_path / "opened.txt"
    fake = tmp_path / "record-browser"
    fake.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "BROWSER": str(fake)}
    done = subprocess.run(
        [sys.executable, "-m", "aigraph", "view", str(out)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    page = (out / "graph.html").resolve()
    assert done.stdout == f"opened {page}\n"
    assert record.read_text(encoding="utf-8") == page.as_uri()
