"""The namespaces aigraph mints and reads, as plain strings: one list for the graph writer, the query
engine (its worker processes stay rdflib-free), the exports and the evaluator."""

from __future__ import annotations

AIG = "https://w3id.org/aigraph/ontology#"
CONCEPT_NS = "https://w3id.org/aigraph/concept/"
DOC_NS = "https://w3id.org/aigraph/doc/"
EVIDENCE_NS = "https://w3id.org/aigraph/evidence/"
GRAPH_NS = "https://w3id.org/aigraph/graph/"
LEXICON_GRAPH = "https://w3id.org/aigraph/lexicon"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"

#: Prefixes of the written files, and the ones every query may use without declaring them (a query's own
#: PREFIX lines win). The order is the order of the @prefix lines in graph.trig/graph.ttl.
PREFIXES: dict[str, str] = {
    "aig": AIG,
    "aigc": CONCEPT_NS,
    "aigd": DOC_NS,
    "aige": EVIDENCE_NS,
    "prov": PROV,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}
