"""`aigraph export`: RDF formats read back to the same graph, GraphML/GEXF networks for Gephi and Cytoscape,
the --class filter, deterministic bytes. The store is made from tests/data/small.trig (no spaCy)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from aigraph.cli import main
from aigraph.export import export
from aigraph.query import load_store, run_query
from aigraph.validate import validate_file
from store_data import store_from_trig

DATA = Path(__file__).resolve().parent / "data" / "small.trig"
AIGC = "https://w3id.org/aigraph/concept/"
FORMATS = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD,
           "turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_from_trig(DATA, tmp_path_factory.mktemp("small"))


def canonical(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """Quads as an Oxigraph store keeps them (decimals by value)."""
    store = ox.Store()
    store.extend(quads)
    return set(store)


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["export", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("fmt", ["trig", "nq", "jsonld"])
def test_quad_formats_hold_the_document_graphs(built: Path, fmt: str) -> None:
    data = export(load_store(built), fmt)
    expected = canonical(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG))
    assert canonical(ox.parse(data, format=FORMATS[fmt])) == expected
    assert export(load_store(built), fmt) == data  # the same bytes every time


@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_triple_formats_hold_the_union(built: Path, fmt: str) -> None:
    data = export(load_store(built), fmt)
    union = {ox.Quad(*q.triple) for q in ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG)}
    assert canonical(ox.parse(data, format=FORMATS[fmt])) == canonical(union)


def test_jsonld_reads_in_rdflib(built: Path) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(data=export(load_store(built), "jsonld"), format="json-ld")
    graphs = {str(getattr(q[3], "identifier", q[3])) for q in dataset.quads((None, None, None, None))}
    assert graphs == {"https://w3id.org/aigraph/graph/doc-one", "https://w3id.org/aigraph/graph/doc-two"}
    expected = len(list(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG)))
    assert sum(1 for _ in dataset.quads((None, None, None, None))) == expected


def test_export_from_the_store_matches_the_graph_file_order(built: Path) -> None:
    trig = export(load_store(built), "trig").decode()
    graphs = [line for line in trig.splitlines() if line.startswith("<https://w3id.org/aigraph/graph/")]
    assert graphs == sorted(graphs) and len(graphs) == 2  # the ontology graph is not exported
    assert "@prefix aig: <https://w3id.org/aigraph/ontology#> .\n" in trig


def read_network(data: bytes, fmt: str) -> nx.MultiDiGraph:
    graph = nx.read_graphml(io.BytesIO(data)) if fmt == "graphml" else nx.read_gexf(io.BytesIO(data))
    return nx.MultiDiGraph(graph)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_has_concepts_and_relations(built: Path, fmt: str) -> None:
    store = load_store(built)
    data = export(store, fmt)
    network = read_network(data, fmt)
    concepts = run_query(store, "SELECT DISTINCT ?c WHERE { ?c a ?t FILTER(?t IN (aig:Stage, aig:Technique, "
                                "aig:Risk, aig:Intervention)) }").rows
    relations = run_query(store, "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(?p IN (aig:usesTechnique, "
                                 "aig:introducesRisk, aig:mitigatedBy, aig:appliesAt)) }").rows
    assert set(network.nodes) == {c[0] for c in concepts}
    assert network.number_of_edges() == len(relations)
    node = network.nodes[AIGC + "fine-tuning"]
    assert node["label"] == "fine-tuning" and node["class"] == "Technique"
    edges = network.get_edge_data(AIGC + "model-training", AIGC + "fine-tuning")
    (edge,) = edges.values()
    assert edge["predicate"] == "usesTechnique" and edge["evidence"] == 2
    assert edge["confidence"] == 0.95  # the higher of its evidence's 0.90 and 0.95
    assert export(store, fmt) == data
    assert b"lastmodifieddate" not in data


def test_class_filter(built: Path, tmp_path: Path) -> None:
    store = load_store(built)
    network = read_network(export(store, "graphml", ["Risk", "Intervention"]), "graphml")
    assert network.number_of_nodes() > 0
    assert all(set(d["classes"].split(";")) & {"Risk", "Intervention"} for _, d in network.nodes(data=True))
    assert {d["predicate"] for _, _, d in network.edges(data=True)} == {"mitigatedBy"}
    turtle = export(store, "turtle", ["Risk", "Intervention"])
    path = tmp_path / "risks.ttl"
    path.write_bytes(turtle)
    conforms, text = validate_file(path)  # a coherent graph: every mention's evidence and concept are in it
    assert conforms, text
    subset = load_store(path)
    predicates = {r[0] for r in run_query(subset, "SELECT DISTINCT ?p WHERE { ?e rdf:predicate ?p }").rows}
    assert predicates == {"https://w3id.org/aigraph/ontology#mitigatedBy"}
    assert run_query(subset, "ASK { ?d a aig:Document }").boolean


def test_cli(built: Path, tmp_path: Path) -> None:
    code, out, _ = run("--store", str(built), "--format", "nt")
    assert code == 0 and out == export(load_store(built), "nt")
    target = tmp_path / "graph.gexf"
    code, _, err = run("--store", str(built), "--format", "gexf", "--class", "risk", "-o", str(target))
    assert code == 0 and f"wrote {target}" in err
    assert target.read_bytes() == export(load_store(built), "gexf", ["Risk"])
    code, out, _ = run("--store", str(DATA), "--format", "turtle")  # a graph file works too
    assert code == 0 and out == export(load_store(built), "turtle")
    code, _, err = run("--store", str(built), "--format", "xml")
    assert code == 2 and "Invalid value for '--format'" in err
    code, _, err = run("--store", str(tmp_path / "nothing"), "--format", "nt")
    assert code == 1 and err.startswith("Error:") and "no such build folder" in err and "aigraph build" in err
