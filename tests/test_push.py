"""`aigraph push` against a misbehaving server: a small standard-library HTTP server in this process, a test
double of a Graph Store endpoint that answers 206, 500, slowly, with a wrong count or a redirect. Every
failure must exit 1 naming the endpoint, and no credential may appear in the output or the logs.
(The real servers, Oxigraph and Virtuoso, are in test_push_servers.py.)"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from aigraph.cli import main
from aigraph.push import Credentials, query_endpoint_for, shown, split_userinfo
from aigraph.query import load_store
from aigraph.store import write_store
from store_data import store_from_trig, synthetic_graph, write_files

DATA = Path(__file__).resolve().parent / "data" / "small.trig"
PASSWORD = "pw-Zq9-very-secret"
TOKEN = "tok-8Hx-very-secret"


class Double:
    """What the fake server does (`mode`) and what it received."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[dict[str, Any]] = []
        self.graphs: dict[str, list[bytes]] = {}
        self.url = ""


def _handler(double: Double) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _write(self) -> None:
            if double.mode == "login-first" and self.headers.get("Authorization") is None:
                self.close_connection = True  # answer before reading the body, as Virtuoso does
                return self._answer(401, b"login", {"WWW-Authenticate": 'Basic realm="sparql"', "Connection": "close"})
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            mode, auth = double.mode, self.headers.get("Authorization")
            double.requests.append({"method": self.command, "path": self.path, "body": body,
                                    "type": self.headers.get("Content-Type"), "auth": auth})
            if mode == "basic-500" and auth is None:
                return self._answer(401, b"login", {"WWW-Authenticate": 'Basic realm="sparql"'})
            if mode in ("500", "basic-500", "token-500"):
                return self._answer(500, f"<html><b>Internal error</b> while handling {auth}</html>".encode())
            if mode == "206":
                return self._answer(206, b"stored part of it")
            if mode == "slow":
                time.sleep(2)
            if mode == "redirect":
                return self._answer(307, b"", {"Location": f"{double.url}/elsewhere"})
            if mode == "second-fails" and self.command == "POST":
                return self._answer(503, b"busy")
            lines = [line for line in body.splitlines() if line.strip()]
            graph = params.get("graph", "")
            double.graphs[graph] = lines if self.command == "PUT" else double.graphs.get(graph, []) + lines
            return self._answer(204)

        do_PUT = do_POST = _write

        def do_GET(self) -> None:
            double.requests.append({"method": "GET", "path": self.path, "auth": self.headers.get("Authorization")})
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)).get("query", "")
            graph = query.split("GRAPH <", 1)[1].split(">", 1)[0] if "GRAPH <" in query else ""
            count = len(set(double.graphs.get(graph, []))) - (1 if double.mode == "miscount" else 0)
            answer = {"head": {"vars": ["n"]}, "results": {"bindings": [
                {"n": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                       "value": str(count)}}]}}
            self._answer(200, json.dumps(answer).encode(), {"Content-Type": "application/sparql-results+json"})

    return Handler


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Double]:
    double = Double(getattr(request, "param", "ok"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    double.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return store_from_trig(DATA, tmp_path_factory.mktemp("small"))


def push(built: Path, endpoint: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-vv", "push", "--store", str(built), "--endpoint", endpoint, *args],
                                env=env or {})
    return result.exit_code, result.output + result.stderr


def test_push_sends_put_then_posts_and_verifies_the_count(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store", "--batch-size", "40", "--graph", "https://example.org/g")
    local = len(list(load_store(built).quads_for_pattern(None, None, None, ox.DefaultGraph())))
    assert code == 0, out
    methods = [r["method"] for r in server.requests]
    batches = -(-local // 40)
    assert methods == ["PUT"] + ["POST"] * (batches - 1) + ["GET"]
    writes = server.requests[:-1]
    assert all(r["type"] == "application/n-triples" for r in writes)
    assert all(len(r["body"].splitlines()) <= 40 for r in writes)
    assert all("graph=https%3A%2F%2Fexample.org%2Fg" in r["path"] for r in writes)
    assert server.requests[-1]["path"].startswith("/query?")  # the query endpoint beside /store
    assert len(set(server.graphs["https://example.org/g"])) == local
    assert f"pushed {local} triples in {batches} batches to <https://example.org/g>" in out


@pytest.mark.parametrize("server", ["login-first"], indirect=True)
def test_large_bodies_are_sent_with_the_credentials(server: Double, tmp_path: Path) -> None:
    write_files(synthetic_graph(60, 40), tmp_path)  # one batch of several MB
    write_store(tmp_path, tmp_path / "graph.nq", tmp_path / "graph.nt")
    code, out = push(tmp_path, f"{server.url}/store", "--user", "alice", "--batch-size", "100000",
                     env={"AIGRAPH_PUSH_PASSWORD": PASSWORD})
    assert code == 0, out
    put = next(r for r in server.requests if r["method"] == "PUT")
    assert len(put["body"]) > 4_000_000 and put["auth"].startswith("Basic ")


def test_push_again_replaces_the_graph(server: Double, built: Path) -> None:
    for _ in range(2):
        code, out = push(built, f"{server.url}/store")
        assert code == 0, out
    assert len(server.graphs["https://w3id.org/aigraph/graph/corpus"]) == len(set(server.graphs[
        "https://w3id.org/aigraph/graph/corpus"]))


@pytest.mark.parametrize("server", ["206"], indirect=True)
def test_partial_content_is_a_failure(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store")
    assert code == 1
    assert f"Error: {server.url}/store: HTTP 206" in out and "Partial Content" in out
    assert [r["method"] for r in server.requests] == ["PUT"]  # stopped at the first bad answer


@pytest.mark.parametrize("server", ["500"], indirect=True)
def test_server_error_is_a_failure_naming_the_endpoint(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store")
    assert code == 1
    assert f"{server.url}/store: HTTP 500 for the PUT of batch 1/1" in out
    assert "Internal error" in out and "<html>" not in out


@pytest.mark.parametrize("server", ["second-fails"], indirect=True)
def test_a_failing_later_batch_is_a_failure(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store", "--batch-size", "50")
    assert code == 1
    assert "HTTP 503 for the POST of batch 2/" in out


@pytest.mark.parametrize("server", ["miscount"], indirect=True)
def test_a_wrong_remote_count_is_a_failure(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store")
    assert code == 1
    assert f"{server.url}/query: graph <https://w3id.org/aigraph/graph/corpus> holds" in out
    assert "were sent" in out


@pytest.mark.parametrize("server", ["slow"], indirect=True)
def test_a_timeout_is_a_failure(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store", "--timeout", "0.5")
    assert code == 1
    assert f"{server.url}/store: no answer within 0.5 s" in out


def test_a_refused_connection_is_a_failure(built: Path) -> None:
    code, out = push(built, "http://127.0.0.1:9/store", "--timeout", "5")
    assert code == 1
    assert "http://127.0.0.1:9/store: cannot reach the server" in out


@pytest.mark.parametrize("server", ["basic-500"], indirect=True)
def test_password_never_shown_nor_logged(server: Double, built: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code, out = push(built, f"{server.url}/store", "--user", "alice", env={"AIGRAPH_PUSH_PASSWORD": PASSWORD})
    assert code == 1
    header = server.requests[-1]["auth"]
    assert header == "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()  # it was sent...
    for secret in (PASSWORD, header.split()[1]):  # ...and the server echoed it back in its error page
        assert secret not in out
        assert secret not in caplog.text
    assert "***" in out


@pytest.mark.parametrize("server", ["token-500"], indirect=True)
def test_token_never_shown_nor_logged(server: Double, built: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code, out = push(built, f"{server.url}/store", env={"AIGRAPH_PUSH_TOKEN": TOKEN})
    assert code == 1
    assert server.requests[-1]["auth"] == f"Bearer {TOKEN}"
    assert TOKEN not in out and TOKEN not in caplog.text


@pytest.mark.parametrize("server", ["ok"], indirect=True)
def test_password_in_the_url_is_used_and_hidden(server: Double, built: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    host = server.url.removeprefix("http://")
    code, out = push(built, f"http://alice:{PASSWORD}@{host}/store")
    assert code == 0, out
    assert PASSWORD not in out and PASSWORD not in caplog.text
    assert f"at {server.url}/store" in out


@pytest.mark.parametrize("server", ["redirect"], indirect=True)
def test_redirects_are_not_followed(server: Double, built: Path) -> None:
    code, out = push(built, f"{server.url}/store", env={"AIGRAPH_PUSH_TOKEN": TOKEN})
    assert code == 1
    assert "HTTP 307" in out and "redirects" in out
    assert not any("/elsewhere" in r["path"] for r in server.requests)  # the token went nowhere else


def test_bad_arguments(built: Path) -> None:
    code, out = push(built, "ftp://example.org/store")
    assert code == 1 and "not an http(s) URL" in out
    code, out = push(built, "http://127.0.0.1:9/store", "--graph", "not an iri")
    assert code == 1 and "is not an absolute IRI" in out
    code, out = push(built, "http://127.0.0.1:9/store", "--user", "alice")  # no password, no terminal
    assert code == 2 and "AIGRAPH_PUSH_PASSWORD" in out


def test_endpoint_helpers() -> None:
    assert query_endpoint_for("http://h:7878/store") == "http://h:7878/query"
    assert query_endpoint_for("http://h/sparql-graph-crud-auth") == "http://h/sparql-auth"
    assert query_endpoint_for("http://h/sparql-graph-crud?x=1") == "http://h/sparql"
    assert query_endpoint_for("http://h/ds/data") == "http://h/ds/sparql"
    assert query_endpoint_for("http://h/ds") == "http://h/ds"
    url, creds = split_userinfo("https://bob:p%40ss@h:8/store")
    assert url == "https://h:8/store" and creds == Credentials("bob", "p@ss")
    assert "p@ss" not in repr(creds)
    assert shown("https://bob:pass@h/store") == "https://h/store"
