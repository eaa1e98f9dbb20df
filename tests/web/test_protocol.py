"""The SPARQL 1.1 Protocol as clients meet it: every form and format through SPARQLWrapper,
conneg, errors, service description, CORS, ETag/304, cache, row cap, timeout, SSRF guard."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import rdflib
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper

SELECT = "SELECT ?d WHERE { ?d a dcat:Dataset } ORDER BY ?d LIMIT 3"
FRESH = {"Cache-Control": "no-cache"}
CONSTRUCT = "CONSTRUCT { ?d a dcat:Dataset } WHERE { ?d a dcat:Dataset } LIMIT 3"


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
          method: str | None = None) -> tuple[int, Any, bytes]:
    """Status, headers (case-insensitive) and body of one plain HTTP request."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as failure:
        return failure.code, failure.headers, failure.read()


def query_url(server: str, text: str, **extra: str) -> str:
    return f"{server}/sparql?" + urllib.parse.urlencode({"query": text, **extra})


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", POST])
def test_select_in_every_result_format(server: str, fmt: str, method: str) -> None:
    sparql = SPARQLWrapper(f"{server}/sparql")
    sparql.setQuery(SELECT)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    result = sparql.query()
    body = result.response.read()
    assert result.response.headers["Content-Type"].endswith("charset=utf-8")
    assert b"ds-000001" in body


@pytest.mark.parametrize(("fmt", "parser"), [
    (TURTLE, "turtle"), (N3, "turtle"), (JSONLD, "json-ld"), (XML, "xml")])
def test_construct_in_every_rdf_format(server: str, fmt: str, parser: str) -> None:
    sparql = SPARQLWrapper(f"{server}/sparql")
    sparql.setQuery(CONSTRUCT)
    sparql.setReturnFormat(fmt)
    # Parsed here: SPARQLWrapper's own convert() uses rdflib's deprecated ConjunctiveGraph.
    body = sparql.query().response.read()
    assert len(rdflib.Graph().parse(data=body, format=parser)) == 3


def test_query_in_the_body_and_dataset_parameters(server: str) -> None:
    graph = "https://data.vusta.vn/graph/admin-units"
    status, _, body = fetch(f"{server}/sparql?default-graph-uri={graph}",
                            data=b"SELECT (COUNT(*) AS ?n) { ?d a dcat:Dataset }",
                            headers={"Content-Type": "application/sparql-query",
                                     "Accept": "text/csv"})
    assert status == 200 and body.split() == [b"n", b"0"]
    status, _, body = fetch(query_url(server, "SELECT (COUNT(*) AS ?n) { ?d a dcat:Dataset }"),
                            headers={"Accept": "text/csv"})
    assert body.split() == [b"n", b"300"]


def test_accept_with_q_values_and_format_parameter(server: str) -> None:
    _, headers, _ = fetch(query_url(server, SELECT), headers={
        "Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"})
    assert headers["Content-Type"].startswith("application/sparql-results+xml")
    _, headers, _ = fetch(query_url(server, SELECT, format="tsv"),
                          headers={"Accept": "application/json"})
    assert headers["Content-Type"].startswith("text/tab-separated-values")
    assert "Accept" in headers["Vary"]


@pytest.mark.parametrize(("make", "status", "words"), [
    (lambda s: (query_url(s, "SELECT * { ?s ?p }"), None, {}, None), 400, b"syntax"),
    (lambda s: (f"{s}/sparql", b"query=x", {"Content-Type": "text/plain"}, None), 415,
     b"Content-Type"),
    (lambda s: (query_url(s, SELECT), None, {"Accept": "image/png"}, None), 406, b"accepted"),
    (lambda s: (f"{s}/sparql", None, {}, "PUT"), 405, b""),
    (lambda s: (f"{s}/sparql", b"query=" + b"#" * (300 << 10),
                {"Content-Type": "application/x-www-form-urlencoded"}, None), 413, b""),
])
def test_errors_are_what_clients_expect(server: str, make: Any, status: int,
                                        words: bytes) -> None:
    url, data, headers, method = make(server)
    got, _, body = fetch(url, data, headers, method)
    assert got == status, body
    assert words in body


def test_service_description_in_turtle_and_json_ld(server: str) -> None:
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        status, _, body = fetch(f"{server}/sparql", headers={"Accept": accept})
        assert status == 200
        graph = rdflib.Graph().parse(data=body, format=fmt)
        sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
        assert (None, sd.supportedLanguage, sd.SPARQL11Query) in graph


