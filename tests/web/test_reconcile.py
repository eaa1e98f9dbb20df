"""The W3C Reconciliation Service API (0.2) over real HTTP, asked as OpenRefine asks it: the
manifest by GET, batches of queries posted as the form field ``queries``, previews, suggest
and data extension. Every answer is checked against JSON schemas written here from the
specification's own schemas (reconciliation-api.github.io/specs/0.2/schemas), and the names
are real Vietnamese ones: with and without diacritics, units of 2025 and former ones.

The store holds the shipped vocabularies, the small unit list in ``tests/data`` and a few
organisations written below; with ``../shared`` present, a second store holds the official
list of every unit, for the names that only it has."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from tests.conftest import MINI_UNITS, SHARED_UNITS, kg_command, kg_serve

UNIT = "https://data.vusta.vn/id/unit/"
ORGS_CSV = """\
id,name_vi,name_en,acronym,kind,parent,street,commune,district,province
lhh,Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam,Vietnam Union of Science and Technology \
Associations,VUSTA,federation,,53 Nguyễn Du,Phường Ngọc Hà,,Hà Nội
hoi-tin-hoc,Hội Tin học Việt Nam,Vietnam Association for Information Processing,VAIP,\
national-association,lhh,,Phường Nghĩa Đô,Quận Cầu Giấy,Hà Nội
lhh-bac-giang,Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh Bắc Giang,Bac Giang Union of \
Science and Technology Associations,,provincial-union,lhh,,,,Bắc Giang
lhh-bac-ninh,Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh Bắc Ninh,Bac Ninh Union of \
Science and Technology Associations,,provincial-union,lhh,,,,Bắc Ninh
"""

# -- the specification's schemas, as constraints written out here ------------------------------

TYPE = {"oneOf": [{"type": "object", "properties": {"id": {"type": "string"},
                                                    "name": {"type": "string"}},
                   "required": ["id"]},
                  {"type": "string"}]}
SERVICE = {"type": "object", "properties": {"service_url": {"type": "string"},
                                            "service_path": {"type": "string"}}}
MANIFEST = {
    "type": "object", "required": ["versions", "name", "identifierSpace", "schemaSpace"],
    "properties": {
        "versions": {"type": "array", "items": {"type": "string"}, "contains": {"enum": ["0.2"]}},
        "name": {"type": "string"}, "identifierSpace": {"type": "string"},
        "schemaSpace": {"type": "string"},
        "view": {"type": "object", "required": ["url"],
                 "properties": {"url": {"type": "string", "pattern": ".*\\{\\{id\\}\\}.*"}}},
        "defaultTypes": {"type": "array", "items": TYPE, "uniqueItems": True},
        "preview": {"type": "object", "required": ["url", "width", "height"],
                    "properties": {"url": {"type": "string", "pattern": ".*\\{\\{id\\}\\}.*"},
                                   "width": {"type": "integer"},
                                   "height": {"type": "integer"}}},
        "suggest": {"type": "object", "properties": {"entity": SERVICE, "type": SERVICE,
                                                     "property": SERVICE}},
        "extend": {"type": "object", "properties": {"propose_properties": SERVICE,
                                                    "property_settings": {"type": "array"}}},
    },
}
CANDIDATE = {
    "type": "object", "required": ["id", "name", "score"],
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "description": {"type": "string"}, "score": {"type": "number"},
        "match": {"type": "boolean"}, "type": {"type": "array", "items": TYPE},
        "features": {"type": "array", "items": {
            "type": "object", "properties": {
                "id": {"type": "string"},
                "value": {"oneOf": [{"type": "boolean"}, {"type": "number"}]}}}},
    },
}
RESULT_BATCH = {"type": "object", "patternProperties": {"^.*$": {
    "type": "object", "required": ["result"],
    "properties": {"result": {"type": "array", "items": CANDIDATE}}}}}
CELL = {"oneOf": [
    {"type": "object", "additionalProperties": False},
    {"type": "object", "required": ["id", "name"], "additionalProperties": False,
     "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                    "description": {"type": "string"}}},
    {"type": "object", "required": ["str"], "additionalProperties": False,
     "properties": {"str": {"type": "string"}}},
    {"type": "object", "required": ["float"], "additionalProperties": False,
     "properties": {"float": {"type": "number"}}},
    {"type": "object", "required": ["int"], "additionalProperties": False,
     "properties": {"int": {"type": "integer"}}},
    {"type": "object", "required": ["date"], "additionalProperties": False,
     "properties": {"date": {"type": "string", "pattern": (
         "^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T"
         "(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\\.[0-9]+)?"
         "(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")}}},
]}
EXTENSION = {
    "type": "object", "required": ["rows", "meta"],
    "properties": {
        "meta": {"type": "array", "items": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}},
        "rows": {"type": "object", "patternProperties": {".*": {
            "type": "object", "patternProperties": {".*": {"type": "array", "items": CELL}}}}},
    },
}
SUGGEST_ENTITIES = {"type": "object", "required": ["result"], "properties": {"result": {
    "type": "array", "items": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                       "description": {"type": "string"},
                       "notable": {"type": "array", "items": TYPE}}}}}}
SUGGEST_NAMED = {"type": "object", "required": ["result"], "properties": {"result": {
    "type": "array", "items": {"type": "object", "required": ["id", "name"]}}}}


class Service:
    def __init__(self, base: str) -> None:
        self.base = base
        self.url = f"{base}/reconcile"

    def reconcile(self, queries: dict[str, Any], **headers: str) -> dict[str, Any]:
        """A batch, posted the way OpenRefine posts it: form-encoded, ``queries`` as JSON."""
        response = requests.post(self.url, data={"queries": json.dumps(queries)},
                                 headers=headers, timeout=60)
        assert response.status_code == 200, response.text
        body = response.json()
        jsonschema.validate(body, RESULT_BATCH)
        assert set(body) == set(queries)
        return body

    def best(self, text: str, **query: Any) -> dict[str, Any]:
        """The first candidate for one name."""
        result = self.reconcile({"q0": {"query": text, **query}})["q0"]["result"]
        assert result, f"no candidate for {text!r}"
        return result[0]


def load(folder: Path, store: Path, *args: str) -> None:
    subprocess.run(kg_command("--store", str(store), "load", *args), check=True,
                   capture_output=True, timeout=300, cwd=folder)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("reconcile")
    store = folder / "store"
    load(folder, store, "ontologies")
    load(folder, store, "admin-units", str(MINI_UNITS))
    (folder / "orgs.csv").write_text(ORGS_CSV, encoding="utf-8")
    load(folder, store, "orgs", str(folder / "orgs.csv"))
    with kg_serve(store) as base:
        yield Service(base)


def test_manifest_as_openrefine_reads_it(service: Service) -> None:
    response = requests.get(service.url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.json()
    jsonschema.validate(manifest, MANIFEST)
    assert {t["id"] for t in manifest["defaultTypes"]} >= {"organisation", "place", "concept"}
    # Every service the manifest names answers where it says.
    for service_ in (*manifest["suggest"].values(), manifest["extend"]["propose_properties"]):
        url = service_["service_url"] + service_["service_path"]
        assert requests.get(url, params={"prefix": "ha"}, timeout=30).status_code == 200
    jsonp = requests.get(service.url, params={"callback": "jQuery123_456"}, timeout=30)
    assert jsonp.headers["Content-Type"].startswith("application/javascript")
    assert jsonp.text.startswith("/**/jQuery123_456({") and jsonp.text.endswith("});")


def test_units_with_and_without_diacritics_current_before_former(service: Service) -> None:
    hanoi = service.reconcile({
        "a": {"query": "Hà Nội", "type": "province"},
        "b": {"query": "ha noi", "type": "province"},
        "c": {"query": "THÀNH PHỐ HÀ NỘI", "type": "place"},
    })
    for key in "abc":
        first, second = hanoi[key]["result"][:2]
        assert first["id"] == f"{UNIT}2025/province/01" and first["match"] is True
        # The city before 2025 is offered too, below, and never taken for certain.
        assert second["id"] == f"{UNIT}pre-2025/province/01" and second["match"] is False
    # A name only a former unit has still finds it, for certain; its description says
    # what it is today.
    bac_giang = service.best("Bac Giang", type="province")
    assert bac_giang["id"] == f"{UNIT}pre-2025/province/24" and bac_giang["match"]
    assert "Bắc Ninh" in bac_giang["description"]
    bac_ninh = service.best("Bắc Ninh", type="province")
    assert bac_ninh["id"] == f"{UNIT}2025/province/24" and bac_ninh["match"]
    assert {"province", "place"} == {t["id"] for t in bac_ninh["type"]}


def test_type_decides_between_a_ward_of_today_and_a_former_district(service: Service) -> None:
    untyped = service.best("Ba Đình")
    assert untyped["id"] == f"{UNIT}2025/commune/00004" and untyped["match"]
    district = service.best("quan ba dinh", type="district")
    assert district["id"] == f"{UNIT}pre-2025/district/001" and district["match"]
    assert any(f["id"] == "former" and f["value"] is True for f in district["features"])


def test_properties_confirm_or_rule_out(service: Service) -> None:
    answers = service.reconcile({
        # Tân An lies in Bắc Ninh of today, which took in the former Bắc Giang: either name
        # of the province confirms it.
        "today": {"query": "Tân An", "type": "commune",
                  "properties": [{"pid": "province", "v": "Bắc Ninh"}]},
        "former": {"query": "Tan An", "type": "commune",
                   "properties": [{"pid": "province", "v": "Bac Giang"}]},
        "wrong": {"query": "Tân An", "type": "commune",
                  "properties": [{"pid": "province", "v": "Hà Nội"}]},
        "code": {"query": "Ngọc Hà", "type": "commune",
                 "properties": [{"pid": "code", "v": "00016"}]},
        "edition": {"query": "Ngọc Hà", "type": "commune",
                    "properties": [{"pid": "edition", "v": "pre-2025"}]},
        "parent": {"query": "Hội Tin học Việt Nam", "type": "organisation",
                   "properties": [{"pid": "parent", "v": "VUSTA"}]},
    })
    for key in ("today", "former"):
        first = answers[key]["result"][0]
        assert first["id"] == f"{UNIT}2025/commune/07682" and first["match"]
        assert {"id": "province", "value": True} in first["features"]
    wrong = answers["wrong"]["result"][0]
    assert {"id": "province", "value": False} in wrong["features"] and not wrong["match"]
    for key in ("code", "edition"):
        first = answers[key]["result"][0]
        assert first["id"] == f"{UNIT}pre-2025/commune/00016" and first["match"], key
    parent = answers["parent"]["result"][0]
    assert parent["id"].endswith("/id/org/hoi-tin-hoc") and parent["match"]
    assert {"id": "parent", "value": True} in parent["features"]


def test_organisations_by_name_acronym_and_typo(service: Service) -> None:
    answers = service.reconcile({
        "plain": {"query": "Hoi Tin hoc Viet Nam"},
        "acronym": {"query": "VUSTA", "type": "organisation"},
        "typo": {"query": "Hội Tin hoc Viet Nan", "type": "organisation"},
        "part": {"query": "Hội Tin học", "type": "organisation"},
        "nothing": {"query": "Zyxwvut Qqq", "type": "organisation"},
    })
    assert answers["plain"]["result"][0]["id"].endswith("/id/org/hoi-tin-hoc")
    assert answers["plain"]["result"][0]["match"]
    assert answers["acronym"]["result"][0]["id"].endswith("/id/org/lhh")
    typo = answers["typo"]["result"][0]
    assert typo["id"].endswith("/id/org/hoi-tin-hoc") and 80 < typo["score"] < 100
    part = answers["part"]["result"][0]
    assert part["id"].endswith("/id/org/hoi-tin-hoc") and not part["match"]
    assert answers["nothing"]["result"] == []
    # Namesakes among organisations: none of the provincial unions is a certain match for
    # the shared words alone.
    union = service.reconcile({"u": {"query": "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh",
                                     "type": "organisation", "limit": 3}})["u"]["result"]
    assert len(union) == 3 and not any(c["match"] for c in union)


def test_concepts_by_label_and_scheme(service: Service) -> None:
    answers = service.reconcile({
        "theme": {"query": "Giáo dục, văn hóa và thể thao", "type": "concept"},
        "unit": {"query": "khoa hoc tu nhien", "type": "concept"},
    })
    assert answers["theme"]["result"][0]["id"].endswith("/data-theme/EDUC")
    assert answers["theme"]["result"][0]["match"]
    assert answers["unit"]["result"][0]["match"]


def test_single_query_get_and_errors_in_the_protocols_form(service: Service) -> None:
    single = requests.get(service.url, params={"query": "Bắc Ninh"}, timeout=30).json()
    assert single["result"][0]["id"] == f"{UNIT}2025/province/24"
    as_object = requests.get(service.url, params={"query": json.dumps(
        {"query": "Bắc Ninh", "type": "province", "limit": 1})}, timeout=30).json()
    assert len(as_object["result"]) == 1
    for bad in ("{not json", json.dumps({"q": {"query": 5}}),
                json.dumps({"q": {"query": "x", "type": "galaxy"}}),
                json.dumps({"q": {"query": "x", "limit": -1}})):
        response = requests.post(service.url, data={"queries": bad}, timeout=30)
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["detail"]
    evil = requests.get(service.url, params={"query": "x", "callback": "alert(1)//"},
                        timeout=30)
    assert evil.status_code == 400 and "alert" not in evil.text


def test_data_extension_codes_units_of_today_and_parents(service: Service) -> None:
    ids = [f"{UNIT}pre-2025/province/24", f"{UNIT}pre-2025/commune/00016",
           "https://data.vusta.vn/id/org/hoi-tin-hoc", "https://data.vusta.vn/id/nothing"]
    extend = {"ids": ids, "properties": [{"id": p} for p in
                                         ("code", "current", "parent", "province",
                                          "valid_until", "acronym")]}
    response = requests.post(service.url, data={"extend": json.dumps(extend)}, timeout=30)
    body = response.json()
    jsonschema.validate(body, EXTENSION)
    assert [m["id"] for m in body["meta"]] == [p["id"] for p in extend["properties"]]
    rows = body["rows"]
    bac_giang = rows[ids[0]]
    assert bac_giang["code"] == [{"str": "24"}]
    assert bac_giang["current"] == [{"id": f"{UNIT}2025/province/24", "name": "Tỉnh Bắc Ninh"}]
    assert bac_giang["valid_until"] == [{"date": "2025-07-01T00:00:00Z"}]
    ngoc_ha = rows[ids[1]]
    assert {c["id"] for c in ngoc_ha["current"]} == {f"{UNIT}2025/commune/00004",
                                                     f"{UNIT}2025/commune/00008"}
    assert ngoc_ha["parent"][0]["id"] == f"{UNIT}pre-2025/district/001"
    assert ngoc_ha["province"] == [{"id": f"{UNIT}2025/province/01",
                                    "name": "Thành phố Hà Nội"}]
    org = rows[ids[2]]
    assert org["acronym"] == [{"str": "VAIP"}] and org["parent"][0]["id"].endswith("/org/lhh")
    assert org["province"][0]["id"] == f"{UNIT}2025/province/01"
    assert all(cells == [] for cells in rows[ids[3]].values())
    proposed = requests.get(f"{service.url}/propose_properties",
                            params={"type": "commune"}, timeout=30).json()
    assert {"code", "current", "province"} <= {p["id"] for p in proposed["properties"]}
    assert "acronym" not in {p["id"] for p in proposed["properties"]}
    unknown = requests.post(service.url, data={"extend": json.dumps(
        {"ids": ids, "properties": [{"id": "colour"}]})}, timeout=30)
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]


def test_suggest_and_preview(service: Service) -> None:
    found = requests.get(f"{service.url}/suggest/entity",
                         params={"prefix": "bac n", "type": "province"}, timeout=30).json()
    jsonschema.validate(found, SUGGEST_ENTITIES)
    assert found["result"][0]["id"] == f"{UNIT}2025/province/24"
    assert all(any(t["id"] == "province" for t in r["notable"]) for r in found["result"])
    for kind, prefix, expected in (("type", "xa", "commune"), ("property", "ma", "code"),
                                   ("type", "organ", "organisation")):
        answer = requests.get(f"{service.url}/suggest/{kind}", params={"prefix": prefix},
                              timeout=30).json()
        jsonschema.validate(answer, SUGGEST_NAMED)
        assert expected in {r["id"] for r in answer["result"]}, (kind, prefix)
    manifest = requests.get(service.url, timeout=30).json()
    url = manifest["preview"]["url"].replace("{{id}}", f"{UNIT}pre-2025/province/24")
    card = requests.get(url, params={"lang": "en"}, timeout=30)
    assert card.status_code == 200 and card.headers["Content-Type"].startswith("text/html")
    assert "Tỉnh Bắc Giang" in card.text and "now: Tỉnh Bắc Ninh" in card.text
    missing = requests.get(f"{service.url}/preview",
                           params={"id": "<script>alert(1)</script>"}, timeout=30)
    assert missing.status_code == 404 and "<script>" not in missing.text


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if not SHARED_UNITS.is_dir():
        pytest.skip(f"real data not present at {SHARED_UNITS}; the mini list above covers "
                    "the same behaviour")
    folder = tmp_path_factory.mktemp("reconcile-official")
    store = folder / "store"
    load(folder, store, "admin-units", str(SHARED_UNITS))
    with kg_serve(store) as base:
        yield Service(base)


@pytest.mark.shared_data
def test_official_list_former_and_current_names(official: Service) -> None:
    answers = official.reconcile({
        "quang-binh": {"query": "Quảng Bình", "type": "province"},
        "quang-tri": {"query": "quang tri", "type": "province"},
        "hcm": {"query": "TP. Hồ Chí Minh", "type": "province"},
        "hue": {"query": "Huế", "type": "province"},
        "ba-dinh": {"query": "Phường Ba Đình", "type": "commune",
                    "properties": [{"pid": "province", "v": "Hà Nội"}]},
    }, **{"Accept-Language": "en"})
    quang_binh = answers["quang-binh"]["result"][0]
    assert quang_binh["id"] == f"{UNIT}pre-2025/province/44" and quang_binh["match"]
    assert "Quảng Trị" in quang_binh["description"]
    for key, code in (("quang-tri", "44"), ("hcm", "79"), ("hue", "46")):
        first = answers[key]["result"][0]
        assert first["id"] == f"{UNIT}2025/province/{code}" and first["match"], key
    ba_dinh = answers["ba-dinh"]["result"][0]
    assert ba_dinh["id"] == f"{UNIT}2025/commune/00004" and ba_dinh["match"]
    # Without the province, the wards of today named Ba Đình are namesakes: no certainty.
    alone = official.reconcile({"x": {"query": "Ba Đình", "type": "commune"}})["x"]["result"]
    assert len({c["id"] for c in alone if c["score"] == alone[0]["score"]}) > 1
    assert not alone[0]["match"]
