"""The query layer on a real pyoxigraph store loaded from tests/data/small.trig (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from aigraph.errors import AigraphError, InputError, QueryError
from aigraph.query import (
    QueryResult,
    check_query,
    load_store,
    named_queries,
    run_named,
    run_query,
    sparql_string,
)

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


# --------------------------------------------------------------------------- named queries

NAMES = {"chains", "concepts", "evidence", "relations", "stats", "unmitigated-risks"}


def test_named_queries_are_packaged_with_description_and_order() -> None:
    queries = named_queries()
    assert set(queries) == NAMES
    for name, query in queries.items():
        assert query.name == name
        assert query.text.startswith("# description: ")
        assert query.description and "\n" not in query.description
        assert "ORDER BY" in query.text
    assert queries["evidence"].params == ("concept_label",)
    assert all(not q.params for n, q in queries.items() if n != "evidence")


def mt_chain(technique: str, risk: str, intervention: str, labels: tuple[str, str, str]) -> tuple[str, ...]:
    return ("model training", *labels, C + "model-training", C + technique, C + risk, C + intervention)


def test_chains_finds_exactly_the_written_chains(store: ox.Store) -> None:
    result = run_named(store, "chains")
    assert result.columns == [
        "stageLabel", "techniqueLabel", "riskLabel", "interventionLabel",
        "stage", "technique", "risk", "intervention",
    ]  # fmt: skip
    assert result.rows == [
        mt_chain("fine-tuning", "data-poisoning", "data-filtering",
                 ("fine-tuning", "data poisoning", "data filtering")),
        mt_chain("fine-tuning", "data-poisoning", "red-teaming",
                 ("fine-tuning", "data poisoning", "red teaming")),
        mt_chain("web-scraping", "privacy-leakage", "differential-privacy",
                 ("web scraping", "privacy leakage", "differential privacy")),
    ]  # fmt: skip


def test_chain_links_really_come_from_different_documents(store: ox.Store) -> None:
    text = """SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } VALUES (?s ?p ?o) {
        (aigc:model-training aig:usesTechnique aigc:web-scraping)
        (aigc:web-scraping aig:introducesRisk aigc:privacy-leakage)
        (aigc:privacy-leakage aig:mitigatedBy aigc:differential-privacy) } } ORDER BY ?g"""
    graphs = [row[0] for row in run_query(store, text).rows]
    assert graphs == [
        "https://w3id.org/aigraph/graph/doc-one",
        "https://w3id.org/aigraph/graph/doc-one",
        "https://w3id.org/aigraph/graph/doc-two",
    ]


def test_unmitigated_risks(store: ox.Store) -> None:
    result = run_named(store, "unmitigated-risks")
    assert result.columns == ["riskLabel", "evidenceCount", "introducedBy", "risk"]
    assert result.rows == [
        ("bias", "3", "deployment; fine-tuning; web scraping", C + "bias"),
        ("misuse", "0", None, C + "misuse"),
    ]


def test_group_concat_follows_the_ordered_subquery() -> None:
    """Pins the pyoxigraph behaviour the queries rely on for a deterministic GROUP_CONCAT."""
    words = [f"w{(i * 37) % 101:03d}" for i in range(60)]
    data = " ".join(f'<a:k{i % 3}> <a:l> "{w}" .' for i, w in enumerate(words))
    store = ox.Store()
    store.load(input="<a:g> { " + data + " }", format=ox.RdfFormat.TRIG)
    text = """SELECT ?k (GROUP_CONCAT(?w; separator=",") AS ?ws)
        WHERE { { SELECT ?k ?w WHERE { ?k <a:l> ?w } ORDER BY ?w } } GROUP BY ?k ORDER BY ?k"""
    for _key, joined in run_query(store, text).rows:
        assert joined is not None
        assert joined.split(",") == sorted(joined.split(","))


def evidence_row(role: str, predicate: str, other: str, file: str, span: tuple[int, int], rule: str,
                 confidence: str, hedged: str, sentence: str, ev: str) -> tuple[str, ...]:  # fmt: skip
    start, end = span
    return ("data poisoning", role, predicate, other, file, str(start), str(end), rule, confidence, hedged,
            sentence, E + ev)  # fmt: skip


DATA_POISONING_EVIDENCE = [
    evidence_row("object", "introducesRisk", "fine-tuning", "000_alpha.txt", (45, 86), "dep-cue:introduce",
                 "0.75", "true", "Fine-tuning can introduce data poisoning.", "00000000000000e2"),
    evidence_row("subject", "mitigatedBy", "data filtering", "000_alpha.txt", (87, 133), "dep-cue:mitigate",
                 "0.8", "false", "Data poisoning is mitigated by data filtering.", "00000000000000e3"),
    evidence_row("subject", "mitigatedBy", "red teaming", "001_beta.txt", (169, 210), "dep-cue:mitigate",
                 "0.7", "false", "Red teaming helps against data poisoning.", "00000000000000ec"),
]  # fmt: skip


@pytest.mark.parametrize("label", ["data poisoning", "DATA Poisoning", "data-poisoning"])
def test_evidence_for_a_concept(store: ox.Store, label: str) -> None:
    result = run_named(store, "evidence", {"concept_label": label})
    assert result.columns == [
        "conceptLabel", "role", "predicate", "otherLabel", "fileName", "startOffset", "endOffset", "rule",
        "confidence", "hedged", "sentence", "evidence",
    ]  # fmt: skip
    assert result.rows == DATA_POISONING_EVIDENCE


def test_evidence_sentence_with_quotes(store: ox.Store) -> None:
    rows = run_named(store, "evidence", {"concept_label": "bias"}).rows
    assert [(r[2], r[3], r[10]) for r in rows] == [
        ("introducesRisk", "deployment", "Deployment introduces bias in new contexts."),
        ("introducesRisk", "fine-tuning", 'Fine-tuning may introduce bias, the "alignment tax".'),
        ("introducesRisk", "web scraping", "Web scraping introduces bias."),
    ]


@pytest.mark.parametrize(
    "hostile",
    ['x" } } ; DROP ALL ; #', 'x" } } UNION { ?s ?p ?o } #', "x\\", 'x\\" } #', "x\\u0022 } #", "a\nb\r\"'"],
)
def test_evidence_param_does_not_inject(store: ox.Store, hostile: str) -> None:
    size = len(store)
    result = run_named(store, "evidence", {"concept_label": hostile})
    assert result.rows == []
    assert len(store) == size


@pytest.mark.parametrize(
    "value", ['x" } } ; DROP ALL ; #', "back\\slash", "\\u0022", "é\n\r\t'\"", "''' \"\"\""]
)
def test_sparql_string_round_trips(store: ox.Store, value: str) -> None:
    result = run_query(store, f"SELECT ?v WHERE {{ VALUES ?v {{ {sparql_string(value)} }} }}")
    assert result.rows == [(value,)]


def test_evidence_without_param_says_which_to_pass(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="--param concept_label="):
        run_named(store, "evidence")


def test_unknown_param_and_unknown_query(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="concept_label"):
        run_named(store, "evidence", {"concept_label": "bias", "extra": "1"})
    with pytest.raises(QueryError, match="no parameters"):
        run_named(store, "chains", {"concept_label": "bias"})
    with pytest.raises(QueryError, match="chains"):
        run_named(store, "no-such-query")


def test_relations(store: ox.Store) -> None:
    result = run_named(store, "relations")
    assert result.columns == [
        "subjectLabel", "predicate", "objectLabel", "evidenceCount", "maxConfidence", "subject", "object",
    ]  # fmt: skip
    assert result.rows == [
        (*labels, C + subject, C + obj)
        for *labels, subject, obj in [
            ("data poisoning", "mitigatedBy", "data filtering", "1", "0.8",
             "data-poisoning", "data-filtering"),
            ("data poisoning", "mitigatedBy", "red teaming", "1", "0.7", "data-poisoning", "red-teaming"),
            ("deployment", "introducesRisk", "bias", "1", "0.65", "deployment", "bias"),
            ("fine-tuning", "introducesRisk", "bias", "1", "0.5", "fine-tuning", "bias"),
            ("fine-tuning", "introducesRisk", "data poisoning", "1", "0.75", "fine-tuning", "data-poisoning"),
            ("model training", "usesTechnique", "fine-tuning", "2", "0.95", "model-training", "fine-tuning"),
            ("model training", "usesTechnique", "web scraping", "1", "0.85",
             "model-training", "web-scraping"),
            ("privacy leakage", "mitigatedBy", "differential privacy", "1", "0.9",
             "privacy-leakage", "differential-privacy"),
            ("red teaming", "appliesAt", "deployment", "1", "0.6", "red-teaming", "deployment"),
            ("web scraping", "introducesRisk", "bias", "1", "0.55", "web-scraping", "bias"),
            ("web scraping", "introducesRisk", "privacy leakage", "1", "0.7",
             "web-scraping", "privacy-leakage"),
        ]
    ]  # fmt: skip
    assert len(result.rows) == 11


def test_concepts(store: ox.Store) -> None:
    result = run_named(store, "concepts")
    assert result.columns == ["label", "classes", "relationCount", "concept"]
    assert result.rows == [
        (label, classes, count, C + key)
        for label, classes, count, key in [
            ("bias", "Risk", "3", "bias"),
            ("data filtering", "Intervention", "1", "data-filtering"),
            ("data poisoning", "Risk", "3", "data-poisoning"),
            ("deployment", "Stage", "2", "deployment"),
            ("differential privacy", "Intervention", "1", "differential-privacy"),
            ("fine-tuning", "Technique", "3", "fine-tuning"),
            ("misuse", "Risk", "0", "misuse"),
            ("model training", "Stage", "2", "model-training"),
            ("privacy leakage", "Risk", "2", "privacy-leakage"),
            ("red teaming", "Technique Intervention", "2", "red-teaming"),
            ("web scraping", "Technique", "3", "web-scraping"),
        ]
    ]


STATS = {
    ("class", "Document"): 2, ("class", "Evidence"): 12, ("class", "Intervention"): 3,
    ("class", "Mention"): 24, ("class", "Risk"): 4, ("class", "SoftwareAgent"): 1, ("class", "Stage"): 2,
    ("class", "Technique"): 3,
    ("predicate", "appliesAt"): 1, ("predicate", "confidence"): 12, ("predicate", "endOffset"): 36,
    ("predicate", "fileName"): 2, ("predicate", "hedged"): 12, ("predicate", "inDocument"): 36,
    ("predicate", "inScheme"): 5, ("predicate", "introducesRisk"): 5, ("predicate", "label"): 13,
    ("predicate", "mentionOf"): 24, ("predicate", "mitigatedBy"): 3, ("predicate", "object"): 12,
    ("predicate", "objectMention"): 12, ("predicate", "predicate"): 12, ("predicate", "prefLabel"): 11,
    ("predicate", "rule"): 12, ("predicate", "sentence"): 12, ("predicate", "sha256"): 2,
    ("predicate", "startOffset"): 36, ("predicate", "subject"): 12, ("predicate", "subjectMention"): 12,
    ("predicate", "text"): 24, ("predicate", "type"): 51, ("predicate", "usesTechnique"): 2,
    ("predicate", "wasAttributedTo"): 12,
}  # fmt: skip


def test_stats(store: ox.Store) -> None:
    result = run_named(store, "stats")
    assert result.columns == ["kind", "name", "count", "iri"]
    assert [(kind, name) for kind, name, _, _ in result.rows] == list(STATS)  # also checks the order
    assert {(r[0], r[1]): int(r[2] or 0) for r in result.rows} == STATS


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside rdflib's TriG parser
def test_stats_agree_with_rdflib_set_semantics(store: ox.Store) -> None:
    """rdflib merges the graphs as a set; the counts must match despite pyoxigraph's bag union."""
    dataset = rdflib.Dataset()
    dataset.parse(DATA, format="trig")
    union = rdflib.Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    predicates = set(union.predicates())
    classes = set(union.objects(None, rdflib.RDF.type))
    expected = {("predicate", str(p)): len(set(union.triples((None, p, None)))) for p in predicates}
    expected |= {("class", str(c)): len(set(union.subjects(rdflib.RDF.type, c))) for c in classes}
    got = {(r[0], r[3]): int(r[2] or 0) for r in run_named(store, "stats").rows}
    assert got == expected


