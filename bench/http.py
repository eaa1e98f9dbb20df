"""The SPARQL endpoint against `oxigraph serve` on the same data, in the same run.

One store is built (vocabularies, administrative units — the full official list when
../shared is there —, demo organisations and a generated catalogue), copied, and served twice
on 127.0.0.1: by ``kg serve`` (Flask on granian in front of its own `oxigraph serve` engine)
and by a bare ``oxigraph serve`` on the copy. Then:

1. latency: the same query mix (lookups, facets, searches, hierarchy walks, a CONSTRUCT),
   p50/p95 per query: oxigraph and kg with ``Cache-Control: no-cache`` (every request
   reaches the engine) taking turns request by request, then kg answering repeats from its
   cache;
2. throughput: requests/s at concurrency 1, 4 and 16 for a trivial lookup, with ``wrk``
   (Debian package ``wrk``) when installed, else a Python thread pool (then the client, not
   the server, is likely the limit; the run says so).

Every loop is bounded in count and seconds; every process started is stopped by its pid.
Usage: python bench/http.py [--datasets 10000] [--repeats 30] [--seconds 5]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import http.client
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import ENV, KG, ROOT, SHARED_UNITS, build_store

sys.path.insert(0, str(ROOT))
from web.engine import free_port, oxigraph_command, stop_group

PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""
SELECT_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    accept: str = SELECT_JSON


def query_mix(dataset: str, province: str, federation: str) -> list[Query]:
    return [
        Query("lookup: one dataset", f"SELECT ?p ?o {{ <{dataset}> ?p ?o }}"),
        Query("lookup: unit by code",
              PREFIXES + 'SELECT ?u ?l { ?u skos:notation "01" ; skos:prefLabel ?l }'),
        Query("facet: datasets per theme", PREFIXES + "SELECT ?theme (COUNT(?d) AS ?n) "
              "{ ?d a dcat:Dataset ; dcat:theme ?theme } GROUP BY ?theme ORDER BY DESC(?n)"),
        Query("facet: per publisher + label", PREFIXES + "SELECT ?pub ?label (COUNT(?d) AS ?n) "
              "{ ?d a dcat:Dataset ; dct:publisher ?pub . ?pub skos:prefLabel ?label "
              'FILTER(LANG(?label) = "vi") } GROUP BY ?pub ?label ORDER BY DESC(?n) LIMIT 20'),
        Query("search: title contains", PREFIXES + "SELECT ?d ?t { ?d a dcat:Dataset ; "
              'dct:title ?t FILTER(CONTAINS(LCASE(?t), "không khí")) } LIMIT 100'),
        Query("search: keyword regex", PREFIXES + "SELECT DISTINCT ?d { ?d dcat:keyword ?k "
              'FILTER(REGEX(?k, "^điện", "i")) } LIMIT 200'),
        Query("walk: units under a province",
              PREFIXES + f"SELECT (COUNT(?u) AS ?n) {{ ?u skos:broader+ <{province}> }}"),
        Query("walk: organisation tree", PREFIXES + "SELECT ?o ?parent "
              f"{{ ?o org:subOrganizationOf+ <{federation}> ; org:subOrganizationOf ?parent }}"),
        Query("construct: datasets + publisher", PREFIXES + "CONSTRUCT { ?d dct:title ?t ; "
              "dct:publisher ?p } WHERE { ?d a dcat:Dataset ; dct:title ?t ; dct:publisher ?p "
              "} LIMIT 5000", N_TRIPLES),
    ]


class Server:
    """A server process on loopback, stopped by its process group."""

    def __init__(self, name: str, port: int, path: str, extra: dict[str, str],
                 proc: subprocess.Popen[bytes] | None = None) -> None:
        self.name, self.port, self.path, self.extra = name, port, path, extra
        self.proc = proc

    @classmethod
    def launch(cls, name: str, command: list[str], port: int, path: str,
               extra: dict[str, str], log: Path) -> Server:
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=ENV, cwd=ROOT)
        server = cls(name, port, path, extra, proc)
        deadline = time.monotonic() + 120
        while True:
            try:
                status, _ = server.get("ASK {}", SELECT_JSON)
                if status == 200:
                    return server
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} did not start: {' '.join(command)}\n"
                                   f"{log.read_text(errors='replace')}")
            time.sleep(0.1)

    def url(self, text: str) -> str:
        return f"{self.path}?{urllib.parse.urlencode({'query': text, **self.extra})}"

    def get(self, text: str, accept: str, headers: dict[str, str] | None = None,
            conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request("GET", self.url(text), headers={"Accept": accept, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            if own:
                conn.close()

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout=20)


def latency(server: Server, query: Query, repeats: int, seconds: float,
            headers: dict[str, str]) -> tuple[float, float, int]:
    """p50 and p95 in ms over at most ``repeats`` requests or ``seconds``, after 2 warm-ups."""
    return paired_latency([(server, headers)], query, repeats, seconds)[0]


def paired_latency(sides: list[tuple[Server, dict[str, str]]], query: Query, repeats: int,
                   seconds: float) -> list[tuple[float, float, int]]:
    """p50/p95 in ms and answer size for each side, their requests taken in turns (the
    order swapped every round) so that both meet the same machine state; at most
    ``repeats`` rounds or ``seconds``, after 2 warm-ups each."""
    conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
             for server, _ in sides]
    times: list[list[float]] = [[] for _ in sides]
    sizes = [0] * len(sides)
    try:
        for index, (server, headers) in enumerate(sides):
            for _ in range(2):
                status, body = server.get(query.text, query.accept, headers, conns[index])
                if status != 200:
                    raise RuntimeError(f"{server.name} answered {status} to {query.name}: "
                                       f"{body[:300]!r}")
                sizes[index] = len(body)
        stop = time.monotonic() + seconds * len(sides)
        rounds = 0
        while rounds < repeats and time.monotonic() < stop:
            order = list(range(len(sides)))
            if rounds % 2:
                order.reverse()
            for index in order:
                server, headers = sides[index]
                start = time.perf_counter()
                server.get(query.text, query.accept, headers, conns[index])
                times[index].append((time.perf_counter() - start) * 1000)
            rounds += 1
    finally:
        for conn in conns:
            conn.close()
    out = []
    for index, series in enumerate(times):
        series.sort()
        out.append((statistics.median(series), series[max(0, int(len(series) * 0.95) - 1)],
                    sizes[index]))
    return out


def wrk_rps(server: Server, query: Query, concurrency: int, seconds: float,
            headers: dict[str, str]) -> float:
    command = ["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", f"-d{seconds:g}s",
               "-H", f"Accept: {query.accept}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{server.port}{server.url(query.text)}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          check=True)
    if "Non-2xx" in done.stdout:
        raise RuntimeError(f"{server.name} answered errors under load:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise RuntimeError(f"wrk printed no rate:\n{done.stdout}")
    return float(found.group(1))


def python_rps(server: Server, query: Query, concurrency: int, seconds: float,
               headers: dict[str, str]) -> float:
    counts = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while time.monotonic() < stop:
            server.get(query.text, query.accept, headers, conn)
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return sum(counts) / seconds


def first_iri(server: Server, text: str) -> str:
    import json

    status, body = server.get(PREFIXES + text, SELECT_JSON)
    rows = json.loads(body)["results"]["bindings"] if status == 200 else []
    if not rows:
        raise RuntimeError(f"the store has no answer to {text}")
    return str(rows[0]["x"]["value"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=int, default=10000,
                        help="generated datasets loaded on top of the demo (0: demo only)")
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per query")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="seconds per latency series and per throughput run")
    args = parser.parse_args()
    rate: Callable[[Server, Query, int, float, dict[str, str]], float]
    rate, generator = (wrk_rps, "wrk") if shutil.which("wrk") else (
        python_rps, "a Python thread pool (install Debian's wrk: the client may be the limit)")
    with tempfile.TemporaryDirectory(prefix="kg-bench-http-") as tmp:
        store, copy = Path(tmp) / "store", Path(tmp) / "oxigraph-copy"
        started = time.perf_counter()
        build_store(store, args.datasets)
        shutil.copytree(store, copy)
        print(f"store: demo + {args.datasets} generated datasets, units from "
              f"{'../shared (full official list)' if SHARED_UNITS.is_dir() else 'the table'}; "
              f"built in {time.perf_counter() - started:.0f} s; load generator: {generator}")
        kg_port, ox_port = free_port(), free_port()
        servers: list[Server] = []
        try:
            log = Path(tmp) / "kg-serve.log"
            servers.append(Server.launch(
                "kg", [*KG, "--store", str(store), "serve",
                       "--port", str(kg_port), "--query-timeout", "120"],
                kg_port, "/sparql", {}, log))
            servers.append(Server.launch(
                "oxigraph", [*oxigraph_command(), "serve", "--location", str(copy), "--bind",
                             f"127.0.0.1:{ox_port}"],
                ox_port, "/query", {"union-default-graph": ""}, Path(tmp) / "oxigraph.log"))
            found = re.search(r"engine http://127\.0\.0\.1:(\d+)", log.read_text())
            if found is None:
                raise RuntimeError(f"kg serve did not name its engine:\n{log.read_text()}")
            # kg's own `oxigraph serve`: the same process and store, so kg/engine is what the
            # web layer adds and nothing else.
            engine = Server("engine", int(found.group(1)), "/query",
                            {"union-default-graph": ""})
            run(servers[0], servers[1], engine, args, rate)
        finally:
            for server in servers:
                server.stop()


def run(kg: Server, ox: Server, engine: Server, args: argparse.Namespace,
        rate: Callable[[Server, Query, int, float, dict[str, str]], float]) -> None:
    fresh = {"Cache-Control": "no-cache"}
    mix = query_mix(
        first_iri(ox, "SELECT ?x { ?x a dcat:Dataset } ORDER BY ?x LIMIT 1"),
        first_iri(ox, 'SELECT ?x { ?x skos:notation "01" ; skos:broader* ?top } LIMIT 1'),
        first_iri(ox, "SELECT ?x { ?x org:hasSubOrganization ?c FILTER NOT EXISTS "
                  "{ ?x org:subOrganizationOf ?p } } LIMIT 1"))
    print(f"\n{'query':34} {'bytes':>9} {'oxigraph p50/p95':>17} {'kg p50/p95':>17} "
          f"{'kg/ox p50':>9} {'engine p50':>10} {'kg/engine':>9} {'cached p50':>10} "
          f"{'ox/cached':>9}")
    slow_ratios: list[float] = []
    slow_engine: list[float] = []
    cache_ratios: list[float] = []
    slow_cached: list[float] = []
    for query in mix:
        (ox50, ox95, size), (kg50, kg95, _), (en50, _, _) = paired_latency(
            [(ox, {}), (kg, fresh), (engine, {})], query, args.repeats, args.seconds)
        hit50, _, _ = latency(kg, query, args.repeats, args.seconds, {})
        ratio, speedup = kg50 / ox50, ox50 / hit50
        if ox50 > 10:
            slow_ratios.append(ratio)
            slow_engine.append(kg50 / en50)
            slow_cached.append(speedup)
        cache_ratios.append(speedup)
        print(f"{query.name:34} {size:>9} {ox50:>8.2f}/{ox95:<8.2f} {kg50:>8.2f}/{kg95:<8.2f} "
              f"{ratio:>8.2f}x {en50:>10.2f} {kg50 / en50:>8.2f}x {hit50:>9.2f} "
              f"{speedup:>8.1f}x")
    lookup = mix[0]
    print(f"\nrequests/s, '{lookup.name}', {args.seconds:g} s per run")
    print(f"{'concurrency':>11} {'oxigraph':>10} {'kg':>10} {'kg/ox':>7} {'kg cached':>10} "
          f"{'cached/ox':>9}")
    at16 = hit16 = 0.0
    for concurrency in (1, 4, 16):
        ox_rate = rate(ox, lookup, concurrency, args.seconds, {})
        kg_rate = rate(kg, lookup, concurrency, args.seconds, fresh)
        hit_rate = rate(kg, lookup, concurrency, args.seconds, {})
        if concurrency == 16:
            at16, hit16 = kg_rate / ox_rate, hit_rate / ox_rate
        print(f"{concurrency:>11} {ox_rate:>10.0f} {kg_rate:>10.0f} {kg_rate / ox_rate:>6.2f}x "
              f"{hit_rate:>10.0f} {hit_rate / ox_rate:>8.2f}x")
    print("\ntargets")
    worst = max(slow_ratios) if slow_ratios else None
    print("  queries > 10 ms on oxigraph, kg p50 within 1.1x: "
          + (f"worst {worst:.2f}x over {len(slow_ratios)} queries -> "
             f"{'met' if worst <= 1.1 else 'NOT met'}" if worst is not None
             else "no query took > 10 ms here (load more datasets)"))
    if slow_engine:
        print(f"    against kg's own engine (same process and store, so only what the web "
              f"layer adds): worst {max(slow_engine):.2f}x -> "
              f"{'met' if max(slow_engine) <= 1.1 else 'NOT met'}; two processes on two "
              "copies of one store differ by up to 10% between runs here")
    print(f"  trivial lookup at c16, kg >= 0.3x oxigraph req/s: repeated (front cache) "
          f"{hit16:.2f}x -> {'met' if hit16 >= 0.3 else 'NOT met'}; every request to the "
          f"engine (no-cache) {at16:.2f}x -> {'met' if at16 >= 0.3 else 'NOT met'}")
    print(f"  cached repeats >= 10x faster than oxigraph: queries > 10 ms: slowest "
          f"{min(slow_cached or [0]):.1f}x -> "
          f"{'met' if min(slow_cached or [0]) >= 10 else 'NOT met'}; all queries: slowest "
          f"{min(cache_ratios):.1f}x, median {statistics.median(cache_ratios):.1f}x "
          "(a sub-millisecond lookup cannot be answered 10x faster over HTTP)")


if __name__ == "__main__":
    main()
