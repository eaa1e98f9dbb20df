"""A seeded generator of a realistic DCAT catalogue: the demo data and the benchmark corpus.

Every dataset is marked ``kg:demoData true``; titles say "(dữ liệu minh họa)" / "(demo)".
The same seed gives the same catalogue, so benchmarks are comparable across runs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize

from graph.namespaces import (
    DCAT,
    DCT,
    EU_FILE_TYPE,
    EU_LICENCE,
    EU_THEME,
    FOS,
    KG,
    RDF,
    VCARD,
    XSD,
    org_iri,
    resource_iri,
    scheme_iri,
)

CATALOG_ID = "vusta"
TRUE = Literal("true", datatype=XSD.boolean)
LANG_VI = NamedNode("http://publications.europa.eu/resource/authority/language/VIE")
PUBLIC = NamedNode("http://publications.europa.eu/resource/authority/access-right/PUBLIC")

# (theme, field of science, Vietnamese topic, English topic, keywords in Vietnamese)
TOPICS = [
    ("AGRI", "4.1", "năng suất lúa", "rice yield", ["lúa", "nông nghiệp", "năng suất"]),
    ("AGRI", "4.2", "đàn gia súc", "livestock herds", ["chăn nuôi", "gia súc"]),
    ("ENVI", "1.5", "chất lượng không khí", "air quality", ["không khí", "PM2.5", "ô nhiễm"]),
    ("ENVI", "1.6", "đa dạng sinh học", "biodiversity", ["đa dạng sinh học", "loài"]),
    ("ENVI", "2.7", "xử lý nước thải", "wastewater treatment", ["nước thải", "môi trường"]),
    ("ENER", "2.2", "tiêu thụ điện năng", "electricity consumption", ["điện", "năng lượng"]),
    ("ENER", "2.11", "điện mặt trời mái nhà", "rooftop solar power", ["điện mặt trời"]),
    ("HEAL", "3.3", "tiêm chủng mở rộng", "immunisation coverage", ["tiêm chủng", "y tế"]),
    ("HEAL", "3.2", "bệnh sốt xuất huyết", "dengue fever cases", ["sốt xuất huyết", "dịch tễ"]),
    ("EDUC", "5.3", "kết quả thi tốt nghiệp", "school-leaving exam results", ["giáo dục"]),
    ("TECH", "1.2", "chuyển đổi số doanh nghiệp", "digital transformation of firms",
     ["chuyển đổi số", "công nghệ thông tin"]),
    ("TECH", "2.10", "công bố khoa học về vật liệu nano", "nanomaterials publications",
     ["nano", "công bố khoa học"]),
    ("TECH", "1.1", "đề tài nghiên cứu khoa học", "research projects", ["đề tài", "KH&CN"]),
    ("ECON", "5.2", "doanh nghiệp khoa học và công nghệ", "science and technology enterprises",
     ["doanh nghiệp", "đổi mới sáng tạo"]),
    ("SOCI", "5.4", "lao động có trình độ kỹ thuật", "skilled labour", ["lao động", "việc làm"]),
    ("REGI", "5.7", "quy hoạch đô thị", "urban planning", ["đô thị", "quy hoạch"]),
    ("TRAN", "2.1", "lưu lượng giao thông", "traffic volumes", ["giao thông"]),
    ("GOVE", "5.6", "dịch vụ công trực tuyến", "online public services", ["dịch vụ công"]),
    ("EDUC", "6.1", "di tích lịch sử", "historic monuments", ["di tích", "di sản"]),
    ("AGRI", "4.1", "nuôi trồng thủy sản", "aquaculture output", ["thủy sản", "nuôi trồng"]),
]
FORMATS = [("CSV", "text/csv", "csv"), ("XLSX", "application/vnd.openxmlformats-officedocument"
           ".spreadsheetml.sheet", "xlsx"), ("JSON", "application/json", "json"),
           ("PDF", "application/pdf", "pdf"), ("GEOJSON", "application/geo+json", "geojson")]
LICENCES = ["CC_BY_4_0", "CC_BY_4_0", "CC_BY_4_0", "CC0", "CC_BYSA_4_0", "ODC_BY"]


def generate_catalog(
    datasets: int, publishers: list[str], provinces: list[NamedNode], *, seed: int = 2025
) -> Iterator[Triple]:
    """A catalogue of ``datasets`` datasets (about 55 triples each) with two distributions each.

    >>> from graph.namespaces import unit_iri
    >>> triples = list(generate_catalog(3, ["vusta"], [unit_iri("2025", "province", "01")]))
    >>> 120 < len(triples) < 220
    True
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    catalog = resource_iri("catalog", CATALOG_ID)
    yield from _catalog_triples(catalog)
    for number in range(1, datasets + 1):
        yield from _dataset_triples(rng, catalog, number, publishers, provinces)


