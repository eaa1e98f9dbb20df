"""Harvesting real HTTP sources on 127.0.0.1: a CKAN Action API and paged DCAT (Turtle,
JSON-LD, RDF/XML, the real university catalogues), mapping per field, quarantine, vanished
records, unchanged sources skipped, a broken page changing nothing, limits, the change record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from graph.change_log import CHANGES
from graph.embedded import EmbeddedStore
from graph.store import solutions
from loaders.errors import LoadError
from loaders.harvest import harvest
from loaders.harvest_sources import HarvestSource, add_source, list_sources, remove_source
from loaders.safe_http import FetchError, Limits
from tests.loaders.fake_portals import Site, package, serving

EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture
def demo(demo_store: str) -> EmbeddedStore:
    opened = EmbeddedStore(Path(demo_store))
    yield opened
    opened.close()


def values(store: EmbeddedStore, sparql: str) -> list[str]:
    return sorted(str(getattr(v, "value", v)) for row in solutions(store.query(sparql))
                  for v in row if v is not None)


def ckan_source(url: str, **extra: object) -> HarvestSource:
    return HarvestSource("hoi-moi-truong", "Cổng dữ liệu Hội Môi trường", "ckan", url, "vusta",
                         licence="CC0", allow_private=True, **extra)  # type: ignore[arg-type]


def test_a_ckan_portal_is_mapped_field_by_field(demo: EmbeddedStore) -> None:
    site = Site(packages=[
        package(1),
        # Messy: no licence, upper-case format, a pre-2025 province with diacritics.
        package(2, license_id="", license_title="", extras=[
            {"key": "spatial_text", "value": "Tỉnh Hà Giang"}],
            resources=[{"id": "r2", "url": "https://files.example.org/2.xlsx",
                        "format": "XLSX ", "size": "2048"}]),
        # No description: the profile requires one, so it is quarantined.
        package(3, notes=""),
        # Published on the portal by a member the registry knows (title without diacritics).
        package(5, organization={"name": "vaip", "title": "Hoi Tin hoc Viet Nam"}),
        # A licence id of the portal's own register (license_list), unknown elsewhere.
        package(6, organization={"name": "hoi-khac", "title": "Một hội khác"},
                license_id="giay-phep-mo-vn", license_title=""),
    ])
    with serving(site) as url:
        add_source(demo, ckan_source(url))
        outcome = harvest(demo, list_sources(demo)[0])
    assert (outcome.seen, outcome.loaded, len(outcome.quarantined)) == (5, 4, 1), outcome
    assert outcome.quarantined[0].endswith("00000000003")
    reason = outcome.reasons[outcome.quarantined[0]][0]
    assert "mô tả" in reason.lower() and "description" in reason.lower()
    graph = "<https://data.vusta.vn/graph/harvest/hoi-moi-truong>"
    one = "<https://data.vusta.vn/id/dataset/hoi-moi-truong-00000001-aaaa-4bbb-8ccc-000000000001>"
    assert values(demo, f"SELECT ?l {{ GRAPH {graph} {{ {one} dcat:distribution/dct:license ?l "
                        "} }") == [f"{EU}licence/CC_BY_4_0"]
    assert values(demo, f"SELECT ?f {{ GRAPH {graph} {{ {one} dcat:distribution/dct:format ?f "
                        "} }") == [f"{EU}file-type/CSV"]
    assert values(demo, f"SELECT ?p {{ GRAPH {graph} {{ {one} dct:spatial ?p }} }}") == [
        "https://data.vusta.vn/id/unit/2025/province/01"]
    assert values(demo, f"SELECT ?t {{ GRAPH {graph} {{ {one} dcat:theme ?t }} }}") == [
        f"{EU}data-theme/ENVI"]
    assert values(demo, f"SELECT ?k {{ GRAPH {graph} {{ {one} dcat:keyword ?k }} }}") == [
        "môi trường", "quan trac"]
    assert values(demo, f"SELECT ?s ?e {{ GRAPH {graph} {{ {one} dct:temporal [ dcat:startDate "
                        "?s ; dcat:endDate ?e ] } }") == ["2023-01-01", "2023-12-31"]
    assert values(demo, f"SELECT ?m {{ GRAPH {graph} {{ {one} dcat:contactPoint/vcard:hasEmail"
                        " ?m } }") == ["mailto:a@example.org"]
    two = one.replace("00000001", "00000002").replace("000000000001", "000000000002")
    # No licence at the source: the source's default; a former province, as written.
    assert values(demo, f"SELECT ?l ?f ?b {{ GRAPH {graph} {{ {two} dcat:distribution ?d . "
                        "?d dct:license ?l ; dct:format ?f ; dcat:byteSize ?b } }") == [
        "2048", f"{EU}file-type/XLSX", f"{EU}licence/CC0"]
    assert values(demo, f"SELECT ?p {{ GRAPH {graph} {{ {two} dct:spatial ?p }} }}") == [
        "https://data.vusta.vn/id/unit/pre-2025/province/02"]
    # The package's CKAN organisation, known to the registry under the source's: publisher.
    five = one.replace("00000001", "00000005").replace("000000000001", "000000000005")
    assert values(demo, f"SELECT ?p {{ GRAPH {graph} {{ {five} dct:publisher ?p }} }}") == [
        "https://data.vusta.vn/id/org/hoi-tin-hoc"]
    # The packages' own organisation ("hoi-moi-truong") is in the registry too.
    assert values(demo, f"SELECT ?p {{ GRAPH {graph} {{ {one} dct:publisher ?p }} }}") == [
        "https://data.vusta.vn/id/org/hoi-moi-truong"]
    # An organisation the registry does not know: the source's own.
    six = one.replace("00000001", "00000006").replace("000000000001", "000000000006")
    assert values(demo, f"SELECT ?p {{ GRAPH {graph} {{ {six} dct:publisher ?p }} }}") == [
        "https://data.vusta.vn/id/org/vusta"]
    assert values(demo, f"SELECT ?l {{ GRAPH {graph} {{ {six} dcat:distribution/dct:license ?l "
                        "} }") == [f"{EU}licence/CC_BY_4_0"]


def test_a_reharvest_skips_an_unchanged_source_and_removes_what_vanished(
        demo: EmbeddedStore) -> None:
    site = Site(packages=[package(1), package(2), package(4)])
    with serving(site) as url:
        add_source(demo, ckan_source(url))
        source = list_sources(demo)[0]
        assert harvest(demo, source).loaded == 3
        revision = demo.revision()
        again = harvest(demo, source)
        assert again.skipped and demo.revision() == revision
        assert "If-None-Match" in site.requests[-1][1]
        site.packages = [package(1, title="Số liệu quan trắc 1 (bản sửa)"), package(2)]
        third = harvest(demo, source)
    assert (third.seen, third.loaded, third.removed) == (2, 2, 1)
    # The graph's provenance says what the run did, page by page.
    [row] = solutions(demo.query(
        "SELECT ?seen ?loaded ?removed ?pages ?log WHERE { GRAPH <https://data.vusta.vn/graph/"
        "meta> { <https://data.vusta.vn/graph/harvest/hoi-moi-truong> kg:recordsSeen ?seen ; "
        "kg:recordsLoaded ?loaded ; kg:recordsRemoved ?removed ; kg:pagesFetched ?pages ; "
        "kg:harvestLog ?log } }"))
    assert [int(row[k].value) for k in ("seen", "loaded", "removed")] == [2, 2, 1]
    log = json.loads(row["log"].value)
    assert int(row["pages"].value) == len(log) >= 1
    assert all(entry["status"] == 200 and entry["ms"] >= 0 and entry["bytes"] > 0
               for entry in log), log
    rows = solutions(demo.query(
        f"SELECT ?a ?r ?p {{ GRAPH {CHANGES} {{ ?c kg:activity ?a ; kg:record ?r ; "
        f"kg:recordType dcat:Dataset ; kg:revision ?rev OPTIONAL {{ ?c kg:addedProperty ?p }}"
        f" FILTER(?rev > {revision}) }} }}"))
    seen = sorted((row["a"].value, row["r"].value.rsplit("-", 1)[1],
                   row["p"].value if row["p"] else "") for row in rows)
    assert seen == [("Delete", "000000000004", ""),
                    ("Update", "000000000001", "http://purl.org/dc/terms/title")]


DCAT_PAGE_1 = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<catalog> a dcat:Catalog ; dct:title "Danh mục"@vi ; dct:description "Mô tả"@vi ;
  dct:publisher <https://data.vusta.vn/id/org/vusta> ; dcat:dataset <ds/a> .
<ds/a> a dcat:Dataset ; dct:title "Tập A"@vi ; dct:description "Mô tả A"@vi ;
  dct:publisher <https://data.vusta.vn/id/org/vusta> .
<page1.ttl> a hydra:PartialCollectionView ; hydra:next <page2.jsonld> .
"""
DCAT_PAGE_2 = b"""{"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
  "hydra": "http://www.w3.org/ns/hydra/core#"},
 "@graph": [{"@id": "catalog", "dcat:dataset": {"@id": "ds/b"}},
  {"@id": "ds/b", "@type": "dcat:Dataset",
   "dct:title": {"@value": "T\xe1\xba\xadp B", "@language": "vi"},
   "dct:description": {"@value": "M\xc3\xb4 t\xe1\xba\xa3 B", "@language": "vi"},
   "dct:publisher": {"@id": "https://data.vusta.vn/id/org/vusta"}},
  {"@id": "page2.jsonld", "@type": "hydra:PagedCollection", "hydra:nextPage": {"@id": "page3"}}]}
"""
DCAT_PAGE_3 = """<catalog> <http://www.w3.org/ns/dcat#dataset> <ds/c> .
<ds/c> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "Tập C"@vi ;
  <http://purl.org/dc/terms/description> "Mô tả C"@vi ;
  <http://purl.org/dc/terms/publisher> <https://data.vusta.vn/id/org/vusta> .
"""


