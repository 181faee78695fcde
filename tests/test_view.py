"""Tests of the HTML graph view (aigraph.view): the page's source, its payload and its layout, on a small graph
full of hostile text. No mocks.

The page itself is tested in a real headless Chromium (tests/browser.py, Playwright, network blocked) by
test_view_panels.py (this small graph), test_view_browser.py (the default corpus, interactions),
test_view_hostile.py (a hostile corpus through the whole build), test_view_scale.py (500 and 5,000 concepts);
test_view_cli.py tests `aigraph view`. The graph generators and checks here are shared with them.

    .venv/bin/python -m pytest tests/test_view*.py -q      (add -s to see the timings)
"""

from __future__ import annotations

import itertools
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from aigraph.model import CLASSES, PREDICATES, Concept, Document, Evidence, GraphData, Mention, Relation
from aigraph.view import VIS_DIR, edge_id, render_html, script_json, write_html
from aigraph.view_data import EVIDENCE_FIELDS, payload
from aigraph.view_layout import layered_positions
from browser import Loaded

PWN = "document.body.dataset.pwned='1'"
SCRIPT_LABEL = f"<script>{PWN}</script>"
IMG_LABEL = f'<img src=x onerror="{PWN}">'
HREF_LABEL = f'see <a href="javascript:{PWN}">href</a> & <b>bold</b>'
BREAKOUT_SENTENCE = f"Poisoning </script><script>{PWN}</script> is a risk\u2028of fine-tuning."
BAD_DOC = 'we"ird<name>.txt'
HOSTILE_TITLE = f"</title><script>{PWN}</script> & report"
HOSTILE_RAW = ("<script>document", "<img src=x", "<a href=", "</script><script>", "</title><script>")
SCRIPTS_IN_PAGE = 5  # the JSON data block, vis-network, graph.js, panel.js, controls.js


# ----------------------------------------------------------------------------------------------- data


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
    texts: tuple[str, str] | None = None,
) -> Evidence:
    """An evidence record; the mentions' texts are `texts`, else the concept keys (offsets inside the sentence)."""
    s_text, o_text = texts or (subject, obj)
    return Evidence(
        doc=doc,
        sentence=sentence,
        start=start,
        end=start + len(sentence),
        subject=Mention(subject, s_text, start, start + len(s_text)),
        object=Mention(obj, o_text, start + 5, start + 5 + len(o_text)),
        rule=rule,
        confidence=confidence,
        hedged=hedged,
    )


def small_graph(reverse: bool = False) -> GraphData:
    """Seven nodes (all four classes, one concept missing from `concepts`), five relations, hostile text."""
    concepts = [
        Concept("model-training", "Model training", ("Stage",), alt_labels=("training run", IMG_LABEL)),
        Concept("deployment", "Deployment", ("Stage",)),
        Concept("fine-tuning", "fine-tuning", ("Technique",), alt_labels=("finetuning", "fine tuning")),
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
                    "Model training uses Fine-Tuning.",
                    10,
                    confidence=0.9,
                    texts=("model  training", "fine-tuning"),
                ),
                _ev(
                    "model-training",
                    "fine-tuning",
                    BAD_DOC,
                    f"Training may use {SCRIPT_LABEL} fine-tuning.",
                    120,
                    rule="dep-cue:<b>",
                    hedged=True,
                    texts=(SCRIPT_LABEL, "fine-tuning"),
                ),
            ],
        ),
        (
            Relation("fine-tuning", "introducesRisk", "data-poisoning"),
            [
                _ev(
                    "fine-tuning",
                    "data-poisoning",
                    BAD_DOC,
                    BREAKOUT_SENTENCE,
                    300,
                    rule="dep-cue:introduce",
                    hedged=True,
                    texts=("fine-tuning", "Poisoning"),
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
                    texts=("poisoning", "Red-teaming"),
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
                    texts=(IMG_LABEL, "deployment"),
                ),
                _ev("red-teaming", "deployment", "002_c.txt", "Red-teaming is done before deployment.", 8),
                _ev("red-teaming", "deployment", "003_d.txt", "Deployment needs red-teaming.", 9),
            ],
        ),
        (
            Relation("rlhf", "introducesRisk", "ghost-concept"),
            [
                _ev("rlhf", "ghost-concept", "004_e.txt", "RLHF introduces a ghost.", 3, confidence=0.3),
            ],
        ),
    ]
    documents = [Document("000_a.txt", "/x/000_a.txt", "0" * 64, "", "", (0,), title=HOSTILE_TITLE)]
    if reverse:
        concepts.reverse()
        relations = [(rel, list(reversed(evs))) for rel, evs in reversed(relations)]
    return GraphData(documents=documents, concepts={c.key: c for c in concepts}, relations=dict(relations))


