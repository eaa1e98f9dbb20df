"""Shared by the benchmarks: the generated corpora and running one measured step per process."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
SHARED_UNITS = ROOT.parent / "shared" / "data" / "vn-admin-units"


def corpus(datasets: int) -> Path:
    """The seeded demo catalogue with ``datasets`` datasets as N-Triples (generated once)."""
    sys.path.insert(0, str(ROOT))
    from graph.namespaces import unit_iri
    from loaders.demo_catalog import write_catalog

    OUT.mkdir(exist_ok=True)
    path = OUT / f"catalog-{datasets}.nt"
    if not path.exists():
        table = (files("loaders.data") / "provinces.csv").read_text(encoding="utf-8")
        provinces = [unit_iri("2025", "province", row["code"])
                     for row in csv.DictReader(table.splitlines()) if row["edition"] == "2025"]
        orgs = (files("loaders.data") / "demo-organisations.csv").read_text(encoding="utf-8")
        publishers = [row["id"] for row in csv.DictReader(orgs.splitlines())]
        write_catalog(path, datasets, publishers, provinces)
    return path


def measured(code: str, timeout: float = 1800) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; it must set ``result`` (a dict). Adds seconds and
    peak RSS (MiB) of that process alone."""
    wrapper = (
        "import json, resource, time, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "result['seconds'] = time.perf_counter() - start\n"
        "result['rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(result))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# The checkout's `kg`, whether or not it is installed.
KG = [sys.executable, "-c", "from web.cli import kg; kg()"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def build_store(folder: Path, datasets: int) -> None:
    """An on-disk store: the demo (with the official units when ../shared has them) and
    ``datasets`` generated datasets, loaded through `kg` as a user would (index included)."""
    kg, env = KG, ENV
    # The checkout as working folder: bench/ would again hide the standard library's `http`.
    demo = [*kg, "--store", str(folder), "demo"]
    if SHARED_UNITS.is_dir():
        demo += ["--admin-units", str(SHARED_UNITS)]
    subprocess.run(demo, check=True, env=env, stdout=subprocess.DEVNULL, timeout=1800, cwd=ROOT)
    if datasets:
        subprocess.run([*kg, "--store", str(folder), "load", "catalog", str(corpus(datasets))],
                       check=True, env=env, stdout=subprocess.DEVNULL, timeout=1800, cwd=ROOT)
