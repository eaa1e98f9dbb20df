"""Where the SPARQL 1.1 Protocol and the Graph Store HTTP Protocol are exact: each request a
standard client or test suite sends, over real HTTP on the on-disk store and on a real
`oxigraph serve` behind `kg serve --store URL`."""

from __future__ import annotations

import urllib.parse
import uuid

import pytest
import rdflib
from SPARQLWrapper import CSV, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

from tests.web.conftest import Served
from tests.web.test_protocol import fetch

BASE = "https://data.vusta.vn/"
DEFAULT = f"{BASE}graph/default"
VOCABULARY = f"{BASE}graph/vocab-themes"


def fresh_graph() -> str:
    return f"https://example.org/exact/{uuid.uuid4().hex[:8]}"


def put(served: Served, graph: str, turtle: str) -> int:
    return fetch(f"{served.url}/graph-store?graph={graph}", turtle.encode(),
                 served.auth("text/turtle"), "PUT")[0]


# -- SPARQL 1.1 Protocol -------------------------------------------------------------------

def test_two_queries_in_one_request_are_refused(served: Served) -> None:
    status, _, body = fetch(f"{served.url}/sparql?query=ASK%7B%7D&query=SELECT+*+%7B%7D")
    assert status == 400 and b"query" in body
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = fetch(f"{served.url}/sparql", b"query=ASK{}&query=ASK{}", form)
    assert status == 400
    assert fetch(f"{served.url}/sparql?query=ASK%7B%7D", b"query=ASK{}", form)[0] == 400


def test_using_in_the_text_and_in_the_request_is_refused(served: Served) -> None:
    graph = fresh_graph()
    assert put(served, graph, "<urn:s> <urn:p> 1 .") == 201
    with_using = (f"INSERT {{ GRAPH <{graph}> {{ ?s <urn:q> ?o }} }} USING <{graph}> "
                  "WHERE { ?s <urn:p> ?o }")
    status, _, body = served.update(with_using, **{"using-graph-uri": graph})
    assert status == 400 and b"USING" in body
    with_with = f"WITH <{graph}> INSERT {{ ?s <urn:q> ?o }} WHERE {{ ?s <urn:p> ?o }}"
    status, _, _ = served.update(with_with, **{"using-named-graph-uri": graph})
    assert status == 400
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s <urn:q> ?o }} }}") == []


def test_a_prologue_reaches_every_operation_with_the_dataset_parameters(served: Served) -> None:
    """SPARQLWrapper posts the update as a form, the dataset parameters beside it."""
    source, other, target = fresh_graph(), fresh_graph(), fresh_graph()
    dc = "http://purl.org/dc/elements/1.1/"
    assert put(served, source, f'<urn:a> <{dc}title> "A" ; <{dc}creator> "Ann" .') == 201
    assert put(served, other, f'<urn:b> <{dc}title> "B" .') == 201
    client = SPARQLWrapper(f"{served.url}/sparql", updateEndpoint=f"{served.url}/sparql/update")
    client.addCustomHttpHeader("Authorization", f"Bearer {served.token}")
    client.setMethod(POST)
    client.setQuery(f"PREFIX dc: <{dc}>\n"
                    f"INSERT {{ GRAPH <{target}> {{ ?s dc:title ?t }} }} "
                    "WHERE { ?s dc:title ?t };\n"
                    f"INSERT {{ GRAPH <{target}> {{ ?s dc:creator ?c }} }} "
                    "WHERE { ?s dc:creator ?c }")
    client.addParameter("using-graph-uri", source)
    client.query()
    assert served.rows(f"SELECT ?o {{ GRAPH <{target}> {{ ?s ?p ?o }} }}") == ["A", "Ann"]
    # The same with the parameters in the URL and the update as the body.
    client.setRequestMethod(POSTDIRECTLY)
    client.clearParameter("using-graph-uri")
    client.setQuery(f"PREFIX dc: <{dc}> DELETE {{ GRAPH <{target}> {{ ?s dc:title ?t }} }} "
                    f"WHERE {{ GRAPH ?g {{ ?s dc:title ?t }} }} ; "
                    f"INSERT {{ GRAPH <{target}> {{ ?s dc:title ?t }} }} "
                    f"WHERE {{ GRAPH ?g {{ ?s dc:title ?t }} }}")
    client.addParameter("using-named-graph-uri", other)
    client.query()
    assert served.rows(f"SELECT ?o {{ GRAPH <{target}> {{ ?s ?p ?o }} }}") == ["A", "Ann", "B"]


def test_an_update_without_a_token_changes_nothing(served: Served) -> None:
    graph = fresh_graph()
    assert put(served, graph, "<urn:s> <urn:p> 1 .") == 201
    for text in (f"CLEAR GRAPH <{graph}>", "CLEAR ALL", "DROP ALL", "DROP DEFAULT",
                 f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s> <urn:p> 2 }} }}"):
        status, headers, _ = served.update(text, token=False)
        assert status == 401 and "Bearer" in headers["WWW-Authenticate"]
    client = SPARQLWrapper(f"{served.url}/sparql", updateEndpoint=f"{served.url}/sparql/update")
    client.setMethod(POST)
    client.setQuery(f"CLEAR GRAPH <{graph}>")
    with pytest.raises(Unauthorized):
        client.query()
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == ["1"]


