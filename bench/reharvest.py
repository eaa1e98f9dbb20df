"""A DCAT source of the generated 10k- and 100k-dataset catalogues harvested over HTTP on
127.0.0.1, in the same run:

- the first harvest (fetch, parse, read as the profile, gate, write, change record),
- a re-harvest after 1 % of the datasets changed at the source (their titles edited),
- a re-run on the unchanged source (If-None-Match: 304, skipped),
- and, to compare, ``kg load catalog`` of the same file and its reload with the same 1 %
  changed (what a source cost before harvesting existed).

Prints seconds, peak RSS and the ratios. Targets (issue 17): the 1 % re-harvest at 100k within
0.25x the first harvest's time, in < 2 GiB RSS. Usage: python bench/reharvest.py [--sizes
10000 100000] [--no-load]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import hashlib
import http.server
import shutil
import tempfile
import threading
from pathlib import Path

from common import build_store, corpus, measured

TITLE = "<http://purl.org/dc/terms/title>"
HARVEST = """
from graph.store import open_store
from loaders.harvest import harvest
from loaders.harvest_sources import HarvestSource, add_source, list_sources
from loaders.safe_http import Limits
s = open_store({store!r})
if not list_sources(s):
    add_source(s, HarvestSource("bench", "Bench", "dcat", {url!r}, "vusta", allow_private=True))
o = harvest(s, list_sources(s)[0], limits=Limits(max_bytes=4 << 30, timeout=600,
                                                 allow_private=True))
s.close()
result = {{"seen": o.seen, "loaded": o.loaded, "quarantined": len(o.quarantined),
           "skipped": o.skipped}}
"""
LOAD = """
from web.cli import kg
kg.main(["--store", {store!r}, "load", "catalog", {path!r}], standalone_mode=False)
result = {{}}
"""


def changed_copy(path: Path, every: int = 100) -> Path:
    """The catalogue with every ``every``-th dataset's title edited."""
    out = path.with_name(path.stem + f"-changed-{every}.nt")
    if out.exists():
        return out
    seen: set[str] = set()
    with path.open(encoding="utf-8") as source, out.open("w", encoding="utf-8") as target:
        for line in source:
            subject, predicate, rest = line.split(" ", 2)
            if predicate == TITLE and "/id/dataset/" in subject and subject not in seen:
                seen.add(subject)
                if len(seen) % every == 0:
                    edited = rest.replace('"@', ' (sửa)"@', 1)
                    line = f"{subject} {predicate} {edited}"
            target.write(line)
    return out


class Source:
    """One N-Triples file over HTTP with an ETag, the file swappable between runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/catalog.nt"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                stat = source.path.stat()
                tag = '"' + hashlib.sha256(f"{source.path}{stat.st_mtime_ns}".encode()
                                           ).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/n-triples")
                self.send_header("Content-Length", str(stat.st_size))
                self.send_header("ETag", tag)
                self.end_headers()
                with source.path.open("rb") as body:
                    shutil.copyfileobj(body, self.wfile, 1 << 20)

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-load", action="store_true", help="skip the kg load comparison")
    args = parser.parse_args()
    for size in args.sizes:
        path = corpus(size)
        changed = changed_copy(path)
        tmp = Path(tempfile.mkdtemp(prefix="kg-bench-"))
        source = Source(path)
        try:
            build_store(tmp / "h", 0)
            first = measured(HARVEST.format(store=str(tmp / "h"), url=source.url))
            source.path = changed
            again = measured(HARVEST.format(store=str(tmp / "h"), url=source.url))
            same = measured(HARVEST.format(store=str(tmp / "h"), url=source.url))
            load = reload = None
            if not args.no_load:
                build_store(tmp / "l", 0)
                load = measured(LOAD.format(store=str(tmp / "l"), path=str(path)))
                reload = measured(LOAD.format(store=str(tmp / "l"), path=str(changed)))
        finally:
            source.close()
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"\n== {size:,} datasets ({path.stat().st_size / 2**20:,.0f} MiB N-Triples) ==")
        print(f"{'step':<42}{'seconds':>9}{'peak RSS MiB':>14}  records")
        steps = [("first harvest", first), ("re-harvest, 1 % changed", again),
                 ("re-run, unchanged (304)", same)]
        if load and reload:
            steps += [("kg load catalog (first)", load), ("kg load reload, 1 % changed", reload)]
        for name, step in steps:
            records = (f"seen {step['seen']:,}, loaded {step['loaded']:,}, quarantined "
                       f"{step['quarantined']:,}{', skipped' if step['skipped'] else ''}"
                       if "seen" in step else "")
            print(f"{name:<42}{step['seconds']:>9.2f}{step['rss_mib']:>14,.0f}  {records}")
        print(f"ratio re-harvest / first harvest: {again['seconds'] / first['seconds']:.2f}x "
              "(target <= 0.25x)")
        if load and reload:
            print(f"ratio re-harvest / kg load reload: {again['seconds'] / reload['seconds']:.2f}x")
    print("\nTarget: re-harvest peak RSS < 2048 MiB at 100k.")


if __name__ == "__main__":
    main()
