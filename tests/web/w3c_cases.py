"""The W3C SPARQL 1.1 Protocol and Graph Store HTTP Protocol test cases, transcribed from
their manifests into plain data: every request (method, path, headers, body) and what its
response must be. The test runner (``test_w3c_protocol.py``) sends them as written.

Source: https://github.com/w3c/rdf-tests, ``sparql/sparql11/protocol/manifest.ttl`` (34 cases)
and ``sparql/sparql11/http-rdf-update/manifest.ttl`` (19 cases), W3C Test Suite licence
(3-clause BSD). Placeholders as in the manifests: ``$HOST$`` (host:port), ``$GRAPHSTORE$``
(the Graph Store path), ``$NEWPATH$`` (the Location a POST answered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

KASEI = "http://kasei.us/2009/09/sparql/data/"
PREFIXES = ("PREFIX dc: <http://purl.org/dc/terms/>\n"
            "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n")


@dataclass(frozen=True)
class Step:
    """One request and what its response must be."""

    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    status: str = "2xx"          # "2xx" (2xx or 3xx), "4xx", or an exact code
    boolean: bool | None = None  # the ASK answer the response must carry
    answer: str | None = None    # "boolean", "tabular" or "RDF": the kind of result
    turtle: str | None = None    # the graph the response must be (isomorphic)
    expectation: str | None = None  # a named check the manifest states in prose


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    graph_data: tuple[str, ...] = ()   # kasei.us data graphs loaded first
    applies: bool = True   # False: the published expectation is wrong; ``note`` says why
    note: str = ""
    published: bool = True  # False: written for this suite, the intent of one that is not


def data(n: int) -> str:
    return f"{KASEI}data{n}.rdf"


def q(iri: str) -> str:
    return quote(iri, safe="")


FORM = {"content-type": "application/x-www-form-urlencoded"}
QUERY = {"content-type": "application/sparql-query"}
UPDATE = {"content-type": "application/sparql-update"}
DATA0 = f"default-graph-uri={q(data(0))}"
ASK_12 = f"ASK {{ <{data(1)}> a ?type . <{data(2)}> a ?type . }}"
ASK_NAMED = (f"ASK {{ GRAPH ?g1 {{ <{data(1)}> a ?type }} GRAPH ?g2 {{ <{data(2)}> a ?type }} }}")
MULTIPLE_DATASET = (f"ASK FROM <{data(3)}> {{ GRAPH ?g1 {{ <{data(1)}> a ?type }} "
                    f"GRAPH ?g2 {{ <{data(2)}> a ?type }} }}")
INSERT_123 = (f"DROP ALL ;\nINSERT DATA {{\n"
              f"    GRAPH <{data(1)}> {{ <{data(1)}> a foaf:Document }}\n"
              f"    GRAPH <{data(2)}> {{ <{data(2)}> a foaf:Document }}\n"
              f"    GRAPH <{data(3)}> {{ <{data(3)}> a foaf:Document }}\n}} ;\n")


def bibliographic_check(graph: str) -> str:
    return (f"ASK {{\n    GRAPH <{graph}> {{\n"
            f"        <{data(1)}> a <http://purl.org/dc/terms/BibliographicResource> .\n"
            f"        <{data(2)}> a <http://purl.org/dc/terms/BibliographicResource> .\n    }}\n"
            f"    FILTER NOT EXISTS {{\n        GRAPH <{graph}> {{\n"
            f"            <{data(3)}> a <http://purl.org/dc/terms/BibliographicResource> .\n"
            "        }\n    }\n}")


def ask_true(text: str, path: str = "/sparql/") -> Step:
    return Step("POST", path, text, QUERY, boolean=True, answer="boolean")


PROTOCOL: tuple[Case, ...] = (
    Case("query_post_form", (Step("POST", f"/sparql/?{DATA0}", "query=ASK%20%7B%7D",
                                  FORM, boolean=True, answer="boolean"),)),
    Case("query_dataset_default_graphs_get", (Step(
        "GET", f"/sparql/?query={q(ASK_12)}&default-graph-uri={q(data(1))}"
               f"&default-graph-uri={q(data(2))}", boolean=True, answer="boolean"),),
         graph_data=("data1", "data2")),
    Case("query_dataset_default_graphs_post", (ask_true(
        ASK_12, f"/sparql/?default-graph-uri={q(data(1))}&default-graph-uri={q(data(2))}"),),
         graph_data=("data1", "data2")),
    Case("query_dataset_named_graphs_post", (ask_true(
        ASK_NAMED, f"/sparql/?named-graph-uri={q(data(1))}&named-graph-uri={q(data(2))}"),),
         graph_data=("data1", "data2")),
    Case("query_dataset_named_graphs_get", (Step(
        "GET", f"/sparql/?query={q(ASK_NAMED)}&named-graph-uri={q(data(1))}"
               f"&named-graph-uri={q(data(2))}", boolean=True, answer="boolean"),),
         graph_data=("data1", "data2")),
    Case("query_dataset_full", (ask_true(
        f"ASK {{\n  <{data(3)}> a ?type\n  GRAPH ?g1 {{ <{data(1)}> a ?type }}\n"
        f"  GRAPH ?g2 {{ <{data(2)}> a ?type }}\n}}",
        f"/sparql/?default-graph-uri={q(data(3))}&named-graph-uri={q(data(1))}"
        f"&named-graph-uri={q(data(2))}"),), graph_data=("data1", "data2", "data3")),
    # As published, the URL encodes its '&' and '=': one named graph whose IRI holds the
    # second, where data1 is not, so a correct service answers false (the manifest: true).
    # Its intent (the protocol's dataset replaces the query's FROM) is the next case.
    Case("query_multiple_dataset", (Step(
        "POST", f"/sparql/?named-graph-uri={q(data(1))}%26named-graph-uri%3D{q(data(2))}",
        MULTIPLE_DATASET, QUERY, boolean=False, answer="boolean"),),
         graph_data=("data1", "data2", "data3"), applies=False,
         note="its URL names one graph whose IRI holds both (the '&' is percent-encoded)"),
    Case("query_multiple_dataset (as intended)", (ask_true(
        MULTIPLE_DATASET,
        f"/sparql/?named-graph-uri={q(data(1))}&named-graph-uri={q(data(2))}"),),
         graph_data=("data1", "data2", "data3"), published=False),
    Case("query_get", (Step("GET", f"/sparql/?query=ASK%20%7B%7D&{DATA0}", boolean=True,
                            answer="boolean"),)),
    Case("query_content_type_select", (Step("POST", f"/sparql/?{DATA0}",
                                            "SELECT (1 AS ?value) {}", QUERY,
                                            answer="tabular"),)),
    Case("query_content_type_ask", (Step("POST", f"/sparql/?{DATA0}", "ASK {}", QUERY,
                                         answer="boolean"),)),
    Case("query_content_type_describe", (Step("POST", f"/sparql/?{DATA0}",
                                              "DESCRIBE <http://example.org/>", QUERY,
                                              answer="RDF"),)),
    Case("query_content_type_construct", (Step("POST", f"/sparql/?{DATA0}",
                                               "CONSTRUCT { <s> <p> 1 } WHERE {}", QUERY,
                                               answer="RDF"),)),
    Case("update_dataset_default_graph", (
        Step("POST", f"/sparql/?using-graph-uri={q(data(1))}",
             f"{PREFIXES}CLEAR ALL ;\nINSERT DATA {{\n    GRAPH <{data(1)}> {{\n"
             f"        <{data(1)}> a foaf:Document\n    }}\n}} ;\nINSERT {{\n"
             "    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
             "        ?s a dc:BibliographicResource\n    }\n}\nWHERE {\n"
             "    ?s a foaf:Document\n}", UPDATE),
        ask_true("ASK {\n    GRAPH <http://example.org/protocol-update-dataset-test/> {\n"
                 f"        <{data(1)}> a <http://purl.org/dc/terms/BibliographicResource>\n"
                 "    }\n}"))),
    Case("update_dataset_default_graphs", (
        Step("POST", f"/sparql/?using-graph-uri={q(data(1))}&using-graph-uri={q(data(2))}",
             f"{PREFIXES}{INSERT_123}INSERT {{\n"
             "    GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {\n"
             "        ?s a dc:BibliographicResource\n    }\n}\nWHERE {\n"
             "    ?s a foaf:Document\n}", UPDATE),
        ask_true(bibliographic_check("http://example.org/protocol-update-dataset-graphs-test/"))
    )),
    Case("update_dataset_named_graphs", (
        Step("POST", f"/sparql/?using-named-graph-uri={q(data(1))}"
                     f"&using-named-graph-uri={q(data(2))}",
             f"{PREFIXES}{INSERT_123}INSERT {{\n"
             "    GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {\n"
             "        ?s a dc:BibliographicResource\n    }\n}\nWHERE {\n"
             "    GRAPH ?g {\n        ?s a foaf:Document\n    }\n}", UPDATE),
        ask_true(bibliographic_check(
            "http://example.org/protocol-update-dataset-named-graphs-test/")))),
    Case("update_dataset_full", (
        Step("POST", f"/sparql/?using-graph-uri={q(data(1))}"
                     f"&using-named-graph-uri={q(data(2))}",
             f"{PREFIXES}{INSERT_123}INSERT {{\n"
             "    GRAPH <http://example.org/protocol-update-dataset-full-test/> {\n"
             "        ?s <http://example.org/in> ?in\n    }\n}\nWHERE {\n    {\n"
             "        GRAPH ?g { ?s a foaf:Document }\n        BIND(?g AS ?in)\n    }\n"
             "    UNION\n    {\n        ?s a foaf:Document .\n"
             "        BIND(\"default\" AS ?in)\n    }\n}", UPDATE),
        ask_true("ASK {\n    GRAPH <http://example.org/protocol-update-dataset-full-test/> {\n"
                 f"        <{data(1)}> <http://example.org/in> \"default\" .\n"
                 f"        <{data(2)}> <http://example.org/in> <{data(2)}> .\n    }}\n"
                 "    FILTER NOT EXISTS {\n"
                 "        GRAPH <http://example.org/protocol-update-dataset-full-test/> {\n"
                 f"            <{data(3)}> ?p ?o\n        }}\n    }}\n}}"))),
    Case("update_post_form", (Step("POST", "/sparql/", "update=CLEAR+ALL", FORM),)),
    Case("update_post_direct", (Step("POST", "/sparql/", "CLEAR ALL", UPDATE),)),
    Case("update_base_uri", (
        Step("POST", "/sparql/", "CLEAR GRAPH <http://example.org/protocol-base-test/> ;\n"
             "INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { "
             "<http://example.org/s> <http://example.org/p> <test> } }", UPDATE),
        Step("POST", "/sparql/", "SELECT ?o WHERE {\n"
             "    GRAPH <http://example.org/protocol-base-test/> {\n"
             "        <http://example.org/s> <http://example.org/p> ?o\n    }\n}", QUERY,
             answer="tabular", expectation="one ?o, an absolute IRI that is not <test>"))),
    Case("query_post_direct", (ask_true("ASK {}"),)),
    Case("bad_query_method", (Step("PUT", f"/sparql/?query=ASK%20%7B%7D&{DATA0}", "",
                                   FORM, status="4xx"),)),
    Case("bad_multiple_queries", (Step("GET", "/sparql/?query=ASK%20%7B%7D&query=SELECT"
                                              "%20%2A%20%7B%7D", status="4xx"),)),
    Case("bad_query_wrong_media_type", (Step("POST", "/sparql/", "ASK {}",
                                             {"content-type": "text/plain"}, status="4xx"),)),
    Case("bad_query_missing_form_type", (Step("POST", "/sparql/", "query=ASK%20%7B%7D",
                                              status="4xx"),)),
    Case("bad_query_missing_direct_type", (Step("POST", "/sparql/", "ASK {}",
                                                status="4xx"),)),
    Case("bad_query_non_utf8", (Step("POST", "/sparql/", "ASK {}",
                                     {"content-type": "application/sparql-query; "
                                                      "charset=UTF-16"},
                                     encoding="utf-16", status="4xx"),)),
    Case("bad_query_syntax", (Step("GET", "/sparql/?query=ASK%20%7B", status="4xx"),)),
    Case("bad_update_get", (Step("GET", "/sparql/?update=CLEAR%20ALL", status="4xx"),)),
    Case("bad_multiple_updates", (Step("POST", "/sparql/", "update=CLEAR%20NAMED&update="
                                       "CLEAR%20DEFAULT", FORM, status="4xx"),)),
    Case("bad_update_wrong_media_type", (Step("POST", "/sparql/", "CLEAR NAMED",
                                              {"content-type": "text/plain"},
                                              status="4xx"),)),
    Case("bad_update_missing_form_type", (Step("POST", "/sparql/", "update=CLEAR%20NAMED",
                                               status="4xx"),)),
    Case("bad_update_non_utf8", (Step("POST", "/sparql/", "CLEAR NAMED",
                                      {"content-type": "application/sparql-update; "
                                                       "charset=UTF-16"},
                                      encoding="utf-16", status="4xx"),)),
    Case("bad_update_syntax", (Step("POST", "/sparql/", "update=CLEAR%20XYZ", FORM,
                                    status="4xx"),)),
    Case("bad_update_dataset_conflict", (Step(
        "POST", "/sparql/?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
        "PREFIX foaf:  <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
        "DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }"
        "\nWHERE {\n    ?person foaf:givenName 'Bill'\n}", UPDATE, status="4xx"),)),
)

TURTLE = {"content-type": "text/turtle; charset=utf-8"}
READ = {"accept": "text/turtle", **TURTLE}
FOAF = "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
VCARD = "@prefix v: <http://www.w3.org/2006/vcard/ns#> .\n"
PERSON = "<http://$HOST$/$GRAPHSTORE$/person/1>"
ALICE = (f"\n{FOAF}{VCARD}\n[]  a foaf:Person;\n    foaf:businessCard [\n"
         "        a v:VCard;\n        v:given-name \"Alice\"\n    ] .\n")


def card(name: str) -> str:
    return (f"\n{FOAF}{VCARD}\n{PERSON} a foaf:Person;\n    foaf:businessCard [\n"
            f"        a v:VCard;\n        v:fn \"{name}\"\n    ].\n")


MULTIPART = ("\n--a6fe4cd636164618814be9f8d3d1a0de\n"
             "Content-Disposition: form-data; name=\"lastName.ttl\"; filename=\"lastName.ttl\"\n"
             "Content-Type: text/turtle; charset=utf-8\n\n"
             f"{FOAF}{PERSON} foaf:familyName \"Doe\"\n\n"
             "--a6fe4cd636164618814be9f8d3d1a0de\n"
             "Content-Disposition: form-data; name=\"firstName.ttl\"; "
             "filename=\"firstName.ttl\"\n"
             "Content-Type: text/turtle; charset=utf-8\n\n"
             f"{FOAF}{PERSON} foaf:givenName \"Jane\"\n\n"
             "--a6fe4cd636164618814be9f8d3d1a0de--\n      ")

GRAPH_STORE: tuple[Case, ...] = (
    Case("put__initial_state", (Step("PUT", "$GRAPHSTORE$/person/1.ttl", card("John Doe"),
                                     TURTLE, status="201"),)),
    Case("get_of_put__initial_state", (Step(
        "GET", "$GRAPHSTORE$?graph=$GRAPHSTORE$/person/1.ttl", headers=READ, status="200",
        turtle=card("John Doe")),)),
    Case("put__graph_already_in_store", (Step("PUT", "$GRAPHSTORE$/person/1",
                                              card("Jane Doe"), TURTLE, status="204"),)),
    Case("get_of_put__graph_already_in_store", (Step(
        "GET", "$GRAPHSTORE$/person/1", headers=READ, status="200", turtle=card("Jane Doe")),)),
    Case("put__default_graph", (Step("PUT", "$GRAPHSTORE$?default", ALICE, TURTLE,
                                     status="201"),)),
    Case("get_of_put__default_graph", (Step("GET", "$GRAPHSTORE$?default", headers=READ,
                                            status="200", turtle=ALICE),)),
    # As published, this case sends valid Turtle labelled text/turtle, so nothing is
    # mismatched and a 400 would be wrong (it replaces the default graph: 204). Its intent
    # (a body that is not what its Content-Type says) is the next case.
    Case("put__mismatched_payload", (Step("PUT", "$GRAPHSTORE$?default", card("Jane Doe"),
                                          TURTLE, status="204"),), applies=False,
         note="the published request carries valid Turtle as text/turtle (the manifest: 400)"),
    Case("put__mismatched_payload (as intended)", (Step(
        "PUT", "$GRAPHSTORE$?default", card("Jane Doe"),
        {"content-type": "application/rdf+xml"}, status="400"),), published=False),
    # The manifest deletes person/2 without ever creating it; the case's name says the graph
    # exists, so this suite puts it first.
    Case("delete__existing_graph", (
        Step("PUT", "$GRAPHSTORE$/person/2.ttl", card("Jane Doe"), TURTLE, status="201"),
        Step("DELETE", "$GRAPHSTORE$/person/2.ttl", status="200"))),
    Case("get_of_delete__existing_graph", (Step("GET", "$GRAPHSTORE$/person/2.ttl",
                                                status="404"),)),
    Case("delete__nonexistent_graph", (Step("DELETE", "$GRAPHSTORE$/person/2.ttl",
                                            status="404"),)),
    Case("post__existing_graph", (Step("POST", "$GRAPHSTORE$/person/1.ttl",
                                       f"\n{FOAF}\n{PERSON} foaf:name \"Jane Doe\"\n", TURTLE,
                                       status="200"),)),
    Case("get_of_post__existing_graph", (Step(
        "GET", "$GRAPHSTORE$/person/1.ttl", headers=READ, status="200",
        turtle=f"\n{FOAF}{VCARD}\n{PERSON} a foaf:Person;\n    foaf:name \"Jane Doe\";\n"
               "    foaf:businessCard [ \n        a v:VCard;\n        v:fn \"Jane Doe\" \n"
               "    ] .            \n"),)),
    Case("post__multipart_formdata", (Step(
        "POST", "$GRAPHSTORE$/person/1.ttl", MULTIPART,
        {"content-type": "multipart/form-data; boundary=a6fe4cd636164618814be9f8d3d1a0de"},
        status="200"),)),
    Case("get_of_post__multipart_formdata", (Step(
        "GET", "$GRAPHSTORE$/person/1.ttl", headers=TURTLE, status="200",
        turtle=f"\n{FOAF}{VCARD}\n{PERSON} a foaf:Person;\n    foaf:name           \"Jane Doe\";"
               "\n    foaf:givenName      \"Jane\";\n    foaf:familyName     \"Doe\";\n"
               "    foaf:businessCard [\n        a               v:VCard;\n"
               "        v:fn            \"Jane Doe\"\n    ] .\n"),)),
    Case("post__create__new_graph", (Step("POST", "$GRAPHSTORE$", ALICE,
                                          {**TURTLE, "location": "$NEWPATH$"},
                                          status="201"),)),
    Case("get_of_post__create__new_graph", (Step("GET", "$NEWPATH$", headers=READ,
                                                 status="200", turtle=ALICE),)),
    Case("get_of_post__after_noop", (Step("GET", "$NEWPATH$", headers=READ, status="200",
                                          turtle=ALICE),)),
    Case("head_on_an_existing_graph", (Step("HEAD", "$GRAPHSTORE$/person/1.ttl",
                                            headers=TURTLE, status="200"),)),
    Case("head_on_a_nonexisting_graph", (Step("HEAD", "$GRAPHSTORE$/person/4.ttl",
                                              status="404"),)),
)
