"""Self-contained interactive HTML view of a GraphData (vis-network, inlined; works with no network).

Nodes and edges are held in a pyvis ``Network`` (filled directly: its ``add_edge`` loop is quadratic), and the
page is rendered with our own Jinja2 template ``templates/graph.html`` plus the script ``templates/graph.js``.

Escaping rules (all text comes from untrusted documents):

* graph data enters the page only as JSON inside ``<script type="application/json">``, with ``<``, ``>`` and
  ``&`` written as ``\\u003c`` etc. (``ensure_ascii`` also escapes U+2028/U+2029), so nothing can close the
  element; the script builds the side panel with ``textContent`` only, and vis-network shows string tooltips
  as plain text;
* the page title goes through Jinja2 autoescaping;
* inlined code (vis-network, our script) is checked to contain no ``</script`` / ``<!--`` and is allowed by
  a Content-Security-Policy of sha256 hashes, so any script that got into the page some other way won't run
  and nothing can be fetched from the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pyvis
from markupsafe import Markup
from pyvis.network import Network

from aigraph.fileio import atomic_write_text
from aigraph.model import Concept, Evidence, GraphData, Relation

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
VIS_DIR = Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"

#: primary class -> (colour, vis-network shape, legend glyph). "Other": no known class / unknown concept.
STYLES: dict[str, tuple[str, str, str]] = {
    "Stage": ("#4e79a7", "square", "\u25a0"),
    "Technique": ("#59a14f", "dot", "\u25cf"),
    "Risk": ("#e15759", "triangle", "\u25b2"),
    "Intervention": ("#f28e2b", "diamond", "\u25c6"),
    "Other": ("#9d9d9d", "star", "\u2605"),
}
MAX_LABEL = 60  # longer labels are shortened on the canvas (full text in tooltip and panel)
NODE_EVIDENCE_CAP = 20  # evidence records listed in a node's panel; the rest are counted
NODE_RELATION_CAP = 50  # relations listed in a node's panel; the rest are counted
BIG_GRAPH = 500  # nodes above which dragging hides edges


def script_json(value: Any) -> str:
    """JSON that is safe as the text of a <script> element: no `<`, `>`, `&` or raw U+2028/U+2029."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _load(path: Path, closer: str) -> str:
    """A file to inline, newlines normalised as the HTML parser will (so that the CSP hash matches)."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    for bad in (closer, "<!--"):
        if bad in text.lower():
            raise ValueError(f"{path} contains {bad!r}: it cannot be inlined safely")
    return text


def _csp_hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    """vis-network JS/CSS from pyvis's bundled copy and our page script."""
    return {
        "vis_js": _load(VIS_DIR / "vis-network.min.js", "</script"),
        "vis_css": _load(VIS_DIR / "vis-network.css", "</style"),
        "app_js": _load(TEMPLATE_DIR / "graph.js", "</script"),
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def primary_class(concept: Concept | None) -> str:
    """The first of the concept's types that has a style (types are primary first), else "Other"."""
    for name in concept.types if concept else ():
        if name in STYLES and name != "Other":
            return name
    return "Other"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026"


def _edge_width(count: int) -> float:
    return round(min(8.0, 1.0 + 1.5 * math.log2(max(count, 1))), 2)


def _evidence_key(ev: Evidence) -> tuple[str, int, int, str, str, float, bool]:
    return (ev.doc, ev.start, ev.end, ev.rule, ev.sentence, ev.confidence, ev.hedged)


def _evidence_row(ev: Evidence) -> dict[str, Any]:
    return {
        "doc": ev.doc,
        "sentence": ev.sentence,
        "start": ev.start,
        "end": ev.end,
        "rule": ev.rule,
        "confidence": round(float(ev.confidence), 4),
        "hedged": bool(ev.hedged),
    }


def edge_id(relation: Relation) -> str:
    """The id of a relation's edge in the page (also usable in ``#select=<id>``)."""
    return f"{relation.subject}|{relation.predicate}|{relation.object}"


def vis_options(node_count: int) -> dict[str, Any]:
    """vis-network options: short barnesHut stabilization (physics is switched off by the page after it)."""
    return {
        "autoResize": True,
        "nodes": {"size": 14, "borderWidth": 1, "font": {"size": 14, "face": "sans-serif"}},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
            "smooth": False,
            "color": {"color": "#9a9a9a", "highlight": "#222222", "hover": "#555555"},
            "font": {"size": 10, "align": "middle", "color": "#555555", "strokeWidth": 2},
        },
        "physics": {
            "enabled": True,
            "solver": "barnesHut",
            "barnesHut": {
                "gravitationalConstant": -6000,
                "centralGravity": 0.3,
                "springLength": 110,
                "springConstant": 0.04,
                "damping": 0.35,
                "avoidOverlap": 0.1,
            },
            "maxVelocity": 50,
            "minVelocity": 1,
            "stabilization": {"enabled": True, "iterations": 150, "updateInterval": 25, "fit": True},
        },
        "layout": {"randomSeed": 7, "improvedLayout": node_count <= 100},
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": node_count > BIG_GRAPH,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
    }


