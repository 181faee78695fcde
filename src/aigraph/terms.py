"""Candidate terms: noun phrases with a domain head noun ("... attack", "... monitoring") that no lexicon
concept covers. `aigraph terms` lists them so a user can grow the lexicon (ontology/lexicon.ttl)."""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Doc, Span

from aigraph.lexicon import Cues
from aigraph.model import Candidate, Extraction

_SKIP_POS = frozenset({"DET", "PRON", "PUNCT", "NUM", "SYM", "ADV", "X"})


def collect(doc: Doc, spans: list[Span], cues: Cues, doc_name: str, into: dict[str, Candidate],
            known: frozenset[str] = frozenset()) -> None:
    """Add the candidate terms of one parsed block to `into` (term -> Candidate); `known` holds the
    lower-cased labels of every lexicon entry, deprecated ones included, which are never candidates."""
    if not doc.has_annotation("DEP"):
        return
    covered = {i for s in spans for i in range(s.start, s.end)}
    for chunk in doc.noun_chunks:
        guess = cues.candidate_heads.get(chunk.root.lemma_.lower())
        if guess is None or any(t.i in covered for t in chunk):
            continue
        words = [t for t in chunk if t.pos_ not in _SKIP_POS and any(c.isalpha() for c in t.text)]
        if len(words) < 2 or words[-1] != chunk.root:
            continue  # a bare head noun ("risk", "stage") says nothing a lexicon entry could
        term = " ".join([*(t.lower_ for t in words[:-1]), words[-1].lemma_.lower()])
        if term in known:
            continue
        found = into.get(term)
        if found is None:
            into[term] = Candidate(term, guess, 1, chunk.sent.text.strip(), doc_name)
        else:
            found.count += 1


def merge(extractions: Iterable[Extraction]) -> list[Candidate]:
    """All documents' candidates, most frequent first, then alphabetical (deterministic)."""
    merged: dict[str, Candidate] = {}
    for ex in extractions:
        for term, cand in ex.candidates.items():
            if term in merged:
                merged[term].count += cand.count
            else:
                merged[term] = Candidate(cand.term, cand.guess, cand.count, cand.example, cand.doc)
    return sorted(merged.values(), key=lambda c: (-c.count, c.term))
