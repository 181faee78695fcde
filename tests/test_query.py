"""The query layer on a real pyoxigraph store loaded from tests/data/small.trig (no mocks)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from aigraph.errors import AigraphError, InputError, QueryError, QueryRefused, QuerySyntaxError, QueryTimeout
from aigraph.query import (
    Term,
    check_query,
    graph_names,
    load_store,
    run_named,
    run_query,
)
from aigraph.worker import QueryPool

DATA = Path(__file__).parent / "data" / "small.trig"
C = "https://w3id.org/aigraph/concept/"
E = "https://w3id.org/aigraph/evidence/"
AIG = "https://w3id.org/aigraph/ontology#"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store(DATA)


# --------------------------------------------------------------------------- loading


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "graph.trig"
    with pytest.raises(InputError, match="aigraph build") as info:
        load_store(missing)
    assert str(missing) in str(info.value)
    assert isinstance(info.value, AigraphError)


def test_unparseable_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "graph.trig"
    bad.write_text("<a:s> <a:p> <a:o> <a:g> } not trig", encoding="utf-8")
    with pytest.raises(InputError, match="aigraph build") as info:
        load_store(bad)
    assert "graph.trig" in str(info.value)


def test_unknown_suffix_is_an_input_error(tmp_path: Path) -> None:
    other = tmp_path / "graph.xml"
    other.write_text("<rdf:RDF/>", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.trig"):
        load_store(other)


def test_nquads_file_gives_the_same_chains(store: ox.Store, tmp_path: Path) -> None:
    nq = tmp_path / "graph.nq"
    nq.write_bytes(ox.serialize(store, format=ox.RdfFormat.N_QUADS) or b"")
    assert run_named(load_store(nq), "chains") == run_named(store, "chains")


def test_turtle_union_file_in_the_default_graph_works(store: ox.Store, tmp_path: Path) -> None:
    ttl = tmp_path / "graph.ttl"
    triples = ox.serialize((q.triple for q in store), format=ox.RdfFormat.N_TRIPLES) or b""
    ttl.write_bytes(triples)
    assert run_named(load_store(ttl), "relations") == run_named(store, "relations")


# --------------------------------------------------------------------------- run_query


def test_standard_prefixes_are_predeclared_and_a_query_may_override_them(store: ox.Store) -> None:
    text = "SELECT ?l WHERE { aigc:bias rdfs:label ?l }"
    assert run_query(store, text).rows == [("bias",)]  # once, though two graphs state it
    assert run_query(store, "SELECT DISTINCT ?l WHERE { aigc:bias rdfs:label ?l }").rows == [("bias",)]
    override = "PREFIX aigc: <http://example.org/other/>\n" + text
    assert run_query(store, override).rows == []


def test_ask_construct_blank_and_unbound(store: ox.Store) -> None:
    asked = run_query(store, "ASK { aigc:bias a aig:Risk }")
    assert (asked.kind, asked.columns, asked.rows, asked.boolean) == ("ask", ["ask"], [("true",)], True)
    assert run_query(store, "ASK { aigc:bias a aig:Stage }").rows == [("false",)]
    assert run_query(store, "ASK { aigc:bias a aig:Stage }").boolean is False
    text = "CONSTRUCT { ?r rdfs:label ?l } WHERE { VALUES ?r { aigc:misuse aigc:bias } ?r rdfs:label ?l }"
    built = run_query(store, text)
    assert built.columns == ["subject", "predicate", "object"] and built.kind == "graph"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    assert built.rows == [(C + "bias", label, "bias"), (C + "misuse", label, "misuse")]
    text = "SELECT ?b ?u WHERE { BIND(BNODE() AS ?b) OPTIONAL { ?x aig:nothing ?u } }"
    row = run_query(store, text).rows[0]
    assert row[0] is not None and row[0].startswith("_:") and row[1] is None


def test_syntax_error_has_line_and_column(store: ox.Store) -> None:
    with pytest.raises(QuerySyntaxError, match=r"invalid SPARQL at line 1, column \d+: expected") as info:
        run_query(store, "SELECT ?x WHERE { ?x ?p }")
    assert isinstance(info.value, QueryError) and info.value.exit_code == 2
    with pytest.raises(QuerySyntaxError) as info:
        run_query(store, "SELECT ?x\nWHERE {\n  ?x ?p foo:bar .\n  ?a ?b ?c\n}")
    assert (info.value.line, info.value.column) == (3, 16)  # Oxigraph's position: after the unknown prefix
    assert "Prefix not found" in str(info.value)
    assert "\n    ?x ?p foo:bar .\n" in str(info.value)  # the line, then a caret under the column
    assert str(info.value).splitlines()[2] == " " * 17 + "^"


def test_terms_keep_their_type(store: ox.Store) -> None:
    text = """SELECT ?iri ?plain ?lang ?int ?dec ?bool ?b ?unbound WHERE {
        BIND(aigc:bias AS ?iri) BIND("p" AS ?plain) BIND("x"@en-GB AS ?lang) BIND(3 AS ?int)
        BIND(0.5 AS ?dec) BIND(true AS ?bool) BIND(BNODE() AS ?b) OPTIONAL { ?x aig:nothing ?unbound } }"""
    (row,) = run_query(store, text).solutions
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert row[:6] == (Term("uri", C + "bias"), Term("literal", "p"), Term("literal", "x", lang="en-gb"),
                       Term("literal", "3", xsd + "integer"), Term("literal", "0.5", xsd + "decimal"),
                       Term("literal", "true", xsd + "boolean"))  # fmt: skip
    assert row[6] is not None and row[6].type == "bnode" and row[6].text == "_:" + row[6].value
    assert row[7] is None
    assert Term.of(row[2].to_ox()) == row[2] and Term.of(row[3].to_ox()) == row[3]


def test_max_rows_truncates_and_says_so(store: ox.Store) -> None:
    text = "SELECT ?l WHERE { ?c rdfs:label ?l } ORDER BY ?l"
    everything = run_query(store, text)
    assert not everything.truncated and len(everything.rows) > 3
    capped = run_query(store, text, max_rows=3)
    assert capped.truncated and capped.rows == everything.rows[:3]
    exact = run_query(store, text, max_rows=len(everything.rows))
    assert not exact.truncated and exact.rows == everything.rows
    graph = run_query(store, "CONSTRUCT WHERE { ?c rdfs:label ?l }", max_rows=2)
    assert graph.truncated and len(graph.rows) == 2
    assert not run_query(store, "ASK { ?s ?p ?o }", max_rows=1).truncated


def test_from_a_document_graph_restricts_the_query(store: ox.Store) -> None:
    assert graph_names(store) == {"https://w3id.org/aigraph/graph/doc-one", "https://w3id.org/aigraph/graph/doc-two"}
    text = "SELECT DISTINCT ?f {} WHERE { ?d aig:fileName ?f } ORDER BY ?f"
    assert run_query(store, text.replace("{}", "", 1)).rows == [("000_alpha.txt",), ("001_beta.txt",)]
    one = text.replace("{}", "FROM <https://w3id.org/aigraph/graph/doc-one>", 1)
    assert run_query(store, one).rows == [("000_alpha.txt",)]
    prefixed = "PREFIX g: <https://w3id.org/aigraph/graph/>\n" + text.replace("{}", "FROM g:doc-two", 1)
    assert run_query(store, prefixed).rows == [("001_beta.txt",)]
    named = ("SELECT ?g WHERE { GRAPH ?g { ?d a aig:Document } } "
             "ORDER BY ?g").replace("WHERE", "FROM NAMED <https://w3id.org/aigraph/graph/doc-two> WHERE")
    assert run_query(store, named).rows == [("https://w3id.org/aigraph/graph/doc-two",)]
    for outside in ("FROM <file:///etc/passwd>", "FROM NAMED <http://127.0.0.1:9/>", "FROM aigc:bias",
                    "FROM <https://w3id.org/aigraph/graph/doc-three>"):
        with pytest.raises(QueryRefused, match=r"is outside the store: it may only name a document's graph"):
            run_query(store, text.replace("{}", outside, 1))


def test_protocol_dataset_must_be_in_the_store(store: ox.Store) -> None:
    text = "SELECT DISTINCT ?f WHERE { ?d aig:fileName ?f } ORDER BY ?f"
    rows = run_query(store, text, default_graphs=["https://w3id.org/aigraph/graph/doc-two"]).rows
    assert rows == [("001_beta.txt",)]
    with pytest.raises(QueryRefused, match="default-graph-uri <file:///etc/passwd> is outside the store"):
        run_query(store, text, default_graphs=["file:///etc/passwd"])
    with pytest.raises(QueryRefused, match="named-graph-uri"):
        run_query(store, text, named_graphs=["http://example.org/g"])


# --------------------------------------------------------------------------- safety

REJECTED_REMOTE = [
    "SELECT * WHERE { SERVICE <http://ex/sparql> { ?s ?p ?o } }",
    "select * where { service <http://ex/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o .SeRvIcE SILENT <http://ex/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o.SERVICE<http://ex/>{ ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE # a comment\n <http://ex/> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(\"a\\\"\" AS ?x) SERVICE ?endpoint { ?s ?p ?o } }",
    "SELECT * WHERE { BIND('''it's '' here''' AS ?x) service <http://ex/> { } }",
    # escaped characters in prefixed names must not open a comment or a string for the scanner
    "PREFIX ex: <http://ex/>\nSELECT * WHERE { ?s ?p ex:a\\# . SERVICE <http://ex/> { ?s ?p ?o } }",
    "PREFIX ex: <http://ex/>\nSELECT * WHERE { ?s ?p ex:a\\' . SERVICE <http://ex/> { } . ?s ?p ex:b\\' }",
]
REJECTED_UPDATE = [
    "LOAD <http://ex/data.ttl>",
    "load <http://ex/data.ttl> INTO GRAPH <http://ex/g>",
    "INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }",
    "insert data { <http://ex/a> <http://ex/b> 'x' }",
    "DELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
    "drop # comment\n all",
    "DROP\tSILENT GRAPH <http://ex/g>",
    "CLEAR DEFAULT",
    "CREATE GRAPH <http://ex/g>",
    "ADD DEFAULT TO <http://ex/g>",
    "MOVE <http://ex/a> TO <http://ex/b>",
    "copy default to <http://ex/g>",
    "WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
    'SELECT * WHERE { ?s ?p "#" } ; DROP ALL',
    "SELECT * WHERE { ?s ?p <http://ex/a#b> } ; Drop All",
]
REJECTED_FROM = [
    "SELECT * FROM <http://ex/g> WHERE { ?s ?p ?o }",
    "select * from named <http://ex/g> where { graph ?g { ?s ?p ?o } }",
    "SELECT *\nFROM\n# comment\n<http://ex/g> WHERE { }",
    "SELECT * FrOm NaMeD<http://ex/g> WHERE { }",
]


@pytest.mark.parametrize("text", REJECTED_REMOTE)
def test_service_is_rejected_unless_allowed(text: str) -> None:
    with pytest.raises(QueryError, match=r"SERVICE .*--allow-remote"):
        check_query(text)
    check_query(text, allow_remote=True)  # passes the check; never executed here


@pytest.mark.parametrize("text", REJECTED_UPDATE)
@pytest.mark.parametrize("allow_remote", [False, True])
def test_updates_are_always_rejected(text: str, allow_remote: bool) -> None:
    with pytest.raises(QueryError, match="read-only"):
        check_query(text, allow_remote=allow_remote)


@pytest.mark.parametrize("text", REJECTED_FROM)
@pytest.mark.parametrize("allow_remote", [False, True])
def test_dataset_clauses_are_rejected(text: str, allow_remote: bool) -> None:
    with pytest.raises(QueryError, match=r"use GRAPH <iri> \{ \} instead"):
        check_query(text, allow_remote=allow_remote)


def test_rejection_names_the_line(store: ox.Store) -> None:
    with pytest.raises(QueryError, match=r"SERVICE \(line 4\)"):
        run_query(store, 'SELECT * WHERE {\n  BIND("""\n""" AS ?x)\n  SERVICE <http://ex/> { } }')


ACCEPTED = [
    'SELECT ?s WHERE { ?s rdfs:label "SERVICE" }',
    "SELECT ?s WHERE { ?s rdfs:label 'drop all' }",
    'SELECT ?s WHERE { ?s rdfs:label """LOAD\nINSERT { } \\""" from""" }',
    "SELECT ?s WHERE { ?s rdfs:label '''from ' '' named''' }",
    "SELECT ?s WHERE { ?s ?p <http://ex/load> }",
    "SELECT ?s WHERE { ?s <http://ex/service#drop> ?o }",
    "# SERVICE <http://ex/> in a comment; DROP ALL\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 0",
    "SELECT ?service ?load ?from $drop WHERE { ?service ?load ?from . ?from ?x $drop } LIMIT 0",
    "PREFIX load: <http://ex/>\nSELECT ?s WHERE { ?s load:insert aigc:delete-copy }",
    'SELECT ?s WHERE { ?s rdfs:label "x"@from }',
    "PREFIX ex: <http://ex/>\nSELECT * WHERE { ?s ?p ex:a\\# . ?s ?p ex:b\\' . ?s ?p ex:c\\' }",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_keywords_in_literals_iris_comments_and_names_are_fine(store: ox.Store, text: str) -> None:
    check_query(text)
    assert run_query(store, text).rows == []


