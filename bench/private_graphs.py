"""Why organisations' private graphs (drafts, withheld URLs, the audit) live in a store of
their own: queries on the demo store (300 datasets, one organisation publishing) as everybody
reads them, on the union of all graphs (what the public store answers with), against the
same queries on an explicit list of the public graphs (what keeping private graphs in the
same store and leaving them out of every public query would cost), embedded and through
`oxigraph serve` (the engine of `kg serve`).

Every loop is bounded in count and seconds; the server is stopped by its process group.
Usage: python bench/private_graphs.py [--seconds 3]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ENV, KG, ROOT

sys.path.insert(0, str(ROOT))
from pyoxigraph import DefaultGraph, Literal, NamedNode, Triple

from graph.namespaces import DCAT, DCT, RDF, XSD
from graph.private_store import private_store
from graph.publication import catalog_graph
from graph.store import GraphStore, Provenance, StoreError, open_store
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


def timed(store: GraphStore, sparql: str, seconds: float, dataset: dict[str, Any]) -> float:
    """Median milliseconds of ``sparql`` over at most ``seconds`` (and MAX_RUNS runs)."""
    times: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(times) < MAX_RUNS:
        started = time.perf_counter()
        list(store.query(sparql, **dataset))  # type: ignore[call-overload]
        times.append(time.perf_counter() - started)
    times.sort()
    return 1000 * times[len(times) // 2]


def publication() -> list[Triple]:
    """One organisation's catalogue: 20 datasets, half of them drafts."""
    org = NamedNode("https://data.vusta.vn/id/org/hoi-tin-hoc")
    found = []
    for n in range(20):
        ds = NamedNode(f"https://data.vusta.vn/id/dataset/hoi-tin-hoc/bench-{n}")
        found += [Triple(ds, RDF.type, DCAT.Dataset), Triple(ds, DCT.publisher, org),
                  Triple(ds, DCT.title, Literal(f"Tập {n}", language="vi")),
                  Triple(ds, DCT.description, Literal("Thử", language="vi"))]
        if n % 2:
            found.append(Triple(ds, NamedNode("https://data.vusta.vn/def/kg#draft"),
                                Literal("true", datatype=XSD.boolean)))
    return found


def compare(label: str, store: GraphStore, seconds: float) -> None:
    graphs = store.visible_graphs()
    listed = {"default_graph": [DefaultGraph(), *graphs], "named_graphs": graphs}
    union = {name: timed(store, sparql, seconds, {}) for name, sparql in QUERIES.items()}
    explicit = {name: timed(store, sparql, seconds, listed) for name, sparql in QUERIES.items()}
    print(f"{label} ({len(graphs)} public graphs), median per query:")
    print("  union of all graphs   " + "  ".join(f"{n} {union[n]:7.2f} ms" for n in QUERIES))
    print("  listed public graphs  " + "  ".join(f"{n} {explicit[n]:7.2f} ms" for n in QUERIES))
    print("  ratio listed / union  " + "  ".join(f"{n} {explicit[n] / union[n]:7.2f}x"
                                                  for n in QUERIES))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store"
        subprocess.run([*KG, "--store", str(path), "demo"], check=True, env=ENV,
                       capture_output=True, timeout=300)
        store = open_store(path)
        ingest(store, "catalog", publication(), Provenance("bench", "publication"),
               graph=catalog_graph("hoi-tin-hoc"))
        private = {g.value for g in private_store(store).visible_graphs()}
        assert not private & {g.value for g in store.visible_graphs()}
        compare("embedded", store, args.seconds)
        store.close()
        port = free_port()
        server = subprocess.Popen([*oxigraph_command(), "serve-read-only", "--location",
                                   str(path), "--bind", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            remote = open_store(f"http://127.0.0.1:{port}")
            for _ in range(100):
                try:
                    remote.revision()
                    break
                except StoreError:
                    time.sleep(0.1)
            compare("oxigraph serve", remote, args.seconds)
        finally:
            stop_group(server)


if __name__ == "__main__":
    main()