def build_network(data: GraphData) -> tuple[Network, list[dict[str, Any]], list[dict[str, Any]]]:
    """A pyvis Network holding the vis nodes/edges/options, plus per-node and per-edge panel details."""
    relations = sorted(data.relations, key=lambda r: (r.subject, r.predicate, r.object))
    keys = set(data.concepts)
    for rel in relations:
        for key in (rel.subject, rel.object):
            if key not in keys:
                log.warning(
                    "relation %s refers to unknown concept %r: drawn as class Other", edge_id(rel), key
                )
                keys.add(key)

    def label_of(key: str) -> str:
        concept = data.concepts.get(key)
        return concept.label if concept and concept.label else key

    degree: dict[str, int] = dict.fromkeys(keys, 0)
    for rel in relations:
        degree[rel.subject] += 1
        degree[rel.object] += 1

    net = Network(directed=True)
    node_info: list[dict[str, Any]] = []
    for key in sorted(keys):
        concept = data.concepts.get(key)
        cls = primary_class(concept)
        colour, shape, _glyph = STYLES[cls]
        types = list(concept.types) if concept else []
        label = label_of(key)
        title = f"{label}\n{', '.join(types) or 'no class'} \u00b7 {degree[key]} relation(s)"
        net.nodes.append(
            {
                "id": key,
                "label": _short(label),
                "title": title,
                "shape": shape,
                "group": cls,
                "color": {
                    "background": colour,
                    "border": "#333333",
                    "highlight": {"background": colour, "border": "#000000"},
                },
            }
        )
        node_info.append(
            {
                "id": key,
                "label": label,
                "classes": types,
                "primary": cls,
                "known": bool(concept),
                "definition": concept.definition if concept else "",
            }
        )

    edge_info: list[dict[str, Any]] = []
    for rel in relations:
        evidence = sorted(data.relations[rel], key=_evidence_key)
        eid = edge_id(rel)
        title = (
            f"{label_of(rel.subject)} \u2192 {rel.predicate} \u2192 {label_of(rel.object)}\n"
            f"{len(evidence)} evidence record(s)"
        )
        net.edges.append(
            {
                "id": eid,
                "from": rel.subject,
                "to": rel.object,
                "label": rel.predicate,
                "title": title,
                "arrows": "to",
                "width": _edge_width(len(evidence)),
            }
        )
        edge_info.append(
            {
                "id": eid,
                "from": rel.subject,
                "to": rel.object,
                "predicate": rel.predicate,
                "evidence": [_evidence_row(ev) for ev in evidence],
            }
        )
    net.options = vis_options(len(net.nodes))
    return net, node_info, edge_info


def render_html(data: GraphData, title: str = "aigraph") -> str:
    """The whole page as a string: deterministic (same data and title, same bytes), no external references."""
    title = title.encode("utf-8", "replace").decode("utf-8")  # lone surrogates could not be written
    net, node_info, edge_info = build_network(data)
    assets = _assets()
    payload = {
        "nodes": net.nodes,
        "edges": net.edges,
        "options": net.options,
        "info": {"nodes": node_info, "edges": edge_info},
        "caps": {"nodeEvidence": NODE_EVIDENCE_CAP, "nodeRelations": NODE_RELATION_CAP},
    }
    present = {str(node["group"]) for node in net.nodes}
    legend = [
        (name, colour, glyph)
        for name, (colour, _shape, glyph) in STYLES.items()
        if name != "Other" or name in present
    ]
    evidence_count = sum(len(row["evidence"]) for row in edge_info)
    hashes = " ".join(_csp_hash(assets[name]) for name in ("vis_js", "app_js"))
    csp = (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
    )
    template = _environment().get_template("graph.html")
    html = template.render(
        title=title,
        csp=csp,
        legend=legend,
        node_count=len(net.nodes),
        edge_count=len(net.edges),
        evidence_count=evidence_count,
        data_json=Markup(script_json(payload)),
        vis_js=Markup(assets["vis_js"]),
        vis_css=Markup(assets["vis_css"]),
        app_js=Markup(assets["app_js"]),
    )
    log.debug("rendered graph view: %d nodes, %d edges, %d chars", len(net.nodes), len(net.edges), len(html))
    return html


def write_html(data: GraphData, path: Path, title: str = "aigraph") -> None:
    """Render the view and write it atomically to `path` (UTF-8)."""
    html = render_html(data, title=title)
    atomic_write_text(path, html)
    log.info("wrote graph view %s (%d concepts, %d relations)", path, len(data.concepts), len(data.relations))
