"""Catalogue descriptions written in the DCAT-AP 3.0.1 profile, as harvesters validate them.

The store keeps records as they were loaded, and that is not quite what DCAT-AP asks of a
document: (1) the store canonicalises ``xsd:nonNegativeInteger`` to ``xsd:integer``
(FACTS.md), while ``dcat:byteSize`` must carry the profile's datatype; (2) every linked
resource must carry its range class in the document itself (the licence a
``dct:LicenseDocument``, the format a ``dct:MediaTypeOrExtent``, the publisher a
``foaf:Agent``...), with the label its class requires (a concept's ``skos:prefLabel``, an
agent's ``foaf:name``, a scheme's ``dct:title``); (3) dates must be typed dates, not strings,
which harvested sources often give. ``as_dcat_ap`` adds or rewrites exactly that, nothing else;
``shapes/dcat-ap/`` holds the shapes the result is tested against.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.namespaces import ADMS, DCAT, DCT, FOAF, PROV, RDF, RDFS, SKOS, VCARD, XSD, Namespace
from graph.store import GraphStore, solutions

SPDX = Namespace("http://spdx.org/rdf/terms#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
TIME = Namespace("http://www.w3.org/2006/time#")

# The class a linked resource must carry, by the property that links it (DCAT-AP 3.0.1's
# range columns; the same property has the same range in every class that uses it).
RANGE: dict[NamedNode, NamedNode] = {
    DCT.publisher: FOAF.Agent, DCT.creator: FOAF.Agent, DCT.rightsHolder: FOAF.Agent,
    DCT.license: DCT.LicenseDocument, DCT.rights: DCT.RightsStatement,
    DCT.accessRights: DCT.RightsStatement, DCT.language: DCT.LinguisticSystem,
    DCT.spatial: DCT.Location, DCT.temporal: DCT.PeriodOfTime,
    DCT.format: DCT.MediaTypeOrExtent, DCAT.mediaType: DCT.MediaType,
    DCAT.compressFormat: DCT.MediaType, DCAT.packageFormat: DCT.MediaType,
    DCT.conformsTo: DCT.Standard, DCT.accrualPeriodicity: DCT.Frequency,
    DCT.provenance: DCT.ProvenanceStatement, DCAT.contactPoint: VCARD.Kind,
    DCAT.theme: SKOS.Concept, DCT.type: SKOS.Concept, ADMS.status: SKOS.Concept,
    DCAT.themeTaxonomy: SKOS.ConceptScheme, ADMS.identifier: ADMS.Identifier,
    FOAF.page: FOAF.Document, DCAT.landingPage: FOAF.Document, FOAF.homepage: FOAF.Document,
    DCAT.distribution: DCAT.Distribution, ADMS.sample: DCAT.Distribution,
    DCAT.dataset: DCAT.Dataset, DCAT.service: DCAT.DataService,
    DCAT.accessService: DCAT.DataService, DCAT.catalog: DCAT.Catalog,
    SPDX.checksum: SPDX.Checksum, ODRL.hasPolicy: ODRL.Policy,
    PROV.qualifiedAttribution: PROV.Attribution, DCAT.qualifiedRelation: DCAT.Relationship,
    PROV.wasGeneratedBy: PROV.Activity, TIME.hasBeginning: TIME.Instant,
    TIME.hasEnd: TIME.Instant,
}
# Classes that DCAT-AP gives a mandatory label, and the property it must be written with.
LABELLED = {SKOS.Concept: SKOS.prefLabel, FOAF.Agent: FOAF.name, SKOS.ConceptScheme: DCT.title}
# Ranges given as a literal in the source ("public", "CC-BY"): a node of the class with the
# text as its label, as ckanext-dcat writes them.
WRAPPABLE = {DCT.RightsStatement, DCT.LicenseDocument, DCT.ProvenanceStatement,
             DCT.LinguisticSystem, DCT.MediaTypeOrExtent, DCT.MediaType, DCT.Standard,
             FOAF.Document}
DATATYPES = {DCAT.byteSize: XSD.nonNegativeInteger,
             DCAT.spatialResolutionInMeters: XSD.decimal}
DATES = (DCT.issued, DCT.modified, DCAT.startDate, DCAT.endDate)
DATE_FORMS = ((re.compile(r"-?\d{4}-\d{2}-\d{2}"), XSD.date),
              (re.compile(r"-?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?"),
               XSD.dateTime),
              (re.compile(r"-?\d{4}-\d{2}"), XSD.gYearMonth), (re.compile(r"-?\d{4}"), XSD.gYear))
# A date given as plain text (no datatype, or xsd:string) is retyped by its form.
UNTYPED = (XSD.string, None)
LABEL_SOURCES = (SKOS.prefLabel, FOAF.name, DCT.title, RDFS.label, VCARD.fn)


def as_dcat_ap(store: GraphStore, triples: Iterable[Triple]) -> list[Triple]:
    """``triples`` (a catalogue page, a dataset's description) as a DCAT-AP 3.0.1 document:
    datatypes the profile's, linked resources typed and labelled."""
    out: list[Triple] = []
    typed: set[tuple[object, NamedNode]] = set()
    needs: dict[NamedNode | BlankNode, set[NamedNode]] = defaultdict(set)
    for triple in triples:
        subject, predicate, value = triple.subject, triple.predicate, triple.object
        if isinstance(value, Literal):
            retyped = _retyped(predicate, value)
            wanted = RANGE.get(predicate)
            if wanted in WRAPPABLE:
                wrapper = BlankNode()
                out += [Triple(subject, predicate, wrapper), Triple(wrapper, RDF.type, wanted),
                        Triple(wrapper, RDFS.label, value)]
                continue
            out.append(Triple(subject, predicate, retyped) if retyped is not value else triple)
            continue
        out.append(triple)
        if predicate == RDF.type and isinstance(value, NamedNode):
            typed.add((subject, value))
        wanted = RANGE.get(predicate)
        if wanted is not None and isinstance(value, NamedNode | BlankNode):
            needs[value].add(wanted)
    labelled = {(t.subject, t.predicate) for t in out if t.predicate in LABELLED.values()}
    lacking: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    for node, classes in needs.items():
        for cls in sorted(classes, key=lambda c: c.value):
            if (node, cls) not in typed:
                out.append(Triple(node, RDF.type, cls))
            label = LABELLED.get(cls)
            if label is not None and (node, label) not in labelled and \
                    isinstance(node, NamedNode):
                lacking[node].add(label)
    out += _labels(store, lacking)
    return out


def _retyped(predicate: NamedNode, value: Literal) -> Literal:
    datatype = DATATYPES.get(predicate)
    if datatype is not None and value.datatype != datatype:
        return Literal(value.value, datatype=datatype)
    if predicate in DATES and value.language is None and value.datatype in UNTYPED:
        text = value.value.strip()
        for form, kind in DATE_FORMS:
            if form.fullmatch(text):
                return Literal(text, datatype=kind)
    return value


def _labels(store: GraphStore, lacking: dict[NamedNode, set[NamedNode]]) -> list[Triple]:
    """The labels DCAT-AP requires, from what the store knows of each resource (any label
    property, every language), else the last segment of its IRI: an identifier is a better
    label than none, and the record stays valid."""
    if not lacking:
        return []
    known: dict[NamedNode, list[Literal]] = defaultdict(list)
    values = " ".join(str(node) for node in lacking)
    properties = " ".join(str(p) for p in LABEL_SOURCES)
    rows = store.query(f"SELECT ?r ?p ?label WHERE {{ VALUES ?r {{ {values} }} "
                       f"VALUES ?p {{ {properties} }} ?r ?p ?label FILTER(isLiteral(?label)) }}")
    best: dict[NamedNode, int] = {}
    for row in solutions(rows):
        rank = LABEL_SOURCES.index(row["p"])
        node = row["r"]
        if rank < best.get(node, len(LABEL_SOURCES)):
            best[node], known[node] = rank, []
        if rank == best[node] and row["label"] not in known[node]:
            known[node].append(row["label"])
    out: list[Triple] = []
    for node, labels in lacking.items():
        texts = known.get(node) or [Literal(_last_segment(node.value))]
        out += [Triple(node, label, text) for label in sorted(labels, key=lambda p: p.value)
                for text in texts]
    return out


def _last_segment(iri: str) -> str:
    """
    >>> _last_segment("http://publications.europa.eu/resource/authority/language/VIE")
    'VIE'
    """
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
