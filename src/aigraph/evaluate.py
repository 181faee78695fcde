"""Extraction quality against a gold file: entity and relation precision, recall and F1 per document.

Gold (`aigraph.gold`) is compared per document with what the extractor predicts, from extracting a
corpus in-process or from a built graph.trig. Matching (README.md, "Measuring extraction"):
- An entity is a (concept, class) pair. A predicted concept matches a gold entity when one of its surface
  forms (label, lexicon altLabels, its mention texts in the document) has the `name_key` of the gold label
  or of an alias, and the concept has the gold class in that document.
- A predicted relation (s, p, o) matches a gold relation with the same predicate when s matches the gold
  subject and o the gold object (names from the document's gold entities; the label alone if absent).
- Counting is one-to-one, a maximum bipartite matching per class or predicate: each gold item gives at most
  one TP and each predicted item at most one. A predicted item matching no gold item is an FP; one whose
  gold items were all taken by other predicted items is a duplicate, neither TP nor FP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigraph.errors import InputError
from aigraph.gold import GoldDoc, GoldEntity, GoldRelation, load_gold, name_key, name_keys, normalize, text_words
from aigraph.model import CLASSES, PREDICATES, Extraction

__all__ = ["EvalReport", "GoldDoc", "GoldEntity", "GoldRelation", "Predicted", "PredictedConcept",
           "PredictedRelation", "Score", "below_floors", "evaluate", "format_eval", "load_gold", "name_key",
           "normalize", "predictions_from_corpus", "predictions_from_extractions", "predictions_from_graph"]

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("table", "json")
ALL = "all"
KINDS: dict[str, tuple[str, ...]] = {"entities": CLASSES, "relations": tuple(PREDICATES)}

# ----------------------------------------------------------------------------------- predictions


@dataclass(frozen=True)
class PredictedConcept:
    key: str
    label: str
    classes: tuple[str, ...]  # the classes the concept has in this document
    surface_forms: tuple[str, ...]  # label, lexicon altLabels, mention texts in this document


@dataclass(frozen=True)
class PredictedRelation:
    subject: str  # concept key
    predicate: str
    object: str
    sentences: tuple[str, ...] = ()  # evidence sentences, in document order


@dataclass
class Predicted:
    """What the extractor found in one document."""

    doc: str
    concepts: dict[str, PredictedConcept] = field(default_factory=dict)
    relations: list[PredictedRelation] = field(default_factory=list)
    text: str = ""  # cleaned document text when known (only used to explain misses)


def _forms(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({f for group in groups for f in group if f.strip()}))


def predictions_from_extractions(extractions: list[Extraction]) -> dict[str, Predicted]:
    """Per document: every concept mentioned in it (with its classes there) and every relation."""
    out: dict[str, Predicted] = {}
    for ex in extractions:
        texts: dict[str, set[str]] = {}
        mentions = [*ex.mentions, *(m for evs in ex.relations.values() for e in evs for m in (e.subject, e.object))]
        for m in mentions:
            texts.setdefault(m.concept, set()).add(m.text)
        concepts = {c.key: PredictedConcept(c.key, c.label, c.types, _forms([c.label], c.alt_labels,
                                                                           texts.get(c.key, ())))
                    for c in ex.concepts.values()}
        relations = [PredictedRelation(r.subject, r.predicate, r.object, tuple(dict.fromkeys(e.sentence for e in ev)))
                     for r, ev in ex.relations.items()]
        out[ex.doc.name] = Predicted(ex.doc.name, concepts, relations, ex.doc.text)
    return out


def predictions_from_corpus(corpus: str | Path) -> dict[str, Predicted]:
    """Read and extract a corpus in-process (nothing is written)."""
    from aigraph.corpus import read_corpus
    from aigraph.extract import extract

    return predictions_from_extractions(extract(read_corpus(corpus)))


_GRAPH_CONCEPTS = """SELECT ?file ?c ?cls ?label WHERE { GRAPH ?g {
  ?d a aig:Document ; aig:fileName ?file . ?c a ?cls . OPTIONAL { ?c rdfs:label ?label }
  FILTER(?cls IN (aig:Stage, aig:Technique, aig:Risk, aig:Intervention)) } }"""
_GRAPH_FORMS = """SELECT ?file ?c ?text WHERE { { ?m aig:mentionOf ?c ; aig:inDocument ?d ; aig:text ?text }
  UNION { GRAPH ?g { ?d a aig:Document . ?c a ?cls ; skos:altLabel|skos:prefLabel ?text } }
  ?d aig:fileName ?file }"""
_GRAPH_RELATIONS = """SELECT ?file ?s ?p ?o ?sentence WHERE {
  { ?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; aig:inDocument ?d .
    OPTIONAL { ?e aig:sentence ?sentence ; aig:startOffset ?start } }
  UNION { GRAPH ?g { ?d a aig:Document . ?s ?p ?o } }
  ?d aig:fileName ?file .
  FILTER(?p IN (aig:usesTechnique, aig:introducesRisk, aig:mitigatedBy, aig:appliesAt))
} ORDER BY ?file ?s ?p ?o ?start ?sentence"""


def predictions_from_graph(path: str | Path) -> dict[str, Predicted]:
    """Per document (named graph) of a built graph.trig: concepts, surface forms and evidenced relations.

    The graph keeps only the mentions that are evidence of a relation, so the lexicon's altLabels are
    added to each concept's surface forms, as `predictions_from_extractions` has them.
    """
    from aigraph.lexicon import CONCEPT_NS, load_lexicon
    from aigraph.query import PREFIXES, load_store, run_query

    store = load_store(Path(path))
    lexicon = {c.key: c for c in load_lexicon()}
    local, aig = len(CONCEPT_NS), len(PREFIXES["aig"])
    found: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for file, c, cls, label in run_query(store, _GRAPH_CONCEPTS).rows:
        key = str(c)[local:]
        found.setdefault(str(file), {}).setdefault(key, (label or key, []))[1].append(str(cls)[aig:])
    forms: dict[tuple[str, str], set[str]] = {}
    for file, c, text in run_query(store, _GRAPH_FORMS).rows:
        forms.setdefault((str(file), str(c)[local:]), set()).add(str(text))
    if not found:
        union = run_query(store, "ASK { ?d a aig:Document }").rows[0][0] == "true"
        raise InputError(f"{path}: " + ("no per-document named graphs (a .ttl is their union)" if union else
                                        "no aigraph documents") + "; give the graph.trig that `aigraph build` wrote")
    out: dict[str, Predicted] = {file: Predicted(file) for file in found}
    for file, concepts in found.items():
        for key, (label, classes) in sorted(concepts.items()):
            alts = lexicon[key].alt_labels if key in lexicon else ()
            out[file].concepts[key] = PredictedConcept(key, label, tuple(c for c in CLASSES if c in classes),
                                                       _forms([label], alts, forms.get((file, key), ())))
    relations: dict[tuple[str, str, str, str], list[str]] = {}
    for file, s, p, o, sentence in run_query(store, _GRAPH_RELATIONS).rows:
        sentences = relations.setdefault((str(file), str(s)[local:], str(p)[aig:], str(o)[local:]), [])
        if sentence is not None and sentence not in sentences:
            sentences.append(sentence)
    for (file, s, p, o), sentences in sorted(relations.items()):
        out.setdefault(file, Predicted(file)).relations.append(PredictedRelation(s, p, o, tuple(sentences)))
    return out


# ----------------------------------------------------------------------------------- scoring


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class DocEval:
    """Scores of one gold document: `scores["entities"]` by class, `scores["relations"]` by predicate."""

    doc: str
    scores: dict[str, dict[str, Score]] = field(default_factory=lambda: {"entities": {}, "relations": {}})
    matched: list[dict[str, str]] = field(default_factory=list)
    missed: list[dict[str, str]] = field(default_factory=list)  # false negatives, each with `why`
    spurious: list[dict[str, str]] = field(default_factory=list)  # false positives, each with `why`
    predicted: bool = True  # False when the document was not among the predictions at all

    def score(self, kind: str, name: str = ALL) -> Score:
        scores = self.scores[kind]
        return sum(scores.values(), Score()) if name == ALL else scores.get(name, Score())


@dataclass
class EvalReport:
    documents: list[DocEval]
    not_in_gold: list[str] = field(default_factory=list)  # predicted documents the gold file lacks

    def micro(self, kind: str, name: str = ALL) -> Score:
        """Counts pooled over documents; `kind` is "entities" or "relations", `name` a class/predicate/ALL."""
        return sum((d.score(kind, name) for d in self.documents), Score())

    def macro(self, kind: str, name: str = ALL) -> dict[str, float]:
        """Mean per-document P/R/F1 over the documents with gold or predicted items of `name`."""
        scores = [s for s in (d.score(kind, name) for d in self.documents) if s.tp + s.fp + s.fn]
        n = len(scores) or 1
        return {"precision": round(sum(s.precision for s in scores) / n, 4),
                "recall": round(sum(s.recall for s in scores) / n, 4),
                "f1": round(sum(s.f1 for s in scores) / n, 4), "documents": len(scores)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": {"micro": {k: {n: self.micro(k, n).as_dict() for n in (*names, ALL)}
                                  for k, names in KINDS.items()},
                        "macro": {k: {n: self.macro(k, n) for n in (*names, ALL)} for k, names in KINDS.items()}},
            "documents": [{"doc": d.doc, "predicted": d.predicted,
                           **{k: {n: d.score(k, n).as_dict() for n in (*names, ALL)} for k, names in KINDS.items()},
                           "matched": d.matched, "missed": d.missed, "spurious": d.spurious}
                          for d in self.documents],
            "documents_not_in_gold": self.not_in_gold,
        }


def _match(edges: list[list[int]], predicted: int) -> tuple[Score, dict[int, int], set[int]]:
    """One-to-one counts from gold i -> matching predicted js: (score, gold -> predicted, every matching j)."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:  # Kuhn's augmenting paths: a maximum matching
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(edges)):
        augment(i, set())
    hit = {j for js in edges for j in js}
    return Score(len(owner), predicted - len(hit), len(edges) - len(owner)), {i: j for j, i in owner.items()}, hit


