"""Issue 7, the command line: exit codes (0 ok, 1 failed, 2 usage, 3 built with skipped files, 130
interrupted), no Python traceback for bad input to any command, and user SPARQL that can neither reach the
network or the file system nor change the store, and is stopped at --timeout."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aigraph.cli import main
from aigraph.cli_support import guard as _guard

ROOT = Path(__file__).resolve().parents[1]
CHAINS = ROOT / "tests" / "data" / "chains"
DATA = ROOT / "tests" / "data" / "small.trig"


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI in-process; an exception escaping a command (a traceback for the user) fails the test."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Bad inputs of every kind, by name."""
    top = tmp_path_factory.mktemp("bad")
    files = {
        "binary.trig": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe junk",
        "garbage.ttl": b"this is { not turtle <at all",
        "gold.jsonl": b'{"file": "a.txt", "entities": [\nnot json at all\n',
        "binary.jsonl": b"\x00\x01\x02\xff\xfe\x00",
        "binary.rq": b"SELECT \xff\xfe\x00 WHERE {}",
        "nul/only.txt": b"text\x00with a NUL",
        "plain-file": b"not a folder",
    }
    for name, data in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_bytes(data)
    (top / "empty-folder").mkdir()
    paths = {name: top / name for name in files}
    paths.update({"empty-folder": top / "empty-folder", "missing": top / "missing", "top": top, "nul": top / "nul"})
    return paths


# (arguments, expected exit code); "{name}" is replaced by the path of the bad input `name`
CASES: list[tuple[list[str], int]] = [
    (["build", "{missing}", "--out", "{top}/o1"], 1),
    (["build", "/dev/null", "--out", "{top}/o2"], 1),
    (["build", "{nul}", "--out", "{top}/o3"], 1),
    (["build", str(CHAINS), "--out", "{plain-file}"], 1),
    (["build", str(CHAINS), "--max-bytes", "0"], 2),
    (["build", "--no-such-option"], 2),
    (["query", "--graph", "{binary.trig}", "ASK {}"], 1),
    (["query", "--graph", "{garbage.ttl}", "ASK {}"], 1),
    (["query", "--graph", "{empty-folder}", "ASK {}"], 1),
    (["query", "--graph", "{missing}", "ASK {}"], 1),
    (["query", "--graph", str(DATA), "-f", "{binary.rq}"], 1),
    (["query", "--graph", str(DATA), "SELEC nonsense"], 2),
    (["query", "--graph", str(DATA), "--timeout", "-1", "ASK {}"], 2),
    (["validate", "{binary.trig}"], 1),
    (["validate", "{garbage.ttl}"], 1),
    (["validate", "{empty-folder}"], 1),
    (["validate", "{missing}"], 1),
    (["eval", "--gold", "{missing}", "--graph", str(DATA)], 1),
    (["eval", "--gold", "{gold.jsonl}", "--graph", str(DATA)], 1),
    (["eval", "--gold", "{binary.jsonl}", "--graph", str(DATA)], 1),
    (["eval", "--gold", str(ROOT / "tests" / "seeds.jsonl"), "--graph", "{binary.trig}"], 1),
    (["terms", "{missing}"], 1),
    (["terms", "{nul}"], 1),
    (["export", "--format", "trig", "--store", "{binary.trig}"], 1),
    (["export", "--format", "trig", "--store", "{missing}"], 1),
    (["export", "--format", "no-such-format"], 2),
    (["view", "--print-path", "{missing}"], 1),
    (["serve", "--graph", "{missing}"], 1),
    (["serve", "--graph", "{binary.trig}"], 1),
    (["serve", "--port", "99999"], 2),
    (["push", "--endpoint", "http://127.0.0.1:9/store", "--store", "{missing}"], 1),
]


@pytest.mark.parametrize(("args", "code"), CASES, ids=[" ".join(a[:2]) + f" -> {c}" for a, c in CASES])
def test_bad_input_gives_a_message_and_an_exit_code_never_a_traceback(bad: dict[str, Path], args: list[str],
                                                                        code: int) -> None:
    filled = [_sub(a, bad) for a in args]
    exit_code, out, err = run(*filled)
    assert exit_code == code, (filled, out, err)
    assert "Traceback" not in out + err
    if code == 1:
        assert any(line.startswith("Error: ") for line in err.splitlines()), err
        assert "internal error" not in err, err  # bad input is a user error, with a message that helps
    else:
        assert "Usage:" in err or "Error:" in err, err


def _sub(arg: str, bad: dict[str, Path]) -> str:
    """"{name}rest" -> the path of the bad input `name`, then rest."""
    if arg.startswith("{") and "}" in arg:
        name, _, rest = arg[1:].partition("}")
        return str(bad[name]) + rest
    return arg


