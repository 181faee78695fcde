"""Extractions -> an RDF dataset: one named graph per document, evidence records built on PROV-O.

IRIs are minted here from checked keys only (never from raw text), so every IRI is valid and stable:
the same corpus always gives the same IRIs and byte-identical files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from aigraph.errors import BuildError
from aigraph.fileio import atomic_write_bytes
from aigraph.lexicon import AIG, CONCEPT_NS, KEY_PATTERN, slug
from aigraph.model import Concept, Evidence, Extraction, GraphData, Mention, Relation

AIGC = Namespace(CONCEPT_NS)
AIGD = Namespace("https://w3id.org/aigraph/doc/")
AIGE = Namespace("https://w3id.org/aigraph/evidence/")
GRAPH_NS = "https://w3id.org/aigraph/graph/"
LEXICON = URIRef("https://w3id.org/aigraph/lexicon")
PREFIXES = {"aig": AIG, "aigc": AIGC, "aigd": AIGD, "aige": AIGE, "prov": PROV, "skos": SKOS}
_IRI = re.compile(r"^https://w3id\.org/aigraph/[a-z]+[/#][A-Za-z0-9-]+$")


def merge(extractions: Iterable[Extraction]) -> GraphData:
    """Union of all documents: concept classes merged, evidence lists concatenated and sorted."""
    data = GraphData()
    for ex in extractions:
        data.documents.append(ex.doc)
        for key, concept in ex.concepts.items():
            old = data.concepts.get(key)
            types = concept.types if old is None else tuple(dict.fromkeys(old.types + concept.types))
            data.concepts[key] = Concept(key, concept.label, types, concept.alt_labels, concept.definition)
        for relation, evidence in ex.relations.items():
            data.relations.setdefault(relation, []).extend(evidence)
    data.relations = {r: sorted(ev, key=_ev_order) for r, ev in sorted(data.relations.items(), key=_rel_order)}
    data.concepts = dict(sorted(data.concepts.items()))
    return data


def _ev_order(ev: Evidence) -> tuple[str, int, int, int]:
    return ev.doc, ev.start, ev.subject.start, ev.object.start


def _rel_order(item: tuple[Relation, list[Evidence]]) -> tuple[str, str, str]:
    rel = item[0]
    return rel.subject, rel.predicate, rel.object


def doc_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct IRI-safe slug per document name; a hash suffix only where two names would collide."""
    names = sorted(names)
    base = {n: slug(n) or "document" for n in names}
    taken = [b for b in base.values()]
    return {n: b if taken.count(b) == 1 else f"{b}-{_hash(n)[:8]}" for n, b in base.items()}


