"""Export a built graph, read from its store: RDF formats, and networks for Gephi and Cytoscape.

    trig, nq, jsonld   the documents' named graphs (trig: the quads of the build's graph.trig, in its order)
    turtle, nt         their union, each triple once (turtle: the triples of graph.ttl, in its order)
    graphml, gexf      the concept network (networkx): one node per concept (id: its IRI; label; class:
                       the first of its classes in chain order, classes: all of them joined by ";") and one
                       edge per relation (predicate and label: the predicate's name; confidence: the highest
                       confidence of its evidence; evidence: how many evidence records state it)

`classes` keeps the concepts of those classes, the relations between two kept concepts, their evidence
and mentions, and every document record; with no classes everything is exported. The output is sorted, so
the same graph always exports the same bytes (GEXF's modification date is left out for that reason).
Oxigraph keeps literals of some datatypes by value, so they come out in canonical form: the confidence
"0.50"^^xsd:decimal of graph.trig is exported as 0.5, the same RDF value.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import networkx as nx
import pyoxigraph as ox
from networkx.readwrite.gexf import GEXFWriter

from aigraph import __version__
from aigraph.errors import InputError
from aigraph.graph import _quad_order
from aigraph.model import CLASSES, PREDICATES
from aigraph.store import document_graphs
from aigraph.vocab import AIG, PREFIXES, RDF, RDFS

QUAD_FORMATS = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}
TRIPLE_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
NETWORK_FORMATS = ("graphml", "gexf")
FORMATS: tuple[str, ...] = (*QUAD_FORMATS, *TRIPLE_FORMATS, *NETWORK_FORMATS)

_TYPE = ox.NamedNode(RDF + "type")
_LABEL = ox.NamedNode(RDFS + "label")
_ENDS = (ox.NamedNode(RDF + "subject"), ox.NamedNode(RDF + "object"))
_MENTIONS = (ox.NamedNode(AIG + "subjectMention"), ox.NamedNode(AIG + "objectMention"))
_CLASS_IRIS = {ox.NamedNode(AIG + c): c for c in CLASSES}
_PREDICATE_IRIS = {ox.NamedNode(AIG + p): p for p in PREDICATES}

Statement = ox.Quad | ox.Triple


def export(store: ox.Store, fmt: str, classes: Sequence[str] = ()) -> bytes:
    """The graph of `store` (a build's store, or aigraph.query.load_store of a graph file) in `fmt`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    unknown = sorted(set(classes) - set(CLASSES))
    if unknown:
        raise InputError(f"unknown class {', '.join(unknown)}; choose among {', '.join(CLASSES)}")
    triples = union_triples(store)
    keep = class_filter(triples, classes) if classes else None
    if fmt in NETWORK_FORMATS:
        network = concept_network([t for t in triples if keep is None or keep(t)])
        return network_bytes(network, fmt)
    if fmt in TRIPLE_FORMATS:
        return _serialize([t for t in triples if keep is None or keep(t)], TRIPLE_FORMATS[fmt])
    quads = [q for q in graph_quads(store) if keep is None or keep(q)]
    return _serialize(quads, QUAD_FORMATS[fmt])


def _serialize(statements: Sequence[ox.Quad] | Sequence[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    return ox.serialize(statements, format=fmt, prefixes=PREFIXES) or b""


def graph_quads(store: ox.Store) -> list[ox.Quad]:
    """The quads of every document graph (not the ontology graph), sorted as graph.trig is."""
    quads = [q for g in document_graphs(store) for q in store.quads_for_pattern(None, None, None, g)]
    return sorted(quads, key=_quad_order)


def union_triples(store: ox.Store, *, ordered: bool = True) -> list[ox.Triple]:
    """The union of the document graphs (the store's default graph), each triple once, sorted as graph.ttl is
    (`ordered=False`: in the store's index order, stable for the same data and much faster on big graphs)."""
    quads = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    if not ordered:
        return [q.triple for q in quads]
    return [q.triple for q in sorted(quads, key=_quad_order)]  # the order of aigraph.graph.write_graph


def class_filter(triples: Iterable[ox.Triple], classes: Sequence[str]) -> Callable[[Statement], bool]:
    """A predicate keeping the statements about the concepts of `classes` (see the module docstring)."""
    wanted = {ox.NamedNode(AIG + c) for c in classes}
    concepts: set[Any] = set()
    kept: set[Any] = set()
    ends: dict[Any, list[Any]] = {}  # evidence -> its rdf:subject and rdf:object
    parent: dict[Any, Any] = {}  # mention -> its evidence
    for t in triples:
        if t.predicate == _TYPE and t.object in _CLASS_IRIS:
            concepts.add(t.subject)
            if t.object in wanted:
                kept.add(t.subject)
        elif t.predicate in _ENDS:
            ends.setdefault(t.subject, []).append(t.object)
        elif t.predicate in _MENTIONS:
            parent[t.object] = t.subject
    evidence = {e for e, nodes in ends.items() if all(n in kept for n in nodes)}

    def keep(item: Statement) -> bool:
        s, o = item.subject, item.object
        if s in concepts:
            return s in kept and (o not in concepts or o in kept)
        if s in ends:
            return s in evidence
        if s in parent:
            return parent[s] in evidence
        return True

    return keep


def concept_network(triples: Sequence[ox.Triple]) -> nx.MultiDiGraph:
    """Concepts as nodes, relations as edges, from the union triples (sorted, so insertion order is stable)."""
    types: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    relations: list[tuple[str, str, str]] = []
    evidence: dict[str, dict[str, Any]] = {}
    for t in triples:
        if not isinstance(t.subject, ox.NamedNode) or isinstance(t.object, ox.Triple):
            continue  # the build writes no blank nodes nor quoted triples
        s = t.subject.value
        if t.predicate == _TYPE and t.object in _CLASS_IRIS:
            types.setdefault(s, []).append(_CLASS_IRIS[t.object])  # type: ignore[index]
        elif t.predicate == _LABEL and isinstance(t.object, ox.Literal):
            labels[s] = min(labels.get(s, t.object.value), t.object.value)
        elif t.predicate in _PREDICATE_IRIS and isinstance(t.object, ox.NamedNode):
            relations.append((s, _PREDICATE_IRIS[t.predicate], t.object.value))
        elif t.predicate.value in (RDF + "subject", RDF + "predicate", RDF + "object", AIG + "confidence"):
            evidence.setdefault(s, {})[t.predicate.value.rsplit("#", 1)[1]] = t.object.value
    stats: dict[tuple[str, str, str], tuple[int, float]] = {}
    for record in evidence.values():
        key = (record.get("subject", ""), record.get("predicate", "").rsplit("#", 1)[-1], record.get("object", ""))
        count, best = stats.get(key, (0, 0.0))
        stats[key] = count + 1, max(best, _number(record.get("confidence")))
    network = nx.MultiDiGraph()
    for iri in sorted(types):
        classes = sorted(set(types[iri]), key=CLASSES.index)
        network.add_node(iri, label=labels.get(iri, iri.rsplit("/", 1)[-1]), **{"class": classes[0]},
                         classes=";".join(classes))
    edges = sorted({r for r in relations if r[0] in network and r[2] in network})
    for index, (s, p, o) in enumerate(edges):
        count, best = stats.get((s, p, o), (0, 0.0))
        network.add_edge(s, o, key=f"e{index}", predicate=p, label=p, confidence=best, evidence=count)
    return network


def _number(text: str | None) -> float:
    try:
        return float(Decimal(text)) if text is not None else 0.0
    except InvalidOperation:
        return 0.0


def network_bytes(network: nx.MultiDiGraph, fmt: str) -> bytes:
    if fmt == "graphml":
        return ("\n".join(nx.generate_graphml(network)) + "\n").encode("utf-8")
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is not None:  # today's date would make every export differ
        meta.attrib.pop("lastmodifieddate", None)
        creator = meta.find("creator")
        if creator is None:
            creator = ET.SubElement(meta, "creator")
        creator.text = f"aigraph {__version__}"
    writer.add_graph(network)
    return (str(writer).rstrip("\n") + "\n").encode("utf-8")
