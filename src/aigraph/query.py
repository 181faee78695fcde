"""Read-only SPARQL over a built graph: load it, check a query is safe, run it, return typed rows.

Queries run over the union of the documents' named graphs. pyoxigraph 0.5's
`use_default_graph_as_union` evaluates that union as a *bag* (a triple stored in n graphs matches n
times, oxigraph#1919), so `load_store` copies every triple once into the default graph instead: user
queries see set semantics, and `GRAPH ?g { }` still tells which document says what.

`run_query` evaluates in this process and cannot be interrupted (pyoxigraph holds the thread until the
query ends); `aigraph.worker.QueryPool` runs the same function in worker processes with a real timeout.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from aigraph.errors import InputError, QueryError, QuerySyntaxError
from aigraph.named import NamedQuery, Param, bind_params, get_named, named_queries, sparql_string
from aigraph.safety import check_dataset
from aigraph.safety import check_query as _check_query
from aigraph.vocab import PREFIXES, RDF, XSD

__all__ = [
    "PREFIXES", "NamedQuery", "Param", "QueryResult", "Term", "bind_params", "check_query", "graph_names",
    "load_store", "named_queries", "run_named", "run_query", "sparql_string",
]  # fmt: skip

log = logging.getLogger(__name__)

XSD_STRING = XSD + "string"
XSD_BOOLEAN = XSD + "boolean"
RDF_LANG_STRING = RDF + "langString"

_FORMATS: dict[str, ox.RdfFormat] = {
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nt": ox.RdfFormat.N_TRIPLES,
}

Row = tuple[str | None, ...]


class Term(NamedTuple):
    """One RDF term, as the SPARQL results formats describe it."""

    type: str  # "uri", "literal", "bnode" or "triple" (an RDF-star quoted triple)
    value: str  # the IRI, the lexical form, the blank node id (no "_:") or the triple in N-Triples
    datatype: str | None = None  # a literal's datatype IRI; None for xsd:string and language-tagged ones
    lang: str | None = None
    parts: tuple[Term, Term, Term] | None = None  # a triple term's subject, predicate, object

    @property
    def text(self) -> str:
        """The plain string of the term: IRI, lexical form, or `_:id` for a blank node."""
        return f"_:{self.value}" if self.type == "bnode" else self.value

    def to_ox(self) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
        if self.type == "uri":
            return ox.NamedNode(self.value)
        if self.type == "bnode":
            return ox.BlankNode(self.value)
        if self.type == "triple" and self.parts is not None:
            s, p, o = (t.to_ox() for t in self.parts)
            return ox.Triple(s, p, o)  # type: ignore[arg-type]
        if self.lang is not None:
            return ox.Literal(self.value, language=self.lang)
        return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype or XSD_STRING))

    @classmethod
    def of(cls, term: object) -> Term:
        """The Term of a pyoxigraph term."""
        if isinstance(term, ox.NamedNode):
            return cls("uri", term.value)
        if isinstance(term, ox.BlankNode):
            return cls("bnode", term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return cls("literal", term.value, lang=term.language)
            datatype = term.datatype.value
            return cls("literal", term.value, None if datatype == XSD_STRING else datatype)
        if isinstance(term, ox.Triple):
            parts = (cls.of(term.subject), cls.of(term.predicate), cls.of(term.object))
            return cls("triple", str(term), parts=parts)
        raise TypeError(f"not an RDF term: {term!r}")

    @classmethod
    def literal(cls, value: str, datatype: str | None = None) -> Term:
        return cls("literal", value, datatype)


@dataclass(frozen=True)
class QueryResult:
    """A query's answer: SELECT solutions, an ASK boolean (one row, column "ask") or, for CONSTRUCT and
    DESCRIBE, triples (columns subject, predicate, object; sorted). `truncated` says rows were cut at a cap.
    """

    columns: list[str]
    solutions: list[tuple[Term | None, ...]] = field(default_factory=list)
    kind: str = "select"  # "select", "ask" or "graph"
    truncated: bool = False

    @cached_property
    def rows(self) -> list[Row]:
        """The rows as plain strings (`Term.text`); None where a variable is unbound."""
        return [tuple(None if t is None else t.text for t in row) for row in self.solutions]

    @property
    def boolean(self) -> bool | None:
        """An ASK query's answer; None for other queries."""
        return self.solutions[0][0] == Term.literal("true", XSD_BOOLEAN) if self.kind == "ask" else None

    @classmethod
    def from_rows(cls, columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> QueryResult:
        """A SELECT result of plain string literals (None: unbound)."""
        solutions = [tuple(None if v is None else Term.literal(v) for v in row) for row in rows]
        return cls(list(columns), solutions)


# --------------------------------------------------------------------------- loading


def load_store(path: Path) -> ox.Store:
    """Load a .trig/.ttl/.nq/.nt file into an in-memory store. A build folder (or a store folder) opens its
    on-disk store read-only instead (aigraph.store), or loads its graph.trig when it has no store."""
    path = Path(path)
    if path.is_dir():
        from aigraph.store import find_store, open_store

        if find_store(path) is not None:
            return open_store(path)
        if not (path / "graph.trig").is_file():
            raise InputError(f"{path}: no built graph here (no store, no graph.trig); run `aigraph build` first")
        path = path / "graph.trig"
    if not path.exists():
        raise InputError(f"{path}: no such build folder or graph file; run `aigraph build` first to create it")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unsupported graph file type {path.suffix!r}; "
            f"give a {', '.join(_FORMATS)} file (`aigraph build` writes .trig)"
        )
    if not path.is_file():
        raise InputError(f"{path}: not a regular file; give a build folder or a graph file")
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