def evaluate(gold: list[GoldDoc], predicted: dict[str, Predicted]) -> EvalReport:
    """Score `predicted` against `gold` per document; predicted documents the gold lacks are not scored.

    A gold document is found by its name, else by the only predicted document with that file name.
    """
    names: dict[str, str] = {}
    for g in gold:
        same = [n for n in predicted if n == g.doc] or [n for n in predicted if n.rsplit("/", 1)[-1] == g.doc]
        if len(same) == 1:
            names[g.doc] = same[0]
        else:
            log.warning("gold document %s is not among the evaluated documents: all its items count as missed", g.doc)
    if not names:
        raise InputError(f"none of the {len(gold)} gold documents ({', '.join(g.doc for g in gold[:3])}, ...) is "
                         f"among the evaluated documents ({', '.join(sorted(predicted)[:3]) or 'none'}, ...); "
                         "evaluate the corpus the gold file annotates")
    docs = [_evaluate_doc(g, predicted.get(names.get(g.doc, ""), Predicted(g.doc)), g.doc in names) for g in gold]
    return EvalReport(docs, sorted(set(predicted) - set(names.values())))


def _evaluate_doc(g: GoldDoc, p: Predicted, found: bool) -> DocEval:
    out = DocEval(g.doc, predicted=found)
    concepts = sorted(p.concepts.values(), key=lambda c: c.key)
    forms = {c.key: name_keys([c.label, *c.surface_forms]) for c in concepts}
    gold_keys = [name_keys([e.label, *e.aliases]) for e in g.entities]
    text = text_words(p.text) if p.text else ""
    for cls in CLASSES:
        golds = [(e, k) for e, k in zip(g.entities, gold_keys, strict=True) if e.type == cls]
        preds = [c for c in concepts if cls in c.classes]
        score, pairs, hit = _match([[j for j, c in enumerate(preds) if forms[c.key] & k] for _, k in golds], len(preds))
        out.scores["entities"][cls] = score
        for i, (e, k) in enumerate(golds):
            if i in pairs:
                out.matched.append({"kind": "entity", "type": cls, "gold": e.label, "concept": preds[pairs[i]].key})
                continue
            other = [c for c in concepts if forms[c.key] & k]
            said = [n for n in (e.label, *e.aliases) if text and text_words(n) in text]
            why = (f"predicted as {other[0].label!r} ({', '.join(other[0].classes)})" if other and cls not in
                   other[0].classes else "its concept matched another gold entity" if other
                   else f"not predicted, though the text says {said[0]!r}" if said
                   else "none of its names is in the text" if text else "not predicted")
            out.missed.append({"kind": "entity", "type": cls, "label": e.label, "why": why})
        for j, c in enumerate(preds):
            if j not in hit:
                types = [e.type for e, k in zip(g.entities, gold_keys, strict=True) if forms[c.key] & k]
                why = f"gold has it as {', '.join(types)}" if types else "not in gold"
                out.spurious.append({"kind": "entity", "type": cls, "label": c.label, "concept": c.key, "why": why})
    _evaluate_relations(g, p, out, forms, frozenset().union(*gold_keys))
    return out


