"""Latency of the browse UI's pages and of search, at 10k and 100k generated datasets.

For each size a store is built (demo + generated catalogue, loaded with `kg` so the search
index is built as in production) and served by ``kg serve`` on 127.0.0.1. Each page type is
requested sequentially (different records where the type has many), after warm-up requests;
p50/p95 per type are printed with the targets (pages p95 < 100 ms, search p95 < 50 ms at 10k).
Every loop is bounded in count and seconds; the server is stopped by its process group.
Usage: python bench/pages.py [--sizes 10000 100000] [--repeats 40] [--seconds 10]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import http.client
import json
import random
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from common import ENV, KG, ROOT, build_store

SEARCHES = ["khong khi", "dong thap", "điện mặt trời", "ha noi", "giao duc", "nano",
            "quy hoach do thi", "tiem chung", "chuyen doi so", "lua"]


def serve(store: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*KG, "--store", str(store), "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=ENV, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/search.json?limit=1")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError("kg serve did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    from web.engine import stop_group

    stop_group(proc, timeout=20)


def fetch(port: int, path: str, conn: http.client.HTTPConnection | None = None
          ) -> tuple[int, bytes]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept": "text/html"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        if own:
            conn.close()


def measure(port: int, paths: list[str], repeats: int, seconds: float) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for path in paths[:2]:
        status, body = fetch(port, path, conn)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
    times: list[float] = []
    stop_at = time.monotonic() + seconds
    while len(times) < repeats and time.monotonic() < stop_at:
        path = paths[len(times) % len(paths)]
        start = time.perf_counter()
        status, _ = fetch(port, path, conn)
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    conn.close()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def doc(iri: str) -> str:
    return urllib.parse.urlsplit(iri).path.replace("/id/", "/doc/", 1)


def page_types(port: int) -> dict[str, list[str]]:
    rng = random.Random(2025)
    datasets = json.loads(fetch(port, "/search.json?kind=dataset&limit=200")[1])["results"]
    orgs = json.loads(fetch(port, "/search.json?kind=organisation&limit=50")[1])["results"]
    places = json.loads(fetch(port, "/search.json?kind=place&limit=200")[1])["results"]
    theme = json.loads(fetch(port, "/search.json?kind=dataset&limit=1")[1])["facets"]["theme"]
    return {
        "home": ["/"],
        "dataset page": [doc(d["iri"]) for d in rng.sample(datasets, min(40, len(datasets)))],
        "organisation page": [doc(o["iri"]) for o in orgs],
        "place page": [doc(p["iri"]) for p in rng.sample(places, min(40, len(places)))],
        "concept page": ["/doc/concept/fos/1", "/doc/concept/fos/2.2", "/doc/concept/org-kind/"
                         "national-association"],
        "scheme page": ["/doc/scheme/fields-of-science", "/doc/scheme/admin-units-2025"],
        "organisations tree": ["/organisations"],
        "places list": ["/places"],
        "vocabularies": ["/vocab"],
        "sparql editor": ["/sparql"],
        "search (text)": ["/search?" + urllib.parse.urlencode({"q": q}) for q in SEARCHES],
        "search (text+facets)": ["/search?" + urllib.parse.urlencode(
            {"q": q, "kind": "dataset", "theme": t["value"]}) for q in SEARCHES[:3]
            for t in theme[:3]],
        "search (browse all)": ["/search?kind=dataset", "/search"],
        "search json": ["/search.json?" + urllib.parse.urlencode({"q": q}) for q in SEARCHES],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="kg-bench-pages-") as tmp:
            store = Path(tmp) / "store"
            started = time.perf_counter()
            build_store(store, size)
            built = time.perf_counter() - started
            index = Path(f"{store.resolve()}-search.sqlite")
            from web.engine import free_port

            port = free_port()
            proc = serve(store, port)
            try:
                results[size] = {name: measure(port, paths, args.repeats, args.seconds)
                                 for name, paths in page_types(port).items()}
            finally:
                stop(proc)
            print(f"{size} datasets: store built and indexed in {built:.0f} s; search index "
                  f"{index.stat().st_size / 2**20:.1f} MiB")
            for name, (p50, p95) in results[size].items():
                print(f"  {name:24} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    names = list(next(iter(results.values())))
    print(f"\n{'page':24}" + "".join(f"{f'{s} p50/p95 ms':>22}" for s in results))
    for name in names:
        print(f"{name:24}" + "".join(f"{results[s][name][0]:>12.1f}/{results[s][name][1]:<9.1f}"
                                     for s in results))
    if 10000 in results:
        at10k = results[10000]
        pages = max(p95 for name, (_, p95) in at10k.items() if not name.startswith("search"))
        search = max(p95 for name, (_, p95) in at10k.items() if name.startswith("search"))
        print(f"\ntargets at 10k: pages p95 < 100 ms: worst {pages:.1f} ms -> "
              f"{'met' if pages < 100 else 'NOT met'}; search p95 < 50 ms: worst {search:.1f} ms"
              f" -> {'met' if search < 50 else 'NOT met'}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    main()
