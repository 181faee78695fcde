"""Checks of the data files in ontology/: the OWL ontology, the SKOS lexicon and the SHACL shapes.

No mocks: the real files are parsed with rdflib and pyoxigraph, and the shapes are run with pySHACL on a
small graph written by hand after docs/graph-schema.md.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import cache
from pathlib import Path

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SH, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
FILES = ("aigraph.ttl", "lexicon.ttl", "shapes.ttl")

AIG = Namespace("https://w3id.org/aigraph/ontology#")
AIGC = Namespace("https://w3id.org/aigraph/concept/")
AIGSH = Namespace("https://w3id.org/aigraph/shapes#")
AIRO = Namespace("https://w3id.org/airo#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
ONTOLOGY = URIRef("https://w3id.org/aigraph/ontology")
LEXICON = URIRef("https://w3id.org/aigraph/lexicon")
# plain IRIs: pytest inspects module globals, and rdflib's closed XSD namespace warns on unknown names
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

CLASSES = ("Stage", "Technique", "Risk", "Intervention")
CHAIN = {  # predicate -> (subject classes, object classes)
    "usesTechnique": (("Stage",), ("Technique",)),
    "introducesRisk": (("Stage", "Technique"), ("Risk",)),
    "mitigatedBy": (("Risk",), ("Intervention",)),
    "appliesAt": (("Intervention",), ("Stage",)),
}
KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_CONCEPTS_PER_CLASS = 30
EXPECTED_TERMS = (
    "Concept", *CLASSES, "Document", "Evidence", "Mention",
    *CHAIN, "mitigates", "inDocument", "subjectMention", "objectMention", "mentionOf",
    "fileName", "sha256", "sentence", "startOffset", "endOffset", "rule", "confidence", "hedged", "text",
    "defaultClass", "extractor",
)


@cache
def graph(name: str) -> Graph:
    return Graph().parse(ONTOLOGY_DIR / name, format="turtle")


def slug(text: str) -> str:
    """Same rule as aigraph.lexicon.slug: lower-case ASCII words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", " and ")))


def local(iri: object, namespace: Namespace) -> str:
    return str(iri).removeprefix(str(namespace))


# --------------------------------------------------------------------------------------------------
# Parsing


@pytest.mark.parametrize("name", FILES)
def test_parses_with_rdflib(name: str) -> None:
    g = Graph().parse(ONTOLOGY_DIR / name, format="turtle")
    assert len(g) > 0


@pytest.mark.parametrize("name", FILES)
def test_parses_with_pyoxigraph(name: str) -> None:
    store = pyoxigraph.Store()
    store.load(path=str(ONTOLOGY_DIR / name), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(graph(name)), "rdflib and pyoxigraph read a different number of triples"


def test_readme_exists() -> None:
    text = (ONTOLOGY_DIR / "README.md").read_text(encoding="utf-8")
    assert "docs/graph-schema.md" in text


# --------------------------------------------------------------------------------------------------
# Ontology


def test_ontology_header() -> None:
    g = graph("aigraph.ttl")
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in g
    assert g.value(ONTOLOGY, OWL.versionInfo) == Literal("0.1.0")
    assert str(g.value(ONTOLOGY, DCTERMS.created)) == "2026-11-22"
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license):
        assert g.value(ONTOLOGY, prop) is not None, f"ontology lacks {prop}"


def defined_terms(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects(RDFS.isDefinedBy, ONTOLOGY) if isinstance(s, URIRef)}


def test_every_defined_term_has_english_label_and_definition() -> None:
    g = graph("aigraph.ttl")
    terms = defined_terms(g)
    assert terms >= {AIG[name] for name in EXPECTED_TERMS}, sorted(map(str, terms))
    for term in terms:
        labels = [lab for lab in g.objects(term, RDFS.label) if isinstance(lab, Literal)]
        definitions = [d for d in g.objects(term, SKOS.definition) if isinstance(d, Literal)]
        assert any(lab.language == "en" for lab in labels), f"{term} has no rdfs:label@en"
        assert any(d.language == "en" for d in definitions), f"{term} has no skos:definition@en"


