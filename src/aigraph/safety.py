"""Lexical safety check of a SPARQL query before it is evaluated: read-only, nothing outside the store.

Oxigraph would follow `SERVICE <url>` with an HTTP request and the update forms (`LOAD`, `INSERT`, ...)
change the store, so they are refused by scanning the text, never by running it. `FROM`/`FROM NAMED`
are allowed only when they name a graph of the store (a document's graph), which restricts the query
to that document; any other IRI is refused, as are the protocol's `default-graph-uri`/`named-graph-uri`
parameters naming one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from aigraph.errors import QueryRefused

# One pass, left to right, so a '#' inside a string or IRI is not a comment and vice versa. A backslash
# escape outside strings (`ex:a\#`, `ex:a\'` are valid prefixed names) is its own token: it must not
# start a comment or a string that would hide the rest of the query from the keyword scan.
_LEXEMES = re.compile(
    r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|\\[^\n\r]"
    r"|#[^\n\r]*",
    re.DOTALL,
)
_UPDATE = ("LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
# A keyword is a bare word: not part of a variable (?x $x), prefixed name (a:x x:), language tag (@x)
# or a longer word.
_KEYWORD = re.compile(
    r"(?<![\w?$:@-])(" + "|".join(("SERVICE", "FROM", "PREFIX", *_UPDATE)) + r")(?![\w:-])", re.IGNORECASE
)
_SKIP = re.compile(r"(?:\s|#[^\n\r]*)*")
_NAMED = re.compile(r"NAMED(?![\w:-])", re.IGNORECASE)
_IRIREF = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_PNAME = re.compile(r"([A-Za-z][\w.-]*)?:((?:[\w.:%-]|\\[^\n\r])*)")


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))  # keep offsets and line numbers


def code_only(text: str) -> str:
    """`text` with comments, string literals and <IRIs> blanked out (same length, same lines)."""
    return _LEXEMES.sub(_blank, text)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _keywords(code: str) -> list[tuple[str, re.Match[str]]]:
    return [(m.group(1).upper(), m) for m in _KEYWORD.finditer(code)]


def _found(found: list[tuple[str, re.Match[str]]], code: str, keywords: Iterable[str]) -> str:
    seen: dict[str, int] = {}
    for word, m in found:
        if word in keywords and word not in seen:
            seen[word] = _line(code, m.start())
    return ", ".join(f"{word} (line {line})" for word, line in seen.items())


def _iri_at(text: str, pos: int, prefixes: Mapping[str, str]) -> tuple[str | None, int]:
    """The IRI (or prefixed name, resolved) starting at `pos` after blanks and comments, and its end."""
    pos = _SKIP.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
    if m := _IRIREF.match(text, pos):
        return m.group(1), m.end()
    if m := _PNAME.match(text, pos):
        local = m.group(2).rstrip(".")
        namespace = prefixes.get(m.group(1) or "")
        if namespace is not None:
            return namespace + re.sub(r"\\(.)", r"\1", local), m.start(2) + len(local)
    return None, pos


def dataset_clauses(text: str, prefixes: Mapping[str, str] | None = None) -> list[tuple[str, str | None, int]]:
    """Every FROM / FROM NAMED clause as (keyword, IRI or None when unreadable, line)."""
    code = code_only(text)
    found = _keywords(code)
    declared = dict(prefixes or {})
    for word, m in found:
        if word == "PREFIX" and (p := re.compile(r"\s*([A-Za-z][\w.-]*)?:").match(code, m.end())):
            iri, _ = _iri_at(text, p.end(), {})
            if iri is not None:
                declared[p.group(1) or ""] = iri
    clauses: list[tuple[str, str | None, int]] = []
    for word, m in found:
        if word != "FROM":
            continue
        pos = _SKIP.match(text, m.end()).end()  # type: ignore[union-attr]
        keyword = "FROM"
        if named := _NAMED.match(code, pos):
            keyword, pos = "FROM NAMED", named.end()
        iri, _ = _iri_at(text, pos, declared)
        clauses.append((keyword, iri, _line(code, m.start())))
    return clauses


def _outside(graphs: Collection[str] | None) -> str:
    if not graphs:
        return "this store has no named graphs"
    names = sorted(graphs)
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return "it may only name a document's graph: " + ", ".join(f"<{g}>" for g in names[:3]) + more


def check_query(text: str, allow_remote: bool = False, graphs: Collection[str] | None = None,
                prefixes: Mapping[str, str] | None = None) -> None:
    """Raise QueryRefused for an update, a SERVICE call (unless allow_remote) or a FROM outside `graphs`.

    `graphs` are the store's named graph IRIs; without them every FROM clause is refused (whatever
    allow_remote says: Oxigraph reads no data for FROM, so such a query could only come back empty).
    `prefixes` are the predeclared prefixes, to resolve `FROM prefix:name`.
    """
    code = code_only(text)
    found = _keywords(code)
    if found_update := _found(found, code, _UPDATE):
        load = " LOAD would read a file or URL into the store." if any(w == "LOAD" for w, _ in found) else ""
        raise QueryRefused(
            f"SPARQL Update is not allowed, found {found_update}: queries are read-only here.{load} "
            "To change the graph, change the corpus and run `aigraph build` again."
        )
    if not allow_remote and (found_service := _found(found, code, ("SERVICE",))):
        raise QueryRefused(
            f"SERVICE makes network requests to a remote endpoint, found {found_service}; refused by default. "
            "Remove it, or allow it explicitly (`aigraph query --allow-remote`) if you trust the query "
            "and the endpoint."
        )
    for keyword, iri, line in dataset_clauses(text, prefixes):
        if iri is not None and graphs is not None and iri in graphs:
            continue
        target = f"<{iri}>" if iri is not None else "(no IRI)"
        raise QueryRefused(
            f"{keyword} {target} (line {line}) is outside the store: {_outside(graphs)}. The query already "
            "runs over the union of all document graphs; use GRAPH <iri> { } instead to see which document "
            "says what."
        )


def check_dataset(default_graphs: Iterable[str], named_graphs: Iterable[str],
                  graphs: Collection[str] | None) -> None:
    """Raise QueryRefused unless every protocol dataset IRI (default-graph-uri, named-graph-uri) is in `graphs`."""
    for param, iris in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
        for iri in iris:
            if graphs is None or iri not in graphs:
                raise QueryRefused(f"{param} <{iri}> is outside the store: {_outside(graphs)}.")
