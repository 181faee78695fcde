"""The view of a small graph full of hostile text, in headless Chromium with the network blocked: what the
panels, tooltips, search and "show chain" show, and that none of the text ever becomes markup or runs.

Every page opened through the `opened` fixture is checked afterwards: no console error, no network attempt,
no injected element, attribute or script (tests/browser.py, test_view.assert_no_injection).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from aigraph.model import GraphData, Relation
from aigraph.view import edge_id, write_html
from browser import Loaded, close, open_page
from test_view import (
    BAD_DOC,
    BREAKOUT_SENTENCE,
    HOSTILE_TITLE,
    HREF_LABEL,
    IMG_LABEL,
    SCRIPT_LABEL,
    assert_no_injection,
    small_graph,
)


@pytest.fixture(scope="module")
def small_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("view") / "graph.html"
    write_html(small_graph(), page, title=HOSTILE_TITLE)
    return page


@pytest.fixture
def opened(browser: Any, small_page: Path) -> Iterator[Any]:
    """Open the small page (optionally with a #fragment) and check it stayed clean and uninjected."""
    pages: list[Loaded] = []

    def go(fragment: str = "") -> Loaded:
        loaded = open_page(browser, small_page, fragment)
        pages.append(loaded)
        return loaded

    yield go
    for loaded in pages:
        assert_no_injection(loaded)
        loaded.assert_clean()
        close(loaded)


def test_browser_draws_small_graph_safely(opened: Any) -> None:
    page = opened()
    data = page.dataset()
    assert (data["drawn"], data["ready"], data["nodes"], data["edges"]) == ("1", "1", "7", "5")
    assert data["layout"] == "layered"
    assert page.page.evaluate("() => document.getElementById('panel').hidden") is True  # no selection yet
    doc_list = page.page.evaluate("() => document.getElementById('doc-filter').textContent")
    assert BAD_DOC in doc_list and HOSTILE_TITLE in doc_list  # file name and title as text
    page.screenshot("view-small-hostile")


def test_browser_edge_panel_shows_every_evidence_record(opened: Any) -> None:
    rel = Relation("model-training", "usesTechnique", "fine-tuning")
    page = opened("#select=" + quote(edge_id(rel), safe=""))
    text = page.panel_text()
    assert "Model training \u2014usesTechnique\u2192 fine-tuning" in text
    assert "2 evidence record(s)" in text
    assert "Model training uses Fine-Tuning." in text
    assert (
        "000_a.txt \u00b7 chars 10\u201342 \u00b7 subject \u201cmodel  training\u201d 10\u201325 \u00b7 "
        "object \u201cfine-tuning\u201d 15\u201326 \u00b7 rule dep-cue:uses \u00b7 confidence 0.90" in text
    )
    hostile = f"Training may use {SCRIPT_LABEL} fine-tuning."
    assert hostile in text  # shown as text
    assert f"{BAD_DOC} \u00b7 chars 120\u2013{120 + len(hostile)}" in text
    assert "rule dep-cue:<b> \u00b7 confidence 0.80 \u00b7 hedged" in text
    assert page.page.locator("#panel-body li.evidence").count() == 2
    # mentions highlighted: found case-insensitively, whitespace folded, first occurrence, as text
    marks = page.page.evaluate(
        "() => [...document.querySelectorAll('#panel-body mark')].map(m => [m.className, m.textContent])"
    )
    assert marks == [
        ["subject", "Model training"],
        ["object", "Fine-Tuning"],
        ["subject", SCRIPT_LABEL],
        ["object", "fine-tuning"],
    ]


def test_browser_node_panel_caps_evidence_and_lists_documents(opened: Any) -> None:
    page = opened("#select=red-teaming")
    text = page.panel_text()
    assert IMG_LABEL in text  # the label as text, not an <img>
    assert "class: Intervention, Technique" in text
    assert "27 document(s) with evidence" in text
    assert "2 relation(s)" in text and "27 evidence sentence(s)" in text
    assert page.page.locator("#panel-body li.evidence").count() == 20
    assert "\u2026 and 7 more evidence sentence(s). Show all 27" in text  # nothing silently dropped
    page.page.click("#panel-body .more button")
    assert page.page.locator("#panel-body li.evidence").count() == 27
    page.page.keyboard.press("Escape")  # closes the panel
    assert page.page.evaluate("() => document.getElementById('panel').hidden") is True
    page = opened("#select=model-training")
    text = page.panel_text()
    assert f"aliases: {IMG_LABEL} \u00b7 training run" in text
    assert "000_a.txt (1)" in text and f"{BAD_DOC} (1)" in text and HOSTILE_TITLE in text


def test_browser_unknown_concept_and_hostile_definition(opened: Any) -> None:
    page = opened("#select=ghost-concept")
    assert "concept not in the graph's concept list" in page.panel_text()
    page = opened("#select=data-poisoning")
    assert SCRIPT_LABEL in page.panel_text() and IMG_LABEL in page.panel_text()  # label and definition
    page = opened("#select=fine-tuning")
    assert BREAKOUT_SENTENCE in page.panel_text()


def test_browser_search_shows_hostile_labels_as_text(opened: Any) -> None:
    page = opened()
    page.page.fill("#search", "<img")
    results = page.page.locator("#search-results button")
    assert results.all_text_contents() == [IMG_LABEL, "Model training"]  # label match first, then the alias
    assert "as \u201c" + IMG_LABEL.lower() + "\u201d" in page.page.locator("#search-results").text_content()
    results.first.click()
    assert page.dataset()["selected"] == "red-teaming"
    page.page.fill("#search", "javascript:")
    page.page.press("#search", "Enter")
    assert page.dataset()["selected"] == "rlhf"


def test_browser_chain_walks_up_and_down_and_stops_at_applies_at(opened: Any) -> None:
    page = opened("#select=data-poisoning")
    page.page.click("#panel-body .actions button:text('Show chain')")
    # upstream: fine-tuning <- model-training; downstream: red-teaming -> deployment (appliesAt ends it)
    assert page.dataset()["chain"] == "5"
    assert "Chain: 2 concept(s) upstream, 2 downstream, 4 relation(s) highlighted" in page.panel_text()
    faded = page.page.evaluate("() => window.aigraph.nodes.get().filter(n => n.opacity < 1).map(n => n.id)")
    assert faded == ["ghost-concept", "rlhf"]
    page.page.click("#panel-body .actions button:text('Clear chain')")
    assert "chain" not in page.dataset()
    assert page.page.evaluate("() => window.aigraph.nodes.get().filter(n => n.opacity < 1).length") == 0


def test_browser_draws_an_empty_graph(browser: Any, tmp_path: Path) -> None:
    page_path = tmp_path / "empty.html"
    write_html(GraphData(), page_path)
    page = open_page(browser, page_path, "#select=nothing-here")
    data = page.dataset()
    assert (data["drawn"], data["nodes"], data["edges"]) == ("1", "0", "0")
    assert page.page.evaluate("() => document.getElementById('panel').hidden") is True  # unknown id: nothing opens
    page.assert_clean()
    close(page)


def test_browser_tooltips_show_hostile_labels_as_text(opened: Any) -> None:
    page = opened()
    for node_id, label in (("red-teaming", IMG_LABEL), ("data-poisoning", SCRIPT_LABEL), ("rlhf", HREF_LABEL)):
        page.page.evaluate("(id) => window.aigraph.network.focus(id, {scale: 1.5, animation: false})", node_id)
        page.page.mouse.move(0, 0)
        page.page.mouse.move(*page.node_point(node_id))
        tooltip = page.page.locator("div.vis-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert tooltip.inner_text().startswith(label + "\n")
        assert tooltip.locator(":not(br)").count() == 0  # text only (vis sets innerText: newlines become <br>)
    page.screenshot("view-small-tooltip")


def test_network_guard_reports_a_page_that_reaches_out(browser: Any, tmp_path: Path) -> None:
    """The harness itself: a page that asks for a remote image is caught (and the request never leaves)."""
    bad = tmp_path / "reaches-out.html"
    bad.write_text(
        '<!DOCTYPE html><body data-ready="1"><img src="http://aigraph-test.invalid/pixel.png"></body>',
        encoding="utf-8",
    )
    page = open_page(browser, bad)
    page.page.wait_for_timeout(200)
    assert page.blocked == ["http://aigraph-test.invalid/pixel.png"]
    with pytest.raises(AssertionError, match="tried to reach the network"):
        page.assert_clean()
    close(page)
