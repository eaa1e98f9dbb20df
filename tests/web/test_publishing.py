"""Member organisations publish their own datasets, over real HTTP (`kg serve` on a copy of
the demo store, SPARQL read through SPARQLWrapper): a publisher token writes its
organisation's (and sub-organisations') datasets by every write path (JSON API, SPARQL
Update, Graph Store) and nothing else, checked on what the write would change; drafts are
seen by nobody but the organisation's tokens and admins, and by them only through the API
and the Graph Store (never in SPARQL, search, the catalogue, dumps, VoID, OAI-PMH or the
change feed) until published; restricted datasets show their metadata but not their
distributions' URLs (read tokens see them through the API); a dataset that breaks the
profile gets 422 with messages in Vietnamese and English by JSON field; every write is in
the audit (`kg audit`), which only admins read."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from tests.conftest import kg_command, kg_serve
from web.auth import TokenFile

BASE = "https://data.vusta.vn/"
MINE = f"{BASE}graph/catalog/hoi-tin-hoc"
THEIRS = f"{BASE}graph/catalog/hoi-vat-ly"
RESTRICTED = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
CSV = "http://publications.europa.eu/resource/authority/file-type/CSV"


def dataset(title: str, **fields: Any) -> dict[str, Any]:
    return {"title": {"vi": title, "en": f"{title} (en)"},
            "description": {"vi": f"Mô tả của {title}", "en": f"About {title}"},
            "subjects": [f"{BASE}id/concept/fos/1.2"], "keywords": ["thử nghiệm"],
            "distributions": [{"title": {"vi": "Tệp CSV"}, "format": CSV,
                               "accessURL": f"https://files.example/{quote(title)}.csv"}], **fields}


class Site:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens

    def headers(self, who: str | None, media: str | None = None) -> dict[str, str]:
        found = {"Cache-Control": "no-cache"}
        if who:
            found["Authorization"] = f"Bearer {self.tokens[who]}"
        if media:
            found["Content-Type"] = media
        return found

    def api(self, method: str, id: str, who: str | None, body: Any = None,
            media: str = "application/json") -> requests.Response:
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        return requests.request(method, f"{self.base}/api/v1/datasets/{id}", data=data,
                                headers=self.headers(who, media), timeout=60)

    def update(self, text: str, who: str) -> requests.Response:
        return requests.post(f"{self.base}/sparql/update", data=text.encode(), timeout=60,
                             headers=self.headers(who, "application/sparql-update"))

    def graph_store(self, method: str, graph: str, who: str, body: str = "") -> requests.Response:
        return requests.request(method, f"{self.base}/graph-store", params={"graph": graph},
                                data=body.encode(), timeout=60,
                                headers=self.headers(who, "text/turtle"))

    def sparql(self, query: str, who: str | None = None, *, default: str | None = None,
               named: str | None = None) -> Any:
        client = SPARQLWrapper(f"{self.base}/sparql")
        client.setQuery(query)
        client.setReturnFormat(JSON)
        client.setMethod(POST)
        client.addCustomHttpHeader("Cache-Control", "no-cache")
        if who:
            client.addCustomHttpHeader("Authorization", f"Bearer {self.tokens[who]}")
        if default:
            client.addDefaultGraph(default)
        if named:
            client.addNamedGraph(named)
        return client.queryAndConvert()

    def ask(self, query: str, who: str | None = None, **dataset: str) -> bool:
        return bool(self.sparql(query, who, **dataset)["boolean"])

    def read_graph(self, graph: str, who: str | None) -> requests.Response:
        return requests.get(f"{self.base}/graph-store", params={"graph": graph}, timeout=60,
                            headers={**self.headers(who), "Accept": "application/n-triples"})

    def triples(self, graph: str) -> int:
        """Catalogue graphs hold drafts, so they are read by a token through the Graph Store."""
        answer = self.read_graph(graph, "admin")
        if answer.status_code == 404:
            return 0
        assert answer.status_code == 200, answer.text
        return sum(1 for line in answer.text.splitlines() if line.strip())


def create_tokens(folder: Path) -> dict[str, str]:
    file = TokenFile(folder / "tokens.json")
    return {
        "admin": file.create("portal-team"),
        "vaip": file.create("vaip-editor", ["publisher:hoi-tin-hoc"]),
        "vps": file.create("vps-editor", ["publisher:hoi-vat-ly"]),
        "reader": file.create("partner", ["read"]),
        "harvester": file.create("harvester", ["harvest"]),
        "expired": file.create("gone", ["publisher:hoi-tin-hoc"],
                               datetime.now(UTC) - timedelta(minutes=1)),
    }


@pytest.fixture(scope="module")
def site(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("publishing")
    shutil.copytree(demo_store_path, folder / "store")
    tokens = create_tokens(folder)
    with kg_serve(folder / "store", "--tokens", str(folder / "tokens.json"),
                  cwd=folder) as base:
        yield Site(base, tokens)


def test_a_publisher_writes_its_organisations_datasets_by_every_path(site: Site) -> None:
    created = site.api("POST", "hoi-tin-hoc/paths", "vaip", dataset("Đường ghi"))
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith("/api/v1/datasets/hoi-tin-hoc/paths")
    body = created.json()
    assert body["iri"] == f"{BASE}id/dataset/hoi-tin-hoc/paths"
    assert body["publisher"]["iri"] == f"{BASE}id/org/hoi-tin-hoc"
    assert body["distributions"][0]["iri"] == f"{BASE}id/distribution/hoi-tin-hoc/paths/1"
    assert site.api("POST", "hoi-tin-hoc/paths", "vaip", dataset("Lại")).status_code == 409
    # PUT replaces, PATCH changes the fields it names; both answer the dataset as written.
    replaced = site.api("PUT", "hoi-tin-hoc/paths", "vaip", dataset("Đường ghi mới"))
    assert replaced.status_code == 200 and replaced.json()["title"]["vi"] == "Đường ghi mới"
    patched = site.api("PATCH", "hoi-tin-hoc/paths", "vaip", {"keywords": ["vá"]},
                       "application/merge-patch+json")
    assert patched.status_code == 200, patched.text
    assert patched.json()["keywords"] == ["vá"]
    assert patched.json()["title"]["vi"] == "Đường ghi mới"
    # A sub-organisation's dataset in the parent's catalogue; Turtle as the body.
    turtle = ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
              "@prefix dct: <http://purl.org/dc/terms/> .\n"
              f"<> a dcat:Dataset ; dct:title \"Của viện\"@vi, \"The institute's\"@en ; "
              f"dct:description \"Mô tả\"@vi ; dct:publisher <{BASE}id/org/vien-cntt> .\n")
    sub = site.api("PUT", "hoi-tin-hoc/institute", "vaip", turtle, "text/turtle")
    assert sub.status_code == 201, sub.text
    assert sub.json()["publisher"]["iri"] == f"{BASE}id/org/vien-cntt"
    # SPARQL Update and the Graph Store write the same catalogue graph.
    done = site.update(f'INSERT DATA {{ GRAPH <{MINE}> {{ <{BASE}id/dataset/hoi-tin-hoc/paths> '
                       f'<http://www.w3.org/ns/dcat#keyword> "cập nhật"@vi }} }}', "vaip")
    assert done.status_code == 200, done.text
    merged = site.graph_store("POST", MINE, "vaip",
                              f'<{BASE}id/dataset/hoi-tin-hoc/paths> '
                              f'<http://www.w3.org/ns/dcat#keyword> "đồ thị"@vi .')
    assert merged.status_code == 200, merged.text
    keywords = site.sparql(f"SELECT ?k {{ <{BASE}id/dataset/hoi-tin-hoc/paths> "
                           f"<http://www.w3.org/ns/dcat#keyword> ?k }}")
    assert {b["k"]["value"] for b in keywords["results"]["bindings"]} == {
        "vá", "cập nhật", "đồ thị"}
    assert site.api("DELETE", "hoi-tin-hoc/institute", "vaip").status_code == 204
    assert site.api("GET", "hoi-tin-hoc/institute", None).status_code == 404
    assert site.api("DELETE", "hoi-tin-hoc/institute", "vaip").status_code == 404


def test_another_organisations_datasets_are_refused_by_every_path(site: Site) -> None:
    assert site.api("POST", "hoi-tin-hoc/guarded", "vaip", dataset("Canh giữ")).status_code \
        == 201
    mine, theirs = site.triples(MINE), site.triples(THEIRS)
    ours = f"{BASE}id/dataset/hoi-tin-hoc/guarded"
    # The other organisation's token, by each path, at this organisation's catalogue.
    refused = [
        site.api("PUT", "hoi-tin-hoc/guarded", "vps", dataset("Chiếm")),
        site.api("PATCH", "hoi-tin-hoc/guarded", "vps", {"keywords": ["x"]}),
        site.api("DELETE", "hoi-tin-hoc/guarded", "vps"),
        site.update(f'DELETE WHERE {{ GRAPH <{MINE}> {{ <{ours}> ?p ?o }} }}', "vps"),
        site.graph_store("PUT", MINE, "vps", f"<{ours}> a <http://www.w3.org/ns/dcat#Dataset> ."),
        site.graph_store("DELETE", MINE, "vps"),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert MINE in answer.text and "nothing was changed" in answer.text
    # In its own catalogue, a dataset that names another organisation as publisher.
    stolen = site.api("PUT", "hoi-vat-ly/stolen", "vps",
                      dataset("Mạo danh", publisher=f"{BASE}id/org/hoi-tin-hoc"))
    assert stolen.status_code == 403
    problems = stolen.json()["errors"]
    assert {p["record"] for p in problems} >= {f"{BASE}id/dataset/hoi-vat-ly/stolen",
                                               f"{BASE}id/distribution/hoi-vat-ly/stolen/1"}
    assert "is not https://data.vusta.vn/id/org/hoi-vat-ly" in json.dumps(problems)
    # A record that another graph holds (the demo catalogue) cannot be added to.
    demo = f"{BASE}id/dataset/ds-000181"
    taken = site.update(f'INSERT DATA {{ GRAPH <{THEIRS}> {{ <{demo}> '
                        f'<http://purl.org/dc/terms/title> "chiếm"@fr }} }}', "vps")
    assert taken.status_code == 403 and demo in taken.text
    # One update that touches both organisations' datasets is refused whole.
    own_half = (
        f'INSERT DATA {{ GRAPH <{THEIRS}> {{ <{BASE}id/dataset/hoi-vat-ly/twice> a '
        f'<http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "Hai"@vi ; '
        f'<http://purl.org/dc/terms/description> "Hai"@vi ; '
        f'<http://purl.org/dc/terms/publisher> <{BASE}id/org/hoi-vat-ly> }} }}')
    both = site.update(f'{own_half} ;\nINSERT DATA {{ GRAPH <{MINE}> {{ <{ours}> '
                       f'<http://www.w3.org/ns/dcat#keyword> "chen"@vi }} }}', "vps")
    assert both.status_code == 403 and MINE in both.text
    assert (site.triples(MINE), site.triples(THEIRS)) == (mine, theirs)
    # Without the other half, the same update writes the token's own catalogue.
    alone = site.update(own_half, "vps")
    assert alone.status_code == 200, alone.text
    assert site.triples(THEIRS) > theirs


def test_tokens_without_a_publisher_scope_write_no_dataset(site: Site) -> None:
    for who in ("reader", "harvester"):
        answer = site.api("POST", "hoi-tin-hoc/nope", who, dataset("Không"))
        assert answer.status_code == 403 and "needs 'admin' or 'publisher" in answer.text
    assert site.api("POST", "hoi-tin-hoc/nope", None, dataset("Không")).status_code == 401
    expired = site.api("POST", "hoi-tin-hoc/nope", "expired", dataset("Không"))
    assert expired.status_code == 401 and "expired" in expired.text
    assert site.api("GET", "hoi-tin-hoc/nope", "admin").status_code == 404
    # An admin writes any organisation's catalogue.
    assert site.api("POST", "hoi-vat-ly/by-admin", "admin", dataset("Quản trị")).status_code \
        == 201


def test_drafts_are_seen_only_by_their_publisher_and_admins(site: Site) -> None:
    word = "bảnnháp"
    # The catalogue's page of what changed since this test began.
    since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    draft = site.api("POST", "hoi-tin-hoc/draft", "vaip",
                     dataset("Nháp", draft=True, keywords=[word]))
    assert draft.status_code == 201 and draft.json()["draft"] is True
    iri = f"{BASE}id/dataset/hoi-tin-hoc/draft"
    anywhere = f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} }}"
    for who in (None, "vps", "reader"):
        assert not site.ask(anywhere, who), who
        assert site.api("GET", "hoi-tin-hoc/draft", who).status_code == 404, who
    # Naming the catalogue graph in the protocol's dataset does not open it either.
    assert not site.ask(f"ASK {{ <{iri}> ?p ?o }}", default=MINE)
    assert not site.ask(f"ASK {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}", named=MINE)
    for who in (None, "vps"):
        assert site.read_graph(MINE, who).status_code == 404, who
    # Its publisher and admins read it through the API and the Graph Store, not SPARQL.
    for who in ("vaip", "admin"):
        assert not site.ask(anywhere, who), who
        assert site.api("GET", "hoi-tin-hoc/draft", who).json()["draft"] is True
        own = site.read_graph(MINE, who)
        assert own.status_code == 200 and iri in own.text

    def public_places() -> list[str]:
        search = requests.get(f"{site.base}/api/v1/datasets", params={"q": word},
                              headers=site.headers(None), timeout=30).json()
        catalog = requests.get(f"{site.base}/catalog.ttl", params={"modified_since": since},
                               timeout=60).text
        manifest = requests.get(f"{site.base}/dumps/", headers={"Accept": "application/json"},
                                timeout=120).json()
        name = next(f["name"] for f in manifest["files"] if f["name"].endswith(".nq.gz"))
        dump = gzip.decompress(requests.get(f"{site.base}/dumps/{name}", timeout=120).content)
        feed = requests.get(f"{site.base}/changes/page", params={"limit": 50},
                            headers=site.headers(None), timeout=30).text
        oai = requests.get(f"{site.base}/oai", timeout=60, params={
            "verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": since}).text
        void = requests.get(f"{site.base}/.well-known/void.ttl", timeout=60).text
        assert MINE not in void
        places = {"search": json.dumps(search["items"]), "catalog": catalog,
                  "dump": dump.decode(), "feed": feed, "oai": oai}
        return [place for place, text in places.items() if "hoi-tin-hoc/draft" in text]

    assert public_places() == []
    published = site.api("PATCH", "hoi-tin-hoc/draft", "vaip", {"draft": False})
    assert published.status_code == 200 and published.json()["draft"] is False
    assert site.ask(f"ASK {{ <{iri}> ?p ?o }}")
    assert site.api("GET", "hoi-tin-hoc/draft", None).json()["draft"] is False
    assert sorted(public_places()) == ["catalog", "dump", "feed", "oai", "search"]
    # Harvesters find it through its organisation's catalogue.
    title = "'Danh mục dữ liệu của Hội Tin học Việt Nam'@vi"
    assert site.ask(f"ASK {{ <{BASE}id/catalog/hoi-tin-hoc> a <http://www.w3.org/ns/dcat#Catalog>"
                    f" ; <http://www.w3.org/ns/dcat#dataset> <{iri}> ; "
                    f"<http://purl.org/dc/terms/title> {title} }}")


def test_restricted_datasets_show_their_metadata_but_not_their_urls(site: Site) -> None:
    secret = "https://files.example/restricted.csv"  # noqa: S105 - a URL
    open_file = "https://files.example/open-part.csv"
    body = dataset("Hạn chế", accessRights=RESTRICTED)
    body["distributions"] = [
        {"title": {"vi": "Tệp kín"}, "accessURL": secret, "downloadURL": secret, "format": CSV},
        {"title": {"vi": "Tệp mở"}, "accessURL": open_file, "accessRights": PUBLIC},
    ]
    assert site.api("POST", "hoi-tin-hoc/restricted", "vaip", body).status_code == 201
    iri = f"{BASE}id/dataset/hoi-tin-hoc/restricted"
    seen = site.api("GET", "hoi-tin-hoc/restricted", None).json()
    assert seen["title"]["vi"] == "Hạn chế" and seen["accessRights"]["iri"] == RESTRICTED
    closed, opened = sorted(seen["distributions"], key=lambda d: d["iri"])
    assert closed["accessURL"]["iri"] == iri and closed["downloadURL"] is None
    assert opened["accessURL"]["iri"] == open_file
    url_anywhere = f"ASK {{ {{ ?d ?p <{secret}> }} UNION {{ GRAPH ?g {{ ?d ?p <{secret}> }} }} }}"
    for who in (None, "vps", "reader", "admin"):
        assert not site.ask(url_anywhere, who), who
    assert site.ask(f"ASK {{ <{iri}> <http://purl.org/dc/terms/accessRights> <{RESTRICTED}> }}")
    # Read tokens (and the publisher and admins) see the URLs, through the API.
    for who in ("reader", "vaip", "admin"):
        as_seen = site.api("GET", "hoi-tin-hoc/restricted", who)
        assert as_seen.headers["Cache-Control"] == "private, no-store"
        closed = next(d for d in as_seen.json()["distributions"]
                      if d["title"]["vi"] == "Tệp kín")
        assert closed["accessURL"]["iri"] == secret, who
        assert closed["downloadURL"]["iri"] == secret, who
    for_others = site.api("GET", "hoi-tin-hoc/restricted", "vps").json()
    assert secret not in json.dumps(for_others)


def test_a_dataset_that_breaks_the_profile_gets_422_by_field_in_both_languages(
        site: Site) -> None:
    body = dataset("Sai")
    body["title"] = {"en": "English only"}
    wrong = site.api("POST", "hoi-tin-hoc/wrong", "vaip", body)
    assert wrong.status_code == 422
    assert wrong.headers["Content-Type"] == "application/problem+json"
    errors = [e for e in wrong.json()["errors"] if e["severity"] == "Violation"]
    title = next(e for e in errors if e["field"] == "title")
    assert title["messages"]["vi"] == "Tập dữ liệu phải có tiêu đề tiếng Việt."
    assert title["messages"]["en"] == "The dataset needs a title in Vietnamese."
    body = dataset("Sai")
    del body["distributions"][0]["accessURL"]
    wrong = site.api("POST", "hoi-tin-hoc/wrong", "vaip", body)
    assert wrong.status_code == 422
    assert "distributions[0].accessURL" in {e["field"] for e in wrong.json()["errors"]}
    shape = site.api("POST", "hoi-tin-hoc/wrong", "vaip", {**dataset("Sai"), "byteSize": 3})
    assert shape.status_code == 422 and shape.json()["errors"][0]["field"] == "byteSize"
    assert site.api("POST", "hoi-tin-hoc/wrong", "vaip", "{not json").status_code == 400
    assert site.api("POST", "bad id", "vaip", dataset("Sai")).status_code == 400
    assert site.api("GET", "hoi-tin-hoc/wrong", "admin").status_code == 404


def test_every_write_is_audited_and_kg_audit_lists_it(
        demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("audit")
    shutil.copytree(demo_store_path, folder / "store")
    tokens = create_tokens(folder)
    with kg_serve(folder / "store", "--tokens", str(folder / "tokens.json"),
                  cwd=folder) as base:
        served = Site(base, tokens)
        assert served.api("POST", "hoi-tin-hoc/audited", "vaip",
                          dataset("Kiểm toán", draft=True)).status_code == 201
        assert served.update(f'INSERT DATA {{ GRAPH <{BASE}graph/notes> {{ <urn:x:a> '
                             f'<urn:x:p> "v" }} }}', "admin").status_code == 200
        # The audit is read by admins through the Graph Store; SPARQL never answers it.
        audit = f"{BASE}graph/audit"
        assert "vaip-editor" in served.read_graph(audit, "admin").text
        for who in (None, "vaip"):
            assert served.read_graph(audit, who).status_code == 404, who
        assert not served.ask(f"ASK {{ GRAPH <{audit}> {{ ?w ?p ?o }} }}", "admin")
    listed = subprocess.run(kg_command("--store", str(folder / "store"), "audit", "--json"),
                            capture_output=True, text=True, timeout=120, check=True)
    writes = json.loads(listed.stdout)
    assert [w["token"] for w in writes] == ["portal-team", "vaip-editor"]
    admin, publisher = writes
    assert admin["scopes"] == ["admin"] and admin["request"] == "POST /sparql/update"
    assert publisher["scopes"] == ["publisher:hoi-tin-hoc"]
    assert publisher["address"] == "127.0.0.1"
    assert publisher["request"] == "POST /api/v1/datasets/hoi-tin-hoc/audited"
    assert {"activity": "Create", "record": f"{BASE}id/dataset/hoi-tin-hoc/audited"} in \
        publisher["changes"]
    assert datetime.fromisoformat(publisher["at"]) <= datetime.fromisoformat(admin["at"])
    text = subprocess.run(kg_command("--store", str(folder / "store"), "audit", "--token",
                                     "vaip-editor"), capture_output=True, text=True,
                          timeout=120, check=True).stdout
    assert "vaip-editor [publisher:hoi-tin-hoc] from 127.0.0.1: POST /api/v1/datasets" in text
    assert "Create" in text and "portal-team" not in text


def test_the_write_operations_are_documented_and_answer_as_documented(site: Site) -> None:
    from openapi_core import Config, OpenAPI
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
    from openapi_spec_validator import validate

    document = requests.get(f"{site.base}/openapi.json", timeout=30).json()
    validate(document)
    item = document["paths"]["/api/v1/datasets/{id}"]
    assert {"get", "post", "put", "patch", "delete"} <= set(item)
    for method in ("post", "put", "patch", "delete"):
        assert item[method]["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(item[method]["responses"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    spec = OpenAPI.from_dict(document, config=Config(
        extra_media_type_deserializers={"application/problem+json": json.loads,
                                        "application/merge-patch+json": json.loads}))
    # A path parameter is one segment: the id's slash goes encoded, as OpenAPI clients send it.
    mine, theirs = "hoi-tin-hoc%2Fdocumented", "hoi-vat-ly%2Fdocumented"
    answers = [
        site.api("POST", mine, "vaip", dataset("Tài liệu")),
        site.api("PATCH", mine, "vaip", {"draft": True}, "application/merge-patch+json"),
        site.api("PUT", mine, "vaip", {"title": {"en": "no vi"}}),
        site.api("PUT", theirs, "vaip", dataset("Tài liệu")),
        site.api("DELETE", mine, "vaip"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 422, 403, 204]
    for answer in answers:
        request = RequestsOpenAPIRequest(answer.request)
        spec.validate_request(request)
        spec.validate_response(request, RequestsOpenAPIResponse(answer))