def test_every_aig_term_in_the_ontology_namespace_is_defined() -> None:
    """Each aig: IRI defined in aigraph.ttl carries rdfs:isDefinedBy (so nothing escapes the check above)."""
    g = graph("aigraph.ttl")
    used = {t for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(str(AIG))}
    assert used <= defined_terms(g), f"not defined: {sorted(used - defined_terms(g))}"


@pytest.mark.parametrize("name", ["lexicon.ttl", "shapes.ttl"])
def test_aig_terms_used_elsewhere_are_defined_in_the_ontology(name: str) -> None:
    used = {t for triple in graph(name) for t in triple
            if isinstance(t, URIRef) and str(t).startswith(str(AIG))}
    assert used, f"{name} uses no aig: term"
    missing = used - defined_terms(graph("aigraph.ttl"))
    assert not missing, f"{name} uses terms that ontology/aigraph.ttl does not define: {sorted(missing)}"


def test_classes_and_alignments() -> None:
    g = graph("aigraph.ttl")
    for name in (*CLASSES, "Concept", "Document", "Evidence", "Mention"):
        assert (AIG[name], RDF.type, OWL.Class) in g, name
    for name in CLASSES:
        assert (AIG[name], RDFS.subClassOf, AIG.Concept) in g, name
    for name in ("Document", "Evidence", "Mention"):
        assert (AIG[name], RDFS.subClassOf, PROV.Entity) in g, name
    # The concept classes may overlap (adversarial training is a Technique and an Intervention).
    assert not list(g.triples((None, OWL.disjointWith, None)))
    assert not list(g.subjects(RDF.type, OWL.AllDisjointClasses))
    assert (AIG.Risk, RDFS.subClassOf, AIRO.Risk) in g
    assert (AIG.Intervention, RDFS.subClassOf, AIRO.RiskControl) in g
    assert (AIG.Stage, RDFS.subClassOf, AIRO.AILifecyclePhase) in g
    assert (AIG.Technique, RDFS.subClassOf, AIRO.AITechnique) in g
    assert (AIG.mitigates, RDFS.subPropertyOf, AIRO.mitigatesRiskConcept) in g
    assert (AIG.inDocument, RDFS.subPropertyOf, PROV.wasDerivedFrom) in g
    assert (AIG.extractor, RDF.type, PROV.SoftwareAgent) in g
    assert (AIG.defaultClass, RDF.type, OWL.AnnotationProperty) in g


def classes_of(g: Graph, node: object) -> set[str]:
    """Named classes of a domain/range: a class IRI or an owl:unionOf list of them."""
    if isinstance(node, URIRef):
        return {local(node, AIG)}
    members = g.value(node, OWL.unionOf)  # type: ignore[arg-type]
    assert members is not None, f"unexpected class expression {node}"
    return {local(c, AIG) for c in g.items(members)}


@pytest.mark.parametrize("predicate", sorted(CHAIN))
def test_chain_property_domain_and_range(predicate: str) -> None:
    g = graph("aigraph.ttl")
    prop = AIG[predicate]
    assert (prop, RDF.type, OWL.ObjectProperty) in g
    subjects, objects = CHAIN[predicate]
    assert classes_of(g, g.value(prop, RDFS.domain)) == set(subjects)
    assert classes_of(g, g.value(prop, RDFS.range)) == set(objects)


def test_mitigates_is_inverse_of_mitigated_by() -> None:
    g = graph("aigraph.ttl")
    assert (AIG.mitigatedBy, OWL.inverseOf, AIG.mitigates) in g or (
        AIG.mitigates, OWL.inverseOf, AIG.mitigatedBy) in g
    assert g.value(AIG.mitigates, RDFS.domain) == AIG.Intervention
    assert g.value(AIG.mitigates, RDFS.range) == AIG.Risk


def test_property_kinds() -> None:
    g = graph("aigraph.ttl")
    for name in ("inDocument", "subjectMention", "objectMention", "mentionOf"):
        assert (AIG[name], RDF.type, OWL.ObjectProperty) in g, name
    for name in ("fileName", "sha256", "sentence", "startOffset", "endOffset", "rule", "confidence",
                 "hedged", "text"):
        assert (AIG[name], RDF.type, OWL.DatatypeProperty) in g, name


