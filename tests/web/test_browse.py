"""The browse UI over HTTP against a real `kg serve`: search, listings as JSON/CSV with cursor
paging, resource pages, language, alternates and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

from tests.conftest import HOSTILE

DONG_THAP = "https://data.vusta.vn/id/unit/2025/province/82"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers (names case-insensitive, as HTTP has them) and text of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def search_json(base: str, **params: str | list[str]) -> dict:
    query = urllib.parse.urlencode(params, doseq=True)
    status, headers, body = get(f"{base}/search.json?{query}")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def test_search_folds_case_and_diacritics_including_d_stroke(browse_server: str) -> None:
    plain = search_json(browse_server, q="dong thap")
    marked = search_json(browse_server, q="ĐỒNG THÁP")
    assert plain["total"] == marked["total"] > 0
    assert [r["iri"] for r in plain["results"]] == [r["iri"] for r in marked["results"]]
    assert any("Đồng Tháp" in r["title"] for r in plain["results"])
    assert DONG_THAP in {r["iri"] for r in plain["results"]}
    hanoi = search_json(browse_server, q="ha noi", kind="organisation")
    assert hanoi["total"] >= 1 and all(r["kind"] == "organisation" for r in hanoi["results"])


def test_facets_narrow_and_count_from_the_index(browse_server: str) -> None:
    everything = search_json(browse_server, kind="dataset")
    themes = everything["facets"]["theme"]
    top = themes[0]
    assert top["count"] > 0 and top["label"] != top["value"]
    narrowed = search_json(browse_server, kind="dataset", theme=top["value"])
    assert narrowed["total"] == top["count"] < everything["total"]
    two = search_json(browse_server, kind="dataset", theme=[top["value"], themes[1]["value"]])
    assert two["total"] == top["count"] + themes[1]["count"]
    for name in ("publisher", "format", "licence", "province", "year", "field"):
        assert everything["facets"][name], name


def test_cursor_paging_visits_every_result_once(browse_server: str) -> None:
    first = search_json(browse_server, kind="dataset", limit="40")
    seen = [r["iri"] for r in first["results"]]
    page = first
    for _ in range(100):
        if not page["next"]:
            break
        page = search_json(browse_server, kind="dataset", limit="40", after=page["next"])
        seen += [r["iri"] for r in page["results"]]
    assert len(seen) == len(set(seen)) == first["total"]
    status, _, body = get(f"{browse_server}/search.json?after=not-a-cursor")
    assert status == 400 and "cursor" in body


def test_csv_listing_and_negotiation(browse_server: str) -> None:
    status, headers, body = get(f"{browse_server}/search?q=khong+khi", {"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    together = ["không khí" in row["title"].lower() for row in rows]
    # Every record with the words side by side comes before those that have them apart.
    assert together[0] and together == sorted(together, reverse=True)
    status, headers, body = get(f"{browse_server}/search?q=khong+khi")
    assert headers["Content-Type"].startswith("text/html")
    assert 'rel="alternate" type="application/json"' in body and "format=csv" in body
    assert "rel=\"alternate\"" in headers["Link"]


def test_language_by_parameter_accept_language_and_remembered(browse_server: str) -> None:
    _, _, vi = get(f"{browse_server}/")
    assert '<html lang="vi">' in vi and "Tổ chức" in vi
    _, _, en = get(f"{browse_server}/", {"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en and "Organisations" in en
    _, headers, _ = get(f"{browse_server}/places?lang=en")
    assert "lang=en" in headers["Set-Cookie"]
    _, _, remembered = get(f"{browse_server}/places", {"Cookie": "lang=en"})
    assert '<html lang="en">' in remembered


def test_dataset_page_has_everything_a_reader_needs(browse_server: str) -> None:
    hit = search_json(browse_server, kind="dataset", q="khong khi")["results"][0]
    path = urllib.parse.urlsplit(hit["iri"]).path.replace("/id/", "/doc/", 1)
    status, headers, page = get(f"{browse_server}{path}")
    assert status == 200 and "Accept" in headers["Vary"]
    for fragment in ('id="publisher"', 'id="spatial"', 'class="distributions"',
                     'id="report-link"', 'type="application/ld+json" id="schema-org"',
                     'rel="alternate" type="text/turtle"', "SELECT ?property ?value"):
        assert fragment in page, fragment
    schema = json.loads(re.search(r'id="schema-org">(.*?)</script>', page, re.S).group(1))
    assert schema["@type"] == "Dataset" and schema["name"] and schema["distribution"]
    status, headers, turtle = get(f"{browse_server}{path}", {"Accept": "text/turtle"})
    assert headers["Content-Type"].startswith("text/turtle") and hit["iri"] in turtle


def test_organisation_place_and_vocabulary_pages(browse_server: str) -> None:
    status, _, org = get(f"{browse_server}/doc/org/vusta")
    assert status == 200 and 'id="sub-organisations"' in org
    status, _, place = get(f"{browse_server}/doc/unit/2025/province/82")
    assert status == 200 and 'id="formed-from"' in place and "/doc/unit/pre-2025/province/87" \
        in place and 'id="map"' in place and 'id="located"' in place
    status, _, old = get(f"{browse_server}/doc/unit/pre-2025/province/87")
    assert status == 200 and 'id="became"' in old
    status, _, tree = get(f"{browse_server}/doc/scheme/fields-of-science?lang=en")
    assert status == 200 and 'id="scheme-tree"' in tree and "Natural sciences" in tree
    status, _, theme = get(f"{browse_server}/resource?iri=" + urllib.parse.quote(
        "http://publications.europa.eu/resource/authority/data-theme/ENVI"))
    assert status == 200 and "Môi trường" in theme
    for listing, marker in (("/organisations", 'id="organisation-tree"'),
                            ("/places", 'id="provinces-old"'), ("/vocab", 'id="schemes"')):
        status, _, body = get(f"{browse_server}{listing}")
        assert status == 200 and marker in body, listing


def test_data_is_escaped_everywhere_it_is_shown(browse_server: str) -> None:
    found = search_json(browse_server, q="pwned")
    assert found["total"] == 1 and HOSTILE in found["results"][0]["title"]
    iri = found["results"][0]["iri"]
    path = urllib.parse.urlsplit(iri).path.replace("/id/", "/doc/", 1)
    for url in (f"{browse_server}/search?q=pwned", f"{browse_server}{path}",
                f"{browse_server}/", f"{browse_server}/doc/org/vusta"):
        _, _, body = get(url)
        assert HOSTILE not in body, url
    _, _, page = get(f"{browse_server}{path}")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "\\u003cscript\\u003e" in page  # inside the schema.org JSON-LD


def test_sparql_form_works_without_javascript(browse_server: str) -> None:
    query = urllib.parse.quote("SELECT ?s WHERE { ?s a dcat:Dataset } LIMIT 5")
    status, _, page = get(f"{browse_server}/sparql?format=html&query={query}")
    assert status == 200 and page.count("<tr>") == 6
    status, _, page = get(f"{browse_server}/sparql?format=html&query=SELEC")
    assert status == 400 and 'id="query-error"' in page


def test_every_listing_comes_as_json_and_csv_with_a_cursor(browse_server: str) -> None:
    status, _, body = get(f"{browse_server}/places.json?limit=40")
    first = json.loads(body)
    assert status == 200 and first["total"] == 34 + 63 and len(first["results"]) == 40
    seen = [r["iri"] for r in first["results"]]
    page = first
    for _ in range(10):
        if not page["next_url"]:
            break
        _, _, body = get(browse_server + page["next_url"])
        page = json.loads(body)
        seen += [r["iri"] for r in page["results"]]
    assert len(seen) == len(set(seen)) == 97
    status, headers, body = get(f"{browse_server}/organisations", {"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(body)))
    assert headers["Content-Type"].startswith("text/csv") and len(rows) == 44
    assert any(row["parent"] == "" for row in rows)
    status, _, body = get(f"{browse_server}/vocab.json")
    assert status == 200 and {"iri", "label", "count"} <= set(json.loads(body)["results"][0])
    _, _, html = get(f"{browse_server}/vocab")
    assert 'rel="alternate" type="application/json"' in html
