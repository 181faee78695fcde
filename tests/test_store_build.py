"""`aigraph build` with its store and extraction cache: an incremental rebuild re-extracts only what changed
and its graph equals a full build's; `kill -9` during a build leaves `aigraph query` on the previous graph.
Real spaCy, real Oxigraph, the default corpus copied into a temporary folder."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from aigraph.cli import main
from aigraph.export import export
from aigraph.incremental import CACHE_DIR, MANIFEST, extractor_modules, fingerprint
from aigraph.lexicon import ontology_dir
from aigraph.query import load_store
from aigraph.store import STORE_LINK, STORE_PREFIX

ROOT = Path(__file__).resolve().parents[1]
ADDED = """# Safety review

Red teaming mitigates jailbreaks. Fine-tuning introduces reward hacking, which reward modeling mitigates.
"""


def build(corpus: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["-v", "build", str(corpus), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output + result.stderr


def canonical(path: Path) -> list[str]:
    """A graph file as sorted N-Quads lines: equal lists mean the same triples in the same graphs."""
    quads = ox.parse(path=str(path), format=ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE)
    return sorted((ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode().splitlines())


def store_quads(out: Path) -> set[ox.Quad]:
    return set(load_store(out).quads_for_pattern(None, None, None, None))


def report(out: Path) -> dict[str, object]:
    data = json.loads((out / "report.json").read_text())
    data.pop("seconds")
    return dict(data)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def first(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    build(corpus, out)
    return out


def test_build_writes_store_manifest_and_cache(first: Path, corpus: Path) -> None:
    assert (first / STORE_LINK).is_symlink()
    manifest = json.loads((first / MANIFEST).read_text())
    assert manifest["fingerprint"] == fingerprint()
    assert [d["file"] for d in manifest["documents"]] == sorted(p.name for p in corpus.iterdir())
    assert len(list((first / CACHE_DIR).glob("*.json"))) == 5
    assert {q.triple for q in store_quads(first) if q.graph_name == ox.DefaultGraph()} == \
        {q.triple for q in load_store(first / "graph.ttl").quads_for_pattern(None, None, None, ox.DefaultGraph())}


def test_export_gives_the_build_files(first: Path) -> None:
    store = load_store(first)
    for fmt, name in (("trig", "graph.trig"), ("turtle", "graph.ttl")):
        # Oxigraph keeps decimals by value: the file's confidence 0.50 comes back as 0.5.
        expected = re.sub(r"(aig:confidence \d\.\d)0\b", r"\1", (first / name).read_text())
        assert export(store, fmt).decode() == expected, name


def test_incremental_rebuild_equals_full_build(first: Path, corpus: Path, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "incremental"
    shutil.copytree(first, out, symlinks=True)
    changed, removed = sorted(corpus.iterdir())[1], sorted(corpus.iterdir())[3]
    edited = tmp_path / "corpus"
    shutil.copytree(corpus, edited)
    (edited / changed.name).write_text(changed.read_text() + "\n" + ADDED)
    (edited / removed.name).unlink()
    (edited / "zz_added.md").write_text(ADDED)
    caplog.set_level(logging.INFO, logger="aigraph")
    build(edited, out)
    assert "incremental: 2 extracted, 3 reused; 1 added, 1 changed, 1 removed" in caplog.text
    full = tmp_path / "full"
    build(edited, full, "--full")
    assert "--full: 5 extracted, 0 reused" in caplog.text
    for name in ("graph.trig", "graph.ttl"):
        assert canonical(out / name) == canonical(full / name), name  # the same triples in the same graphs
        assert (out / name).read_bytes() == (full / name).read_bytes(), name  # and the same bytes
    assert report(out) == report(full)
    assert store_quads(out) == store_quads(full)
    assert removed.name not in (out / "graph.trig").read_text()
    assert len(list((out / CACHE_DIR).glob("*.json"))) == 5  # the removed document's entry is gone


def test_unchanged_rebuild_extracts_nothing(first: Path, corpus: Path, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "again"
    shutil.copytree(first, out, symlinks=True)
    caplog.set_level(logging.INFO, logger="aigraph")
    build(corpus, out)
    assert "incremental: 0 extracted, 5 reused; 0 added, 0 changed, 0 removed" in caplog.text
    assert (out / "graph.trig").read_bytes() == (first / "graph.trig").read_bytes()


def test_damaged_cache_entry_is_extracted_again(first: Path, corpus: Path, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "damaged"
    shutil.copytree(first, out, symlinks=True)
    entry = sorted((out / CACHE_DIR).glob("*.json"))[0]
    entry.write_text('{"format": 1, "file": ')
    caplog.set_level(logging.INFO, logger="aigraph")
    build(corpus, out)
    assert "ignoring damaged cache entry" in caplog.text and "1 extracted, 4 reused" in caplog.text
    assert (out / "graph.trig").read_bytes() == (first / "graph.trig").read_bytes()


def test_fingerprint_covers_the_ontology_and_the_extractor_code(tmp_path: Path) -> None:
    copy = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert fingerprint(copy) == fingerprint()
    lexicon = copy / "lexicon.ttl"
    lexicon.write_text(lexicon.read_text() + "\n# one more line\n")
    assert fingerprint(copy) != fingerprint()
    modules = extractor_modules()
    assert {"aigraph.extract", "aigraph.rules", "aigraph.components", "aigraph.lexicon", "aigraph.corpus",
            "aigraph.terms", "aigraph.model"} <= set(modules)
    assert "aigraph.view" not in modules and "aigraph.store" not in modules


def test_kill_9_during_a_build_leaves_the_previous_graph(first: Path, corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    shutil.copytree(first, out, symlinks=True)
    stats = CliRunner().invoke(main, ["query", "-g", str(out), "--name", "stats", "--format", "csv"]).stdout
    (corpus / "zz_new.md").write_text(ADDED)  # something to extract, so the build has work to do
    try:
        process = subprocess.Popen([sys.executable, "-m", "aigraph", "build", str(corpus), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not list(out.glob(".staging-*")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # the outputs are being written: kill it there
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, "the build finished before it could be killed"
        after = CliRunner().invoke(main, ["query", "-g", str(out), "--name", "stats", "--format", "csv"])
        assert after.exit_code == 0 and after.stdout == stats
        assert (out / "graph.trig").read_bytes() == (first / "graph.trig").read_bytes()
        build(corpus, out)  # the next build works and cleans up
    finally:
        (corpus / "zz_new.md").unlink()
    assert not list(out.glob(".staging-*"))
    assert len(list(out.glob(f"{STORE_PREFIX}*"))) == 2  # the current store and the one before it
    assert "zz_new.md" in (out / "graph.trig").read_text()
