"""Query throughput: a named query through the SPARQL endpoint (`aigraph serve`) against the same query
run in-process, same graph, same run.

    .venv/bin/python bench/query.py [GRAPH] [--name NAME] [--seconds S] [--clients N]

GRAPH defaults to build/graph.trig (run `aigraph build` first). Prints requests per second for:
in-process evaluation (`run_named`), in-process evaluation plus SPARQL JSON serialization, and the endpoint
over HTTP/1.1 keep-alive (JSON results) with 1 and N concurrent clients; then their ratio, and how long
the endpoint takes to answer a query past its time limit (the cut latency). Machines are noisy: only
ratios of measurements taken in the same run mean anything. Exits 0 with a note when the graph is absent.
"""

from __future__ import annotations

import argparse
import http.client
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from aigraph.named import bind_params, get_named
from aigraph.output import format_result
from aigraph.query import load_store, run_named

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CUT_TIMEOUT = 1.0


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of `work`, measured for about `seconds` after one warm-up call."""
    work()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        count += 1
    return count / elapsed


def start_server(graph: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "aigraph", "serve", "--graph", str(graph), "--port", "0", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", process.stdout.readline())
    if found is None:
        process.kill()
        raise SystemExit("aigraph serve did not start")
    return process, int(found.group(1))


def stop_server(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def client(port: int, path: str) -> Callable[[], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request() -> bytes:
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"endpoint answered {response.status}: {body[:200]!r}")
        return body

    return request


def concurrent_rate(port: int, path: str, clients: int, seconds: float) -> float:
    counts = [0] * clients

    def loop(i: int) -> None:
        request = client(port, path)
        request()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            request()
            counts[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def cut_latency(graph: Path) -> float:
    process, port = start_server(graph, "--timeout", str(CUT_TIMEOUT))
    try:
        request = client(port, "/sparql?query=ASK%7B%7D")
        request()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        connection.request("GET", "/sparql?query=" + quote(SLOW))
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        assert response.status == 503, response.status
        request()  # the next request succeeds
        return elapsed
    finally:
        stop_server(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("graph", nargs="?", default="build/graph.trig", type=Path)
    parser.add_argument("--name", default="relations", help="named query to run (default: relations)")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per variant")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients for the last variant")
    options = parser.parse_args()
    if not options.graph.is_file():
        print(f"skipped: graph {options.graph} not found (run `aigraph build`)")
        return 0
    query = get_named(options.name)
    text = bind_params(query, dict(query.example))
    store = load_store(options.graph)
    rows = len(run_named(store, options.name, dict(query.example)).rows)
    print(f"graph {options.graph}: {len(store)} quads; query {options.name!r}: {rows} rows")

    inproc = rate(lambda: run_named(store, options.name, dict(query.example)), options.seconds)
    inproc_json = rate(lambda: format_result(run_named(store, options.name, dict(query.example)), "json"),
                       options.seconds)
    process, port = start_server(options.graph, "--max-rows", "1000000", "--workers", str(max(2, options.clients)))
    try:
        path = "/sparql?query=" + quote(text)
        endpoint = rate(client(port, path), options.seconds)
        parallel = concurrent_rate(port, path, options.clients, options.seconds)
    finally:
        stop_server(process)
    cut = cut_latency(options.graph)

    print(f"in-process run_named          : {inproc:8.0f} queries/s")
    print(f"in-process run_named + JSON   : {inproc_json:8.0f} queries/s")
    print(f"endpoint, 1 client (JSON)     : {endpoint:8.0f} requests/s")
    print(f"endpoint, {options.clients} clients (JSON)    : {parallel:8.0f} requests/s")
    print(f"ratio endpoint/in-process     : {endpoint / inproc:.2f} (1 client), {parallel / inproc:.2f} "
          f"({options.clients} clients)")
    print(f"timeout cut                   : {cut:.3f} s for a query past --timeout {CUT_TIMEOUT:g} "
          f"(+{cut - CUT_TIMEOUT:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