def test_what_is_not_a_query_to_run_reaches_the_editor_and_the_description(
        server: str) -> None:
    """A posted form is read once to find its query and still reaches the pages behind."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urllib.parse.urlencode({"query": SELECT, "format": "html"}).encode()
    status, headers, page = fetch(f"{server}/sparql", body, form)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<table" in page and b"ds-000001" in page
    status, headers, turtle = fetch(f"{server}/sparql", b"other=1",
                                    {**form, "Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert b"SPARQL11Query" in turtle
    # An update posted to the query URL is an update: without a token it is refused.
    status, headers, _ = fetch(f"{server}/sparql", b"update=DROP+ALL", form)
    assert status == 401 and headers["Access-Control-Allow-Origin"] == "*"


def test_cors_for_browser_clients(server: str) -> None:
    _, headers, _ = fetch(query_url(server, SELECT), headers={"Origin": "https://example.org"})
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = fetch(f"{server}/sparql", method="OPTIONS", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert status == 200 and "POST" in headers["Access-Control-Allow-Methods"]


def test_etag_304_and_the_answer_cache(server: str) -> None:
    url = query_url(server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o } # etag test")
    _, first, _ = fetch(url)
    assert first["ETag"] and first["Last-Modified"]
    status, _, body = fetch(url, headers={"If-None-Match": first["ETag"]})
    assert status == 304 and body == b""
    _, again, _ = fetch(url)
    assert again["X-Cache"] == "hit" and again["ETag"] == first["ETag"]
    _, fresh, _ = fetch(url, headers={"Cache-Control": "no-cache"})
    assert fresh["X-Cache"] == "miss"


def test_no_store_keeps_an_answer_out_of_the_cache(server: str) -> None:
    url = query_url(server, "ASK { ?s ?p ?o } # no-store test")
    for _ in range(2):
        _, headers, _ = fetch(url, headers={"Cache-Control": "no-store"})
        assert headers["X-Cache"] == "miss"
    _, headers, _ = fetch(url)
    assert headers["X-Cache"] == "miss"
    _, headers, _ = fetch(url)
    assert headers["X-Cache"] == "hit"


def test_service_and_load_to_other_hosts_are_refused(server: str) -> None:
    status, _, body = fetch(query_url(
        server, "SELECT * { SERVICE <http://169.254.169.254/latest> { ?s ?p ?o } }"))
    assert status == 403 and b"ALLOWED_REMOTE_HOSTS" in body


# Without a LIMIT the answer is read and written here; with one, the engine's bytes pass.
@pytest.mark.parametrize("limit", ["", " LIMIT 1"])
def test_a_runaway_query_is_stopped_and_others_are_served(server: str, limit: str) -> None:
    explosive = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }" + limit
    others: list[int] = []

    def meanwhile() -> None:
        for _ in range(5):
            time.sleep(0.4)
            # Fresh answers, not the cache's: the engine itself must go on serving.
            others.append(fetch(query_url(server, "ASK { ?s ?p ?o }"), headers=FRESH)[0])

    thread = threading.Thread(target=meanwhile)
    started = time.monotonic()
    thread.start()
    status, _, body = fetch(query_url(server, explosive))
    elapsed = time.monotonic() - started
    thread.join(timeout=30)
    assert status == 503 and b"stopped" in body, body
    assert elapsed < 20
    assert others == [200] * 5
    # The engine was restarted; a query sent while it restarts waits for it.
    status, _, body = fetch(query_url(server, "ASK { ?s ?p ?o }"), headers=FRESH)
    assert status == 200, body


@pytest.mark.parametrize("limit", [" LIMIT 10", ""])
@pytest.mark.parametrize(("fmt", "media_type"), [
    (JSON, "application/sparql-results+json"), (XML, "application/sparql-results+xml"),
    (CSV, "text/csv"), (TSV, "text/tab-separated-values")])
def test_a_select_within_the_cap_is_the_engines_own_answer(
        oxigraph_server: str, tmp_path: Any, fmt: str, media_type: str, limit: str) -> None:
    """Remote-store mode: a SELECT within the row cap, by its own LIMIT or by its answer, goes
    out byte for byte as the SPARQL server wrote it, nothing parsed and written again."""
    from tests.conftest import kg_serve

    fill_with_awkward_literals(oxigraph_server)
    text = "SELECT ?s ?o { ?s <https://example.org/p> ?o } ORDER BY ?s" + limit
    direct = fetch(f"{oxigraph_server}/query?union-default-graph", text.encode(),
                   {"Content-Type": "application/sparql-query", "Accept": media_type})
    assert direct[0] == 200 and "thủ đô".encode() in direct[2]
    with kg_serve(oxigraph_server, cwd=tmp_path) as base:
        sparql = SPARQLWrapper(f"{base}/sparql")
        sparql.setQuery(text)
        sparql.setReturnFormat(fmt)
        response = sparql.query().response
        assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
        # Read whole before it went out: its length is known.
        assert response.headers["Content-Length"] == str(len(direct[2]))
        assert response.read() == direct[2]


def fill_with_awkward_literals(server: str) -> None:
    """Quotes, Vietnamese, a tab and a typed literal, loaded into a SPARQL server."""
    from pyoxigraph import Literal, NamedNode, Triple

    from graph.remote import Endpoint, RemoteStore
    from graph.store import Provenance

    remote = RemoteStore(Endpoint.oxigraph(server))
    p = NamedNode("https://example.org/p")
    remote.replace_graph(NamedNode("https://example.org/g"), [
        Triple(NamedNode(f"https://example.org/s{i}"), p, value)
        for i, value in enumerate([Literal("Hà Nội, \"thủ đô\"", language="vi"),
                                   Literal("42", datatype=NamedNode(
                                       "http://www.w3.org/2001/XMLSchema#integer")),
                                   Literal("tab\there"), NamedNode("https://example.org/o")])
    ], Provenance("test", "inline"))
    remote.close()


def test_a_construct_in_n_triples_is_the_engines_own_answer(oxigraph_server: str,
                                                           tmp_path: Any) -> None:
    from tests.conftest import kg_serve

    fill_with_awkward_literals(oxigraph_server)
    text = "CONSTRUCT { ?s <https://example.org/q> ?o } WHERE { ?s <https://example.org/p> ?o }"
    accept = {"Accept": "application/n-triples"}
    direct = fetch(f"{oxigraph_server}/query?union-default-graph", text.encode(),
                   {"Content-Type": "application/sparql-query", **accept})
    assert direct[0] == 200 and direct[2].count(b"\n") == 4
    with kg_serve(oxigraph_server, cwd=tmp_path) as base:
        status, headers, body = fetch(query_url(base, text), headers=accept)
    assert status == 200 and body == direct[2]
    assert headers["Content-Length"] == str(len(body))


def test_row_cap_and_streamed_json(tmp_path: Any) -> None:
    from pyoxigraph import QueryResultsFormat

    from graph.embedded import EmbeddedStore
    from web import create_app

    store = EmbeddedStore(None)
    client = create_app({"TESTING": True, "MAX_ROWS": 5, "TOKENS_FILE": str(tmp_path / "t")},
                        store=store).test_client()
    values = "SELECT ?n { VALUES ?n { 1 2 3 4 5 6 7 8 9 } }"
    # No LIMIT, a LIMIT above the cap, and one inside a subquery only: the cap applies.
    subquery = ("SELECT ?n ?m { { SELECT ?n { VALUES ?n { 1 2 3 } } LIMIT 3 } "
                "VALUES ?m { 1 2 3 } }")
    for text in (values, values + " LIMIT 8", subquery):
        data = json.loads(client.get("/sparql", query_string={"query": text}).data)
        assert data["results"]["truncated"] is True, text
        assert len(data["results"]["bindings"]) == 5
    # Within the cap, with a LIMIT or without: the whole answer, as the store writes it.
    for text, rows in ((values + " LIMIT 4", 4), (values + " LIMIT 5", 5),
                       ("SELECT ?n { VALUES ?n { 1 2 3 4 5 } }", 5)):
        body = client.get("/sparql", query_string={"query": text}).data
        assert body == store.query(text).serialize(  # type: ignore[union-attr]
            format=QueryResultsFormat.JSON)
        assert len(json.loads(body)["results"]["bindings"]) == rows
    # Over the cap in the other formats: XML says so in a comment, CSV and TSV cannot.
    xml = client.get("/sparql", query_string={"query": values, "format": "xml"}).data
    assert xml.count(b"<result>") == 5 and b"truncated" in xml
    for fmt in ("csv", "tsv"):
        table = client.get("/sparql", query_string={"query": values, "format": fmt}).data
        assert table.splitlines()[1:] == [b"1", b"2", b"3", b"4", b"5"], table
    # Triples: N-Triples cut as it comes, the other formats written here within the cap.
    construct = ("CONSTRUCT { ?s <urn:x:p> ?n } WHERE { VALUES ?n { 1 2 3 4 5 6 7 8 9 } "
                 'BIND(IRI(CONCAT("urn:x:", STR(?n))) AS ?s) }')
    for fmt, parser in (("nt", "nt"), ("ttl", "turtle"), ("jsonld", "json-ld")):
        data = client.get("/sparql", query_string={"query": construct, "format": fmt}).data
        assert len(rdflib.Graph().parse(data=data, format=parser)) == 5, (fmt, data)
