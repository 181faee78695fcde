"""Relation rules over one parsed sentence: which pairs of concept spans does the text link, and how?

The classes of the two concepts pick the predicate and its direction (a Risk and an Intervention can
only be linked by mitigatedBy, Risk first), so passive voice needs no rule of its own. The text must
supply a cue word of that predicate: on the dependency path between the two spans (strong evidence),
or between them in the text (weaker). A negation on the path drops the pair; a hedge lowers confidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from aigraph.lexicon import Cues
from aigraph.model import PREDICATES, Concept

MAX_PATH = 10  # longer dependency paths mostly join unrelated clauses
MAX_WINDOW = 12  # tokens between two spans for the surface-cue rule
CONF_DEP = 0.85
CONF_WINDOW = 0.6
CONF_TOPIC = 0.45
CONF_COMPOUND = 0.7
HEDGE_FACTOR = 0.75
#: On a tie the more specific predicate wins: mitigation cues ("against") are rarer than causal ones.
PRIORITY = ("mitigatedBy", "introducesRisk", "usesTechnique", "appliesAt")
TEMPORAL = frozenset({"during", "throughout"})
EXAMPLE_PREPS = frozenset({"as", "like", "including"})
OUTSIDE = frozenset({"after", "before", "prior", "beyond", "outside"})
BEFORE = frozenset({"before", "prior"})
ANAPHORS = frozenset({"this", "it", "that", "these", "they", "such"})


@dataclass(frozen=True)
class Found:
    """A relation found in a sentence, before it is mapped to file offsets."""

    subject: Span
    predicate: str
    object: Span
    rule: str
    confidence: float
    hedged: bool
    sentence: Span  # the text that states it: one sentence, or two adjacent ones for an anaphor


def find_relations(doc: Doc, spans: Sequence[Span], concepts: Mapping[str, Concept], cues: Cues) -> list[Found]:
    found: list[Found] = []
    previous: list[Span] = []
    lead = lead_in(doc, spans)
    for sent in doc.sents:
        inside = [s for s in spans if s.start >= sent.start and s.end <= sent.end]
        hedged = any(t.lower_ in cues.hedges for t in sent)
        for i, first in enumerate(inside):
            for second in inside[i + 1 :]:
                if first.kb_id_ != second.kb_id_:
                    best = _best(first, second, concepts, cues, hedged)
                    if best is not None:
                        found.append(best)
        topic = lead if lead is not None else _anaphor_topic(sent, previous)
        if topic is not None:
            rule = "lead-in" if topic is lead else "anaphora"
            stated = doc[min(topic.sent.start, sent.start) : sent.end]
            found.extend(topic_relations(topic, sent, inside, concepts, cues, rule, stated))
        previous = inside
    return found


def lead_in(doc: Doc, spans: Sequence[Span]) -> Span | None:
    """`Concept: text ...` (a list item or paragraph led by a term and a colon): the item is about it."""
    if spans and spans[0].start == 0 and spans[0].end < len(doc) and doc[spans[0].end].text == ":":
        return spans[0]
    return None


def _anaphor_topic(sent: Span, previous: list[Span]) -> Span | None:
    """A sentence opening with "This/It/That/These ..." continues the subject of the sentence before."""
    if not previous or sent[0].lower_ not in ANAPHORS:
        return None
    subjects = [s for s in previous if s.root.dep_ in ("nsubj", "nsubjpass") or s.root.head == s.root]
    return subjects[0] if subjects else None


def topic_relations(topic: Span, sent: Span, inside: list[Span], concepts: Mapping[str, Concept], cues: Cues,
                    rule: str, stated: Span) -> Iterator[Found]:
    """Relations between a topic from outside the sentence and the concepts in it."""
    hedged = any(t.lower_ in cues.hedges for t in sent)
    taken = {i for s in inside for i in range(s.start, s.end)}  # a concept's own words are not cues
    for span in inside:
        if span.kb_id_ == topic.kb_id_ or (span.doc is topic.doc and span.start == topic.start):
            continue
        if any(_negates(t, cues.negations) for t in sent):
            return
        for predicate in PRIORITY:
            domain, range_ = PREDICATES[predicate]
            oriented = _orient(topic, span, concepts, domain, range_)
            # The other end is outside the sentence; prepositions ("in", "at") are everywhere. Under a
            # heading the cue must govern this mention ("Governments implement export controls").
            pool = span.root.ancestors if rule == "heading" else iter(sent)
            cue = next((t for t in pool if (t.pos_ != "ADP" or _temporal_head(t, span)) and t.i not in taken
                        and _cue(t, cues.predicates[predicate])), None)
            if oriented is not None and cue is not None:
                conf = CONF_TOPIC * (HEDGE_FACTOR if hedged else 1.0)
                yield Found(*_triple(oriented, predicate), f"{rule}:{cue.lemma_.lower()}", round(conf, 2), hedged,
                            stated)
                break


def _temporal_head(token: Token, span: Span) -> bool:
    """ "during pre-training": a time preposition governing a stage mention directly places the topic."""
    return token.i == span.root.head.i and token.lower_ in TEMPORAL


def _triple(oriented: tuple[Span, Span], predicate: str) -> tuple[Span, str, Span]:
    return oriented[0], predicate, oriented[1]


def _best(a: Span, b: Span, concepts: Mapping[str, Concept], cues: Cues, hedged: bool) -> Found | None:
    best: Found | None = None
    compound = _compound(a, b, concepts)
    if compound is not None:
        return compound
    path = _dep_path(a, b)
    if path is not None and _parallel_clauses(path):
        return None
    for predicate in PRIORITY:
        domain, range_ = PREDICATES[predicate]
        oriented = _orient(a, b, concepts, domain, range_)
        if oriented is None:
            continue
        subject, obj = oriented
        if _outside(subject, obj, predicate):
            continue
        rule, conf = _evidence(a, b, path, cues.predicates[predicate], cues.negations)
        if rule is None:
            continue
        if hedged:
            conf *= HEDGE_FACTOR
        if best is None or conf > best.confidence:
            best = Found(subject, predicate, obj, rule, round(conf, 2), hedged, a.sent)
    return best


def _outside(subject: Span, obj: Span, predicate: str) -> bool:
    """ "After pre-training, models are fine-tuned": the technique is placed outside that stage.
    "Dangerous even before deployment, due to risks like theft": the risk is not deployment's (a risk
    "after deployment" is)."""
    if predicate == "introducesRisk":
        span, outside = subject, BEFORE
    elif predicate in ("usesTechnique", "appliesAt"):
        span, outside = (subject if predicate == "usesTechnique" else obj), OUTSIDE
    else:
        return False
    head = span.root.head
    return head.lower_ in outside and head.i != span.root.i


def _orient(
    a: Span, b: Span, concepts: Mapping[str, Concept], domain: tuple[str, ...], range_: tuple[str, ...]
) -> tuple[Span, Span] | None:
    ta, tb = set(concepts[a.kb_id_].types), set(concepts[b.kb_id_].types)
    if ta & set(domain) and tb & set(range_):
        return a, b
    if tb & set(domain) and ta & set(range_):
        return b, a
    return None


def _evidence(
    a: Span, b: Span, path: list[Token] | None, cue_set: frozenset[str], negations: frozenset[str]
) -> tuple[str | None, float]:
    if path is not None:
        if any(_negates(t, negations) for t in path):
            return None, 0.0
        for token in path:
            if _cue(token, cue_set) and _attaches(token, a, b):
                return f"dep:{token.lemma_.lower()}", CONF_DEP
    between = a.doc[a.end : b.start]
    if len(between) <= MAX_WINDOW and not any(_negates(t, negations) for t in between):
        for token in between:
            if _cue(token, cue_set) and _attaches(token, a, b):
                return f"window:{token.lemma_.lower()}", CONF_WINDOW
    return None, 0.0


def _attaches(token: Token, a: Span, b: Span) -> bool:
    """A preposition is a cue only where it attaches one of the two concepts ("during pre-training")."""
    if token.pos_ != "ADP":
        return True
    doc = token.doc
    # also the first word of a two-word preposition: "due to", "because of", "prior to"
    return any(g == token.i or (doc[g].pos_ == "ADP" and doc[g].head.i == token.i)
               for g in (governor(a), governor(b)))


def governor(span: Span) -> int:
    """The index of the word a mention hangs from, through coordination ("against A and B" -> against)
    and examples ("via enhancements such as tools" -> via)."""
    token = span.root
    while token.head.i != token.i:
        head = token.head
        if token.dep_ in ("conj", "appos"):
            token = head
        elif token.dep_ == "pobj" and head.lower_ in EXAMPLE_PREPS and head.head.i != head.i:
            token = head.head  # "enhancements such as tools": tools hang where enhancements hang
        else:
            break
    return token.head.i


def _cue(token: Token, cue_set: frozenset[str]) -> bool:
    return token.lemma_.lower() in cue_set or token.lower_ in cue_set


def _negates(token: Token, negations: frozenset[str]) -> bool:
    if token.dep_ == "neg" or token.lower_ in negations:
        return True
    # "rather than preventing X", "instead of X": the adverb hangs from the preposition, off the path
    # between the two concepts ("this instead uses X" is no negation: there it hangs from the verb)
    return any(child.dep_ == "neg" or (token.pos_ == "ADP" and child.dep_ == "advmod" and child.lower_ in negations)
               for child in token.children)


def _compound(a: Span, b: Span, concepts: Mapping[str, Concept]) -> Found | None:
    """A stage naming the phase of the next noun: "pretraining scaling", "deployment monitoring"."""
    if b.start != a.end or not (b.start <= a.root.head.i < b.end):
        return None
    for predicate in ("usesTechnique", "appliesAt"):
        domain, range_ = PREDICATES[predicate]
        oriented = _orient(a, b, concepts, domain, range_)
        if oriented is not None and "Stage" in concepts[a.kb_id_].types:
            return Found(oriented[0], predicate, oriented[1], "compound", CONF_COMPOUND, False, a.sent)
    return None


def _parallel_clauses(path: list[Token]) -> bool:
    """The spans sit in two coordinated clauses ("employing A ..., adjusting B"): each verb has its own
    object, so the sentence does not relate A to B."""
    verbs = [t for t in path if t.pos_ in ("VERB", "AUX")]
    return any(v.dep_ == "conj" and v.head in verbs for v in verbs)


def _dep_path(a: Span, b: Span) -> list[Token] | None:
    """Tokens on the dependency path between the two spans' roots, excluding the spans themselves."""
    up_a = [a.root, *a.root.ancestors]
    up_b = [b.root, *b.root.ancestors]
    common = {t.i for t in up_a} & {t.i for t in up_b}
    if not common:
        return None
    cut_a = next(k for k, t in enumerate(up_a) if t.i in common)
    cut_b = next(k for k, t in enumerate(up_b) if t.i in common)
    tokens = up_a[: cut_a + 1] + up_b[:cut_b][::-1]
    path = [t for t in tokens if not (a.start <= t.i < a.end or b.start <= t.i < b.end)]
    return path if len(path) <= MAX_PATH else None
