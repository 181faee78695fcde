"""Read-only SPARQL over a built graph: load it, check a query is safe, run it, return plain rows.

Queries run over the union of the documents' named graphs. pyoxigraph 0.5's
`use_default_graph_as_union` evaluates that union as a *bag* (a triple stored in n graphs matches n
times, oxigraph#1919), so `load_store` copies every triple once into the default graph instead: user
queries see set semantics, and `GRAPH ?g { }` still tells which document says what.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from aigraph.errors import InputError, QueryError

log = logging.getLogger(__name__)

#: Prefixes every query may use without declaring them (a query's own PREFIX lines win).
PREFIXES: dict[str, str] = {
    "aig": "https://w3id.org/aigraph/ontology#",
    "aigc": "https://w3id.org/aigraph/concept/",
    "aigd": "https://w3id.org/aigraph/doc/",
    "aige": "https://w3id.org/aigraph/evidence/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_FORMATS: dict[str, ox.RdfFormat] = {
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nt": ox.RdfFormat.N_TRIPLES,
}

Row = tuple[str | None, ...]


@dataclass(frozen=True)
class QueryResult:
    """Rows of term values as strings (IRI, literal lexical form, `_:id`); None where unbound."""

    columns: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str
    params: tuple[str, ...] = ()  # declared by `# param: NAME` lines; all required


# --------------------------------------------------------------------------- loading


def load_store(path: Path) -> ox.Store:
    """Load a .trig/.ttl/.nq/.nt file into an in-memory store."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unsupported graph file type {path.suffix!r}; "
            f"give a {', '.join(_FORMATS)} file (`aigraph build` writes .trig)"
        )
    if not path.is_file():
        raise InputError(f"{path}: graph file not found; run `aigraph build` first to create it")
    store = ox.Store()
    try:
        store.load(path=str(path), format=fmt)
    except (SyntaxError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot parse as {fmt.name}: {exc}; the file is damaged or not a graph, "
            "run `aigraph build` again to regenerate it"
        ) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    named = [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store
             if not isinstance(q.graph_name, ox.DefaultGraph)]
    store.extend(named)
    log.debug("loaded %d quads from %s", len(store), path)
    return store


# --------------------------------------------------------------------------- safety

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
    r"(?<![\w?$:@-])(" + "|".join(("SERVICE", "FROM", *_UPDATE)) + r")(?![\w:-])", re.IGNORECASE
)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))  # keep line numbers


def _code_only(text: str) -> str:
    """`text` with comments, string literals and <IRIs> blanked out."""
    return _LEXEMES.sub(_blank, text)


def _found(code: str, keywords: tuple[str, ...]) -> str:
    seen: dict[str, int] = {}
    for m in _KEYWORD.finditer(code):
        word = m.group(1).upper()
        if word in keywords and word not in seen:
            seen[word] = code.count("\n", 0, m.start()) + 1
    return ", ".join(f"{word} (line {line})" for word, line in seen.items())


def check_query(text: str, allow_remote: bool = False) -> None:
    """Raise QueryError for an update, a FROM clause, or (unless allow_remote) a SERVICE call."""
    code = _code_only(text)
    if found := _found(code, _UPDATE):
        raise QueryError(
            f"SPARQL Update is not allowed, found {found}: queries are read-only here. "
            "To change the graph, change the corpus and run `aigraph build` again."
        )
    if found := _found(code, ("FROM",)):
        raise QueryError(
            f"FROM / FROM NAMED dataset clauses are not supported, found {found}: the query already "
            "runs over the union of all document graphs; use GRAPH <iri> { } instead."
        )
    if not allow_remote and (found := _found(code, ("SERVICE",))):
        raise QueryError(
            f"SERVICE makes network requests to a remote endpoint, found {found}; refused by default. "
            "Remove it, or allow it explicitly (--allow-remote) if you trust the query and the endpoint."
        )


# --------------------------------------------------------------------------- running


def _value(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)  # RDF-star triple term


