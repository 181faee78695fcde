"""Run queries in worker processes, so that a query past its time limit is really stopped.

pyoxigraph's `Store.query` cannot be interrupted from Python, so each query runs in a worker process
that holds its own copy of the store. The parent waits for the answer at most `timeout` seconds; past it
the worker is killed (SIGKILL: the query stops at once, whatever it was doing) and a fresh worker is
started in the background to take its place. The query text is checked in the parent before any worker
sees it, so a refused query is never evaluated. Workers are started with the "spawn" method (no fork of
a threaded server) and ignore SIGINT: Ctrl-C reaches only the parent, which then kills them. A worker that
is started later (to replace a killed one) reads the graph file again.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from aigraph import errors
from aigraph.errors import AigraphError, QueryError, QueryTimeout
from aigraph.named import bind_params, get_named
from aigraph.query import QueryResult, check_query, graph_names, load_store, run_query
from aigraph.safety import check_dataset

log = logging.getLogger(__name__)

#: Seconds a new worker may take to load the graph.
START_TIMEOUT = 300.0


def _dump(exc: AigraphError) -> tuple[str, str, int | None, int | None]:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    return type(exc).__name__, getattr(exc, "message", str(exc)), line, column


def _load(dumped: tuple[str, str, int | None, int | None]) -> AigraphError:
    name, message, line, column = dumped
    if name == "QuerySyntaxError":
        return errors.QuerySyntaxError(message, line, column)
    cls = getattr(errors, name, QueryError)
    return cls(message) if isinstance(cls, type) and issubclass(cls, AigraphError) else QueryError(message)


def _worker_main(conn: Connection, path: str) -> None:  # pragma: no cover - runs in the child process
    """A worker: load the store, say ready (with its graph names), then answer queries until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(EOFError, OSError):  # the parent has gone: nothing left to do
        try:
            store = load_store(Path(path))
        except AigraphError as exc:
            conn.send(("error", _dump(exc)))
            return
        conn.send(("ready", sorted(graph_names(store))))
        while (job := conn.recv()) is not None:
            text, options = job
            try:
                conn.send(("ok", run_query(store, text, **options)))
            except AigraphError as exc:
                conn.send(("error", _dump(exc)))
            except Exception as exc:  # an unexpected failure of one query must not end the worker
                conn.send(("error", ("QueryError", f"query failed: {type(exc).__name__}: {exc}", None, None)))


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process, self.conn = process, conn


