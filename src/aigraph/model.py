"""Plain data passed between the stages: corpus -> extract -> graph -> query/view.

Every stage takes and returns these frozen dataclasses, so each can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The four concept classes of the ontology, in chain order.
CLASSES: tuple[str, ...] = ("Stage", "Technique", "Risk", "Intervention")

#: predicate -> (allowed subject classes, allowed object classes), as in ontology/aigraph.ttl.
PREDICATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "usesTechnique": (("Stage",), ("Technique",)),
    "introducesRisk": (("Stage", "Technique"), ("Risk",)),
    "mitigatedBy": (("Risk",), ("Intervention",)),
    "appliesAt": (("Intervention",), ("Stage",)),
}


@dataclass(frozen=True)
class Document:
    """One source file, its cleaned text and the map from cleaned offsets to file offsets."""

    name: str  # file name relative to the corpus root, with forward slashes
    path: str  # absolute path at read time (not written to the graph: it is machine-specific)
    sha256: str
    raw: str  # the decoded file content, exactly
    text: str  # cleaned text fed to the NLP pipeline
    offsets: tuple[int, ...]  # offsets[i] = position in `raw` of text[i]; len == len(text) + 1
    title: str = ""
    #: Blocks of `text` (paragraph, heading, list item): (start, end, index of the block of the
    #: innermost heading above it, or -1).
    blocks: tuple[tuple[int, int, int], ...] = ()
    #: False when text/offsets/blocks were not computed yet (a build whose extraction of this file is
    #: cached needs only its title); `aigraph.corpus.cleaned` fills them in.
    cleaned: bool = True

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of cleaned text to the span of the file it came from."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True)
class Concept:
    """A lexicon entry or a concept found in text."""

    key: str  # stable slug used to mint the IRI, e.g. "fine-tuning"
    label: str
    types: tuple[str, ...]  # subset of CLASSES, primary type first
    alt_labels: tuple[str, ...] = ()
    definition: str = ""


@dataclass(frozen=True)
class Mention:
    """A concept occurrence: offsets index the original file (Document.raw)."""

    concept: str  # Concept.key
    text: str  # Document.raw[start:end]
    start: int
    end: int


@dataclass(frozen=True)
class Evidence:
    """Why one relation is believed: the sentence that states it and the rule that fired."""

    doc: str  # Document.name
    sentence: str  # cleaned sentence text
    start: int  # sentence span in the original file
    end: int
    subject: Mention
    object: Mention
    rule: str
    confidence: float  # in [0, 1]
    hedged: bool = False


@dataclass(frozen=True)
class Relation:
    subject: str  # Concept.key
    predicate: str  # one of PREDICATES
    object: str  # Concept.key


@dataclass
class Candidate:
    """A noun phrase that looks like a domain concept but matches no lexicon entry."""

    term: str  # lower case, determiners dropped
    guess: str  # the class its head noun suggests
    count: int
    example: str  # the first sentence it occurs in
    doc: str  # the document of that sentence


@dataclass
class Extraction:
    """What the extractor found in one document."""

    doc: Document
    concepts: dict[str, Concept] = field(default_factory=dict)  # key -> concept (types as used here)
    mentions: list[Mention] = field(default_factory=list)
    relations: dict[Relation, list[Evidence]] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)  # term -> candidate not in the lexicon


@dataclass
class GraphData:
    """All documents' extractions merged: what the graph, the view and the report are built from."""

    documents: list[Document] = field(default_factory=list)
    concepts: dict[str, Concept] = field(default_factory=dict)  # key -> concept, types merged
    relations: dict[Relation, list[Evidence]] = field(default_factory=dict)  # sorted evidence lists