def _evaluate_relations(g: GoldDoc, p: Predicted, out: DocEval, forms: dict[str, frozenset[str]],
                        any_gold: frozenset[str]) -> None:
    def gold_names(label: str, allowed: tuple[str, ...]) -> frozenset[str]:
        same = [e for e in g.entities if name_key(e.label) == name_key(label)]
        return name_keys([label, *(a for e in ([e for e in same if e.type in allowed] or same) for a in e.aliases)])

    def ends(key: str) -> frozenset[str]:
        return forms.get(key) or name_keys([key.replace("-", " ")])

    def label(key: str) -> str:
        return p.concepts[key].label if key in p.concepts else key

    for predicate, (domain, range_) in PREDICATES.items():
        golds = [(r, gold_names(r.subject, domain), gold_names(r.object, range_))
                 for r in g.relations if r.predicate == predicate]
        preds = sorted((r for r in p.relations if r.predicate == predicate), key=lambda r: (r.subject, r.object))
        edges = [[j for j, r in enumerate(preds) if ends(r.subject) & s and ends(r.object) & o] for _, s, o in golds]
        out.scores["relations"][predicate], pairs, hit = _match(edges, len(preds))
        for i, (r, s, o) in enumerate(golds):
            item = {"kind": "relation", "subject": r.subject, "predicate": predicate, "object": r.object}
            if i in pairs:
                out.matched.append({**item, "concepts": f"{preds[pairs[i]].subject} {preds[pairs[i]].object}"})
                continue
            subjects, objects = {c for c in p.concepts if forms[c] & s}, {c for c in p.concepts if forms[c] & o}
            links = sorted((x.subject not in subjects, x.predicate) for x in p.relations  # (reversed, predicate)
                           if (x.subject in subjects and x.object in objects)
                           or (x.subject in objects and x.object in subjects))
            why = ("neither subject nor object predicted" if not subjects and not objects
                   else "subject not predicted" if not subjects else "object not predicted" if not objects
                   else "its predicted relation matched another gold relation" if (False, predicate) in links
                   else f"predicted as {links[0][1]}{' (reversed)' if links[0][0] else ''}" if links
                   else "both concepts predicted, no relation")
            out.missed.append({**item, "why": why, "evidence": r.evidence})
        for j, x in enumerate(preds):
            if j not in hit:
                bad = [n for n, key in (("subject", x.subject), ("object", x.object)) if not ends(key) & any_gold]
                out.spurious.append({"kind": "relation", "subject": label(x.subject), "predicate": predicate,
                                     "object": label(x.object), "why": "neither end is a gold entity" if len(bad) == 2
                                     else f"{bad[0]} is not a gold entity" if bad else "not in gold",
                                     "evidence": x.sentences[0] if x.sentences else ""})


