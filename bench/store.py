"""The persistent store against its baselines, in one run, as ratios (machines are noisy; only ratios of
measurements taken in the same run mean anything).

    .venv/bin/python bench/store.py [--documents 200] [--triples 1000000] [--rdflib-timeout 300]

1. Incremental build: a corpus of --documents files (copies of ../shared/corpus/atlas chapters when present,
   else of corpus/, each with its own closing line so no two are the same file) is built in full with
   `aigraph build`; one document is changed and the folder is rebuilt (incremental); the changed corpus is
   also built with `--full` into another folder, and both graphs must be the same (bytes and sorted N-Quads).
   Bar: incremental / full <= 10%.
2. Query latency: a synthetic graph in aigraph's schema with about --triples triples (tests/store_data.py) is
   put in an on-disk store as `aigraph build` does and in rdflib's default in-memory Dataset; every named query
   runs on both (its example parameters bound). Oxigraph: the median of 3 runs through aigraph.query.run_query,
   before rdflib is loaded; rdflib: one run after `gc.freeze()`, in a forked child stopped after
   --rdflib-timeout seconds (then the ratio is a lower bound).
   Bar: every query >= 10x faster on the store.

It takes several minutes and a few GB of memory; it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
ATLAS = ROOT.parent / "shared" / "corpus" / "atlas"
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic graph generator is shared with the tests

from aigraph.named import bind_params, named_queries  # noqa: E402
from aigraph.query import PREFIXES, load_store, run_query  # noqa: E402
from aigraph.store import write_store  # noqa: E402
from store_data import synthetic_graph, write_files  # noqa: E402


def make_corpus(folder: Path, documents: int) -> Path:
    sources = sorted(p for p in (ATLAS if ATLAS.is_dir() else ROOT / "corpus").iterdir()
                     if p.suffix in (".md", ".txt") and p.name != "SOURCES.md")
    folder.mkdir(parents=True)
    for index in range(documents):
        source = sources[index % len(sources)]
        text = source.read_text(encoding="utf-8")
        (folder / f"{index:04d}-{source.name}").write_text(f"{text}\n\nCopy {index} of {source.stem}.\n",
                                                           encoding="utf-8")
    return folder


def timed_build(corpus: Path, out: Path, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "aigraph", "build", str(corpus), "--out", str(out), *extra],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"aigraph build failed:\n{done.stderr}")
    return time.perf_counter() - started


def canonical(path: Path) -> list[bytes]:
    return sorted((ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TRIG),
                                format=ox.RdfFormat.N_QUADS) or b"").splitlines())


def bench_builds(work: Path, documents: int) -> None:
    corpus = make_corpus(work / "corpus", documents)
    size = sum(p.stat().st_size for p in corpus.iterdir())
    print(f"== incremental build: {documents} documents, {size / 1e6:.1f} MB (from {corpus.parent.name})")
    out, reference = work / "build", work / "reference"
    full = timed_build(corpus, out)
    print(f"full build             : {full:8.1f} s")
    changed = sorted(corpus.iterdir())[documents // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nRed teaming mitigates jailbreaks.\n",
                       encoding="utf-8")
    incremental = timed_build(corpus, out)
    print(f"incremental (1 changed): {incremental:8.1f} s")
    again = timed_build(corpus, reference, "--full")
    print(f"full build (reference) : {again:8.1f} s")
    same_bytes = all((out / n).read_bytes() == (reference / n).read_bytes() for n in ("graph.trig", "graph.ttl"))
    same_triples = canonical(out / "graph.trig") == canonical(reference / "graph.trig")
    ratio = incremental / min(full, again)
    print(f"incremental / full     : {ratio:8.1%}  (bar <= 10%: {'met' if ratio <= 0.10 else 'NOT met'})")
    print(f"same graph as --full   : bytes {same_bytes}, sorted N-Quads {same_triples}")


def _rdflib_child(conn: Connection, dataset: Any, text: str) -> None:  # pragma: no cover - forked child
    started = time.perf_counter()
    rows = len(list(dataset.query(text, initNs=PREFIXES)))
    conn.send((time.perf_counter() - started, rows))


def rdflib_time(dataset: Any, text: str, timeout: float) -> tuple[float, int | None]:
    """(seconds, rows) of one rdflib query in a forked child (the dataset is shared, not copied); (timeout,
    None) when stopped."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_rdflib_child, args=(child, dataset, text))
    process.start()
    if parent.poll(timeout):
        seconds, rows = parent.recv()
        process.join()
        return seconds, rows
    process.kill()
    process.join()
    return timeout, None


def bench_queries(work: Path, triples: int, timeout: float, only: list[str] | None = None) -> None:
    import rdflib

    relations = 8  # evidence records per document; the atlas chapters have 2 to 3
    documents = max(1, round(triples / (relations * 27 + 4)))
    started = time.perf_counter()
    quads = synthetic_graph(documents, relations)
    write_files(quads, work)
    del quads
    write_store(work, work / "graph.nq", work / "graph.nt")
    store = load_store(work)
    union = len(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph())))
    print(f"\n== named queries: {documents} document graphs, {union} distinct triples "
          f"({len(store)} quads with the union and ontology); store built in {time.perf_counter() - started:.0f} s")
    ours: dict[str, tuple[float, int]] = {}
    texts = {q.name: bind_params(q, dict(q.example)) for q in named_queries().values()
             if not only or q.name in only}
    for name, text in texts.items():  # before rdflib's millions of objects slow Python's garbage collector
        runs = []
        for _ in range(3):
            begun = time.perf_counter()
            result = run_query(store, text)
            runs.append(time.perf_counter() - begun)
        ours[name] = statistics.median(runs), len(result.rows)
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(str(work / "graph.nq"), format="nquads")
    gc.freeze()  # the loaded graph is permanent: no collection pass walks it again
    print(f"rdflib Dataset loaded in {time.perf_counter() - started:.0f} s (default in-memory store)")
    print(f"{'query':<24} {'oxigraph':>10} {'rdflib':>10} {'ratio':>9}  rows")
    ratios = []
    for name, text in texts.items():
        seconds, count = ours[name]
        theirs, rows = rdflib_time(dataset, text, timeout)
        ratio = theirs / seconds
        ratios.append(ratio)
        bound = ">=" if rows is None else "  "
        shown = f"{theirs:9.3f}s" if rows is not None else f">{timeout:.0f}s".rjust(10)
        agree = "" if rows is None or rows == count else f" (rdflib: {rows})"
        print(f"{name:<24} {seconds:9.3f}s {shown} {bound}{ratio:6.0f}x  {count}{agree}")
    print(f"slowest ratio: {min(ratios):.0f}x (bar >= 10x: {'met' if min(ratios) >= 10 else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--rdflib-timeout", type=float, default=300.0)
    parser.add_argument("--skip-builds", action="store_true", help="Only the query benchmark.")
    parser.add_argument("--skip-queries", action="store_true", help="Only the build benchmark.")
    parser.add_argument("--only", action="append", metavar="NAME", help="Only this named query (repeatable).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aigraph-bench-"))
    try:
        if not args.skip_builds:
            bench_builds(work / "builds", args.documents)
        if not args.skip_queries:
            (work / "queries").mkdir()
            bench_queries(work / "queries", args.triples, args.rdflib_timeout, args.only)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