def dcat_site() -> Site:
    return Site(files={"/dcat/page1.ttl": (DCAT_PAGE_1.encode(), "text/turtle"),
                       "/dcat/page2.jsonld": (DCAT_PAGE_2, "application/ld+json"),
                       # Sent as text/plain, as many portals do: found out from the content.
                       "/dcat/page3": (DCAT_PAGE_3.encode(), "text/plain")})


def dcat_source(url: str, allow_private: bool = True) -> HarvestSource:
    return HarvestSource("mot-danh-muc", "Một danh mục DCAT", "dcat", url, "vusta",
                         allow_private=allow_private)


def test_paged_dcat_in_three_syntaxes_keeps_its_own_iris(demo: EmbeddedStore) -> None:
    with serving(dcat_site()) as url:
        add_source(demo, dcat_source(f"{url}/dcat/page1.ttl"))
        outcome = harvest(demo, list_sources(demo)[0])
    assert (outcome.pages, outcome.seen, outcome.loaded) == (3, 3, 3)
    graph = "<https://data.vusta.vn/graph/harvest/mot-danh-muc>"
    assert values(demo, f"SELECT ?d {{ GRAPH {graph} {{ ?c dcat:dataset ?d }} }}") == [
        f"{url}/dcat/ds/{x}" for x in "abc"]
    # The paging statements are not part of the catalogue.
    assert not bool(demo.query(f"ASK {{ GRAPH {graph} {{ ?v ?p ?o FILTER(STRSTARTS(STR(?p),"
                               " 'http://www.w3.org/ns/hydra/core#')) } }"))