def test_chain_matches_the_code() -> None:
    """ontology/aigraph.ttl and aigraph.model.PREDICATES must describe the same chain."""
    model = pytest.importorskip("aigraph.model")
    assert tuple(model.CLASSES) == CLASSES
    assert {p: (set(s), set(o)) for p, (s, o) in model.PREDICATES.items()} == {
        p: (set(s), set(o)) for p, (s, o) in CHAIN.items()}


# --------------------------------------------------------------------------------------------------
# Lexicon


def lexicon_concepts() -> list[URIRef]:
    g = graph("lexicon.ttl")
    concepts = sorted(set(g.subjects(RDF.type, SKOS.Concept)))
    assert all(isinstance(c, URIRef) for c in concepts)
    return concepts  # type: ignore[return-value]


def concept_classes(g: Graph, concept: URIRef) -> set[str]:
    return {c for c in CLASSES if (concept, RDF.type, AIG[c]) in g}


def test_lexicon_scheme_metadata() -> None:
    g = graph("lexicon.ttl")
    assert (LEXICON, RDF.type, SKOS.ConceptScheme) in g
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.created, DCTERMS.source):
        assert g.value(LEXICON, prop) is not None, f"lexicon scheme lacks {prop}"
    assert str(g.value(LEXICON, DCTERMS.creator)) == "aigraph contributors"
    assert str(g.value(LEXICON, DCTERMS.created)) == "2026-11-22"


def test_lexicon_keys_and_pref_labels() -> None:
    g = graph("lexicon.ttl")
    for concept in lexicon_concepts():
        assert str(concept).startswith(str(AIGC)), f"{concept} is not in the concept namespace"
        key = local(concept, AIGC)
        assert KEY_PATTERN.match(key), f"bad key {key!r}"
        prefs = list(g.objects(concept, SKOS.prefLabel))
        assert len(prefs) == 1, f"{key} has {len(prefs)} prefLabels"
        pref = prefs[0]
        assert isinstance(pref, Literal) and pref.language == "en", f"{key}: prefLabel must be @en"
        assert str(pref) == str(pref).lower(), f"{key}: prefLabel {pref!r} must be lower case"
        assert slug(str(pref)) == key, f"key {key!r} is not the slug of its prefLabel {str(pref)!r}"
        assert (concept, SKOS.inScheme, LEXICON) in g, f"{key} is not skos:inScheme the lexicon"


def test_lexicon_definitions() -> None:
    g = graph("lexicon.ttl")
    for concept in lexicon_concepts():
        definitions = list(g.objects(concept, SKOS.definition))
        assert len(definitions) == 1, f"{concept} needs exactly one skos:definition"
        text = definitions[0]
        assert isinstance(text, Literal) and text.language == "en"
        assert text[:1].isupper() and text.endswith("."), f"{concept}: definition must be a sentence"


def test_lexicon_alt_labels_are_english_and_not_redundant() -> None:
    g = graph("lexicon.ttl")
    for concept in lexicon_concepts():
        labels = [g.value(concept, SKOS.prefLabel), *g.objects(concept, SKOS.altLabel)]
        assert all(isinstance(lab, Literal) and lab.language == "en" for lab in labels), concept
        lowered = [str(lab).lower() for lab in labels]
        assert len(lowered) == len(set(lowered)), f"{concept} repeats a label: {lowered}"


def test_lexicon_classes_and_default_class() -> None:
    g = graph("lexicon.ttl")
    for concept in lexicon_concepts():
        classes = concept_classes(g, concept)
        assert classes, f"{concept} has none of the classes {CLASSES}"
        defaults = list(g.objects(concept, AIG.defaultClass))
        if len(classes) > 1:
            assert len(defaults) == 1, f"{concept} has classes {sorted(classes)} but no single aig:defaultClass"
            assert local(defaults[0], AIG) in classes, f"{concept}: aig:defaultClass is not one of its classes"
        else:
            assert not defaults, f"{concept} has one class, so aig:defaultClass is not needed"


def test_lexicon_no_label_shared_by_two_concepts() -> None:
    g = graph("lexicon.ttl")
    owners: dict[str, set[URIRef]] = defaultdict(set)
    for concept in lexicon_concepts():
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in g.objects(concept, prop):
                owners[str(label).lower()].add(concept)
    shared = {label: sorted(map(str, c)) for label, c in owners.items() if len(c) > 1}
    assert not shared, f"labels on more than one concept: {shared}"


