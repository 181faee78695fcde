"""`aigraph serve`: a read-only SPARQL 1.1 Protocol endpoint over a built graph (Starlette on uvicorn).

Routes: `/sparql` (the endpoint: GET, POST form or `application/sparql-query`), `/query` (a plain HTML
form, no script, no external assets), `/queries` and `/queries/{name}` (the named queries, listed as JSON
and run with their parameters in the query string), `/` (the built `graph.html` beside the graph file).
Queries run in an aigraph.worker.QueryPool: per-query timeout (the worker is killed), row cap (stated in
the `X-Aigraph-Truncated` header and, where the format has room, in the body), refusal of updates (403),
of SERVICE and of FROM / dataset IRIs outside the store (403), before any evaluation.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from aigraph.errors import AigraphError, InputError, QueryRefused, QuerySyntaxError, QueryTimeout
from aigraph.named import bind_params, named_queries
from aigraph.output import MEDIA_TYPES, format_result, truncation_note
from aigraph.query import PREFIXES, QueryResult
from aigraph.worker import QueryPool

log = logging.getLogger(__name__)

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=True
)
SELECT_TYPES: dict[str, tuple[str, ...]] = {  # in the server's order of preference
    "json": ("application/sparql-results+json", "application/json"),
    "xml": ("application/sparql-results+xml",),
    "csv": ("text/csv",),
    "tsv": ("text/tab-separated-values",),
}
GRAPH_TYPES: dict[str, tuple[str, ...]] = {
    "turtle": ("text/turtle", "application/x-turtle"),
    "ntriples": ("application/n-triples",),
    "rdfxml": ("application/rdf+xml",),
}
# `format=` parameter values (SPARQLWrapper sends one) and the format each names.
FORMAT_NAMES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
                "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples",
                "n-triples": "ntriples", "rdfxml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml"}
FORMAT_NAMES |= {media: key for table in (SELECT_TYPES, GRAPH_TYPES) for key, types in table.items()
                 for media in types}
TRUNCATED_HEADER, MAX_ROWS_HEADER = "X-Aigraph-Truncated", "X-Aigraph-Max-Rows"
_STATUS = ((QuerySyntaxError, 400), (QueryRefused, 403), (QueryTimeout, 503))
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


class HTTPProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Settings:
    max_request_bytes: int = 64 * 1024
    html_view: Path | None = None
    cors_origin: str | None = None
    #: Host header values accepted (None: any). Bound to loopback, only loopback names are accepted, so a
    #: page on another site cannot reach the endpoint through DNS rebinding.
    allowed_hosts: tuple[str, ...] | None = ("127.0.0.1", "localhost")


# --------------------------------------------------------------------------- negotiation


def _accepted(header: str | None) -> list[tuple[str, float]]:
    if not header:
        return [("*/*", 1.0)]
    accepted = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            accepted.append((media.lower(), quality))
    return accepted


def _quality(media: str, accepted: list[tuple[str, float]]) -> float:
    """The q of the most specific Accept entry matching `media` (exact, then type/*, then */*)."""
    kind = media.split("/")[0] + "/*"
    for pattern in (media, kind, "*/*"):
        found = [q for m, q in accepted if m == pattern]
        if found:
            return max(found)
    return 0.0


def negotiate(accept: str | None, offered: dict[str, tuple[str, ...]]) -> str | None:
    """The key of `offered` the Accept header prefers (ties: the first offered); None if none is acceptable."""
    accepted = _accepted(accept)
    best, best_q = None, 0.0
    for key, types in offered.items():
        q = max(_quality(t, accepted) for t in types)
        if q > best_q:
            best, best_q = key, q
    return best


def result_response(result: QueryResult, accept: str | None, fmt: str | None, max_rows: int | None) -> Response:
    offered = GRAPH_TYPES if result.kind == "graph" else SELECT_TYPES
    chosen = FORMAT_NAMES.get((fmt or "").lower())
    if chosen not in offered:  # no format=, or one for the other kind of result: use Accept
        chosen = negotiate(accept, offered)
    if chosen is None:
        raise HTTPProblem(406, "none of the Accept header's media types can carry this result; offered: "
                          + ", ".join(t for types in offered.values() for t in types))
    headers = {"Vary": "Accept"}
    if max_rows is not None:
        headers[MAX_ROWS_HEADER] = str(max_rows)
    if result.truncated:
        headers[TRUNCATED_HEADER] = "true"
        headers["X-Aigraph-Note"] = truncation_note(result)
    return Response(format_result(result, chosen).encode("utf-8"), media_type=MEDIA_TYPES[chosen], headers=headers)


# --------------------------------------------------------------------------- requests


async def _body(request: Request, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPProblem(413, f"request body of {length} bytes is over the {limit}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPProblem(413, f"request body is over the {limit}-byte limit")
    return bytes(body)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPProblem(400, f"the request is not UTF-8: {exc}") from exc


async def protocol_params(request: Request, limit: int) -> dict[str, list[str]]:
    """The SPARQL protocol parameters of a GET or POST request: query, update, default-graph-uri, ..."""
    if len(request.url.query) > limit:
        raise HTTPProblem(414, f"the query string is over the {limit}-byte limit; POST the query instead")
    params = parse_qs(request.url.query, keep_blank_values=True)
    if request.method != "POST":
        return params
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _body(request, limit)
    if media == "application/x-www-form-urlencoded":
        for key, values in parse_qs(_text(body), keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    elif media == "application/sparql-query":
        params.setdefault("query", []).append(_text(body))
    elif media == "application/sparql-update":
        params.setdefault("update", []).append("")
    else:
        raise HTTPProblem(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded "
                          f"(query=...), not {media or 'no content type'}")
    return params


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if name == "format" and values:  # SPARQLWrapper may send it twice (URL and body): take the first
        return values[0]
    if len(values) > 1:
        raise HTTPProblem(400, f"give one {name} parameter, not {len(values)}")
    return values[0] if values else None


def _refuse_update(params: dict[str, list[str]]) -> None:
    if "update" in params:
        raise HTTPProblem(403, "this endpoint is read-only: SPARQL Update is refused. "
                          "To change the graph, change the corpus and run `aigraph build` again.")


def error_status(exc: AigraphError) -> int:
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


def _problem(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(f"Error: {message}\n", status_code=status)


# --------------------------------------------------------------------------- the app


def create_app(pool: QueryPool, settings: Settings | None = None) -> Starlette:
    """The ASGI app serving `pool`'s graph; the caller owns the pool (and closes it)."""
    settings = settings or Settings()
    limit = settings.max_request_bytes

    async def run(text: str, **options: Any) -> QueryResult:
        result: QueryResult = await run_in_threadpool(pool.run, text, **options)
        return result

    async def sparql(request: Request) -> Response:
        params = await protocol_params(request, limit)
        _refuse_update(params)
        query = _one(params, "query")
        if query is None:
            raise HTTPProblem(400, "missing the query parameter: GET /sparql?query=... or POST it; "
                              "the query page is at /query")
        result = await run(query, default_graphs=params.get("default-graph-uri", []),
                           named_graphs=params.get("named-graph-uri", []))
        return result_response(result, request.headers.get("accept"), _one(params, "format"), pool.max_rows)

    async def list_named(request: Request) -> Response:
        return JSONResponse([
            {"name": q.name, "title": q.title, "description": q.description, "url": f"/queries/{q.name}",
             "params": [{"name": p.name, "required": p.required, "description": p.description} for p in q.params],
             "example": dict(q.example)}
            for q in named_queries().values()
        ])

    async def run_named(request: Request) -> Response:
        query = named_queries().get(request.path_params["name"])
        if query is None:
            raise HTTPProblem(404, f"no named query {request.path_params['name']!r}; GET /queries lists them")
        params = await protocol_params(request, limit)
        fmt = _one(params, "format")
        bindings = {key: values[-1] for key, values in params.items() if key != "format"}
        result = await run(bind_params(query, bindings))
        return result_response(result, request.headers.get("accept"), fmt, pool.max_rows)

    async def page(request: Request) -> Response:
        params = await protocol_params(request, limit)
        text, name = _one(params, "query"), _one(params, "name")
        context: dict[str, Any] = {"query": text or "", "error": "", "result": None, "status": 200}
        if text is None and name in named_queries():
            query = named_queries()[name]
            context["query"] = bind_params(query, dict(query.example)) if query.params else query.text
        elif text:
            try:
                result = await run(text)
            except AigraphError as exc:
                context |= {"error": f"Error: {exc}", "status": error_status(exc)}
            else:
                unit = "triples" if result.kind == "graph" else "rows"
                formats = ("turtle", "ntriples") if result.kind == "graph" else ("csv", "tsv", "json", "xml")
                context |= {"result": result, "note": truncation_note(result),
                            "summary": f"{len(result.solutions)} {unit}." if result.kind != "ask" else "",
                            "downloads": [(f"as {f}", "/sparql?" + urlencode({"query": text, "format": f}))
                                          for f in formats]}
        html = TEMPLATES.get_template("query.html").render(
            prefixes=list(PREFIXES), named=list(named_queries().values()), endpoint="/sparql",
            timeout=f"at most {pool.timeout:g} s" if pool.timeout else "without a time limit",
            max_rows=pool.max_rows if pool.max_rows is not None else "all", **context)
        return HTMLResponse(html, status_code=context["status"], headers={"Content-Security-Policy": _PAGE_CSP})

    async def home(request: Request) -> Response:
        if settings.html_view is not None and settings.html_view.is_file():
            return FileResponse(settings.html_view, media_type="text/html; charset=utf-8")
        return RedirectResponse("/query", status_code=303)

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPProblem as exc:
                return _problem(exc.status, str(exc))
            except AigraphError as exc:
                return _problem(error_status(exc), str(exc))
        return wrapper

    routes = [
        Route("/", guarded(home), methods=["GET"]),
        Route("/sparql", guarded(sparql), methods=["GET", "POST"]),
        Route("/query", guarded(page), methods=["GET", "POST"]),
        Route("/queries", guarded(list_named), methods=["GET"]),
        Route("/queries/{name}", guarded(run_named), methods=["GET", "POST"]),
    ]
    middleware = [Middleware(_NoSniff)]
    if settings.allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)))
    if settings.cors_origin:
        middleware.append(Middleware(CORSMiddleware, allow_origins=[settings.cors_origin],
                                     allow_methods=["GET", "POST"], allow_headers=["Accept", "Content-Type"],
                                     expose_headers=[TRUNCATED_HEADER, MAX_ROWS_HEADER, "X-Aigraph-Note"]))
    return Starlette(routes=routes, middleware=middleware)


