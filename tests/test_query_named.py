"""The packaged named queries (aigraph/queries/*.rq) on a real pyoxigraph store from tests/data/small.trig."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from aigraph.errors import QueryError
from aigraph.named import Param, bind_params, parse_named_query
from aigraph.query import Row, load_store, named_queries, run_named, run_query, sparql_string

DATA = Path(__file__).parent / "data" / "small.trig"
C = "https://w3id.org/aigraph/concept/"
E = "https://w3id.org/aigraph/evidence/"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store(DATA)


# --------------------------------------------------------------------------- named queries

NAMES = {
    "chains", "concepts", "documents", "evidence", "relations", "risks-by-stage", "source-agreement",
    "stage-risk-matrix", "stats", "techniques-by-stage", "unmitigated-risks", "unplaced-interventions",
}  # fmt: skip


def test_named_queries_are_packaged_with_title_description_params_and_order() -> None:
    queries = named_queries()
    assert set(queries) == NAMES
    for name, query in queries.items():
        assert query.name == name
        assert query.text.startswith("# title: ")
        assert query.title and query.title != name and "\n" not in query.title
        assert query.description and "\n" not in query.description
        assert "ORDER BY" in query.text
        assert all(p.description for p in query.params)
        assert {k for k, _ in query.example} == set(query.param_names)  # every parameter has an example
        assert ("#{params}" in query.text) == bool(query.params)
    assert [(p.name, p.required) for p in queries["evidence"].params] == [("concept_label", True)]
    for name in ("chains", "unmitigated-risks", "techniques-by-stage", "risks-by-stage"):
        assert [(p.name, p.required) for p in queries[name].params] == [("stage_label", False)], name
    assert queries["source-agreement"].param_names == ("sources",)
    no_params = NAMES - {"evidence", "chains", "unmitigated-risks", "techniques-by-stage", "risks-by-stage",
                         "source-agreement"}
    assert all(not queries[n].params for n in no_params)


def test_header_parsing() -> None:
    text = """# title: T
