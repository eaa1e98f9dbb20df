"""`kg demo`: the vocabularies, administrative units, demo organisations and catalogue."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path

from graph.quality import TOTAL_MAXIMUM
from graph.store import GraphInfo, GraphStore, Provenance
from loaders.admin_units import AdminUnitReport, read_admin_units, read_province_table
from loaders.demo_catalog import generate_catalog
from loaders.fetch import local_copy
from loaders.ingest import ingest
from loaders.organisations import OrganisationReport, read_organisations
from loaders.quality import refresh_quality
from loaders.reference import UnitIndex
from loaders.vocabularies import load_vocabularies

DEMO_DATASETS = 300


@dataclass
class DemoResult:
    graphs: list[GraphInfo] = field(default_factory=list)
    units: AdminUnitReport | None = None
    organisations: OrganisationReport | None = None


def load_admin_units(store: GraphStore, location: str | None) -> tuple[GraphInfo, AdminUnitReport]:
    """The official list from ``location`` (folder, archive or URL), else the provinces table."""
    if location is None:
        units = read_province_table()
        info = ingest(store, "admin-units", units.triples, Provenance(
            "admin-units", "loaders/data/provinces.csv", "Provinces (project table)")).info
        return info, units.report
    with local_copy(location) as folder:
        units = read_admin_units(folder)
        info = ingest(store, "admin-units", units.triples, Provenance(
            "admin-units", location, "Official GSO administrative units")).info
    return info, units.report


def load_demo(store: GraphStore, admin_units: str | None,
              say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Load everything a newcomer needs to see the service working."""
    result = DemoResult()
    result.graphs += load_vocabularies(store)
    say(f"vocabularies: {len(result.graphs)} graphs")
    info, result.units = load_admin_units(store, admin_units)
    result.graphs.append(info)
    say(f"administrative units: {info.triples} triples")
    index = UnitIndex.from_store(store)
    with as_file(files("loaders.data") / "demo-organisations.csv") as path:
        orgs = read_organisations(Path(path), index, label="demo-organisations.csv")
        publishers = _identifiers(Path(path))
    result.organisations = orgs.report
    result.graphs.append(ingest(store, "demo-organisations", orgs.triples, Provenance(
        "orgs", "loaders/data/demo-organisations.csv", "Demo organisation registry (not real)"
    )).info)
    say(f"organisations: {orgs.report.organisations}")
    provinces = [u.iri for u in index.units.values()
                 if u.edition == "2025" and u.level == "province"]
    result.graphs.append(ingest(
        store, "demo-catalog",
        generate_catalog(DEMO_DATASETS, publishers, sorted(provinces, key=lambda n: n.value)),
        Provenance("catalog", "loaders/demo_catalog.py (seed 2025)", "Demo catalogue (not real)"),
    ).info)
    say(f"catalogue: {DEMO_DATASETS} demo datasets")
    summary = refresh_quality(store)
    say(f"metadata quality: mean {summary.overall['total']:.0f}/{TOTAL_MAXIMUM} points")
    return result


def _identifiers(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [row["id"] for row in csv.DictReader(handle)]
