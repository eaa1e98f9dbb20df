"""Organisations and their addresses as W3C ORG and Core Location: records in, triples out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import DCT, FOAF, GEO, KG, LOCN, ORG, ORG_KIND, RDF, SKOS, XSD, org_iri

KINDS = ("federation", "national-association", "provincial-union", "affiliated-organisation")
# Associations and provincial unions are members of the federation, not just parts of it.
MEMBER_KINDS = ("national-association", "provincial-union")
TRUE = Literal("true", datatype=XSD.boolean)


@dataclass
class Address:
    """An address as given, plus the units it was resolved to."""

    street: str = ""
    commune: str = ""
    district: str = ""
    province: str = ""
    cited_unit: NamedNode | None = None
    current_units: list[NamedNode] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    point: tuple[float, float] | None = None

    @property
    def full(self) -> str:
        return ", ".join(part for part in (self.street, self.commune, self.district,
                                           self.province) if part)


@dataclass
class Organisation:
    """One row of an organisation registry, checked."""

    identifier: str
    name_vi: str
    kind: str
    name_en: str = ""
    acronym: str = ""
    parent: str = ""
    parent_kind: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    demo: bool = False
    address: Address = field(default_factory=Address)


def organisation_triples(org: Organisation) -> Iterator[Triple]:
    """The ORG description of one organisation, its hierarchy links and its address."""
    iri = org_iri(org.identifier)
    yield Triple(iri, RDF.type, ORG.FormalOrganization)
    yield Triple(iri, RDF.type, FOAF.Organization)
    yield Triple(iri, DCT.identifier, Literal(org.identifier))
    for text, lang in ((org.name_vi, "vi"), (org.name_en, "en")):
        if text:
            yield Triple(iri, SKOS.prefLabel, Literal(text, language=lang))
            yield Triple(iri, FOAF.name, Literal(text, language=lang))
    if org.acronym:
        yield Triple(iri, KG.acronym, Literal(org.acronym))
    yield Triple(iri, ORG.classification, ORG_KIND[org.kind])
    if org.parent:
        parent = org_iri(org.parent)
        yield Triple(iri, ORG.subOrganizationOf, parent)
        yield Triple(parent, ORG.hasSubOrganization, iri)
        if org.kind in MEMBER_KINDS and org.parent_kind == "federation":
            yield Triple(iri, ORG.memberOf, parent)
            yield Triple(parent, ORG.hasMember, iri)
    if org.website:
        yield Triple(iri, FOAF.homepage, NamedNode(org.website))
    if org.email:
        yield Triple(iri, FOAF.mbox, NamedNode(f"mailto:{org.email}"))
    if org.phone:
        yield Triple(iri, FOAF.phone, NamedNode("tel:" + org.phone.replace(" ", "")))
    if org.demo:
        yield Triple(iri, KG.demoData, TRUE)
    yield from address_triples(iri, org.address)


def address_triples(org: NamedNode, address: Address) -> Iterator[Triple]:
    """A Core Location address linked to the unit it cites and to the current unit(s)."""
    iri = NamedNode(f"{org.value}/address")
    yield Triple(org, LOCN.address, iri)
    yield Triple(iri, RDF.type, LOCN.Address)
    yield Triple(iri, LOCN.fullAddress, Literal(address.full, language="vi"))
    for prop, value in ((LOCN.thoroughfare, address.street), (LOCN.addressArea, address.commune),
                        (LOCN.adminUnitL2, address.district), (LOCN.adminUnitL1, address.province)):
        if value:
            yield Triple(iri, prop, Literal(value, language="vi"))
    if address.cited_unit is not None:
        yield Triple(iri, KG.adminUnit, address.cited_unit)
    for unit in address.current_units:
        yield Triple(iri, KG.currentAdminUnit, unit)
    if len(address.current_units) > 1:
        yield Triple(iri, KG.currentUnitAmbiguous, TRUE)
    for text, lang in address.notes:
        yield Triple(iri, SKOS.note, Literal(text, language=lang))
    if address.point is not None:
        lon, lat = address.point
        point = NamedNode(f"{iri.value}/point")
        yield Triple(iri, LOCN.geometry, point)
        yield Triple(point, RDF.type, LOCN.Geometry)
        yield Triple(point, GEO.asWKT, Literal(f"POINT({lon} {lat})", datatype=GEO.wktLiteral))
