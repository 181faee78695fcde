"""`aigraph eval`: name normalization, matching and counting on hand-made data, gold input errors, the CLI
on a tiny corpus, and a ratchet on the default corpus against tests/seeds.jsonl (real spaCy, no mocks)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigraph.build import build
from aigraph.cli import main
from aigraph.errors import InputError
from aigraph.evaluate import (
    EvalReport,
    GoldDoc,
    GoldEntity,
    GoldRelation,
    Predicted,
    PredictedConcept,
    PredictedRelation,
    below_floors,
    evaluate,
    format_eval,
    load_gold,
    name_key,
    normalize,
    predictions_from_corpus,
    predictions_from_graph,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "seeds.jsonl"
FLOORS = ROOT / "tests" / "eval_floor.json"


def concept(key: str, classes: str, *forms: str) -> PredictedConcept:
    label = key.replace("-", " ")
    return PredictedConcept(key, label, tuple(classes.split()), (label, *forms))


def predicted(concepts: list[PredictedConcept], relations: tuple[tuple[str, str, str], ...] = (),
              doc: str = "d.md") -> dict[str, Predicted]:
    rels = [PredictedRelation(s, p, o, (f"{s} {p} {o}.",)) for s, p, o in relations]
    return {doc: Predicted(doc, {c.key: c for c in concepts}, rels)}


def entity(label: str, kind: str, *aliases: str) -> GoldEntity:
    return GoldEntity(label, kind, aliases)


def prf(report: EvalReport, kind: str, name: str = "all") -> tuple[float, float, float]:
    score = report.micro(kind, name)
    return score.precision, score.recall, score.f1


# ----------------------------------------------------------------------------------- names


@pytest.mark.parametrize(("a", "b"), [
    ("Fine-Tuning", "fine tuning"),
    ("fine tuning", "finetuning"),
    ("fine_tuning", "fine/tuning"),
    ("“Scaffolding”", "scaffolding"),
    ("(PHF)", "phf"),
    ("limiting models\u2019 ability", "limiting models' ability"),
    ("Sparse   Autoencoders", "sparse autoencoder"),
    ("capabilities", "capability"),
    ("losses", "loss"),
    ("biases", "bias"),
    ("\uff32\uff2c\uff28\uff26", "RLHF"),  # NFKC: full-width letters
])
def test_names_that_are_the_same(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("fine-tuning", "fine-tuned"),
    ("scaling", "scaled"),
    ("training", "train"),
    ("data filtering", "filtering"),
])
def test_names_that_differ(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_normalize_keeps_words_apart_and_singular() -> None:
    assert normalize("  'Fine-Tuning Strategies.' ") == "fine tuning strategy"
    assert normalize("Testing & Evaluation") == "testing & evaluation"
    assert normalize("process") == "process" and normalize("virus") == "virus" and normalize("analysis") == "analysis"
    assert normalize("policies") == "policy"


# ----------------------------------------------------------------------------------- entities


def test_two_gold_three_predicted_one_match() -> None:
    gold = [GoldDoc("d.md", (entity("sycophancy", "Risk"), entity("misuse", "Risk")))]
    pred = predicted([concept("sycophancy", "Risk"), concept("jailbreak", "Risk"), concept("bias", "Risk")])
    p, r, f = prf(evaluate(gold, pred), "entities")
    assert (p, r) == (1 / 3, 1 / 2)
    assert math.isclose(f, 0.4)
    assert prf(evaluate(gold, pred), "entities", "Risk") == (p, r, f)
    assert evaluate(gold, pred).micro("entities", "Stage").tp == 0


def test_match_through_aliases_and_mention_texts() -> None:
    gold = [GoldDoc("d.md", (entity("pretraining with human feedback", "Technique", "PHF"),
                             entity("data cleaning", "Technique", "cleaning")))]
    pred = predicted([concept("phf-method", "Technique", "PHF"), concept("cleaning-step", "Technique", "Cleaning")])
    report = evaluate(gold, pred)
    assert prf(report, "entities") == (1.0, 1.0, 1.0)
    assert {m["concept"] for m in report.documents[0].matched} == {"phf-method", "cleaning-step"}


def test_dual_class_gold_label_needs_both_classes() -> None:
    gold = [GoldDoc("d.md", (entity("adversarial training", "Technique"), entity("adversarial training",
                                                                                 "Intervention")))]
    one = evaluate(gold, predicted([concept("adversarial-training", "Intervention")]))
    assert prf(one, "entities") == pytest.approx((1.0, 0.5, 2 / 3))
    assert one.micro("entities", "Technique").fn == 1 and one.micro("entities", "Intervention").tp == 1
    assert one.documents[0].missed[0]["why"].startswith("predicted as 'adversarial training' (Intervention")
    both = evaluate(gold, predicted([concept("adversarial-training", "Technique Intervention")]))
    assert prf(both, "entities") == (1.0, 1.0, 1.0)


def test_wrong_class_is_one_miss_and_one_false_positive() -> None:
    gold = [GoldDoc("d.md", (entity("monitoring", "Intervention"),))]
    report = evaluate(gold, predicted([concept("monitoring", "Stage")]))
    s = report.micro("entities")
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    assert report.documents[0].spurious[0]["why"] == "gold has it as Intervention"


def test_counting_is_one_to_one() -> None:
    # Two predicted concepts name the same gold entity: one TP, the other is a duplicate (not an FP).
    gold = [GoldDoc("d.md", (entity("fine-tuning", "Technique", "finetuning"),))]
    pred = predicted([concept("fine-tuning", "Technique"), concept("finetuning", "Technique")])
    s = evaluate(gold, pred).micro("entities")
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    # One predicted concept names two gold entities: it can count for one of them only.
    gold = [GoldDoc("d.md", (entity("testing", "Stage"), entity("evaluation", "Stage", "testing")))]
    s = evaluate(gold, predicted([concept("testing", "Stage")])).micro("entities")
    assert (s.tp, s.fp, s.fn) == (1, 0, 1)
    # ... and a second concept takes the other one (maximum matching, whatever the order).
    s = evaluate(gold, predicted([concept("testing", "Stage"), concept("evaluation", "Stage")])).micro("entities")
    assert (s.tp, s.fp, s.fn) == (2, 0, 0)


# ----------------------------------------------------------------------------------- relations


def test_relation_matching_through_aliases() -> None:
    gold = [GoldDoc("d.md", (entity("post-training", "Stage", "after training"),
                             entity("reinforcement learning from human feedback", "Technique", "RLHF")),
                    (GoldRelation("post-training", "usesTechnique", "reinforcement learning from human feedback"),))]
    pred = predicted([concept("rlhf", "Technique", "RLHF"), concept("later-phase", "Stage", "after training")],
                     (("later-phase", "usesTechnique", "rlhf"),))
    assert prf(evaluate(gold, pred), "relations") == (1.0, 1.0, 1.0)
    assert prf(evaluate(gold, pred), "relations", "usesTechnique") == (1.0, 1.0, 1.0)


def test_relation_end_missing_from_the_entity_list_matches_on_its_label() -> None:
    gold = [GoldDoc("d.md", (entity("sycophancy", "Risk"),), (GoldRelation("sycophancy", "mitigatedBy",
                                                                           "Red-Teaming"),))]
    pred = predicted([concept("sycophancy", "Risk"), concept("red-teaming", "Intervention")],
                     (("sycophancy", "mitigatedBy", "red-teaming"),))
    report = evaluate(gold, pred)
    assert prf(report, "relations") == (1.0, 1.0, 1.0)
    assert report.micro("entities").fp == 1  # red teaming is not a gold entity


def test_relation_counts_wrong_predicate_and_duplicates() -> None:
    ents = (entity("fine-tuning", "Technique", "finetuning"), entity("sycophancy", "Risk"),
            entity("model training", "Stage"))
    gold = [GoldDoc("d.md", ents, (GoldRelation("fine-tuning", "introducesRisk", "sycophancy"),
                                   GoldRelation("model training", "usesTechnique", "fine-tuning")))]
    pred = predicted([concept("fine-tuning", "Technique"), concept("finetuning", "Technique"),
                      concept("sycophancy", "Risk"), concept("model-training", "Stage")],
                     (("fine-tuning", "introducesRisk", "sycophancy"), ("finetuning", "introducesRisk", "sycophancy"),
                      ("sycophancy", "mitigatedBy", "fine-tuning")))
    report = evaluate(gold, pred)
    s = report.micro("relations")
    assert (s.tp, s.fp, s.fn) == (1, 1, 1)  # the second introducesRisk is a duplicate of the first
    assert report.micro("relations", "introducesRisk").precision == 1.0
    assert report.micro("relations", "mitigatedBy").fp == 1
    doc = report.documents[0]
    assert [m["why"] for m in doc.missed] == ["both concepts predicted, no relation"]
    assert doc.spurious[0]["evidence"] == "sycophancy mitigatedBy fine-tuning."
    assert doc.spurious[0]["why"] == "not in gold"  # both ends are gold entities


def test_explanations_of_misses() -> None:
    gold = [GoldDoc("d.md", (entity("data cleaning", "Technique", "cleaning"), entity("misuse", "Risk"),
                             entity("tool use", "Technique")),
                    (GoldRelation("tool use", "introducesRisk", "misuse"),))]
    pred = {"d.md": Predicted("d.md", {"tool-use": concept("tool-use", "Technique")},
                              [PredictedRelation("tool-use", "introducesRisk", "jailbreak")],
                              text="Cleaning, labeling and filtering. Tool use.")}
    doc = evaluate(gold, pred).documents[0]
    assert [m["why"] for m in doc.missed] == ["not predicted, though the text says 'cleaning'",
                                             "none of its names is in the text", "object not predicted"]
    assert doc.spurious[0]["why"] == "object is not a gold entity"


# ----------------------------------------------------------------------------------- report


def test_micro_macro_json_and_table() -> None:
    gold = [GoldDoc("a.md", (entity("sycophancy", "Risk"), entity("misuse", "Risk"))),
            GoldDoc("b.md", (entity("deployment", "Stage"),))]
    pred = {**predicted([concept("sycophancy", "Risk"), concept("jailbreak", "Risk"), concept("bias", "Risk")],
                        doc="a.md"),
            **predicted([concept("deployment", "Stage")], doc="sub/b.md"),  # found by its file name
            **predicted([concept("deployment", "Stage")], doc="c.md")}
    report = evaluate(gold, pred)
    assert prf(report, "entities") == pytest.approx((0.5, 2 / 3, 4 / 7))  # 2 TP, 2 FP, 1 FN
    macro = report.macro("entities")
    assert macro == {"precision": round((1 / 3 + 1) / 2, 4), "recall": 0.75, "f1": round((0.4 + 1) / 2, 4),
                     "documents": 2}
    assert report.not_in_gold == ["c.md"]
    data = json.loads(format_eval(report, "json"))
    assert list(data) == ["overall", "documents", "documents_not_in_gold"]
    assert data["overall"]["micro"]["entities"]["all"] == {"precision": 0.5, "recall": 0.6667, "f1": 0.5714,
                                                          "tp": 2, "fp": 2, "fn": 1}
    assert list(data["overall"]["micro"]["relations"]) == ["usesTechnique", "introducesRisk", "mitigatedBy",
                                                          "appliesAt", "all"]
    assert data["documents"][0]["missed"][0] == {"kind": "entity", "type": "Risk", "label": "misuse",
                                                 "why": "not predicted"}
    table = format_eval(report)
    assert "a.md" in table and "micro, all documents" in table and "macro" in table and "misuse" not in table
    assert "'misuse': not predicted" in format_eval(report, explain=True)
    assert below_floors(report, 0.5, None) == []
    assert below_floors(report, 0.6, 0.1) == ["overall micro entity F1 0.5714 is below the floor 0.6",
                                              "overall micro relation F1 0.0000 is below the floor 0.1"]


def test_gold_documents_must_be_among_the_predictions() -> None:
    gold = [GoldDoc("x.md", (entity("misuse", "Risk"),))]
    with pytest.raises(InputError, match="evaluate the corpus the gold file annotates"):
        evaluate(gold, predicted([concept("misuse", "Risk")]))
    report = evaluate([*gold, GoldDoc("d.md")], predicted([concept("misuse", "Risk")]))
    assert report.micro("entities").fn == 1 and not report.documents[0].predicted


# ----------------------------------------------------------------------------------- gold input


def test_load_gold_reads_the_seed_annotations() -> None:
    gold = load_gold(SEEDS)
    assert len(gold) == 5 and gold[0].doc == "000_f7884c9c16b6a40b.txt"
    assert all(e.type in ("Stage", "Technique", "Risk", "Intervention") for g in gold for e in g.entities)
    assert sum(len(g.relations) for g in gold) == 44


GOOD = '{"doc": "d.md", "entities": [{"label": "x", "type": "Risk", "aliases": []}], "relations": []}'


@pytest.mark.parametrize(("line", "message"), [
    ('{"doc": "d.md", "entities": [', "not valid JSON"),
    ('["d.md"]', "expected a JSON object"),
    ('{"entities": [], "relations": []}', "'doc' must be a non-empty string"),
    ('{"doc": "d.md", "relations": []}', "'entities' must be a non-empty list"),
    ('{"doc": "d.md", "entities": [{"label": "x", "type": "Danger"}], "relations": []}',
     "entities[0]: type 'Danger' is not one of Stage, Technique, Risk, Intervention"),
    ('{"doc": "d.md", "entities": [{"type": "Risk"}], "relations": []}', "entities[0]: 'label' must be"),
    ('{"doc": "d.md", "entities": [{"label": "x", "type": "Risk", "aliases": [1]}], "relations": []}',
     "aliases must be a list of strings"),
    ('{"doc": "d.md", "entities": [{"label": "x", "type": "Risk"}, {"label": "X", "type": "Risk"}], '
     '"relations": []}', "listed twice"),
    ('{"doc": "d.md", "entities": [], "relations": [{"subject": "a", "predicate": "causes", "object": "b"}]}',
     "relations[0]: predicate 'causes' is not one of usesTechnique"),
    ('{"doc": "d.md", "entities": [], "relations": [{"subject": "a", "predicate": "appliesAt"}]}',
     "relations[0]: 'object' must be"),
    (GOOD, "already annotated on line 1"),
])
def test_bad_gold_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(f"{GOOD}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"gold\.jsonl:3: ") as info:
        load_gold(path)
    assert message in str(info.value)


def test_bad_gold_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="gold file not found"):
        load_gold(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no documents"):
        load_gold(tmp_path / "empty.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(GOOD.replace("x", "\xe9").encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        load_gold(tmp_path / "latin1.jsonl")


# ----------------------------------------------------------------------------------- CLI, tiny corpus

TINY_GOLD = {"doc": "doc.md",
             "entities": [{"label": "fine-tuning", "type": "Technique", "aliases": ["fine tuning"]},
                          {"label": "sycophancy", "type": "Risk", "aliases": []},
                          {"label": "red teaming", "type": "Intervention", "aliases": ["red-teaming"]},
                          {"label": "deceptive alignment", "type": "Risk", "aliases": []}],
             "relations": [{"subject": "fine-tuning", "predicate": "introducesRisk", "object": "sycophancy",
                            "evidence": "Fine-tuning can introduce sycophancy."}]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    (root / "corpus").mkdir()
    (root / "corpus" / "doc.md").write_text("# Fine-tuning\n\nFine-tuning can introduce sycophancy. "
                                            "Red teaming mitigates sycophancy.\n", encoding="utf-8")
    (root / "gold.jsonl").write_text(json.dumps(TINY_GOLD) + "\n", encoding="utf-8")
    build(root / "corpus", root / "build")
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_scores_a_corpus_and_its_built_graph(tiny: Path) -> None:
    code, out, err = run("--gold", str(tiny / "gold.jsonl"), str(tiny / "corpus"), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    micro = data["overall"]["micro"]
    assert micro["entities"]["all"]["recall"] == 0.75  # deceptive alignment is not in the text
    assert micro["entities"]["all"]["tp"] == 3 and micro["relations"]["introducesRisk"]["tp"] == 1
    assert data["documents"][0]["missed"][0]["label"] == "deceptive alignment"
    code, out_graph, err = run("--gold", str(tiny / "gold.jsonl"), "--graph", str(tiny / "build" / "graph.trig"),
                               "--format", "json")
    assert code == 0, err
    assert json.loads(out_graph)["overall"] == data["overall"]


def test_cli_table_explain_and_floors(tiny: Path) -> None:
    gold, corpus = str(tiny / "gold.jsonl"), str(tiny / "corpus")
    code, out, _ = run("--gold", gold, corpus, "--explain")
    assert code == 0
    assert "doc.md" in out and "micro, all documents" in out
    assert "missed    Risk         'deceptive alignment': none of its names is in the text" in out
    code, _, err = run("--gold", gold, corpus, "--min-entity-f1", "1", "--min-relation-f1", "0")
    assert code == 1 and err.startswith("Error: overall micro entity F1 ") and "below the floor 1" in err
    assert run("--gold", gold, corpus, "--min-entity-f1", "0.1", "--min-relation-f1", "0.1")[0] == 0


def test_cli_errors(tiny: Path) -> None:
    code, _, err = run("--gold", str(tiny / "nope.jsonl"), str(tiny / "corpus"))
    assert code == 1 and err.startswith("Error: ") and "gold file not found" in err
    bad = tiny / "bad.jsonl"
    bad.write_text('{"doc": "doc.md", "entities": [{"label": "x", "type": "Harm"}], "relations": []}\n')
    code, _, err = run("--gold", str(bad), str(tiny / "corpus"))
    assert code == 1 and "bad.jsonl:1: entities[0]: type 'Harm'" in err
    code, _, err = run("--gold", str(tiny / "gold.jsonl"), str(tiny / "corpus"), "--graph", "x.trig")
    assert code == 2 and "not both" in err
    code, _, err = run("--gold", str(tiny / "gold.jsonl"), "--graph", str(tiny / "missing.trig"))
    assert code == 1 and "run `aigraph build` first" in err
    code, _, err = run("--gold", str(tiny / "gold.jsonl"), "--graph", str(tiny / "build" / "graph.ttl"))
    assert code == 1 and "no per-document named graphs" in err and "graph.trig" in err
    code, out, _ = run("--help")
    assert code == 0 and "Example" in out


# ----------------------------------------------------------------------------------- ratchet


@pytest.fixture(scope="module")
def seeds_report() -> EvalReport:
    return evaluate(load_gold(SEEDS), predictions_from_corpus(ROOT / "corpus"))


def test_extraction_quality_does_not_drop_below_the_floors(seeds_report: EvalReport) -> None:
    """Floors: the scores measured when they were last raised, rounded down. Raise them as extraction improves."""
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    measured = {
        "entity_f1": seeds_report.micro("entities").f1,
        "relation_f1": seeds_report.micro("relations").f1,
        **{f"entity_recall.{c}": seeds_report.micro("entities", c).recall for c in floors["entity_recall"]},
        **{f"relation_recall.{p}": seeds_report.micro("relations", p).recall for p in floors["relation_recall"]},
    }
    wanted = {"entity_f1": floors["entity_f1"], "relation_f1": floors["relation_f1"],
              **{f"entity_recall.{c}": v for c, v in floors["entity_recall"].items()},
              **{f"relation_recall.{p}": v for p, v in floors["relation_recall"].items()}}
    assert len(wanted) == 10
    below = {k: (round(measured[k], 4), v) for k, v in wanted.items() if measured[k] + 1e-9 < v}  # float noise
    assert not below, f"extraction got worse on tests/seeds.jsonl (measured, floor): {below}"


def test_graph_mode_scores_like_in_process_mode(seeds_report: EvalReport, tmp_path: Path) -> None:
    build(ROOT / "corpus", tmp_path)
    from_graph = evaluate(load_gold(SEEDS), predictions_from_graph(tmp_path / "graph.trig"))
    assert from_graph.as_dict()["overall"] == seeds_report.as_dict()["overall"]
