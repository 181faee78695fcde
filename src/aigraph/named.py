"""The packaged analyst queries (`aigraph/queries/*.rq`) and how their parameters are bound.

Each file starts with a comment header:

    # title: Evidence and sources for a concept
    # description: One line saying what the rows are.
    # param: concept_label required  Label or key of the concept, case-insensitive
    # param: stage_label optional  Only this stage (label or key); all stages when left out
    # example: --param concept_label=fine-tuning

A parameter is bound by replacing the query's `#{params}` line with a VALUES clause holding the value as
an escaped string literal (an optional parameter left out is UNDEF), so a value can never change the
query's structure: there is no string splicing.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from aigraph.errors import QueryError

_HEADER = re.compile(r"^#[ \t]*(title|description|example):[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_PARAM = re.compile(
    r"^#[ \t]*param:[ \t]*([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]+(required|optional)\b)?[ \t]*(.*?)[ \t]*$", re.MULTILINE
)
_MARKER = re.compile(r"^[ \t]*#\{params\}[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Param:
    name: str
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    example: tuple[tuple[str, str], ...] = ()  # from `# example: --param NAME=VALUE ...`

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


def parse_named_query(name: str, text: str) -> NamedQuery:
    """A NamedQuery from the text of an .rq file with the comment header described above."""
    header: dict[str, str] = {}
    for m in _HEADER.finditer(text):
        header.setdefault(m.group(1), m.group(2))
    params: dict[str, Param] = {}
    for m in _PARAM.finditer(text):
        params.setdefault(m.group(1), Param(m.group(1), m.group(2) != "optional", m.group(3)))
    example: list[tuple[str, str]] = []
    words = shlex.split(header.get("example", ""))
    for flag, binding in zip(words[::2], words[1::2], strict=False):
        key, sep, value = binding.partition("=")
        if flag in ("--param", "-p") and sep:
            example.append((key, value))
    return NamedQuery(name, header.get("title", name), header.get("description", ""), text,
                      tuple(params.values()), tuple(example))


def named_queries() -> dict[str, NamedQuery]:
    """The packaged queries (`aigraph/queries/*.rq`), by name, sorted."""
    return dict(_packaged())


@functools.cache
def _packaged() -> tuple[tuple[str, NamedQuery], ...]:  # read once: the files ship with the package
    found: dict[str, NamedQuery] = {}
    entries = sorted(resources.files("aigraph.queries").iterdir(), key=lambda e: e.name)
    for entry in entries:
        if entry.name.endswith(".rq") and entry.is_file():
            name = entry.name[: -len(".rq")]
            found[name] = parse_named_query(name, entry.read_text(encoding="utf-8"))
    return tuple(found.items())


def get_named(name: str) -> NamedQuery:
    queries = named_queries()
    query = queries.get(name)
    if query is None:
        raise QueryError(f"unknown named query {name!r}; choose one of: {', '.join(queries)}")
    return query


def describe_named() -> str:
    """The named queries as text for `aigraph query --list`: title, description, parameters, an example."""
    lines = []
    for query in named_queries().values():
        lines += [f"{query.name:<24} {query.title}", f"{'':<24}   {query.description}"]
        for p in query.params:
            need = "required" if p.required else "optional"
            lines.append(f"{'':<24}   --param {p.name}=VALUE ({need}) {p.description}")
        if query.example:
            example = " ".join(f"--param {shlex.quote(f'{k}={v}')}" for k, v in query.example)
            lines.append(f"{'':<24}   e.g. aigraph query --name {query.name} {example}")
    return "\n".join(lines) + "\n"


def sparql_string(value: str) -> str:
    """`value` as a SPARQL string literal: escaped, so it can never end the literal early."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def bind_params(query: NamedQuery, params: Mapping[str, str]) -> str:
    """The query text with `#{params}` replaced by a VALUES clause binding every declared param."""
    names = query.param_names
    unknown = sorted(set(params) - set(names))
    if unknown:
        takes = ", ".join(names) if names else "no parameters"
        raise QueryError(f"query {query.name!r} does not take {', '.join(unknown)}; it takes: {takes}")
    missing = [p.name for p in query.params if p.required and p.name not in params]
    if missing:
        how = " ".join(f"--param {p}=VALUE" for p in missing)
        raise QueryError(f"query {query.name!r} needs {', '.join(missing)}: pass {how}")
    if not names:
        return query.text
    variables = " ".join(f"?{p}" for p in names)
    values = " ".join(sparql_string(params[p]) if p in params else "UNDEF" for p in names)
    clause = f"VALUES ({variables}) {{ ({values}) }}"
    text, count = _MARKER.subn(lambda _m: clause, query.text, count=1)
    if count != 1:
        raise QueryError(f"query {query.name!r} declares parameters but has no '#{{params}}' line")
    return text