def run_query(store: ox.Store, text: str, allow_remote: bool = False) -> QueryResult:
    """Check then evaluate a SPARQL query over the union of the store's graphs."""
    check_query(text, allow_remote=allow_remote)
    try:
        result = store.query(text, prefixes=PREFIXES)
        return _collect(result)
    except SyntaxError as exc:
        raise QueryError(
            f"invalid SPARQL: {exc.msg}. Check the query near that line:column; the prefixes "
            f"{', '.join(p + ':' for p in PREFIXES)} are predeclared, and `aigraph query --list` "
            "shows working examples."
        ) from exc
    except OSError as exc:
        raise QueryError(f"query evaluation failed: {exc}") from exc


def _collect(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> QueryResult:
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(["ask"], [("true" if bool(result) else "false",)])
    if isinstance(result, ox.QueryTriples):
        # A graph has no order: sort so CONSTRUCT/DESCRIBE output is deterministic.
        triples = sorted((_value(t.subject), _value(t.predicate), _value(t.object)) for t in result)
        return QueryResult(["subject", "predicate", "object"], [tuple(t) for t in triples])
    columns = [v.value for v in result.variables]
    rows = [tuple(_value(solution[c]) for c in columns) for solution in result]
    return QueryResult(columns, rows)


# --------------------------------------------------------------------------- named queries

_DESCRIPTION = re.compile(r"^#\s*description:\s*(.*?)\s*$", re.MULTILINE)
_PARAM = re.compile(r"^#\s*param:\s*([A-Za-z_][A-Za-z0-9_]*)\b", re.MULTILINE)
_MARKER = re.compile(r"^[ \t]*#\{params\}[ \t]*$", re.MULTILINE)


def named_queries() -> dict[str, NamedQuery]:
    """The packaged queries (`aigraph/queries/*.rq`), by name, sorted."""
    found: dict[str, NamedQuery] = {}
    entries = sorted(resources.files("aigraph.queries").iterdir(), key=lambda e: e.name)
    for entry in entries:
        if entry.name.endswith(".rq") and entry.is_file():
            text = entry.read_text(encoding="utf-8")
            name = entry.name[: -len(".rq")]
            desc = _DESCRIPTION.search(text)
            params = tuple(dict.fromkeys(_PARAM.findall(text)))
            found[name] = NamedQuery(name, desc.group(1) if desc else "", text, params)
    return found


def sparql_string(value: str) -> str:
    """`value` as a SPARQL string literal: escaped, so it can never end the literal early."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def bind_params(query: NamedQuery, params: Mapping[str, str]) -> str:
    """The query text with `#{params}` replaced by a VALUES clause binding every declared param."""
    unknown = sorted(set(params) - set(query.params))
    if unknown:
        takes = ", ".join(query.params) if query.params else "no parameters"
        raise QueryError(f"query {query.name!r} does not take {', '.join(unknown)}; it takes: {takes}")
    missing = [p for p in query.params if p not in params]
    if missing:
        how = " ".join(f"--param {p}=VALUE" for p in missing)
        raise QueryError(f"query {query.name!r} needs {', '.join(missing)}: pass {how}")
    if not query.params:
        return query.text
    variables = " ".join(f"?{p}" for p in query.params)
    values = " ".join(sparql_string(params[p]) for p in query.params)
    clause = f"VALUES ({variables}) {{ ({values}) }}"
    text, count = _MARKER.subn(lambda _m: clause, query.text, count=1)
    if count != 1:
        raise QueryError(f"query {query.name!r} declares parameters but has no '#{{params}}' line")
    return text


def run_named(store: ox.Store, name: str, params: Mapping[str, str] | None = None) -> QueryResult:
    """Run a packaged query; `params` fill its `# param:` variables (as escaped string literals)."""
    queries = named_queries()
    query = queries.get(name)
    if query is None:
        raise QueryError(f"unknown named query {name!r}; choose one of: {', '.join(queries)}")
    return run_query(store, bind_params(query, params or {}))
