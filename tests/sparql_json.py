"""A strict validator of the W3C SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/).

It checks the structure the recommendation defines: `head` with `vars` (and optional `link`), then either
`results.bindings` or `boolean`; each binding maps declared variables to RDF terms of type `uri`, `bnode`,
`literal` (with at most one of `datatype` or `xml:lang`) or `triple` (SPARQL 1.2 / RDF-star). The only other
top-level member accepted is aigraph's `aigraph` truncation note.
"""

from __future__ import annotations

import re
from typing import Any

VARNAME = re.compile(r"[A-Za-z0-9_\u00b7\u00c0-\ufffd][A-Za-z0-9_\u00b7\u00c0-\ufffd]*")
LANG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")


def validate_term(term: Any) -> None:
    assert isinstance(term, dict), term
    kind = term.get("type")
    if kind == "triple":
        assert set(term) == {"type", "value"}, term
        value = term["value"]
        assert isinstance(value, dict) and set(value) == {"subject", "predicate", "object"}, term
        for part in value.values():
            validate_term(part)
        return
    assert kind in ("uri", "bnode", "literal"), term
    assert isinstance(term.get("value"), str), term
    if kind in ("uri", "bnode"):
        assert set(term) == {"type", "value"}, term
        if kind == "uri":
            assert ABSOLUTE_IRI.fullmatch(term["value"]), term
        return
    extra = set(term) - {"type", "value"}
    assert extra in (set(), {"datatype"}, {"xml:lang"}), term
    if "datatype" in term:
        assert isinstance(term["datatype"], str) and ABSOLUTE_IRI.fullmatch(term["datatype"]), term
    if "xml:lang" in term:
        assert isinstance(term["xml:lang"], str) and LANG.fullmatch(term["xml:lang"]), term


def validate_sparql_json(document: Any) -> None:
    """Fail with an AssertionError unless `document` (parsed JSON) is a SPARQL 1.1 results document."""
    assert isinstance(document, dict), document
    keys = set(document) - {"aigraph"}
    assert keys in ({"head", "results"}, {"head", "boolean"}), sorted(document)
    if "aigraph" in document:
        note = document["aigraph"]
        assert isinstance(note, dict) and note.get("truncated") is True, note
    head = document["head"]
    assert isinstance(head, dict) and set(head) <= {"vars", "link"}, head
    if "link" in head:
        assert isinstance(head["link"], list) and all(isinstance(x, str) for x in head["link"]), head
    if "boolean" in document:
        assert isinstance(document["boolean"], bool), document
        assert "vars" not in head, head
        return
    variables = head.get("vars")
    assert isinstance(variables, list), head
    assert all(isinstance(v, str) and VARNAME.fullmatch(v) for v in variables), variables
    assert len(set(variables)) == len(variables), variables
    results = document["results"]
    assert isinstance(results, dict) and set(results) == {"bindings"}, results
    assert isinstance(results["bindings"], list), results
    for binding in results["bindings"]:
        assert isinstance(binding, dict), binding
        assert set(binding) <= set(variables), (binding, variables)
        for term in binding.values():
            validate_term(term)
