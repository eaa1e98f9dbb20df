"""The browse UI's pages for one resource (dataset, organisation, place, concept, scheme) and
the listings of organisations, places and vocabularies.

A resource page is its linked-data document for browsers: ``linked_data.document`` calls
``resource_page`` when HTML is asked for. Each kind has one CONSTRUCT (``graph/sparql/page_*``)
for everything the page shows and the search index for the lists of related records, so a
page costs two or three queries however much it shows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from pyoxigraph import Literal, NamedNode, QueryTriples, Triple

from graph import change_feed
from graph.namespaces import (
    DCAT,
    DCT,
    DQV,
    FOAF,
    KG,
    LOCN,
    ORG,
    RDF,
    RDFS,
    SKOS,
    VCARD,
    scheme_iri,
)
from graph.queries import load_query
from graph.sparql_text import with_terms
from graph.store import solutions
from web import get_store
from web.changes import compact
from web.i18n import language, texts
from web.search import listing_format, record_listing, search_index

bp = Blueprint("pages", __name__)
LABELS = (SKOS.prefLabel.value, FOAF.name.value, DCT.title.value, RDFS.label.value)
PAGE_KINDS = {DCAT.Dataset.value: "dataset", ORG.FormalOrganization.value: "organisation",
              KG.AdministrativeUnit.value: "place", SKOS.ConceptScheme.value: "scheme",
              SKOS.Concept.value: "concept"}
# The dataset page shows this many of its latest changes; /changes?record= has them all.
HISTORY_LENGTH = 10
QUERIES = {"dataset": "page_dataset", "organisation": "page_organisation",
           "place": "page_unit", "scheme": "page_concept", "concept": "page_concept"}


class View:
    """The triples of one page, read by subject and predicate; texts and labels in the page's
    language, falling back to the other one and then to anything."""

    def __init__(self, triples: list[Triple], lang: str) -> None:
        self.lang = lang
        self._by: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self._inverse: dict[tuple[str, str], list[str]] = defaultdict(list)
        for t in triples:
            if isinstance(t.subject, Triple):
                continue
            if t.object not in self._by[t.subject.value][t.predicate.value]:
                self._by[t.subject.value][t.predicate.value].append(t.object)
            if isinstance(t.object, NamedNode):
                self._inverse[(t.predicate.value, t.object.value)].append(t.subject.value)

    def objects(self, subject: str, predicate: NamedNode) -> list[Any]:
        return list(self._by.get(subject, {}).get(predicate.value, []))

    def iris(self, subject: str, predicate: NamedNode) -> list[str]:
        return sorted({o.value for o in self.objects(subject, predicate)
                       if isinstance(o, NamedNode)}, key=lambda iri: self.label(iri))

    def iri(self, subject: str, predicate: NamedNode) -> str | None:
        found = self.iris(subject, predicate)
        return found[0] if found else None

    def subjects(self, predicate: NamedNode, obj: str) -> list[str]:
        return sorted(set(self._inverse.get((predicate.value, obj), [])),
                      key=lambda iri: (self.text(iri, SKOS.notation), self.label(iri)))

    def literals(self, subject: str, predicate: NamedNode, lang: str | None = None
                 ) -> list[str]:
        return [o.value for o in self.objects(subject, predicate) if isinstance(o, Literal)
                and (lang is None or o.language == lang)]

    def text(self, subject: str, predicate: NamedNode) -> str:
        """The value in the page's language, else in the other, else any."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, Literal)]
        for wanted in (self.lang, "en" if self.lang == "vi" else "vi", None, ""):
            for value in values:
                if wanted is None or (value.language or "") == wanted:
                    return str(value.value)
        return ""

    def label(self, iri: str) -> str:
        for predicate in LABELS:
            text = self.text(iri, NamedNode(predicate))
            if text:
                return text
        return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def has(self, subject: str) -> bool:
        return subject in self._by


def page_kind(store_types: list[str]) -> str | None:
    for type_iri, kind in PAGE_KINDS.items():
        if type_iri in store_types:
            return kind
    return None


