"""The default corpus's view in headless Chromium with the network blocked, driven like an analyst would:
it draws every concept, search finds and focuses a concept, a real mouse click opens the evidence panel,
filters hide what they should, the force layout settles and stops, and the console stays clean.

Screenshots of each step are saved (tests/artifacts/, or $AIGRAPH_ARTIFACTS).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aigraph.build import build
from browser import Loaded, close, open_page
from test_view import assert_no_injection

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus-build")
    build(ROOT / "corpus", out)
    return out


@pytest.fixture
def page(browser: Any, built: Path) -> Iterator[Loaded]:
    loaded = open_page(browser, built / "graph.html")
    yield loaded
    assert_no_injection(loaded)
    loaded.assert_clean()
    close(loaded)


def counts(built: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((built / "report.json").read_text(encoding="utf-8"))["counts"]
    return report


def visible(page: Loaded) -> tuple[int, int]:
    """Nodes and edges not hidden in vis-network's own data sets (not only what the page says)."""
    shown = page.page.evaluate(
        "() => [window.aigraph.nodes.get({filter: n => !n.hidden}).length,"
        " window.aigraph.edges.get({filter: e => !e.hidden}).length]"
    )
    data = page.dataset()
    assert shown == [int(data["visibleNodes"]), int(data["visibleEdges"])]
    return int(shown[0]), int(shown[1])


def test_default_corpus_renders_offline_with_every_concept(page: Loaded, built: Path) -> None:
    expected = counts(built)
    data = page.dataset()
    print(f"\ndefault corpus: {data['nodes']} concepts, {data['edges']} relations, ready at {data['readyMs']} ms")
    assert (data["drawn"], data["ready"], data["layout"]) == ("1", "1", "layered")
    assert int(data["nodes"]) == expected["concepts"] and int(data["edges"]) == expected["relations"]
    assert expected["relations"] > 0
    assert visible(page) == (expected["concepts"], expected["relations"])
    page.screenshot("view-corpus-loaded")


def test_search_finds_by_alias_and_focuses_the_concept(page: Loaded) -> None:
    page.page.fill("#search", "finetuning")  # a lexicon alias of fine-tuning, not its label
    first = page.page.locator("#search-results button").first
    assert first.text_content() == "fine-tuning"
    assert "as \u201cfinetuning\u201d" in page.page.locator("#search-results li").first.text_content()
    page.page.press("#search", "Enter")
    assert page.dataset()["selected"] == "fine-tuning"
    assert page.page.evaluate("() => window.aigraph.network.getSelectedNodes()") == ["fine-tuning"]
    # focused: the node is at the centre of the graph area, at a readable zoom
    x, y = page.node_point("fine-tuning")
    box = page.page.locator("#graph").bounding_box()
    assert abs(x - (box["x"] + box["width"] / 2)) < 5 and abs(y - (box["y"] + box["height"] / 2)) < 5
    assert page.page.evaluate("() => window.aigraph.network.getScale()") >= 1
    assert page.panel_text().startswith("fine-tuning")
    page.screenshot("view-corpus-search")


def test_click_on_a_node_shows_its_evidence(page: Loaded) -> None:
    # the concept with the most relations, brought into view, then clicked with the mouse
    target = page.page.evaluate(
        "() => window.aigraph.data.info.nodes.slice().sort((a, b) => b.degree - a.degree || "
        "(a.id < b.id ? -1 : 1))[0].id"
    )
    page.page.evaluate("(id) => window.aigraph.network.focus(id, {scale: 1.2, animation: false})", target)
    page.page.mouse.click(*page.node_point(target))
    panel = page.page.locator("#panel")
    assert panel.get_attribute("data-kind") == "node" and panel.get_attribute("data-selected") == target
    evidence = page.page.locator("#panel-body li.evidence")
    assert evidence.count() > 0
    meta = evidence.first.locator(".meta").text_content() or ""
    assert ".txt \u00b7 chars " in meta and " \u00b7 rule " in meta and " \u00b7 confidence " in meta
    assert page.page.locator("#panel-body mark").count() > 0  # mentions highlighted in the sentences
    assert "document(s) with evidence" in page.panel_text()
    page.screenshot("view-corpus-node-panel")

    # the relation links in the panel open an edge's full evidence
    page.page.locator("#panel-body .relation-list button:text('evidence')").first.click()
    assert panel.get_attribute("data-kind") == "edge"
    assert page.page.locator("#panel-body li.evidence").count() >= 1
    page.screenshot("view-corpus-edge-panel")
    # a click on empty canvas closes the panel
    box = page.page.locator("#graph").bounding_box()
    page.page.evaluate("() => window.aigraph.network.moveTo({position: {x: -100000, y: 0}, animation: false})")
    page.page.mouse.click(box["x"] + 20, box["y"] + 20)
    assert panel.get_attribute("hidden") is not None


