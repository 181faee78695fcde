"""Render a QueryResult: text table, Markdown, the W3C SPARQL 1.1 results formats, and RDF for graphs.

SELECT and ASK results: `table`, `md` (for people; cells never truncated) and the W3C formats `json`
(SPARQL 1.1 Query Results JSON), `xml`, `csv` and `tsv`. CONSTRUCT/DESCRIBE results: `turtle`,
`ntriples` and `rdfxml`. A result cut at a row cap says so wherever the format has room for it: the table
and Markdown footers, a top-level `"aigraph"` member in JSON (absent otherwise, so an uncut result is plain
W3C JSON), an XML comment, a `#` comment line in Turtle and N-Triples; CSV and TSV have no room, so callers
state it beside them (the CLI on stderr, the endpoint in a response header).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from aigraph.query import QueryResult, Term
from aigraph.vocab import PREFIXES, XSD

FORMATS: tuple[str, ...] = ("table", "csv", "tsv", "json", "md", "xml")
GRAPH_FORMATS: tuple[str, ...] = ("turtle", "ntriples", "rdfxml")
MEDIA_TYPES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "table": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
_RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BARE = {  # TSV writes these literals bare, as Turtle does
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "decimal": re.compile(r"[+-]?\d*\.\d+"),
    XSD + "double": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"),
    XSD + "boolean": re.compile(r"true|false"),
}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def truncation_note(result: QueryResult) -> str:
    """One sentence saying the result was cut, or "" when it was not."""
    if not result.truncated:
        return ""
    count = len(result.solutions)
    unit = ("triple" if result.kind == "graph" else "row") + ("" if count == 1 else "s")
    return f"truncated: the query has more than these {count} {unit} (the row cap); narrow it or raise the cap"


def format_result(result: QueryResult, fmt: str) -> str:
    """The result as text in `fmt` (one of FORMATS, or GRAPH_FORMATS for CONSTRUCT/DESCRIBE results)."""
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise ValueError(f"a CONSTRUCT/DESCRIBE result is a graph; choose one of: {', '.join(GRAPH_FORMATS)}")
        return _rdf(result, fmt)
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return writer(result)


# --------------------------------------------------------------------------- for people


def _cell(value: str | None) -> str:
    """One table cell on one line: control characters shown escaped, unbound shown empty."""
    if value is None:
        return ""
    return "".join(_ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch) for ch in value)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters count 2, combining marks 0."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _line(cells: list[str], widths: list[int]) -> str:
    """Cells padded to their column width; the last is not padded: no trailing blanks."""
    padded = [text + " " * (width - _width(text)) for text, width in zip(cells[:-1], widths, strict=False)]
    line = " | ".join([*padded, *cells[-1:]])
    return line[:-1] if line.endswith(" | ") else line  # empty last cell


def _table(result: QueryResult) -> str:
    header = [_cell(c) for c in result.columns]
    body = [[_cell(v) for v in row] for row in result.rows]
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [_line(header, widths), "-+-".join("-" * w for w in widths)]
    lines += [_line(cells, widths) for cells in body]
    count = len(result.rows)
    note = f"; {truncation_note(result)}" if result.truncated else ""
    lines.append(f"({count} row{'' if count == 1 else 's'}{note})")
    return "\n".join(lines) + "\n"


def _md_cell(value: str | None) -> str:
    return _cell(value).replace("\\", "\\\\").replace("|", "\\|") if value is not None else ""


def _markdown(result: QueryResult) -> str:
    lines = ["| " + " | ".join(_md_cell(c) for c in result.columns) + " |",
             "|" + "|".join("---" for _ in result.columns) + "|"]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in result.rows]
    if result.truncated:
        lines += ["", f"*{truncation_note(result)}*"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- W3C results formats


def _csv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results CSV: plain values, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.columns)
    writer.writerows(["" if v is None else v for v in row] for row in result.rows)
    return buffer.getvalue()


def tsv_term(term: Term) -> str:
    """A term in SPARQL/Turtle syntax, as the TSV format writes it."""
    if term.type == "literal" and term.datatype in _BARE and _BARE[term.datatype].fullmatch(term.value):
        return term.value
    return str(term.to_ox())


def _tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: `?var` header, terms in Turtle syntax, LF line ends."""
    lines = ["\t".join(f"?{c}" for c in result.columns)]
    lines += ["\t".join("" if t is None else tsv_term(t) for t in row) for row in result.solutions]
    return "\n".join(lines) + "\n"


