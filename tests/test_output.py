"""format_result: exact text for each format, including awkward values, typed terms and empty results."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from aigraph.output import FORMATS, GRAPH_FORMATS, format_result, results_json
from aigraph.query import QueryResult, Term, load_store, named_queries, run_named, run_query
from sparql_json import validate_sparql_json

XSD = "http://www.w3.org/2001/XMLSchema#"
DATA = Path(__file__).parent / "data" / "small.trig"
# A None, a comma, a quote and a newline.
AWKWARD = QueryResult.from_rows(["name", "note"], [("a,b", None), ('say "hi"', "line1\nline2")])
EMPTY = QueryResult.from_rows(["name", "note"], [])
TYPED = QueryResult(["iri", "lit"], [
    (Term("uri", "http://ex/a"), Term("literal", "chat", lang="fr")),
    (Term("bnode", "b0"), Term("literal", "3", XSD + "integer")),
    (None, Term("literal", "tab\there", None)),
])  # fmt: skip


def test_table() -> None:
    lines = [
        "name     | note",
        "---------+-------------",
        "a,b      |",
        'say "hi" | line1\\nline2',
        "(2 rows)",
    ]
    assert format_result(AWKWARD, "table") == "\n".join(lines) + "\n"


def test_csv_is_w3c_with_crlf() -> None:
    assert format_result(AWKWARD, "csv") == 'name,note\r\n"a,b",\r\n"say ""hi""","line1\nline2"\r\n'
    assert format_result(TYPED, "csv") == "iri,lit\r\nhttp://ex/a,chat\r\n_:b0,3\r\n,tab\there\r\n"
    assert list(csv.reader(io.StringIO(format_result(AWKWARD, "csv"), newline=""))) == [
        ["name", "note"], ["a,b", ""], ['say "hi"', "line1\nline2"]]


def test_tsv_writes_terms_in_turtle_syntax() -> None:
    assert format_result(TYPED, "tsv") == '?iri\t?lit\n<http://ex/a>\t"chat"@fr\n_:b0\t3\n\t"tab\\there"\n'
    assert format_result(AWKWARD, "tsv") == '?name\t?note\n"a,b"\t\n"say \\"hi\\""\t"line1\\nline2"\n'
    odd = QueryResult(["x"], [(Term("literal", "1.5e3x", XSD + "double"),), (Term("literal", "2.0", XSD + "decimal"),)])
    assert format_result(odd, "tsv") == f'?x\n"1.5e3x"^^<{XSD}double>\n2.0\n'  # bare only when valid


def test_json_is_sparql_results_json() -> None:
    document = json.loads(format_result(TYPED, "json"))
    validate_sparql_json(document)
    assert document == {"head": {"vars": ["iri", "lit"]}, "results": {"bindings": [
        {"iri": {"type": "uri", "value": "http://ex/a"}, "lit": {"type": "literal", "value": "chat", "xml:lang": "fr"}},
        {"iri": {"type": "bnode", "value": "b0"},
         "lit": {"type": "literal", "value": "3", "datatype": XSD + "integer"}},
        {"lit": {"type": "literal", "value": "tab\there"}},
    ]}}  # fmt: skip
    assert format_result(AWKWARD, "json").count("\n") == 1  # one line, non-ASCII kept
    assert json.loads(format_result(QueryResult.from_rows(["z"], [("é",)]), "json"))["results"]["bindings"] == [
        {"z": {"type": "literal", "value": "é"}}]


def test_xml_is_sparql_results_xml() -> None:
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(format_result(TYPED, "xml").encode("utf-8"))
    assert [v.get("name") for v in root.findall("s:head/s:variable", ns)] == ["iri", "lit"]
    results = root.findall("s:results/s:result", ns)
    assert len(results) == 3
    first = {b.get("name"): b[0] for b in results[0]}
    assert first["iri"].tag == "{" + ns["s"] + "}uri" and first["iri"].text == "http://ex/a"
    assert first["lit"].get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    second = {b.get("name"): b[0] for b in results[1]}
    assert second["iri"].tag.endswith("bnode") and second["lit"].get("datatype") == XSD + "integer"
    assert [b.get("name") for b in results[2]] == ["lit"]  # unbound: no binding element
    awkward = ET.fromstring(format_result(AWKWARD, "xml").encode("utf-8"))
    assert awkward.findall("s:results/s:result", ns)[1][0][0].text == 'say "hi"'