class _NoSniff:
    """Adds `X-Content-Type-Options: nosniff` to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        async def send_with_header(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-content-type-options", b"nosniff"))
            await send(message)

        await self.app(scope, receive, send_with_header)


# --------------------------------------------------------------------------- running


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port), or InputError saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         "choose another --port or --host") from exc
    return sock


def html_view_for(graph: Path) -> Path:
    """The HTML view `aigraph build` writes beside a graph: in the build folder, or beside the graph file."""
    graph = Path(graph)
    return graph / "graph.html" if graph.is_dir() else graph.with_name("graph.html")


def allowed_hosts(host: str) -> tuple[str, ...] | None:
    """The Host header values to accept when bound to `host`: loopback names for an IPv4 loopback host."""
    if host == "localhost" or host.startswith("127."):
        return tuple(dict.fromkeys(("127.0.0.1", "localhost", host)))
    return None


def serve(app: Starlette, sock: socket.socket, max_request_bytes: int = 64 * 1024) -> None:
    """Serve `app` on `sock` until SIGINT or SIGTERM, then return (uvicorn; its logs go through logging).

    uvicorn shuts down gracefully on either signal, then raises it again; here both end as
    KeyboardInterrupt, caught, so the caller's clean-up (closing the worker pool) always runs.
    """
    import uvicorn

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    config = uvicorn.Config(app, log_config=None, access_log=True, timeout_keep_alive=5, limit_concurrency=64,
                            h11_max_incomplete_event_size=max_request_bytes + 16 * 1024, server_header=False)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
