"""The extractor with the real spaCy pipeline and the shipped lexicon: concepts, relations, evidence."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from aigraph.corpus import read_document
from aigraph.extract import extract_document, load_pipeline
from aigraph.model import Extraction


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_pipeline()


def run(nlp: Language, tmp_path: Path, text: str, name: str = "doc.md") -> Extraction:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_document(nlp, read_document(path, tmp_path))


def triples(ex: Extraction) -> set[tuple[str, str, str]]:
    return {(r.subject, r.predicate, r.object) for r in ex.relations}


def test_pipeline_registers_components_after_the_trained_ones(nlp: Language) -> None:
    assert nlp.pipe_names[-2:] == ["aigraph_concepts", "aigraph_relations"]
    assert "parser" in nlp.pipe_names and "ner" not in nlp.pipe_names


def test_concepts_match_over_lemmas_variants_and_acronyms(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "We fine tuned models. Fine-tuning and finetuning differ little. RLHF helps. "
                            "Red-teaming found two jailbreaks.")
    keys = [m.concept for m in ex.mentions]
    assert keys.count("fine-tuning") == 3
    assert "reinforcement-learning-from-human-feedback" in keys
    assert "red-teaming" in keys and "jailbreak" in keys
    for m in ex.mentions:
        assert ex.doc.raw[m.start : m.end] == m.text


def test_longest_match_wins(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Reinforcement learning from human feedback is common.")
    assert [m.concept for m in ex.mentions] == ["reinforcement-learning-from-human-feedback"]


def test_mitigation_active_passive_and_coordinated(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Red teaming reduces jailbreaks.\n\nData poisoning is mitigated by data filtering.\n\n"
                            "Red teaming and adversarial training reduce jailbreaks.")
    found = triples(ex)
    assert ("jailbreak", "mitigatedBy", "red-teaming") in found
    assert ("data-poisoning", "mitigatedBy", "data-filtering") in found
    assert ("jailbreak", "mitigatedBy", "adversarial-training") in found
    # the class a concept played is what the graph types it with
    assert ex.concepts["adversarial-training"].types == ("Intervention",)


def test_causal_and_stage_relations(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Reinforcement learning can lead to reward hacking.\n\n"
                            "During pre-training, data filtering is applied.\n\n"
                            "Fine-tuning is used during post-training.")
    found = triples(ex)
    assert ("reinforcement-learning", "introducesRisk", "reward-hacking") in found
    assert ("post-training", "usesTechnique", "fine-tuning") in found
    assert any(p in {"appliesAt", "usesTechnique"} and "pre-training" in (s, o) for s, p, o in found)


def test_negation_drops_and_hedging_lowers_confidence(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Red teaming does not prevent jailbreaks.\n\nData filtering may reduce bias.\n\n"
                            "Data filtering reduces bias.")
    assert ("jailbreak", "mitigatedBy", "red-teaming") not in triples(ex)
    evidence = {e.sentence: e for e in ex.relations[next(r for r in ex.relations if r.object == "data-filtering")]}
    hedged, plain = evidence["Data filtering may reduce bias."], evidence["Data filtering reduces bias."]
    assert hedged.hedged and not plain.hedged
    assert 0 < hedged.confidence < plain.confidence <= 1


def test_heading_gives_the_stage_of_a_list(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "# Stages\n\n### Deployment\n\n- Content filters on every output\n- Uses RLHF\n")
    found = triples(ex)
    assert ("content-filter", "appliesAt", "deployment") in found
    ev = ex.relations[next(r for r in ex.relations if r.subject == "content-filter")][0]
    assert ev.rule == "heading"
    assert ex.doc.raw[ev.object.start : ev.object.end] == "Deployment"
    assert ex.doc.raw[ev.start : ev.end].startswith("Content filters")


def test_evidence_offsets_point_into_the_markdown_file(nlp: Language, tmp_path: Path) -> None:
    text = "---\ntitle: x\n---\n\nSome **red teaming** [reduces](http://x) <b>jailbreaks</b>.\n"
    ex = run(nlp, tmp_path, text)
    ((_, evidence),) = ex.relations.items()
    ev = evidence[0]
    assert text[ev.subject.start : ev.subject.end] == "jailbreaks"
    assert text[ev.object.start : ev.object.end] == "red teaming"
    assert ev.sentence == "Some red teaming reduces jailbreaks."
    assert text[ev.start : ev.end].startswith("Some **red teaming**")
    assert 0 <= ev.confidence <= 1 and ev.rule.startswith(("dep:", "window:"))


def test_long_text_is_chunked_not_rejected(nlp: Language, tmp_path: Path) -> None:
    sentence = "Red teaming reduces jailbreaks. "
    ex = run(nlp, tmp_path, sentence * 1500)  # 48,000 characters in one block
    assert len(ex.relations[next(iter(ex.relations))]) == 1500


def test_concept_as_modifier_of_a_stop_head_is_not_a_mention(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Training data shapes the model. Training is expensive.")
    spans = [(m.text, m.concept) for m in ex.mentions]
    assert spans == [("Training", "training")]
    assert ex.mentions[0].start == len("Training data shapes the model. ")


def test_a_chapter_named_after_a_concept_is_a_cross_reference(nlp: Language, tmp_path: Path) -> None:
    text = ("We measure situational awareness in the evaluations chapter. "
            "Red teaming, covered in the red teaming section, reduces jailbreaks.")
    ex = run(nlp, tmp_path, text)
    assert "evaluation" not in {m.concept for m in ex.mentions}
    assert [m.text for m in ex.mentions if m.concept == "red-teaming"] == ["Red teaming"]
    assert {(r.subject, r.predicate, r.object) for r in ex.relations} == {("jailbreak", "mitigatedBy", "red-teaming")}


def test_coordination_shares_a_modifier_or_an_object(nlp: Language) -> None:
    def found(text: str) -> set[tuple[str, str]]:
        doc = nlp(text)
        return {(s.text, s.kb_id_) for s in doc.spans["aigraph_concepts"]}

    assert ("filtering", "data-filtering") in found("Teams rely on data auditing, filtering, and deduplication.")
    spans = found("Cleaning, labeling, and filtering data")
    assert {("Cleaning", "data-cleaning"), ("labeling", "data-labeling"), ("filtering", "data-filtering")} <= spans


def test_passing_mentions_are_not_concepts_of_the_document(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "We talked about many things, once mentioning distillation in passing.\n\n"
                            "Red teaming matters. Teams value red teaming.")
    assert set(ex.concepts) == {"red-teaming"}


def test_acronym_defined_in_text_names_the_concept_later(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "We study reward hacking (RH) at length.\n\nLater, RH appears again and RH is reduced by "
                            "red teaming.", name="a.md")
    assert [m.text for m in ex.mentions if m.concept == "reward-hacking"] == ["reward hacking", "RH", "RH"]
    assert ("reward-hacking", "mitigatedBy", "red-teaming") in triples(ex)
    other = run(nlp, tmp_path, "RH is reduced by red teaming.", name="b.md")
    assert "reward-hacking" not in {m.concept for m in other.mentions}  # acronyms do not leak across documents


def test_terms_lists_candidates_the_lexicon_lacks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aigraph.cli import main

    (tmp_path / "a.md").write_text("Widget poisoning is a new threat.\n\nWe worry about widget poisoning.\n\n"
                                   "Red teaming helps.", encoding="utf-8")
    result = CliRunner().invoke(main, ["terms", str(tmp_path), "--format", "csv", "--min-count", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "term,count,class_guess,file,example"
    assert lines[1:] == ["widget poisoning,2,Risk,a.md,Widget poisoning is a new threat."]


def test_after_a_stage_and_parallel_clauses_are_not_relations(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "After pre-training, models are adapted through fine-tuning.\n\n"
                            "During pre-training, models are adapted through fine-tuning.\n\n"
                            "The lab is employing red teaming for jailbreaks, and adjusting post-training.")
    evidence = ex.relations.get(next((r for r in ex.relations if r.object == "fine-tuning"), None), [])  # type: ignore[arg-type]
    assert [e.sentence for e in evidence] == ["During pre-training, models are adapted through fine-tuning."]
    assert not any("post-training" in (r.subject, r.object) for r in ex.relations)


def test_rather_than_negates_through_its_preposition(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Rather than preventing proliferation, restrictive measures can catalyze races, as "
                            "evidenced by the response to export controls.\n\n"
                            "This instead uses more compute at runtime through techniques like chain-of-thought "
                            "prompting.")
    assert {(r.subject, r.predicate, r.object) for r in ex.relations} == {
        ("inference", "usesTechnique", "chain-of-thought-prompting")}


def test_risks_before_a_stage_are_not_that_stages_risks(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Models can be dangerous even before deployment, due to risks like power-seeking.\n\n"
                            "Dangerous capabilities might emerge after deployment, creating power-seeking.")
    assert [(r.subject, r.predicate) for r in ex.relations if r.object == "power-seeking"] == [
        ("deployment", "introducesRisk")]
    (evidence,) = ex.relations[next(r for r in ex.relations if r.object == "power-seeking")]
    assert evidence.sentence.startswith("Dangerous capabilities might emerge after deployment")


def test_examples_and_conjuncts_share_their_preposition(nlp: Language, tmp_path: Path) -> None:
    ex = run(nlp, tmp_path, "Models are improved during post-training via techniques such as distillation and "
                            "model merging.\n\nScaffolding appears in papers about deployment.")
    found = triples(ex)
    assert {("post-training", "usesTechnique", "distillation"),
            ("post-training", "usesTechnique", "model-merging")} <= found
    assert ("deployment", "usesTechnique", "scaffolding") not in found  # "in" attaches "papers", neither concept