SENTENCE_WORDS = (
    "the model developers report that during evaluation the system showed behaviour which the audit team "
    "had not expected and which later analysis traced to the training data and its filtering pipeline"
)


def big_graph(n_nodes: int = 2000, n_edges: int = 3000, seed: int = 20240601) -> GraphData:
    """Random but seeded: n_nodes concepts split over the four classes, n_edges well-typed relations, each
    with 1-3 evidence sentences of realistic length (~25 words) from 300 documents."""
    rng = random.Random(seed)
    words = SENTENCE_WORDS.split(" ")
    keys = {cls: [f"{cls.lower()}-{i:04d}" for i in range(n_nodes // len(CLASSES))] for cls in CLASSES}
    concepts = {
        k: Concept(k, f"{cls} concept {k[-4:]}", (cls,), alt_labels=(f"{cls[:4]}-{k[-4:]}",))
        for cls, ks in keys.items()
        for k in ks
    }
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
            s_label, o_label = concepts[rel.subject].label, concepts[rel.object].label
            relations[rel] = [
                _ev(
                    rel.subject,
                    rel.object,
                    f"{rng.randrange(300):03d}_doc.txt",
                    f"{s_label} {' '.join(rng.choices(words, k=12))} {predicate} "
                    f"{' '.join(rng.choices(words, k=12))} {o_label} ({j}).",
                    rng.randrange(100_000),
                    confidence=round(rng.random(), 2),
                    hedged=rng.random() < 0.2,
                    texts=(s_label, o_label),
                )
                for j in range(rng.randint(1, 3))
            ]
    return GraphData(documents=[], concepts=concepts, relations=relations)


# -------------------------------------------------------------------------------------------- helpers

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Dom(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


# Run in the page: what an injection would have left behind.
INJECTION_PROBE = """() => ({
    pwned: document.body.dataset.pwned || null,
    scripts: document.querySelectorAll('script').length,
    tags: [...new Set([...document.querySelectorAll('img, a, b, iframe, object, embed, link, svg, style')]
        .filter(e => !(e.tagName === 'STYLE' && e.parentElement === document.head)).map(e => e.tagName))],
    handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
        .filter(n => n.startsWith('on')),
})"""


def assert_no_injection(loaded: Loaded) -> None:
    """No injected script ran and no hostile markup became elements."""
    probe = loaded.page.evaluate(INJECTION_PROBE)
    assert probe == {"pwned": None, "scripts": SCRIPTS_IN_PAGE, "tags": [], "handlers": []}, probe


def vendor_blobs() -> list[str]:
    return [
        (VIS_DIR / name).read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
        for name in ("vis-network.min.js", "vis-network.css")
    ]


def data_block(html: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="aigraph-data">(.*?)</script>', html, re.S)
    assert block is not None
    result: dict[str, Any] = json.loads(block.group(1))
    return result


@pytest.fixture(scope="module")
def small_html() -> str:
    return render_html(small_graph(), title=HOSTILE_TITLE)


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
    assert [tag for tag, _ in page.elements].count("script") == SCRIPTS_IN_PAGE


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
    payload_ = data_block(small_html)
    labels = {n["id"]: n["label"] for n in payload_["info"]["nodes"]}
    assert labels["data-poisoning"] == SCRIPT_LABEL and labels["rlhf"] == HREF_LABEL
    sentence = EVIDENCE_FIELDS.index("sentence")
    sentences = [ev[sentence] for e in payload_["info"]["edges"] for ev in e["evidence"]]
    assert BREAKOUT_SENTENCE in sentences
    assert BAD_DOC in [d["name"] for d in payload_["documents"]]
    assert HOSTILE_TITLE in [d["title"] for d in payload_["documents"]]
    assert {n["group"] for n in payload_["nodes"]} == {*CLASSES, "Other"}  # ghost-concept is drawn, as Other
    assert all(isinstance(n["title"], str) for n in payload_["nodes"] + payload_["edges"])


def test_script_json_cannot_close_the_element() -> None:
    text = script_json({"k</script>": "</script><!-- & \u2028\u2029 >"})
    for char in "<>&\u2028\u2029":
        assert char not in text
    assert json.loads(text) == {"k</script>": "</script><!-- & \u2028\u2029 >"}


def test_legend_filters_and_counts(small_html: str) -> None:
    legend = re.search(r'<ul id="legend".*?</ul>', small_html, re.S)
    assert legend is not None
    for name, count in (("Stage", 2), ("Technique", 2), ("Risk", 1), ("Intervention", 1), ("Other", 1)):
        assert f'data-class="{name}" checked>' in legend.group(0)
        assert f'</span>{name} <span class="count">({count})</span>' in legend.group(0)
    for name in PREDICATES:
        assert f'data-predicate="{name}" checked>' in small_html
    assert 'id="min-confidence" type="range"' in small_html and 'id="search" type="search"' in small_html
    assert "7 concepts, 5 relations, 31 evidence records, 30 documents" in small_html


def test_sizes_widths_dashes_aliases_and_documents() -> None:
    _net, page = payload(small_graph())
    nodes = {n["id"]: n for n in page["nodes"]}
    info = {n["id"]: n for n in page["info"]["nodes"]}
    edges = {e["id"]: e for e in page["edges"]}
    docs = [d["name"] for d in page["documents"]]
    # size by number of documents with evidence: red-teaming 27 documents > fine-tuning 2 > ghost 1
    assert len(info["red-teaming"]["docs"]) == 27 and len(info["fine-tuning"]["docs"]) == 2
    assert nodes["red-teaming"]["size"] > nodes["fine-tuning"]["size"] > nodes["ghost-concept"]["size"]
    assert info["model-training"]["docs"] == [[docs.index("000_a.txt"), 1], [docs.index(BAD_DOC), 1]]
    # width by evidence count; dashed only when every sentence hedges the relation
    mitigated = edges[edge_id(Relation("data-poisoning", "mitigatedBy", "red-teaming"))]
    uses = edges[edge_id(Relation("model-training", "usesTechnique", "fine-tuning"))]
    introduces = edges[edge_id(Relation("fine-tuning", "introducesRisk", "data-poisoning"))]
    assert mitigated["width"] > uses["width"] > introduces["width"]
    assert introduces.get("dashes") is True and "dashes" not in uses and "dashes" not in mitigated
    assert uses["color"]["color"] != mitigated["color"]["color"]  # coloured by predicate
    # aliases from the lexicon, and the other forms the corpus wrote it as (whitespace folded)
    assert info["model-training"]["aliases"] == sorted(["training run", IMG_LABEL])
    assert info["model-training"]["written"] == [SCRIPT_LABEL]  # not "model  training": that is the label
    assert info["fine-tuning"]["written"] == [] and info["data-poisoning"]["written"] == ["Poisoning"]
    assert page["documents"][docs.index("000_a.txt")]["title"] == HOSTILE_TITLE


def test_layered_layout_puts_classes_in_chain_order() -> None:
    _net, page = payload(big_graph(400, 600))
    xs: dict[str, list[int]] = {}
    for node in page["nodes"]:
        xs.setdefault(node["group"], []).append(node["x"])
    bands = [(min(xs[c]), max(xs[c])) for c in CLASSES]
    assert all(a[1] < b[0] for a, b in itertools.pairwise(bands)), bands  # columns left to right
    assert [b["name"] for b in page["bands"]] == list(CLASSES)
    assert len({(n["x"], n["y"]) for n in page["nodes"]}) == 400  # no two concepts on one spot
    width = max(n["x"] for n in page["nodes"]) - min(n["x"] for n in page["nodes"])
    height = max(n["y"] for n in page["nodes"]) - min(n["y"] for n in page["nodes"])
    assert 0.8 < width / height < 4, (width, height)  # folded into sub-columns: roughly a screen's shape


def test_barycentre_ordering_untangles_crossings() -> None:
    # two bands, each Stage linked to one Technique; the initial order (by key) crosses every pair
    stages = [f"s{i}" for i in range(6)]
    techniques = [f"t{i}" for i in range(6)]
    pairs = [(s, techniques[5 - i]) for i, s in enumerate(stages)]
    class_of = {**dict.fromkeys(stages, "Stage"), **dict.fromkeys(techniques, "Technique")}
    positions, bands = layered_positions(CLASSES, class_of, pairs, dict.fromkeys(class_of, 1))
    crossings = sum(
        1
        for (a, b) in pairs
        for (c, d) in pairs
        if positions[a][1] < positions[c][1] and positions[b][1] > positions[d][1]
    )
    assert crossings == 0
    assert [b.name for b in bands] == ["Stage", "Technique"]
    assert layered_positions(CLASSES, class_of, pairs, dict.fromkeys(class_of, 1))[0] == positions
