"""The gold format (JSON Lines, one annotated document per line) and how names are compared.

    {"doc": "<file name>",
     "entities": [{"label": "fine-tuning", "type": "Technique", "aliases": ["fine tuning"]}],
     "relations": [{"subject": "model training", "predicate": "usesTechnique", "object": "fine-tuning",
                    "evidence": "<verbatim span of the document>"}]}

Two names are the same when their `name_key`s are equal (see README.md, "Measuring extraction").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigraph.errors import InputError
from aigraph.model import CLASSES, PREDICATES

# ----------------------------------------------------------------------------------- names

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'})
_SEPARATORS = re.compile(r"[-_/\u2010-\u2015\u2212]+")
_EDGE = "\"'`.,;:!?()[]{}<>*#|~ \t\r\n"
_IRREGULAR = {"biases": "bias", "analyses": "analysis", "hypotheses": "hypothesis", "criteria": "criterion",
              "aliases": "alias", "lenses": "lens", "indices": "index", "matrices": "matrix"}
_INVARIANT = frozenset({"bias", "alias", "lens", "news", "series", "species", "ethics", "physics", "robotics"})


def singular(word: str) -> str:
    """Crude singular of a lower-case word: ies->y, sses->ss, a final s dropped (not after s, u, i)."""
    if word in _IRREGULAR or word in _INVARIANT:
        return _IRREGULAR.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _fold(text: str) -> str:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text).lower().translate(_QUOTES))


def normalize(text: str) -> str:
    """The comparable form of a name: '“Fine-Tuning Strategies”' -> 'fine tuning strategy'."""
    return " ".join(singular(w) for w in _fold(text).strip(_EDGE).split())


def name_key(text: str) -> str:
    """`normalize` without spaces: two names are the same when their keys are ("fine tuning" == "finetuning")."""
    return normalize(text).replace(" ", "")


def name_keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(k for k in map(name_key, names) if k)


def text_words(text: str) -> str:
    """Running text as normalized words, padded with spaces: for 'does the text say X' checks."""
    return " " + " ".join(singular(w) for w in re.findall(r"\w+(?:'\w+)*", _fold(text))) + " "


# ----------------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class GoldEntity:
    label: str
    type: str  # one of CLASSES
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoldRelation:
    subject: str  # a gold entity label
    predicate: str  # one of PREDICATES
    object: str
    evidence: str = ""


@dataclass(frozen=True)
class GoldDoc:
    doc: str  # file name of the annotated document
    entities: tuple[GoldEntity, ...] = ()
    relations: tuple[GoldRelation, ...] = ()


def load_gold(path: str | Path) -> list[GoldDoc]:
    """Read and check a gold JSON Lines file; InputError names file:line and what to fix."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: gold file not found; pass the JSON Lines file with --gold") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the gold file as UTF-8 text: {exc}") from exc
    docs: dict[str, tuple[int, GoldDoc]] = {}
    for number, line in enumerate(lines, 1):
        if line.strip():
            doc = _gold_doc(line, f"{path}:{number}")
            if doc.doc in docs:
                raise InputError(f"{path}:{number}: document {doc.doc!r} is already annotated on line "
                                 f"{docs[doc.doc][0]}; merge the two lines into one")
            docs[doc.doc] = (number, doc)
    if not docs:
        raise InputError(f'{path}: no documents; write one JSON object per line: {{"doc": ..., "entities": '
                         '[...], "relations": [...]}')
    return [doc for _, doc in docs.values()]


def _get(obj: Any, key: str, kind: type, where: str, default: Any = None) -> Any:
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {json.dumps(obj)[:60]}")
    value = obj.get(key, default)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{where}: {key!r} must be a non-empty {'string' if kind is str else 'list'}, got "
                         f"{value!r}; see the gold format (doc, entities: label/type/aliases, relations: "
                         "subject/predicate/object/evidence)")
    return value


def _gold_doc(line: str, where: str) -> GoldDoc:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); "
                         "each line must be one complete JSON object") from exc
    name = _get(data, "doc", str, where)
    entities: list[GoldEntity] = []
    for i, item in enumerate(_get(data, "entities", list, where)):
        at = f"{where}: entities[{i}]"
        label, kind, aliases = _get(item, "label", str, at), _get(item, "type", str, at), _get(item, "aliases",
                                                                                              list, at, [])
        if kind not in CLASSES:
            raise InputError(f"{at}: type {kind!r} is not one of {', '.join(CLASSES)}")
        if not all(isinstance(a, str) for a in aliases):
            raise InputError(f"{at}: aliases must be a list of strings")
        if any(e.type == kind and name_key(e.label) == name_key(label) for e in entities):
            raise InputError(f"{at}: {label!r} ({kind}) is listed twice; keep one entry and merge the aliases")
        entities.append(GoldEntity(label, kind, tuple(aliases)))
    relations: dict[tuple[str, str, str], GoldRelation] = {}
    for i, item in enumerate(_get(data, "relations", list, where)):
        at = f"{where}: relations[{i}]"
        subject, predicate, obj = (_get(item, k, str, at) for k in ("subject", "predicate", "object"))
        if predicate not in PREDICATES:
            raise InputError(f"{at}: predicate {predicate!r} is not one of {', '.join(PREDICATES)}")
        evidence = item.get("evidence")
        relations.setdefault((name_key(subject), predicate, name_key(obj)),  # the same relation twice: once
                             GoldRelation(subject, predicate, obj, evidence if isinstance(evidence, str) else ""))
    return GoldDoc(name, tuple(entities), tuple(relations.values()))
