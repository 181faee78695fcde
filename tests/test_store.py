"""The on-disk store (aigraph.store): what it holds, read-only opening through aigraph.query.load_store, the
atomic switch, and a store write killed with SIGKILL leaving the previous store in use. No spaCy here: the
stores come from TriG files (tests/store_data.py); test_store_build.py covers `aigraph build`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from aigraph.cli import main
from aigraph.errors import InputError
from aigraph.named import bind_params, named_queries
from aigraph.query import load_store, run_query
from aigraph.store import ONTOLOGY_GRAPH, STORE_LINK, STORE_PREFIX, current_target, find_store, open_store, write_store
from store_data import store_from_trig, synthetic_graph, write_files

DATA = Path(__file__).resolve().parent / "data" / "small.trig"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_from_trig(DATA, tmp_path_factory.mktemp("small"))


def quads(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, graph))


def test_store_holds_documents_ontology_and_union(built: Path) -> None:
    store = open_store(built)
    file = _memory(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG))  # values as Oxigraph keeps them
    graphs = set(file.named_graphs())
    assert set(store.named_graphs()) == graphs | {ox.NamedNode(ONTOLOGY_GRAPH)}
    for graph in graphs:
        assert quads(store, graph) == quads(file, graph)
    assert {q.triple for q in quads(store, ox.DefaultGraph())} == {q.triple for q in file}
    ontology = {q.triple for q in quads(store, ox.NamedNode(ONTOLOGY_GRAPH))}
    assert ox.Triple(ox.NamedNode("https://w3id.org/aigraph/ontology"), ox.NamedNode(RDF_TYPE),
                     ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")) in ontology
    assert len(ontology) > 1000  # the lexicon's concepts too


def _memory(items: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(items)
    return store


def test_store_is_read_only(built: Path) -> None:
    store = open_store(built)
    with pytest.raises((OSError, RuntimeError)):
        store.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")


def test_every_named_query_answers_as_from_the_file(built: Path) -> None:
    from_store, from_file = load_store(built), load_store(DATA)
    for query in named_queries().values():
        text = bind_params(query, dict(query.example))
        assert run_query(from_store, text) == run_query(from_file, text), query.name


def test_cli_query_reads_a_build_folder(built: Path) -> None:
    runner = CliRunner()
    folder = runner.invoke(main, ["query", "-g", str(built), "--name", "chains", "--format", "csv"])
    file = runner.invoke(main, ["query", "-g", str(DATA), "--name", "chains", "--format", "csv"])
    assert folder.exit_code == 0, folder.output
    assert folder.stdout == file.stdout and folder.stdout.count("\n") > 2


def test_store_link_is_relative_and_old_stores_go(tmp_path: Path) -> None:
    write_files(list(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG)), tmp_path)
    (tmp_path / f"{STORE_PREFIX}left-by-a-killed-build").mkdir()
    made = [write_store(tmp_path, tmp_path / "graph.nq", tmp_path / "graph.nt") for _ in range(3)]
    assert os.readlink(tmp_path / STORE_LINK) == made[-1].name
    assert current_target(tmp_path) == made[-1].resolve()
    stores = sorted(p.name for p in tmp_path.glob(f"{STORE_PREFIX}*"))
    assert stores == sorted([made[-1].name, made[-2].name])  # the current one and the one before it
    assert find_store(tmp_path) == find_store(tmp_path / STORE_LINK) == made[-1].resolve()
    assert oct(made[-1].stat().st_mode & 0o777) == oct(0o777 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_missing_store_messages(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no graph store here; run `aigraph build`"):
        open_store(tmp_path)
    with pytest.raises(InputError, match=r"no built graph here .*; run `aigraph build`"):
        load_store(tmp_path)  # a folder without store nor graph.trig
    (tmp_path / "graph.trig").write_bytes(DATA.read_bytes())
    assert len(load_store(tmp_path)) > 0  # a build folder from before the store: its graph.trig


KILLED_WRITER = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from aigraph.store import write_store
out = Path({out!r})
write_store(out, out / "big.nq", out / "big.nt")
"""


def test_killed_store_write_leaves_the_previous_store(tmp_path: Path) -> None:
    write_files(list(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG)), tmp_path)
    write_store(tmp_path, tmp_path / "graph.nq", tmp_path / "graph.nt")
    before = load_store(tmp_path)
    expected = run_query(before, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    del before
    big = synthetic_graph(400, 40)  # about 450,000 quads: seconds to load
    (tmp_path / "big.nq").write_bytes(ox.serialize(big, format=ox.RdfFormat.N_QUADS) or b"")
    (tmp_path / "big.nt").write_bytes(ox.serialize({q.triple for q in big}, format=ox.RdfFormat.N_TRIPLES) or b"")
    existing = set(tmp_path.glob(f"{STORE_PREFIX}*"))
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER.format(tests=str(TESTS), out=str(tmp_path))])
    deadline = time.monotonic() + 60
    while not set(tmp_path.glob(f"{STORE_PREFIX}*")) - existing and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.3)  # well into the load
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL
    partial = set(tmp_path.glob(f"{STORE_PREFIX}*")) - existing
    assert partial, "the writer never started its store"
    assert run_query(load_store(tmp_path), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == expected
    assert not list(tmp_path.glob(f".{STORE_LINK}.*.tmp"))
    write_store(tmp_path, tmp_path / "graph.nq", tmp_path / "graph.nt")  # the next build cleans up
    assert not any(p.exists() for p in partial)
