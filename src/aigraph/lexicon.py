"""The data files the extractor reads: the SKOS lexicon and the relation cue words.

Both live in `ontology/` (inside the installed package as `aigraph/ontology`), never in Python code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SKOS
from rdflib.term import Node

from aigraph import vocab
from aigraph.errors import InputError
from aigraph.model import CLASSES, PREDICATES, Concept

AIG = Namespace(vocab.AIG)
CONCEPT_NS = vocab.CONCEPT_NS
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def ontology_dir() -> Path:
    """`aigraph/ontology` in an installed wheel, else `ontology/` of the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "ontology", here.parents[1] / "ontology"):
        if (candidate / "aigraph.ttl").is_file():
            return candidate
    raise InputError(f"ontology files not found beside {here}; reinstall aigraph (`pip install .`)")


def slug(text: str) -> str:
    """A concept key from a label: lower-case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))
    return "-".join(words)[:80].strip("-")


@cache
def _lexicon_graph(path: Path | None = None) -> tuple[Graph, Path]:
    """The lexicon file parsed once per process (the concepts and the known labels both come from it)."""
    source = path or ontology_dir() / "lexicon.ttl"
    graph = Graph()
    try:
        graph.parse(source, format="turtle")
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"cannot read lexicon {source}: {exc}") from exc
    return graph, source


@cache
def load_lexicon(path: Path | None = None) -> tuple[Concept, ...]:
    """Concepts of the SKOS lexicon, sorted by key; the default class first in `types`."""
    graph, source = _lexicon_graph(path)
    concepts = []
    for iri in sorted(set(graph.subjects(RDF.type, SKOS.Concept)), key=str):
        if (iri, OWL.deprecated, Literal(True)) not in graph:  # deprecated entries stay, unmatched
            concepts.append(_concept(graph, iri, source))
    return tuple(concepts)


def _concept(graph: Graph, iri: Node, source: Path) -> Concept:
    key = str(iri).removeprefix(CONCEPT_NS)
    if not KEY_PATTERN.match(key):
        raise InputError(f"{source}: concept {iri} must be {CONCEPT_NS}<key> with key like 'fine-tuning'")
    types = sorted(c for c in CLASSES if (iri, RDF.type, AIG[c]) in graph)
    if not types:
        raise InputError(f"{source}: concept {key} has none of the classes {', '.join(CLASSES)}")
    default = graph.value(iri, AIG.defaultClass)
    if isinstance(default, URIRef) and str(default).removeprefix(str(AIG)) in types:
        first = str(default).removeprefix(str(AIG))
        types = [first, *(t for t in types if t != first)]
    label = graph.value(iri, SKOS.prefLabel)
    alts = sorted(str(a) for a in graph.objects(iri, SKOS.altLabel))
    definition = graph.value(iri, SKOS.definition)
    return Concept(
        key=key,
        label=str(label) if label is not None else key.replace("-", " "),
        types=tuple(types),
        alt_labels=tuple(alts),
        definition=str(definition or ""),
    )


@cache
def known_labels(path: Path | None = None) -> frozenset[str]:
    """Every label of the lexicon file, deprecated entries included, lower-cased."""
    graph, _ = _lexicon_graph(path)
    labels = [*graph.objects(None, SKOS.prefLabel), *graph.objects(None, SKOS.altLabel)]
    return frozenset(str(label).lower() for label in labels)


@dataclass(frozen=True)
class Cues:
    """Cue lemmas per predicate, negation and hedge words (ontology/cues.toml)."""

    predicates: dict[str, frozenset[str]]
    negations: frozenset[str]
    hedges: frozenset[str]
    candidate_heads: dict[str, str]  # head lemma -> the class it suggests
    modifier_stop_heads: frozenset[str]


@cache
def load_cues(path: Path | None = None) -> Cues:
    source = path or ontology_dir() / "cues.toml"
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        preds = {p: frozenset(data["predicates"][p]["cues"]) for p in PREDICATES}
        mods = data["modifiers"]
        heads = {head: cls for cls, words in data["candidates"]["heads"].items() for head in words}
        stops = frozenset(data["concepts"]["modifier_stop_heads"])
        return Cues(preds, frozenset(mods["negations"]), frozenset(mods["hedges"]), heads, stops)
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read cue words from {source}: {exc}") from exc
