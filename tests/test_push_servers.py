"""`aigraph push` to real SPARQL servers on 127.0.0.1: the Oxigraph server and Virtuoso (tests/sparql_servers.py
starts them; scripts/sparql-servers installs them). Where a server is not installed the tests skip saying so,
except in CI (CI=true), which installs both: there a missing server fails."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

import sparql_servers
from aigraph.cli import main
from aigraph.push import Credentials, push
from aigraph.query import load_store
from aigraph.store import write_store
from store_data import store_from_trig, synthetic_graph, write_files

DATA = Path(__file__).resolve().parent / "data" / "small.trig"
TARGET = "https://example.org/aigraph/test"
OTHER = "https://example.org/other"


def _server(name: str) -> Iterator[sparql_servers.Server]:
    installed = sparql_servers.oxigraph_command() if name == "oxigraph" else sparql_servers.virtuoso_command()
    if installed is None:
        reason = (f"{name} is not installed (oxigraph: pip install -e '.[test]'; Virtuoso: bash "
                  "scripts/sparql-servers installs Debian's virtuoso-opensource)")
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the push tests: {reason}")
        pytest.skip(reason)
    with sparql_servers.running(name) as server:
        yield server


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[sparql_servers.Server]:
    yield from _server("oxigraph")


@pytest.fixture(scope="module")
def virtuoso() -> Iterator[sparql_servers.Server]:
    yield from _server("virtuoso")


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest) -> sparql_servers.Server:
    found: sparql_servers.Server = request.getfixturevalue(request.param)
    return found


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_from_trig(DATA, tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("larger")
    write_files(synthetic_graph(40, 30), out)
    write_store(out, out / "graph.nq", out / "graph.nt")
    return out


def local_triples(build: Path) -> set[ox.Triple]:
    return {q.triple for q in load_store(build).quads_for_pattern(None, None, None, ox.DefaultGraph())}


def remote_triples(server: sparql_servers.Server, graph: str) -> set[ox.Triple]:
    """The graph as the server's Graph Store endpoint returns it (plain urllib, not aigraph's code)."""
    handlers = []
    if server.user:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, server.store, server.user, server.password or "")
        handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
    url = f"{server.store}?{urllib.parse.urlencode({'graph': graph})}"
    request = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    with urllib.request.build_opener(*handlers).open(request, timeout=30) as answer:
        return {q.triple for q in ox.parse(answer.read(), format=ox.RdfFormat.N_TRIPLES)}


def remote_count(server: sparql_servers.Server, graph: str) -> int:
    """Count with a plain SPARQL request, not with aigraph's code."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    request = urllib.request.Request(f"{server.query}?{urllib.parse.urlencode({'query': query})}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(json.load(answer)["results"]["bindings"][0]["n"]["value"])


def cli_push(server: sparql_servers.Server, build: Path, *args: str) -> tuple[int, str]:
    env = {"AIGRAPH_PUSH_PASSWORD": server.password} if server.password else {}
    user = ["--user", server.user] if server.user else []
    result = CliRunner().invoke(main, ["push", "--store", str(build), "--endpoint", server.store, *user, *args],
                                env=env)
    return result.exit_code, result.output + result.stderr


def test_push_in_batches_and_the_counts_agree(server: sparql_servers.Server, larger: Path) -> None:
    local = len(local_triples(larger))
    assert local > 20_000
    code, out = cli_push(server, larger, "--graph", TARGET, "--batch-size", "5000")
    assert code == 0, out
    assert f"pushed {local} triples in {-(-local // 5000)} batches" in out
    assert remote_count(server, TARGET) == local


def test_push_replaces_only_the_target_graph(server: sparql_servers.Server, small: Path, larger: Path) -> None:
    creds = Credentials(server.user, server.password)
    other = push(load_store(small), server.store, OTHER, credentials=creds)  # a graph someone else owns
    push(load_store(larger), server.store, TARGET, credentials=creds, batch_size=7000)
    result = push(load_store(small), server.store, TARGET, credentials=creds)
    assert result.remote == result.triples == len(local_triples(small))
    assert remote_count(server, TARGET) == result.triples  # replaced, not added to
    assert remote_count(server, OTHER) == other.triples  # untouched


def test_pushed_triples_are_the_local_ones(server: sparql_servers.Server, larger: Path) -> None:
    push(load_store(larger), server.store, TARGET, credentials=Credentials(server.user, server.password))
    assert remote_triples(server, TARGET) == local_triples(larger)  # non-ASCII text included


def test_class_filter_pushes_a_subgraph(server: sparql_servers.Server, small: Path) -> None:
    code, out = cli_push(server, small, "--graph", TARGET, "--class", "Risk", "--class", "Intervention")
    assert code == 0, out
    remote = remote_count(server, TARGET)
    assert 0 < remote < len(local_triples(small))


def test_virtuoso_without_credentials_is_refused(virtuoso: sparql_servers.Server, small: Path) -> None:
    server = virtuoso
    result = CliRunner().invoke(main, ["push", "--store", str(small), "--endpoint", server.store])
    assert result.exit_code == 1
    assert f"Error: {server.store}: HTTP 401" in result.stderr and "AIGRAPH_PUSH_PASSWORD" in result.stderr
    result = CliRunner().invoke(main, ["push", "--store", str(small), "--endpoint", server.store, "--user", "dba"],
                                env={"AIGRAPH_PUSH_PASSWORD": "wrong-password-123"})
    assert result.exit_code == 1
    assert "HTTP 401" in result.stderr and "refused the credentials" in result.stderr
    assert "wrong-password-123" not in result.output + result.stderr
