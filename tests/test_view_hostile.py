"""A hostile corpus through the whole build (real spaCy extraction) into the view: every script, handler, link
and quote in its text, file names, titles and folder name must render as text, and no script may run.

The corpus is tests/data/hostile-view/. Its documents put markup into evidence sentences through HTML
entities (the cleaner decodes `&lt;script&gt;` to `<script>`, while it drops raw tags), into a front-matter
title, and raw tags around the sentences. At test time it is copied into a folder whose name is markup
(the page title is "aigraph: <folder>") and 03-renamed-at-test-time.md gets a file name that is markup
(not committed as such: such names break checkouts on some systems).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigraph.build import build
from aigraph.view_data import EVIDENCE_FIELDS
from browser import Loaded, close, open_page
from test_view import assert_no_injection, data_block, vendor_blobs

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile-view"
FOLDER = "corpus <img src=x onerror=\"document.body.dataset.pwned='dir'\">"
FILE_NAME = "<svg onload=\"document.body.dataset.pwned='file'\">.md"
# markup that must reach the page's data (else this test proves nothing) and must never appear raw in it
IN_SENTENCES = (
    "<script>document.body.dataset.pwned='sentence'</script>",
    "<img src=x onerror=\"document.body.dataset.pwned='img'\">",
    "<a href=\"javascript:document.body.dataset.pwned='href'\">the \"audit\" & 'notes'</a>",
    "</script><script>document.body.dataset.pwned='breakout'</script>",
    "<iframe src=\"javascript:document.body.dataset.pwned='iframe'\">",
    "<style>body{display:none}</style>",
)
TITLE = "<script>document.body.dataset.pwned='title'</script> & \\\"quoted\\\" report"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / FOLDER
    shutil.copytree(HOSTILE, corpus)
    (corpus / "03-renamed-at-test-time.md").rename(corpus / FILE_NAME)
    build(corpus, root / "out")
    return root / "out" / "graph.html"


@pytest.fixture
def page(browser: Any, built: Path) -> Iterator[Loaded]:
    loaded = open_page(browser, built)
    yield loaded
    assert_no_injection(loaded)
    loaded.assert_clean()  # a script the CSP blocked would show here as a console error
    close(loaded)


def sentences(html: str) -> list[str]:
    field = EVIDENCE_FIELDS.index("sentence")
    return [ev[field] for e in data_block(html)["info"]["edges"] for ev in e["evidence"]]


def test_hostile_text_reaches_the_data_escaped(built: Path) -> None:
    html = built.read_text(encoding="utf-8")
    found = "\n".join(sentences(html))
    for needle in IN_SENTENCES:
        assert needle in found, f"the hostile corpus no longer yields {needle!r}: fix the corpus, not the test"
    documents = data_block(html)["documents"]
    assert FILE_NAME in [d["name"] for d in documents]
    assert TITLE in [d["title"] for d in documents]
    rest = html
    for blob in vendor_blobs():
        rest = rest.replace(blob, "")
    for raw in ("<script>document", "<img src", "<svg", "<iframe", "<a href", "<style>body", "</script><script>"):
        assert raw not in rest, raw
    title = "aigraph: corpus &lt;img src=x onerror=&#34;document.body.dataset.pwned=&#39;dir&#39;&#34;&gt;"
    assert f"<title>{title}</title>" in html


def test_every_panel_shows_hostile_text_as_text(page: Loaded) -> None:
    ids = page.page.evaluate("() => [...window.aigraph.nodeInfo.keys(), ...window.aigraph.edgeInfo.keys()]")
    assert len(ids) > 20
    shown = []
    for item in ids:
        assert page.page.evaluate("(id) => window.aigraph.select(id, {focus: true})", item) is True
        shown.append(page.panel_text())
        assert_no_injection(page)
    text = "\n".join(shown)
    for needle in IN_SENTENCES:
        assert needle in text, needle
    assert FILE_NAME in text and TITLE in text
    page.page.evaluate("(id) => window.aigraph.select(id, {focus: true})", "sycophancy|mitigatedBy|audit")
    page.screenshot("view-hostile-edge-panel")


def test_search_and_document_list_show_hostile_text_as_text(page: Loaded) -> None:
    doc_list = page.page.locator("#doc-filter").text_content() or ""
    assert FILE_NAME in doc_list and TITLE in doc_list
    page.page.fill("#search", "<script>")
    assert page.page.locator("#search-results").text_content() == "no concept matches"
    page.page.fill("#search", "red")
    page.page.press("#search", "Enter")
    assert page.dataset()["selected"] == "red-teaming"
    h1 = page.page.locator("h1").text_content()
    assert h1 == f"aigraph: {FOLDER}"
    page.screenshot("view-hostile-search")
