"""Metadata quality into the graph as W3C DQV measurements (the `quality` source)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import DQV, KG, PROV, RDF, XSD
from graph.quality import (
    DIMENSIONS,
    DatasetQuality,
    dataset_scores,
    mean_points,
    publisher_scores,
)
from graph.store import GraphStore, Provenance, solutions
from graph.validation import validate
from loaders.ingest import ingest

METRICS = {**{d: KG[f"{d}Score"] for d in DIMENSIONS}, "total": KG.totalScore}


@dataclass
class QualitySummary:
    """What `kg quality` shows: datasets, publishers and catalogues with their points."""

    datasets: list[DatasetQuality] = field(default_factory=list)
    publishers: dict[str, dict[str, float]] = field(default_factory=dict)
    catalogues: dict[str, dict[str, float]] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)


def measurements(subject: NamedNode, points: dict[str, float], when: Literal
                 ) -> Iterator[Triple]:
    """One DQV measurement per dimension and one for the total."""
    for name, metric in METRICS.items():
        node = NamedNode(f"{subject.value}/quality/{name}")
        yield Triple(subject, DQV.hasQualityMeasurement, node)
        yield Triple(node, RDF.type, DQV.QualityMeasurement)
        yield Triple(node, DQV.computedOn, subject)
        yield Triple(node, DQV.isMeasurementOf, metric)
        yield Triple(node, DQV.value, Literal(f"{points[name]:.2f}", datatype=XSD.decimal))
        yield Triple(node, PROV.generatedAtTime, when)


def assess(store: GraphStore) -> QualitySummary:
    """Score every dataset, publisher and catalogue in the store."""
    scores = dataset_scores(store, validate(store))
    summary = QualitySummary(datasets=scores, publishers=publisher_scores(scores),
                             overall=mean_points(scores))
    by_dataset = {s.dataset: s for s in scores}
    members: dict[str, list[DatasetQuality]] = {}
    for row in solutions(store.query("SELECT ?c ?d WHERE { ?c a dcat:Catalog ; "
                                     "dcat:dataset ?d }")):
        found = by_dataset.get(str(row["d"]))
        if found is not None:
            members.setdefault(str(row["c"]), []).append(found)
    summary.catalogues = {c: mean_points(group) for c, group in sorted(members.items())}
    return summary


def refresh_quality(store: GraphStore) -> QualitySummary:
    """Assess, then replace the `quality` graph with the measurements."""
    summary = assess(store)
    when = Literal(datetime.now(UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)

    def triples() -> Iterator[Triple]:
        for score in summary.datasets:
            yield from measurements(NamedNode(score.dataset.strip("<>")),
                                    {**score.points, "total": score.total}, when)
        for publisher, points in summary.publishers.items():
            if publisher.startswith("<"):
                yield from measurements(NamedNode(publisher.strip("<>")), points, when)
        for catalogue, points in summary.catalogues.items():
            yield from measurements(NamedNode(catalogue.strip("<>")), points, when)

    ingest(store, "quality", triples(), Provenance(
        "quality", "graph/quality.py", "Metadata quality (DQV, MQA dimensions)"))
    return summary
