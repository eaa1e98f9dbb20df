"""Canned queries over real HTTP (`kg serve` on a copy of the demo store, with a deployer's
folder of one more query): listed, run with bound parameters in plain JSON, CSV and every
SPARQL result format, the same rows as the query sent to /sparql through SPARQLWrapper,
described in the OpenAPI document (checked by a real validator), and on a page."""

from __future__ import annotations

import csv
import io
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate
from SPARQLWrapper import JSON, SPARQLWrapper

from graph.canned_queries import QueryError, load_queries, parse_query
from tests.conftest import kg_serve

EXTRA = """\
# title@vi: Tổ chức theo loại
# title@en: Organisations of a kind
# param: kind iri default=https://data.vusta.vn/id/concept/org-kind/national-association -- Kind
# param: name string default=Hội -- Words the Vietnamese name contains
SELECT ?organisation ?label WHERE {
  ?organisation org:classification ?kind ; skos:prefLabel ?label .
  FILTER(LANG(?label) = "vi" && CONTAINS(?label, ?name))
} ORDER BY ?organisation
"""
HANOI_TODAY = "https://data.vusta.vn/id/unit/2025/province/01"


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("canned")
    shutil.copytree(demo_store_path, folder / "store")
    (folder / "queries").mkdir()
    (folder / "queries" / "organisations-of-kind.rq").write_text(EXTRA, encoding="utf-8")
    env = {**os.environ, "KG_QUERIES_DIR": str(folder / "queries")}
    with kg_serve(folder / "store", env=env) as base:
        yield base


def test_listed_with_parameters(served: str) -> None:
    listed = requests.get(f"{served}/api/v1/queries", timeout=30).json()["items"]
    names = {q["name"] for q in listed}
    assert names == {"datasets-per-province", "datasets-per-publisher",
                     "organisations-in-former-district", "units-succeeding",
                     "organisations-of-kind"}
    extra = next(q for q in listed if q["name"] == "organisations-of-kind")
    assert [p["name"] for p in extra["parameters"]] == ["kind", "name"]
    assert extra["title"] == {"vi": "Tổ chức theo loại", "en": "Organisations of a kind"}


def test_same_rows_as_the_query_through_sparql(served: str) -> None:
    answer = requests.get(f"{served}/api/v1/queries/datasets-per-province",
                          params={"province": HANOI_TODAY}, timeout=60)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["columns"] == ["dataset", "title", "place", "placeName"]
    assert body["items"], "no dataset in Hà Nội"
    client = SPARQLWrapper(f"{served}/sparql")
    client.setReturnFormat(JSON)
    client.setQuery(f"""
        PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX kg: <https://data.vusta.vn/def/kg#>
        SELECT DISTINCT ?dataset WHERE {{ ?dataset a dcat:Dataset ; dct:spatial ?place .
          {{ ?place skos:broader* <{HANOI_TODAY}> }} UNION
          {{ ?place kg:replacedBy/skos:broader* <{HANOI_TODAY}> }} }}""")
    expected = {b["dataset"]["value"] for b in client.queryAndConvert()["results"]["bindings"]}
    assert {item["dataset"] for item in body["items"]} == expected
    other = requests.get(f"{served}/api/v1/queries/datasets-per-province",
                         params={"province": "https://data.vusta.vn/id/unit/2025/province/79"},
                         timeout=60).json()
    assert {i["dataset"] for i in other["items"]}.isdisjoint(expected)


def test_every_format(served: str) -> None:
    url = f"{served}/api/v1/queries/units-succeeding"
    by_csv = requests.get(url, params={"_mediatype": "text/csv"}, timeout=30)
    rows = list(csv.DictReader(io.StringIO(by_csv.text)))
    assert by_csv.headers["Content-Type"].startswith("text/csv")
    assert rows == [{"successor": "https://data.vusta.vn/id/unit/2025/province/24",
                     "name": "Tỉnh Bắc Ninh", "code": "24",
                     "transfer": "https://data.vusta.vn/id/concept/transfer/full"}]
    sparql_json = requests.get(url, headers={"Accept": "application/sparql-results+json"},
                               timeout=30).json()
    assert sparql_json["head"]["vars"] == ["successor", "name", "code", "transfer"]
    xml = requests.get(url, params={"_mediatype": "application/sparql-results+xml"},
                       timeout=30)
    results = ET.fromstring(xml.content).findall(  # noqa: S314 - our own test server
        ".//{http://www.w3.org/2005/sparql-results#}result")
    assert len(results) == 1
    tsv = requests.get(url, params={"_mediatype": "text/tab-separated-values"}, timeout=30)
    assert tsv.text.splitlines()[0] == "?successor\t?name\t?code\t?transfer"


def test_parameters_are_bound_not_pasted(served: str) -> None:
    url = f"{served}/api/v1/queries/organisations-of-kind"
    found = requests.get(url, timeout=30).json()["items"]
    assert found and all("Hội" in item["label"] for item in found)
    # Quotes and braces in a string parameter are part of the value, never of the query.
    sneaky = requests.get(url, params={"name": 'Hội") } UNION { ?organisation ?p ?label #'},
                          timeout=30)
    assert sneaky.status_code == 200 and sneaky.json()["items"] == []
    for params, words in (({"kind": "not an iri"}, "kind must be an IRI"),
                          ({"kind": "https://x.org/a> } DROP ALL #"}, "kind must be an IRI"),
                          ({"colour": "red"}, "not a parameter")):
        bad = requests.get(url, params=params, timeout=30)
        assert bad.status_code == 400, params
        assert bad.headers["Content-Type"] == "application/problem+json"
        assert words in bad.json()["detail"], bad.json()
    assert requests.get(f"{served}/api/v1/queries/nope", timeout=30).status_code == 404


def test_in_openapi_and_on_a_page(served: str) -> None:
    document = requests.get(f"{served}/openapi.json", timeout=30).json()
    validate(document)
    for name in ("units-succeeding", "organisations-of-kind"):
        operation = document["paths"][f"/api/v1/queries/{name}"]["get"]
        assert "text/csv" in operation["responses"]["200"]["content"]
    parameters = document["paths"]["/api/v1/queries/organisations-of-kind"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"kind", "name", "lang", "_mediatype"}
    page = requests.get(f"{served}/queries", params={"lang": "en"}, timeout=30)
    assert page.status_code == 200
    assert 'action="/api/v1/queries/units-succeeding"' in page.text
    assert "Organisations of a kind" in page.text


def test_bad_query_files_are_refused_with_their_place(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="line 2: a parameter is written"):
        parse_query("x", "# title@en: X\n# param: a colour\nSELECT * { ?s ?p ?a }", "x.rq")
    with pytest.raises(QueryError, match="not used in the query: b"):
        parse_query("x", "# title@en: X\n# param: b iri\nSELECT * { ?s ?p ?o }", "x.rq")
    with pytest.raises(QueryError, match="needs a title"):
        parse_query("x", "SELECT * { ?s ?p ?o }", "x.rq")
    with pytest.raises(QueryError, match="must be a whole number"):
        parse_query("x", "# title@en: X\n# param: n integer default=many\n"
                         "SELECT * { ?s ?p ?n }", "x.rq")
    (tmp_path / "units-succeeding.rq").write_text(
        "# title@en: Mine\nSELECT * { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    assert load_queries(tmp_path)["units-succeeding"].title == {"en": "Mine"}
