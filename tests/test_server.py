"""`aigraph serve` over real HTTP with real clients (SPARQLWrapper, urllib): results, formats, pages.

The server runs as a subprocess (tests/server_process.py) over the graph of the default corpus, built once
for this module. Safety (refusals, limits, timeout, CORS) is in tests/test_server_safety.py.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from aigraph.cli import main
from aigraph.named import bind_params, named_queries
from server_process import Server, running_server
from sparql_json import validate_sparql_json

ROOT = Path(__file__).resolve().parents[1]
RISKS = "SELECT ?risk ?label WHERE { ?risk a aig:Risk ; rdfs:label ?label } ORDER BY ?label"
NO_CHAIN = ("the default corpus states no complete Stage->Technique->Risk->Intervention chain (its only "
            "introducesRisk links lead to unmitigated risks; see tests/test_end_to_end.py); strict, so it "
            "fails once extraction finds one and this mark must go")


@pytest.fixture(scope="module")
def corpus_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build folder of the default corpus (graph files, graph.html and whatever store the build keeps)."""
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def server(corpus_graph: Path) -> Iterator[Server]:
    with running_server(corpus_graph, "--timeout", "5", "--max-rows", "1000") as running:
        yield running
    assert running.process.returncode == 0, "".join(running.stderr)
    assert "Traceback" not in "".join(running.stderr)


def cli_json(graph: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["query", "--graph", str(graph), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def cli_results(corpus_graph: Path) -> dict[str, dict[str, Any]]:
    """`aigraph query --name NAME --format json` of every named query (with its example parameters)."""
    results = {}
    for name, query in named_queries().items():
        params = [arg for key, value in query.example for arg in ("--param", f"{key}={value}")]
        results[name] = cli_json(corpus_graph, "--name", name, *params)
    return results


def wrapper(server: Server, query: str, fmt: str = JSON, post: bool = False) -> SPARQLWrapper:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if post:
        client.setMethod(POST)
    return client


# --------------------------------------------------------------------------- the bars


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_sparqlwrapper_gets_the_same_rows_as_the_cli(server: Server, cli_results: dict[str, dict[str, Any]],
                                                     name: str) -> None:
    query = named_queries()[name]
    text = bind_params(query, dict(query.example))
    expected = cli_results[name]
    validate_sparql_json(expected)
    for post in (False, True):
        got = wrapper(server, text, post=post).query().convert()
        validate_sparql_json(got)
        assert got == expected


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NO_CHAIN)) if n == "chains" else n
    for n in sorted(named_queries())
])  # fmt: skip
def test_every_named_query_returns_rows_on_the_default_corpus(cli_results: dict[str, dict[str, Any]],
                                                              name: str) -> None:
    assert cli_results[name]["results"]["bindings"], name


# --------------------------------------------------------------------------- SPARQLWrapper


def test_sparqlwrapper_formats(server: Server, corpus_graph: Path) -> None:
    expected = cli_json(corpus_graph, RISKS)["results"]["bindings"]
    labels = [b["label"]["value"] for b in expected]
    assert labels and labels == sorted(labels)
    rows = list(csv.reader(io.StringIO(wrapper(server, RISKS, CSV).query().convert().decode("utf-8"))))
    assert rows[0] == ["risk", "label"] and [r[1] for r in rows[1:]] == labels
    tsv = wrapper(server, RISKS, TSV, post=True).query().convert().decode("utf-8").splitlines()
    assert tsv[0] == "?risk\t?label" and [line.split("\t")[1] for line in tsv[1:]] == [f'"{x}"@en' for x in labels]
    document = wrapper(server, RISKS, XML).query().convert()  # a parsed xml.dom.minidom document
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert literals == labels
    assert wrapper(server, "ASK { ?r a aig:Risk }").query().convert() == {"head": {}, "boolean": True}


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside SPARQLWrapper
def test_sparqlwrapper_construct_as_turtle_and_rdfxml(server: Server) -> None:
    text = "CONSTRUCT { ?r rdfs:label ?l } WHERE { ?r a aig:Risk ; rdfs:label ?l }"
    turtle = wrapper(server, text, TURTLE).query().convert()
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    graph_xml = wrapper(server, text, XML).query().convert()  # RDF/XML, parsed by SPARQLWrapper into rdflib
    assert isinstance(graph_xml, rdflib.Graph)
    assert len(graph) == len(graph_xml) > 0
    assert set(graph) == set(graph_xml)


