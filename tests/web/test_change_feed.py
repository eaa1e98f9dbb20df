"""Harvesting over HTTP and the change feed, through a real `kg serve` on the demo store and a
CKAN Action API on 127.0.0.1: the feed read as Activity Streams 2.0 by a JSON-LD processor
(PyLD, with the AS2 context it ships), as Atom by feedparser, paged to its end, filtered, and
listing exactly what each harvest changed."""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

from tests.conftest import kg_serve
from tests.loaders.fake_portals import Site, package, serving
from tests.web.test_protocol import fetch
from web.auth import TokenFile

AS = "https://www.w3.org/ns/activitystreams#"
DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"
DATASET = "https://data.vusta.vn/id/dataset/hoi-moi-truong-0000000{n}-aaaa-4bbb-8ccc-00000000000{n}"


class Portal:
    def __init__(self, url: str, token: str, site: Site, ckan: str) -> None:
        self.url, self.token, self.site, self.ckan = url, token, site, ckan

    def get(self, path: str, accept: str = "application/ld+json") -> tuple[int, Any, bytes]:
        return fetch(self.url + path, headers={"Accept": accept})

    def json(self, path: str) -> Any:
        status, _, body = self.get(path)
        assert status == 200, body
        return json.loads(body)

    def post(self, path: str, body: Any = None, token: bool = True) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        status, _, answer = fetch(self.url + path, json.dumps(body or {}).encode(), headers,
                                  method="POST")
        return status, json.loads(answer) if answer.strip().startswith((b"{", b"[")) else answer

    def revision(self) -> int:
        """The revision of the newest change: ``since=`` it lists what comes after."""
        return int(self.json("/changes/page?limit=1")["orderedItems"][0]["kg:revision"])

    def items(self, **filters: str) -> list[dict[str, Any]]:
        """Every item of the feed under ``filters``, following ``next`` to the end."""
        found: list[dict[str, Any]] = []
        page = self.json("/changes/page?" + urllib.parse.urlencode(filters))
        for _ in range(1000):
            found += page["orderedItems"]
            if "next" not in page:
                return found
            page = self.json(page["next"].removeprefix(self.url))
        raise AssertionError("the feed did not end within 1000 pages")


