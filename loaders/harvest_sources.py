"""Harvest sources as data in the graph (``/graph/harvest-sources``): what to harvest, how,
for which organisation of the registry, and how far to trust it. Adding or removing one
rewrites that graph through the same gate as every load."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import BASE, DCT, KG, RDF, XSD, graph_iri, org_iri
from graph.store import GraphStore, Provenance, solutions
from loaders.errors import LoadError, Problem
from loaders.ingest import ingest
from loaders.vocabulary_match import licences

SOURCES_GRAPH = graph_iri("harvest-sources")
KINDS = ("ckan", "dcat")
SCHEDULES = ("manual", "hourly", "daily", "weekly")


@dataclass(frozen=True)
class HarvestSource:
    """One portal or catalogue to harvest."""

    slug: str
    title: str
    kind: str
    url: str
    publisher: str                      # the id of an organisation of the registry
    schedule: str = "daily"
    licence: str | None = None          # a licence notation or IRI for records without one
    trust_iris: bool = False            # CKAN: use the packages' own `uri` extras as IRIs
    allow_private: bool = False         # the admin's mark: private addresses may be fetched
    language: str = "vi"                # the language of untagged titles and descriptions

    @property
    def iri(self) -> NamedNode:
        return NamedNode(f"{BASE}id/harvest-source/{self.slug}")

    @property
    def graph(self) -> NamedNode:
        return graph_iri(f"harvest/{self.slug}")

    @property
    def publisher_iri(self) -> NamedNode:
        return org_iri(self.publisher)

    @property
    def licence_iri(self) -> NamedNode | None:
        if not self.licence:
            return None
        return licences().match(self.licence)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "iri": self.iri.value, "graph": self.graph.value}


def check(source: HarvestSource) -> None:
    """Refuse a source that cannot be right whatever the store holds."""
    problems = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", source.slug):
        problems.append(Problem("harvest source", "lower-case letters, digits and '-' only",
                                record=source.slug, field="id"))
    if source.kind not in KINDS:
        problems.append(Problem("harvest source", f"kind must be one of {', '.join(KINDS)}",
                                record=source.slug, field="kind"))
    if not re.match(r"https?://[^\s]+$", source.url):
        problems.append(Problem("harvest source", "an http:// or https:// URL",
                                record=source.slug, field="url"))
    if source.schedule not in SCHEDULES:
        problems.append(Problem("harvest source", f"schedule must be one of "
                                f"{', '.join(SCHEDULES)}", record=source.slug,
                                field="schedule"))
    if source.licence and source.licence_iri is None:
        problems.append(Problem("harvest source", f"no licence {source.licence!r} in the "
                                "licence vocabulary", record=source.slug, field="licence"))
    if problems:
        raise LoadError(problems)


def _triples(source: HarvestSource) -> list[Triple]:
    node = source.iri
    facts: list[tuple[NamedNode, NamedNode | Literal]] = [
        (RDF.type, KG.HarvestSource), (DCT.identifier, Literal(source.slug)),
        (DCT.title, Literal(source.title, language="vi")),
        (KG.harvestKind, Literal(source.kind)), (KG.harvestURL, NamedNode(source.url)),
        (DCT.publisher, source.publisher_iri), (KG.schedule, Literal(source.schedule)),
        (DCT.language, Literal(source.language)),
        (KG.trustSourceIRIs, Literal("true" if source.trust_iris else "false",
                                     datatype=XSD.boolean)),
        (KG.allowPrivateAddress, Literal("true" if source.allow_private else "false",
                                         datatype=XSD.boolean))]
    if source.licence_iri is not None:
        facts.append((KG.defaultLicence, source.licence_iri))
    return [Triple(node, p, o) for p, o in facts]


def list_sources(store: GraphStore) -> list[HarvestSource]:
    rows = solutions(store.query(
        f"SELECT ?id ?title ?kind ?url ?publisher ?schedule ?licence ?trust ?private ?lang "
        f"WHERE {{ GRAPH {SOURCES_GRAPH} {{ ?s a {KG.HarvestSource} ; {DCT.identifier} ?id ; "
        f"{DCT.title} ?title ; {KG.harvestKind} ?kind ; {KG.harvestURL} ?url ; "
        f"{DCT.publisher} ?publisher ; {KG.schedule} ?schedule ; {DCT.language} ?lang ; "
        f"{KG.trustSourceIRIs} ?trust ; {KG.allowPrivateAddress} ?private "
        f"OPTIONAL {{ ?s {KG.defaultLicence} ?licence }} }} }} ORDER BY ?id"))
    prefix = org_iri("").value
    return [HarvestSource(
        slug=row["id"].value, title=row["title"].value, kind=row["kind"].value,
        url=row["url"].value, publisher=row["publisher"].value.removeprefix(prefix),
        schedule=row["schedule"].value,
        licence=row["licence"].value if row["licence"] is not None else None,
        trust_iris=row["trust"].value == "true", allow_private=row["private"].value == "true",
        language=row["lang"].value) for row in rows]


def find_source(store: GraphStore, slug: str) -> HarvestSource:
    for source in list_sources(store):
        if source.slug == slug:
            return source
    raise LoadError([Problem("harvest source", "no such source", record=slug)])


def _write(store: GraphStore, sources: list[HarvestSource], who: str) -> None:
    ingest(store, "harvest-sources", [t for s in sources for t in _triples(s)],
           Provenance("harvest-sources", who, "Harvest sources"), graph=SOURCES_GRAPH)


def add_source(store: GraphStore, source: HarvestSource, who: str = "kg harvest add") -> None:
    """Add ``source`` (or replace the one with its id); its publisher must be in the
    registry, which the gate checks."""
    check(source)
    others = [s for s in list_sources(store) if s.slug != source.slug]
    _write(store, [*others, source], who)


def remove_source(store: GraphStore, slug: str, who: str = "kg harvest remove") -> bool:
    """Forget a source (its harvested graph stays until dropped); False when unknown."""
    sources = list_sources(store)
    kept = [s for s in sources if s.slug != slug]
    if len(kept) == len(sources):
        return False
    _write(store, kept, who)
    return True