def _hash(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def iri(namespace: Namespace | str, local: str) -> URIRef:
    """Mint an IRI and check it: rdflib would accept a broken one and fail only when serializing."""
    value = f"{namespace}{local}"
    if not _IRI.match(value):
        raise BuildError(f"refusing to mint invalid IRI {value!r}; this is a bug in aigraph, please report it")
    return URIRef(value)


def concept_iri(key: str) -> URIRef:
    if not KEY_PATTERN.match(key):
        raise BuildError(f"invalid concept key {key!r}: keys are lower-case words joined by hyphens")
    return iri(AIGC, key)


def build_dataset(extractions: list[Extraction]) -> Dataset:
    dataset = Dataset()
    for prefix, ns in PREFIXES.items():
        dataset.bind(prefix, ns)
    slugs = doc_slugs(ex.doc.name for ex in extractions)
    for ex in sorted(extractions, key=lambda e: e.doc.name):
        graph = dataset.graph(iri(GRAPH_NS, slugs[ex.doc.name]))
        _add_document(graph, ex, iri(AIGD, slugs[ex.doc.name]))
    return dataset


def _add_document(graph: Graph, ex: Extraction, doc_iri: URIRef) -> None:
    graph.add((doc_iri, RDF.type, AIG.Document))
    graph.add((doc_iri, RDFS.label, Literal(ex.doc.title)))
    graph.add((doc_iri, AIG.fileName, Literal(ex.doc.name)))
    graph.add((doc_iri, AIG.sha256, Literal(ex.doc.sha256)))
    for concept in ex.concepts.values():
        node = concept_iri(concept.key)
        for cls in concept.types:
            graph.add((node, RDF.type, AIG[cls]))
        graph.add((node, RDFS.label, Literal(concept.label, lang="en")))
        graph.add((node, SKOS.prefLabel, Literal(concept.label, lang="en")))
        graph.add((node, SKOS.inScheme, LEXICON))
    for relation, evidence in ex.relations.items():
        s, p, o = concept_iri(relation.subject), AIG[relation.predicate], concept_iri(relation.object)
        graph.add((s, p, o))
        for ev in evidence:
            _add_evidence(graph, (s, p, o), ev, doc_iri)


def _add_evidence(graph: Graph, triple: tuple[URIRef, URIRef, URIRef], ev: Evidence, doc_iri: URIRef) -> None:
    s, p, o = triple
    node = iri(AIGE, _hash(ev.doc, s, p, o, ev.subject.start, ev.object.start)[:16])
    graph.add((node, RDF.type, AIG.Evidence))
    graph.add((node, RDF.subject, s))
    graph.add((node, RDF.predicate, p))
    graph.add((node, RDF.object, o))
    graph.add((node, AIG.inDocument, doc_iri))
    graph.add((node, AIG.sentence, Literal(ev.sentence)))
    graph.add((node, AIG.startOffset, Literal(ev.start, datatype=XSD.integer)))
    graph.add((node, AIG.endOffset, Literal(ev.end, datatype=XSD.integer)))
    graph.add((node, AIG.rule, Literal(ev.rule)))
    graph.add((node, AIG.confidence, Literal(Decimal(f"{ev.confidence:.2f}"), datatype=XSD.decimal)))
    graph.add((node, AIG.hedged, Literal(ev.hedged)))
    graph.add((node, PROV.wasAttributedTo, AIG.extractor))
    for suffix, prop, mention in (("s", AIG.subjectMention, ev.subject), ("o", AIG.objectMention, ev.object)):
        m = URIRef(f"{node}-{suffix}")
        graph.add((node, prop, m))
        _add_mention(graph, m, mention, doc_iri)


def _add_mention(graph: Graph, node: URIRef, mention: Mention, doc_iri: URIRef) -> None:
    graph.add((node, RDF.type, AIG.Mention))
    graph.add((node, AIG.mentionOf, concept_iri(mention.concept)))
    graph.add((node, AIG.inDocument, doc_iri))
    graph.add((node, AIG.text, Literal(mention.text)))
    graph.add((node, AIG.startOffset, Literal(mention.start, datatype=XSD.integer)))
    graph.add((node, AIG.endOffset, Literal(mention.end, datatype=XSD.integer)))


def write_graph(dataset: Dataset, out_dir: Path) -> tuple[Path, Path]:
    """Write `graph.trig` (every named graph) and `graph.ttl` (their union), atomically.

    rdflib's TriG writer orders graphs by hash (different bytes per run); Oxigraph's writer keeps our
    order, so quads are sorted here and the files are byte-identical for the same corpus.
    """
    quads = sorted({_to_ox_quad(q) for q in dataset.quads((None, None, None, None))}, key=_quad_order)
    prefixes = {p: str(ns) for p, ns in {**PREFIXES, "rdf": RDF, "rdfs": RDFS, "xsd": XSD}.items()}
    trig, ttl = out_dir / "graph.trig", out_dir / "graph.ttl"
    atomic_write_bytes(trig, _bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes)))
    triples = sorted({q.triple for q in quads}, key=lambda t: _quad_order(ox.Quad(*t)))
    atomic_write_bytes(ttl, _bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)))
    return trig, ttl


def _bytes(data: bytes | None) -> bytes:
    return data or b""


def _to_ox(term: Node) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = term.datatype or XSD.string
        return ox.Literal(str(term), datatype=ox.NamedNode(str(datatype)))
    raise BuildError(f"unexpected RDF term {term!r} in the dataset")


def _to_ox_quad(quad: tuple[Node, Node, Node, Node | Graph | None]) -> ox.Quad:
    s, p, o, g = quad
    graph = ox.NamedNode(str(g.identifier if isinstance(g, Graph) else g))
    return ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), graph)  # type: ignore[arg-type]


def _quad_order(quad: ox.Quad) -> tuple[str, str, bool, str, str]:
    # rdf:type first within a subject, as people write Turtle.
    return str(quad.graph_name), str(quad.subject), str(quad.predicate) != str(RDF.type), \
        str(quad.predicate), str(quad.object)
