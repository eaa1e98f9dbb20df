"""DCAT-AP 3.0.1 conformance of what harvesters read, and content negotiation by profile.

Over real HTTP (`kg serve` on a copy of the demo store): every /catalog page, the DCAT-AP
profile of dataset, catalogue and service documents, and the DCAT-AP dump are validated with
pyshacl against the shapes in ``shapes/dcat-ap/`` (written from the specification): zero
violations of the mandatory and of the range shapes. The same shapes find the violations in
the native documents (so they are not shapes that cannot fail). Profiles are asked for as
W3C Content Negotiation by Profile says: ``Accept-Profile``, ``_profile``/``_mediatype``,
answered with ``Content-Profile`` and ``Link`` alternates; ``?_profile=alt`` lists them. The
schema.org profile is read with PyLD, as a JSON-LD consumer reads it."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyshacl
import pytest
import rdflib
import requests
from pyld import jsonld

from graph.embedded import EmbeddedStore
from graph.resources import profile_shapes
from loaders.harvest import harvest
from loaders.harvest_sources import HarvestSource
from tests.conftest import SHARED_DCAT, kg_serve
from tests.loaders.fake_portals import Site, serving

DATASET = "dataset/ds-000007"
DCAT_AP = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("dcat-ap")
    shutil.copytree(demo_store_path, folder / "store")
    with kg_serve(folder / "store", env=_env(folder)) as base:
        yield base


def _env(folder: Path) -> dict[str, str]:
    import os

    return {**os.environ, "KG_DUMPS_DIR": str(folder / "dumps")}


def violations(turtle: bytes | str, name: str) -> list[str]:
    """Each violation of one shapes file: focus node, path and constraint."""
    data = rdflib.Graph().parse(data=turtle, format="turtle")
    shapes = rdflib.Graph().parse(data=profile_shapes("dcat-ap", name), format="turtle")
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    return sorted(f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)} "
                  f"{report.value(r, SH.sourceConstraintComponent)}"
                  for r in report.subjects(rdflib.RDF.type, SH.ValidationResult))


def conforms(turtle: bytes | str) -> None:
    for name in ("mandatory", "range"):
        found = violations(turtle, name)
        assert found == [], f"{len(found)} violations of the {name} shapes: {found[:5]}"


def turtle(url: str, **params: str) -> requests.Response:
    response = requests.get(url, params=params, headers={"Accept": "text/turtle"}, timeout=120)
    assert response.status_code == 200, response.text[:300]
    return response


def test_every_catalogue_page_conforms(served: str) -> None:
    url: str | None = f"{served}/catalog"
    pages = 0
    datasets: set[str] = set()
    while url and pages < 10:
        response = turtle(url)
        conforms(response.content)
        graph = rdflib.Graph().parse(data=response.content, format="turtle")
        datasets |= {str(d) for d in graph.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset)}
        sizes = list(graph.objects(None, rdflib.DCAT.byteSize))
        assert sizes and all(s.datatype == rdflib.XSD.nonNegativeInteger for s in sizes)
        assert (rdflib.URIRef("http://publications.europa.eu/resource/authority/licence/"
                              "CC_BY_4_0"), rdflib.RDF.type, rdflib.DCTERMS.LicenseDocument) \
            in graph
        following = list(graph.objects(None, rdflib.URIRef(
            "http://www.w3.org/ns/hydra/core#next")))
        url = str(following[0]) if following else None
        pages += 1
    assert pages == 3 and len(datasets) == 300


def test_documents_in_the_dcat_ap_profile_conform_and_native_ones_do_not(served: str) -> None:
    for path in (DATASET, "catalog/vusta", "service/sparql"):
        response = turtle(f"{served}/doc/{path}", _profile="dcat-ap")
        assert response.headers["Content-Profile"] == f"<{DCAT_AP}>"
        conforms(response.content)
    # The same dataset in the native profile links its access rights, places... untyped: the
    # range shapes say so, which is why the DCAT-AP profile exists.
    native = turtle(f"{served}/doc/{DATASET}")
    assert native.headers["Content-Profile"] == "<https://data.vusta.vn/def/profile/native>"
    found = violations(native.content, "range")
    assert any("ClassConstraintComponent" in v and "accessRights" in v for v in found), found


def test_the_dcat_ap_dump_conforms(served: str) -> None:
    manifest = requests.get(f"{served}/dumps/", params={"format": "json"}, timeout=300).json()
    entry = next(f for f in manifest["files"] if f["name"] == "kg.dcat-ap.ttl.gz")
    body = gzip.decompress(requests.get(f"{served}/dumps/{entry['name']}", timeout=120).content)
    conforms(body)
    graph = rdflib.Graph().parse(data=body, format="turtle")
    assert len(set(graph.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset))) == 300


def test_negotiation_by_profile(served: str) -> None:
    url = f"{served}/doc/{DATASET}"
    by_header = requests.get(url, headers={
        "Accept": "text/turtle",
        "Accept-Profile": f"<http://example.org/unknown>;q=1.0, <{DCAT_AP}>;q=0.8"}, timeout=60)
    assert by_header.headers["Content-Profile"] == f"<{DCAT_AP}>"
    assert "Accept-Profile" in by_header.headers["Vary"]
    links = requests.utils.parse_header_links(by_header.headers["Link"])
    profiles_linked = {link["profile"] for link in links}
    assert profiles_linked == {"https://data.vusta.vn/def/profile/native", DCAT_AP,
                               "https://schema.org/"}
    # Every alternate the Link header names answers in the profile and type it says.
    for link in links:
        if link["type"] == "text/html":
            continue
        answer = requests.get(link["url"], timeout=60)
        assert answer.status_code == 200, link
        assert answer.headers["Content-Type"].startswith(link["type"]), link
        assert answer.headers["Content-Profile"] == f"<{link['profile']}>", link
    unknown_only = requests.get(url, headers={"Accept": "text/turtle",
                                              "Accept-Profile": "<http://example.org/x>"},
                                timeout=60)
    assert unknown_only.headers["Content-Profile"].startswith("<https://data.vusta.vn/")
    refused = requests.get(url, params={"_profile": "skos"}, timeout=60)
    assert refused.status_code == 406 and "dcat-ap" in refused.text
    alt = requests.get(url, params={"_profile": "alt"}, timeout=60).json()
    assert {p["token"] for p in alt["profiles"]} == {"native", "dcat-ap", "schema-org"}
    unit = requests.get(f"{served}/doc/unit/2025/province/01",
                        params={"_profile": "skos", "_mediatype": "text/turtle"}, timeout=60)
    assert unit.headers["Content-Profile"] == "<http://www.w3.org/2004/02/skos/core>"
    graph = rdflib.Graph().parse(data=unit.content, format="turtle")
    predicates = {str(p) for p in graph.predicates()}
    assert predicates <= {str(rdflib.RDF.type)} | {str(rdflib.SKOS) + local for local in (
        "prefLabel", "altLabel", "hiddenLabel", "notation", "definition", "scopeNote", "note",
        "broader", "narrower", "related", "inScheme", "topConceptOf", "exactMatch",
        "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")}
    assert (None, rdflib.SKOS.notation, rdflib.Literal("01")) in graph


def test_schema_org_as_a_json_ld_consumer_reads_it(served: str) -> None:
    response = requests.get(f"{served}/doc/{DATASET}", params={"_profile": "schema-org"},
                            timeout=60)
    assert response.headers["Content-Type"].startswith("application/ld+json")
    compacted = jsonld.compact(response.json(), {"@vocab": "https://schema.org/"})
    nodes = compacted.get("@graph", [compacted])
    dataset = next(n for n in nodes if n.get("@type") == "Dataset")
    assert dataset["name"] and dataset["description"] and dataset["license"]
    assert dataset["distribution"]
    downloads = [n for n in nodes if n.get("@type") == "DataDownload"]
    assert downloads and all(d.get("contentUrl") for d in downloads)
    publisher = next(n for n in nodes if n.get("@type") == "Organization")
    assert publisher["name"]


def test_a_deployer_adds_a_profile(demo_store_path: Path,
                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("more-profiles")
    shutil.copytree(demo_store_path, folder / "store")
    (folder / "profiles").mkdir()
    (folder / "profiles" / "titles.rq").write_text(
        "# token: titles\n# iri: https://example.org/profile/titles\n"
        "# title: Titles only\n# classes: dcat:Dataset\n"
        "CONSTRUCT { ?resource dct:title ?t } WHERE { ?resource dct:title ?t }\n",
        encoding="utf-8")
    env = {**_env(folder), "KG_PROFILES_DIR": str(folder / "profiles")}
    with kg_serve(folder / "store", env=env) as base:
        answer = turtle(f"{base}/doc/{DATASET}", _profile="titles")
        assert answer.headers["Content-Profile"] == "<https://example.org/profile/titles>"
        graph = rdflib.Graph().parse(data=answer.content, format="turtle")
        assert {str(p) for p in graph.predicates()} == {str(rdflib.DCTERMS.title)}


@pytest.mark.shared_data
def test_real_harvested_catalogues_are_written_in_dcat_ap(
        demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A messy university catalogue (no language tags, empty licences, relative IRIs, formats
    as relative IRIs), given the Vietnamese title and field the gate requires, comes out of
    /catalog conforming all the same."""
    if not SHARED_DCAT.is_dir():
        pytest.skip(f"real DCAT catalogues not present at {SHARED_DCAT}")
    folder = tmp_path_factory.mktemp("real-dcat-ap")
    shutil.copytree(demo_store_path, folder / "store")
    base = "http://127.0.0.1/unite-teramo-catalog.rdf"
    graph = rdflib.Graph().parse(SHARED_DCAT / "unite-teramo-catalog.rdf", format="xml",
                                 publicID=base)
    graph.remove((None, rdflib.DCTERMS.subject, None))
    for dataset in set(graph.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset)):
        graph.add((dataset, rdflib.DCTERMS.title, rdflib.Literal("Dữ liệu Teramo", lang="vi")))
        graph.add((dataset, rdflib.DCTERMS.subject,
                   rdflib.URIRef("https://data.vusta.vn/id/concept/fos/1.1")))
    for catalog in set(graph.subjects(rdflib.RDF.type, rdflib.DCAT.Catalog)):
        graph.add((catalog, rdflib.DCTERMS.title, rdflib.Literal("Danh mục Teramo", lang="vi")))
    document = graph.serialize(format="nt", encoding="utf-8")
    # Harvested as the portal harvests (the values read as the profile's on the way in).
    store = EmbeddedStore(folder / "store")
    try:
        with serving(Site(files={"/c.nt": (document, "application/n-triples")})) as url:
            outcome = harvest(store, HarvestSource("teramo", "Teramo", "dcat", f"{url}/c.nt",
                                                   "vusta", allow_private=True, language="it"))
    finally:
        store.close()
    assert (outcome.seen, outcome.loaded) == (11, 11), outcome.reasons
    with kg_serve(folder / "store") as served:
        url: str | None = f"{served}/catalog"
        teramo = 0
        while url:
            page = turtle(url)
            conforms(page.content)
            found = rdflib.Graph().parse(data=page.content, format="turtle")
            teramo += sum(1 for d in found.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset)
                          if "Teramo" in str(d))
            following = list(found.objects(None, rdflib.URIRef(
                "http://www.w3.org/ns/hydra/core#next")))
            url = str(following[0]) if following else None
        assert teramo == 11
        health = json.loads(requests.get(f"{served}/health", timeout=30).text)
        assert health["status"] == "ok"
        assert health["checks"]["last_harvest"]["graph"].endswith("/graph/harvest/teramo")
        assert health["checks"]["last_harvest"]["at"]