def test_clear_and_drop_for_a_token_holder(served: Served) -> None:
    one, two = fresh_graph(), fresh_graph()
    assert put(served, one, "<urn:s> <urn:p> 1 .") == 201
    assert put(served, two, "<urn:s> <urn:p> 2 .") == 201
    status, _, body = served.update(f"CLEAR GRAPH <{one}>")
    assert status == 200, body
    assert served.rows(f"SELECT ?o {{ GRAPH <{one}> {{ ?s ?p ?o }} }}") == []
    assert served.rows(f"SELECT ?o {{ GRAPH <{two}> {{ ?s ?p ?o }} }}") == ["2"]
    # The default graph is the source graph /graph/default.
    assert served.update("INSERT DATA { <urn:d> <urn:p> 3 }")[0] == 200
    assert served.triples(DEFAULT) == 1
    assert served.update("CLEAR DEFAULT")[0] == 200
    assert served.triples(DEFAULT) == 0
    assert served.update("INSERT DATA { <urn:d> <urn:p> 4 }")[0] == 200
    assert served.update("DROP DEFAULT")[0] == 200
    assert served.triples(DEFAULT) == 0
    # SILENT or not, a graph that is not there is no error to a token holder.
    assert served.update(f"CLEAR GRAPH <{fresh_graph()}>")[0] == 200


def test_all_means_the_data_graphs_never_the_vocabularies(served: Served) -> None:
    kept = served.triples(VOCABULARY)
    assert kept > 10
    one, two = fresh_graph(), fresh_graph()
    assert put(served, one, "<urn:s> <urn:p> 1 .") == 201
    assert put(served, two, "<urn:s> <urn:p> 2 .") == 201
    assert served.update("CLEAR ALL")[0] == 200
    assert served.triples(one) == 0 and served.triples(two) == 0
    assert served.triples(VOCABULARY) == kept
    assert put(served, one, "<urn:s> <urn:p> 1 .") in (201, 204)
    assert served.update("DROP ALL")[0] == 200
    assert served.triples(one) == 0 and served.triples(VOCABULARY) == kept
    # The service's own record of its graphs still answers.
    _, _, stats = fetch(f"{served.url}/.well-known/void", headers={"Accept": "text/turtle"})
    assert b"vocab-themes" in stats


def test_updates_posted_to_the_query_url(served: Served) -> None:
    """The Recommendation lets one URL take both; the token rule is the same."""
    graph = fresh_graph()
    form = {**served.auth("application/x-www-form-urlencoded")}
    body = urllib.parse.urlencode(
        {"update": f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:s> <urn:p> 5 }} }}"}).encode()
    status, _, answer = fetch(f"{served.url}/sparql", body, form)
    assert status == 200, answer
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == ["5"]
    status, _, _ = fetch(f"{served.url}/sparql?" + urllib.parse.urlencode(
        {"update": f"CLEAR GRAPH <{graph}>"}))
    assert status == 400          # an update is never sent by GET
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == ["5"]


def test_a_charset_other_than_utf8_is_refused(served: Served) -> None:
    status, _, body = fetch(f"{served.url}/sparql", "ASK {}".encode("latin-1"),
                            {"Content-Type": "application/sparql-query; charset=ISO-8859-1"})
    assert status == 415 and b"UTF-8" in body.upper()
    status, _, _ = fetch(f"{served.url}/sparql/update", b"CLEAR DEFAULT",
                         served.auth("application/sparql-update; charset=ISO-8859-1"))
    assert status == 415


def test_a_malformed_update_is_a_bad_request_to_sparqlwrapper(served: Served) -> None:
    client = SPARQLWrapper(f"{served.url}/sparql", updateEndpoint=f"{served.url}/sparql/update")
    client.addCustomHttpHeader("Authorization", f"Bearer {served.token}")
    client.setMethod(POST)
    client.setQuery("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> } }")
    with pytest.raises(QueryBadFormed):
        client.query()


# -- Graph Store HTTP Protocol -------------------------------------------------------------

def test_post_without_a_graph_creates_one(served: Served) -> None:
    status, headers, _ = fetch(f"{served.url}/graph-store", b"<urn:s> <urn:p> 7 .",
                               served.auth("text/turtle"), "POST")
    assert status == 201
    location = headers["Location"]
    assert location.startswith(f"{served.url}/graph/posted/")
    status, headers, body = fetch(location, headers={"Accept": "application/n-triples"})
    assert status == 200 and b'"7"' in body
    iri = BASE + location.removeprefix(f"{served.url}/")
    assert served.rows(f"SELECT ?o {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}") == ["7"]
    assert fetch(f"{served.url}/graph-store", b"<urn:s> <urn:p> 7 .",
                 {"Content-Type": "text/turtle"}, "POST")[0] == 401