def resource_page(resource: NamedNode, alternates: dict[str, str]) -> str | None:
    """The HTML page of a resource of one of the browse UI's kinds, or None for others."""
    store = get_store()
    types = [row["type"].value for row in solutions(store.query(
        with_terms("SELECT ?type WHERE { ?resource a ?type }", {"resource": resource})))]
    kind = page_kind(types)
    if kind is None:
        return None
    lang = language()
    result = store.query(with_terms(load_query(QUERIES[kind]), {"resource": resource}))
    triples = list(result) if isinstance(result, QueryTriples) else []
    view = View(triples, lang)
    extra: dict[str, Any] = {}
    index = search_index()
    iri = resource.value
    if kind == "dataset":
        extra["schema_org"] = schema_org(view, iri)
        extra["graph"] = index.graph_of(iri)
        extra["quality"] = quality_rows(view, iri)
        extra["history"] = change_feed.page(store, change_feed.Filters(record=resource),
                                            HISTORY_LENGTH)
        extra["compact"] = compact
    elif kind == "organisation":
        extra["datasets"] = index.search("", {"publisher": [iri]}, lang=lang, limit=10)
        extra["ancestors"] = ancestors(view, iri)
    elif kind == "place":
        extra["located"] = index.search("", {"place": [iri], "kind": ["dataset", "organisation"]},
                                        lang=lang, limit=10)
        extra["centroid"] = centroid(view, iri)
        extra["ancestors"] = ancestors(view, iri, SKOS.broader, depth=5)
    elif kind == "scheme":
        extra["tree"] = scheme_tree(iri, lang)
    return render_template(f"pages/{kind}.html", v=view, r=iri, P=PROPERTIES,
                           alternates=alternates, t=texts(lang), lang=lang, **extra)


class _Properties:
    """The properties the templates read, as ``P.title`` and so on."""

    def __getattr__(self, name: str) -> NamedNode:
        try:
            return TEMPLATE_PROPERTIES[name]
        except KeyError:
            raise AttributeError(name) from None


TEMPLATE_PROPERTIES: dict[str, NamedNode] = {
    "title": DCT.title, "description": DCT.description, "publisher": DCT.publisher,
    "theme": DCAT.theme, "subject": DCT.subject, "keyword": DCAT.keyword,
    "spatial": DCT.spatial, "temporal": DCT.temporal, "startDate": DCAT.startDate,
    "endDate": DCAT.endDate, "issued": DCT.issued, "modified": DCT.modified,
    "license": DCT.license, "contactPoint": DCAT.contactPoint, "fn": VCARD.fn,
    "hasEmail": VCARD.hasEmail, "distribution": DCAT.distribution, "format": DCT.format,
    "byteSize": DCAT.byteSize, "downloadURL": DCAT.downloadURL, "accessURL": DCAT.accessURL,
    "mediaType": DCAT.mediaType, "identifier": DCT.identifier, "accessRights": DCT.accessRights,
    "prefLabel": SKOS.prefLabel, "altLabel": SKOS.altLabel, "name": FOAF.name,
    "acronym": KG.acronym, "classification": ORG.classification,
    "subOrganizationOf": ORG.subOrganizationOf, "address": LOCN.address,
    "fullAddress": LOCN.fullAddress, "adminUnit": KG.adminUnit,
    "currentAdminUnit": KG.currentAdminUnit, "homepage": FOAF.homepage, "mbox": FOAF.mbox,
    "notation": SKOS.notation, "unitKind": KG.unitKind, "unitLevel": KG.unitLevel,
    "inScheme": SKOS.inScheme, "validFrom": KG.validFrom, "validUntil": KG.validUntil,
    "broader": SKOS.broader, "narrower": SKOS.narrower, "related": SKOS.related,
    "replaces": KG.replaces, "replacedBy": KG.replacedBy, "succession": KG.succession,
    "predecessor": KG.predecessor, "successor": KG.successor,
    "transferType": KG.transferType, "definition": SKOS.definition,
    "topConceptOf": SKOS.topConceptOf, "hasTopConcept": SKOS.hasTopConcept,
    "exactMatch": SKOS.exactMatch, "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch, "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch, "centroid": DCAT.centroid, "areaKm2": KG.areaKm2,
    "type": RDF.type, "hasQualityMeasurement": DQV.hasQualityMeasurement,
    "isMeasurementOf": DQV.isMeasurementOf, "value": DQV.value,
}
PROPERTIES = _Properties()


def quality_rows(view: View, iri: str) -> list[tuple[str, str]]:
    rows = []
    for measurement in view.iris(iri, DQV.hasQualityMeasurement):
        metric = view.iri(measurement, DQV.isMeasurementOf)
        value = view.literals(measurement, DQV.value)
        if metric and value:
            rows.append((view.label(metric), value[0], metric.endswith("totalScore")))
    rows.sort(key=lambda row: (row[2], row[0]))
    return [(name, value) for name, value, _ in rows]


