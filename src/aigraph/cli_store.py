"""The commands that read the built store: `aigraph export` and `aigraph push`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from aigraph.cli_support import guard

_CLASS_CHOICE = click.Choice(["Stage", "Technique", "Risk", "Intervention"], case_sensitive=False)
_STORE_OPTION = click.option(
    "--store", "source", default="build", show_default=True, type=click.Path(path_type=Path),
    help="The built graph: a build folder (its store), a store folder, or a .trig/.ttl/.nt/.nq file.")


@click.command()
@click.option("--format", "fmt", required=True,
              type=click.Choice(["trig", "turtle", "nt", "nq", "jsonld", "graphml", "gexf"]),
              help="trig, nq, jsonld: one named graph per document; turtle, nt: their union; graphml, gexf: the "
                   "concept network for Gephi and Cytoscape (nodes with label and class, edges with predicate, "
                   "confidence and evidence count).")
@click.option("--class", "classes", multiple=True, type=_CLASS_CHOICE,
              help="Only concepts of this class, the relations between them and their evidence (repeatable).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to FILE (replaced atomically) instead of standard output.")
@_STORE_OPTION
@guard
def export(fmt: str, classes: tuple[str, ...], output: Path | None, source: Path) -> None:
    """Export the built graph as RDF or as a network file, from the build's store.

    \b
    Examples:
      aigraph export --format turtle -o graph.ttl
      aigraph export --format jsonld -o graph.jsonld
      aigraph export --format graphml --class Risk --class Intervention -o risks.graphml
      aigraph export --format gexf -o graph.gexf
    """
    from aigraph.export import export as run_export
    from aigraph.fileio import atomic_write_bytes
    from aigraph.query import load_store

    data = run_export(load_store(source), fmt, classes)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    atomic_write_bytes(output, data)
    click.echo(f"wrote {output} ({len(data)} bytes)", err=True)


@click.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="The server's SPARQL 1.1 Graph Store endpoint, e.g. http://localhost:7878/store (Oxigraph) or "
                   "http://localhost:8890/sparql-graph-crud-auth (Virtuoso).")
@click.option("--graph", "graph_iri", default="https://w3id.org/aigraph/graph/corpus", show_default=True,
              metavar="IRI", help="The target graph: replaced whole; no other graph of the server is touched.")
@click.option("--query-endpoint", metavar="URL",
              help="SPARQL query endpoint for the count check. Default: beside --endpoint (/store -> /query, "
                   "/sparql-graph-crud[-auth] -> /sparql[-auth], /data -> /sparql), else --endpoint itself.")
@click.option("--user", envvar="AIGRAPH_PUSH_USER", help="User name (or AIGRAPH_PUSH_USER).")
@click.option("--password", envvar="AIGRAPH_PUSH_PASSWORD",
              help="Password; prefer AIGRAPH_PUSH_PASSWORD (a command line is visible to other users). Asked for "
                   "when --user is given without one. A bearer token is read from AIGRAPH_PUSH_TOKEN.")
@click.option("--batch-size", default=10_000, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Triples per request.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="Fail when the server does not answer a request within SECONDS.")
@click.option("--class", "classes", multiple=True, type=_CLASS_CHOICE,
              help="Only concepts of this class, the relations between them and their evidence (repeatable).")
@_STORE_OPTION
@guard
def push(endpoint: str, graph_iri: str, query_endpoint: str | None, user: str | None, password: str | None,
         batch_size: int, timeout: float, classes: tuple[str, ...], source: Path) -> None:
    """Push the built graph to a SPARQL server (Graph Store Protocol), replacing one graph, and verify it.

    The union of the documents' graphs is sent in batches (the first PUT, the others POST),
    then the server's count of the target graph's triples must equal the local one; any
    other answer (206 Partial Content, 4xx, 5xx, a time-out) exits 1. Credentials are never
    printed or logged.

    \b
    Examples:
      aigraph push --endpoint http://localhost:7878/store
      AIGRAPH_PUSH_PASSWORD=... aigraph push --user dba \\
          --endpoint http://localhost:8890/sparql-graph-crud-auth --graph https://example.org/graph/ai
      AIGRAPH_PUSH_TOKEN=... aigraph push --endpoint https://sparql.example.org/ds/data --batch-size 5000
    """
    from aigraph.push import Credentials
    from aigraph.push import push as run_push
    from aigraph.query import load_store

    if user and password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--user needs a password: set AIGRAPH_PUSH_PASSWORD")
        password = click.prompt("Password", hide_input=True)
    credentials = Credentials(user or None, password, os.environ.get("AIGRAPH_PUSH_TOKEN") or None)
    result = run_push(load_store(source), endpoint, graph_iri, query_endpoint=query_endpoint,
                      credentials=credentials, batch_size=batch_size, timeout=timeout, classes=classes)
    click.echo(f"pushed {result.triples} triples in {result.batches} batches to <{result.graph}> at "
               f"{result.endpoint} in {result.seconds:.1f} s; the server counts {result.remote}")