def below_floors(report: EvalReport, min_entity_f1: float | None = None,
                 min_relation_f1: float | None = None) -> list[str]:
    """One message per overall micro F1 below its floor (empty when every floor is met)."""
    failed = []
    for kind, what, floor in (("entities", "entity", min_entity_f1), ("relations", "relation", min_relation_f1)):
        if floor is not None and (f1 := report.micro(kind).f1) < floor:
            failed.append(f"overall micro {what} F1 {f1:.4f} is below the floor {floor:g}")
    return failed


# ----------------------------------------------------------------------------------- output


def format_eval(report: EvalReport, fmt: str = "table", explain: bool = False) -> str:
    """The report as a text table (`explain` adds every miss and false positive) or as JSON (everything)."""
    if fmt == "json":
        return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt != "table":
        raise InputError(f"unknown eval format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    lines: list[str] = []
    for kind, names in KINDS.items():
        rows = [(d.doc + ("" if d.predicted else " (not extracted)"), d.score(kind)) for d in report.documents]
        rows += [("micro, all documents", report.micro(kind)), *((f"  {n}", report.micro(kind, n)) for n in names)]
        w = max(len(r[0]) for r in rows)
        lines.append(f"{kind.capitalize():<{w}}  {'P':>6}  {'R':>6}  {'F1':>6}  {'TP':>4}  {'FP':>4}  {'FN':>4}")
        lines += [f"{n:<{w}}  {s.precision:6.4f}  {s.recall:6.4f}  {s.f1:6.4f}  {s.tp:4d}  {s.fp:4d}  {s.fn:4d}"
                  for n, s in rows]
        m = report.macro(kind)
        lines += [f"{'macro, mean of documents':<{w}}  {m['precision']:6.4f}  {m['recall']:6.4f}  {m['f1']:6.4f}", ""]
    for d in report.documents if explain else ():
        lines.append(f"{d.doc}: {len(d.missed)} missed, {len(d.spurious)} spurious")
        for tag, x in [*(("missed", x) for x in d.missed), *(("spurious", x) for x in d.spurious)]:
            what = (f"{x['type']:<12} {x['label']!r}" if x["kind"] == "entity"
                    else f"{x['subject']!r} {x['predicate']} {x['object']!r}")
            quote = f'\n{"":12}"{x["evidence"]}"' if x.get("evidence") else ""
            lines.append(f"  {tag:<9} {what}: {x['why']}{quote}")
        lines.append("")
    if report.not_in_gold:
        lines.append(f"not in the gold file, not scored: {', '.join(report.not_in_gold)}")
    return "\n".join(lines).rstrip("\n") + "\n"
