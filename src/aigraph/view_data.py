"""What the graph view draws and shows, computed from a GraphData: vis-network nodes, edges and options (held
in a pyvis ``Network``) and the details the page's panels need (evidence, aliases, documents).

The page receives it all as one JSON payload (see ``payload``):

* ``nodes``/``edges``/``options``: vis-network's own data: nodes at fixed positions of the layered layout,
  styled by ``group`` (= primary class), sized by the number of documents with evidence for them; edges
  coloured by predicate, as wide as their evidence count allows and dashed when every sentence hedges them;
* ``force``: the physics options the page switches on for the force layout, with capped stabilization;
* ``info``: per node its label, classes, aliases, the surface forms it was written as, and the documents
  (index into ``documents``) with the number of evidence records in each; per edge its evidence records,
  each an array of ``EVIDENCE_FIELDS`` (named in ``evidenceFields``): the document, sentence, its offsets,
  rule, confidence, hedging and both mentions' text and offsets;
* ``documents``: ``{name, title}`` sorted by name; ``bands``: the class columns of the layered layout.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from pyvis.network import Network

from aigraph.model import PREDICATES, Concept, Evidence, GraphData, Relation
from aigraph.view_layout import ROW_DY, SUB_DX, layered_positions

log = logging.getLogger(__name__)

#: primary class -> (colour, vis-network shape, legend glyph). "Other": no known class / unknown concept.
STYLES: dict[str, tuple[str, str, str]] = {
    "Stage": ("#4e79a7", "square", "\u25a0"),
    "Technique": ("#59a14f", "dot", "\u25cf"),
    "Risk": ("#e15759", "triangle", "\u25b2"),
    "Intervention": ("#f28e2b", "diamond", "\u25c6"),
    "Other": ("#9d9d9d", "star", "\u2605"),
}
#: predicate -> edge colour: a light tint of the class the edge points to, so the chain reads by colour
PREDICATE_COLOURS: dict[str, str] = {
    "usesTechnique": "#8dbf88",
    "introducesRisk": "#eb9a9b",
    "mitigatedBy": "#f5bb82",
    "appliesAt": "#93add0",
}
OTHER_PREDICATE_COLOUR = "#a8a8a8"
MAX_LABEL = 30  # longer labels are cut on the canvas to fit a sub-column (full text in tooltip and panel)
NODE_EVIDENCE_CAP = 20  # evidence records listed in a node's panel; the rest are counted
NODE_RELATION_CAP = 50  # relations listed in a node's panel; the rest are counted
BIG_GRAPH = 500  # nodes above which edges are hidden while dragging or zooming
FORCE_WORK = 150_000  # force layout: stabilization iterations x nodes; 30 iterations of 5,000 nodes take ~3 s
_SPACE = re.compile(r"\s+")


def primary_class(concept: Concept | None) -> str:
    """The first of the concept's types that has a style (types are primary first), else "Other"."""
    for name in concept.types if concept else ():
        if name in STYLES and name != "Other":
            return name
    return "Other"


def edge_id(relation: Relation) -> str:
    """The id of a relation's edge in the page (also usable in ``#select=<id>``)."""
    return f"{relation.subject}|{relation.predicate}|{relation.object}"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026"


def _edge_width(count: int) -> float:
    return round(min(8.0, 1.0 + 1.5 * math.log2(max(count, 1))), 2)


def _node_size(documents: int) -> int:
    return min(20, 8 + round(3 * math.log2(1 + documents)))


def _evidence_key(ev: Evidence) -> tuple[Any, ...]:
    return (
        ev.doc, ev.start, ev.end, ev.subject.start, ev.object.start, ev.rule, ev.sentence, ev.confidence,
        ev.hedged, ev.subject.text, ev.object.text,
    )  # fmt: skip


#: The fields of an evidence record in the payload, in order: records are arrays, not objects, because a
#: 5,000-concept graph has some 15,000 of them and the keys would be a third of the file.
EVIDENCE_FIELDS = (
    "doc", "sentence", "start", "end", "rule", "confidence", "hedged",
    "subjectText", "subjectStart", "subjectEnd", "objectText", "objectStart", "objectEnd",
)  # fmt: skip