def test_markdown() -> None:
    pipes = QueryResult.from_rows(["a|b"], [("x|y",), (None,)])
    assert format_result(pipes, "md") == "| a\\|b |\n|---|\n| x\\|y |\n|  |\n"
    assert format_result(AWKWARD, "md").splitlines()[3] == '| say "hi" | line1\\\\nline2 |'


def test_zero_rows() -> None:
    assert format_result(EMPTY, "table") == "name | note\n-----+-----\n(0 rows)\n"
    assert format_result(EMPTY, "csv") == "name,note\r\n"
    assert format_result(EMPTY, "tsv") == "?name\t?note\n"
    assert json.loads(format_result(EMPTY, "json")) == {"head": {"vars": ["name", "note"]}, "results": {"bindings": []}}
    assert format_result(EMPTY, "md") == "| name | note |\n|---|---|\n"


def test_ask_results() -> None:
    store = ox.Store()
    yes, no = run_query(store, "ASK {}"), run_query(store, "ASK { ?s ?p ?o }")
    assert json.loads(format_result(yes, "json")) == {"head": {}, "boolean": True}
    assert json.loads(format_result(no, "json")) == {"head": {}, "boolean": False}
    validate_sparql_json(results_json(yes))
    assert "<boolean>false</boolean>" in format_result(no, "xml")
    assert format_result(yes, "table").endswith("\n(1 row)\n")


def test_table_escapes_tabs_and_never_truncates() -> None:
    long = "x" * 500
    result = QueryResult.from_rows(["a", "b"], [("tab\there", long), ("日本", "\r\x01")])
    lines = [
        "a         | b",
        "----------+-" + "-" * 500,
        "tab\\there | " + long,
        "日本      | \\r\\x01",
        "(2 rows)",
    ]
    assert format_result(result, "table") == "\n".join(lines) + "\n"


def test_truncation_is_stated_wherever_the_format_has_room() -> None:
    cut = QueryResult(AWKWARD.columns, AWKWARD.solutions, truncated=True)
    assert format_result(cut, "table").endswith("\n(2 rows; truncated: the query has more than these 2 rows "
                                                "(the row cap); narrow it or raise the cap)\n")
    assert format_result(cut, "md").endswith("\n\n*truncated: the query has more than these 2 rows (the row cap); "
                                             "narrow it or raise the cap*\n")
    document = json.loads(format_result(cut, "json"))
    validate_sparql_json(document)
    assert document["aigraph"] == {"truncated": True, "rows": 2, "note": document["aigraph"]["note"]}
    assert "aigraph" not in json.loads(format_result(AWKWARD, "json"))  # uncut: plain W3C JSON
    assert "<!-- truncated: " in format_result(cut, "xml")
    ET.fromstring(format_result(cut, "xml").encode("utf-8"))  # still well-formed
    assert format_result(cut, "csv") == format_result(AWKWARD, "csv")  # no room: the caller says it


def test_graph_results_as_turtle_ntriples_and_rdfxml() -> None:
    store = load_store(DATA)
    text = "CONSTRUCT { ?r rdfs:label ?l ; aig:n 2 } WHERE { VALUES ?r { aigc:misuse aigc:bias } ?r rdfs:label ?l }"
    result = run_query(store, text)
    for fmt in GRAPH_FORMATS:
        parsed = ox.parse(format_result(result, fmt).encode("utf-8"), format={
            "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}[fmt])
        triples = {(str(q.subject), str(q.predicate), str(q.object)) for q in parsed}
        assert len(triples) == 4, fmt
        assert ("<https://w3id.org/aigraph/concept/bias>", "<http://www.w3.org/2000/01/rdf-schema#label>",
                '"bias"@en') in triples
    assert "aigc:bias" in format_result(result, "turtle")  # the predeclared prefixes are used
    cut = run_query(store, text, max_rows=1)
    assert format_result(cut, "turtle").startswith("# truncated: the query has more than these 1 triple")
    assert format_result(cut, "ntriples").startswith("# truncated")
    with pytest.raises(ValueError, match="turtle, ntriples, rdfxml"):
        format_result(result, "json")


def test_unknown_format_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="table, csv, tsv, json, md, xml"):
        format_result(AWKWARD, "yaml")
    assert FORMATS == ("table", "csv", "tsv", "json", "md", "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_named_query_formats(fmt: str) -> None:
    store = load_store(DATA)
    for name, query in named_queries().items():
        result = run_named(store, name, dict(query.example))
        text = format_result(result, fmt)
        assert text.endswith("\n")
        if fmt == "json":
            validate_sparql_json(json.loads(text))
