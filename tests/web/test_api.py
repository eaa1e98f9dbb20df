"""The JSON API over real HTTP (`kg serve` on the demo store): its OpenAPI document validated
by openapi-spec-validator, every documented route called and its answer checked against the
document by openapi-core, as an API client's tooling would; lists paged to their end, filters,
fields, CSV, conditional GET, the answer cache and errors as problem details."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from typing import Any

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate

from graph.canned_queries import load_queries
from web.api import api

HANOI = "https://data.vusta.vn/id/unit/2025/province/01"


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    answer = requests.get(f"{server}/openapi.json", timeout=30)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    # Made from the declarations: every registered route, none other.
    canned = {f"/api/v1/queries/{name}" for name in load_queries()} | {"/api/v1/queries"}
    assert set(document["paths"]) == {op.openapi_path for op in api.operations} | canned
    for path, item in document["paths"].items():
        for param in item["get"]["parameters"]:
            assert param["description"], f"{path} {param['name']}"
        assert "200" in item["get"]["responses"]


def _example_url(server: str, path: str, item: dict[str, Any]) -> str:
    operation = next((op for op in api.operations if op.openapi_path == path), None)
    for name, value in (operation.examples if operation else {}).items():
        # A path parameter is one segment: the slashes of a unit's id are sent encoded.
        path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
    assert "{" not in path, f"no example for {path}"
    return server + path


def test_every_documented_route_answers_as_documented(server: str,
                                                      document: dict[str, Any]) -> None:
    # RFC 9457's media type is JSON; openapi-core reads only application/json unless told.
    spec = OpenAPI.from_dict(document, config=Config(
        extra_media_type_deserializers={"application/problem+json": json.loads}))
    checked = 0
    for path, item in document["paths"].items():
        url = _example_url(server, path, item)
        tries: tuple[dict[str, str], ...] = ({}, {"limit": "2", "lang": "en"})
        if "{" in path:
            tries = ({},)
        elif path.startswith("/api/v1/queries"):
            tries = ({}, {"lang": "en"})  # canned queries are not paged
        for query in tries:
            answer = requests.get(url, params=query, timeout=30)
            assert answer.status_code == 200, (url, answer.text)
            spec.validate_response(RequestsOpenAPIRequest(answer.request),
                                   RequestsOpenAPIResponse(answer))
            checked += 1
        # Bad input answers in the documented error form.
        bad = requests.get(url, params={"nonsense": "1"}, timeout=30)
        assert bad.status_code == 400
        assert bad.headers["Content-Type"] == "application/problem+json"
        assert "nonsense" in bad.json()["detail"]
        spec.validate_response(RequestsOpenAPIRequest(bad.request),
                               RequestsOpenAPIResponse(bad))
    assert checked == 15 + 2 * (1 + len(load_queries()))


def test_dataset_list_pages_to_the_end_with_the_cursor(server: str) -> None:
    seen: list[str] = []
    url: str | None = f"{server}/api/v1/datasets?limit=50&fields=title"
    pages = 0
    while url and pages < 20:
        answer = requests.get(url, timeout=30)
        body = answer.json()
        seen += [item["iri"] for item in body["items"]]
        assert all(set(item) == {"id", "iri", "title"} for item in body["items"])
        if body["next"]:
            assert answer.headers["Link"] == f'<{body["next_url"]}>; rel="next"'
        url = urllib.parse.urljoin(server, body["next_url"]) if body["next_url"] else None
        pages += 1
    assert len(seen) == len(set(seen)) == 300 == body["total"]
    assert pages == 6


def test_filters_are_those_of_search(server: str) -> None:
    answer = requests.get(f"{server}/api/v1/datasets", params={
        "province": HANOI, "limit": "200", "fields": "spatial,publisher"}, timeout=30).json()
    assert answer["total"] == len(answer["items"]) > 0
    assert all(HANOI in [s["iri"] for s in item["spatial"]] for item in answer["items"])
    publisher = answer["items"][0]["publisher"]["iri"]
    by_id = requests.get(f"{server}/api/v1/datasets", params={
        "publisher": publisher.rsplit("/", 1)[-1], "fields": "publisher", "limit": "200"},
        timeout=30).json()
    assert by_id["total"] > 0
    assert {item["publisher"]["iri"] for item in by_id["items"]} == {publisher}
    # Diacritics optional, and both editions of a unit are places.
    places = requests.get(f"{server}/api/v1/places", params={"q": "lam dong",
                                                             "fields": "name,validUntil"},
                          timeout=30).json()["items"]
    assert {p["iri"].rsplit("unit/", 1)[1] for p in places} >= {"2025/province/68",
                                                                 "pre-2025/province/68"}
    assert next(p for p in places if "pre-2025" in p["iri"])["validUntil"] == "2025-07-01"


def test_single_records_carry_iris_and_plain_keys(server: str) -> None:
    unit = requests.get(f"{server}/api/v1/places/pre-2025/province/68", timeout=30).json()
    assert unit["iri"] == "https://data.vusta.vn/id/unit/pre-2025/province/68"
    assert unit["code"] == "68" and unit["name"]["vi"] == "Tỉnh Lâm Đồng"
    assert [u["iri"] for u in unit["replacedBy"]] == [
        "https://data.vusta.vn/id/unit/2025/province/68"]
    dataset = requests.get(f"{server}/api/v1/datasets/ds-000001", timeout=30).json()
    assert dataset["publisher"]["label"]
    assert dataset["distributions"] and all(d["iri"] for d in dataset["distributions"])
    assert isinstance(dataset["distributions"][0]["byteSize"], int)
    missing = requests.get(f"{server}/api/v1/datasets/no-such", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["status"] == 404


def test_lists_come_as_csv(server: str) -> None:
    answer = requests.get(f"{server}/api/v1/organisations", params={
        "fields": "name,acronym,parent", "limit": "200"}, headers={"Accept": "text/csv"},
        timeout=30)
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert set(rows[0]) == {"id", "iri", "name_vi", "name_en", "acronym", "parent"}
    assert len(rows) == 44
    assert any(row["iri"] == "https://data.vusta.vn/id/org/vusta" for row in rows)


def test_answers_are_cached_and_validated_by_revision(server: str) -> None:
    url = f"{server}/api/v1/concepts?limit=3&lang=vi"
    first = requests.get(url, timeout=30)
    again = requests.get(url, timeout=30)
    assert again.headers["X-Cache"] == "hit"
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    held = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert held.status_code == 304


def test_the_viewer_is_served_locally(server: str) -> None:
    page = requests.get(f"{server}/api/docs", timeout=30)
    assert page.status_code == 200
    assert "//" not in page.text.replace("<!doctype", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js"):
        served = requests.get(f"{server}/api/docs/assets/{asset}", timeout=30)
        assert served.status_code == 200 and len(served.content) > 20, asset