def _evidence_row(ev: Evidence, doc_index: dict[str, int]) -> list[Any]:
    return [
        doc_index[ev.doc], ev.sentence, ev.start, ev.end, ev.rule, round(float(ev.confidence), 4), bool(ev.hedged),
        ev.subject.text, ev.subject.start, ev.subject.end, ev.object.text, ev.object.start, ev.object.end,
    ]  # fmt: skip


def _fold(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def vis_options(node_count: int) -> dict[str, Any]:
    """vis-network options of the layered layout: fixed positions, no physics, group styles."""
    big = node_count > BIG_GRAPH
    return {
        "autoResize": True,
        "groups": {
            name: {
                "shape": shape,
                "color": {
                    "background": colour,
                    "border": "#333333",
                    "highlight": {"background": colour, "border": "#000000"},
                    "hover": {"background": colour, "border": "#000000"},
                },
            }
            for name, (colour, shape, _glyph) in STYLES.items()
        },
        "nodes": {"borderWidth": 1, "borderWidthSelected": 3, "font": {"size": 14, "face": "sans-serif"}},
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "smooth": False,
            "selectionWidth": 2,
            "hoverWidth": 1,
        },
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "interaction": {
            "hover": not big,  # hover redraws on every mouse move: too slow with thousands of edges
            "tooltipDelay": 150,
            "hideEdgesOnDrag": big,
            "hideEdgesOnZoom": big,
            "navigationButtons": False,
            "keyboard": False,
            "multiselect": False,
        },
    }