# description: D one line
# param: a required  first one
# param: b optional second
# param: c
# example: --param a=x --param 'b=two words'
SELECT * WHERE {
  #{params}
}"""
    query = parse_named_query("q", text)
    assert (query.name, query.title, query.description) == ("q", "T", "D one line")
    assert query.params == (Param("a", True, "first one"), Param("b", False, "second"), Param("c", True, ""))
    assert query.example == (("a", "x"), ("b", "two words"))
    bound = bind_params(query, {"a": "1", "c": 'say "x"'})
    assert 'VALUES (?a ?b ?c) { ("1" UNDEF "say \\"x\\"") }' in bound
    assert parse_named_query("bare", "SELECT * {}").title == "bare"


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
    # DISTINCT keeps the first of each value, in the subquery's order (techniques-by-stage relies on it).
    text = """SELECT ?k (GROUP_CONCAT(DISTINCT ?w; separator=",") AS ?ws)
        WHERE { { SELECT ?k ?w WHERE { { ?k <a:l> ?w } UNION { ?k <a:l> ?w } } ORDER BY ?w } }
        GROUP BY ?k ORDER BY ?k"""
    for _key, joined in run_query(store, text).rows:
        assert joined is not None
        assert joined.split(",") == sorted(set(joined.split(",")))


def evidence_row(role: str, predicate: str, other: str, file: str, span: tuple[int, int], rule: str,
                 confidence: str, hedged: str, sentence: str, ev: str) -> tuple[str, ...]:  # fmt: skip
    start, end = span
    title = TITLES[file]
    return ("data poisoning", role, predicate, other, file, title, str(start), str(end), rule, confidence, hedged,
            sentence, E + ev)  # fmt: skip


TITLES = {"000_alpha.txt": "Alpha guidance on model training", "001_beta.txt": "Beta: privacy and deployment"}


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
        "conceptLabel", "role", "predicate", "otherLabel", "fileName", "documentTitle", "startOffset", "endOffset",
        "rule", "confidence", "hedged", "sentence", "evidence",
    ]  # fmt: skip
    assert result.rows == DATA_POISONING_EVIDENCE


def test_evidence_sentence_with_quotes(store: ox.Store) -> None:
    rows = run_named(store, "evidence", {"concept_label": "bias"}).rows
    assert [(r[2], r[3], r[11]) for r in rows] == [
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
        run_named(store, "relations", {"concept_label": "bias"})
    with pytest.raises(QueryError, match="it takes: stage_label"):
        run_named(store, "chains", {"concept_label": "bias"})
    with pytest.raises(QueryError, match="chains"):
        run_named(store, "no-such-query")


def test_relations(store: ox.Store) -> None:
    result = run_named(store, "relations")
    assert result.columns == [
        "subjectLabel", "predicate", "objectLabel", "evidenceCount", "documentCount", "maxConfidence", "subject",
        "object",
    ]  # fmt: skip
    assert result.rows == [
        (*labels[:4], "2" if labels[3] == "2" else "1", labels[4], C + subject, C + obj)
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



# --------------------------------------------------------------------------- the analyst queries on small.trig


def labels(name: str, store: ox.Store, width: int, params: dict[str, str] | None = None) -> list[Row]:
    return [row[:width] for row in run_named(store, name, params).rows]


@pytest.mark.parametrize("stage", ["model training", "Model Training", "model-training", "MODEL-TRAINING"])
def test_chains_from_one_stage(store: ox.Store, stage: str) -> None:
    assert run_named(store, "chains", {"stage_label": stage}) == run_named(store, "chains")
    assert run_named(store, "chains", {"stage_label": "deployment"}).rows == []


def test_unmitigated_risks_of_one_stage(store: ox.Store) -> None:
    assert labels("unmitigated-risks", store, 1, {"stage_label": "deployment"}) == [("bias",)]  # directly
    assert labels("unmitigated-risks", store, 1, {"stage_label": "model-training"}) == [("bias",)]  # via techniques
    assert labels("unmitigated-risks", store, 1, {"stage_label": "no such stage"}) == []


def test_techniques_by_stage(store: ox.Store) -> None:
    assert labels("techniques-by-stage", store, 4) == [
        ("model training", "fine-tuning", "2", "000_alpha.txt; 001_beta.txt"),
        ("model training", "web scraping", "1", "000_alpha.txt"),
    ]
    assert labels("techniques-by-stage", store, 2, {"stage_label": "deployment"}) == []


def test_risks_by_stage_through_techniques_and_directly(store: ox.Store) -> None:
    result = run_named(store, "risks-by-stage")
    assert result.columns == ["stageLabel", "riskLabel", "via", "interventionCount", "stage", "risk", "technique"]
    assert [row[:4] + row[6:] for row in result.rows] == [
        ("deployment", "bias", "(directly)", "0", None),
        ("model training", "bias", "fine-tuning", "0", C + "fine-tuning"),
        ("model training", "bias", "web scraping", "0", C + "web-scraping"),
        ("model training", "data poisoning", "fine-tuning", "2", C + "fine-tuning"),
        ("model training", "privacy leakage", "web scraping", "1", C + "web-scraping"),
    ]
    assert labels("risks-by-stage", store, 3, {"stage_label": "Deployment"}) == [("deployment", "bias", "(directly)")]


def test_unplaced_interventions(store: ox.Store) -> None:
    # red teaming applies at deployment; the other two have no stage
    assert labels("unplaced-interventions", store, 4) == [
        ("data filtering", "data poisoning", "1", "1"),
        ("differential privacy", "privacy leakage", "1", "1"),
    ]


def test_stage_risk_matrix_has_every_cell(store: ox.Store) -> None:
    result = run_named(store, "stage-risk-matrix")
    assert result.columns == ["stageLabel", "riskLabel", "routes", "via", "interventions", "atThisStage", "stage",
                              "risk"]  # fmt: skip
    assert [row[:6] for row in result.rows] == [
        ("deployment", "bias", "1", "(directly)", "0", "0"),
        ("deployment", "data poisoning", "0", None, "2", "1"),  # red teaming mitigates it and applies here
        ("deployment", "misuse", "0", None, "0", "0"),
        ("deployment", "privacy leakage", "0", None, "1", "0"),
        ("model training", "bias", "2", "fine-tuning; web scraping", "0", "0"),
        ("model training", "data poisoning", "1", "fine-tuning", "2", "0"),
        ("model training", "misuse", "0", None, "0", "0"),
        ("model training", "privacy leakage", "1", "web scraping", "1", "0"),
    ]


def test_source_agreement(store: ox.Store) -> None:
    both = "000_alpha.txt; 001_beta.txt"
    several = [(label, "2", "several sources", both) for label in (
        "bias", "data poisoning", "deployment", "fine-tuning", "model training", "privacy leakage", "red teaming",
        "web scraping")]  # fmt: skip
    one = [("data filtering", "1", "one source", "000_alpha.txt"),
           ("differential privacy", "1", "one source", "001_beta.txt"), ("misuse", "1", "one source", "001_beta.txt")]
    rows = [(r[0], r[2], r[3], r[4]) for r in run_named(store, "source-agreement").rows]
    assert rows == several + one
    assert [r[0] for r in run_named(store, "source-agreement", {"sources": "One"}).rows] == [r[0] for r in one]
    assert len(run_named(store, "source-agreement", {"sources": "several"}).rows) == len(several)


def test_documents_summary(store: ox.Store) -> None:
    result = run_named(store, "documents")
    assert result.columns[:10] == ["title", "fileName", "concepts", "relations", "usesTechnique", "introducesRisk",
                                   "mitigatedBy", "appliesAt", "evidence", "meanConfidence"]  # fmt: skip
    rows = [(*row[:9], round(float(row[9] or "nan"), 4), *row[10:]) for row in result.rows]
    assert rows == [
        ("Alpha guidance on model training", "000_alpha.txt", "9", "7", "2", "3", "1", "1", "7", 0.7286,
         "https://w3id.org/aigraph/doc/doc-one", "https://w3id.org/aigraph/graph/doc-one"),
        ("Beta: privacy and deployment", "001_beta.txt", "10", "5", "1", "2", "2", "0", "5", 0.75,
         "https://w3id.org/aigraph/doc/doc-two", "https://w3id.org/aigraph/graph/doc-two"),
    ]  # fmt: skip