# --------------------------------------------------------------------------- QueryPool: queries in worker processes

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def test_pool_answers_like_run_query(store: ox.Store) -> None:
    with QueryPool(DATA, workers=2) as pool:
        assert len(pool.pids) == 2 and pool.graphs == graph_names(store)
        for text in ("SELECT ?l WHERE { ?c rdfs:label ?l } ORDER BY ?l", "ASK { ?s ?p ?o }",
                     "DESCRIBE aigc:bias", "SELECT ?b WHERE { BIND(BNODE() AS ?b) FILTER(false) }"):
            assert pool.run(text) == run_query(store, text)
        assert pool.run_named("chains") == run_named(store, "chains")


def test_pool_timeout_kills_the_worker_and_replaces_it() -> None:
    with QueryPool(DATA, workers=1, timeout=0.5) as pool:
        (before,) = pool.pids
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"ran past the 0\.5 s time limit and was stopped"):
            pool.run(SLOW)
        assert time.monotonic() - started < 1.0
        assert pool.run("ASK { ?s ?p ?o }").boolean is True  # waits for the replacement
        (after,) = pool.pids
        assert after != before
        assert gone(before)  # the killed worker is gone, not left computing


def gone(pid: int) -> bool:
    """True once process `pid` (a worker this test started) no longer exists; reaping may take a moment."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_pool_refuses_before_any_worker_sees_the_query() -> None:
    with QueryPool(DATA, workers=1, timeout=5) as pool:
        pids = pool.pids
        for text in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "LOAD <file:///etc/passwd>"):
            with pytest.raises(QueryRefused):
                pool.run(text)
        with pytest.raises(QuerySyntaxError, match="line 1"):
            pool.run("SELECT ?x WHERE { ?x ?p foo:bar }")
        assert pool.pids == pids


def test_pool_survives_a_dead_worker_and_says_when_all_are_busy() -> None:
    with QueryPool(DATA, workers=1, timeout=1.0, queue_timeout=0.2) as pool:
        (pid,) = pool.pids
        os.kill(pid, signal.SIGKILL)  # a worker this test started dies (say, out of memory)
        time.sleep(0.2)
        with pytest.raises(QueryError, match="stopped unexpectedly"):
            pool.run("ASK {}")
        assert pool.run("ASK {}").boolean is True
        def slow_query() -> None:
            with pytest.raises(QueryTimeout):
                pool.run(SLOW)

        slow = threading.Thread(target=slow_query)
        slow.start()
        time.sleep(0.1)
        with pytest.raises(QueryTimeout, match=r"all 1 query workers stayed busy for 0\.2 s"):
            pool.run("ASK {}")
        slow.join()


def test_pool_with_a_missing_graph_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="aigraph build"):
        QueryPool(tmp_path / "graph.trig")
