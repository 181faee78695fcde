"""The reader: which files are read, how text is cleaned, and that offsets point into the original file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigraph.corpus import clean, read_corpus, title_of
from aigraph.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def _verbatim(raw: str, text: str, offsets: list[int] | tuple[int, ...]) -> None:
    """Every non-space character of the cleaned text is the character at its offset in the file
    (except the periods the cleaner inserts between run-together page elements)."""
    assert len(offsets) == len(text) + 1
    for i, ch in enumerate(text):
        if not ch.isspace() and not (ch == "." and text[i + 1 : i + 2] == " " and raw[offsets[i]].isupper()):
            assert raw[offsets[i]] == ch, (i, ch, raw[offsets[i]])


def test_default_corpus_is_read_with_exact_offsets() -> None:
    docs = read_corpus(ROOT / "corpus")
    assert [d.name for d in docs] == sorted(d.name for d in docs)
    assert len(docs) == 5  # SOURCES.md is the manifest, not a document
    for doc in docs:
        assert len(doc.sha256) == 64
        _verbatim(doc.raw, doc.text, doc.offsets)
        assert doc.blocks


def test_markdown_markup_is_not_text_but_offsets_stay_in_the_file() -> None:
    raw = (
        "---\ntitle: 'Risks'\ntags: [a, b]\n---\n\n# Heading One\n\n"
        "Some **bold** text with a [link](https://example.org/x) and [[target | wiki label]].\n"
        'A timestamp <a class="yt" data-t="00:41:52">[00:41:52]</a> goes, &amp; stays.\n\n'
        "- item one\n  continued here\n- item two\n"
    )
    text, offsets, blocks = clean(raw)
    assert title_of(raw) == "Risks"
    assert "title:" not in text and "**" not in text and "https" not in text and "00:41" not in text
    assert "Some bold text with a link and wiki label." in text
    assert "goes, & stays." in text
    assert "item one continued here" in text
    _verbatim(raw, text, offsets)
    # the heading is its own block, and later blocks point at it as their heading
    heading = next(i for i, b in enumerate(blocks) if text[b[0] : b[1]] == "Heading One")
    assert all(b[2] == heading for b in blocks[heading + 1 :])
    start = text.index("wiki label")
    assert raw[offsets[start] : offsets[start + len("wiki label") - 1] + 1] == "wiki label"


def test_hard_wrapped_paragraph_is_one_block_and_short_lines_are_not() -> None:
    raw = (
        "This is a long line of prose that the writer wrapped at a fixed width\n"
        "and it goes on here to the end.\nReasoning\nShort line follows.\n"
    )
    text, _, blocks = clean(raw)
    pieces = [text[s:e] for s, e, _ in blocks]
    assert pieces[0].endswith("wrapped at a fixed width and it goes on here to the end.")
    assert "Reasoning" in pieces


def test_errors_and_skips(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_corpus(tmp_path / "missing")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match=r"no \.txt"):
        read_corpus(tmp_path)
    (tmp_path / "bad.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert read_corpus(tmp_path)[0].raw == "caf\xe9"  # not UTF-8: read as cp1252, with a warning
    (tmp_path / "bad.txt").write_bytes(b"caf\x00")
    with pytest.raises(InputError, match=r"no \.txt.*skipped 1"):
        read_corpus(tmp_path)  # binary: skipped, and then there is nothing left to read
    (tmp_path / "bad.txt").write_bytes("\ufeffgood text".encode())
    (tmp_path / ".hidden.md").write_text("hidden")
    docs = read_corpus(tmp_path)
    assert [d.name for d in docs] == ["bad.txt"]
    assert docs[0].raw == "good text"


def test_text_of_two_page_elements_run_together_becomes_two_sentences() -> None:
    raw = "1.1 Research & FoundationsDevelop robust methods. DeepMind and JavaScript stay whole."
    text, offsets, _ = clean(raw)
    assert text == "1.1 Research & Foundations. Develop robust methods. DeepMind and JavaScript stay whole."
    _verbatim(raw, text, offsets)
    assert raw[offsets[text.index("Develop")] :].startswith("Develop")


def test_title_lines_of_a_page_saved_as_text_are_headings() -> None:
    raw = "Plan and Design\nDesigning the AI system, defining requirements.\nManage\nPrioritising risks.\n"
    text, _, blocks = clean(raw)
    pieces = [(text[s:e], h) for s, e, h in blocks]
    assert pieces == [("Plan and Design", -1), ("Designing the AI system, defining requirements.", 0),
                      ("Manage", -1), ("Prioritising risks.", 2)]


def test_wrapped_line_joins_only_mid_sentence() -> None:
    raw = ("Researchers often have extensive lists of ideas they wish to explore\n"
           "<a>[00:41:52]</a>. A critical skill is shot calling\nand it goes on.\n")
    text, _, blocks = clean(raw)
    assert len(blocks) == 1
    assert text == ("Researchers often have extensive lists of ideas they wish to explore. "
                    "A critical skill is shot calling and it goes on.")


def test_figures_citations_attribute_lists_and_comments_are_not_text() -> None:
    raw = (
        "Intro text here.\n\n<figure markdown=\"span\">\n![alt](Images/x.png){ loading=lazy }\n"
        "  <figcaption><b>Figure 2.9:</b> Graphic. ([Zakaria, 2024](https://x.org))</figcaption>\n</figure>\n\n"
        "## 2.3.1 Bio Risk {: #01}\n\nDNA costs halve ([Carlson, 2009](https://pubmed/1)). Others agree "
        "(Smith et al., 2023; Jones and Lee, 2021). A plain aside (like this one) stays. <!-- hidden -->Done.\n"
    )
    text, offsets, _ = clean(raw)
    assert text == ("Intro text here.\n\n2.3.1 Bio Risk\n\nDNA costs halve. Others agree. "
                    "A plain aside (like this one) stays. Done.")
    _verbatim(raw, text, offsets)


def test_giant_runs_without_spaces_are_not_text() -> None:
    raw = "Intro. " + "ab-" * 70_000 + " tail words."
    text, offsets, _ = clean(raw)
    assert text == "Intro. tail words."
    assert raw[offsets[text.index("tail")] :].startswith("tail words.")


def test_title_is_front_matter_else_first_level_one_heading_as_cleaned() -> None:
    from aigraph.corpus import cleaned, scan_corpus

    samples = {
        "---\ntitle: 'Front'\n---\n# Heading\ntext": "Front",
        "intro\n\n# **Bold** [title](x)\n\n# Second": "Bold title",
        "<figure>\n# Not this\n</figure>\n\n#   \n\n# Real": "Real",
        "no heading at all\n## only level two": "",
    }
    for raw, title in samples.items():
        assert title_of(raw) == title, raw[:40]
    assert [d.title for d in read_corpus(ROOT / "corpus")][:3] == [
        "AI Development", "001_43cf88efc51df488", "Challenges and methodologies in AI research and development",
    ]  # fmt: skip
    lazy = scan_corpus(ROOT / "corpus", clean_text=False).documents
    eager = read_corpus(ROOT / "corpus")
    assert not lazy[0].cleaned and lazy[0].text == ""
    assert [cleaned(d) for d in lazy] == eager  # same titles, same text once cleaned
