"""What harvesters and API clients read, on the demo store (300 datasets) with `kg serve`.

1. The route mix of issue 19 (a SPARQL lookup, two searches, a dataset page, a catalogue
   page, the home page, a facet query) at 16 keep-alive connections: requests/s, p50, p99
   (the issue measured 56 req/s, p50 109 ms, p99 1,550 ms before the answer cache; targets
   >= 5x that rate and p99 < 200 ms).
2. A repeated catalogue page against a repeated /sparql answer, sequentially (target: within
   2x).
3. The JSON list of 100 datasets, and a reconciliation batch of 100 names, p50/p95 at 16
   connections, each next to the same answer through /sparql; lists both as served
   (answer cache) and computed every time (``Cache-Control: no-cache``).

With ../shared present the store holds the official list of every unit (14,000 names to
reconcile against), else the project's province table. Every loop is bounded in count and
seconds; the server is stopped by its process group.
Usage: python bench/apis.py [--seconds 30] [--connections 16]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from common import ENV, KG, ROOT, SHARED_UNITS

sys.path.insert(0, str(ROOT))
from graph.text import fold
from web.engine import free_port, stop_group

PREFIXES = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")
Request = tuple[str, str, dict[str, str], bytes | None]   # method, path, headers, body


def sparql(text: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": PREFIXES + text})


def call(conn: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    method, path, headers, body = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, requests: list[Request], connections: int, seconds: float
         ) -> tuple[float, float, float, float, int]:
    """req/s, p50, p95, p99 (ms) and errors: each connection sends the list round and round."""
    times: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        position = index
        while time.monotonic() < stop and len(times[index]) < 100_000:
            started = time.perf_counter()
            status, _ = call(conn, requests[position % len(requests)])
            times[index].append((time.perf_counter() - started) * 1000)
            errors[index] += status != 200
            position += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    took = time.monotonic() - began
    every = sorted(t for series in times for t in series)
    if not every:
        raise RuntimeError("no request was answered")

    def at(q: float) -> float:
        return every[min(len(every) - 1, int(len(every) * q))]

    return len(every) / took, statistics.median(every), at(0.95), at(0.99), sum(errors)


def sequential(port: int, request: Request, repeats: int) -> float:
    """p50 in ms of ``repeats`` requests one after the other, after 3 warm-ups."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(3):
        status, body = call(conn, request)
        if status != 200:
            raise RuntimeError(f"{request[1]} answered {status}: {body[:200]!r}")
    series = []
    for _ in range(repeats):
        started = time.perf_counter()
        call(conn, request)
        series.append((time.perf_counter() - started) * 1000)
    conn.close()
    return statistics.median(series)


def get(path: str, accept: str = "*/*", fresh: bool = False) -> Request:
    headers = {"Accept": accept}
    if fresh:
        headers["Cache-Control"] = "no-cache"
    return ("GET", path, headers, None)


