"""Push a built graph to a SPARQL server with the SPARQL 1.1 Graph Store HTTP Protocol.

The union of the document graphs (the triples of graph.ttl) goes into one target graph of the server:
the first batch with PUT, which replaces that graph, the others with POST, which add to it, as N-Triples
bodies of `batch_size` triples (10,000 by default: about 2 MB, well within Virtuoso's limits). No other
graph of the server is touched. Then the target graph's triples are counted through the server's SPARQL
query endpoint, and the count must equal the number of triples sent.

Any answer other than 200, 201 or 204 is a failure (206 Partial Content included), as are redirects,
time-outs and refused connections: PushError names the endpoint and says what to do. A push that fails
after its first batch leaves the target graph holding part of the data, until a push succeeds (it replaces
the graph whole).

Credentials are a user and password (HTTP Digest or Basic, whichever the server's challenge asks for) or a
bearer token. They are never logged nor shown: URLs are shown without any user-info part, every message is
scrubbed of the secrets, and redirects are not followed (they would carry the token elsewhere).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from aigraph.errors import PushError
from aigraph.export import class_filter, union_triples

log = logging.getLogger(__name__)

DEFAULT_GRAPH = "https://w3id.org/aigraph/graph/corpus"
DEFAULT_BATCH = 10_000
OK_STATUS = frozenset({200, 201, 204})
#: GSP endpoint path suffix -> the SPARQL query endpoint beside it (Oxigraph, Virtuoso, Fuseki).
QUERY_PATHS = (("/sparql-graph-crud-auth", "/sparql-auth"), ("/sparql-graph-crud", "/sparql"), ("/store", "/query"),
               ("/data", "/sparql"))


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        """Every string that must never be shown: the password, the token and their header encodings."""
        found = [s for s in (self.password, self.token) if s]
        if self.user and self.password:
            found.append(base64.b64encode(f"{self.user}:{self.password}".encode()).decode())
        return found


@dataclass(frozen=True)
class PushResult:
    endpoint: str  # shown form: no user-info
    graph: str
    triples: int
    batches: int
    remote: int
    seconds: float


def split_userinfo(url: str) -> tuple[str, Credentials]:
    """The URL without user-info, and the credentials it held (`http://user:pass@host/...`)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushError(f"{shown(url)}: not an http(s) URL; give the server's Graph Store endpoint, "
                        "e.g. http://localhost:7878/store")
    if "@" not in parts.netloc:
        return url, Credentials()
    host = parts.netloc.rsplit("@", 1)[1]
    user = urllib.parse.unquote(parts.username or "") or None
    password = urllib.parse.unquote(parts.password or "") or None
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), Credentials(user, password)


def shown(url: str) -> str:
    """`url` without user-info, for messages and logs."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])) if parts.netloc else url


def query_endpoint_for(endpoint: str) -> str:
    """The SPARQL query endpoint beside a Graph Store endpoint; the same URL when the layout is unknown."""
    parts = urllib.parse.urlsplit(endpoint)
    for gsp, query in QUERY_PATHS:
        if parts.path.endswith(gsp):
            return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len(gsp)] + query, query=""))
    return endpoint


def push(store: ox.Store, endpoint: str, graph: str = DEFAULT_GRAPH, *, query_endpoint: str | None = None,
         credentials: Credentials | None = None, batch_size: int = DEFAULT_BATCH, timeout: float = 60.0,
         classes: Sequence[str] = ()) -> PushResult:
    """Replace `graph` on the server with the union of the store's document graphs, then verify the count."""
    started = time.perf_counter()
    endpoint, in_url = split_userinfo(endpoint)
    credentials = credentials if credentials is not None and (credentials.user or credentials.token) else in_url
    query_url, _ = split_userinfo(query_endpoint or query_endpoint_for(endpoint))
    try:
        ox.NamedNode(graph)
    except ValueError as exc:
        raise PushError(f"--graph {graph!r} is not an absolute IRI; give one like {DEFAULT_GRAPH}") from exc
    if batch_size < 1:
        raise PushError("the batch size must be at least 1 triple")
    triples = union_triples(store, ordered=False)  # batch order does not matter to the server
    if classes:
        keep = class_filter(triples, classes)
        triples = [t for t in triples if keep(t)]
    client = _Client(credentials, timeout, [endpoint, query_url])
    target = _with_param(endpoint, "graph", graph)
    batches = [triples[i : i + batch_size] for i in range(0, len(triples), batch_size)] or [[]]
    client.probe(target)
    for number, batch in enumerate(batches, 1):
        method = "PUT" if number == 1 else "POST"  # PUT replaces the target graph, POST adds to it
        body = ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
        what = f"{method} of batch {number}/{len(batches)} ({len(batch)} triples) to graph <{graph}>"
        client.send(method, target, body, {"Content-Type": "application/n-triples"}, what)
        log.info("sent batch %d/%d (%d triples) to %s", number, len(batches), len(batch), shown(endpoint))
    remote = count_remote(client, query_url, graph)
    if remote != len(triples):
        raise PushError(f"{shown(query_url)}: graph <{graph}> holds {remote} triples after the push, but "
                        f"{len(triples)} were sent; another client may be writing that graph, or the server "
                        "dropped data: check its log, then run `aigraph push` again")
    seconds = time.perf_counter() - started
    log.info("pushed %d triples to <%s> at %s in %.1f s", remote, graph, shown(endpoint), seconds)
    return PushResult(shown(endpoint), graph, len(triples), len(batches), remote, seconds)


