"""Load the generated 10k- and 100k-dataset catalogues three ways in the same run.

- ``kg load catalog`` (atomic, on disk, through the ingest pipeline: SHACL gate included,
  into a store that already holds the vocabularies and provinces it refers to),
- raw pyoxigraph ``bulk_load`` into an on-disk store (not atomic: the floor to compare with),
- rdflib ``Graph().parse`` (parse + add, in memory),

and, for ``kg``, a reload of the same source with 1 % more datasets (the atomic diff swap).
Prints triples/s, peak RSS and the ratios. Usage: python bench/load.py [--sizes 10000 100000]
[--rdflib-max N].
"""

from __future__ import annotations

import stdlib_first  # noqa: F401 - before anything imports `http`

import argparse
import shutil
import tempfile
from pathlib import Path

from common import corpus, measured

REFERENCE = """
from graph.store import open_store, Provenance
from loaders.admin_units import read_province_table
from loaders.vocabularies import load_vocabularies
from loaders.ingest import ingest
s = open_store({store!r})
load_vocabularies(s)
ingest(s, "admin-units", read_province_table().triples, Provenance("admin-units", "table"))
s.close()
result = {{"triples": 0}}
"""
KG = """
from web.cli import kg
kg.main(["--store", {store!r}, "load", "catalog", {path!r}], standalone_mode=False)
from graph.store import open_store
s = open_store({store!r})
result = {{"triples": sum(g.triples for g in s.graphs() if g.name.value.endswith("/catalog"))}}
s.close()
"""
RAW = """
from pyoxigraph import Store, RdfFormat, NamedNode
s = Store({store!r})
s.bulk_load(path={path!r}, format=RdfFormat.N_TRIPLES, to_graph=NamedNode("https://x.org/g"))
s.flush()
result = {{"triples": len(s)}}
"""
RDFLIB = """
import rdflib
g = rdflib.Graph()
g.parse({path!r}, format="nt")
result = {{"triples": len(g)}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rdflib-max", type=int, default=100_000,
                        help="skip rdflib above this many datasets (it needs ~6.4 GiB at 100k)")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        path = str(corpus(size))
        tmp = Path(tempfile.mkdtemp(prefix="kg-bench-"))
        try:
            measured(REFERENCE.format(store=str(tmp / "kg")))   # vocabularies + provinces
            kg = measured(KG.format(store=str(tmp / "kg"), path=path))
            raw = measured(RAW.format(store=str(tmp / "raw"), path=path))
            grown = str(corpus(size + size // 100))
            reload = measured(KG.format(store=str(tmp / "kg"), path=grown))
            lib = measured(RDFLIB.format(path=path)) if size <= args.rdflib_max else None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        rows.append((size, kg, raw, reload, lib))
        print_row(size, kg, raw, reload, lib)
    print("\nTargets: kg >= 0.5x raw bulk load, >= 2.5x rdflib; 100k catalogue < 2048 MiB.")


def rate(step: dict[str, float]) -> float:
    return step["triples"] / step["seconds"]


def print_row(size: int, kg: dict[str, float], raw: dict[str, float], reload: dict[str, float],
              lib: dict[str, float] | None) -> None:
    print(f"\n== {size:,} datasets, {int(kg['triples']):,} triples ==")
    print(f"{'step':<34}{'seconds':>9}{'triples/s':>12}{'peak RSS MiB':>14}")
    steps = [("kg load catalog (atomic, disk)", kg), ("pyoxigraph bulk_load (disk)", raw),
             ("kg reload +1% datasets (diff swap)", reload)]
    if lib:
        steps.append(("rdflib parse + add (memory)", lib))
    for name, step in steps:
        print(f"{name:<34}{step['seconds']:>9.2f}{rate(step):>12,.0f}{step['rss_mib']:>14,.0f}")
    print(f"ratio kg / raw bulk load: {rate(kg) / rate(raw):.2f}x")
    if lib:
        print(f"ratio kg / rdflib:        {rate(kg) / rate(lib):.2f}x")


if __name__ == "__main__":
    main()