def multipart(parts: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of RDF files: (file name, media type, content)."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, media, content in parts:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                      f'filename="{name}"\r\nContent-Type: {media}\r\n\r\n'.encode() + content
                      + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def test_post_multipart_merges_every_part(served: Served) -> None:
    graph = fresh_graph()
    body, media = multipart([
        ("a.ttl", "text/turtle", b"@prefix e: <urn:e:> . e:s e:p 1 ."),
        ("b.nt", "application/n-triples", b"<urn:e:s> <urn:e:p> \"2\" .\n"),
        ("c.jsonld", "application/ld+json",
         b'{"@id": "urn:e:s", "urn:e:p": [{"@value": "3"}]}')])
    status, _, answer = fetch(f"{served.url}/graph-store?graph={graph}", body,
                              served.auth(media), "POST")
    assert status == 201, answer
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == ["1", "2", "3"]
    broken, media = multipart([("a.ttl", "text/turtle", b"<urn:e:s> <urn:e:p> 4 ."),
                               ("b.ttl", "text/turtle", b"<urn:e:s> <urn:e:p> .")])
    status, _, answer = fetch(f"{served.url}/graph-store?graph={graph}", broken,
                              served.auth(media), "POST")
    assert status == 400 and b"b.ttl" in answer
    assert served.rows(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == ["1", "2", "3"]


@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle", "application/ld+json"])
def test_head_answers_what_get_would(served: Served, accept: str | None) -> None:
    graph = fresh_graph()
    assert put(served, graph, "<urn:s> <urn:p> 8 .") == 201
    headers = {"Accept": accept} if accept else {}
    for url in (f"{served.url}/graph-store?graph={graph}",
                f"{served.url}/graph-store?graph={fresh_graph()}",
                f"{served.url}/graph-store?default"):
        got, got_headers, body = fetch(url, headers=headers)
        head, head_headers, nothing = fetch(url, headers=headers, method="HEAD")
        assert head == got and nothing == b""
        for name in ("Content-Type", "ETag", "Vary", "Content-Length"):
            assert head_headers.get(name) == got_headers.get(name), (url, name)
    status, got_headers, body = fetch(f"{served.url}/graph-store?graph={graph}",
                                      headers=headers)
    assert status == 200 and len(body) > 0
    # A graph is streamed: a length, when one is sent, is the body's.
    assert got_headers.get("Content-Length") in (None, str(len(body)))


def test_direct_identification_under_the_base(served: Served) -> None:
    name = f"direct-{uuid.uuid4().hex[:8]}"
    iri = f"{BASE}graph/{name}"
    url = f"{served.url}/graph/{name}"
    assert fetch(url, b"<urn:s> <urn:p> 9 .", {"Content-Type": "text/turtle"}, "PUT")[0] == 401
    assert fetch(url, b"<urn:s> <urn:p> 9 .", served.auth("text/turtle"), "PUT")[0] == 201
    assert fetch(url, b"<urn:s> <urn:p> 10 .", served.auth("text/turtle"), "POST")[0] == 200
    status, _, body = fetch(url, headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=body, format="turtle")
    assert status == 200 and sorted(str(o) for o in graph.objects()) == ["10", "9"]
    # The same graph through indirect identification, and by its suffix.
    indirect = fetch(f"{served.url}/graph-store?graph={iri}",
                     headers={"Accept": "application/n-triples"})[2]
    assert fetch(f"{url}.nt")[2] == indirect
    assert served.rows(f"SELECT ?o {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}") == ["10", "9"]
    assert fetch(url, None, served.auth(), "DELETE")[0] == 200
    assert fetch(url)[0] == 404 and fetch(url, method="HEAD")[0] == 404
    assert fetch(url, None, served.auth(), "DELETE")[0] == 404


def test_the_service_record_cannot_be_written(served: Served) -> None:
    for url in (f"{served.url}/graph/meta", f"{served.url}/graph-store?graph={BASE}graph/meta"):
        assert fetch(url, b"<urn:s> <urn:p> 1 .", served.auth("text/turtle"), "PUT")[0] == 403
    assert served.update(f"INSERT DATA {{ GRAPH <{BASE}graph/meta> {{ <urn:s> <urn:p> 1 }} }}"
                         )[0] == 403


def test_sparqlwrapper_reads_what_the_graph_store_wrote(served: Served) -> None:
    graph = fresh_graph()
    assert put(served, graph, '<urn:s> <urn:p> "Hà Nội"@vi .') == 201
    client = SPARQLWrapper(f"{served.url}/sparql")
    client.setQuery(f"SELECT ?o {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    client.setReturnFormat(CSV)
    assert "Hà Nội" in client.query().convert().decode()