def count_remote(client: _Client, query_url: str, graph: str) -> int:
    """The number of triples in `graph` on the server, by SPARQL."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    body = client.send("GET", _with_param(query_url, "query", query), None,
                       {"Accept": "application/sparql-results+json"}, f"count query on graph <{graph}>")
    try:
        bindings = json.loads(body)["results"]["bindings"]
        return int(bindings[0]["n"]["value"]) if bindings else 0
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise PushError(f"{shown(query_url)}: the count query did not return SPARQL JSON results ({exc}); "
                        "give the server's SPARQL query endpoint with --query-endpoint") from exc


def _with_param(url: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([*urllib.parse.parse_qsl(parts.query, keep_blank_values=True), (name, value)])
    return urllib.parse.urlunsplit(parts._replace(query=query))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


class _Login(urllib.request.BaseHandler):
    """A user and password sent with every request once the server's challenge (Digest or Basic) is known, so
    a large body is never sent without them: a server answering 401 may close the connection mid-body."""

    def __init__(self, user: str, password: str, urls: list[str]) -> None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, urls, user, password)
        self.digest = urllib.request.HTTPDigestAuthHandler(passwords)
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.scheme = ""
        self.challenge: dict[str, str] = {}

    def learn(self, header: str | None) -> bool:
        """Take a 401 answer's challenge; False when it brings nothing new (the credentials were refused)."""
        scheme, _, rest = (header or "").strip().partition(" ")
        if scheme.lower() == "basic":
            new = self.scheme != "basic"
            self.scheme = "basic"
            return new
        if scheme.lower() == "digest":
            challenge = urllib.request.parse_keqv_list([p for p in urllib.request.parse_http_list(rest) if p])
            new = self.scheme != "digest" or challenge.get("stale", "").lower() == "true"
            self.scheme, self.challenge = "digest", challenge
            return new
        return False

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        if self.scheme == "basic":
            request.add_unredirected_header("Authorization", self.basic)
        elif self.scheme == "digest" and (value := self.digest.get_authorization(request, self.challenge)):
            request.add_unredirected_header("Authorization", f"Digest {value}")
        return request

    https_request = http_request


class _Client:
    """HTTP requests with the credentials, a time limit and messages that name the endpoint, never a secret."""

    def __init__(self, credentials: Credentials, timeout: float, urls: list[str]) -> None:
        self.timeout = timeout
        self.secrets = credentials.secrets()
        self.headers = {"Authorization": f"Bearer {credentials.token}"} if credentials.token else {}
        self.login = _Login(credentials.user, credentials.password or "", urls) if credentials.user else None
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()] + ([self.login] if self.login else [])
        self.opener = urllib.request.build_opener(*handlers)
        self.has_credentials = bool(credentials.user or credentials.token)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def probe(self, url: str) -> None:
        """With a user, learn the server's login challenge by an empty POST (which adds nothing to the graph)."""
        if self.login is None:
            return
        try:
            self.send("POST", url, b"", {"Content-Type": "application/n-triples"}, "login check (an empty POST)")
        except _Refused as exc:
            if exc.status in (401, 403):
                raise PushError(str(exc)) from None  # any other answer is for the real requests to report

    def send(self, method: str, url: str, body: bytes | None, headers: dict[str, str], what: str) -> bytes:
        try:
            return self._send(method, url, body, headers, what)
        except _Refused as exc:
            raise PushError(str(exc)) from None

    def _send(self, method: str, url: str, body: bytes | None, headers: dict[str, str], what: str) -> bytes:
        where = shown(url.split("?", 1)[0])
        for attempt in (1, 2):
            request = urllib.request.Request(url, data=body, method=method, headers={**headers, **self.headers})
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    status, data = int(response.status), bytes(response.read())
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate")
                if attempt == 1 and exc.code == 401 and self.login is not None and self.login.learn(challenge):
                    continue  # again, with the credentials the challenge asks for
                status, data = exc.code, exc.read()
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
                message = f"no answer within {self.timeout:g} s" if timed_out else f"cannot reach the server: {reason}"
                raise PushError(self.scrub(f"{where}: {message} ({what}); check the URL and that the server is "
                                           "running, then run `aigraph push` again")) from None
            if status not in OK_STATUS:
                raise _Refused(status, self.scrub(self._refused(where, what, status, _snippet(data))))
            return data
        raise PushError(f"{where}: the server asked for credentials twice ({what})")  # pragma: no cover

    def _refused(self, where: str, what: str, status: int, detail: str) -> str:
        if status in (401, 403):
            hint = ("the server refused the credentials, or this user may not write graphs" if self.has_credentials
                    else "the server asks for credentials: pass --user (password in AIGRAPH_PUSH_PASSWORD) "
                         "or set AIGRAPH_PUSH_TOKEN")
        elif status == 206:
            hint = "the server stored only part of the data (206 Partial Content); run `aigraph push` again"
        elif 300 <= status < 400:
            hint = "the server redirects: give the URL it redirects to as the endpoint"
        elif status == 413:
            hint = "the request was too large for the server: lower --batch-size"
        else:
            hint = "check the server's log, then run `aigraph push` again"
        detail = f": {detail}" if detail else ""
        return f"{where}: HTTP {status} for the {what}{detail}; {hint}"


def _snippet(data: bytes, limit: int = 300) -> str:
    """The start of a response body as one line of text (HTML tags dropped)."""
    text = re.sub(r"<[^>]*>", " ", data[: limit * 4].decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


class _Refused(Exception):
    """A non-2xx answer (internal: `send` turns it into PushError)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