def json_term(term: Term) -> dict[str, Any]:
    """A term as a SPARQL JSON binding: type, value, and datatype or xml:lang for literals."""
    if term.type == "triple" and term.parts is not None:
        s, p, o = (json_term(t) for t in term.parts)
        return {"type": "triple", "value": {"subject": s, "predicate": p, "object": o}}
    binding: dict[str, Any] = {"type": term.type, "value": term.value}
    if term.lang is not None:
        binding["xml:lang"] = term.lang
    elif term.datatype is not None:
        binding["datatype"] = term.datatype
    return binding


def results_json(result: QueryResult) -> dict[str, Any]:
    """The SPARQL 1.1 Query Results JSON object of a SELECT or ASK result."""
    document: dict[str, Any]
    if result.kind == "ask":
        document = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [{c: json_term(t) for c, t in zip(result.columns, row, strict=True) if t is not None}
                    for row in result.solutions]
        document = {"head": {"vars": list(result.columns)}, "results": {"bindings": bindings}}
    if result.truncated:
        document["aigraph"] = {"truncated": True, "rows": len(result.solutions), "note": truncation_note(result)}
    return document


def _json(result: QueryResult) -> str:
    return json.dumps(results_json(result), ensure_ascii=False) + "\n"


def _xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _xml_term(term: Term) -> str:
    if term.type == "uri":
        return f"<uri>{_xml_text(term.value)}</uri>"
    if term.type == "bnode":
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if term.type == "triple" and term.parts is not None:
        s, p, o = (_xml_term(t) for t in term.parts)
        return f"<triple><subject>{s}</subject><predicate>{p}</predicate><object>{o}</object></triple>"
    attr = ""
    if term.lang is not None:
        attr = f" xml:lang={quoteattr(term.lang)}"
    elif term.datatype is not None:
        attr = f" datatype={quoteattr(term.datatype)}"
    return f"<literal{attr}>{_xml_text(term.value)}</literal>"


def _xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.truncated:
        out.append(f"<!-- {truncation_note(result)} -->")
    if result.kind == "ask":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>" + "".join(f"<variable name={quoteattr(c)}/>" for c in result.columns) + "</head>")
    out.append("<results>")
    for row in result.solutions:
        bindings = "".join(f"<binding name={quoteattr(c)}>{_xml_term(t)}</binding>"
                           for c, t in zip(result.columns, row, strict=True) if t is not None)
        out.append(f"<result>{bindings}</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- graphs


def _rdf(result: QueryResult, fmt: str) -> str:
    triples = []
    for s, p, o in result.solutions:
        if s is not None and p is not None and o is not None:
            triples.append(ox.Triple(s.to_ox(), p.to_ox(), o.to_ox()))  # type: ignore[arg-type]
    prefixes = PREFIXES if fmt != "ntriples" else None
    text = (ox.serialize(triples, format=_RDF_FORMATS[fmt], prefixes=prefixes) or b"").decode("utf-8")
    if result.truncated and fmt != "rdfxml":
        text = f"# {truncation_note(result)}\n{text}"
    elif result.truncated:
        head, sep, rest = text.partition("?>")
        text = f"{head}{sep}\n<!-- {truncation_note(result)} -->{rest}" if sep else text
    return text


_WRITERS = {"table": _table, "md": _markdown, "csv": _csv, "tsv": _tsv, "json": _json, "xml": _xml}
