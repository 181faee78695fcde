"""Tests of the HTML graph view (aigraph.view), drawn in a real headless Chromium: no mocks.

The browser tests need Chromium (/usr/bin/chromium, or the path in $AIGRAPH_CHROMIUM). If it is missing they
FAIL with a clear message; set AIGRAPH_SKIP_BROWSER=1 to skip them instead.

    PYTHONPATH=src .venv/bin/python -m pytest tests/test_view.py -q      (add -s to see the timings)
"""

from __future__ import annotations

import json
import random
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from aigraph.model import CLASSES, PREDICATES, Concept, Evidence, GraphData, Mention, Relation
from aigraph.view import VIS_DIR, edge_id, render_html, script_json, write_html
from browser import dump_dom

PWN = "document.body.dataset.pwned='1'"
SCRIPT_LABEL = f"<script>{PWN}</script>"
IMG_LABEL = f'<img src=x onerror="{PWN}">'
HREF_LABEL = f'see <a href="javascript:{PWN}">href</a> & <b>bold</b>'
BREAKOUT_SENTENCE = f"Poisoning </script><script>{PWN}</script> is a risk\u2028of fine-tuning."
BAD_DOC = 'we"ird<name>.txt'
HOSTILE_TITLE = f"</title><script>{PWN}</script> & report"
HOSTILE_RAW = ("<script>document", "<img src=x", "<a href=", "</script><script>", "</title><script>")



# ----------------------------------------------------------------------------------------------- data


def _mention(key: str, start: int = 0) -> Mention:
    return Mention(concept=key, text=key, start=start, end=start + len(key))


def _ev(
    subject: str,
    obj: str,
    doc: str,
    sentence: str,
    start: int,
    *,
    rule: str = "dep-cue:uses",
    confidence: float = 0.8,
    hedged: bool = False,
) -> Evidence:
    return Evidence(
        doc=doc,
        sentence=sentence,
        start=start,
        end=start + len(sentence),
        subject=_mention(subject, start),
        object=_mention(obj, start + 5),
        rule=rule,
        confidence=confidence,
        hedged=hedged,
    )


def small_graph(reverse: bool = False) -> GraphData:
    """Seven nodes (all four classes, one concept missing from `concepts`), five relations, hostile text."""
    concepts = [
        Concept("model-training", "Model training", ("Stage",)),
        Concept("deployment", "Deployment", ("Stage",)),
        Concept("fine-tuning", "fine-tuning", ("Technique",)),
        Concept("rlhf", HREF_LABEL, ("Technique",)),
        Concept("data-poisoning", SCRIPT_LABEL, ("Risk",), definition=IMG_LABEL),
        Concept("red-teaming", IMG_LABEL, ("Intervention", "Technique")),
    ]
    relations: list[tuple[Relation, list[Evidence]]] = [
        (
            Relation("model-training", "usesTechnique", "fine-tuning"),
            [
                _ev(
                    "model-training",
                    "fine-tuning",
                    "000_a.txt",
                    "Model training uses fine-tuning.",
                    10,
                    confidence=0.9,
                ),
                _ev(
                    "model-training",
                    "fine-tuning",
                    BAD_DOC,
                    f"Training may use {SCRIPT_LABEL} fine-tuning.",
                    120,
                    rule="dep-cue:<b>",
                    hedged=True,
                ),
            ],
        ),
        (
            Relation("fine-tuning", "introducesRisk", "data-poisoning"),
            [
                _ev(
                    "fine-tuning", "data-poisoning", BAD_DOC, BREAKOUT_SENTENCE, 300, rule="dep-cue:introduce"
                ),
            ],
        ),
        (
            Relation("data-poisoning", "mitigatedBy", "red-teaming"),
            [
                _ev(
                    "data-poisoning",
                    "red-teaming",
                    f"{i:03d}_doc.txt",
                    f"Red-teaming mitigates poisoning ({i}).",
                    40 * i,
                    rule="dep-cue:mitigate",
                    confidence=0.5 + i / 100,
                )
                for i in range(24)
            ],
        ),
        (
            Relation("red-teaming", "appliesAt", "deployment"),
            [
                _ev(
                    "red-teaming",
                    "deployment",
                    "001_b.txt",
                    f"Red-teaming {IMG_LABEL} applies at deployment.",
                    7,
                ),
                _ev("red-teaming", "deployment", "002_c.txt", "Red-teaming is done before deployment.", 8),
                _ev("red-teaming", "deployment", "003_d.txt", "Deployment needs red-teaming.", 9),
            ],
        ),
        (
            Relation("rlhf", "introducesRisk", "ghost-concept"),
            [
                _ev("rlhf", "ghost-concept", "004_e.txt", "RLHF introduces a ghost.", 3),
            ],
        ),
    ]
    if reverse:
        concepts.reverse()
        relations = [(rel, list(reversed(evs))) for rel, evs in reversed(relations)]
    return GraphData(documents=[], concepts={c.key: c for c in concepts}, relations=dict(relations))