def graph_names(store: ox.Store) -> set[str]:
    """The IRIs of the store's named graphs (one per document)."""
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


# --------------------------------------------------------------------------- running


def check_query(text: str, allow_remote: bool = False, graphs: set[str] | None = None) -> None:
    """Raise QueryRefused for an update, SERVICE (unless allow_remote) or a FROM naming no graph in `graphs`."""
    _check_query(text, allow_remote=allow_remote, graphs=graphs, prefixes=PREFIXES)


def run_query(store: ox.Store, text: str, allow_remote: bool = False, *, max_rows: int | None = None,
              default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> QueryResult:
    """Check then evaluate a SPARQL query over the union of the store's graphs.

    `max_rows` caps the rows (triples for CONSTRUCT) and sets `truncated` when there were more.
    `default_graphs`/`named_graphs` are the SPARQL protocol's dataset IRIs; each must be a graph of the store.
    """
    graphs = graph_names(store)
    check_query(text, allow_remote=allow_remote, graphs=graphs)
    check_dataset(default_graphs, named_graphs, graphs)
    dataset: dict[str, object] = {}
    if default_graphs:
        dataset["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    if named_graphs:
        dataset["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        return _collect(store.query(text, prefixes=PREFIXES, **dataset), max_rows)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise syntax_error(text, str(exc)) from exc
    except OSError as exc:
        raise QueryError(f"query evaluation failed: {exc}") from exc


_POSITION = re.compile(r"^error at (\d+):(\d+): (.*)$", re.DOTALL)


def syntax_error(text: str, message: str) -> QuerySyntaxError:
    """A QuerySyntaxError from Oxigraph's `error at LINE:COLUMN: ...`, showing the line with a caret."""
    m = _POSITION.match(message)
    if m is None:
        return QuerySyntaxError(f"invalid SPARQL: {message}")
    line, column, what = int(m.group(1)), int(m.group(2)), " ".join(m.group(3).split())
    if len(what) > 160:  # Oxigraph may list every character class it expected
        what = what[:150].rsplit(",", 1)[0] + ", ..."
    lines = text.splitlines() or [""]
    source = lines[min(line, len(lines)) - 1]
    pointer = f"\n  {source}\n  {' ' * min(column - 1, len(source))}^" if len(source) <= 200 else ""
    hint = (f"\nThe prefixes {', '.join(p + ':' for p in PREFIXES)} are predeclared; "
            "`aigraph query --list` shows working examples.")
    return QuerySyntaxError(f"invalid SPARQL at line {line}, column {column}: {what}{pointer}{hint}", line, column)


def _collect(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, max_rows: int | None) -> QueryResult:
    if isinstance(result, ox.QueryBoolean):
        return QueryResult(["ask"], [(Term.literal("true" if bool(result) else "false", XSD_BOOLEAN),)], "ask")
    memo: dict[object, Term] = {}  # one Term per distinct term: faster, and pickles smaller (to a worker's parent)

    def term(t: object) -> Term:
        found = memo.get(t)
        if found is None:
            found = memo[t] = Term.of(t)
        return found

    if isinstance(result, ox.QueryTriples):
        triples = [(term(t.subject), term(t.predicate), term(t.object))
                   for t in islice(result, None if max_rows is None else max_rows + 1)]
        truncated = max_rows is not None and len(triples) > max_rows
        # A graph has no order: sort so CONSTRUCT/DESCRIBE output is deterministic.
        triples = sorted(triples[:max_rows] if truncated else triples, key=_triple_key)
        return QueryResult(["subject", "predicate", "object"], list(triples), "graph", truncated)
    columns = [v.value for v in result.variables]
    variables = list(result.variables)
    solutions: list[tuple[Term | None, ...]] = []
    for solution in result:
        if max_rows is not None and len(solutions) >= max_rows:
            return QueryResult(columns, solutions, "select", truncated=True)
        solutions.append(tuple(None if (t := solution[v]) is None else term(t) for v in variables))
    return QueryResult(columns, solutions)


def _triple_key(triple: tuple[Term, Term, Term]) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((t.type, t.value, t.datatype or "", t.lang or "") for t in triple)


def run_named(store: ox.Store, name: str, params: Mapping[str, str] | None = None, *,
              max_rows: int | None = None) -> QueryResult:
    """Run a packaged query; `params` fill its `# param:` variables (as escaped string literals)."""
    return run_query(store, bind_params(get_named(name), params or {}), max_rows=max_rows)
