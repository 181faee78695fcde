"""The whole pipeline: corpus folder -> graph files, HTML view and report, in an output folder.

A build never loses the previous outputs: it holds `OUT/.lock` (a second build into the same folder fails
at once), writes everything into a staging folder and moves the files into place only once all of them
were written (see `aigraph.fileio`). Bad input files are skipped and listed in the report, never fatal.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from aigraph import terms
from aigraph.corpus import MAX_BYTES, Corpus, scan_corpus
from aigraph.errors import BuildError
from aigraph.fileio import BuildLock, Staging, atomic_write_text, remove_leftovers
from aigraph.graph import build_dataset, merge, write_graph
from aigraph.incremental import ExtractionCache
from aigraph.intake import Notice, changes_since_read
from aigraph.model import CLASSES, PREDICATES, Document, Extraction, GraphData
from aigraph.store import STORE_LINK, prepare_store, switch
from aigraph.view import write_html

log = logging.getLogger(__name__)

GRAPH_TRIG = "graph.trig"
GRAPH_TTL = "graph.ttl"
GRAPH_HTML = "graph.html"
REPORT_JSON = "report.json"
OUTPUTS = (GRAPH_TRIG, GRAPH_TTL, GRAPH_HTML, REPORT_JSON)


@dataclass
class BuildResult:
    out_dir: Path
    files: list[Path]
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def incomplete(self) -> bool:
        """Were files skipped, or changed during the build? (`aigraph build` then exits 3.)"""
        return bool(self.report.get("skipped") or self.report.get("changed"))


def build(
    corpus: str | Path,
    out_dir: str | Path,
    *,
    max_bytes: int = MAX_BYTES,
    nlp: Language | None = None,
    full: bool = False,
    on_documents: Callable[[list[Document]], None] | None = None,
    on_document: Callable[[Document], None] | None = None,
) -> BuildResult:
    """Build the graph of every document in `corpus` into `out_dir`; existing outputs are replaced only when
    every new one was written. `nlp` is a pipeline from `load_pipeline()` to reuse (else one is loaded when a
    document needs extracting). Unchanged documents reuse their cached extraction unless `full`
    (aigraph.incremental); the graph store is switched with the other outputs (aigraph.store)."""
    started = time.perf_counter()
    out = Path(out_dir)
    read = scan_corpus(corpus, max_bytes, clean_text=False)  # cleaned only where extraction is not cached
    with BuildLock(out):
        remove_leftovers(out, OUTPUTS)
        if on_documents is not None:
            on_documents(read.documents)
        cache = ExtractionCache(out, full=full)
        extractions = cache.extract(read.documents, nlp, progress=on_document)
        changed = changes_since_read(read.sources)
        data = merge(extractions)
        dataset = build_dataset(extractions, read.duplicates)
        report = make_report(extractions, data, time.perf_counter() - started, read, changed)
        try:
            with Staging(out) as stage:
                trig, ttl = write_graph(dataset, stage.dir)
                write_html(data, stage.dir / GRAPH_HTML, title=f"aigraph: {Path(corpus).name or corpus}")
                atomic_write_text(stage.dir / REPORT_JSON, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
                store = prepare_store(out, trig, ttl)  # aigraph.store: a new store-* folder, not yet in use
                files = stage.commit(OUTPUTS)
                switch(out, store)
                files.append(out / STORE_LINK)
        except OSError as exc:
            raise BuildError(f"cannot write the outputs into {out}: {exc}; check free space and permissions "
                             "(the previous outputs are unchanged)") from exc
        cache.commit()
    for notice in changed:
        log.warning("%s: %s", notice.file, notice.message)
    log.info("built %d documents into %s", len(read.documents), out)
    return BuildResult(out, files, report)


def make_report(extractions: list[Extraction], data: GraphData, seconds: float, read: Corpus | None = None,
                changed: list[Notice] | None = None) -> dict[str, Any]:
    classes: Counter[str] = Counter(t for c in data.concepts.values() for t in c.types)
    predicates: Counter[str] = Counter(r.predicate for r in data.relations)
    read = read or Corpus()
    encodings = {s.name: s.encoding for s in read.sources}
    return {
        "documents": [
            {
                "file": ex.doc.name,
                "title": ex.doc.title,
                "sha256": ex.doc.sha256,
                "encoding": encodings.get(ex.doc.name, "utf-8"),
                "characters": len(ex.doc.raw),
                "mentions": len(ex.mentions),
                "concepts": len(ex.concepts),
                "relations": len(ex.relations),
            }
            for ex in extractions
        ],
        "duplicates": [{"file": doc.name, "same_as": original, "sha256": doc.sha256}
                       for doc, original in read.duplicates],
        "skipped": [{"file": s.file, "reason": s.reason, "size": s.size} for s in read.skipped],
        "changed": [{"file": n.file, "message": n.message} for n in changed or ()],
        "warnings": [{"file": n.file, "message": n.message} for n in read.notices],
        "ignored": [{"file": s.file, "reason": s.reason, "size": s.size} for s in read.ignored],
        "counts": {
            "concepts": len(data.concepts),
            "relations": len(data.relations),
            "evidence": sum(len(ev) for ev in data.relations.values()),
            "classes": {c: classes.get(c, 0) for c in CLASSES},
            "predicates": {p: predicates.get(p, 0) for p in PREDICATES},
        },
        "unresolved_mentions": [
            {"text": c.term, "count": c.count, "class_guess": c.guess, "example": c.example, "file": c.doc}
            for c in terms.merge(extractions)
        ],
        "seconds": round(seconds, 3),
    }