def _catalog_triples(catalog: NamedNode) -> Iterator[Triple]:
    yield Triple(catalog, RDF.type, DCAT.Catalog)
    yield Triple(catalog, DCT.title, Literal("Danh mục dữ liệu mở của Liên hiệp hội (dữ liệu "
                                             "minh họa)", language="vi"))
    yield Triple(catalog, DCT.title, Literal("VUSTA open data catalogue (demo)", language="en"))
    yield Triple(catalog, DCT.description, Literal(
        "Danh mục minh họa do bộ sinh dữ liệu của dự án tạo ra; không phải dữ liệu thật.",
        language="vi"))
    yield Triple(catalog, DCT.description, Literal(
        "A demo catalogue made by the project's seeded generator; not real data.", language="en"))
    yield Triple(catalog, DCT.publisher, org_iri("vusta"))
    yield Triple(catalog, DCT.license, EU_LICENCE.CC_BY_4_0)
    yield Triple(catalog, DCT.language, LANG_VI)
    for scheme in (NamedNode(EU_THEME.iri.rstrip("/")), scheme_iri("fields-of-science")):
        yield Triple(catalog, DCAT.themeTaxonomy, scheme)
    service = resource_iri("service", "sparql")
    yield Triple(catalog, DCAT.service, service)
    yield Triple(service, RDF.type, DCAT.DataService)
    yield Triple(service, DCT.title, Literal("Điểm truy vấn SPARQL", language="vi"))
    yield Triple(service, DCT.title, Literal("SPARQL endpoint", language="en"))
    yield Triple(service, DCAT.endpointURL, NamedNode("https://data.vusta.vn/sparql"))
    yield Triple(service, DCT.conformsTo, NamedNode("https://www.w3.org/TR/sparql11-protocol/"))
    yield Triple(service, DCT.publisher, org_iri("vusta"))
    yield Triple(catalog, KG.demoData, TRUE)