def test_a_broken_page_mid_harvest_changes_nothing(demo: EmbeddedStore) -> None:
    site = dcat_site()
    with serving(site) as url:
        add_source(demo, dcat_source(f"{url}/dcat/page1.ttl"))
        source = list_sources(demo)[0]
        harvest(demo, source)
        before = demo.revision()
        site.files["/dcat/page1.ttl"] = (DCAT_PAGE_1.replace("Tập A", "Tập A mới").encode(),
                                         "text/turtle")
        site.files["/dcat/page2.jsonld"] = (b"", "error")
        with pytest.raises(FetchError, match="HTTP 500"):
            harvest(demo, source)
    assert demo.revision() == before
    assert values(demo, "SELECT ?t { GRAPH <https://data.vusta.vn/graph/harvest/mot-danh-muc>"
                        " { ?d dct:title ?t } FILTER(STRSTARTS(?t, 'Tập A')) }") == ["Tập A"]


def test_limits_are_enforced(demo: EmbeddedStore) -> None:
    with serving(dcat_site()) as url:
        # Loopback without the admin's mark.
        with pytest.raises(FetchError, match="private"):
            harvest(demo, dcat_source(f"{url}/dcat/page1.ttl", allow_private=False))
        with pytest.raises(FetchError, match="page cap"):
            harvest(demo, dcat_source(f"{url}/dcat/page1.ttl"),
                    limits=Limits(max_pages=2, allow_private=True))
        with pytest.raises(FetchError, match="larger than"):
            harvest(demo, dcat_source(f"{url}/dcat/page1.ttl"),
                    limits=Limits(max_bytes=600, allow_private=True))
        with pytest.raises(FetchError, match="redirects"):
            harvest(demo, dcat_source(f"{url}/redirect/redirect/dcat/page1.ttl"),
                    limits=Limits(max_redirects=1, allow_private=True))
        redirected = harvest(demo, dcat_source(f"{url}/redirect/dcat/page1.ttl"))
        assert redirected.seen == 3
    with pytest.raises(FetchError, match="only http"):
        harvest(demo, dcat_source("file:///etc/passwd"))


