"""A store's own SELECT answer passed on within the row cap, or written again when it is not."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from pyoxigraph import QueryResultsFormat, QuerySolutions, Store, parse_query_results

from graph import results
from graph.results import held_answer, within_line_cap, within_row_cap
from graph.sparql_text import query_shape

FORMATS = {"json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML,
           "tsv": QueryResultsFormat.TSV}


def answer(rows: int, name: str, value: str = "v") -> bytes:
    """The store's own answer to a SELECT of ``rows`` rows, as the engine would send it."""
    values = " ".join(f'"{value}{i}"' for i in range(rows))
    query = f"SELECT ?i ?x {{ VALUES ?x {{ {values} }} BIND(STRLEN(?x) AS ?i) }}"
    result = Store().query(query)
    assert isinstance(result, QuerySolutions)
    return result.serialize(format=FORMATS[name])


def rows_of(body: bytes, name: str) -> list[tuple[str, ...]]:
    if name == "json":
        # pyoxigraph's parser refuses the "truncated" member after the bindings.
        return [tuple(json.dumps(cell, sort_keys=True) for cell in row.values())
                for row in json.loads(body)["results"]["bindings"]]
    parsed = parse_query_results(body, FORMATS[name])
    assert isinstance(parsed, QuerySolutions)
    return [tuple(str(term) for term in row) for row in parsed]


def chunked(body: bytes, size: int = 4096) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_an_answer_within_the_cap_goes_out_as_the_store_wrote_it(name: str) -> None:
    body = answer(40, name)
    assert b"".join(within_row_cap(held_answer(chunked(body, 100)), name, 40)) == body


@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_rows_that_look_like_many_are_counted_exactly(name: str) -> None:
    # Tags (XML) and braces in the values (JSON) put the free bound above the cap.
    body = answer(30, name, value="{{{{\\n")
    assert body.count(results._ROW_MARK[name]) > 30 or name == "tsv"
    assert b"".join(within_row_cap(held_answer([body]), name, 30)) == body


def test_one_row_over_the_cap_is_cut_and_said() -> None:
    data = json.loads(b"".join(within_row_cap(held_answer([answer(6, "json")]), "json", 5)))
    assert len(data["results"]["bindings"]) == 5 and data["results"]["truncated"] is True
    xml = b"".join(within_row_cap(held_answer([answer(6, "xml")]), "xml", 5))
    assert b"truncated" in xml
    tree = ET.fromstring(xml)  # noqa: S314 - written by this test
    assert len(tree.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 5
    tsv = b"".join(within_row_cap(held_answer([answer(6, "tsv")]), "tsv", 5))
    assert len(rows_of(tsv, "tsv")) == 5


@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_an_answer_too_large_to_hold_is_written_again_as_it_comes(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results, "HELD_BYTES", 2048)
    body = answer(300, name)
    assert len(body) > 2048
    held = held_answer(chunked(body, 512))
    assert held.rest is not None and len(held.start) < len(body)
    chunks = list(within_row_cap(held, name, 1000))
    assert len(chunks) > 1 and rows_of(b"".join(chunks), name) == rows_of(body, name)
    capped = b"".join(within_row_cap(held_answer(chunked(body, 512)), name, 250))
    assert rows_of(capped, name) == rows_of(body, name)[:250]


@pytest.mark.parametrize(("text", "sent"), [
    ("SELECT * { ?s ?p ?o }", "SELECT * { ?s ?p ?o }\nLIMIT 11\n"),
    ("SELECT * { ?s ?p ?o } # LIMIT 3", "SELECT * { ?s ?p ?o } # LIMIT 3\nLIMIT 11\n"),
    ("SELECT * { ?s ?p ?o } LIMIT 500", "SELECT * { ?s ?p ?o } LIMIT 11"),
    ("SELECT * { ?s ?p ?o } LIMIT 5", "SELECT * { ?s ?p ?o } LIMIT 5"),
    ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 2 } } VALUES ?s { <urn:a> }",
     "SELECT * { { SELECT * { ?s ?p ?o } LIMIT 2 } } \nLIMIT 11\nVALUES ?s { <urn:a> }"),
    ("SELECT * { ?s ?p ?o", None),
    ("CONSTRUCT WHERE { ?s ?p ?o }", None),
])
def test_the_limit_a_query_is_sent_with(text: str, sent: str | None) -> None:
    assert query_shape(text).limited_to(11) == sent
    if sent is not None:
        # What goes to the store still parses, and gives at most that many rows.
        store = Store()
        store.update("INSERT DATA { " + " ".join(
            f"<urn:a> <urn:p> {i} ." for i in range(20)) + " }")
        assert len(list(store.query(sent))) <= 11  # type: ignore[arg-type]


def test_n_triples_are_cut_at_the_cap_as_they_come() -> None:
    # Escaped newlines in the literals are not line ends.
    body = b"".join(f'<urn:s{i}> <urn:p> "a\\nb" .\n'.encode() for i in range(50))
    lines = body.splitlines(keepends=True)
    streamed = held_answer(chunked(body, 37), size=100)
    assert streamed.rest is not None
    assert b"".join(within_line_cap(streamed, 20)) == b"".join(lines[:20])
    assert b"".join(within_line_cap(held_answer(chunked(body, 37)), 50)) == body
    assert b"".join(within_line_cap(held_answer([body]), 0)) == b""
