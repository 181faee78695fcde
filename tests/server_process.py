"""Run `aigraph serve` as a real subprocess on a free port of 127.0.0.1, and talk to it with urllib."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

READY_TIMEOUT = 60.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str  # http://127.0.0.1:PORT
    stderr: list[str]

    @property
    def endpoint(self) -> str:
        return self.base + "/sparql"

    def request(self, path: str, *, method: str = "GET", data: bytes | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 30) -> Reply:
        """One HTTP request with urllib; an HTTP error status is returned, not raised."""
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())

    def get(self, query: str, accept: str | None = None, **params: str) -> Reply:
        extra = "".join(f"&{quote(k.replace('_', '-'))}={quote(v)}" for k, v in params.items())
        return self.request(f"/sparql?query={quote(query)}{extra}", headers={"Accept": accept} if accept else {})

    def post_form(self, fields: Mapping[str, str], accept: str | None = None) -> Reply:
        body = "&".join(f"{quote(k)}={quote(v)}" for k, v in fields.items()).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if accept:
            headers["Accept"] = accept
        return self.request("/sparql", method="POST", data=body, headers=headers)


def _pump(stream: object, lines: queue.Queue[str], keep: list[str] | None) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
        if keep is not None:
            keep.append(line)


@contextmanager
def running_server(graph: Path, *args: str) -> Iterator[Server]:
    """`aigraph serve --graph GRAPH --port 0 ARGS...`, ready to answer; always stopped (SIGINT, then kill)."""
    command = [sys.executable, "-m", "aigraph", "serve", "--graph", str(graph), "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out: queue.Queue[str] = queue.Queue()
    err: list[str] = []
    threading.Thread(target=_pump, args=(process.stdout, out, None), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, queue.Queue(), err), daemon=True).start()
    try:
        try:
            line = out.get(timeout=READY_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"aigraph serve printed no URL; stderr: {''.join(err)}") from None
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        server = Server(process, f"http://127.0.0.1:{found.group(1)}", err)
        deadline = time.monotonic() + READY_TIMEOUT
        while server.get("ASK {}").status != 200:  # the socket listens already; wait for the app
            assert time.monotonic() < deadline and process.poll() is None, "".join(err)
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
