"""The project's spaCy components, registered as factories like spaCy's own `span_ruler`.

- `aigraph_concepts`: lexicon concepts found over lemmas and lower-case forms, longest match first.
  Patterns come in through `initialize(..., concepts=...)`, so they survive `nlp.initialize()` order.
- `aigraph_relations`: typed relations between concept spans of one sentence (see `rules.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from aigraph.lexicon import load_cues
from aigraph.model import Concept
from aigraph.rules import find_relations

SPAN_KEY = "aigraph_concepts"
_HYPHENS = frozenset({"-", "\u2010", "\u2011", "\u2013"})
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")

if not Doc.has_extension("aigraph_relations"):
    Doc.set_extension("aigraph_relations", default=None)


def singular(word: str) -> str:
    """A crude, context-free singular used on both sides of the match (pattern and text)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word


def _token_forms(token: Token) -> set[str]:
    """Lower-case forms match ordinary labels; the exact text (minus a plural s) matches acronyms."""
    lower = token.lower_
    text = token.text
    forms = {singular(lower), singular(token.lemma_.lower()), lower, text, text.removesuffix("s")}
    if lower.endswith("ed") and len(lower) > 4:  # the tagger misses some participles: "fine tuned"
        forms.update((lower[:-1], lower[:-2]))
    return forms