@pytest.fixture(scope="module")
def portal(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("feed")
    shutil.copytree(demo_store_path, folder / "store")
    token = TokenFile(folder / "tokens.json").create("feed")
    site = Site(packages=[package(1), package(2), package(4)])
    with serving(site) as ckan, kg_serve(folder / "store", "--tokens",
                                         str(folder / "tokens.json")) as url:
        yield Portal(url, token, site, ckan)


SOURCE = {"id": "hoi-moi-truong", "title": "Cổng dữ liệu Hội Môi trường", "kind": "ckan",
          "publisher": "vusta", "licence": "CC0", "allow_private": True}


def test_harvest_over_http_and_the_feed_lists_exactly_what_changed(portal: Portal) -> None:
    source = {**SOURCE, "url": portal.ckan}
    assert portal.post("/harvest/sources", source, token=False)[0] == 401
    assert portal.post("/harvest/sources", {**source, "publisher": "no-such-org"})[0] == 422
    assert portal.post("/harvest/sources", {**source, "colour": "red"})[0] == 400
    status, created = portal.post("/harvest/sources", source)
    assert status == 201 and created["graph"].endswith("/graph/harvest/hoi-moi-truong")
    assert [s["slug"] for s in portal.json("/harvest/sources")] == ["hoi-moi-truong"]
    assert portal.post("/harvest/sources/hoi-moi-truong/run", token=False)[0] == 401
    before = portal.revision()
    status, outcome = portal.post("/harvest/sources/hoi-moi-truong/run")
    assert status == 200 and (outcome[0]["seen"], outcome[0]["loaded"]) == (3, 3), outcome
    created_items = portal.items(since=str(before), type="Dataset")
    assert sorted((i["type"], i["object"]["id"]) for i in created_items) == [
        ("Create", DATASET.format(n=n)) for n in (1, 2, 4)]
    # Their CKAN organisation is in the registry: it is their publisher.
    assert all(i["object"]["attributedTo"] == "https://data.vusta.vn/id/org/hoi-moi-truong"
               for i in created_items)
    # Unchanged at the source: skipped, nothing in the feed.
    middle = portal.revision()
    status, outcome = portal.post("/harvest/run")
    assert outcome[0]["skipped"] and portal.items(since=str(middle)) == []
    # One title edited, one dataset gone.
    portal.site.packages = [package(1, title="Số liệu quan trắc 1 (bản sửa)"), package(2)]
    status, outcome = portal.post("/harvest/sources/hoi-moi-truong/run")
    assert (outcome[0]["loaded"], outcome[0]["removed"]) == (2, 1), outcome
    # The source's organisation publishes the harvest's catalogue: it lost a dataset.
    [catalog] = portal.items(since=str(middle), publisher="vusta")
    assert catalog["object"]["type"] == ["dcat:Catalog"] and catalog["type"] == "Update"
    assert catalog["kg:removedProperty"] == ["http://www.w3.org/ns/dcat#dataset"]
    changed = portal.items(since=str(middle), type="dcat:Dataset", publisher="hoi-moi-truong")
    assert [(i["type"], i["object"]["id"]) for i in changed] == sorted(
        [("Update", DATASET.format(n=1)), ("Delete", DATASET.format(n=4))],
        key=lambda pair: pair[1], reverse=True)
    update = changed[[i["type"] for i in changed].index("Update")]
    assert update["kg:addedProperty"] == update["kg:removedProperty"] == [
        "http://purl.org/dc/terms/title"]
    assert update["object"]["name"] == "Số liệu quan trắc 1 (bản sửa)"
    assert "feed" in update["actor"]["name"]
    dataset_page_shows_its_history(portal)
    # One scenario, not tests that lean on each other's order (xdist spreads tests apart).
    catalog_modified_since_agrees_with_the_feed(portal)
    graph_store_writes_are_in_the_feed(portal)
    removing_a_source_over_http_drops_its_graph_into_the_feed(portal)


def test_the_collection_is_activity_streams_as_a_json_ld_processor_reads_it(
        portal: Portal) -> None:
    status, headers, body = portal.get("/changes")
    assert status == 200 and "activitystreams" in headers["Content-Type"]
    collection = json.loads(body)
    loader = FrozenDocumentLoader()
    expanded = jsonld.expand(collection, {"documentLoader": loader})[0]
    assert expanded["@type"] == [f"{AS}OrderedCollection"]
    total = expanded[f"{AS}totalItems"][0]["@value"]
    assert total >= 1
    first = expanded[f"{AS}first"][0]["@id"]
    page = jsonld.expand(json.loads(fetch(first)[2]), {"documentLoader": loader})[0]
    assert page["@type"] == [f"{AS}OrderedCollectionPage"]
    items = page[f"{AS}items"][0]["@list"]
    assert {item["@type"][0] for item in items} <= {f"{AS}Create", f"{AS}Update",
                                                    f"{AS}Delete"}
    some = items[0][f"{AS}object"][0]
    assert some["@id"].startswith("http") and some["@type"][0].startswith("http")
    # Newest first: revisions never rise down the page.
    revisions = [item["https://data.vusta.vn/def/kg#revision"][0]["@value"] for item in items]
    assert revisions == sorted(revisions, reverse=True)


def test_cursor_paging_covers_every_change_once(portal: Portal) -> None:
    everything = portal.items(limit="1000")
    assert len(everything) == portal.json("/changes")["totalItems"]
    paged = portal.items(limit="97")
    assert [i["id"] for i in paged] == [i["id"] for i in everything]
    _, headers, _ = portal.get("/changes/page?limit=97")
    assert 'rel="next"' in headers["Link"]


def test_the_atom_feed_as_feedparser_reads_it(portal: Portal) -> None:
    status, headers, body = portal.get("/changes.atom?type=Dataset&limit=2")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 2
    newest = portal.items(type="Dataset")[:2]
    assert [e.id for e in feed.entries] == [i["id"] for i in newest]
    assert all(e.link.startswith("https://data.vusta.vn/id/") for e in feed.entries)
    assert {t.term for e in feed.entries for t in e.tags} >= {DCAT_DATASET}
    following = [link.href for link in feed.feed.links if link.rel == "next"]
    assert following, "two of many: a next page"
    second = feedparser.parse(fetch(following[0])[2])
    assert second.entries[0].id == portal.items(type="Dataset")[2]["id"]
    # The same feed by content negotiation on /changes.
    status, headers, _ = portal.get("/changes?type=Dataset", accept="application/atom+xml")
    assert headers["Content-Type"].startswith("application/atom+xml")


def dataset_page_shows_its_history(portal: Portal) -> None:
    for lang, created, updated in (("vi", "Tạo mới", "Sửa đổi"), ("en", "Created", "Updated")):
        status, _, body = portal.get(
            f"/doc/dataset/{DATASET.format(n=1).rsplit('/', 1)[1]}?lang={lang}",
            accept="text/html")
        assert status == 200
        page = body.decode()
        table = page[page.index('<table class="history">'):]
        table = table[:table.index("</table>")]
        rows = re.findall(r'<tr class="change-(\w+)">(.*?)</tr>', table, re.S)
        # Newest first: the edit, then the first harvest.
        assert [kind for kind, _ in rows] == ["update", "create"]
        edit = re.sub(r"\s+", " ", rows[0][1])
        assert updated in edit and created in rows[1][1]
        assert edit.count(">dct:title</code>") == 2      # added and removed
        assert 'id="history-feed"' in page


GSP_DATASET = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://data.vusta.vn/id/dataset/gsp-1> a dcat:Dataset ; dct:title "Tập qua Graph Store"@vi ;
  dct:description "Ghi bằng PUT"@vi ; dct:publisher <https://data.vusta.vn/id/org/vusta> .
"""


def graph_store_writes_are_in_the_feed(portal: Portal) -> None:
    before = portal.revision()
    status, _, _ = fetch(f"{portal.url}/graph/feed-gsp", GSP_DATASET.encode(),
                         {"Authorization": f"Bearer {portal.token}",
                          "Content-Type": "text/turtle"}, method="PUT")
    assert status == 201
    [item] = portal.items(since=str(before), type="Dataset")
    assert (item["type"], item["object"]["id"]) == (
        "Create", "https://data.vusta.vn/id/dataset/gsp-1")
    assert "Graph Store PUT by feed" in item["actor"]["name"]
    assert item["kg:graph"] == "https://data.vusta.vn/graph/feed-gsp"


def catalog_modified_since_agrees_with_the_feed(portal: Portal) -> None:
    # The edited dataset says it was modified in 2025 (the source's date); the feed saw it
    # change now, and the catalogue's modified_since lists what the feed lists.
    updates = [i for i in portal.items(type="Dataset") if i["type"] == "Update"]
    assert updates
    since = updates[0]["published"]
    status, _, body = fetch(f"{portal.url}/catalog?" + urllib.parse.urlencode(
        {"modified_since": since}), headers={"Accept": "application/n-triples"})
    assert status == 200
    listed = {line.split()[2].strip("<>") for line in body.decode().splitlines()
              if "<http://www.w3.org/ns/dcat#dataset>" in line}
    feed = {i["object"]["id"] for i in portal.items(type="Dataset", since=since)
            if i["type"] != "Delete"}
    assert feed and feed <= listed


@pytest.mark.parametrize("query", ["since=yesterday", "limit=0", "limit=5000", "cursor=abc",
                                   "type=no%20such"])
def test_bad_feed_parameters_get_400(portal: Portal, query: str) -> None:
    status, _, body = portal.get(f"/changes/page?{query}")
    assert status == 400 and body.strip()


def removing_a_source_over_http_drops_its_graph_into_the_feed(portal: Portal) -> None:
    before = portal.revision()
    status, _, body = fetch(f"{portal.url}/harvest/sources/hoi-moi-truong",
                            headers={"Authorization": f"Bearer {portal.token}"},
                            method="DELETE")
    assert status == 200 and json.loads(body)["graph dropped"]
    gone = portal.items(since=str(before), type="Dataset")
    assert sorted((i["type"], i["object"]["id"]) for i in gone) == [
        ("Delete", DATASET.format(n=n)) for n in (1, 2)]
    assert portal.json("/harvest/sources") == []
