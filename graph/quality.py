"""Metadata quality of datasets, publishers and the catalogue, along the dimensions of the
data.europa.eu Metadata Quality Assessment (MQA), with every check's points in one place.

Link: https://data.europa.eu/mqa/methodology. The MQA asks whether access and download URLs
answer over HTTP; offline, the access URL is counted when present, and the 30 points for
download URLs that answer are not assessed, so the maximum is 375 points instead of 405 and
ratings are given on the share of that maximum.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from graph.store import GraphStore, solutions
from graph.validation import ValidationReport

DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability",
              "contextuality")
DIMENSION_LABELS = {
    "findability": ("Khả năng tìm thấy", "Findability"),
    "accessibility": ("Khả năng truy cập", "Accessibility"),
    "interoperability": ("Khả năng tương tác", "Interoperability"),
    "reusability": ("Khả năng tái sử dụng", "Reusability"),
    "contextuality": ("Thông tin ngữ cảnh", "Contextuality"),
}
MACHINE_READABLE = ("CSV", "TSV", "JSON", "XML", "RDF_TURTLE", "RDF_XML", "JSON_LD",
                    "RDF_N_TRIPLES", "GEOJSON", "XLSX", "ODS")
NON_PROPRIETARY = ("CSV", "TSV", "JSON", "XML", "RDF_TURTLE", "RDF_XML", "JSON_LD",
                   "RDF_N_TRIPLES", "GEOJSON", "ODS", "HTML", "PDF")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


def _formats(codes: tuple[str, ...]) -> str:
    return ", ".join(f"<{FILE_TYPE}{code}>" for code in codes)


@dataclass(frozen=True)
class QualityCheck:
    """One MQA indicator: a pattern on ?d (a dataset) or ?x (each of its distributions)."""

    dimension: str
    name: str
    points: int
    pattern: str
    per_distribution: bool = False


CHECKS = (
    QualityCheck("findability", "keywords", 30, "?d dcat:keyword ?v"),
    QualityCheck("findability", "themes", 30, "?d dcat:theme ?v"),
    QualityCheck("findability", "spatial", 20, "?d dct:spatial ?v"),
    QualityCheck("findability", "temporal", 20, "?d dct:temporal ?v"),
    QualityCheck("accessibility", "access_url", 50, "?x dcat:accessURL ?v FILTER(isIRI(?v))",
                 per_distribution=True),
    QualityCheck("accessibility", "download_url", 20, "?x dcat:downloadURL ?v",
                 per_distribution=True),
    QualityCheck("interoperability", "format", 20, "?x dct:format ?v", per_distribution=True),
    QualityCheck("interoperability", "media_type", 10, "?x dcat:mediaType ?v",
                 per_distribution=True),
    QualityCheck("interoperability", "format_from_vocabulary", 10,
                 "?x dct:format ?v . ?v skos:inScheme "
                 "<http://publications.europa.eu/resource/authority/file-type>",
                 per_distribution=True),
    QualityCheck("interoperability", "non_proprietary", 20,
                 f"?x dct:format ?v FILTER(?v IN ({_formats(NON_PROPRIETARY)}))",
                 per_distribution=True),
    QualityCheck("interoperability", "machine_readable", 20,
                 f"?x dct:format ?v FILTER(?v IN ({_formats(MACHINE_READABLE)}))",
                 per_distribution=True),
    # 30 points for DCAT-AP compliance come from the validation report (see dataset_scores).
    QualityCheck("reusability", "licence", 20, "?x dct:license ?v", per_distribution=True),
    QualityCheck("reusability", "licence_from_vocabulary", 10,
                 "?x dct:license ?v . ?v skos:inScheme "
                 "<http://publications.europa.eu/resource/authority/licence>",
                 per_distribution=True),
    QualityCheck("reusability", "access_rights", 10, "?d dct:accessRights ?v"),
    QualityCheck("reusability", "access_rights_from_vocabulary", 5,
                 "?d dct:accessRights ?v FILTER(STRSTARTS(STR(?v), "
                 "'http://publications.europa.eu/resource/authority/access-right/'))"),
    QualityCheck("reusability", "contact_point", 20, "?d dcat:contactPoint ?v"),
    QualityCheck("reusability", "publisher", 10, "?d dct:publisher ?v"),
    QualityCheck("contextuality", "rights", 5, "?x dct:rights ?v", per_distribution=True),
    QualityCheck("contextuality", "byte_size", 5, "?x dcat:byteSize ?v", per_distribution=True),
    QualityCheck("contextuality", "issued", 5, "?d dct:issued ?v"),
    QualityCheck("contextuality", "modified", 5, "?d dct:modified ?v"),
)
COMPLIANCE_POINTS = 30
MAXIMUM = {d: sum(c.points for c in CHECKS if c.dimension == d)
           + (COMPLIANCE_POINTS if d == "interoperability" else 0) for d in DIMENSIONS}
TOTAL_MAXIMUM = sum(MAXIMUM.values())


def rating(score: float) -> str:
    """The MQA rating for a score, on the share of the assessed maximum.

    >>> rating(TOTAL_MAXIMUM), rating(0)
    ('excellent', 'bad')
    """
    share = score / TOTAL_MAXIMUM
    if share > 350 / 405:
        return "excellent"
    if share > 220 / 405:
        return "good"
    if share > 120 / 405:
        return "sufficient"
    return "bad"


@dataclass
class DatasetQuality:
    """Points per dimension for one dataset."""

    dataset: str
    publisher: str | None
    points: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DIMENSIONS, 0.0))

    @property
    def total(self) -> float:
        return sum(self.points.values())


def dataset_scores(store: GraphStore, report: ValidationReport) -> list[DatasetQuality]:
    """Every dataset's points; ``report`` decides the DCAT-AP compliance points."""
    scores: dict[str, DatasetQuality] = {}
    for row in solutions(store.query(
            "SELECT ?d (SAMPLE(?p) AS ?publisher) WHERE { ?d a dcat:Dataset "
            "OPTIONAL { ?d dct:publisher ?p } } GROUP BY ?d")):
        key = str(row["d"])
        scores[key] = DatasetQuality(key, str(row["publisher"]) if row["publisher"] else None)
    for check in CHECKS:
        if check.per_distribution:
            sparql = (f"SELECT ?d (AVG(IF(EXISTS {{ {check.pattern} }}, 1, 0)) AS ?ok) "
                      "WHERE { ?d a dcat:Dataset ; dcat:distribution ?x } GROUP BY ?d")
        else:
            sparql = ("SELECT ?d WHERE { ?d a dcat:Dataset "
                      f"FILTER EXISTS {{ {check.pattern} }} }}")
        for row in solutions(store.query(sparql)):
            share = float(row["ok"].value) if check.per_distribution else 1.0
            entry = scores.get(str(row["d"]))
            if entry is not None:
                entry.points[check.dimension] += check.points * share
    failing = set(report.violating_focus_nodes())
    distributions: dict[str, set[str]] = defaultdict(set)
    for row in solutions(store.query("SELECT ?d ?x WHERE { ?d a dcat:Dataset ; "
                                     "dcat:distribution ?x }")):
        distributions[str(row["d"])].add(str(row["x"]))
    for key, entry in scores.items():
        if key not in failing and not distributions[key] & failing:
            entry.points["interoperability"] += COMPLIANCE_POINTS
    return sorted(scores.values(), key=lambda q: q.dataset)


def mean_points(scores: list[DatasetQuality]) -> dict[str, float]:
    """The mean points per dimension (and ``total``) over some datasets."""
    if not scores:
        return {**dict.fromkeys(DIMENSIONS, 0.0), "total": 0.0}
    means = {d: sum(s.points[d] for s in scores) / len(scores) for d in DIMENSIONS}
    means["total"] = sum(means[d] for d in DIMENSIONS)
    return means


def publisher_scores(scores: list[DatasetQuality]) -> dict[str, dict[str, float]]:
    """Mean points per publisher."""
    grouped: dict[str, list[DatasetQuality]] = defaultdict(list)
    for score in scores:
        grouped[score.publisher or ""].append(score)
    return {publisher: {**mean_points(group), "datasets": float(len(group))}
            for publisher, group in sorted(grouped.items())}
