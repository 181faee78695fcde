"""Issue 7, fuzzing (Hypothesis): the text reader (any bytes decode, offsets always slice the original file to
the mention, with the real spaCy pipeline), IRI minting (any file names: distinct, valid, order-independent
IRIs) and the markup stripper (never fails, keeps the words, drops the markup, offsets stay in the file).

Examples are derandomized (the same every run, so CI is stable) and nothing is stored on disk."""

from __future__ import annotations

import itertools
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigraph.corpus import clean, read_document
from aigraph.extract import extract_document
from aigraph.graph import AIGD, doc_slugs, iri
from aigraph.intake import decode
from hostile import pipeline

FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TERMS = ["red teaming", "Red teaming", "sycophancy", "fine-tuning", "Fine-tuning", "reward hacking",
         "process supervision", "prompt injection", "input filtering", "data poisoning", "model training"]
GLUE = [" reduces ", " introduces ", " is mitigated by ", " leads to ", " and ", ". ", ", ", " "]
MARKUP = ["**", "*", "_", "`", "<b>", "</b>", "<br/>", "<script>x()</script>", "<!-- note -->", "[", "]",
          "](https://example.org/a?b=c)", "[[target|", "]]", "# ", "## ", "\n", "\r\n", "\n\n", "\n- ", "\n1. ",
          "&amp;", "&lt;", "&#8212;", "&nbsp;", "[1]", "[00:41:52]", " (Smith et al., 2020)", "{: #id}", "---\n",
          "title: x\n", "\ufeff", "\t", "\x0c", "\u00a0", "\u200b", "\U0001f600", "\u05e9\u05dc\u05d5\u05dd", ">", "<"]
document_text = st.lists(st.one_of(st.sampled_from(TERMS), st.sampled_from(GLUE), st.sampled_from(MARKUP),
                                   st.text(max_size=6)), max_size=40).map("".join)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _verbatim(raw: str, text: str, offsets: tuple[int, ...] | list[int]) -> None:
    """Offsets stay in the file, never go back, and map every kept character to itself (entities and the
    period inserted between run-together elements aside)."""
    assert len(offsets) == len(text) + 1
    assert all(0 <= o <= len(raw) for o in offsets)
    assert all(a <= b for a, b in itertools.pairwise(offsets))
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        source = raw[offsets[i]]
        glue = ch == "." and text[i + 1 : i + 2] == " " and source.isupper()
        assert source == ch or source == "&" or glue, (i, ch, source)


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_decode_or_are_called_binary(data: bytes) -> None:
    result = decode(data)
    if isinstance(result, str):
        assert result.startswith("binary")
    else:
        text, encoding, _ = result
        text.encode("utf-8")  # never a lone surrogate
        assert not text.startswith("\ufeff") and encoding in ("utf-8", "cp1252", "utf-16", "utf-32")


@settings(FUZZ, max_examples=60)
@given(raw=document_text, crlf=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_reader_offsets_always_slice_the_file_to_the_mention(folder: Path, raw: str, crlf: bool,
                                                             encoding: str) -> None:
    if crlf:
        raw = raw.replace("\n", "\r\n")
    path = folder / "doc.md"
    path.write_bytes(raw.encode(encoding, "surrogatepass"))
    try:
        document = read_document(path, folder)
    except Exception as exc:  # only as a documented skip: empty, whitespace only, binary
        assert any(word in str(exc) for word in ("empty", "whitespace", "binary")), exc
        return
    _verbatim(document.raw, document.text, document.offsets)
    extraction = extract_document(pipeline(), document)
    for mention in extraction.mentions:
        assert document.raw[mention.start : mention.end] == mention.text
    for evidence in (e for found in extraction.relations.values() for e in found):
        assert 0 <= evidence.start <= evidence.end <= len(document.raw)
        for m in (evidence.subject, evidence.object):
            assert document.raw[m.start : m.end] == m.text


@settings(FUZZ, max_examples=300)
@given(raw=st.one_of(document_text, st.text(max_size=200)))
def test_markup_stripper_never_fails_and_offsets_stay_in_the_file(raw: str) -> None:
    text, offsets, blocks = clean(raw)
    _verbatim(raw, text, offsets)
    for start, end, heading in blocks:
        assert 0 <= start <= end <= len(text) and heading < len(blocks)


WRAPPERS = ["**{}**", "<b>{}</b>", "[{}](https://example.org/p?q=1)", "<span class='x'>{}</span>", "`{}`",
            "[[target|{}]]", "__{}__", "<a href=\"javascript:alert(1)\">{}</a>", "{} [12]", "_{}_", "*{}*", "{}"]


@settings(FUZZ, max_examples=200)
@given(parts=st.lists(st.tuples(st.from_regex(r"[a-z]{3,9}", fullmatch=True), st.sampled_from(WRAPPERS)),
                      min_size=1, max_size=10))
def test_markup_stripper_keeps_the_words_and_drops_the_markup(parts: list[tuple[str, str]]) -> None:
    raw = " ".join(wrapper.format(word) for word, wrapper in parts) + "\n"
    text, offsets, _ = clean(raw)
    assert text.split() == [word for word, _ in parts]
    for token in ("**", "<", ">", "https", "](", "`", "[[", "javascript", "[12]"):
        assert token not in text
    _verbatim(raw, text, offsets)


names = st.lists(st.one_of(st.text(max_size=40), st.sampled_from(["Same Name.md", "same-name.md", "same_name.md",
                                                                   "SAME NAME.md", "\U0001f600.md", "", "document"])),
                 unique=True, max_size=25)


@settings(FUZZ, max_examples=300)
@given(names=names, seed=st.integers(0, 2**16))
def test_iri_minting_is_distinct_valid_and_order_independent(names: list[str], seed: int) -> None:
    slugs = doc_slugs(names)
    assert set(slugs) == set(names)
    assert len(set(slugs.values())) == len(names)
    for value in slugs.values():
        node = iri(AIGD, value)
        assert ox.NamedNode(str(node)).value == str(node)
    shuffled = list(names)
    random.Random(seed).shuffle(shuffled)
    assert doc_slugs(shuffled) == slugs
