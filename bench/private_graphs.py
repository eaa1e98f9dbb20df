"""What the public view costs once organisations publish: queries on the demo store (300
datasets) as everybody reads them, with no private graph (the store's union default graph)
and with one organisation's catalogue graph (drafts) in the store (an explicit list of the
public graphs), on the embedded store and through `oxigraph serve` (the engine of
`kg serve`).

Why: a private graph must stay out of every public answer, and Oxigraph's union default
graph cannot leave one out; listing the public graphs costs a lookup per graph per pattern.
Every loop is bounded in count and seconds; the server is stopped by its process group.
Usage: python bench/private_graphs.py [--seconds 3]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ENV, KG, ROOT

sys.path.insert(0, str(ROOT))
from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import DCAT, DCT, RDF, XSD
from graph.publication import catalog_graph
from graph.store import Provenance, StoreError, open_store
from graph.visibility import ReadView
from loaders.ingest import ingest
from web.engine import free_port, oxigraph_command, stop_group

QUERIES = {
    "lookup": "SELECT ?p ?o { <https://data.vusta.vn/id/dataset/ds-000181> ?p ?o }",
    "count": "SELECT (COUNT(?d) AS ?n) { ?d a dcat:Dataset }",
    "facet": "SELECT ?t (COUNT(?d) AS ?n) { ?d a dcat:Dataset ; dcat:theme ?t } GROUP BY ?t",
    "join": "SELECT ?d ?name { ?d a dcat:Dataset ; dct:publisher ?o . ?o skos:prefLabel ?name "
            "FILTER(lang(?name) = 'vi') } LIMIT 100",
}
MAX_RUNS = 2_000


def timed(view: ReadView, sparql: str, seconds: float) -> float:
    """Median milliseconds of ``sparql`` over at most ``seconds`` (and MAX_RUNS runs)."""
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(times) < MAX_RUNS:
        started = time.perf_counter()
        list(view.query(sparql))  # type: ignore[call-overload]
        times.append(time.perf_counter() - started)
    times.sort()
    return 1000 * times[len(times) // 2]


def draft_catalogue() -> list[Triple]:
    org = NamedNode("https://data.vusta.vn/id/org/hoi-tin-hoc")
    found = []
    for n in range(20):
        ds = NamedNode(f"https://data.vusta.vn/id/dataset/hoi-tin-hoc/draft-{n}")
        found += [Triple(ds, RDF.type, DCAT.Dataset), Triple(ds, DCT.publisher, org),
                  Triple(ds, DCT.title, Literal(f"Nháp {n}", language="vi")),
                  Triple(ds, DCT.description, Literal("Nháp", language="vi")),
                  Triple(ds, NamedNode("https://data.vusta.vn/def/kg#draft"),
                         Literal("true", datatype=XSD.boolean))]
    return found


def measure(label: str, store: object, seconds: float) -> dict[str, float]:
    view = ReadView(store)  # type: ignore[arg-type]
    figures = {name: timed(view, sparql, seconds) for name, sparql in QUERIES.items()}
    print(f"  {label:<34}" + "  ".join(f"{n} {ms:7.2f} ms" for n, ms in figures.items()))
    return figures


def served(path: Path, label: str, seconds: float) -> dict[str, float]:
    """The same through `oxigraph serve-read-only` on the store at ``path``."""
    port = free_port()
    server = subprocess.Popen([*oxigraph_command(), "serve-read-only", "--location", str(path),
                               "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        store = open_store(f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                store.revision()
                break
            except StoreError:
                time.sleep(0.1)
        return measure(label, store, seconds)
    finally:
        stop_group(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store"
        subprocess.run([*KG, "--store", str(path), "demo"], check=True, env=ENV,
                       capture_output=True, timeout=300)
        print("median per query, as everybody reads (ReadView):")
        store = open_store(path)
        before = measure("embedded, no private graph", store, args.seconds)
        store.close()
        untouched = Path(folder) / "untouched"
        shutil.copytree(path, untouched)
        store = open_store(path)
        ingest(store, "catalog", draft_catalogue(), Provenance("bench", "drafts"),
               graph=catalog_graph("hoi-tin-hoc"))
        after = measure("embedded, one catalogue graph", store, args.seconds)
        store.close()
        served_before = served(untouched, "oxigraph serve, no private graph", args.seconds)
        served_after = served(path, "oxigraph serve, one catalogue graph", args.seconds)
        for label, one, other in (("embedded", before, after),
                                  ("oxigraph serve", served_before, served_after)):
            print(f"ratio with a catalogue graph / without ({label}): " + "  ".join(
                f"{name} {other[name] / one[name]:.2f}x" for name in QUERIES))


if __name__ == "__main__":
    main()
