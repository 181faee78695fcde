"""Incremental builds: reuse each document's extraction while its bytes and the extractor are unchanged.

In the build folder:

    manifest.json        the last build: the extraction fingerprint and each document's file name and sha256
    cache/<key>.json     one document's extraction: its concepts, mentions, relations with their evidence and
                         its candidate terms (an `Extraction` without the `Document`, which is re-read anyway)

A cache key is the sha256 of (fingerprint, file name, sha256 of the file's bytes), so an entry is used only
for the same bytes under the same name, extracted by the same extractor. The fingerprint hashes everything
an extraction depends on: the files of the ontology folder (lexicon, cue words, ontology, shapes), the source
of every aigraph module the extractor and the corpus reader import (found by following their imports, so a
new module is covered without a list to maintain), aigraph's version, spaCy's version and the name and
version of the English pipeline. Any change there misses every entry: a full re-extraction.

A build reads and hashes every document (cheap), loads the cached extraction of the unchanged ones, extracts
the others (loading the spaCy pipeline only then) and hands the whole list to the same code as a full build:
the graphs of removed documents are gone because they are not in the list, and the result equals a full
build's by construction. Entries are written as soon as a document is extracted, so a build killed midway
keeps what it finished; `commit` writes the manifest and removes the entries no document uses any more.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from aigraph import __version__
from aigraph.errors import BuildError
from aigraph.extract import MODELS, extract_document, load_pipeline
from aigraph.fileio import atomic_write_text
from aigraph.lexicon import ontology_dir
from aigraph.model import Candidate, Concept, Document, Evidence, Extraction, Mention, Relation

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CACHE_DIR = "cache"
FORMAT = 1  # of the manifest and of the cache entries; bump when their layout changes
_ROOTS = ("aigraph.extract", "aigraph.corpus")


def fingerprint(ontology: Path | None = None) -> str:
    """The sha256 of everything an extraction depends on besides the document itself (`ontology`: the
    ontology folder, default the one the extractor reads)."""
    digest = hashlib.sha256()
    for part in (f"format {FORMAT}", f"aigraph {__version__}", f"spacy {_version('spacy')}", f"model {_model()}"):
        digest.update(part.encode() + b"\0")
    folder = ontology or ontology_dir()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for module, path in extractor_modules().items():
        digest.update(module.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def extractor_modules() -> dict[str, Path]:
    """The aigraph modules an extraction runs (those `aigraph.extract` and `aigraph.corpus` import,
    transitively), with their source files, sorted by name."""
    found: dict[str, Path] = {}
    todo = list(_ROOTS)
    while todo:
        name = todo.pop()
        spec = importlib.util.find_spec(name) if name not in found else None
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        found[name] = Path(spec.origin)
        for node in ast.walk(ast.parse(found[name].read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "aigraph":
                todo.extend(f"aigraph.{alias.name}" for alias in node.names)  # from aigraph import terms
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("aigraph."):
                todo.append(node.module or "")
            elif isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names if alias.name.startswith("aigraph."))
    return dict(sorted(found.items()))


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _model() -> str:
    """The English pipeline `load_pipeline` loads: the first of MODELS that is installed."""
    for name in MODELS:
        if (version := _version(name)) != "none":
            return f"{name} {version}"
    return "none"


def cache_key(fingerprint: str, document: Document) -> str:
    return hashlib.sha256(f"{fingerprint}\0{document.name}\0{document.sha256}".encode()).hexdigest()


@dataclass
class Changes:
    """What an incremental build found, compared with the manifest of the previous build."""

    reason: str  # why documents were (re-)extracted: "first build", "--full", "extractor changed", "incremental"
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reused: int = 0
    extracted: int = 0

    def summary(self) -> str:
        return (f"{self.reason}: {self.extracted} extracted, {self.reused} reused; {len(self.added)} added, "
                f"{len(self.changed)} changed, {len(self.removed)} removed")


class ExtractionCache:
    """The manifest and per-document cache of one build folder.

        cache = ExtractionCache(out_dir, full=full)
        extractions = cache.extract(documents, progress=on_document)
        ...  # the same downstream code as a full build
        cache.commit()   # once the outputs are in place
    """

    def __init__(self, out_dir: str | os.PathLike[str], *, full: bool = False) -> None:
        self.out = Path(out_dir)
        self.cache = self.out / CACHE_DIR
        self.full = full
        self.fingerprint = fingerprint()
        self.previous = read_manifest(self.out)
        self.documents: list[Document] = []
        self.changes = Changes("first build")

    def extract(self, documents: Iterable[Document], nlp: Language | None = None,
                progress: Callable[[Document], None] | None = None) -> list[Extraction]:
        """The extraction of every document, in order: from the cache where possible, else by spaCy."""
        self.documents = list(documents)
        self.changes = self._compare()
        results: list[Extraction] = []
        for document in self.documents:
            cached = None if self.full else self._read(document)
            if cached is None:
                if nlp is None:
                    nlp = load_pipeline()
                cached = extract_document(nlp, document)
                self._write(document, cached)
                self.changes.extracted += 1
            else:
                self.changes.reused += 1
            results.append(cached)
            if progress is not None:
                progress(document)
        log.info("extraction %s", self.changes.summary())
        return results

    def commit(self) -> None:
        """Record this build in manifest.json and drop the cache entries no document uses any more."""
        keys = {cache_key(self.fingerprint, d) for d in self.documents}
        manifest = {
            "format": FORMAT,
            "aigraph": __version__,
            "fingerprint": self.fingerprint,
            "extractor": {"spacy": _version("spacy"), "model": _model(), "modules": list(extractor_modules())},
            "documents": [{"file": d.name, "sha256": d.sha256} for d in self.documents],
        }
        atomic_write_text(self.out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if self.cache.is_dir():
            for path in self.cache.iterdir():
                stale = path.suffix == ".json" and path.stem not in keys
                if stale or path.name.endswith(".tmp"):  # .tmp: left by a killed write
                    path.unlink(missing_ok=True)

    def _compare(self) -> Changes:
        old = {d["file"]: d["sha256"] for d in (self.previous or {}).get("documents", [])}
        new = {d.name: d.sha256 for d in self.documents}
        if self.full:
            reason = "--full"
        elif self.previous is None:
            reason = "first build"
        elif self.previous.get("fingerprint") != self.fingerprint:
            reason = "extractor changed (ontology, lexicon, code or spaCy model): full re-extraction"
        else:
            reason = "incremental"
        return Changes(
            reason,
            added=sorted(n for n in new if n not in old),
            changed=sorted(n for n, h in new.items() if n in old and old[n] != h),
            removed=sorted(n for n in old if n not in new),
        )

    def _path(self, document: Document) -> Path:
        return self.cache / f"{cache_key(self.fingerprint, document)}.json"

    def _read(self, document: Document) -> Extraction | None:
        path = self._path(document)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["format"] != FORMAT or data["file"] != document.name or data["sha256"] != document.sha256:
                return None
            return from_json(data, document)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            log.warning("ignoring damaged cache entry %s (%s); extracting %s again", path, exc, document.name)
            return None

    def _write(self, document: Document, extraction: Extraction) -> None:
        try:
            atomic_write_text(self._path(document), json.dumps(to_json(extraction), ensure_ascii=False))
        except OSError as exc:
            raise BuildError(f"cannot write the extraction cache in {self.cache}: {exc}; check the free disk "
                             f"space and permissions, or delete {self.cache} and build again") from exc


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The previous build's manifest, or None when there is none or it is unreadable (then all is extracted)."""
    path = out_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s (%s)", path, exc)
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