def test_lexicon_no_near_duplicate_labels() -> None:
    """Labels differing only in spaces, hyphens, punctuation or a final 's' belong to one concept:
    the matcher folds these variants, so two concepts with such labels would be ambiguous."""
    g = graph("lexicon.ttl")
    owners: dict[str, set[URIRef]] = defaultdict(set)
    for concept in lexicon_concepts():
        for prop in (SKOS.prefLabel, SKOS.altLabel):
            for label in g.objects(concept, prop):
                folded = re.sub(r"[^a-z0-9]+", "", str(label).lower())
                owners[folded.removesuffix("s")].add(concept)
    clashes = {k: sorted(map(str, c)) for k, c in owners.items() if len(c) > 1}
    assert not clashes, f"near-identical labels on different concepts: {clashes}"


def test_lexicon_labels_stay_distinct_in_the_matcher() -> None:
    """The extractor's matcher folds hyphens, case (except for acronyms) and plurals; two concepts must
    not end up on the same match path, or one of them would silently never be found."""
    spacy = pytest.importorskip("spacy")
    components = pytest.importorskip("aigraph.components")
    lexicon = pytest.importorskip("aigraph.lexicon")
    if not all(hasattr(components, name) for name in ("_HYPHENS", "_ACRONYM", "singular")):
        pytest.skip("aigraph.components no longer exposes the matcher's normalisation")
    tokenizer = spacy.blank("en").tokenizer
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for concept in lexicon.load_lexicon(ONTOLOGY_DIR / "lexicon.ttl"):
        for label in (concept.label, *concept.alt_labels):
            words = [t.text for t in tokenizer(label) if t.text not in components._HYPHENS and not t.is_space]
            path = tuple(w if components._ACRONYM.match(w) else components.singular(w.lower()) for w in words)
            owners[path].add(concept.key)
    clashes = {" ".join(p): sorted(k) for p, k in owners.items() if len(k) > 1}
    assert not clashes, f"labels the matcher cannot tell apart: {clashes}"


def test_lexicon_avoids_very_common_words() -> None:
    g = graph("lexicon.ttl")
    banned = {"model", "data", "system", "control", "safety", "ai", "risk", "harm", "policy", "attack",
              "learning", "method", "technique", "process", "release", "research", "output", "use"}
    labels = {str(lab).lower(): c for c in lexicon_concepts()
              for p in (SKOS.prefLabel, SKOS.altLabel) for lab in g.objects(c, p)}
    assert not banned & labels.keys(), f"too common to be a label: {sorted(banned & labels.keys())}"
    # "training" only names the training stage.
    assert labels.get("training") == AIGC["training"]


@pytest.mark.parametrize("cls", CLASSES)
def test_lexicon_has_enough_concepts_per_class(cls: str) -> None:
    g = graph("lexicon.ttl")
    count = sum(1 for c in lexicon_concepts() if (c, RDF.type, AIG[cls]) in g)
    assert count >= MIN_CONCEPTS_PER_CLASS, f"only {count} concepts of class {cls}"


@pytest.mark.parametrize(("key", "classes", "default"), [
    ("adversarial-training", {"Technique", "Intervention"}, "Intervention"),
    ("monitoring", {"Stage", "Intervention"}, "Stage"),
    ("evaluation", {"Stage", "Intervention"}, "Stage"),
    ("fine-tuning", {"Technique"}, None),
    ("training", {"Stage"}, None),
    ("model-training", {"Stage"}, None),
    ("reward-hacking", {"Risk"}, None),
    ("red-teaming", {"Intervention"}, None),
])
def test_lexicon_known_entries(key: str, classes: set[str], default: str | None) -> None:
    g = graph("lexicon.ttl")
    concept = AIGC[key]
    assert concept_classes(g, concept) == classes
    assert g.value(concept, AIG.defaultClass) == (AIG[default] if default else None)


def test_lexicon_is_readable_by_the_extractor() -> None:
    """The code's own loader accepts the file; deprecated entries stay in the file but are not matched."""
    lexicon = pytest.importorskip("aigraph.lexicon")
    concepts = lexicon.load_lexicon(ONTOLOGY_DIR / "lexicon.ttl")
    g = graph("lexicon.ttl")
    deprecated = {c for c in lexicon_concepts() if (c, OWL.deprecated, Literal(True)) in g}
    assert AIGC["alignment"] in deprecated
    assert len(concepts) == len(lexicon_concepts()) - len(deprecated)
    assert "alignment" not in {c.key for c in concepts}
    by_key = {c.key: c for c in concepts}
    assert by_key["adversarial-training"].types[0] == "Intervention"


