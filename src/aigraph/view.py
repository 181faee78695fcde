"""Self-contained interactive HTML view of a GraphData (vis-network, inlined; works with no network).

What is drawn is computed in ``view_data`` (nodes, edges, panel details) and ``view_layout`` (the layered
layout); the page is rendered with our Jinja2 template ``templates/graph.html`` and three scripts:
``templates/graph.js`` (network, selection, layouts, chains), ``panel.js`` (the side panel with the evidence)
and ``controls.js`` (search and filters).

Escaping rules (all text comes from untrusted documents):

* graph data enters the page only as JSON inside ``<script type="application/json">``, with ``<``, ``>`` and
  ``&`` written as ``\\u003c`` etc. (``ensure_ascii`` also escapes U+2028/U+2029), so nothing can close the
  element; the scripts build every panel, list and highlight with ``textContent`` only, and vis-network shows
  string tooltips as plain text;
* the page title goes through Jinja2 autoescaping;
* inlined code (vis-network, our scripts) is checked to contain no ``</script`` / ``<!--`` and is allowed by
  a Content-Security-Policy of sha256 hashes, so any script that got into the page some other way won't run
  and nothing can be fetched from the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import webbrowser
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pyvis
from markupsafe import Markup

from aigraph.errors import InputError
from aigraph.fileio import atomic_write_text
from aigraph.model import GraphData
from aigraph.view_data import PREDICATE_COLOURS, STYLES, edge_id, payload, primary_class

__all__ = [
    "STYLES",
    "VIS_DIR",
    "edge_id",
    "find_view",
    "open_view",
    "primary_class",
    "render_html",
    "script_json",
    "write_html",
]

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
VIS_DIR = Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2"
SCRIPTS = ("vis_js", "app_js", "panel_js", "controls_js")  # inlined in this order; their hashes are the CSP
VIEW_FILE = "graph.html"


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
    """vis-network JS/CSS from pyvis's bundled copy and our page scripts."""
    return {
        "vis_js": _load(VIS_DIR / "vis-network.min.js", "</script"),
        "vis_css": _load(VIS_DIR / "vis-network.css", "</style"),
        "app_js": _load(TEMPLATE_DIR / "graph.js", "</script"),
        "panel_js": _load(TEMPLATE_DIR / "panel.js", "</script"),
        "controls_js": _load(TEMPLATE_DIR / "controls.js", "</script"),
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(data: GraphData, title: str = "aigraph") -> str:
    """The whole page as a string: deterministic (same data and title, same bytes), no external references."""
    title = title.encode("utf-8", "replace").decode("utf-8")  # lone surrogates could not be written
    net, page = payload(data)
    assets = _assets()
    class_counts = {name: 0 for name in page["classes"]}
    for node in net.nodes:
        class_counts[node["group"]] += 1
    predicate_counts = {name: 0 for name in page["predicates"]}
    for edge in page["info"]["edges"]:
        predicate_counts[edge["predicate"]] += 1
    hashes = " ".join(_csp_hash(assets[name]) for name in SCRIPTS)
    csp = f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
    html = (
        _environment()
        .get_template("graph.html")
        .render(
            title=title,
            csp=csp,
            classes=[(name, STYLES[name][0], STYLES[name][2], class_counts[name]) for name in page["classes"]],
            predicates=[
                (name, PREDICATE_COLOURS.get(name, "#a8a8a8"), predicate_counts[name]) for name in page["predicates"]
            ],
            node_count=len(net.nodes),
            edge_count=len(net.edges),
            evidence_count=sum(len(row["evidence"]) for row in page["info"]["edges"]),
            document_count=len(page["documents"]),
            data_json=Markup(script_json(page)),
            vis_css=Markup(assets["vis_css"]),
            **{name: Markup(assets[name]) for name in SCRIPTS},
        )
    )
    log.debug("rendered graph view: %d nodes, %d edges, %d chars", len(net.nodes), len(net.edges), len(html))
    return html


def write_html(data: GraphData, path: Path, title: str = "aigraph") -> None:
    """Render the view and write it atomically to `path` (UTF-8)."""
    html = render_html(data, title=title)
    atomic_write_text(path, html)
    log.info("wrote graph view %s (%d concepts, %d relations)", path, len(data.concepts), len(data.relations))


def find_view(target: str | Path = "build") -> Path:
    """The view file of a build folder (its graph.html) or an HTML file itself, as an absolute path."""
    path = Path(target)
    hint = "run `aigraph build` first (it writes build/graph.html), or pass a build folder or its graph.html"
    if path.is_dir():
        page = path / VIEW_FILE
        if not page.is_file():
            raise InputError(f"no {VIEW_FILE} in {str(path)!r}: {hint}")
    elif path.is_file():
        if path.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"{str(path)!r} is not an HTML file: {hint}")
        page = path
    else:
        raise InputError(f"{str(path)!r} does not exist: {hint}")
    return page.resolve()


def open_view(page: Path) -> None:
    """Open `page` in the user's web browser (as a file:// URL; the page needs no server)."""
    url = page.resolve().as_uri()
    log.info("opening %s", url)
    if not webbrowser.open(url):
        raise InputError(f"no web browser could be started: open {url} by hand")