def first(port: int, text: str) -> list[dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    status, body = call(conn, get(sparql(text), "application/sparql-results+json"))
    conn.close()
    if status != 200:
        raise RuntimeError(body[:300])
    return [{k: v["value"] for k, v in row.items()}
            for row in json.loads(body)["results"]["bindings"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-apis-") as tmp:
        store = Path(tmp) / "store"
        demo = [*KG, "--store", str(store), "demo"]
        if SHARED_UNITS.is_dir():
            demo += ["--admin-units", str(SHARED_UNITS)]
        print(f"building the demo store ({'official units' if len(demo) > 5 else 'provinces'})")
        subprocess.run(demo, check=True, capture_output=True, timeout=1800, env=ENV, cwd=ROOT)
        port = free_port()
        proc = subprocess.Popen([*KG, "--store", str(store), "serve", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=ENV, cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    if call(conn, get("/health"))[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("kg serve did not start")
                time.sleep(0.2)
            run(port, args)
        finally:
            stop_group(proc, timeout=20)


def run(port: int, args: argparse.Namespace) -> None:
    dataset = first(port, "SELECT ?x WHERE { ?x a dcat:Dataset } ORDER BY ?x LIMIT 1")[0]["x"]
    lookup = sparql(f"SELECT ?p ?o WHERE {{ <{dataset}> ?p ?o }}")
    facet = sparql("SELECT ?theme (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; dcat:theme "
                   "?theme } GROUP BY ?theme ORDER BY DESC(?n)")
    doc = "/doc/" + dataset.split("/id/", 1)[1]
    mix = [get(lookup, "application/sparql-results+json"), get("/search?q=ha+noi"),
           get("/search?q=giao+duc&kind=dataset"), get(doc, "text/html"),
           get("/catalog?page=2", "text/turtle"), get("/", "text/html"),
           get(facet, "application/sparql-results+json")]
    print(f"\n1. route mix (7 routes) at {args.connections} connections, {args.seconds:g} s")
    rate, p50, p95, p99, errors = load(port, mix, args.connections, args.seconds)
    print(f"   {rate:,.0f} req/s ({rate / 56:.1f}x the issue's 56 req/s; target >= 5x)  "
          f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms (target < 200)  "
          f"errors {errors}")

    print("\n2. repeated answers, sequential p50")
    page = sequential(port, get("/catalog?page=2", "text/turtle"), args.repeats)
    answer = sequential(port, get(lookup, "application/sparql-results+json"), args.repeats)
    print(f"   /catalog?page=2 {page:.2f} ms   /sparql lookup {answer:.2f} ms   "
          f"ratio {page / answer:.2f} (target <= 2)")

    print(f"\n3. JSON API and reconciliation at {args.connections} connections, p50/p95 ms")
    listing = get("/api/v1/datasets?limit=100&fields=title,modified", "application/json")
    same = sparql("SELECT ?d ?title ?modified WHERE { ?d a dcat:Dataset ; dct:title ?title "
                  "FILTER(LANG(?title) = 'vi') OPTIONAL { ?d dct:modified ?modified } } "
                  "ORDER BY DESC(?modified) LIMIT 100")
    seconds = max(5.0, args.seconds / 3)
    for name, request in (
            ("JSON list of 100 (cached)", listing),
            ("  same through /sparql (cached)", get(same, "application/sparql-results+json")),
            ("JSON list of 100 (computed)", get(listing[1], "application/json", fresh=True)),
            ("  same through /sparql (computed)",
             get(same, "application/sparql-results+json", fresh=True))):
        rate, p50, p95, _, errors = load(port, [request], args.connections, seconds)
        print(f"   {name:36} p50 {p50:7.1f}  p95 {p95:7.1f}  {rate:7,.0f} req/s  "
              f"errors {errors}")
    names = [row["name"] for row in first(
        port, "SELECT ?name WHERE { ?u a <https://data.vusta.vn/def/kg#AdministrativeUnit> ; "
              "skos:altLabel ?name FILTER(LANG(?name) = 'vi') } ORDER BY ?u LIMIT 100")]
    typed = [fold(n) if i % 2 else n for i, n in enumerate(names)]  # half without diacritics
    batch = json.dumps({f"q{i}": {"query": n, "type": "place"} for i, n in enumerate(typed)})
    reconcile = ("POST", "/reconcile", {"Content-Type": "application/x-www-form-urlencoded"},
                 urllib.parse.urlencode({"queries": batch}).encode())
    values = " ".join(json.dumps(n) + "@vi" for n in names)
    by_sparql = sparql(f"SELECT ?name ?u WHERE {{ VALUES ?name {{ {values} }} "
                       "?u skos:altLabel ?name }")
    sequential(port, reconcile, 1)  # the index is built on the first request
    for name, request in (("reconcile batch of 100 names", reconcile),
                          ("  exact labels through /sparql (computed)",
                           get(by_sparql, "application/sparql-results+json", fresh=True))):
        rate, p50, p95, _, errors = load(port, [request], args.connections, seconds)
        print(f"   {name:36} p50 {p50:7.1f}  p95 {p95:7.1f}  {rate:7,.0f} req/s  "
              f"errors {errors}")
    print("   (the /sparql line matches exact labels only: no folding of diacritics, no "
          "fuzzy scores, no former-unit rule)")


if __name__ == "__main__":
    main()
