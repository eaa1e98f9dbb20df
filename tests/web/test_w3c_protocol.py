"""The W3C SPARQL 1.1 Protocol and Graph Store HTTP Protocol test cases (``w3c_cases``), each
request sent byte for byte as its manifest writes it, over plain HTTP, on the on-disk store
and on the remote-store mode. A token holder runs them (writes need the token); the
manifests' ``/sparql/`` is this service's ``/sparql`` and ``$GRAPHSTORE$`` its ``/graph``."""

from __future__ import annotations

import http.client
import io
import urllib.parse
from typing import Any

import rdflib
from rdflib.compare import isomorphic
from rdflib.query import Result

from tests.web.conftest import Served
from tests.web.w3c_cases import GRAPH_STORE, KASEI, PROTOCOL, Case, Step

RESULT_PARSERS = {"application/sparql-results+json": "json",
                  "application/sparql-results+xml": "xml", "text/csv": "csv",
                  "text/tab-separated-values": "tsv"}
RDF_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt",
               "application/rdf+xml": "xml", "application/ld+json": "json-ld",
               "application/n-quads": "nquads", "application/trig": "trig"}


class Run:
    """One suite's requests against one server, with what earlier steps answered."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.netloc = urllib.parse.urlsplit(served.url).netloc
        self.new_path = ""

    def placeholders(self, text: str, in_path: bool) -> str:
        text = text.replace("$HOST$", self.netloc).replace("$NEWPATH$", self.new_path)
        return text.replace("$GRAPHSTORE$", "/graph" if in_path else "graph")

    def send(self, step: Step) -> tuple[int, http.client.HTTPMessage, bytes]:
        path = self.placeholders(step.path, in_path=True)
        if path.startswith("/sparql/"):
            path = "/sparql" + path[len("/sparql/"):]
        headers = {name: self.placeholders(value, False) for name, value in step.headers.items()
                   if name != "location"}   # a header the manifest expects, not one it sends
        headers["Authorization"] = f"Bearer {self.served.token}"
        body = None
        if step.body is not None:
            text = self.placeholders(step.body, in_path=False)
            body = text.encode(step.encoding)
        connection = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            connection.request(step.method, path, body, headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def check(self, step: Step) -> list[str]:
        """What is wrong with the answer to ``step``; empty when it is right."""
        status, headers, body = self.send(step)
        wrong = []
        if not status_matches(status, step.status):
            wrong.append(f"{step.method} {step.path}: status {status}, expected {step.status}"
                         f" ({body[:200]!r})")
            return wrong
        if "location" in step.headers:
            location = headers.get("Location", "")
            if not location:
                return [f"{step.method} {step.path}: no Location"]
            self.new_path = urllib.parse.urlsplit(location).path
        media = (headers.get("Content-Type") or "").split(";")[0].strip()
        if step.answer in ("boolean", "tabular"):
            wrong += self.check_results(step, media, body)
        elif step.answer == "RDF" and media not in RDF_PARSERS:
            wrong.append(f"{step.path}: {media!r} is not an RDF media type")
        if step.turtle is not None:
            expected = rdflib.Graph().parse(data=self.placeholders(step.turtle, False),
                                            format="turtle")
            got = rdflib.Graph().parse(data=body, format=RDF_PARSERS.get(media, "turtle"))
            if not isomorphic(expected, got):
                wrong.append(f"GET {step.path}: the graph differs:\n{body.decode()}")
        return wrong

    def check_results(self, step: Step, media: str, body: bytes) -> list[str]:
        parser = RESULT_PARSERS.get(media)
        if parser is None or (step.answer == "boolean" and parser in ("csv", "tsv")):
            return [f"{step.path}: {media!r} is not a {step.answer} result type"]
        result = Result.parse(io.BytesIO(body), format=parser)
        if step.boolean is not None and result.askAnswer is not step.boolean:
            return [f"{step.path}: answered {result.askAnswer}, expected {step.boolean}"]
        if step.expectation:
            values = [row[0] for row in result]  # type: ignore[index]
            if not (len(values) == 1 and isinstance(values[0], rdflib.URIRef)
                    and str(values[0]) != "test" and "://" in str(values[0])):
                return [f"{step.path}: expected {step.expectation}, got {values}"]
        return []

    def load_graph_data(self, case: Case) -> None:
        for name in case.graph_data:
            iri = f"{KASEI}{name}.rdf"
            status = self.send(Step("PUT", f"/graph-store?graph={urllib.parse.quote(iri)}",
                                    f"<{iri}> a <http://xmlns.com/foaf/0.1/Document> .",
                                    {"content-type": "text/turtle"}))[0]
            assert status in (201, 204), f"{case.name}: could not load {iri} ({status})"


def status_matches(status: int, expected: str) -> bool:
    if expected == "2xx":
        return 200 <= status < 400
    if expected == "4xx":
        return 400 <= status < 500
    return status == int(expected)


def run_suite(served: Served, cases: tuple[Case, ...]) -> dict[str, list[str]]:
    """Every case in manifest order (the Graph Store cases build on each other)."""
    run = Run(served)
    failures: dict[str, list[str]] = {}
    for case in cases:
        run.load_graph_data(case)
        wrong = [problem for step in case.steps for problem in run.check(step)]
        if wrong:
            failures[case.name] = wrong
    return failures


def test_every_sparql_protocol_case_passes(served: Served) -> None:
    failures = run_suite(served, PROTOCOL)
    assert failures == {}, report(failures)
    assert counts(PROTOCOL) == (34, 33)


def test_every_graph_store_protocol_case_passes(served: Served) -> None:
    failures = run_suite(served, GRAPH_STORE)
    assert failures == {}, report(failures)
    assert counts(GRAPH_STORE) == (19, 18)


def test_the_runner_notices_a_wrong_answer(served: Served) -> None:
    """The runner itself: a case expecting what the service does not answer is reported."""
    wrong = (Case("wrong_status", (Step("GET", "/sparql/?query=ASK%20%7B%7D",
                                        status="4xx"),)),
             Case("wrong_answer", (Step("GET", "/sparql/?query=ASK%20%7B%7D", boolean=False,
                                        answer="boolean"),)),
             Case("wrong_graph", (Step("GET", "$GRAPHSTORE$?default", status="200",
                                       turtle="<urn:x> <urn:y> <urn:z> ."),)))
    failures = run_suite(served, wrong)
    assert sorted(failures) == ["wrong_answer", "wrong_graph", "wrong_status"]


def counts(cases: tuple[Case, ...]) -> tuple[int, int]:
    """How many of the manifest's cases are here, and how many of them apply as written."""
    published = [case for case in cases if case.published]
    return len(published), sum(case.applies for case in published)


def report(failures: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {'; '.join(problems)}" for name, problems in failures.items())