# --------------------------------------------------------------------------------------------------
# SHACL shapes

# A small graph written exactly as docs/graph-schema.md describes one document's output.
VALID_DATA = """
@prefix aig:  <https://w3id.org/aigraph/ontology#> .
@prefix aigc: <https://w3id.org/aigraph/concept/> .
@prefix aigd: <https://w3id.org/aigraph/doc/> .
@prefix aige: <https://w3id.org/aigraph/evidence/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .

aigd:000-x-txt a aig:Document ;
    rdfs:label "AI Development" ;
    aig:fileName "000_x.txt" ;
    aig:sha256 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" .

aigc:model-training a aig:Stage ;
    rdfs:label "model training"@en ;
    skos:prefLabel "model training"@en ;
    skos:inScheme <https://w3id.org/aigraph/lexicon> .

aigc:fine-tuning a aig:Technique ;
    rdfs:label "fine-tuning"@en ;
    skos:prefLabel "fine-tuning"@en ;
    skos:inScheme <https://w3id.org/aigraph/lexicon> .

aigc:model-training aig:usesTechnique aigc:fine-tuning .

aige:0123456789abcdef a aig:Evidence ;
    rdf:subject aigc:model-training ;
    rdf:predicate aig:usesTechnique ;
    rdf:object aigc:fine-tuning ;
    aig:inDocument aigd:000-x-txt ;
    aig:sentence "Model Training alternates between fine-tuning and testing." ;
    aig:startOffset 40 ; aig:endOffset 98 ;
    aig:rule "dep-cue:use" ;
    aig:confidence 0.80 ;
    aig:hedged false ;
    aig:subjectMention aige:0123456789abcdef-s ;
    aig:objectMention aige:0123456789abcdef-o ;
    prov:wasAttributedTo aig:extractor .

aige:0123456789abcdef-s a aig:Mention ;
    aig:mentionOf aigc:model-training ;
    aig:inDocument aigd:000-x-txt ;
    aig:text "Model Training" ;
    aig:startOffset 40 ; aig:endOffset 54 .

aige:0123456789abcdef-o a aig:Mention ;
    aig:mentionOf aigc:fine-tuning ;
    aig:inDocument aigd:000-x-txt ;
    aig:text "fine-tuning" ;
    aig:startOffset 75 ; aig:endOffset 86 .
"""

EVIDENCE = URIRef("https://w3id.org/aigraph/evidence/0123456789abcdef")
DOCUMENT = URIRef("https://w3id.org/aigraph/doc/000-x-txt")


def valid_data() -> Graph:
    return Graph().parse(data=VALID_DATA, format="turtle")


def run_shacl(data: Graph, inference: str = "none") -> tuple[bool, set[URIRef], str]:
    """(conforms, source shapes of the violations, report text).

    inference="none" on purpose, as in aigraph.validate: the ontology is mixed in (its class hierarchy
    is then visible to sh:class), but RDFS inference would apply the rdfs:domain/rdfs:range axioms of
    the chain predicates and type a wrongly used subject as the expected class (a Technique used as
    the subject of aig:mitigatedBy would be inferred to be a Risk), hiding exactly the errors the
    shapes must report. See test_rdfs_inference_would_hide_domain_errors.
    """
    conforms, results, text = validate(data, shacl_graph=graph("shapes.ttl"), ont_graph=graph("aigraph.ttl"),
                                       inference=inference, advanced=True)
    assert isinstance(results, Graph)
    sources = {s for s in results.objects(None, SH.sourceShape) if isinstance(s, URIRef)}
    return bool(conforms), sources, str(text)


def test_shapes_graph_is_valid_shacl() -> None:
    conforms, _, text = validate(valid_data(), shacl_graph=graph("shapes.ttl"), inference="none",
                                 advanced=True, meta_shacl=True)
    assert conforms, text


