"""One harvest of one source: fetch every page within the limits, map it, and replace the
source's graph through the gate with quarantine (the records that fail are kept aside and
listed, the rest loaded; datasets that vanished from the source leave its graph). A page that
fails stops the harvest before anything is written. A re-run sends the source's last ETag and
Last-Modified and skips a source that answers 304."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from graph.meta_updates import META
from graph.namespaces import BASE, DCAT, DCT, KG, RDF, XSD
from graph.search_index import SearchIndex
from graph.store import GraphData, GraphStore, Provenance, ProvenanceFacts, solutions
from loaders.ckan import (
    CkanSource,
    map_package,
    organisations_under,
    packages,
    portal_licences,
)
from loaders.dcat_harvest import pages
from loaders.dcat_normalise import context, normalise
from loaders.harvest_sources import HarvestSource
from loaders.harvested_records import HarvestedRecords
from loaders.ingest import ingest
from loaders.reference import UnitIndex
from loaders.safe_http import Budget, Fetched, Limits


@dataclass
class HarvestOutcome:
    """What one harvest did."""

    source: str
    skipped: bool = False
    pages: int = 0
    seen: int = 0
    loaded: int = 0
    removed: int = 0
    quarantined: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        if self.skipped:
            return f"{self.source}: unchanged at the source (304), nothing harvested"
        return (f"{self.source}: {self.pages} pages, {self.seen} datasets seen, "
                f"{self.loaded} loaded, {len(self.quarantined)} quarantined, "
                f"{self.removed} removed")


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _conditional(store: GraphStore, graph: NamedNode) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the source's last harvest."""
    headers = {}
    for row in solutions(store.query(
            f"SELECT ?p ?o {{ GRAPH {META} {{ {graph} ?p ?o VALUES ?p "
            f"{{ {KG.etag} {KG.lastModifiedHeader} }} }} }}")):
        name = "If-None-Match" if row["p"] == KG.etag else "If-Modified-Since"
        headers[name] = row["o"].value
    return headers


def _datasets(store: GraphStore, graph: NamedNode) -> set[str]:
    return {row["d"].value for row in solutions(store.query(
        f"SELECT ?d {{ GRAPH {graph} {{ ?d a {DCAT.Dataset} }} }}"))
        if isinstance(row["d"], NamedNode)}


def _ckan(source: HarvestSource, store: GraphStore, budget: Budget,
          conditional: dict[str, str]) -> tuple[GraphData, set[str], list[Fetched], bool]:
    mapping = CkanSource(source.slug, source.url, source.publisher_iri, source.language,
                         source.licence_iri, source.trust_iris,
                         organisations_under(store, source.publisher_iri))

    units = UnitIndex.from_store(store)
    triples: list[Triple] = []
    fetched: list[Fetched] = []
    catalog = NamedNode(f"{BASE}id/catalog/harvest-{source.slug}")
    licences_read = False
    for item in packages(mapping, budget, conditional):
        if isinstance(item, Fetched):
            if item.status == 304:
                return [], set(), [item], True
            fetched.append(item)
            continue
        if not licences_read:
            # Once per run, and only on a run that maps packages (a 304 maps none).
            mapping.portal_licences = portal_licences(mapping, budget)
            licences_read = True
        mapped = map_package(mapping, item, units)
        triples += mapped
        triples.append(Triple(catalog, DCAT.dataset, mapped[0].subject))
    triples += [Triple(catalog, RDF.type, DCAT.Catalog),
                Triple(catalog, DCT.title, Literal(source.title, language="vi")),
                Triple(catalog, DCT.description, Literal(
                    f"Thu thập tự động từ {source.url}", language="vi")),
                Triple(catalog, DCT.description, Literal(
                    f"Harvested automatically from {source.url}", language="en")),
                Triple(catalog, DCT.publisher, source.publisher_iri)]
    # Told record by record as mapped: what a record is mapped from and with is in its triples.
    records = HarvestedRecords(b"ckan", lambda found: found)
    records.add(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
    return records.version(), records.typed(DCAT.Dataset), fetched, False


def _dcat(source: HarvestSource, budget: Budget, conditional: dict[str, str]
          ) -> tuple[GraphData, set[str], list[Fetched], bool]:
    records = HarvestedRecords(context(source.publisher_iri, source.language),
                               lambda found: normalise(found, source.publisher_iri,
                                                       source.language))
    fetched: list[Fetched] = []
    for page, text in pages(source.url, budget, conditional):
        if page.status == 304:
            return [], set(), [page], True
        fetched.append(page)
        records.add(text)
    return records.version(), records.typed(DCAT.Dataset), fetched, False


def harvest(store: GraphStore, source: HarvestSource, *, index: SearchIndex | None = None,
            limits: Limits | None = None, who: str = "kg harvest run") -> HarvestOutcome:
    """Harvest ``source`` once (see the module's description)."""
    limits = limits or Limits(allow_private=source.allow_private)
    budget = Budget(limits)
    outcome = HarvestOutcome(source.slug)
    held = source.graph in {g.name for g in store.graphs()}
    conditional = _conditional(store, source.graph) if held else {}
    if source.kind == "ckan":
        data, seen, fetched, unchanged = _ckan(source, store, budget, conditional)
    else:
        data, seen, fetched, unchanged = _dcat(source, budget, conditional)
    outcome.pages = len(budget.log)
    if unchanged:
        outcome.skipped = True
        return outcome
    before = _datasets(store, source.graph) if held else set()
    first = fetched[0] if fetched else None
    log = [{"url": p.url, "status": p.status, "ms": round(p.seconds * 1000, 1),
            "bytes": p.size} for p in budget.log]
    facts: ProvenanceFacts = [
        (KG.harvestLog, Literal(json.dumps(log))), (KG.pagesFetched, _integer(outcome.pages)),
        (KG.recordsSeen, _integer(len(seen))), (KG.recordsRemoved, _integer(len(before - seen)))]
    if first is not None and "etag" in first.headers:
        facts.append((KG.etag, Literal(first.headers["etag"])))
    if first is not None and "last-modified" in first.headers:
        facts.append((KG.lastModifiedHeader, Literal(first.headers["last-modified"])))
    done = ingest(store, f"harvest/{source.slug}", data,
                  Provenance(f"harvest-{source.kind}", f"{source.url} ({who})", source.title),
                  graph=source.graph, quarantine=True, index=index, facts=facts,
                  facts_after_gate=lambda taken: [(KG.recordsLoaded, _integer(
                      len(seen - {record.strip("<>") for record in taken})))])
    outcome.seen = len(seen)
    outcome.quarantined = [record.strip("<>") for record in done.quarantined]
    outcome.loaded = len(seen - set(outcome.quarantined))
    outcome.removed = len(before - seen)
    for result in done.report.results:
        if result.severity == "Violation":
            outcome.reasons.setdefault(result.focus.strip("<>"), []).append(
                f"{result.message('vi')} / {result.message('en')}")
    return outcome
