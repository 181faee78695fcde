"""Issue 7, input: the hostile corpus (tests/hostile.py) through a real `python -m aigraph build`, and the
reader's cases one by one: encodings, BOMs, CRLF, empty and binary files, special files, symlinks, the size
cap, texts over spaCy's max_length, a 200 KB token, files changed during the build, duplicates."""

from __future__ import annotations

import base64
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from aigraph.build import build
from aigraph.cli import main
from aigraph.corpus import read_document, scan_corpus
from aigraph.extract import MAX_CHUNK, extract_document
from aigraph.intake import decode
from aigraph.query import load_store, run_query
from aigraph.validate import validate_file
from hostile import PROSE, SECRET, Built, build_hostile, pipeline


@pytest.fixture(scope="module")
def built() -> Built:
    return build_hostile()


@pytest.fixture(scope="module")
def report(built: Built) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((built.out / "report.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def store(built: Built) -> ox.Store:
    return load_store(built.out / "graph.trig")


def rows(store: ox.Store, query: str) -> list[tuple[str | None, ...]]:
    return list(run_query(store, query).rows)


def test_hostile_corpus_builds_with_exit_3_and_names_every_skip(built: Built, report: dict[str, Any]) -> None:
    assert built.returncode == 3, built.stderr
    assert "Traceback" not in built.stderr + built.stdout
    skipped = {s["file"]: s for s in report["skipped"]}
    assert set(skipped) == set(built.corpus.skipped), set(skipped) ^ set(built.corpus.skipped)
    for name, word in built.corpus.skipped.items():
        assert word.lower() in skipped[name]["reason"].lower(), (name, skipped[name])
        assert f"Skipped {name}: {skipped[name]['reason']}" in built.stderr
    assert skipped["too-big.txt"]["size"] == 10 * 1024 * 1024 + 1
    assert f"({len(skipped)} skipped)" in built.stderr.splitlines()[-1]
    assert "report.json" in built.stderr.splitlines()[-1]
    assert {d["file"] for d in report["documents"]} == built.corpus.documents
    assert {i["file"] for i in report["ignored"]} == built.corpus.ignored
    assert report["changed"] == []


def test_nothing_outside_the_corpus_or_hidden_reaches_any_output(built: Built) -> None:
    for name in ("graph.trig", "graph.ttl", "graph.html", "report.json"):
        assert SECRET not in (built.out / name).read_text(encoding="utf-8"), name
    assert "root:" not in (built.out / "graph.ttl").read_text(encoding="utf-8")  # /etc/passwd


def test_special_files_are_never_opened(built: Built) -> None:
    assert not built.fifo_opened, "the build opened the FIFO (a blocked writer got through)"
    assert built.seconds < 120


def test_skipped_files_give_no_triples(store: ox.Store, built: Built) -> None:
    names = {r[0] for r in rows(store, "SELECT ?f WHERE { ?d a aig:Document ; aig:fileName ?f }")}
    assert names == built.corpus.documents | set(built.corpus.duplicates)
    assert not names & set(built.corpus.skipped)


def test_graph_of_the_hostile_corpus_conforms_to_the_shapes(built: Built) -> None:
    conforms, text = validate_file(built.out / "graph.ttl")
    assert conforms, text


def test_bom_never_reaches_a_label(store: ox.Store, report: dict[str, Any]) -> None:
    labels = rows(store, "SELECT ?l WHERE { ?x rdfs:label|skos:prefLabel ?l }")
    assert labels and not [r for r in labels if "\ufeff" in (r[0] or "")]
    titles = {d["file"]: d["title"] for d in report["documents"]}
    assert titles["bom.md"] == "BOM title"
    assert not titles["double-bom.txt"].startswith("\ufeff")
    assert titles["controls.md"] == "Bell tab RLO \u05e9\u05dc\u05d5\u05dd \U0001f600"  # controls, bidi override gone


def test_offsets_slice_every_decoded_file_to_the_mention(store: ox.Store, built: Built) -> None:
    found = rows(store, "SELECT ?f ?text ?s ?e WHERE { ?m a aig:Mention ; aig:text ?text ; aig:startOffset ?s ; "
                 "aig:endOffset ?e ; aig:inDocument/aig:fileName ?f }")
    files = {f for f, *_ in found}
    assert {"crlf.md", "cp1252.txt", "utf16.txt", "bom.md", "long-token.txt", "controls.md"} <= files
    for name in files:
        decoded = decode((built.corpus.root / str(name)).read_bytes())
        assert not isinstance(decoded, str)
        raw = decoded[0]
        for f, text, s, e in found:
            if f == name:
                assert raw[int(str(s)) : int(str(e))] == text, (name, text, s, e)


def test_crlf_gives_the_same_triples_as_lf(store: ox.Store) -> None:
    def facts(name: str) -> set[tuple[str | None, ...]]:
        return set(rows(store, f"""SELECT ?s ?p ?o ?sentence ?st ?ot WHERE {{
            ?e a aig:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; aig:sentence ?sentence ;
               aig:subjectMention/aig:text ?st ; aig:objectMention/aig:text ?ot ;
               aig:inDocument/aig:fileName "{name}" }}"""))

    lf, crlf = facts("good.md"), facts("crlf.md")
    assert lf and lf == crlf


def test_cp1252_fallback_is_read_with_a_warning(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ansi.txt").write_bytes("Caf\u00e9 \u201cnotes\u201d: red teaming reduces sycophancy.".encode("cp1252"))
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output  # a warning, not a skip
    assert "Warning: ansi.txt: not valid UTF-8 (byte 0xe9 at offset 3); read as Windows-1252" in result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["documents"][0]["encoding"] == "cp1252"
    assert "cp1252" in report["warnings"][0]["message"]
    trig = (tmp_path / "out" / "graph.trig").read_text(encoding="utf-8")
    assert "Caf\u00e9 \u201cnotes\u201d" in trig


def test_decoding_never_fails_and_never_yields_surrogates() -> None:
    rnd = random.Random(3)
    for _ in range(300):
        data = rnd.randbytes(rnd.randrange(0, 64))
        result = decode(data)
        if not isinstance(result, str):
            result[0].encode("utf-8")  # no lone surrogate: would raise


def test_max_bytes_option_skips_larger_files_and_shows_the_size(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.md").write_text("Red teaming reduces sycophancy.\n")
    (corpus / "large.md").write_text("Red teaming reduces sycophancy. " * 10)
    result = CliRunner().invoke(main, ["build", str(corpus), "--out", str(tmp_path / "out"), "--max-bytes", "100"])
    assert result.exit_code == 3, result.output
    assert "Skipped large.md: 320 bytes, over the size cap of 100 bytes" in result.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["skipped"] == [{"file": "large.md", "reason": report["skipped"][0]["reason"], "size": 320}]
    assert [d["file"] for d in report["documents"]] == ["small.md"]


def test_text_over_spacy_max_length_is_chunked_never_e088(tmp_path: Path) -> None:
    nlp = pipeline()
    sentences = [f"Step {i} of the plan was written down by the team on a calm day." if i % 20
                 else "Red teaming reduces sycophancy." for i in range(320)]
    prose = " ".join(sentences)  # one paragraph over MAX_CHUNK: the chunker cuts it at a sentence end
    assert len(prose) > MAX_CHUNK
    filler = 'Nothing to see here. ' * (MAX_CHUNK // 7)  # 3 chunks of words (a run without spaces is dropped)
    (tmp_path / "long.md").write_text(f"{prose}\n\n{filler}\n\nRed teaming reduces sycophancy.\n")
    document = read_document(tmp_path / "long.md", tmp_path)
    saved = nlp.max_length
    nlp.max_length = MAX_CHUNK + 1000
    try:
        assert len(document.text) > 2 * nlp.max_length
        with pytest.raises(ValueError, match="E088"):
            nlp(document.text)  # what chunking avoids
        extraction = extract_document(nlp, document)
    finally:
        nlp.max_length = saved
    assert extraction.relations
    assert max(m.start for m in extraction.mentions) > 2 * MAX_CHUNK  # the last chunks were read too
    for m in extraction.mentions:
        assert document.raw[m.start : m.end] == m.text


@pytest.mark.parametrize("kind", ["letters", "base64", "hyphens"])
def test_a_200_kb_token_with_no_spaces_finishes_in_bounded_time(tmp_path: Path, kind: str) -> None:
    tokens = {"letters": "x" * 200_000, "base64": base64.b64encode(random.Random(5).randbytes(150_000)).decode(),
              "hyphens": "ab-" * 66_667}  # spaCy alone splits this one into ~130k tokens (about 20 s)
    token = tokens[kind]
    (tmp_path / "token.txt").write_text(f"Red teaming reduces sycophancy.\n\n{token}\n\nFine-tuning causes drift.\n")
    document = read_document(tmp_path / "token.txt", tmp_path)
    started = time.perf_counter()
    extraction = extract_document(pipeline(), document)
    seconds = time.perf_counter() - started
    assert seconds < 5, seconds  # measured under 0.1 s: the cleaner drops runs of 500+ non-space characters
    assert {m.concept for m in extraction.mentions} >= {"red-teaming", "sycophancy"}


def test_file_changed_or_removed_during_the_build_is_reported_never_mixed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(PROSE)
    (corpus / "b.md").write_text("Red teaming reduces sycophancy.\n")
    original = "Input filtering defends against prompt injection.\n"
    (corpus / "c.md").write_text(original)
    before = {d.name: d.sha256 for d in scan_corpus(corpus).documents}

    def meddle(document: Any) -> None:  # after the first document is extracted, as a user might
        if document.name == "a.md":
            (corpus / "b.md").unlink()
            with open(corpus / "c.md", "a", encoding="utf-8") as handle:
                handle.write("Fine-tuning introduces NEWLY-ADDED reward hacking.\n")

    result = build(corpus, tmp_path / "out", nlp=pipeline(), on_document=meddle)
    assert result.incomplete
    changed = {c["file"]: c["message"] for c in result.report["changed"]}
    assert changed.keys() == {"b.md", "c.md"}
    assert changed["b.md"].startswith("removed during the build; extracted the version read at ")
    assert changed["c.md"].startswith("changed during the build; extracted the version read at ")
    store = load_store(tmp_path / "out" / "graph.trig")
    hashes = dict(rows(store, "SELECT ?f ?h WHERE { ?d aig:fileName ?f ; aig:sha256 ?h }"))  # type: ignore[arg-type]
    assert hashes == before  # the bytes read, hashed and extracted: one version each
    assert "NEWLY-ADDED" not in (tmp_path / "out" / "graph.trig").read_text(encoding="utf-8")


def test_duplicates_are_extracted_once_and_both_sources_kept(store: ox.Store, report: dict[str, Any],
                                                             built: Built) -> None:
    dups = {d["file"]: d["same_as"] for d in report["duplicates"]}
    assert dups == built.corpus.duplicates
    listed = {d["file"] for d in report["documents"]}
    assert not listed & set(dups)
    for copy, original in dups.items():
        linked = rows(store, f"""SELECT ?o WHERE {{ ?c aig:fileName "{copy}" ; prov:alternateOf ?d .
                                   ?d aig:fileName ?o }}""")
        assert linked == [(original,)]
        evidence = rows(store, f"""ASK {{ ?e aig:inDocument ?c . ?c aig:fileName "{copy}" }}""")
        assert evidence == [("false",)]


def test_symlink_inside_the_corpus_is_read_and_root_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("Red teaming reduces sycophancy.\n")
    os.symlink(real, tmp_path / "link")
    corpus = scan_corpus(tmp_path / "link")
    assert [d.name for d in corpus.documents] == ["a.md"] and not corpus.skipped
