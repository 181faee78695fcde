"""Extractions -> an RDF dataset: one named graph per document, evidence records built on PROV-O.

IRIs are minted here from checked keys only (never from raw text), so every IRI is valid and stable:
the same corpus always gives the same IRIs and byte-identical files.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from aigraph import vocab
from aigraph.errors import BuildError
from aigraph.fileio import atomic_write_bytes
from aigraph.lexicon import AIG, CONCEPT_NS, KEY_PATTERN, slug
from aigraph.model import Concept, Document, Evidence, Extraction, GraphData, Mention, Relation

AIGC = Namespace(CONCEPT_NS)
AIGD = Namespace(vocab.DOC_NS)
AIGE = Namespace(vocab.EVIDENCE_NS)
GRAPH_NS = vocab.GRAPH_NS
LEXICON = URIRef(vocab.LEXICON_GRAPH)
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
    """A distinct IRI-safe slug per document name; a hash suffix only where two names would collide.

    Names are file names, so anything may be in them (spaces, quotes, `<>`, emoji, right-to-left text, line
    breaks): the slug keeps lower-case ASCII letters and digits only, and a name with none is "document".
    """
    base = {n: slug(n) or "document" for n in sorted(set(names))}
    result = dict(base)
    for length in (8, 16, 40):  # a longer hash suffix if a suffixed slug meets another name's slug
        counts = Counter(result.values())
        clashing = [n for n, s in result.items() if counts[s] > 1]
        if not clashing:
            break
        for n in clashing:
            result[n] = f"{base[n]}-{_hash(n)[:length]}"
    return result


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


def build_dataset(extractions: list[Extraction], duplicates: Iterable[tuple[Document, str]] = ()) -> Dataset:
    """One named graph per document; a duplicate (a file with the bytes of the document named second)
    gets a graph with its own aig:Document only, `prov:alternateOf` that document: both sources stay."""
    dataset = Dataset()
    for prefix, ns in vocab.PREFIXES.items():
        dataset.bind(prefix, ns)
    duplicates = list(duplicates)
    slugs = doc_slugs([*(ex.doc.name for ex in extractions), *(doc.name for doc, _ in duplicates)])
    for ex in sorted(extractions, key=lambda e: e.doc.name):
        graph = dataset.graph(iri(GRAPH_NS, slugs[ex.doc.name]))
        _add_document(graph, ex, iri(AIGD, slugs[ex.doc.name]))
    for doc, original in duplicates:
        graph = dataset.graph(iri(GRAPH_NS, slugs[doc.name]))
        node = iri(AIGD, slugs[doc.name])
        _describe(graph, doc, node)
        graph.add((node, PROV.alternateOf, iri(AIGD, slugs[original])))
    return dataset


def _describe(graph: Graph, doc: Document, doc_iri: URIRef) -> None:
    graph.add((doc_iri, RDF.type, AIG.Document))
    graph.add((doc_iri, RDFS.label, Literal(doc.title)))
    graph.add((doc_iri, AIG.fileName, Literal(doc.name)))
    graph.add((doc_iri, AIG.sha256, Literal(doc.sha256)))


def _add_document(graph: Graph, ex: Extraction, doc_iri: URIRef) -> None:
    _describe(graph, ex.doc, doc_iri)
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
    trig, ttl = out_dir / "graph.trig", out_dir / "graph.ttl"
    triples = sorted({q.triple for q in quads}, key=lambda t: _quad_order(ox.Quad(*t)))
    # Both serialized before either is written: a failure leaves both old files as they were.
    trig_bytes = _bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=vocab.PREFIXES))
    ttl_bytes = _bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=vocab.PREFIXES))
    atomic_write_bytes(trig, trig_bytes)
    atomic_write_bytes(ttl, ttl_bytes)
    return trig, ttl


def _bytes(data: bytes | None) -> bytes:
    return data or b""


def _to_ox(term: Node) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(literal_text(str(term)), language=term.language)
        datatype = term.datatype or XSD.string
        return ox.Literal(literal_text(str(term)), datatype=ox.NamedNode(str(datatype)))
    raise BuildError(f"unexpected RDF term {term!r} in the dataset")


def literal_text(text: str) -> str:
    """`text` as RDF can carry it: a lone surrogate (never decoded from a file, but a caller of the library
    may pass one) becomes U+FFFD; every other character, control characters included, is kept and escaped
    by the serializers."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _to_ox_quad(quad: tuple[Node, Node, Node, Node | Graph | None]) -> ox.Quad:
    s, p, o, g = quad
    graph = ox.NamedNode(str(g.identifier if isinstance(g, Graph) else g))
    return ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o), graph)  # type: ignore[arg-type]


def _quad_order(quad: ox.Quad) -> tuple[str, str, bool, str, str]:
    # rdf:type first within a subject, as people write Turtle.
    return str(quad.graph_name), str(quad.subject), quad.predicate.value != str(RDF.type), \
        str(quad.predicate), str(quad.object)
