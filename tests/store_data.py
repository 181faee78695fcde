"""Graph stores for the store, export and push tests (and bench/store.py), made without spaCy.

`store_from_trig` puts a TriG file into a build folder's store exactly as `aigraph build` does (named graphs,
their union in the default graph, the ontology graph). `synthetic_graph` writes a corpus-like graph in the
schema of docs/graph-schema.md, of any size, deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pyoxigraph as ox

from aigraph.lexicon import load_lexicon
from aigraph.model import CLASSES, PREDICATES
from aigraph.store import write_store

AIG = "https://w3id.org/aigraph/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def store_from_trig(trig: Path, out: Path) -> Path:
    """A build folder `out` whose store holds the graphs of `trig`; returns `out`."""
    out.mkdir(parents=True, exist_ok=True)
    quads = list(ox.parse(path=str(trig), format=ox.RdfFormat.TRIG))
    write_files(quads, out)
    write_store(out, out / "graph.nq", out / "graph.nt")
    return out


def write_files(quads: list[ox.Quad], out: Path) -> None:
    """graph.nq (the quads) and graph.nt (their union) in `out`."""
    (out / "graph.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
    union = sorted({q.triple for q in quads}, key=str)
    (out / "graph.nt").write_bytes(ox.serialize(union, format=ox.RdfFormat.N_TRIPLES) or b"")


def synthetic_graph(documents: int, relations: int, *, mentions: int = 40, pool: int = 3000,
                    seed: int = 0) -> list[ox.Quad]:
    """`documents` document graphs shaped like a literature corpus: each states `relations` evidenced relations
    drawn from a pool of `pool` distinct relations with Zipf popularity (a few relations are stated by many
    documents, most by few), between the lexicon's concepts, and mentions `mentions` other concepts. About
    27 triples per evidence record plus 4 per concept mentioned."""
    rng = random.Random(seed)
    lexicon = load_lexicon()
    by_class = {c: [k.key for k in lexicon if c in k.types] for c in CLASSES}
    classes = {k.key: k.types[0] for k in lexicon}
    labels = {k.key: k.label for k in lexicon}
    stated: set[tuple[str, str, str, str, str]] = set()
    while len(stated) < pool:
        predicate = rng.choice(list(PREDICATES))
        domain, range_ = PREDICATES[predicate]
        s_class, o_class = rng.choice(domain), rng.choice(range_)
        stated.add((rng.choice(by_class[s_class]), s_class, predicate, rng.choice(by_class[o_class]), o_class))
    ranked = sorted(stated)
    rng.shuffle(ranked)
    weights = [1 / (rank + 1) for rank in range(len(ranked))]
    keys = sorted(classes)
    quads: list[ox.Quad] = []
    for d in range(documents):
        graph = ox.NamedNode(f"https://w3id.org/aigraph/graph/doc-{d:05d}-md")
        doc = ox.NamedNode(f"https://w3id.org/aigraph/doc/doc-{d:05d}-md")

        def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal, graph: ox.NamedNode = graph) -> None:
            quads.append(ox.Quad(s, ox.NamedNode(p), o, graph))

        add(doc, RDF + "type", ox.NamedNode(AIG + "Document"))
        add(doc, RDFS + "label", ox.Literal(f"Document {d}"))
        add(doc, AIG + "fileName", ox.Literal(f"doc-{d:05d}.md"))
        add(doc, AIG + "sha256", ox.Literal(hashlib.sha256(str(d).encode()).hexdigest()))
        used: dict[str, set[str]] = {k: {classes[k]} for k in rng.sample(keys, min(mentions, len(keys)))}
        for r, (s_key, s_class, predicate, o_key, o_class) in enumerate(rng.choices(ranked, weights, k=relations)):
            used.setdefault(s_key, set()).add(s_class)
            used.setdefault(o_key, set()).add(o_class)
            s, o = _concept(s_key), _concept(o_key)
            add(s, AIG + predicate, o)
            start = 100 * r
            ev = ox.NamedNode(f"https://w3id.org/aigraph/evidence/{hashlib.sha1(f'{d}/{r}'.encode()).hexdigest()[:16]}")
            add(ev, RDF + "type", ox.NamedNode(AIG + "Evidence"))
            add(ev, RDF + "subject", s)
            add(ev, RDF + "predicate", ox.NamedNode(AIG + predicate))
            add(ev, RDF + "object", o)
            add(ev, AIG + "inDocument", doc)
            add(ev, AIG + "sentence", ox.Literal(f"{labels[s_key]} {predicate} {labels[o_key]} — naïve “case” {r}."))
            add(ev, AIG + "startOffset", _int(start))
            add(ev, AIG + "endOffset", _int(start + 80))
            add(ev, AIG + "rule", ox.Literal(rng.choice(("dep:reduce", "window:mitigate", "heading"))))
            add(ev, AIG + "confidence", ox.Literal(f"{rng.choice((0.5, 0.6, 0.7, 0.8, 0.9)):.2f}",
                                                  datatype=ox.NamedNode(XSD + "decimal")))
            add(ev, AIG + "hedged", ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean")))
            add(ev, PROV + "wasAttributedTo", ox.NamedNode(AIG + "extractor"))
            for suffix, prop, key, offset in (("s", "subjectMention", s_key, 0), ("o", "objectMention", o_key, 40)):
                m = ox.NamedNode(f"{ev.value}-{suffix}")
                add(ev, AIG + prop, m)
                add(m, RDF + "type", ox.NamedNode(AIG + "Mention"))
                add(m, AIG + "mentionOf", _concept(key))
                add(m, AIG + "inDocument", doc)
                add(m, AIG + "text", ox.Literal(labels[key]))
                add(m, AIG + "startOffset", _int(start + offset))
                add(m, AIG + "endOffset", _int(start + offset + len(labels[key])))
        for key, types in sorted(used.items()):
            node = _concept(key)
            for cls in sorted(types):
                add(node, RDF + "type", ox.NamedNode(AIG + cls))
            add(node, RDFS + "label", ox.Literal(labels[key], language="en"))
            add(node, SKOS + "prefLabel", ox.Literal(labels[key], language="en"))
            add(node, SKOS + "inScheme", ox.NamedNode("https://w3id.org/aigraph/lexicon"))
    return quads


def _concept(key: str) -> ox.NamedNode:
    return ox.NamedNode(f"https://w3id.org/aigraph/concept/{key}")


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