def test_every_shape_has_a_message() -> None:
    g = graph("shapes.ttl")
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape)) | set(
        g.subjects(RDF.type, SH.SPARQLConstraint))
    assert len(shapes) >= 20
    for shape in shapes:
        messages = list(g.objects(shape, SH.message))
        assert messages, f"{shape} has no sh:message"
    # property shapes are named (not blank nodes), so each can carry its own message
    for node_shape in g.subjects(RDF.type, SH.NodeShape):
        for prop in g.objects(node_shape, SH.property):
            assert not isinstance(prop, BNode), f"{node_shape} has an anonymous property shape"


def test_valid_graph_conforms() -> None:
    conforms, sources, text = run_shacl(valid_data())
    assert conforms, text
    assert not sources


def test_evidence_without_document_does_not_conform() -> None:
    data = valid_data()
    data.remove((EVIDENCE, AIG.inDocument, None))
    conforms, sources, text = run_shacl(data)
    assert not conforms
    assert AIGSH.EvidenceDocumentShape in sources, text


def test_mitigated_by_with_technique_subject_does_not_conform() -> None:
    data = valid_data()
    red_teaming = AIGC["red-teaming"]
    data.add((red_teaming, RDF.type, AIG.Intervention))
    data.add((red_teaming, RDFS.label, Literal("red teaming", lang="en")))
    data.add((AIGC["fine-tuning"], AIG.mitigatedBy, red_teaming))  # fine-tuning is a Technique, not a Risk
    conforms, sources, text = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.MitigatedBySubjectShape}, text


def test_confidence_above_one_does_not_conform() -> None:
    data = valid_data()
    data.set((EVIDENCE, AIG.confidence, Literal(Decimal("1.5"), datatype=XSD_DECIMAL)))
    conforms, sources, text = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.EvidenceConfidenceShape}, text


def test_confidence_as_double_does_not_conform() -> None:
    data = valid_data()
    data.set((EVIDENCE, AIG.confidence, Literal(0.8)))  # a Python float becomes xsd:double
    conforms, sources, _ = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.EvidenceConfidenceShape}


def test_evidence_for_an_unasserted_triple_does_not_conform() -> None:
    data = valid_data()
    data.remove((AIGC["model-training"], AIG.usesTechnique, AIGC["fine-tuning"]))
    conforms, sources, text = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.EvidenceShape}, text  # the sh:sparql constraint of the evidence shape
    assert "not asserted" in text


def test_bad_sha256_does_not_conform() -> None:
    data = valid_data()
    data.set((DOCUMENT, AIG.sha256, Literal("0123456789ABCDEF" * 4)))
    conforms, sources, _ = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.DocumentSha256Shape}


def test_concept_with_two_labels_does_not_conform() -> None:
    data = valid_data()
    data.add((AIGC["fine-tuning"], RDFS.label, Literal("finetuning", lang="en")))
    conforms, sources, _ = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.ConceptLabelShape}


def test_mention_offsets_out_of_order_do_not_conform() -> None:
    data = valid_data()
    mention = URIRef(f"{EVIDENCE}-s")
    data.set((mention, AIG.startOffset, Literal(60, datatype=XSD_INTEGER)))
    conforms, sources, _ = run_shacl(data)
    assert not conforms
    assert sources == {AIGSH.MentionStartOffsetShape}


def test_evidence_predicate_outside_the_chain_does_not_conform() -> None:
    data = valid_data()
    data.set((EVIDENCE, RDF.predicate, AIG.mitigates))
    data.add((AIGC["model-training"], AIG.mitigates, AIGC["fine-tuning"]))
    conforms, sources, _ = run_shacl(data)
    assert not conforms
    assert AIGSH.EvidencePredicateShape in sources


def test_rdfs_inference_would_hide_domain_errors() -> None:
    """Why validation runs without inference: with RDFS, rdfs:domain aig:Risk makes fine-tuning a Risk."""
    data = valid_data()
    red_teaming = AIGC["red-teaming"]
    data.add((red_teaming, RDF.type, AIG.Intervention))
    data.add((red_teaming, RDFS.label, Literal("red teaming", lang="en")))
    data.add((AIGC["fine-tuning"], AIG.mitigatedBy, red_teaming))
    _, sources, _ = run_shacl(data, inference="rdfs")
    assert AIGSH.MitigatedBySubjectShape not in sources
