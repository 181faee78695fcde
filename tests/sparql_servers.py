"""Real SPARQL servers on 127.0.0.1 for the push tests: the Oxigraph server (`oxigraph` on PyPI, in the test
extra) and Virtuoso (Debian's `virtuoso-opensource`; scripts/sparql-servers installs it, scripts/test calls it).

Each server starts on free ports with a temporary database folder and is stopped at the end. Virtuoso's Graph
Store endpoint that accepts writes is /sparql-graph-crud-auth, with HTTP Digest authentication as `dba` (the
password of a new database is `dba`); its anonymous /sparql answers the count queries.

    python tests/sparql_servers.py      # start both to try `aigraph push` by hand; Ctrl-C stops them
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
Striping        = 0

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
CheckpointInterval = 0
CaseMode           = 2
DirsAllowed        = ., {db}
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000

[HTTPServer]
ServerPort    = 127.0.0.1:{http_port}
ServerRoot    = {db}
ServerThreads = 10
Charset       = UTF-8

[SPARQL]
ResultSetMaxRows      = 100000
MaxQueryExecutionTime = 60
"""


@dataclass
class Server:
    name: str
    store: str  # Graph Store endpoint
    query: str  # SPARQL query endpoint
    user: str | None
    password: str | None
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_command() -> str | None:
    """The `oxigraph` CLI of this virtual environment (or of PATH)."""
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


def virtuoso_command() -> str | None:
    return shutil.which("virtuoso-t")


def start_oxigraph() -> Server:
    command = oxigraph_command()
    if command is None:
        raise FileNotFoundError("the oxigraph server is not installed: pip install -e '.[test]'")
    folder = Path(tempfile.mkdtemp(prefix="aigraph-oxigraph-"))
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([command, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    server = Server("oxigraph", f"{base}/store", f"{base}/query", None, None, process, folder)
    _wait(server, f"{base}/query?query=ASK%7B%7D", 30)
    return server


def start_virtuoso() -> Server:
    command = virtuoso_command()
    if command is None:
        raise FileNotFoundError("Virtuoso is not installed: apt-get install virtuoso-opensource "
                                "(bash scripts/sparql-servers does it)")
    folder = Path(tempfile.mkdtemp(prefix="aigraph-virtuoso-"))
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=folder, sql_port=sql_port, http_port=http_port))
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([command, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    server = Server("virtuoso", f"{base}/sparql-graph-crud-auth", f"{base}/sparql", "dba", "dba", process, folder)
    _wait(server, f"{base}/sparql?query=ASK%7B%7D", 90)
    return server


def _wait(server: Server, url: str, seconds: float) -> None:
    """Wait until `url` answers 200; stop the server and raise RuntimeError with its log if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    log = (server.folder / "server.log").read_text(errors="replace")[-2000:]
    server.stop()
    raise RuntimeError(f"{server.name} did not start within {seconds:g} s:\n{log}")


@contextlib.contextmanager
def running(name: str) -> Iterator[Server]:
    server = start_oxigraph() if name == "oxigraph" else start_virtuoso()
    try:
        yield server
    finally:
        server.stop()


def main() -> None:  # pragma: no cover - manual use
    with running("oxigraph") as oxigraph, running("virtuoso") as virtuoso:
        for server in (oxigraph, virtuoso):
            login = f" (user {server.user}, password {server.password})" if server.user else ""
            print(f"{server.name}: graph store {server.store}, query {server.query}{login}")
        print("Ctrl-C stops both")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
