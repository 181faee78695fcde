"""Issue 7, IRIs and literals: hostile file names and text (spaces, `<>"{}|^\\``, line breaks, tabs, emoji,
right-to-left text, control characters) give valid IRIs, names that collide after normalization get distinct
ones, and the graph round-trips through TriG, Turtle, N-Triples and JSON-LD (rdflib.compare.isomorphic)."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from aigraph.graph import AIGD, build_dataset, doc_slugs, iri, literal_text, write_graph
from aigraph.model import Document, Extraction
from hostile import Built, build_hostile

AIG = "https://w3id.org/aigraph/ontology#"
OURS = re.compile(r"^https://w3id\.org/aigraph/(doc|graph|concept|evidence)/[a-z0-9]+(-[a-z0-9]+)*$")
HOSTILE_NAMES = [
    "name with spaces.md", 'quote"s <angle> {}|^`\\.md', "emoji \U0001f600.md", "\u05e2\u05d1\u05e8\u05d9\u05ea.md",
    "new\nline.md", "tab\there.md", "ctrl\x00\x1b[31m\x7f.md", "Same Name.md", "same-name.md", "same_name.md",
    "SAME NAME.md", "\U0001f600.md", "\U0001f601.md", "", "-", "...", "a" * 300 + "1.md", "a" * 300 + "2.md",
    "document", "document-" + "0" * 8, "\u202eevil\u202c.md", "\ufeffbom.md",
]


@pytest.fixture(scope="module")
def built() -> Built:
    return build_hostile()


@pytest.fixture(scope="module")
def dataset(built: Built) -> Dataset:
    ds = Dataset()
    ds.parse(built.out / "graph.trig", format="trig")
    return ds


def graphs(ds: Dataset) -> dict[str, Graph]:
    return {str(g.identifier): g for g in ds.graphs() if len(g)}


def union_of(ds: Dataset) -> Graph:
    union = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def test_every_iri_of_the_hostile_build_is_valid_and_ours(built: Built) -> None:
    quads = list(ox.parse(path=str(built.out / "graph.trig"), format=ox.RdfFormat.TRIG))
    assert quads
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                assert ox.NamedNode(term.value) == term  # pyoxigraph validates on construction
                if OURS.match(term.value.rsplit("/", 1)[0] + "/x"):  # a doc, graph, concept or evidence IRI
                    assert OURS.match(term.value.removesuffix("-s").removesuffix("-o")), term.value


def test_names_that_collide_after_normalization_get_distinct_iris(dataset: Dataset, built: Built) -> None:
    docs = {str(o): str(s) for s, _, o in union_of(dataset).triples((None, URIRef(AIG + "fileName"), None))}
    names = built.corpus.documents | set(built.corpus.duplicates)
    assert set(docs) == names  # file names (line breaks, tabs, escapes, quotes...) exact after parsing
    assert len(set(docs.values())) == len(docs)
    colliding = ["Same Name.md", "same-name.md", "same_name.md", "\U0001f600.md", "\U0001f601.md"]
    assert len({docs[n] for n in colliding}) == len(colliding)


def test_slugs_of_hostile_names_are_distinct_valid_and_stable() -> None:
    slugs = doc_slugs(HOSTILE_NAMES)
    assert len(set(slugs.values())) == len(HOSTILE_NAMES)
    for name, value in slugs.items():
        node = iri(AIGD, value)  # raises on anything but a checked IRI
        assert ox.NamedNode(str(node)).value == str(node), name
    assert doc_slugs(reversed(HOSTILE_NAMES)) == slugs


@pytest.mark.parametrize("fmt", ["trig", "nquads", "json-ld"])
def test_named_graphs_round_trip(dataset: Dataset, fmt: str) -> None:
    text = dataset.serialize(format=fmt)
    again = Dataset()
    again.parse(data=text, format=fmt)
    before, after = graphs(dataset), graphs(again)
    assert before.keys() == after.keys() and len(before) > 20
    for name, graph in before.items():
        assert isomorphic(graph, after[name]), name


@pytest.mark.parametrize("fmt", ["turtle", "nt", "json-ld"])
def test_union_round_trips_and_matches_graph_ttl(dataset: Dataset, built: Built, fmt: str) -> None:
    union = union_of(dataset)
    written = Graph().parse(built.out / "graph.ttl", format="turtle")  # Oxigraph's Turtle, read by rdflib
    assert isomorphic(written, union)
    again = Graph().parse(data=union.serialize(format=fmt), format=fmt)
    assert isomorphic(union, again)


def test_hostile_literals_survive_exactly(dataset: Dataset) -> None:
    sentences = {str(o) for o in union_of(dataset).objects(None, URIRef(AIG + "sentence"))}
    assert any("\x1b[31m" in s and "\x07" in s for s in sentences)  # an escape sequence and a bell, as text
    titles = {str(o) for o in union_of(dataset).objects(None, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert "Bell tab RLO \u05e9\u05dc\u05d5\u05dd \U0001f600" in titles
    for fmt in ("turtle", "nt", "json-ld"):
        union = Graph()
        for s, p, o, _ in dataset.quads((None, URIRef(AIG + "sentence"), None, None)):
            union.add((s, p, o))
        again = Graph().parse(data=union.serialize(format=fmt), format=fmt)
        assert {str(o) for o in again.objects()} == sentences, fmt


def test_a_lone_surrogate_from_a_library_caller_is_replaced_not_a_crash(tmp_path: Path) -> None:
    assert literal_text("a\udc80b\ud83d\ude00") == "a\ufffdb\U0001f600"
    doc = Document(name="x\udcff.md", path="", sha256="0" * 64, raw="r", text="r", offsets=(0, 1),
                   title="title \udc80 \x00 end")
    trig, _ = write_graph(build_dataset([Extraction(doc=doc)]), tmp_path)
    parsed = union_of(Dataset().parse(trig, format="trig"))
    assert Literal("title \ufffd \x00 end") in set(parsed.objects())
    assert Literal("x\ufffd.md") in set(parsed.objects())