def test_sparqlwrapper_sees_a_syntax_error_as_bad_query(server: Server) -> None:
    with pytest.raises(QueryBadFormed, match="line 1, column"):
        wrapper(server, "SELECT ?x WHERE { ?x ?p foo:bar }").query()


# --------------------------------------------------------------------------- protocol, with urllib


def test_get_and_both_posts_agree(server: Server) -> None:
    by_get = server.get(RISKS)
    by_form = server.post_form({"query": RISKS})
    by_body = server.request("/sparql", method="POST", data=RISKS.encode("utf-8"),
                             headers={"Content-Type": "application/sparql-query; charset=utf-8"})
    for reply in (by_get, by_form, by_body):
        assert reply.status == 200 and reply.media_type == "application/sparql-results+json"
        assert reply.headers["x-aigraph-max-rows"] == "1000" and "x-aigraph-truncated" not in reply.headers
        validate_sparql_json(json.loads(reply.body))
    assert by_get.body == by_form.body == by_body.body


@pytest.mark.parametrize(("accept", "media"), [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),  # a browser
])  # fmt: skip
def test_select_content_negotiation(server: Server, accept: str | None, media: str) -> None:
    reply = server.get(RISKS, accept)
    assert reply.status == 200 and reply.media_type == media
    assert "Accept" in reply.headers.get("vary", "")
    if media.endswith("json"):
        validate_sparql_json(json.loads(reply.body))
    elif media.endswith("xml"):
        ET.fromstring(reply.body)
    elif media == "text/csv":
        assert reply.text.startswith("risk,label\r\n")
    else:
        assert reply.text.startswith("?risk\t?label\n<https://w3id.org/aigraph/concept/")


