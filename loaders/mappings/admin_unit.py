"""Administrative units as SKOS: pure functions from records to triples, no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import (
    DCAT,
    DCT,
    GEO,
    KG,
    RDF,
    RDFS,
    SKOS,
    UNIT_KIND,
    UNIT_LEVEL,
    XSD,
    scheme_iri,
    unit_iri,
)

REFORM_DATE = Literal("2025-07-01", datatype=XSD.date)
TRANSFER = "https://data.vusta.vn/id/concept/transfer/"
LEVEL_BY_CODE_LENGTH = {2: "province", 3: "district", 5: "commune"}

# Kind of a unit from the first words of its official full name (the pre-2025 list has no
# kind field). Longest prefixes first: "Thành phố" is a municipality at province level and a
# provincial city at district level.
KIND_PREFIXES: dict[str, list[tuple[str, str]]] = {
    "province": [("Thành phố", "municipality"), ("Tỉnh", "province")],
    "district": [("Thành phố", "provincial-city"), ("Thị xã", "town"),
                 ("Quận", "urban-district"), ("Huyện", "rural-district")],
    "commune": [("Thị trấn", "township"), ("Phường", "ward"), ("Đặc khu", "special-zone"),
                ("Xã", "commune")],
}

SCHEME_LABELS = {
    "2025": ("Danh mục đơn vị hành chính Việt Nam từ ngày 1/7/2025",
             "Administrative units of Viet Nam from 1 July 2025"),
    "pre-2025": ("Danh mục đơn vị hành chính Việt Nam trước ngày 1/7/2025",
                 "Administrative units of Viet Nam before 1 July 2025"),
}


@dataclass(frozen=True)
class Unit:
    """One administrative unit of one edition of the list."""

    edition: str
    level: str
    code: str
    name: str
    full_name: str
    name_en: str
    full_name_en: str
    kind: str
    parent: str | None = None

    @property
    def iri(self) -> NamedNode:
        return unit_iri(self.edition, self.level, self.code)

    @property
    def parent_iri(self) -> NamedNode | None:
        if self.parent is None:
            return None
        parent_level = "province" if self.level == "district" or (
            self.level == "commune" and self.edition == "2025") else "district"
        return unit_iri(self.edition, parent_level, self.parent)


def kind_from_full_name(level: str, full_name: str) -> str | None:
    """The unit kind that the official full name starts with, if any.

    >>> kind_from_full_name("district", "Thị xã Sơn Tây")
    'town'
    >>> kind_from_full_name("commune", "Hamlet X") is None
    True
    """
    for prefix, kind in KIND_PREFIXES[level]:
        if full_name.startswith(prefix + " "):
            return kind
    return None


def unit_triples(unit: Unit) -> Iterator[Triple]:
    """The SKOS description of one unit, with its validity and its place in the hierarchy."""
    iri, scheme = unit.iri, scheme_iri(f"admin-units-{unit.edition}")
    yield Triple(iri, RDF.type, KG.AdministrativeUnit)
    yield Triple(iri, RDF.type, SKOS.Concept)
    yield Triple(iri, SKOS.inScheme, scheme)
    yield Triple(iri, SKOS.notation, Literal(unit.code))
    yield Triple(iri, SKOS.prefLabel, Literal(unit.full_name, language="vi"))
    yield Triple(iri, SKOS.prefLabel, Literal(unit.full_name_en, language="en"))
    yield Triple(iri, SKOS.altLabel, Literal(unit.name, language="vi"))
    if unit.name_en:
        yield Triple(iri, SKOS.altLabel, Literal(unit.name_en, language="en"))
    yield Triple(iri, KG.unitLevel, UNIT_LEVEL[unit.level])
    yield Triple(iri, KG.unitKind, UNIT_KIND[unit.kind])
    if unit.edition == "2025":
        yield Triple(iri, KG.validFrom, REFORM_DATE)
    else:
        yield Triple(iri, KG.validUntil, REFORM_DATE)
    parent = unit.parent_iri
    if parent is None:
        yield Triple(iri, SKOS.topConceptOf, scheme)
        yield Triple(scheme, SKOS.hasTopConcept, iri)
    else:
        yield Triple(iri, SKOS.broader, parent)
        yield Triple(parent, SKOS.narrower, iri)


def geometry_triples(
    unit: NamedNode, lon: float, lat: float, bbox: tuple[float, float, float, float],
    area_km2: str,
) -> Iterator[Triple]:
    """Centroid and bounding box as GeoSPARQL WKT literals (WGS84 lon/lat), and the area."""
    wkt = GEO.wktLiteral
    min_lon, min_lat, max_lon, max_lat = bbox
    ring = (f"{min_lon} {min_lat}, {max_lon} {min_lat}, {max_lon} {max_lat}, "
            f"{min_lon} {max_lat}, {min_lon} {min_lat}")
    yield Triple(unit, DCAT.centroid, Literal(f"POINT({lon} {lat})", datatype=wkt))
    yield Triple(unit, DCAT.bbox, Literal(f"POLYGON(({ring}))", datatype=wkt))
    if area_km2:
        yield Triple(unit, KG.areaKm2, Literal(area_km2, datatype=XSD.decimal))


def succession_triples(old: NamedNode, new: NamedNode, transfer: str) -> Iterator[Triple]:
    """That ``old`` went wholly (``full``) or partly (``partial``) into ``new`` on 1 July 2025.

    Direct links both ways for simple queries, a qualified record for the transfer type, and
    SKOS mappings between the two schemes for vocabulary browsers.
    """
    record = NamedNode(f"{old.value}/succession/{new.value.rsplit('/', 1)[1]}")
    yield Triple(record, RDF.type, KG.Succession)
    yield Triple(record, KG.predecessor, old)
    yield Triple(record, KG.successor, new)
    yield Triple(record, KG.transferType, NamedNode(TRANSFER + transfer))
    yield Triple(record, DCT.date, REFORM_DATE)
    yield Triple(old, KG.succession, record)
    yield Triple(new, KG.succession, record)
    yield Triple(old, KG.replacedBy, new)
    yield Triple(new, KG.replaces, old)
    if transfer == "full":
        yield Triple(old, SKOS.broadMatch, new)
        yield Triple(new, SKOS.narrowMatch, old)
    else:
        yield Triple(old, SKOS.relatedMatch, new)
        yield Triple(new, SKOS.relatedMatch, old)


def scheme_triples(edition: str, sources: list[str], notes: list[str]) -> Iterator[Triple]:
    """The concept scheme of one edition, with where it came from and what was corrected."""
    scheme = scheme_iri(f"admin-units-{edition}")
    label_vi, label_en = SCHEME_LABELS[edition]
    yield Triple(scheme, RDF.type, SKOS.ConceptScheme)
    for label in (Literal(label_vi, language="vi"), Literal(label_en, language="en")):
        yield Triple(scheme, SKOS.prefLabel, label)
        yield Triple(scheme, DCT.title, label)
    yield Triple(scheme, SKOS.definition, Literal(
        "Đơn vị hành chính theo mã của Tổng cục Thống kê, "
        + ("có hiệu lực từ ngày 1/7/2025 (không còn cấp huyện)." if edition == "2025"
           else "hết hiệu lực từ ngày 1/7/2025 (ba cấp tỉnh, huyện, xã)."), language="vi"))
    yield Triple(scheme, SKOS.definition, Literal(
        "Administrative units with their General Statistics Office codes, "
        + ("in force from 1 July 2025 (no district level)." if edition == "2025"
           else "in force until 1 July 2025 (province, district and commune levels)."),
        language="en"))
    if edition == "2025":
        yield Triple(scheme, KG.validFrom, REFORM_DATE)
    else:
        yield Triple(scheme, KG.validUntil, REFORM_DATE)
    for source in sources:
        yield Triple(scheme, DCT.source, Literal(source))
    for note in notes:
        yield Triple(scheme, SKOS.editorialNote, Literal(note, language="en"))
    yield Triple(scheme, RDFS.seeAlso, NamedNode("https://danhmuchanhchinh.nso.gov.vn/"))