def ancestors(view: View, iri: str, predicate: NamedNode = ORG.subOrganizationOf,
              depth: int = 10) -> list[str]:
    """From the top of a hierarchy down to the parent of ``iri`` (``predicate`` points up)."""
    chain: list[str] = []
    current = view.iri(iri, predicate)
    while current and current not in chain and len(chain) < depth:
        chain.append(current)
        current = view.iri(current, predicate)
    return list(reversed(chain))


def centroid(view: View, iri: str) -> tuple[float, float, bool] | None:
    """(lat, lon, own): the unit's centre, else its successor's (a former unit has none)."""
    for candidate, own in ((iri, True), *((s, False) for s in view.iris(iri, KG.replacedBy))):
        for wkt in view.literals(candidate, DCAT.centroid):
            numbers = wkt.replace("POINT(", "").replace(")", "").split()
            if len(numbers) == 2:
                try:
                    return float(numbers[1]), float(numbers[0]), own
                except ValueError:
                    continue
    return None


def schema_org(view: View, iri: str) -> str:
    """schema.org ``Dataset`` JSON-LD for dataset search engines, safe inside <script>."""
    data: dict[str, Any] = {
        "@context": "https://schema.org/", "@type": "Dataset", "@id": iri, "url": iri,
        "name": view.text(iri, DCT.title), "description": view.text(iri, DCT.description),
        "keywords": view.literals(iri, DCAT.keyword),
        "isAccessibleForFree": True,
    }
    if view.literals(iri, DCT.identifier):
        data["identifier"] = view.literals(iri, DCT.identifier)[0]
    publisher = view.iri(iri, DCT.publisher)
    if publisher:
        data["publisher"] = {"@type": "Organization", "@id": publisher,
                             "name": view.label(publisher)}
    for key, predicate in (("datePublished", DCT.issued), ("dateModified", DCT.modified)):
        if view.literals(iri, predicate):
            data[key] = view.literals(iri, predicate)[0]
    spatial = view.iri(iri, DCT.spatial)
    if spatial:
        data["spatialCoverage"] = {"@type": "Place", "name": view.label(spatial)}
    period = view.iri(iri, DCT.temporal)
    if period and view.literals(period, DCAT.startDate):
        data["temporalCoverage"] = (f"{view.literals(period, DCAT.startDate)[0]}/"
                                    f"{(view.literals(period, DCAT.endDate) or [''])[0]}")
    licences = {lic for d in view.iris(iri, DCAT.distribution)
                for lic in view.iris(d, DCT.license)}
    if licences:
        data["license"] = sorted(licences)[0]
    data["distribution"] = [
        {"@type": "DataDownload", "name": view.text(d, DCT.title),
         "contentUrl": (view.iris(d, DCAT.downloadURL) or view.iris(d, DCAT.accessURL) or [""])[0],
         "encodingFormat": view.label(view.iri(d, DCT.format) or "")}
        for d in view.iris(iri, DCAT.distribution)]
    data["inLanguage"] = view.lang
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # "</script>" or "<!--" in a title must not end the element early.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def scheme_tree(scheme: str, lang: str, limit: int = 600) -> list[dict[str, Any]]:
    """The scheme's concepts as nested nodes; very large schemes (administrative units)
    show their top level only."""
    store, scheme_node = get_store(), NamedNode(scheme)
    size = next(iter(solutions(store.query(
        with_terms(load_query("scheme_size"), {"scheme": scheme_node})))))["concepts"]
    top_only = int(size.value) > limit
    # Written in: a remote store sends bindings as a trailing VALUES block, which the engine
    # joins only after matching every scheme's concepts.
    rows = list(solutions(store.query(with_terms(
        load_query("scheme_top_concepts" if top_only else "scheme_concepts"),
        {"scheme": scheme_node}))))
    nodes: dict[str, dict[str, Any]] = {}
    parents: dict[str, str] = {}
    for row in rows:
        concept = row["concept"].value
        node = nodes.setdefault(concept, {"iri": concept, "labels": {}, "notation": "",
                                          "children": [], "top": False})
        label = row["label"]
        if label is not None:
            node["labels"][label.language or ""] = label.value
        if row["notation"] is not None:
            node["notation"] = row["notation"].value
        if row["top"] is not None and row["top"].value == "true":
            node["top"] = True
        if row["broader"] is not None:
            parents[concept] = row["broader"].value
    for node in nodes.values():
        node["label"] = (node["labels"].get(lang) or node["labels"].get("en")
                         or node["labels"].get("vi") or next(iter(node["labels"].values()), "")
                         or node["iri"])
    roots = []
    for concept, node in nodes.items():
        parent = parents.get(concept)
        if parent in nodes and not top_only:
            nodes[parent]["children"].append(node)
        elif node["top"] or parent not in nodes:
            roots.append(node)

    def order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items.sort(key=lambda n: (_natural(n["notation"]), n["label"]))
        for item in items:
            order(item["children"])
        return items

    return order(roots)