# --------------------------------------------------------------------------- (de)serialization


def to_json(ex: Extraction) -> dict[str, Any]:
    """Everything in an Extraction but the Document, as JSON values; lists keep every order."""
    return {
        "format": FORMAT,
        "file": ex.doc.name,
        "sha256": ex.doc.sha256,
        "concepts": [[c.key, c.label, list(c.types), list(c.alt_labels), c.definition] for c in ex.concepts.values()],
        "mentions": [_mention(m) for m in ex.mentions],
        "relations": [[r.subject, r.predicate, r.object, [_evidence(e) for e in ev]] for r, ev in ex.relations.items()],
        "candidates": [[c.term, c.guess, c.count, c.example, c.doc] for c in ex.candidates.values()],
    }


def from_json(data: dict[str, Any], document: Document) -> Extraction:
    """The Extraction `to_json` made, for `document`."""
    concepts = {c[0]: Concept(c[0], c[1], tuple(c[2]), tuple(c[3]), c[4]) for c in data["concepts"]}
    relations = {Relation(r[0], r[1], r[2]): [_to_evidence(e) for e in r[3]] for r in data["relations"]}
    candidates = {c[0]: Candidate(c[0], c[1], c[2], c[3], c[4]) for c in data["candidates"]}
    mentions = [Mention(*m) for m in data["mentions"]]
    return Extraction(document, concepts, mentions, relations, candidates)


def _mention(m: Mention) -> list[Any]:
    return [m.concept, m.text, m.start, m.end]


def _evidence(e: Evidence) -> list[Any]:
    return [e.doc, e.sentence, e.start, e.end, _mention(e.subject), _mention(e.object), e.rule, e.confidence,
            e.hedged]


def _to_evidence(e: list[Any]) -> Evidence:
    return Evidence(e[0], e[1], e[2], e[3], Mention(*e[4]), Mention(*e[5]), e[6], e[7], e[8])
