"""Extraction throughput: aigraph's extractor against the bare spaCy pipeline over the same text, same run.

    .venv/bin/python bench/extract.py [CORPUS]      (default: ../shared/corpus/atlas, beside the project)

Prints words per second for both and their ratio (aigraph / bare spaCy). Machines are noisy, so only the
ratio of two measurements taken in the same process means anything. Exits 0 with a note when the corpus
is absent.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import spacy

from aigraph.corpus import read_corpus
from aigraph.extract import MODELS, extract, load_pipeline

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "atlas"


def bare_pipeline() -> spacy.language.Language:
    for name in MODELS:
        try:
            return spacy.load(name, exclude=["ner"])
        except OSError:
            continue
    raise SystemExit("no spaCy English pipeline installed")


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not corpus.exists():
        print(f"skipped: corpus {corpus} not found")
        return 0
    documents = read_corpus(corpus)
    words = sum(len(d.text.split()) for d in documents)
    print(f"{len(documents)} documents, {words} words, {sum(len(d.raw) for d in documents)} characters")

    bare = bare_pipeline()
    started = time.perf_counter()
    for _ in bare.pipe(d.text for d in documents):
        pass
    bare_s = time.perf_counter() - started

    nlp = load_pipeline()
    started = time.perf_counter()
    results = extract(documents, nlp)
    ours_s = time.perf_counter() - started

    relations = sum(len(r.relations) for r in results)
    print(f"bare spaCy nlp.pipe : {bare_s:7.2f} s  {words / bare_s:9.0f} words/s")
    print(f"aigraph extract     : {ours_s:7.2f} s  {words / ours_s:9.0f} words/s  ({relations} relations)")
    print(f"ratio aigraph/bare  : {bare_s / ours_s:.2f} (1.00 = as fast as the bare pipeline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