def _dataset_triples(rng: random.Random, catalog: NamedNode, number: int,
                     publishers: list[str], provinces: list[NamedNode]) -> Iterator[Triple]:
    identifier = f"ds-{number:06d}"
    ds = resource_iri("dataset", identifier)
    theme, field, topic_vi, topic_en, keywords = rng.choice(TOPICS)
    year = rng.randint(2015, 2025)
    place = rng.choice(provinces)
    publisher = org_iri(rng.choice(publishers))
    issued = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    modified = issued + timedelta(days=rng.randint(0, 600))
    code = place.value.rsplit("/", 1)[1]
    yield Triple(catalog, DCAT.dataset, ds)
    yield Triple(ds, RDF.type, DCAT.Dataset)
    yield Triple(ds, DCT.identifier, Literal(identifier))
    yield Triple(ds, DCT.title, Literal(
        f"Số liệu {topic_vi} năm {year}, địa bàn mã {code} (dữ liệu minh họa)", language="vi"))
    yield Triple(ds, DCT.title, Literal(
        f"{topic_en.capitalize()} in {year}, area code {code} (demo)", language="en"))
    yield Triple(ds, DCT.description, Literal(
        f"Bộ số liệu về {topic_vi} năm {year} do hội thành viên tổng hợp từ khảo sát và báo cáo "
        f"chuyên ngành. Dữ liệu minh họa, không phải số liệu thật.", language="vi"))
    yield Triple(ds, DCT.description, Literal(
        f"Figures on {topic_en} in {year}, compiled by a member association from surveys and "
        f"sector reports. Demo data, not real figures.", language="en"))
    yield Triple(ds, DCT.publisher, publisher)
    yield Triple(ds, DCAT.theme, EU_THEME[theme])
    yield Triple(ds, DCT.subject, FOS[field])
    # Not every record is complete, as in any real catalogue: quality scores then differ.
    complete = rng.random()
    if complete > 0.15:
        for keyword in keywords:
            yield Triple(ds, DCAT.keyword, Literal(keyword, language="vi"))
    yield Triple(ds, DCT.issued, Literal(issued.isoformat(), datatype=XSD.date))
    yield Triple(ds, DCT.modified, Literal(modified.isoformat(), datatype=XSD.date))
    yield Triple(ds, DCT.spatial, place)
    yield Triple(ds, DCT.language, LANG_VI)
    yield Triple(ds, DCT.accessRights, PUBLIC)
    if complete > 0.08:
        period = NamedNode(f"{ds.value}/period")
        yield Triple(ds, DCT.temporal, period)
        yield Triple(period, RDF.type, DCT.PeriodOfTime)
        yield Triple(period, DCAT.startDate, Literal(f"{year}-01-01", datatype=XSD.date))
        yield Triple(period, DCAT.endDate, Literal(f"{year}-12-31", datatype=XSD.date))
    if complete > 0.04:
        contact = NamedNode(f"{ds.value}/contact")
        yield Triple(ds, DCAT.contactPoint, contact)
        yield Triple(contact, RDF.type, VCARD.Organization)
        yield Triple(contact, VCARD.fn, Literal("Bộ phận dữ liệu", language="vi"))
        yield Triple(contact, VCARD.hasEmail,
                     NamedNode(f"mailto:data+{identifier}@vusta.example"))
    yield Triple(ds, KG.demoData, TRUE)
    licence = EU_LICENCE[rng.choice(LICENCES)]
    for index, (fmt, media, ext) in enumerate(rng.sample(FORMATS, 2), start=1):
        dist = resource_iri("distribution", f"{identifier}-{index}")
        yield Triple(ds, DCAT.distribution, dist)
        yield Triple(dist, RDF.type, DCAT.Distribution)
        yield Triple(dist, DCT.title, Literal(f"Tệp {fmt}", language="vi"))
        yield Triple(dist, DCT.title, Literal(f"{fmt} file", language="en"))
        url = NamedNode(f"https://files.vusta.example/{identifier}/data.{ext}")
        yield Triple(dist, DCAT.accessURL, url)
        yield Triple(dist, DCAT.downloadURL, url)
        yield Triple(dist, DCT.format, EU_FILE_TYPE[fmt])
        if rng.random() > 0.2:
            yield Triple(dist, DCAT.mediaType,
                         NamedNode(f"https://www.iana.org/assignments/media-types/{media}"))
        yield Triple(dist, DCT.license, licence)
        if rng.random() > 0.1:
            yield Triple(dist, DCAT.byteSize, Literal(str(rng.randint(2_000, 50_000_000)),
                                                      datatype=XSD.nonNegativeInteger))
        yield Triple(dist, DCT.issued, Literal(issued.isoformat(), datatype=XSD.date))


def write_catalog(path: Path, datasets: int, publishers: list[str], provinces: list[NamedNode],
                  *, seed: int = 2025) -> None:
    """Write a generated catalogue as N-Triples (or Turtle for ``.ttl``)."""
    fmt = RdfFormat.TURTLE if path.suffix == ".ttl" else RdfFormat.N_TRIPLES
    with path.open("wb") as out:
        serialize(generate_catalog(datasets, publishers, provinces, seed=seed), out, fmt)