def test_a_source_must_belong_to_an_organisation_of_the_registry(demo: EmbeddedStore) -> None:
    with pytest.raises(LoadError, match="organisation of the registry"):
        add_source(demo, HarvestSource("x", "X", "dcat", "https://example.org/c.ttl",
                                       "no-such-org"))
    with pytest.raises(LoadError, match="kind"):
        add_source(demo, HarvestSource("x", "X", "csv", "https://example.org/c.ttl", "vusta"))
    add_source(demo, HarvestSource("x", "X", "dcat", "https://example.org/c.ttl", "vusta"))
    assert [s.slug for s in list_sources(demo)] == ["x"]
    assert remove_source(demo, "x") and list_sources(demo) == []


def test_the_real_university_catalogues(demo: EmbeddedStore, shared_dcat: Path) -> None:
    files = {f"/{p.name}": (p.read_bytes(), "application/octet-stream")
             for p in shared_dcat.glob("*.rdf")}
    with serving(Site(files=files)) as url:
        source = HarvestSource("upo", "UPO", "dcat", f"{url}/uniupo-catalog.rdf", "vusta",
                               allow_private=True, language="it")
        outcome = harvest(demo, source)
    # Relative IRIs, empty licences, formats as relative IRIs, agents that are not
    # organisations of the registry and EuroVoc concepts described in English are all read
    # as the profile's; what stays is what the profile truly lacks: these Italian records
    # have no Vietnamese title and no OECD field, so each is quarantined for exactly that.
    assert (outcome.seen, outcome.loaded) == (18, 0)
    reasons = {record: sorted(reason.split(" / ")[1] for reason in outcome.reasons[record])
               for record in outcome.quarantined}
    catalogue = ["The catalogue needs a title in Vietnamese."]
    dataset = ["A field must come from the OECD fields of science and technology.",
               "The dataset needs a title in Vietnamese."]
    assert sorted(map(tuple, reasons.values())) == [tuple(dataset)] * 18 + [tuple(catalogue)]


