"""The CLI through click's CliRunner: outputs, `Error: ...` messages and exit codes (0 ok, 1 failed, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from aigraph.cli import main

DATA = Path(__file__).resolve().parent / "data" / "small.trig"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_everywhere_has_an_example() -> None:
    for command in ([], ["build"], ["query"], ["validate"]):
        code, out, _ = run(*command, "--help")
        assert code == 0
        assert "Example" in out


def test_python_dash_m_works() -> None:
    done = subprocess.run([sys.executable, "-m", "aigraph", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "aigraph" in done.stdout


def test_build_of_missing_corpus_fails_cleanly(tmp_path: Path) -> None:
    code, _, err = run("build", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert code == 1
    assert err.startswith("Error: corpus folder") and "does not exist" in err
    assert not (tmp_path / "out").exists()


def test_query_named_and_text_in_every_format() -> None:
    code, out, _ = run("query", "--list")
    assert code == 0 and "chains" in out and "evidence" in out
    code, out, _ = run("query", "--graph", str(DATA), "--name", "chains", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows and {"stageLabel", "techniqueLabel", "riskLabel", "interventionLabel"} <= set(rows[0])
    code, out, _ = run("query", "--graph", str(DATA), "--format", "csv",
                       "SELECT ?l WHERE { ?r a aig:Risk ; rdfs:label ?l } ORDER BY ?l")
    assert code == 0 and out.splitlines()[0] == "l" and len(out.splitlines()) > 1
    code, out, _ = run("query", "--graph", str(DATA), "ASK { ?s aig:mitigatedBy ?o }")
    assert code == 0 and "true" in out


def test_query_usage_and_failures() -> None:
    assert run("query")[0] == 2  # no query given
    assert run("query", "--graph", str(DATA), "--name", "chains", "SELECT * {}")[0] == 2
    assert run("query", "--graph", str(DATA), "--format", "xml", "ASK {}")[0] == 2
    assert run("query", "--graph", str(DATA), "--name", "evidence", "--param", "novalue")[0] == 2
    code, _, err = run("query", "--graph", "/nonexistent/graph.trig", "ASK {}")
    assert code == 1 and err.startswith("Error:") and "aigraph build" in err
    code, _, err = run("query", "--graph", str(DATA), "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }")
    assert code == 1 and "SERVICE" in err
    code, _, err = run("query", "--graph", str(DATA), "SELECT ?s WHERE { ?s ?p }")
    assert code == 1 and err.startswith("Error:")
    code, _, err = run("query", "--graph", str(DATA), "--name", "no-such-query")
    assert code == 1 and "no-such-query" in err


def test_validate_reports_missing_file(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "graph.ttl"))
    assert code == 1 and "aigraph build" in err
