"""`aigraph serve` refuses what would change the store or reach outside it, cuts slow queries, limits requests.

Real server subprocesses, real sockets: "no outbound connection" is checked with a listening socket that the
refused query names, next to a control showing that the same query, allowed in-process, does connect.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from aigraph.errors import QueryError
from aigraph.query import load_store, run_query
from server_process import Server, running_server

DATA = Path(__file__).resolve().parent / "data" / "small.trig"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
TIMEOUT = 1.5
ORIGIN = "https://yasgui.example.org"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server(DATA, "--timeout", str(TIMEOUT), "--max-request-bytes", "2048") as running:
        yield running
    assert running.process.returncode == 0, "".join(running.stderr)


@pytest.fixture(scope="module")
def cors_server() -> Iterator[Server]:
    with running_server(DATA, "--cors", ORIGIN, "--max-rows", "5") as running:
        yield running


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP socket listening on a free port of 127.0.0.1: what a SERVICE call would connect to."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.5)
        yield sock


def connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


# --------------------------------------------------------------------------- SERVICE, LOAD, updates, FROM


def test_the_listener_does_see_a_service_call_when_one_is_allowed(listener: socket.socket) -> None:
    """Control for the next test: Oxigraph really connects to a SERVICE endpoint when nothing stops it."""
    port = listener.getsockname()[1]
    failure: list[str] = []

    def call() -> None:
        try:
            run_query(load_store(DATA), f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
                      allow_remote=True)
        except QueryError as exc:  # the listener closes the connection without answering
            failure.append(str(exc))  # not the exception: its frames hold pyoxigraph objects of this thread

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    listener.settimeout(10)
    assert connected(listener)
    thread.join(10)
    assert failure


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE<http://127.0.0.1:{port}/>{{ ?s ?p ?o }} }}",
])  # fmt: skip
def test_service_is_refused_and_nothing_connects(server: Server, listener: socket.socket, template: str) -> None:
    query = template.format(port=listener.getsockname()[1])
    for reply in (server.get(query), server.post_form({"query": query}),
                  server.request("/sparql", method="POST", data=query.encode(),
                                 headers={"Content-Type": "application/sparql-query"})):
        assert reply.status == 403
        assert reply.text.startswith("Error: SERVICE makes network requests") and "refused" in reply.text
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    with pytest.raises(urllib.error.HTTPError) as info:
        client.query()
    assert info.value.code == 403
    assert not connected(listener)


def test_load_is_refused_before_evaluation_and_reads_no_file(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_text('<http://example.org/secret> <http://example.org/says> "TOPSECRET-4711" .\n', encoding="utf-8")
    load = f"LOAD <file://{secret}>"
    replies = [
        server.get(load),
        server.post_form({"query": load}),
        server.post_form({"update": load}),
        server.request("/sparql", method="POST", data=load.encode(),
                       headers={"Content-Type": "application/sparql-update"}),
        server.request(f"/sparql?update={quote(load)}"),
        server.get(f"LOAD <file://{secret}> INTO GRAPH <http://example.org/g>"),
    ]
    for reply in replies:
        assert reply.status == 403
        assert "read-only" in reply.text and "TOPSECRET" not in reply.text
    # refused by the lexical check, which names what it found: the query never reached Oxigraph
    assert "found LOAD (line 1)" in replies[0].text and "LOAD would read a file or URL" in replies[0].text
    ask = server.get("ASK { <http://example.org/secret> ?p ?o }", "application/sparql-results+json")
    assert ask.status == 200 and ask.text.startswith('{"head": {}, "boolean": false}')
    assert "TOPSECRET" not in server.get("SELECT ?o WHERE { ?s ?p ?o }", "text/csv").text


@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
    "CLEAR DEFAULT",
])  # fmt: skip
def test_updates_are_forbidden(server: Server, update: str) -> None:
    before = server.get("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv").text
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(update)  # SPARQLWrapper sends an update as a POSTed `update=` form
    client.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as info:
        client.query()
    assert info.value.code == 403 and b"read-only" in info.value.read()
    reply = server.get(update)
    assert reply.status == 403 and "SPARQL Update is not allowed" in reply.text
    assert server.get("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv").text == before


def test_from_outside_the_store_is_refused_inside_it_allowed(server: Server) -> None:
    files = "SELECT ?f {} WHERE {{ ?d aig:fileName ?f }} ORDER BY ?f"
    outside = server.get(files.format("FROM <file:///etc/passwd>").replace("{{", "{").replace("}}", "}"))
    assert outside.status == 403 and "FROM <file:///etc/passwd> (line 1) is outside the store" in outside.text
    named = server.get("SELECT * FROM NAMED <http://127.0.0.1:9/> WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert named.status == 403
    inside = files.format("FROM <https://w3id.org/aigraph/graph/doc-two>").replace("{{", "{").replace("}}", "}")
    assert server.get(inside, "text/csv").text == "f\r\n001_beta.txt\r\n"
    plain = files.format("").replace("{{", "{").replace("}}", "}")
    assert server.get(plain, "text/csv", default_graph_uri="https://w3id.org/aigraph/graph/doc-one").text == (
        "f\r\n000_alpha.txt\r\n")
    refused = server.get(plain, default_graph_uri="file:///etc/passwd")
    assert refused.status == 403 and "default-graph-uri <file:///etc/passwd> is outside the store" in refused.text


# --------------------------------------------------------------------------- timeout and limits


def test_a_slow_query_is_cut_at_the_timeout_and_the_server_keeps_answering(server: Server) -> None:
    outcome: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        reply = server.post_form({"query": SLOW})
        outcome["elapsed"], outcome["reply"] = time.monotonic() - started, reply

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)  # the slow query is running in one worker ...
    for _ in range(3):  # ... while the other answers
        started = time.monotonic()
        assert server.get("ASK { ?s aig:mitigatedBy ?o }").status == 200
        assert time.monotonic() - started < 1.0
    thread.join(TIMEOUT + 10)
    reply, elapsed = outcome["reply"], outcome["elapsed"]
    assert isinstance(reply, type(server.get("ASK {}"))) and isinstance(elapsed, float)
    assert reply.status == 503 and f"ran past the {TIMEOUT:g} s time limit and was stopped" in reply.text
    assert TIMEOUT <= elapsed < TIMEOUT + 1.0, elapsed
    for _ in range(4):  # the next requests succeed (the killed worker is being replaced meanwhile)
        assert server.get("SELECT ?l WHERE { aigc:bias rdfs:label ?l }", "text/csv").text == "l\r\nbias\r\n"


def test_request_size_limits(server: Server) -> None:
    padding = "#" + "x" * 3000 + "\nASK {}"
    reply = server.request("/sparql", method="POST", data=padding.encode(),
                           headers={"Content-Type": "application/sparql-query"})
    assert reply.status == 413 and "2048-byte limit" in reply.text
    assert server.post_form({"query": padding}).status == 413
    reply = server.get(padding)
    assert reply.status == 414 and "POST the query instead" in reply.text
    assert server.get("#" + "x" * 1500 + "\nASK {}").status == 200  # under the limit


def test_host_header_must_name_the_loopback(server: Server) -> None:
    assert server.request("/sparql?query=ASK%7B%7D", headers={"Host": "localhost"}).status == 200
    assert server.request("/sparql?query=ASK%7B%7D", headers={"Host": "attacker.example"}).status == 400


# --------------------------------------------------------------------------- CORS


def test_no_cors_headers_by_default(server: Server) -> None:
    reply = server.request("/sparql?query=ASK%7B%7D", headers={"Origin": ORIGIN})
    assert reply.status == 200 and "access-control-allow-origin" not in reply.headers
    preflight = server.request("/sparql", method="OPTIONS", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_the_given_origin_only(cors_server: Server) -> None:
    reply = cors_server.request("/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D", headers={"Origin": ORIGIN})
    assert reply.status == 200 and reply.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Aigraph-Truncated" in reply.headers["access-control-expose-headers"]
    assert reply.headers["x-aigraph-truncated"] == "true"  # --max-rows 5
    preflight = cors_server.request("/sparql", method="OPTIONS", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 200 and preflight.headers["access-control-allow-origin"] == ORIGIN
    other = cors_server.request("/sparql?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    assert cors_server.request("/").status == 200  # no graph.html beside small.trig: redirected to /query
