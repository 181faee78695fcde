"""Issue 7, files: outputs are replaced only by a complete new set. A failed write, an exception, Ctrl-C and
`kill -9` mid-build all leave the previous graph in place and queryable, with no temporary files; a second
build into the same folder fails at once; the same corpus anywhere, in any file order, builds the same bytes."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import Dataset, URIRef

from aigraph.build import OUTPUTS, build
from aigraph.cli import main
from aigraph.errors import BuildError
from aigraph.graph import write_graph
from aigraph.query import load_store, run_query
from hostile import pipeline

ROOT = Path(__file__).resolve().parents[1]
CHAINS = ROOT / "tests" / "data" / "chains"


def snapshot(out: Path) -> dict[str, bytes]:
    """The outputs' bytes, and which on-disk store the `store` link (aigraph.store) points at."""
    files = {name: (out / name).read_bytes() for name in OUTPUTS}
    if (out / "store").is_symlink():
        files["store"] = os.readlink(out / "store").encode()
    return files


def leftovers(out: Path) -> set[str]:
    """Temporary files and staging folders in the build folder (and its extraction cache)."""
    paths = [*out.iterdir(), *(out / "cache").rglob("*")] if (out / "cache").is_dir() else list(out.iterdir())
    return {str(p.relative_to(out)) for p in paths if p.name.endswith(".tmp") or p.name.startswith(".staging-")}


@pytest.fixture()
def previous(tmp_path: Path) -> Path:
    """An output folder holding a complete build (of tests/data/chains)."""
    out = tmp_path / "out"
    build(CHAINS, out, nlp=pipeline())
    return out


def test_a_failed_write_keeps_the_old_outputs_and_leaves_no_temp_files(previous: Path) -> None:
    """A real write failure: the file size limit (RLIMIT_FSIZE) makes writing graph.html fail with EFBIG."""
    before = snapshot(previous)

    def limit() -> None:  # Python ignores SIGXFSZ, so the write fails with an OSError instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    done = subprocess.run([sys.executable, "-m", "aigraph", "build", str(CHAINS), "--out", str(previous)],
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"Error: cannot write the outputs into {previous}: ")
    assert "File too large" in done.stderr and "previous outputs are unchanged" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(previous) == before
    assert leftovers(previous) == set()


def test_a_serialization_failure_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "graph.trig").write_text("old trig")
    (tmp_path / "graph.ttl").write_text("old ttl")
    dataset = Dataset()
    dataset.graph(URIRef("https://w3id.org/aigraph/graph/x")).add(
        (URIRef("https://w3id.org/aigraph/doc/x"), URIRef("https://example.org/p"), URIRef("not an iri")))
    with pytest.raises(ValueError):
        write_graph(dataset, tmp_path)
    assert (tmp_path / "graph.trig").read_text() == "old trig" and (tmp_path / "graph.ttl").read_text() == "old ttl"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.trig", "graph.ttl"]


def test_an_exception_mid_build_keeps_the_old_outputs(previous: Path) -> None:
    before = snapshot(previous)

    def fail(document: Any) -> None:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        build(CHAINS, previous, nlp=pipeline(), on_document=fail)
    assert snapshot(previous) == before
    assert leftovers(previous) == set()
    assert build(CHAINS, previous, nlp=pipeline()).files  # the lock was released


def test_leftovers_of_a_killed_build_are_removed_by_the_next(previous: Path) -> None:
    (previous / ".staging-999999").mkdir()
    (previous / ".staging-999999" / "graph.trig").write_text("half a graph")
    (previous / ".graph.trig.abc123.tmp").write_text("half a graph")
    build(CHAINS, previous, nlp=pipeline())
    assert leftovers(previous) == set()


