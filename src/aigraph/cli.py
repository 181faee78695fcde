"""Command line: parses options, calls the library, formats output. Exit codes: 0 ok, 1 failed, 2 usage."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from aigraph import __version__
from aigraph.errors import AigraphError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_GRAPH = Path("build") / "graph.trig"


def _fail(exc: AigraphError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


def _guard(func: F) -> F:
    """Turn aigraph's errors into `Error: ...` and exit code 1 (click keeps 2 for usage errors)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AigraphError as exc:
            _fail(exc)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigraph")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """aigraph: turn AI-governance documents into a typed, evidenced knowledge graph.

    \b
    Example:
      aigraph build corpus/ --out build/
      aigraph query --name chains
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("corpus", default="corpus", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default="build", show_default=True, type=click.Path(path_type=Path),
              help="Output folder for graph.trig, graph.ttl, graph.html and report.json.")
@_guard
def build(corpus: Path, out_dir: Path) -> None:
    """Build the knowledge graph of a CORPUS folder of .txt/.md files (default: corpus/).

    \b
    Example:
      aigraph build corpus/ --out build/
    """
    from aigraph.build import build as run_build
    from aigraph.model import Document

    bar: Any = None

    def start(documents: list[Document]) -> None:
        nonlocal bar
        bar = click.progressbar(length=len(documents), label="Extracting", file=sys.stderr,
                                item_show_func=lambda name: name)
        bar.__enter__()

    def step(document: Document) -> None:
        bar.update(1, document.name)

    try:
        result = run_build(corpus, out_dir, on_documents=start, on_document=step)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    counts = result.report["counts"]
    classes = ", ".join(f"{n} {c}" for c, n in counts["classes"].items())
    preds = ", ".join(f"{n} {p}" for p, n in counts["predicates"].items())
    click.echo(f"{len(result.report['documents'])} documents -> {counts['concepts']} concepts ({classes}); "
               f"{counts['relations']} relations ({preds}); {counts['evidence']} evidence records")
    for path in result.files:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("query_text", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the SPARQL query from a file ('-' for stdin).")
@click.option("-n", "--name", help="Run a named query (see --list).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Parameter of a named query, e.g. --param concept_label=sycophancy.")
@click.option("-l", "--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option("-g", "--graph", "graph_path", default=str(DEFAULT_GRAPH), show_default=True,
              type=click.Path(path_type=Path), help="Built graph to query (.trig, .ttl, .nt, .nq).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--allow-remote", is_flag=True,
              help="Allow SERVICE/LOAD/FROM, which make network or file requests. Off by default.")
@_guard
def query(query_text: str | None, query_file: Any, name: str | None, params: tuple[str, ...],
          list_queries: bool, graph_path: Path, fmt: str, allow_remote: bool) -> None:
    """Run a SPARQL query over the built graph (the union of all documents' graphs).

    \b
    Examples:
      aigraph query --list
      aigraph query --name chains --format csv
      aigraph query --name evidence --param concept_label=sycophancy
      aigraph query 'SELECT ?r ?label WHERE { ?r a aig:Risk ; rdfs:label ?label } ORDER BY ?label'
    """
    from aigraph.output import format_result
    from aigraph.query import load_store, named_queries, run_named, run_query

    if list_queries:
        for nq in named_queries().values():
            click.echo(f"{nq.name:<20} {nq.description}")
        return
    sources = [s for s in (query_text, query_file, name) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of QUERY, -f FILE or --name NAME")
    bindings = dict(_parse_param(p) for p in params)
    store = load_store(graph_path)
    if name:
        result = run_named(store, name, bindings)
    else:
        text = query_text if query_text is not None else query_file.read()
        result = run_query(store, text, allow_remote=allow_remote)
    click.echo(format_result(result, fmt), nl=False)


def _parse_param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.UsageError(f"--param must look like NAME=VALUE, got {text!r}")
    return key.strip(), value


@main.command()
@click.argument("graph_path", default=str(Path("build") / "graph.ttl"), type=click.Path(path_type=Path))
@_guard
def validate(graph_path: Path) -> None:
    """Check a built graph against the SHACL shapes of ontology/shapes.ttl.

    \b
    Example:
      aigraph validate build/graph.ttl
    """
    from aigraph.validate import validate_file

    conforms, text = validate_file(graph_path)
    if conforms:
        click.echo(f"{graph_path}: conforms to the aigraph shapes")
        return
    click.echo(text, err=True)
    sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
