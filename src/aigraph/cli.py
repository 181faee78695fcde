"""Command line: parses options, calls the library, formats output.

Exit codes: 0 ok, 1 failed, 2 usage error, 3 built with skipped files, 130 interrupted. No command prints a
Python traceback for bad input: aigraph's errors print `Error: ...`, anything unexpected prints a one-line
internal error (the traceback only with -v).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from aigraph import __version__
from aigraph.cli_store import export, push
from aigraph.cli_support import guard


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
@click.option("--max-bytes", default=10 * 1024 * 1024, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Skip files larger than N bytes (listed in report.json with their size).")
@click.option("--full", is_flag=True,
              help="Extract every document again instead of reusing the extraction of unchanged ones.")
@guard
def build(corpus: Path, out_dir: Path, max_bytes: int, full: bool) -> None:
    """Build the knowledge graph of a CORPUS folder of .txt/.md files (default: corpus/).

    Files that cannot be used (binary, empty, too large, FIFOs and devices, symlinks out of the
    folder, ...) are skipped: each is named with the reason on stderr and in report.json, and the
    build exits 3. A second build into the same --out folder fails at once while one runs.
    A rebuild extracts only added and changed documents (all of them when the ontology, lexicon
    or extractor changed, or with --full); `aigraph query` reads the store it keeps in --out.

    \b
    Example:
      aigraph build corpus/ --out build/
      aigraph build ~/reports --out out/ --max-bytes 50000000
      aigraph build corpus/ --full
    """
    from aigraph.build import build as run_build
    from aigraph.intake import printable
    from aigraph.model import Document

    bar: Any = None

    def start(documents: list[Document]) -> None:
        nonlocal bar
        bar = click.progressbar(length=len(documents), label="Extracting", file=sys.stderr,
                                item_show_func=lambda name: printable(name) if name else name)
        bar.__enter__()

    def step(document: Document) -> None:
        bar.update(1, document.name)

    try:
        result = run_build(corpus, out_dir, max_bytes=max_bytes, full=full, on_documents=start, on_document=step)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    report = result.report
    counts = report["counts"]
    classes = ", ".join(f"{n} {c}" for c, n in counts["classes"].items())
    preds = ", ".join(f"{n} {p}" for p, n in counts["predicates"].items())
    click.echo(f"{len(report['documents'])} documents -> {counts['concepts']} concepts ({classes}); "
               f"{counts['relations']} relations ({preds}); {counts['evidence']} evidence records")
    for path in result.files:
        click.echo(f"  wrote {path}")
    for item in report["warnings"]:
        click.echo(f"Warning: {printable(item['file'])}: {item['message']}", err=True)
    for item in report["skipped"]:
        click.echo(f"Skipped {printable(item['file'])}: {item['reason']}", err=True)
    for item in report["changed"]:
        click.echo(f"Changed {printable(item['file'])}: {item['message']}", err=True)
    if result.incomplete:
        parts = [f"{len(report[k])} {what}" for k, what in (("skipped", "skipped"), ("changed", "changed during "
                 "the build")) if report[k]]
        click.echo(f"Built with files left out or out of date ({', '.join(parts)}); each is listed above and in "
                   f"{Path(out_dir) / 'report.json'}", err=True)
        sys.exit(3)


@main.command()
@click.argument("query_text", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"),
              help="Read the SPARQL query from a file ('-' for stdin).")
@click.option("-n", "--name", help="Run a named query (see --list).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Parameter of a named query, e.g. --param concept_label=sycophancy (bound, never spliced).")
@click.option("-l", "--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option("-g", "--graph", "graph_path", default="build", show_default=True, type=click.Path(path_type=Path),
              help="Built graph to query: a build folder (its store) or a .trig, .ttl, .nt, .nq file.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "md", "xml"]), default="table",
              show_default=True,
              help="Output format of SELECT/ASK results; json, xml, csv and tsv are the W3C SPARQL results "
                   "formats. CONSTRUCT/DESCRIBE results are always Turtle.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Print at most N rows; a note on stderr (and in the table footer) says when there were more.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop the query after SECONDS (it runs in a worker process that is killed). Default: no limit.")
@click.option("--allow-remote", is_flag=True,
              help="Allow SERVICE, which makes network requests. Off by default. Updates (LOAD, INSERT, ...) "
                   "and FROM outside the store are always refused.")
@guard
def query(query_text: str | None, query_file: Any, name: str | None, params: tuple[str, ...],
          list_queries: bool, graph_path: Path, fmt: str, limit: int | None, timeout: float | None,
          allow_remote: bool) -> None:
    """Run a SPARQL query over the built graph (the union of all documents' graphs).

    A syntax error is reported with its line and column and exits 2; a refused query
    (update, SERVICE, FROM outside the store) or one past --timeout exits 1.

    \b
    Examples:
      aigraph query --list
      aigraph query --name chains --format csv
      aigraph query --name evidence --param concept_label=sycophancy --format json
      aigraph query --name stage-risk-matrix --format md --limit 20
      aigraph query -f my-query.rq --timeout 10
      aigraph query 'SELECT ?r ?label WHERE { ?r a aig:Risk ; rdfs:label ?label } ORDER BY ?label'
    """
    from aigraph.named import bind_params, describe_named, get_named
    from aigraph.output import format_result, truncation_note
    from aigraph.worker import QueryPool

    if list_queries:
        click.echo(describe_named(), nl=False)
        return
    sources = [s for s in (query_text, query_file, name) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of QUERY, -f FILE or --name NAME")
    bindings = dict(_parse_param(p) for p in params)
    if bindings and not name:
        raise click.UsageError("--param binds a named query's parameters; use it with --name")
    if name:
        text = bind_params(get_named(name), bindings)
    else:
        text = query_text if query_text is not None else query_file.read()
    with QueryPool(graph_path, workers=1, timeout=timeout, max_rows=limit) as pool:
        result = pool.run(text, allow_remote=allow_remote)
    click.echo(format_result(result, "turtle" if result.kind == "graph" else fmt), nl=False)
    if result.truncated:
        click.echo(f"Note: {truncation_note(result)} (--limit {limit})", err=True)


def _parse_param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.UsageError(f"--param must look like NAME=VALUE, got {text!r}")
    return key.strip(), value


@main.command()
@click.option("-g", "--graph", "graph_path", default="build", show_default=True, type=click.Path(path_type=Path),
              help="Built graph to serve: a build folder (its store) or a .trig, .ttl, .nt, .nq file.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback exposes the endpoint to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port; the URL printed says which).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="Stop a query after SECONDS and answer 503.")
@click.option("--max-rows", default=10000, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Return at most N rows (triples) per query; a cut result says so (X-Aigraph-Truncated).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes, each with its own copy of the graph: queries answered at once.")
@click.option("--max-request-bytes", default=64 * 1024, show_default=True, type=click.IntRange(min=1024),
              metavar="N", help="Largest request body or query string accepted (413/414 beyond).")
@click.option("--cors", "cors_origin", metavar="ORIGIN",
              help="Let pages from ORIGIN (e.g. https://yasgui.example.org, or '*') query the endpoint. "
                   "Default: no CORS headers.")
@guard
def serve(graph_path: Path, host: str, port: int, timeout: float, max_rows: int, workers: int,
          max_request_bytes: int, cors_origin: str | None) -> None:
    """Serve the built graph as a read-only SPARQL 1.1 endpoint, with a query page and the HTML view.

    \b
    /sparql   SPARQL 1.1 Protocol: GET ?query=, POST form or application/sparql-query;
              JSON, XML, CSV, TSV results; Turtle, N-Triples, RDF/XML graphs
    /query    a plain query page;  /queries  the named queries (JSON);  /  graph.html
    Updates are refused (403), as are SERVICE and FROM outside the store.

    \b
    Examples:
      aigraph serve
      aigraph serve --graph out/ --port 8080 --timeout 30 --max-rows 50000
      aigraph serve --cors https://yasgui.example.org
    """
    from aigraph.server import Settings, allowed_hosts, create_app, html_view_for, listen
    from aigraph.server import serve as run_server
    from aigraph.worker import QueryPool

    with QueryPool(graph_path, workers=workers, timeout=timeout, max_rows=max_rows) as pool:
        sock = listen(host, port)
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        settings = Settings(max_request_bytes=max_request_bytes, html_view=html_view_for(graph_path),
                            cors_origin=cors_origin, allowed_hosts=allowed_hosts(host))
        if allowed_hosts(host) is None and host not in ("::1",):
            click.echo(f"Warning: listening on {host} exposes the endpoint beyond this machine", err=True)
        click.echo(f"Serving {graph_path} at http://{shown}:{bound}/ (SPARQL endpoint http://{shown}:{bound}/sparql, "
                   f"query page /query); Ctrl-C stops")
        run_server(create_app(pool, settings), sock, max_request_bytes)


@main.command()
@click.argument("graph_path", default=str(Path("build") / "graph.ttl"), type=click.Path(path_type=Path))
@guard
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


@main.command("eval")
@click.argument("corpus", required=False, type=click.Path(path_type=Path))
@click.option("--gold", "gold_path", required=True, type=click.Path(path_type=Path),
              help="Gold annotations, JSON Lines: one document per line with entities and relations.")
@click.option("-g", "--graph", "graph_path", type=click.Path(path_type=Path),
              help="Score a built graph.trig instead of extracting CORPUS.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format; json holds every score and every missed and spurious item.")
@click.option("--explain", is_flag=True, help="List each missed and spurious entity and relation, with why.")
@click.option("--min-entity-f1", type=click.FloatRange(0, 1), metavar="X",
              help="Exit 1 when the overall micro entity F1 is below X (a CI ratchet).")
@click.option("--min-relation-f1", type=click.FloatRange(0, 1), metavar="X",
              help="Exit 1 when the overall micro relation F1 is below X.")
@guard
def eval_(corpus: Path | None, gold_path: Path, graph_path: Path | None, fmt: str, explain: bool,
          min_entity_f1: float | None, min_relation_f1: float | None) -> None:
    """Score extraction against gold annotations: entity and relation precision, recall and F1.

    Extracts CORPUS in memory (default: corpus/; nothing is written), or reads a built graph with
    --graph, and compares each gold document with what was found in it. Exits 0 whatever the scores,
    unless a --min-* floor is not met.

    \b
    Examples:
      aigraph eval --gold tests/seeds.jsonl
      aigraph eval --gold tests/seeds.jsonl corpus/ --explain
      aigraph eval --gold tests/seeds.jsonl --graph build/graph.trig --format json
      aigraph eval --gold tests/seeds.jsonl --min-entity-f1 0.6 --min-relation-f1 0.4
    """
    from aigraph.evaluate import (
        below_floors,
        evaluate,
        format_eval,
        load_gold,
        predictions_from_corpus,
        predictions_from_graph,
    )

    if corpus is not None and graph_path is not None:
        raise click.UsageError("give a CORPUS to extract or --graph to read a built graph, not both")
    gold = load_gold(gold_path)
    predicted = predictions_from_graph(graph_path) if graph_path else predictions_from_corpus(corpus or "corpus")
    report = evaluate(gold, predicted)
    click.echo(format_eval(report, fmt, explain=explain), nl=False)
    failed = below_floors(report, min_entity_f1, min_relation_f1)
    for message in failed:
        click.echo(f"Error: {message}", err=True)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("corpus", default="corpus", type=click.Path(path_type=Path))
@click.option("--min-count", default=1, show_default=True, type=click.IntRange(min=1),
              help="Only terms seen at least this many times.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@guard
def terms(corpus: Path, min_count: int, fmt: str) -> None:
    """List candidate concepts of a CORPUS that the lexicon lacks, to grow ontology/lexicon.ttl.

    Noun phrases whose head noun suggests a class ("... attack" -> Risk, "... monitoring" ->
    Intervention) but that match no lexicon entry, with counts, the class guess and an example.

    \b
    Example:
      aigraph terms corpus/ --min-count 2 --format csv
    """
    from aigraph import terms as candidate_terms
    from aigraph.corpus import read_corpus
    from aigraph.extract import extract
    from aigraph.output import format_result
    from aigraph.query import QueryResult, Term

    found = candidate_terms.merge(extract(read_corpus(corpus)))
    rows = [tuple(Term("literal", v) for v in (c.term, str(c.count), c.guess, c.doc, c.example))
            for c in found if c.count >= min_count]
    result = QueryResult(columns=["term", "count", "class_guess", "file", "example"], solutions=list(rows))
    click.echo(format_result(result, fmt), nl=False)


@main.command()
@click.argument("target", default="build", type=click.Path(path_type=Path))
@click.option("--print-path", is_flag=True, help="Only print where the HTML view is; do not open it.")
@guard
def view(target: Path, print_path: bool) -> None:
    """Open the interactive graph view of a build in a web browser.

    TARGET is a build folder (default: build/, whose graph.html is opened) or the HTML file itself.
    The page is one self-contained file: it needs no server and no network.

    \b
    Examples:
      aigraph view
      aigraph view out/ --print-path
    """
    from aigraph.view import find_view, open_view

    page = find_view(target)
    if print_path:
        click.echo(str(page))
        return
    open_view(page)
    click.echo(f"opened {page}")


main.add_command(export)
main.add_command(push)


if __name__ == "__main__":  # pragma: no cover
    main()
