"""The whole pipeline: corpus folder -> graph files, HTML view and report, in an output folder."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigraph import terms
from aigraph.corpus import read_corpus
from aigraph.extract import extract, load_pipeline
from aigraph.fileio import atomic_write_text
from aigraph.graph import build_dataset, merge, write_graph
from aigraph.model import CLASSES, PREDICATES, Document, Extraction, GraphData
from aigraph.view import write_html

log = logging.getLogger(__name__)

GRAPH_TRIG = "graph.trig"
GRAPH_TTL = "graph.ttl"
GRAPH_HTML = "graph.html"
REPORT_JSON = "report.json"


@dataclass
class BuildResult:
    out_dir: Path
    files: list[Path]
    report: dict[str, Any] = field(default_factory=dict)


def build(
    corpus: str | Path,
    out_dir: str | Path,
    *,
    on_documents: Callable[[list[Document]], None] | None = None,
    on_document: Callable[[Document], None] | None = None,
) -> BuildResult:
    """Build the graph of every document in `corpus` into `out_dir`; existing outputs are replaced atomically."""
    started = time.perf_counter()
    out = Path(out_dir)
    documents = read_corpus(corpus)
    if on_documents is not None:
        on_documents(documents)
    nlp = load_pipeline()
    extractions = extract(documents, nlp, progress=on_document)
    data = merge(extractions)
    trig, ttl = write_graph(build_dataset(extractions), out)
    html = out / GRAPH_HTML
    write_html(data, html, title=f"aigraph: {Path(corpus).name or corpus}")
    report = make_report(extractions, data, time.perf_counter() - started)
    atomic_write_text(out / REPORT_JSON, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log.info("built %d documents into %s", len(documents), out)
    return BuildResult(out, [trig, ttl, html, out / REPORT_JSON], report)


def make_report(extractions: list[Extraction], data: GraphData, seconds: float) -> dict[str, Any]:
    classes: Counter[str] = Counter(t for c in data.concepts.values() for t in c.types)
    predicates: Counter[str] = Counter(r.predicate for r in data.relations)
    return {
        "documents": [
            {
                "file": ex.doc.name,
                "title": ex.doc.title,
                "sha256": ex.doc.sha256,
                "characters": len(ex.doc.raw),
                "mentions": len(ex.mentions),
                "concepts": len(ex.concepts),
                "relations": len(ex.relations),
            }
            for ex in extractions
        ],
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