def test_an_output_that_is_a_folder_fails_before_anything_is_replaced(previous: Path) -> None:
    before = snapshot(previous)
    (previous / "graph.html").unlink()
    (previous / "graph.html").mkdir()
    result = CliRunner().invoke(main, ["build", str(CHAINS), "--out", str(previous)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(f"Error: cannot replace {previous / 'graph.html'}: it is a folder")
    assert (previous / "graph.trig").read_bytes() == before["graph.trig"]
    assert leftovers(previous) == set()


def big_corpus(folder: Path, copies: int = 8) -> Path:
    """The default corpus, each file `copies` times with a distinct first line (so none is a duplicate)."""
    folder.mkdir()
    for source in sorted((ROOT / "corpus").glob("0*.txt")):
        for i in range(copies):
            (folder / f"{i:02d}-{source.name}").write_text(f"Copy {i}.\n\n" + source.read_text(encoding="utf-8"))
    return folder


def start_build(corpus: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    """`python -m aigraph build` in the background; returns once it is extracting (holds the lock)."""
    with open(log, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "aigraph", "build", str(corpus), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while b"Extracting" not in log.read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    assert f"pid {process.pid}," in (out / ".lock").read_text()
    time.sleep(1.0)  # well into extraction (the big corpus takes about 10 s)
    assert process.poll() is None
    return process


def test_concurrent_build_fails_fast_and_ctrl_c_or_kill_9_keep_the_previous_graph(tmp_path: Path,
                                                                                    previous: Path) -> None:
    before = snapshot(previous)
    corpus = big_corpus(tmp_path / "big")
    timings: dict[str, float] = {}

    # A second build while one runs: fails at once, naming the holder, and changes nothing.
    first = start_build(corpus, previous, tmp_path / "first.log")
    started = time.perf_counter()
    second = CliRunner().invoke(main, ["build", str(CHAINS), "--out", str(previous)])
    timings["second build refused"] = time.perf_counter() - started
    assert second.exit_code == 1
    assert second.stderr.startswith(f"Error: another aigraph build (pid {first.pid}, started ")
    assert "--out" in second.stderr
    assert timings["second build refused"] < 5

    # Ctrl-C: exit 130, a short message, no traceback, nothing replaced, nothing left behind.
    first.send_signal(signal.SIGINT)
    assert first.wait(30) == 130
    err = (tmp_path / "first.log").read_text()
    assert err.rstrip().endswith("Interrupted.") and "Traceback" not in err
    assert snapshot(previous) == before and leftovers(previous) == set()

    # kill -9 mid-build: the previous graph stays, complete and queryable; the lock dies with the process.
    killed = start_build(corpus, previous, tmp_path / "killed.log")
    started = time.perf_counter()
    killed.kill()
    assert killed.wait(30) == -signal.SIGKILL
    timings["kill -9 to exit"] = time.perf_counter() - started
    assert snapshot(previous) == before
    store = load_store(previous / "graph.trig")
    assert run_query(store, "ASK { ?e a aig:Evidence }").rows == [("true",)]
    query = CliRunner().invoke(main, ["query", "--graph", str(previous / "graph.trig"), "--format", "csv",
                                      "SELECT (COUNT(*) AS ?n) WHERE { ?d a aig:Document }"])
    assert query.exit_code == 0 and query.stdout.split() == ["n", "2"], query.output
    rebuilt = CliRunner().invoke(main, ["build", str(CHAINS), "--out", str(previous)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert leftovers(previous) == set()
    print(timings)


def test_same_corpus_in_another_folder_and_file_order_builds_identical_bytes(tmp_path: Path) -> None:
    sources = [*sorted(CHAINS.iterdir()), ROOT / "corpus" / "003_01cf6d2916e67f0f.txt"]
    outputs = []
    for run, order in (("a", sources), ("b", list(reversed(sources)))):
        corpus = tmp_path / run / "nested" / "corpus"  # same folder name (it is the page title), other place
        (corpus / "sub").mkdir(parents=True)
        for source in order:  # created in another order: the directory lists them in another order
            shutil.copy(source, corpus / source.name)
        shutil.copy(CHAINS / "risks.txt", corpus / "sub" / "copy-of-risks.txt")  # a duplicate
        build(corpus, tmp_path / run / "out", nlp=pipeline())
        outputs.append(tmp_path / run / "out")
    first, second = (snapshot(out) for out in outputs)
    for name in ("graph.trig", "graph.ttl", "graph.html"):
        assert first[name] == second[name], name
    reports = [json.loads(snap["report.json"]) for snap in (first, second)]
    for report in reports:
        report.pop("seconds")
    assert reports[0] == reports[1]
    assert reports[0]["duplicates"][0]["file"] == "sub/copy-of-risks.txt"
    assert str(tmp_path) not in first["graph.trig"].decode() + first["report.json"].decode()


def test_build_errors_are_build_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(BuildError, match="cannot"):
        build(CHAINS, tmp_path / "file", nlp=pipeline())