def test_a_real_process_prints_no_traceback_for_bad_input(bad: dict[str, Path]) -> None:
    for args in (["build", str(bad["missing"])], ["query", "--graph", str(bad["binary.trig"]), "ASK {}"],
                 ["validate", str(bad["garbage.ttl"])]):
        done = subprocess.run([sys.executable, "-m", "aigraph", *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and done.stderr.startswith("Error: "), done.stderr
        assert "Traceback" not in done.stderr


@click.command()
@click.argument("what")
@_guard
def _failing(what: str) -> None:
    """A command that fails the way a bug or the user would: the real `_guard` must handle it."""
    if what == "bug":
        raise ValueError("something\nunexpected")
    if what == "interrupt":
        raise KeyboardInterrupt
    if what == "usage":
        raise click.UsageError("wrong use")


def test_unexpected_exception_is_one_line_exit_1_and_ctrl_c_is_130() -> None:
    result = CliRunner().invoke(_failing, ["bug"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == ("Error: internal error: ValueError: something unexpected (run with -v for the "
                             "traceback; please report it)\n")
    result = CliRunner().invoke(_failing, ["interrupt"], catch_exceptions=False)
    assert result.exit_code == 130 and result.stderr == "Interrupted.\n"
    result = CliRunner().invoke(_failing, ["usage"], catch_exceptions=False)
    assert result.exit_code == 2 and "wrong use" in result.stderr


def test_verbose_logs_the_traceback_of_an_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="aigraph"):
        result = CliRunner().invoke(_failing, ["bug"], catch_exceptions=False)
    assert result.exit_code == 1
    record = next(r for r in caplog.records if r.message == "internal error")
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_exit_codes_0_and_3(tmp_path: Path) -> None:
    code, out, _ = run("build", str(CHAINS), "--out", str(tmp_path / "ok"))
    assert code == 0 and "2 documents ->" in out
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("Red teaming reduces sycophancy.\n")
    (corpus / "b.txt").write_bytes(b"\x00binary")
    code, _, err = run("build", str(corpus), "--out", str(tmp_path / "partial"))
    assert code == 3
    assert "Skipped b.txt: binary: NUL byte at offset 0" in err


# --------------------------------------------------------------------------- queries


def _digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock")
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("q") / "build"
    assert run("build", str(CHAINS), "--out", str(out))[0] == 0
    return out


ESCAPES = [
    ("SERVICE", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
    ("SERVICE", "select * { service <file:///etc/passwd> { ?s ?p ?o } }"),
    ("LOAD", "LOAD <file:///etc/passwd>"),
    ("LOAD", "# a comment first\nload <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:x>"),
    ("FROM", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"),
    ("FROM", "SELECT * FROM NAMED <http://127.0.0.1:9/g> WHERE { GRAPH ?g { ?s ?p ?o } }"),
    ("INSERT", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
    ("DELETE", "DELETE WHERE { ?s ?p ?o }"),
    ("DROP", "DROP ALL"),
    ("CLEAR", "CLEAR DEFAULT"),
    ("INSERT", "PREFIX x: <urn:x#> INSERT { ?s x:p 1 } WHERE { ?s ?p ?o }"),
]


@pytest.mark.parametrize(("keyword", "text"), ESCAPES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ESCAPES)])
def test_query_cannot_reach_outside_or_change_the_store(built: Path, keyword: str, text: str) -> None:
    before = _digest(built)
    for graph in (built / "graph.trig", built):  # the graph file, and the build folder's store
        code, out, err = run("query", "--graph", str(graph), text)
        assert code == 1, (out, err)
        assert err.startswith("Error: ") and keyword in err.upper(), err
    assert _digest(built) == before
    code, out, _ = run("query", "--graph", str(built), "--format", "csv", "ASK { <urn:a> <urn:b> <urn:c> }")
    assert code == 0 and "false" in out


PATHOLOGICAL = ("SELECT (COUNT(*) AS ?n) WHERE { ?a (!rdf:nil|^!rdf:nil)* ?b . ?b (!rdf:nil|^!rdf:nil)* ?c . "
                "?c (!rdf:nil|^!rdf:nil)* ?d }")


def _timed_out_query() -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "aigraph", "query", "--graph", str(DATA), "--timeout", "1",
                           PATHOLOGICAL], capture_output=True, text=True, timeout=60)
    return done, time.perf_counter() - started


def test_pathological_property_path_is_stopped_at_the_timeout() -> None:
    assert "--timeout" in run("query", "--help")[1]
    done, seconds = _timed_out_query()
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: the query ran past the 1 s time limit and was stopped"), done.stderr
    assert seconds < 15, seconds  # measured about 1.3 s, Python start-up included


def test_no_traceback_after_a_query_timeout() -> None:
    for _ in range(3):
        done, _ = _timed_out_query()
        assert "Traceback" not in done.stderr, done.stderr