def _natural(notation: str) -> tuple[Any, ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in notation.replace("-", ".").split("."))


def _listing_format(suffix: str | None) -> str:
    fmt = listing_format(suffix)
    if fmt is None:
        abort(406)
    return fmt


@bp.route("/organisations")
@bp.route("/organisations.<suffix>")
def organisations(suffix: str | None = None) -> Response:
    """The federation's organisations as a tree: federation, members, their units (also as
    JSON or CSV rows)."""
    fmt = _listing_format(suffix)
    lang = language()
    rows = list(solutions(get_store().query(load_query("organisation_tree"))))
    nodes: dict[str, dict[str, Any]] = {}
    parents: dict[str, str] = {}
    for row in rows:
        org = row["org"].value
        node = nodes.setdefault(org, {"iri": org, "labels": {}, "kind": "", "children": []})
        if row["label"] is not None:
            node["labels"][row["label"].language or ""] = row["label"].value
        if row["kindLabel"] is not None and (row["kindLabel"].language == lang
                                              or not node["kind"]):
            node["kind"] = row["kindLabel"].value
        if row["parent"] is not None:
            parents[org] = row["parent"].value
    for node in nodes.values():
        node["label"] = (node["labels"].get(lang) or node["labels"].get("vi")
                         or next(iter(node["labels"].values()), node["iri"]))
    roots = []
    for org, node in nodes.items():
        parent = parents.get(org)
        if parent in nodes:
            nodes[parent]["children"].append(node)
        else:
            roots.append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda n: n["label"])
    if fmt != "html":
        records = [{"iri": n["iri"], "label": n["label"], "kind": n["kind"],
                    "parent": parents.get(n["iri"], "")} for n in nodes.values()]
        return record_listing(records, ["iri", "label", "kind", "parent"], fmt,
                              "pages.organisations")
    return Response(render_template("pages/organisations.html", roots=roots,
                                     count=len(nodes), listing="pages.organisations"),
                    mimetype="text/html")


@bp.route("/places")
@bp.route("/places.<suffix>")
def places(suffix: str | None = None) -> Response:
    """The provinces before and after 1 July 2025, each a link to its page."""
    fmt = _listing_format(suffix)
    editions: dict[str, list[dict[str, str]]] = {"2025": [], "pre-2025": []}
    lang = language()
    for row in solutions(get_store().query(load_query("provinces"))):
        edition = "2025" if row["scheme"].value == scheme_iri("admin-units-2025").value \
            else "pre-2025"
        label = row["label"]
        entries = editions[edition]
        if entries and entries[-1]["iri"] == row["unit"].value:
            if label.language == lang:
                entries[-1]["label"] = label.value
            continue
        entries.append({"iri": row["unit"].value, "label": label.value,
                        "code": row["code"].value if row["code"] else "", "edition": edition})
    if fmt != "html":
        return record_listing([*editions["2025"], *editions["pre-2025"]],
                              ["iri", "code", "label", "edition"], fmt, "pages.places")
    return Response(render_template("pages/places.html", editions=editions,
                                    listing="pages.places"), mimetype="text/html")


@bp.route("/vocab")
@bp.route("/vocab.<suffix>")
def vocabularies(suffix: str | None = None) -> Response:
    """Every concept scheme with its number of concepts."""
    fmt = _listing_format(suffix)
    lang = language()
    schemes: dict[str, dict[str, Any]] = {}
    for row in solutions(get_store().query(load_query("scheme_list"))):
        entry = schemes.setdefault(row["scheme"].value, {
            "iri": row["scheme"].value, "label": "", "count": int(row["concepts"].value)})
        if row["label"] is not None and (row["label"].language == lang or not entry["label"]):
            entry["label"] = row["label"].value
    ordered = sorted(schemes.values(), key=lambda s: s["label"])
    if fmt != "html":
        return record_listing(ordered, ["iri", "label", "count"], fmt, "pages.vocabularies")
    return Response(render_template("pages/vocabularies.html", schemes=ordered,
                                    listing="pages.vocabularies"), mimetype="text/html")


@bp.app_template_global("sparql_about")
def sparql_about(iri: str) -> str:
    """The SPARQL editor, opened on a query about ``iri``."""
    query = f"SELECT ?property ?value WHERE {{\n  <{iri}> ?property ?value .\n}}"
    return url_for("sparql.query", query=query, format="html", lang=request.args.get("lang"))

