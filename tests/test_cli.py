"""The CLI through click's CliRunner: outputs, `Error: ...` messages and exit codes (0 ok, 1 failed, 2 usage)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from aigraph.cli import main
from sparql_json import validate_sparql_json

DATA = Path(__file__).resolve().parent / "data" / "small.trig"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_everywhere_has_an_example() -> None:
    for command in ([], ["build"], ["query"], ["validate"], ["serve"]):
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
    assert "Evidence and sources for a concept" in out and "--param concept_label=VALUE (required)" in out
    code, out, _ = run("query", "--graph", str(DATA), "--name", "chains", "--format", "json")
    assert code == 0
    document = json.loads(out)
    validate_sparql_json(document)
    assert {"stageLabel", "techniqueLabel", "riskLabel", "interventionLabel"} <= set(document["head"]["vars"])
    assert len(document["results"]["bindings"]) == 3
    code, out, _ = run("query", "--graph", str(DATA), "--format", "csv",
                       "SELECT ?l WHERE { ?r a aig:Risk ; rdfs:label ?l } ORDER BY ?l")
    assert code == 0 and out.splitlines()[0] == "l" and len(out.splitlines()) > 1
    code, out, _ = run("query", "--graph", str(DATA), "ASK { ?s aig:mitigatedBy ?o }")
    assert code == 0 and "true" in out
    code, out, _ = run("query", "--graph", str(DATA), "--format", "tsv",
                       "SELECT ?r WHERE { ?r a aig:Stage } ORDER BY ?r")
    assert out == "?r\n<https://w3id.org/aigraph/concept/deployment>\n<https://w3id.org/aigraph/concept/model-training>\n"
    code, out, _ = run("query", "--graph", str(DATA), "--format", "md", "--name", "evidence",
                       "--param", "concept_label=bias")
    assert code == 0 and out.startswith("| conceptLabel | role |") and out.count("\n") == 5


def test_query_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    query = tmp_path / "risks.rq"
    query.write_text("# the risks\nSELECT ?l WHERE { ?r a aig:Risk ; rdfs:label ?l } ORDER BY ?l\n", encoding="utf-8")
    from_file = CliRunner().invoke(main, ["query", "--graph", str(DATA), "--format", "csv", "-f", str(query)])
    assert from_file.exit_code == 0  # W3C CSV: CRLF line ends (CliRunner's .stdout would show them as LF)
    assert from_file.stdout_bytes == b"l\r\nbias\r\ndata poisoning\r\nmisuse\r\nprivacy leakage\r\n"
    piped = CliRunner().invoke(main, ["query", "--graph", str(DATA), "--format", "csv", "-f", "-"],
                               input=query.read_text(encoding="utf-8"))
    assert piped.exit_code == 0 and piped.stdout_bytes == from_file.stdout_bytes


def test_construct_prints_turtle() -> None:
    code, out, _ = run("query", "--graph", str(DATA), "--format", "csv", "DESCRIBE aigc:misuse")
    assert code == 0 and "@prefix aigc: <https://w3id.org/aigraph/concept/> ." in out
    assert "aigc:misuse a aig:Risk" in out


def test_query_limit_says_when_it_cut() -> None:
    text = "SELECT ?l WHERE { ?c rdfs:label ?l } ORDER BY ?l"
    code, out, err = run("query", "--graph", str(DATA), "--limit", "2", text)
    assert code == 0 and out.splitlines()[2:4] == ["Alpha guidance on model training", "Beta: privacy and deployment"]
    assert "(2 rows; truncated: the query has more than these 2 rows" in out
    assert err.startswith("Note: truncated:") and "--limit 2" in err
    code, out, err = run("query", "--graph", str(DATA), "--limit", "100", text)
    assert code == 0 and err == "" and "truncated" not in out


def test_query_syntax_error_shows_line_and_column_and_exits_2() -> None:
    code, out, err = run("query", "--graph", str(DATA), "SELECT ?x\nWHERE {\n  ?x ?p foo:bar .\n}")
    assert code == 2 and out == ""
    assert err.startswith("Error: invalid SPARQL at line 3, column 16: ")
    assert "\n    ?x ?p foo:bar .\n" + " " * 17 + "^\n" in err


def test_query_timeout_really_stops_the_query() -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    code, _, err = run("query", "--graph", str(DATA), "--timeout", "0.5", slow)
    assert time.monotonic() - started < 3
    assert code == 1 and err.startswith("Error: the query ran past the 0.5 s time limit and was stopped")


def test_query_usage_and_failures() -> None:
    assert run("query")[0] == 2  # no query given
    assert run("query", "--graph", str(DATA), "--name", "chains", "SELECT * {}")[0] == 2
    assert run("query", "--graph", str(DATA), "--format", "yaml", "ASK {}")[0] == 2
    assert run("query", "--graph", str(DATA), "--name", "evidence", "--param", "novalue")[0] == 2
    assert run("query", "--graph", str(DATA), "--param", "a=b", "ASK {}")[0] == 2  # --param needs --name
    assert run("query", "--graph", str(DATA), "--timeout", "0", "ASK {}")[0] == 2
    code, _, err = run("query", "--graph", "/nonexistent/graph.trig", "ASK {}")
    assert code == 1 and err.startswith("Error:") and "aigraph build" in err
    code, _, err = run("query", "--graph", str(DATA), "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }")
    assert code == 1 and "SERVICE" in err
    code, _, err = run("query", "--graph", str(DATA), "LOAD <file:///etc/passwd>")
    assert code == 1 and "read-only" in err
    code, _, err = run("query", "--graph", str(DATA), "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }")
    assert code == 1 and "outside the store" in err
    code, _, err = run("query", "--graph", str(DATA), "--name", "no-such-query")
    assert code == 1 and "no-such-query" in err
    code, _, err = run("query", "--graph", str(DATA), "--name", "evidence")
    assert code == 1 and "--param concept_label=VALUE" in err


def test_serve_refuses_a_missing_graph_and_a_busy_port(tmp_path: Path) -> None:
    code, _, err = run("serve", "--graph", str(tmp_path / "graph.trig"))
    assert code == 1 and err.startswith("Error:") and "aigraph build" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = run("serve", "--graph", str(DATA), "--port", str(taken.getsockname()[1]))
    assert code == 1 and err.startswith("Error: cannot listen on 127.0.0.1:") and "--port" in err


def test_validate_reports_missing_file(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "graph.ttl"))
    assert code == 1 and "aigraph build" in err