def force_options(node_count: int) -> dict[str, Any]:
    """Physics for the force layout: barnesHut from the layered positions, stabilization capped so the
    page is interactive again within seconds, after which the page switches physics off."""
    iterations = max(30, min(200, FORCE_WORK // max(node_count, 1)))  # 500 nodes: ~3 s in headless Chromium
    return {
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
        "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 25, "fit": True},
    }


def _keys(data: GraphData, relations: list[Relation]) -> set[str]:
    keys = set(data.concepts)
    for rel in relations:
        for key in (rel.subject, rel.object):
            if key not in keys:
                log.warning("relation %s refers to unknown concept %r: drawn as class Other", edge_id(rel), key)
                keys.add(key)
    return keys


@dataclass
class _Tally:
    """Per concept: its number of relations, evidence records per document, and the forms it was written as."""

    degree: dict[str, int]
    docs: dict[str, dict[int, int]]
    written: dict[str, set[str]]


def _tally(
    keys: set[str], relations: list[Relation], evidence: dict[Relation, list[Evidence]], doc_index: dict[str, int]
) -> _Tally:
    tally = _Tally(dict.fromkeys(keys, 0), {key: {} for key in keys}, {key: set() for key in keys})
    for rel in relations:
        tally.degree[rel.subject] += 1
        tally.degree[rel.object] += 1
        for ev in evidence[rel]:
            for key, mention in ((rel.subject, ev.subject), (rel.object, ev.object)):
                counts = tally.docs[key]
                counts[doc_index[ev.doc]] = counts.get(doc_index[ev.doc], 0) + 1
                tally.written[key].add(_fold(mention.text))
    return tally


def _node(
    key: str, concept: Concept | None, cls: str, tally: _Tally, position: tuple[int, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The vis node and the panel's details of one concept."""
    label = concept.label if concept and concept.label else key
    types = list(concept.types) if concept else []
    aliases = sorted({_fold(a) for a in concept.alt_labels} - {""}) if concept else []
    known_forms = {label.casefold(), *(a.casefold() for a in aliases)}
    forms: dict[str, str] = {}
    for form in sorted(tally.written[key]):  # one spelling per case-insensitive form ("Poisoning", not "poisoning")
        if form and form.casefold() not in known_forms:
            forms.setdefault(form.casefold(), form)
    docs = sorted(tally.docs[key].items())
    degree = tally.degree[key]
    vis_node = {
        "id": key,
        "label": _short(label),
        "title": f"{label}\n{', '.join(types) or 'no class'} \u00b7 {len(docs)} document(s) \u00b7 "
        f"{degree} relation(s)",
        "group": cls,
        "size": _node_size(len(docs)),
        "x": position[0],
        "y": position[1],
    }
    info = {
        "id": key,
        "label": label,
        "classes": types,
        "primary": cls,
        "known": bool(concept),
        "definition": concept.definition if concept else "",
        "aliases": aliases,
        "written": sorted(forms.values()),
        "docs": [[index, count] for index, count in docs],
        "degree": degree,
    }
    return vis_node, info


def _edge(
    rel: Relation, evs: list[Evidence], labels: tuple[str, str], doc_index: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The vis edge and the panel's details of one relation."""
    eid = edge_id(rel)
    hedged = bool(evs) and all(ev.hedged for ev in evs)
    colour = PREDICATE_COLOURS.get(rel.predicate, OTHER_PREDICATE_COLOUR)
    hedge_note = " \u00b7 hedged" if hedged else ""
    vis_edge: dict[str, Any] = {
        "id": eid,
        "from": rel.subject,
        "to": rel.object,
        "title": f"{labels[0]} \u2192 {rel.predicate} \u2192 {labels[1]}\n{len(evs)} evidence record(s){hedge_note}",
        "color": {"color": colour, "highlight": "#222222", "hover": "#555555"},
        "width": _edge_width(len(evs)),
    }
    if hedged:
        vis_edge["dashes"] = True
    info = {
        "id": eid,
        "from": rel.subject,
        "to": rel.object,
        "predicate": rel.predicate,
        "hedged": hedged,
        "confidence": max((round(float(ev.confidence), 4) for ev in evs), default=0.0),
        "evidence": [_evidence_row(ev, doc_index) for ev in evs],
    }
    return vis_edge, info


def payload(data: GraphData) -> tuple[Network, dict[str, Any]]:
    """The pyvis Network (vis nodes, edges, options) and the page's whole JSON payload."""
    relations = sorted(data.relations, key=lambda r: (r.subject, r.predicate, r.object))
    keys = _keys(data, relations)
    evidence = {rel: sorted(data.relations[rel], key=_evidence_key) for rel in relations}
    titles = {doc.name: doc.title for doc in data.documents}
    names = sorted(set(titles) | {ev.doc for evs in evidence.values() for ev in evs})
    doc_index = {name: i for i, name in enumerate(names)}
    tally = _tally(keys, relations, evidence, doc_index)
    class_of = {key: primary_class(data.concepts.get(key)) for key in keys}
    positions, bands = layered_positions(
        list(STYLES), class_of, ((r.subject, r.object) for r in relations), tally.degree
    )

    net = Network(directed=True)
    node_info: list[dict[str, Any]] = []
    labels: dict[str, str] = {}
    for key in sorted(keys):
        vis_node, info = _node(key, data.concepts.get(key), class_of[key], tally, positions[key])
        net.nodes.append(vis_node)
        node_info.append(info)
        labels[key] = info["label"]
    edge_info: list[dict[str, Any]] = []
    for rel in relations:
        vis_edge, info = _edge(rel, evidence[rel], (labels[rel.subject], labels[rel.object]), doc_index)
        net.edges.append(vis_edge)
        edge_info.append(info)
    net.options = vis_options(len(net.nodes))

    present = {node["group"] for node in net.nodes}
    page = {
        "nodes": net.nodes,
        "edges": net.edges,
        "options": net.options,
        "force": force_options(len(net.nodes)),
        "info": {"nodes": node_info, "edges": edge_info},
        "documents": [{"name": name, "title": titles.get(name, "")} for name in names],
        "bands": [
            {
                "name": b.name,
                "x": (b.left + b.right) // 2,
                "width": b.right - b.left + SUB_DX,
                "y": b.top - ROW_DY * 3 // 2,
                "count": b.count,
                "colour": STYLES[b.name][0],
            }
            for b in bands
        ],
        "classes": [name for name in STYLES if name != "Other" or name in present],
        "predicates": [*PREDICATES, *sorted({r.predicate for r in relations} - set(PREDICATES))],
        "evidenceFields": list(EVIDENCE_FIELDS),
        "caps": {"nodeEvidence": NODE_EVIDENCE_CAP, "nodeRelations": NODE_RELATION_CAP},
    }
    return net, page