class ConceptMatcher:
    """Finds lexicon concepts in a Doc; writes them to `doc.spans["aigraph_concepts"]`.

    Each span's `kb_id_` is the concept key and `label_` its default class.
    """

    def __init__(self, nlp: Language, name: str = "aigraph_concepts") -> None:
        self.nlp = nlp
        self.name = name
        self.trie: dict[str, Any] = {}
        self.concepts: dict[str, Concept] = {}
        self.stop_heads: frozenset[str] = frozenset()
        self.acronyms: dict[str, str] = {}  # defined in the document being read: "PTE" -> concept key

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        concepts: Sequence[Concept] = (),
        modifier_stop_heads: Iterable[str] = (),
    ) -> None:
        self.trie = {}
        self.stop_heads = frozenset(modifier_stop_heads)
        self.concepts = {c.key: c for c in concepts}
        for concept in concepts:
            for label in (concept.label, *concept.alt_labels):
                self._add(label, concept.key)

    def _add(self, label: str, key: str) -> None:
        words = [t.text for t in self.nlp.tokenizer(label) if t.text not in _HYPHENS and not t.is_space]
        node = self.trie
        for word in words:
            form = word if _ACRONYM.match(word) else singular(word.lower())
            node = node.setdefault(form, {})
        # First entry wins: a label shared by two concepts keeps the one sorted first (deterministic).
        node.setdefault("", key)

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        i = 0
        while i < len(doc):
            match = self._longest(doc, i) or self._acronym(doc, i)
            if match is None:
                i += 1
                continue
            end, key = match
            span = Span(doc, i, end, label=self.concepts[key].types[0], kb_id=key)
            if not self._is_modifier(span):
                spans.append(span)
            i = end
        self._learn_acronyms(doc, spans)
        if doc.has_annotation("DEP"):
            spans = sorted(spans + self._ellipses(doc, spans), key=lambda sp: sp.start)
        doc.spans[SPAN_KEY] = spans
        return doc

    def begin_document(self) -> None:
        """Forget the acronyms defined in the previous document."""
        self.acronyms = {}

    def _learn_acronyms(self, doc: Doc, spans: list[Span]) -> None:
        """"post-training enhancements (PTEs)": PTE names that concept for the rest of the document."""
        for span in spans:
            if span.end + 2 < len(doc) and doc[span.end].text == "(" and doc[span.end + 2].text == ")":
                acronym = doc[span.end + 1].text
                if _ACRONYM.match(acronym.removesuffix("s")) and acronym[0].lower() == span.text[0].lower():
                    self.acronyms.setdefault(acronym.removesuffix("s"), span.kb_id_)

    def _acronym(self, doc: Doc, i: int) -> tuple[int, str] | None:
        key = self.acronyms.get(doc[i].text.removesuffix("s")) if self.acronyms else None
        return (i + 1, key) if key is not None else None

    def _ellipses(self, doc: Doc, spans: list[Span]) -> list[Span]:
        """Conjuncts that share a word with their neighbours: "data auditing, filtering, and labeling"
        names data filtering and data labeling; "cleaning and filtering data" names data cleaning."""
        covered = {i for sp in spans for i in range(sp.start, sp.end)}
        by_root = {sp.root.i: sp for sp in spans}
        found: list[Span] = []
        for token in doc:
            coordinated = token.conjuncts or (token.dep_ == "amod" and token.head.conjuncts)
            if token.i in covered or token.pos_ not in ("NOUN", "VERB", "PROPN") or not coordinated:
                continue
            for words in self._completions(token, by_root):
                key = self._lookup(words)
                if key is not None:
                    found.append(Span(doc, token.i, token.i + 1, label=self.concepts[key].types[0], kb_id=key))
                    break
        return found

    @staticmethod
    def _completions(token: Token, by_root: dict[int, Span]) -> Iterator[list[Token]]:
        for conj in token.conjuncts:
            sibling = by_root.get(conj.i)
            if sibling is not None and len(sibling) > 1 and sibling.root.i == sibling.end - 1:
                yield [*sibling[:-1], token]  # shared modifier: "data" auditing, [data] filtering
        group = (token, *token.conjuncts)
        nouns = [c for w in group for c in w.children if c.dep_ in ("dobj", "compound") and c.pos_ == "NOUN"]
        nouns += [w for w in group[1:] if w.pos_ == "NOUN" and w.i > token.i]  # "cleaning, ... data"
        if token.dep_ == "amod":
            nouns.append(token.head)  # "filtering data"
        for noun in nouns:
            yield [noun, token]  # shared object: cleaning ... data -> data cleaning

    def _lookup(self, words: list[Token]) -> str | None:
        node = self.trie
        for word in words:
            nxt = next((node[f] for f in sorted(_token_forms(word)) if f in node), None)
            if nxt is None:
                return None
            node = nxt
        key = node.get("")
        return key if isinstance(key, str) else None

    def _is_modifier(self, span: Span) -> bool:
        root = span.root
        return root.dep_ in ("compound", "amod", "nmod") and root.head.lemma_.lower() in self.stop_heads \
            and root.head.i >= span.end

    def _longest(self, doc: Doc, start: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        frontier: list[tuple[dict[str, Any], int]] = [(self.trie, start)]
        while frontier:
            node, i = frontier.pop()
            if "" in node and i > start and (best is None or i > best[0]):
                best = (i, node[""])
            if i >= len(doc):
                continue
            token = doc[i]
            if token.text in _HYPHENS and i > start and not doc[i - 1].whitespace_:
                frontier.append((node, i + 1))  # "fine-tuning" == "fine tuning"
                continue
            for form in sorted(_token_forms(token)):
                child = node.get(form)
                if child is not None:
                    frontier.append((child, i + 1))
        return best

    def to_bytes(self, **_: Any) -> bytes:
        raise NotImplementedError("aigraph_concepts is initialized from the lexicon, not serialized")


@Language.factory("aigraph_concepts")
def make_concept_matcher(nlp: Language, name: str) -> ConceptMatcher:
    return ConceptMatcher(nlp, name)


class RelationFinder:
    """Sets `doc._.aigraph_relations` to the typed relations stated in each sentence."""

    def __init__(self, nlp: Language, name: str = "aigraph_relations") -> None:
        self.name = name
        self.concepts: dict[str, Concept] = {}
        self.cues = load_cues()

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        concepts: Sequence[Concept] = (),
    ) -> None:
        self.concepts = {c.key: c for c in concepts}

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans.get(SPAN_KEY, []))
        doc._.aigraph_relations = find_relations(doc, spans, self.concepts, self.cues)
        return doc


@Language.factory("aigraph_relations")
def make_relation_finder(nlp: Language, name: str) -> RelationFinder:
    return RelationFinder(nlp, name)