# --------------------------------------------------------------------------- run_query


def test_standard_prefixes_are_predeclared_and_a_query_may_override_them(store: ox.Store) -> None:
    text = "SELECT ?l WHERE { aigc:bias rdfs:label ?l }"
    assert run_query(store, text).rows == [("bias",)]  # once, though two graphs state it
    assert run_query(store, "SELECT DISTINCT ?l WHERE { aigc:bias rdfs:label ?l }").rows == [("bias",)]
    override = "PREFIX aigc: <http://example.org/other/>\n" + text
    assert run_query(store, override).rows == []


def test_ask_construct_blank_and_unbound(store: ox.Store) -> None:
    assert run_query(store, "ASK { aigc:bias a aig:Risk }") == QueryResult(["ask"], [("true",)])
    assert run_query(store, "ASK { aigc:bias a aig:Stage }").rows == [("false",)]
    text = "CONSTRUCT { ?r rdfs:label ?l } WHERE { VALUES ?r { aigc:misuse aigc:bias } ?r rdfs:label ?l }"
    built = run_query(store, text)
    assert built.columns == ["subject", "predicate", "object"]
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    assert built.rows == [(C + "bias", label, "bias"), (C + "misuse", label, "misuse")]
    text = "SELECT ?b ?u WHERE { BIND(BNODE() AS ?b) OPTIONAL { ?x aig:nothing ?u } }"
    row = run_query(store, text).rows[0]
    assert row[0] is not None and row[0].startswith("_:") and row[1] is None


def test_syntax_error_is_a_query_error(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="invalid SPARQL: error at 1:"):
        run_query(store, "SELECT ?x WHERE { ?x ?p }")


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