def test_harvested_dcat_values_are_read_as_the_profile_s(demo: EmbeddedStore,
                                                          shared_dcat: Path) -> None:
    """The same values once the records carry what the profile requires."""
    body = (shared_dcat / "unite-teramo-catalog.rdf").read_bytes()
    base = "http://127.0.0.1/unite-teramo-catalog.rdf"
    triples = [q.triple for q in parse(body, RdfFormat.RDF_XML, base_iri=base)]
    datasets = {t.subject for t in triples if t.predicate.value.endswith("#type")
                and t.object.value == "http://www.w3.org/ns/dcat#Dataset"}
    # EuroVoc subjects are not fields of science: the curator's OECD field instead.
    triples = [t for t in triples if t.predicate.value != "http://purl.org/dc/terms/subject"]
    field = NamedNode("https://data.vusta.vn/id/concept/fos/1.1")
    extra = [Triple(d, NamedNode("http://purl.org/dc/terms/title"),
                    Literal("Tập dữ liệu của Đại học Teramo", language="vi")) for d in datasets]
    extra += [Triple(d, NamedNode("http://purl.org/dc/terms/subject"), field) for d in datasets]
    catalog = [t.subject for t in triples if t.object.value == "http://www.w3.org/ns/dcat#Catalog"]
    extra += [Triple(catalog[0], NamedNode("http://purl.org/dc/terms/title"),
                     Literal("Danh mục Đại học Teramo", language="vi"))]
    document = serialize(triples + extra, format=RdfFormat.N_TRIPLES)
    with serving(Site(files={"/c.nt": (document, "application/n-triples")})) as url:
        outcome = harvest(demo, HarvestSource("teramo", "Teramo", "dcat", f"{url}/c.nt",
                                              "vusta", allow_private=True, language="it"))
    assert (outcome.seen, outcome.loaded, outcome.quarantined) == (11, 11, []), outcome.reasons
    graph = "<https://data.vusta.vn/graph/harvest/teramo>"
    assert values(demo, f"SELECT DISTINCT ?f {{ GRAPH {graph} {{ ?d dct:format ?f }} }}") == [
        f"{EU}file-type/CSV"]
    assert values(demo, f"SELECT DISTINCT ?l {{ GRAPH {graph} {{ ?d dct:license ?l }} }}") == [
        f"{EU}licence/CC_BY_4_0"]
    assert values(demo, f"SELECT DISTINCT ?p {{ GRAPH {graph} {{ ?d a dcat:Dataset ; "
                        "dct:publisher ?p } }") == ["https://data.vusta.vn/id/org/vusta"]
    assert values(demo, f"SELECT (COUNT(?c) AS ?n) {{ GRAPH {graph} {{ ?d a dcat:Dataset ; "
                        "dct:creator ?c } }") == ["11"]
    assert not bool(demo.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o FILTER(isLiteral(?o) && "
                               "STR(?o) = '') } }"))
    assert not bool(demo.query(f"ASK {{ GRAPH {graph} {{ ?c a skos:Concept }} }}"))


def test_a_reharvest_on_a_remote_store_sees_the_reference_data(tmp_path: Path) -> None:
    """On `oxigraph serve`, the check of a reload copies the units and themes its records
    point to from every other graph (over the protocol, a dataset naming a default graph has
    only the named graphs it lists)."""
    import subprocess

    from graph.remote import Endpoint, RemoteStore
    from tests.conftest import kg_command, start_oxigraph

    proc, base = start_oxigraph()
    try:
        subprocess.run(kg_command("--store", base, "demo"), check=True, capture_output=True,
                       timeout=300, cwd=tmp_path)
        remote = RemoteStore(Endpoint.oxigraph(base))
        site = Site(packages=[package(1), package(2), package(4)])
        with serving(site) as url:
            add_source(remote, ckan_source(url))
            source = list_sources(remote)[0]
            assert harvest(remote, source).loaded == 3
            site.packages = [package(1, title="Số liệu quan trắc 1 (bản sửa)"), package(2)]
            again = harvest(remote, source)
        assert (again.loaded, again.quarantined, again.removed) == (2, [], 1), again.reasons
        remote.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_dataset_syntax_gives_its_graphs_triples(demo: EmbeddedStore) -> None:
    trig = (DCAT_PAGE_3.replace("<catalog> <http://www.w3.org/ns/dcat#dataset> <ds/c> .\n", "")
            .join(("<g1> {\n", "}\n")))
    site = Site(files={"/dcat/all.trig": (trig.encode(), "application/trig")})
    with serving(site) as url:
        add_source(demo, dcat_source(f"{url}/dcat/all.trig"))
        outcome = harvest(demo, list_sources(demo)[0])
    assert (outcome.seen, outcome.loaded) == (1, 1), outcome.reasons
    assert values(demo, "SELECT ?t { GRAPH <https://data.vusta.vn/graph/harvest/mot-danh-muc> "
                        "{ ?d dct:title ?t } }") == ["Tập C"]