def big_graph(n_nodes: int = 2000, n_edges: int = 3000, seed: int = 20240601) -> GraphData:
    """Random but seeded: n_nodes concepts split over the four classes, n_edges well-typed relations."""
    rng = random.Random(seed)
    keys = {cls: [f"{cls.lower()}-{i:04d}" for i in range(n_nodes // len(CLASSES))] for cls in CLASSES}
    concepts = {k: Concept(k, f"{cls} concept {k[-4:]}", (cls,)) for cls, ks in keys.items() for k in ks}
    predicates = sorted(PREDICATES.items())
    relations: dict[Relation, list[Evidence]] = {}
    while len(relations) < n_edges:
        predicate, (subject_classes, object_classes) = rng.choice(predicates)
        rel = Relation(
            rng.choice(keys[rng.choice(subject_classes)]),
            predicate,
            rng.choice(keys[rng.choice(object_classes)]),
        )
        if rel not in relations:
            relations[rel] = [
                _ev(
                    rel.subject,
                    rel.object,
                    f"{rng.randrange(300):03d}_doc.txt",
                    f"{rel.subject} {predicate} {rel.object}, sentence {j}.",
                    rng.randrange(100_000),
                    confidence=round(rng.random(), 2),
                    hedged=rng.random() < 0.2,
                )
                for j in range(rng.randint(1, 3))
            ]
    return GraphData(documents=[], concepts=concepts, relations=relations)


# -------------------------------------------------------------------------------------------- helpers

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Dom(HTMLParser):
    """Every start tag with its attributes, the <body> attributes and the text inside #panel-body."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.body: dict[str, str | None] = {}
        self.panel_tags: list[tuple[str, dict[str, str | None]]] = []
        self.panel_parts: list[str] = []
        self._depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "body":
            self.body = attributes
        if self._depth:
            self.panel_tags.append((tag, attributes))
            self._depth += tag not in VOID
        elif attributes.get("id") == "panel-body":
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in VOID:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.panel_parts.append(data)

    @property
    def panel_text(self) -> str:
        return "".join(self.panel_parts)


def assert_safe_dom(dom: Dom, raw: str) -> None:
    """No injected script ran and no hostile markup became elements."""
    assert "data-pwned" not in raw
    assert "pwned" not in (dom.body.get("data-pwned") or "")
    tags = [tag for tag, _ in dom.elements]
    assert tags.count("script") == 3  # the JSON data block, vis-network, the page script
    for bad in ("img", "a", "b", "iframe", "object", "embed", "link"):
        assert bad not in tags, f"unexpected <{bad}> element in the drawn page"
    for tag, attributes in dom.elements:
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, f"<{tag}> has event-handler attributes {handlers}"


def vendor_blobs() -> list[str]:
    return [
        (VIS_DIR / name).read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
        for name in ("vis-network.min.js", "vis-network.css")
    ]


@pytest.fixture(scope="module")
def small_html() -> str:
    return render_html(small_graph(), title=HOSTILE_TITLE)


@pytest.fixture(scope="module")
def small_page(tmp_path_factory: pytest.TempPathFactory, small_html: str) -> Path:
    page = tmp_path_factory.mktemp("view") / "graph.html"
    write_html(small_graph(), page, title=HOSTILE_TITLE)
    return page


# ------------------------------------------------------------------------------------- static checks


def test_render_is_deterministic(small_html: str) -> None:
    assert render_html(small_graph(), title=HOSTILE_TITLE) == small_html
    # insertion order of concepts, relations and evidence does not matter
    assert render_html(small_graph(reverse=True), title=HOSTILE_TITLE) == small_html


def test_write_html_writes_render_atomically(tmp_path: Path) -> None:
    page = tmp_path / "out" / "graph.html"
    page.parent.mkdir()
    page.write_text("old", encoding="utf-8")
    write_html(small_graph(), page, title="t")
    assert page.read_text(encoding="utf-8") == render_html(small_graph(), title="t")
    assert sorted(p.name for p in page.parent.iterdir()) == ["graph.html"]  # no temporary file left


def test_no_external_references(small_html: str) -> None:
    """The rule: the page must load nothing from anywhere.

    1. Outside the two inlined vendor files (vis-network.min.js and .css, byte-for-byte pyvis's bundled
       copies) the page contains no "http://", "https://" or "//cdn" at all (no concept IRIs either).
       The vendor files do contain URL *strings* (licence comment, the SVG namespace, error messages); these
       are text, not references, and are allowed only there.
    2. In the whole page: no element that fetches (link, img, iframe, object, embed, base), no src/href/
       srcset/action/formaction/poster/data attribute on any element, every CSS url(...) is a data: URL, and
       no @import.
    """
    rest = small_html
    for blob in vendor_blobs():
        assert rest.count(blob) == 1
        rest = rest.replace(blob, "")
    lowered = rest.lower()
    for needle in ("http://", "https://", "//cdn", "w3id.org"):
        assert needle not in lowered, needle

    page = Dom(small_html)
    for tag, attributes in page.elements:
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "frame"}, tag
        fetching = set(attributes) & {"src", "href", "srcset", "action", "formaction", "poster", "data"}
        assert not fetching, (tag, attributes)
    urls = re.findall(r"url\(\s*['\"]?([^'\")\s]{0,12})", small_html)
    assert urls and all(u.startswith("data:") for u in urls), sorted(set(urls))
    assert "@import" not in small_html
    assert "default-src &#39;none&#39;" in small_html  # and the CSP forbids fetching anyway


def test_hostile_text_is_escaped_in_source(small_html: str) -> None:
    rest = small_html
    for blob in vendor_blobs():
        rest = rest.replace(blob, "")
    for needle in HOSTILE_RAW:
        assert needle not in rest, needle
    assert "\u2028" not in small_html and "\u2029" not in small_html
    assert (
        "<title>&lt;/title&gt;&lt;script&gt;document.body.dataset.pwned=&#39;1&#39;&lt;/script&gt; "
        "&amp; report</title>" in small_html
    )
    assert "<h1>&lt;/title&gt;&lt;script&gt;" in small_html
    # the data block round-trips to exactly the original text
    block = re.search(r'<script type="application/json" id="aigraph-data">(.*?)</script>', small_html, re.S)
    assert block is not None
    payload = json.loads(block.group(1))
    labels = {n["id"]: n["label"] for n in payload["info"]["nodes"]}
    assert labels["data-poisoning"] == SCRIPT_LABEL and labels["rlhf"] == HREF_LABEL
    sentences = [ev["sentence"] for e in payload["info"]["edges"] for ev in e["evidence"]]
    assert BREAKOUT_SENTENCE in sentences
    assert {n["group"] for n in payload["nodes"]} == {*CLASSES, "Other"}  # ghost-concept is drawn, as Other
    assert all(isinstance(n["title"], str) for n in payload["nodes"] + payload["edges"])


def test_script_json_cannot_close_the_element() -> None:
    text = script_json({"k</script>": "</script><!-- & \u2028\u2029 >"})
    for char in "<>&\u2028\u2029":
        assert char not in text
    assert json.loads(text) == {"k</script>": "</script><!-- & \u2028\u2029 >"}


def test_legend_and_counts(small_html: str) -> None:
    legend = re.search(r'<ul id="legend".*?</ul>', small_html, re.S)
    assert legend is not None
    for name in (*CLASSES, "Other"):
        assert f"</span>{name}</li>" in legend.group(0)
    assert "7 concepts, 5 relations, 31 evidence records" in small_html


# ------------------------------------------------------------------------------------- browser checks


def test_browser_draws_small_graph_safely(small_page: Path, tmp_path: Path) -> None:
    raw, _ = dump_dom(small_page, tmp_path)
    dom = Dom(raw)
    assert dom.body.get("data-drawn") == "1", raw[-3000:]
    assert dom.body.get("data-nodes") == "7"
    assert dom.body.get("data-edges") == "5"
    assert_safe_dom(dom, raw)
    assert ("aside", {"id": "panel", "hidden": ""}) in dom.elements  # no selection: panel closed


def test_browser_edge_panel_shows_every_evidence_record(small_page: Path, tmp_path: Path) -> None:
    rel = Relation("model-training", "usesTechnique", "fine-tuning")
    raw, _ = dump_dom(small_page, tmp_path, "#select=" + quote(edge_id(rel), safe=""))
    dom = Dom(raw)
    assert dom.body.get("data-drawn") == "1"
    assert_safe_dom(dom, raw)
    text = dom.panel_text
    assert "Model training \u2014usesTechnique\u2192 fine-tuning" in text
    assert "2 evidence record(s)" in text
    assert "Model training uses fine-tuning." in text
    assert "000_a.txt \u00b7 chars 10\u201342 \u00b7 rule dep-cue:uses \u00b7 confidence 0.90" in text
    hostile = f"Training may use {SCRIPT_LABEL} fine-tuning."
    assert hostile in text  # shown as text ...
    assert "&lt;script&gt;document.body.dataset.pwned='1'&lt;/script&gt; fine-tuning." in raw  # ... escaped
    assert (
        f"{BAD_DOC} \u00b7 chars 120\u2013{120 + len(hostile)} \u00b7 rule dep-cue:<b> \u00b7 confidence 0.80"
        " \u00b7 hedged" in text
    )
    assert text.count("hedged") == 1
    assert [tag for tag, attrs in dom.panel_tags if attrs.get("class") == "evidence"] == ["li", "li"]


def test_browser_node_panel_caps_evidence_with_a_count(small_page: Path, tmp_path: Path) -> None:
    raw, _ = dump_dom(small_page, tmp_path, "#select=red-teaming")
    dom = Dom(raw)
    assert dom.body.get("data-drawn") == "1"
    assert_safe_dom(dom, raw)
    text = dom.panel_text
    assert IMG_LABEL in text  # the label as text, not an <img>
    assert "classes: Intervention, Technique" in text
    assert "2 relation(s)" in text and "27 evidence sentence(s)" in text
    assert len([1 for _, attrs in dom.panel_tags if attrs.get("class") == "evidence"]) == 20
    assert "\u2026 and 7 more evidence sentence(s)" in text  # nothing silently dropped


def test_browser_unknown_concept_and_hostile_definition(small_page: Path, tmp_path: Path) -> None:
    raw, _ = dump_dom(small_page, tmp_path, "#select=ghost-concept")
    dom = Dom(raw)
    assert_safe_dom(dom, raw)
    assert "concept not in the graph's concept list" in dom.panel_text
    raw, _ = dump_dom(small_page, tmp_path, "#select=data-poisoning")
    dom = Dom(raw)
    assert_safe_dom(dom, raw)
    assert SCRIPT_LABEL in dom.panel_text and IMG_LABEL in dom.panel_text  # label and definition
    raw, _ = dump_dom(small_page, tmp_path, "#select=fine-tuning")
    dom = Dom(raw)
    assert_safe_dom(dom, raw)
    assert BREAKOUT_SENTENCE in dom.panel_text


def test_browser_draws_2000_nodes(tmp_path: Path) -> None:
    data = big_graph()
    assert (len(data.concepts), len(data.relations)) == (2000, 3000)
    started = time.monotonic()
    html = render_html(data, title="big")
    render_s = time.monotonic() - started
    assert render_html(data, title="big") == html
    page = tmp_path / "big.html"
    write_html(data, page, title="big")
    raw, browser_s = dump_dom(page, tmp_path)
    dom = Dom(raw)
    print(
        f"\n2000 nodes/3000 edges: render_html {render_s:.2f}s, {len(html) / 1e6:.1f} MB, "
        f"chromium load+draw+dump {browser_s:.1f}s, "
        f"page clock at first draw {dom.body.get('data-draw-ms')} ms"
    )
    assert dom.body.get("data-drawn") == "1", "the 2,000-node graph did not draw within the time budget"
    assert dom.body.get("data-nodes") == "2000"
    assert dom.body.get("data-edges") == "3000"


def test_browser_draws_an_empty_graph(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    write_html(GraphData(), page)
    raw, _ = dump_dom(page, tmp_path, "#select=nothing-here")
    dom = Dom(raw)
    drawn = (dom.body.get("data-drawn"), dom.body.get("data-nodes"), dom.body.get("data-edges"))
    assert drawn == ("1", "0", "0")
    assert ("aside", {"id": "panel", "hidden": ""}) in dom.elements  # unknown id in the link: nothing opens
