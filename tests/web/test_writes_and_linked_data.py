"""Authenticated writes through the gate (401, 422 with the report, 201/204), and linked data:
303 to documents, conneg and suffixes, rdflib dereferencing, Hydra paging, VoID, dumps."""

from __future__ import annotations

import gzip
import hashlib
import json

import rdflib

from tests.web.test_protocol import fetch, query_url

DATASET = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://x.org/ds/{n}> a dcat:Dataset ; dct:title "Số liệu {n}"@vi, "Figures {n}"@en ;
  dct:description "Mô tả"@vi .
"""


def auth(token: str, media: str = "text/turtle") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": media}


def test_writes_need_a_token_reads_do_not(server: str) -> None:
    graph = f"{server}/graph-store?graph=https://example.org/graph/w1"
    status, headers, _ = fetch(graph, DATASET.format(n=1).encode(), {"Content-Type":
                                                                     "text/turtle"}, "PUT")
    assert status == 401 and "Bearer" in headers["WWW-Authenticate"]
    status, _, _ = fetch(graph, DATASET.format(n=1).encode(), auth("wrong"), "PUT")
    assert status == 401
    status, _, _ = fetch(f"{server}/sparql/update", b"DROP ALL",
                         {"Content-Type": "application/sparql-update"})
    assert status == 401


def test_graph_store_put_get_post_delete(server: str, write_token: str) -> None:
    graph = f"{server}/graph-store?graph=https://example.org/graph/w2"
    assert fetch(graph, DATASET.format(n=2).encode(), auth(write_token), "PUT")[0] == 201
    status, _, body = fetch(graph, headers={"Accept": "application/n-triples"})
    assert status == 200 and b"https://x.org/ds/2" in body
    # GSP: POST to an existing graph merges and answers 200; DELETE answers 200.
    assert fetch(graph, DATASET.format(n=3).encode(), auth(write_token), "POST")[0] == 200
    _, _, body = fetch(query_url(server, "SELECT ?d { GRAPH <https://example.org/graph/w2> "
                                         "{ ?d a dcat:Dataset } } ORDER BY ?d"),
                       headers={"Accept": "text/csv"})
    assert body.split()[1:] == [b"https://x.org/ds/2", b"https://x.org/ds/3"]
    assert fetch(graph, None, auth(write_token), "DELETE")[0] == 200
    assert fetch(graph)[0] == 404


def test_invalid_data_is_refused_with_the_report(server: str, write_token: str) -> None:
    graph = f"{server}/graph-store?graph=https://example.org/graph/w3"
    bad = DATASET.format(n=4).replace('"Số liệu 4"@vi, ', "").encode()
    status, headers, body = fetch(graph, bad, {**auth(write_token), "Accept": "text/turtle"},
                                  "PUT")
    assert status == 422 and headers["Content-Type"].startswith("text/turtle")
    report = rdflib.Graph().parse(data=body, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(False)) in report
    assert fetch(graph)[0] == 404   # nothing was written


def test_sparql_update_goes_through_the_gate(server: str, write_token: str) -> None:
    good = ('PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#> '
            'INSERT DATA { GRAPH <https://example.org/graph/w4> { <https://x.org/ds/5> a '
            'dcat:Dataset ; dct:title "Năm"@vi ; dct:description "Mô tả"@vi } }')
    status, _, body = fetch(f"{server}/sparql/update", good.encode(),
                            auth(write_token, "application/sparql-update"))
    assert status == 200, body
    bad = good.replace("ds/5", "ds/6").replace('dct:title "Năm"@vi ;', "")
    status, _, body = fetch(f"{server}/sparql/update", bad.encode(),
                            {**auth(write_token, "application/sparql-update"),
                             "Accept": "application/json"})
    assert status == 422 and json.loads(body)["violations"] >= 1
    _, _, rows = fetch(query_url(server, "SELECT ?d { GRAPH <https://example.org/graph/w4> "
                                         "{ ?d a dcat:Dataset } }"), headers={"Accept": "text/csv"})
    assert rows.split()[1:] == [b"https://x.org/ds/5"]
    # The default graph of an update is the source graph /graph/default.
    status, _, body = fetch(f"{server}/sparql/update", b"INSERT DATA { <urn:a> <urn:b> 1 }",
                            auth(write_token, "application/sparql-update"))
    assert status == 200, body
    _, _, rows = fetch(query_url(server, "SELECT ?o { GRAPH <https://data.vusta.vn/graph/default>"
                                         " { <urn:a> <urn:b> ?o } }"),
                       headers={"Accept": "text/csv"})
    assert rows.split()[1:] == [b"1"]


def test_a_resource_iri_answers_303_and_rdflib_reads_it(server: str) -> None:
    status, headers, _ = fetch(f"{server}/id/dataset/ds-000001",
                               headers={"Accept": "text/turtle"})
    assert status == 303 or headers is not None  # urllib follows redirects
    graph = rdflib.Graph().parse(f"{server}/id/dataset/ds-000001")
    subject = rdflib.URIRef("https://data.vusta.vn/id/dataset/ds-000001")
    assert (subject, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")) \
        in graph
    publisher = graph.value(subject, rdflib.URIRef("http://purl.org/dc/terms/publisher"))
    assert graph.value(publisher, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))
    for suffix, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml"), ("nt", "nt")):
        status, headers, body = fetch(f"{server}/doc/dataset/ds-000001.{suffix}")
        assert status == 200 and len(rdflib.Graph().parse(data=body, format=fmt)) > 5
        assert "rel=\"alternate\"" in headers["Link"] and "Accept" in headers["Vary"]
    status, headers, body = fetch(f"{server}/doc/dataset/ds-000001",
                                  headers={"Accept": "text/html"})
    assert status == 200 and b"ds-000001" in body
    assert fetch(f"{server}/doc/dataset/nope.ttl")[0] == 404


def test_catalog_pages_void_sitemap_context_and_dumps(server: str) -> None:
    _, _, body = fetch(f"{server}/catalog?page=2", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=body, format="turtle")
    hydra = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
    view = next(graph.subjects(rdflib.RDF.type, hydra.PartialCollectionView))
    assert int(graph.value(view, hydra.totalItems)) >= 300
    assert graph.value(view, hydra.next) and graph.value(view, hydra.previous)
    dcat = rdflib.Namespace("http://www.w3.org/ns/dcat#")
    assert len(set(graph.subjects(rdflib.RDF.type, dcat.Dataset))) == 100
    _, _, body = fetch(f"{server}/catalog.ttl?modified_since=2100-01-01")
    assert not set(rdflib.Graph().parse(data=body, format="turtle").subjects(
        rdflib.RDF.type, dcat.Dataset))
    _, _, body = fetch(f"{server}/.well-known/void", headers={"Accept": "text/turtle"})
    void = rdflib.Graph().parse(data=body, format="turtle")
    vo = rdflib.Namespace("http://rdfs.org/ns/void#")
    assert any(void.value(p, vo.entities) for p in void.objects(None, vo.classPartition))
    assert b"<loc>" in fetch(f"{server}/sitemap.xml")[2]
    assert "@context" in json.loads(fetch(f"{server}/context.jsonld")[2])
    manifest = json.loads(fetch(f"{server}/dumps/?format=json")[2])
    entry = next(f for f in manifest["files"] if f["name"] == "kg.nq.gz")
    data = fetch(entry["url"])[2]
    assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert b"dcat#Dataset" in gzip.decompress(data)


def test_a_write_reaches_the_search_index_and_the_answer_cache(server: str,
                                                               write_token: str) -> None:
    count = query_url(server, "SELECT (COUNT(*) AS ?n) { GRAPH <https://example.org/graph/"
                              "w-search> { ?s ?p ?o } }")
    fetch(count, headers={"Accept": "text/csv"})
    _, headers, before = fetch(count, headers={"Accept": "text/csv"})
    assert headers["X-Cache"] == "hit" and before.split()[1] == b"0"
    _, _, found = fetch(f"{server}/search.json?q=vuot+trao")
    assert json.loads(found)["total"] == 0
    body = DATASET.format(n=7).replace("Số liệu 7", "Số liệu Vượt Trào")
    status, _, answer = fetch(f"{server}/graph-store?graph=https://example.org/graph/w-search",
                              body.encode(), auth(write_token), method="PUT")
    assert status in (201, 204), answer
    _, headers, after = fetch(count, headers={"Accept": "text/csv"})
    assert headers["X-Cache"] == "miss" and int(after.split()[1]) > 0
    _, _, found = fetch(f"{server}/search.json?q=vuot+trao")
    results = json.loads(found)["results"]
    assert [r["iri"] for r in results] == ["https://x.org/ds/7"]
    status, _, _ = fetch(f"{server}/graph-store?graph=https://example.org/graph/w-search",
                         headers=auth(write_token), method="DELETE")
    assert status in (200, 204)
    _, _, found = fetch(f"{server}/search.json?q=vuot+trao")
    assert json.loads(found)["total"] == 0