@pytest.mark.parametrize(("accept", "media", "fmt"), [
    (None, "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("text/turtle;q=0.2, application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
])  # fmt: skip
def test_graph_content_negotiation(server: Server, accept: str | None, media: str, fmt: ox.RdfFormat) -> None:
    reply = server.get("DESCRIBE aigc:fine-tuning", accept)
    assert reply.status == 200 and reply.media_type == media
    triples = list(ox.parse(reply.body, format=fmt))
    assert ("https://w3id.org/aigraph/concept/fine-tuning", "fine-tuning") in {
        (t.subject.value, t.object.value) for t in triples  # type: ignore[union-attr]
    }


def test_format_parameter_and_not_acceptable(server: Server) -> None:
    assert server.get(RISKS, format="csv").media_type == "text/csv"
    assert server.get(RISKS, "text/csv", format="xml").media_type == "application/sparql-results+xml"
    assert server.get("DESCRIBE aigc:bias", format="nt").media_type == "application/n-triples"
    assert server.get("DESCRIBE aigc:bias", format="json").media_type == "text/turtle"  # no JSON for graphs
    reply = server.get(RISKS, "image/png")
    assert reply.status == 406 and "application/sparql-results+json" in reply.text


def test_protocol_errors(server: Server) -> None:
    assert server.request("/sparql").status == 400  # no query
    assert "missing the query parameter" in server.request("/sparql").text
    reply = server.request(f"/sparql?query={RISKS}&query=ASK%7B%7D".replace(" ", "%20"))
    assert reply.status == 400 and "one query parameter" in reply.text
    reply = server.request("/sparql", method="POST", data=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert reply.status == 415 and "application/sparql-query" in reply.text
    assert server.request("/sparql", method="PUT", data=b"ASK {}").status == 405
    assert server.request("/sparql", method="DELETE").status == 405
    reply = server.request("/sparql", method="POST", data=b"\xff\xfe", headers={
        "Content-Type": "application/sparql-query"})
    assert reply.status == 400 and "UTF-8" in reply.text
    reply = server.get("SELECT ?x WHERE {\n  ?x ?p foo:bar .\n}")
    assert reply.status == 400 and reply.text.startswith("Error: invalid SPARQL at line 2, column 16")
    assert server.request("/nowhere").status == 404


def test_row_cap_is_stated_never_silent(server: Server) -> None:
    everything = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    reply = server.get(everything)
    assert reply.status == 200 and reply.headers["x-aigraph-truncated"] == "true"
    assert "the row cap" in reply.headers["x-aigraph-note"]
    document = json.loads(reply.body)
    validate_sparql_json(document)
    assert len(document["results"]["bindings"]) == 1000 and document["aigraph"]["truncated"] is True
    csv_reply = server.get(everything, "text/csv")
    assert csv_reply.headers["x-aigraph-truncated"] == "true" and csv_reply.text.count("\r\n") == 1001
    assert "truncated" in server.get("CONSTRUCT WHERE { ?s ?p ?o }").text.splitlines()[0]


# --------------------------------------------------------------------------- pages and named queries


def test_the_graph_file_gives_the_same_rows_as_the_build_folder(corpus_graph: Path,
                                                               cli_results: dict[str, dict[str, Any]]) -> None:
    for name in ("relations", "source-agreement", "documents"):
        params = [arg for key, value in named_queries()[name].example for arg in ("--param", f"{key}={value}")]
        assert cli_json(corpus_graph / "graph.trig", "--name", name, *params) == cli_results[name], name


def test_html_view_is_served_at_the_root(server: Server, corpus_graph: Path) -> None:
    reply = server.request("/")
    assert reply.status == 200 and reply.media_type == "text/html"
    assert reply.body == (corpus_graph / "graph.html").read_bytes()


def test_query_page(server: Server) -> None:
    page = server.request("/query")
    assert page.status == 200 and page.media_type == "text/html"
    assert '<form method="post" action="/query">' in page.text and "<textarea" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for needle in ('src="http', "src='http", 'href="http', "//cdn", "<script"):
        assert needle not in page.text  # nothing from outside, no script
    shown = server.request(f"/query?query={RISKS.replace(' ', '%20')}")
    assert shown.status == 200 and "<th>risk</th><th>label</th>" in shown.text
    assert "/sparql?query=SELECT" in shown.text and "format=csv" in shown.text
    posted = server.request("/query", method="POST", data=b"query=ASK+%7B+%3Fs+%3Fp+%3Fo+%7D",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status == 200 and "<strong>true</strong>" in posted.text
    bad = server.request("/query?query=SELECT%20%3Cx")
    assert bad.status == 400 and 'class="error"' in bad.text and "invalid SPARQL" in bad.text
    hostile = server.request("/query?query=SELECT%20*%20WHERE%20%7B%3Cscript%3E")
    assert "<script>" not in hostile.text and "&lt;script&gt;" in hostile.text
    named = server.request("/query?name=evidence")
    assert named.status == 200 and "VALUES (?concept_label) { (&#34;fine-tuning&#34;) }" in named.text


def test_named_query_routes(server: Server, cli_results: dict[str, dict[str, Any]]) -> None:
    listed = json.loads(server.request("/queries").body)
    assert [q["name"] for q in listed] == list(named_queries())
    evidence = next(q for q in listed if q["name"] == "evidence")
    assert evidence["params"] == [{"name": "concept_label", "required": True,
                                   "description": named_queries()["evidence"].params[0].description}]
    reply = server.request("/queries/evidence?concept_label=fine-tuning")
    assert reply.status == 200 and json.loads(reply.body) == cli_results["evidence"]
    assert server.request("/queries/risks-by-stage?format=csv").media_type == "text/csv"
    assert server.request("/queries/nope").status == 404
    missing = server.request("/queries/evidence")
    assert missing.status == 400 and "concept_label" in missing.text
