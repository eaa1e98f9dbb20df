"""Full validation of the generated 10k- and 100k-dataset catalogues, in the same run:

- fast path, end to end as the gate of ``kg load`` runs it on an on-disk store holding the
  vocabularies and provinces: parse + compiled SHACL in Oxigraph (a catalogue that fits is
  checked in memory beside copies of what it points to, as ``kg validate`` does; a bigger one
  is staged on disk), then, timed apart, writing it to disk and committing;
- the same in an in-memory store;
- pyshacl, end to end: rdflib parse + pyshacl (capped with --pyshacl-max, 10k by default),
  and whether it reports exactly what the gate reports on the catalogue's records;
- re-validating one changed dataset (and its distributions) in the big catalogue.

Prints seconds, peak RSS and the ratios. Usage: python bench/validate.py [--sizes 10000 100000]
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import shutil

from common import corpus, measured

SETUP = """
from pathlib import Path
from pyoxigraph import RdfFormat
from graph.namespaces import graph_iri
from graph.store import open_store, Provenance, RdfFile
from graph.validation import reach, validate
from loaders.admin_units import read_province_table
from loaders.vocabularies import load_vocabularies
from loaders.ingest import ingest
store = open_store({store!r})
load_vocabularies(store)
ingest(store, "admin-units", read_province_table().triples, Provenance("admin-units", "t"))
"""
FAST = SETUP + """
import hashlib, json, time
start = time.perf_counter()
found = []
def gate(staging):
    found.append(validate(staging, graph=staging.name))
    found.append(time.perf_counter() - start)
store.replace_graph(graph_iri("catalog"), RdfFile(Path({path!r}), RdfFormat.N_TRIPLES),
                    Provenance("catalog", "bench"), check=gate, reach=reach())
report, checked = found
keys = sorted(json.dumps(r.key()) for r in report.results)
result = {{"checked": checked, "timed": time.perf_counter() - start, "results": len(keys),
           "violations": report.count("Violation"),
           "digest": hashlib.sha256("\\n".join(keys).encode()).hexdigest()}}
"""
COMPARE = SETUP + """
import json, hashlib
store.replace_graph(graph_iri("catalog"), RdfFile(Path({path!r}), RdfFormat.N_TRIPLES),
                    Provenance("catalog", "bench"))
keys = sorted(json.dumps(r.key()) for r in validate(store).results)
result = {{"digest": hashlib.sha256("\\n".join(keys).encode()).hexdigest(), "results": len(keys)}}
"""
PYSHACL = SETUP + """
import io, json, hashlib, time
import rdflib
from graph.validation import validate_with_pyshacl
reference = io.BytesIO()
store.dump(reference)
start = time.perf_counter()
data = rdflib.Graph()
for s, p, o, _ in rdflib.Dataset().parse(data=reference.getvalue(), format="nquads").quads():
    data.add((s, p, o))
data.parse({path!r}, format="nt")
results = validate_with_pyshacl(data)
timed = time.perf_counter() - start
keys = sorted(json.dumps(r.key()) for r in results)
with open({path!r}, "rb") as lines:
    records = {{line.split(b" ", 1)[0].decode() for line in lines}}
mine = [key for key in keys if json.loads(key)[0] in records]
result = {{"timed": timed, "results": len(keys),
           "digest": hashlib.sha256("\\n".join(keys).encode()).hexdigest(),
           "catalogue_digest": hashlib.sha256("\\n".join(mine).encode()).hexdigest()}}
"""
INCREMENTAL = SETUP + """
import statistics, time
from pyoxigraph import Literal
store.replace_graph(graph_iri("catalog"), RdfFile(Path({path!r}), RdfFormat.N_TRIPLES),
                    Provenance("catalog", "bench"))
dataset = "<https://data.vusta.vn/id/dataset/ds-{middle:06d}>"
focus = [dataset, "<https://data.vusta.vn/id/distribution/ds-{middle:06d}-1>",
         "<https://data.vusta.vn/id/distribution/ds-{middle:06d}-2>"]
times = []
for attempt in range(20):
    title = f"'Sửa {{attempt}}'@vi"
    store.update(f"DELETE {{{{ GRAPH ?g {{{{ {{dataset}} dct:title ?t }}}} }}}} "
                 f"INSERT {{{{ GRAPH ?g {{{{ {{dataset}} dct:title {{title}} }}}} }}}} WHERE "
                 f"{{{{ GRAPH ?g {{{{ {{dataset}} dct:title ?t FILTER(LANG(?t) = 'vi') }}}} }}}}")
    start = time.perf_counter()
    report = validate(store, focus=focus)
    times.append(time.perf_counter() - start)
result = {{"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000,
           "results": len(report.results)}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--pyshacl-max", type=int, default=10_000)
    args = parser.parse_args()
    import tempfile
    from pathlib import Path

    for size in args.sizes:
        path = str(corpus(size))
        tmp = Path(tempfile.mkdtemp(prefix="kg-validate-"))
        disk = measured(FAST.format(store=str(tmp / "disk"), path=path))
        memory = measured(FAST.format(store="memory", path=path))
        print(f"\n== {size:,} datasets ==")
        print(f"{'step':<50}{'seconds':>9}{'peak RSS MiB':>14}{'results':>9}")
        rows = [("gate: parse + validate (disk store)", disk["checked"], disk),
                ("gate, then write to disk and commit", disk["timed"], disk),
                ("parse + validate (memory store)", memory["checked"], memory)]
        for name, seconds, step in rows:
            print(f"{name:<50}{seconds:>9.2f}{step['rss_mib']:>14,.0f}{step['results']:>9}")
        if size <= args.pyshacl_max:
            reference = measured(PYSHACL.format(store="memory", path=path), timeout=3600)
            same = measured(COMPARE.format(store="memory", path=path))
            print(f"{'pyshacl, rdflib parse + validate':<50}{reference['timed']:>9.2f}"
                  f"{reference['rss_mib']:>14,.0f}{reference['results']:>9}")
            print(f"identical results, gate vs pyshacl on the catalogue's records: "
                  f"{disk['digest'] == reference['catalogue_digest']}")
            print(f"identical results, whole store, fast path vs pyshacl: "
                  f"{same['digest'] == reference['digest']}")
            print(f"ratio pyshacl / fast path: {reference['timed'] / disk['checked']:.1f}x "
                  f"(gate, disk store), {reference['timed'] / disk['timed']:.1f}x (gate and "
                  f"write), {reference['timed'] / memory['checked']:.1f}x (memory store)")
        one = measured(INCREMENTAL.format(store=str(tmp / "incremental"), path=path,
                                          middle=size // 2))
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"re-validate one changed dataset: median {one['median_ms']:.1f} ms, "
              f"max {one['max_ms']:.1f} ms ({int(one['results'])} results)")
    print("\nTargets: >= 10x faster than pyshacl end to end with identical results; one changed "
          "dataset in the 100k catalogue < 50 ms; 100k datasets validated in < 2048 MiB.")


if __name__ == "__main__":
    main()