def test_filters_hide_nodes_and_edges(page: Loaded, built: Path) -> None:
    expected = counts(built)
    total = (expected["concepts"], expected["relations"])
    assert visible(page) == total
    info = page.page.evaluate("() => window.aigraph.data.info")
    risks = sum(1 for n in info["nodes"] if n["primary"] == "Risk")
    unlinked = sum(1 for n in info["nodes"] if n["degree"] == 0)
    assert risks and unlinked

    page.page.uncheck("input[data-class=Risk]")
    nodes, edges = visible(page)
    assert nodes == total[0] - risks and edges < total[1]
    assert "showing" in (page.page.locator("#showing").text_content() or "")
    page.screenshot("view-corpus-filter-class")
    page.page.check("input[data-class=Risk]")
    assert visible(page) == total

    page.page.uncheck("#show-unlinked")
    assert visible(page) == (total[0] - unlinked, total[1])
    page.page.click("#reset")

    uses = sum(1 for e in info["edges"] if e["predicate"] == "usesTechnique")
    page.page.uncheck("input[data-predicate=usesTechnique]")
    assert visible(page)[1] == total[1] - uses
    page.page.click("#reset")

    page.page.click("#docs-none")  # no document: no relation, only the concepts that have none anyway
    assert visible(page) == (unlinked, 0)
    page.page.locator("#doc-filter input").first.check()
    one_doc = visible(page)
    assert 0 < one_doc[1] < total[1]
    page.page.click("#reset")

    page.page.fill("#min-confidence", "1")
    strict = visible(page)
    assert strict[1] < total[1]
    assert page.page.locator("#min-confidence-value").text_content() == "1.00"
    page.page.click("#reset")
    assert visible(page) == total
    assert page.page.locator("#showing").text_content() == ""


def test_force_layout_settles_stops_and_comes_back(page: Loaded) -> None:
    before = page.page.evaluate("() => window.aigraph.network.getPositions()")
    page.page.check("input[value=force]")
    page.page.wait_for_selector("body[data-ready='1'][data-layout='force']", state="attached", timeout=30_000)
    print(f"\ndefault corpus: force layout settled in {page.dataset()['layoutMs']} ms")
    settled = page.page.evaluate("() => window.aigraph.network.getPositions()")
    assert settled != before
    page.page.wait_for_timeout(300)
    assert page.page.evaluate("() => window.aigraph.network.getPositions()") == settled  # physics stopped
    page.screenshot("view-corpus-force")
    page.page.check("input[value=layered]")
    page.page.wait_for_selector("body[data-ready='1'][data-layout='layered']", state="attached")
    assert page.page.evaluate("() => window.aigraph.network.getPositions()") == before


def test_show_chain_highlights_upstream_and_downstream(page: Loaded) -> None:
    info = page.page.evaluate("() => window.aigraph.data.info")
    into = {e["to"] for e in info["edges"]}
    out = {e["from"] for e in info["edges"]}
    # a concept in the middle of a chain: something leads to it and it leads on
    middle = sorted(n["id"] for n in info["nodes"] if n["id"] in into and n["id"] in out)[0]
    page.page.evaluate("(id) => window.aigraph.select(id, {focus: true})", middle)
    page.page.click("#panel-body .actions button:text('Show chain')")
    chain = int(page.dataset()["chain"])
    assert chain >= 3
    faded = page.page.evaluate("() => window.aigraph.nodes.get({filter: n => n.opacity < 1}).length")
    assert faded == len(info["nodes"]) - chain
    summary = page.page.locator("#panel-body .chain-summary").text_content() or ""
    assert "upstream" in summary and "downstream" in summary
    page.page.click("#fit")
    page.screenshot("view-corpus-chain")