class QueryPool:
    """`workers` processes, each with the store of `graph` loaded, answering one query at a time.

    `timeout` (seconds, None: no limit) stops a query past it, raising QueryTimeout; `max_rows` caps the
    rows of every result (QueryResult.truncated says when it cut). A query waits at most `queue_timeout`
    (default: `timeout`) for a free worker, then fails with QueryTimeout. Use as a context manager, or close().
    """

    def __init__(self, graph: Path, *, workers: int = 1, timeout: float | None = None,
                 max_rows: int | None = None, queue_timeout: float | None = None) -> None:
        if workers < 1:
            raise ValueError("a QueryPool needs at least one worker")
        self.graph, self.workers, self.timeout, self.max_rows = Path(graph), workers, timeout, max_rows
        self.queue_timeout = timeout if queue_timeout is None else queue_timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the warmest worker first
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._starting = 0
        self._closed = False
        self._failure = ""
        started = [self._launch() for _ in range(workers)]
        graphs: list[str] | None = None
        try:
            for worker in started:
                graphs = self._await_ready(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            for worker in started:
                self._kill(worker)
            raise
        self.graphs: frozenset[str] = frozenset(graphs or ())

    # ------------------------------------------------------------------ workers

    def _launch(self) -> _Worker:
        # close() takes this lock too: a child is never left half-started (reading its start-up data from
        # a pipe whose parent end is gone), which made it print an EOFError traceback after a timeout.
        with self._start_lock:
            if self._closed:
                raise QueryError("the query pool is closed")
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=_worker_main, args=(child, str(self.graph)), daemon=True,
                                        name="aigraph-query-worker")
            process.start()
            child.close()
            worker = _Worker(process, parent)
            with self._lock:
                self._live.add(worker)
        return worker

    def _await_ready(self, worker: _Worker) -> list[str]:
        try:
            if not worker.conn.poll(START_TIMEOUT):
                raise QueryError(f"a query worker took over {START_TIMEOUT:g} s to load {self.graph}")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            code = worker.process.exitcode
            raise QueryError(f"a query worker stopped while loading {self.graph} (exit code {code})") from exc
        if status != "ready":
            raise _load(payload)
        return list(payload)

    def _replace(self) -> None:
        """Start a worker in place of a killed one (in a background thread)."""
        with self._lock:
            if self._closed:
                self._starting -= 1
                return
        try:
            worker = self._launch()
            self._await_ready(worker)
        except AigraphError as exc:
            if not self._closed:  # closing while a replacement starts is normal, not a failure
                self._failure = str(exc)
                log.error("could not start a replacement query worker: %s", exc)
            return
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            closed = self._closed
        if closed:
            self._kill(worker)
        else:
            self._idle.put(worker)
            log.info("replacement query worker %s is ready", worker.process.pid)

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.conn.close()
        threading.Thread(target=worker.process.join, args=(5,), daemon=True).start()  # reap without waiting

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that timed out or broke, and start another in its place."""
        self._kill(worker)
        with self._lock:
            if self._closed:
                return
            self._starting += 1
        threading.Thread(target=self._replace, daemon=True, name="aigraph-worker-start").start()

    def _acquire(self, wait: float | None) -> _Worker:
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            with self._lock:
                if self._closed:
                    raise QueryError("the query pool is closed")
                if not self._live and not self._starting:
                    raise QueryError(f"no query worker is running: {self._failure or 'all stopped'}")
            step = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if step <= 0:
                raise QueryTimeout(f"all {self.workers} query workers stayed busy for {wait:g} s; "
                                   "try again when the running queries have finished")
            try:
                return self._idle.get(timeout=step)
            except queue.Empty:
                continue

    @property
    def pids(self) -> list[int]:
        """The process ids of the running workers (for logs and diagnostics)."""
        with self._lock:
            return sorted(w.process.pid for w in self._live if w.process.pid is not None)

    # ------------------------------------------------------------------ queries

    def run(self, text: str, *, allow_remote: bool = False, default_graphs: Sequence[str] = (),
            named_graphs: Sequence[str] = ()) -> QueryResult:
        """Check the query here, then evaluate it in a worker within the time limit."""
        check_query(text, allow_remote=allow_remote, graphs=set(self.graphs))
        check_dataset(default_graphs, named_graphs, self.graphs)
        options: dict[str, Any] = {"allow_remote": allow_remote, "max_rows": self.max_rows,
                                   "default_graphs": list(default_graphs), "named_graphs": list(named_graphs)}
        worker = self._acquire(self.queue_timeout)
        try:
            worker.conn.send((text, options))
            if not worker.conn.poll(self.timeout):
                log.info("query past the %g s time limit; killing worker %s", self.timeout, worker.process.pid)
                self._discard(worker)
                raise QueryTimeout(f"the query ran past the {self.timeout:g} s time limit and was stopped; "
                                   "narrow it (fewer unconstrained patterns, a LIMIT) or raise the time limit")
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._discard(worker)
            raise QueryError(f"the query worker stopped unexpectedly (exit code {worker.process.exitcode}); "
                             "the query may need more memory than the machine has") from exc
        except BaseException:  # Ctrl-C while waiting: the worker may be mid-query, stop it
            if worker.process.is_alive() and worker in self._live:
                self._discard(worker)
            raise
        self._idle.put(worker)
        if status != "ok":
            raise _load(payload)
        assert isinstance(payload, QueryResult)
        return payload

    def run_named(self, name: str, params: Mapping[str, str] | None = None) -> QueryResult:
        """Run a packaged query with its parameters bound (see aigraph.named)."""
        return self.run(bind_params(get_named(name), params or {}))

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
        with self._start_lock, self._lock:
            live = list(self._live)
        for worker in live:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in live:
            worker.process.join(0.5)
            self._kill(worker)

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
