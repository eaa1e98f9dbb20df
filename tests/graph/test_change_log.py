"""The change record: record-by-record differences (blank nodes renamed by a reload change
nothing), the partial snapshot a small reload uses agreeing with the whole one, retention, and
every write path (load, SPARQL Update, Graph Store, drop) recording what it committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.change_feed import Filters, count, page
from graph.change_log import (
    CHANGES,
    differences,
    record_changes,
    snapshot,
    snapshot_of,
    snapshot_records,
)
from graph.embedded import EmbeddedStore
from graph.namespaces import DCAT, DCT, RDF, XSD, graph_iri, org_iri
from graph.store import Provenance
from loaders.ingest import drop_source, ingest
from loaders.sparql_update import apply_update

EX = "https://data.vusta.vn/id/dataset/"


def dataset(name: str, title: str, start: str = "2020-01-01") -> list[Triple]:
    node = NamedNode(EX + name)
    period = BlankNode()
    return [Triple(node, RDF.type, DCAT.Dataset),
            Triple(node, DCT.title, Literal(title, language="vi")),
            Triple(node, DCT.description, Literal("Mô tả", language="vi")),
            Triple(node, DCT.publisher, org_iri("vusta")), Triple(node, DCT.temporal, period),
            Triple(period, RDF.type, DCT.PeriodOfTime),
            Triple(period, DCAT.startDate, Literal(start, datatype=XSD.date))]


def test_renamed_blank_nodes_are_no_change_and_edits_name_their_properties() -> None:
    before = snapshot_of(dataset("a", "A") + dataset("b", "B"))
    assert differences(before, snapshot_of(dataset("a", "A") + dataset("b", "B"))) == []
    after = snapshot_of(dataset("a", "A2") + dataset("c", "C", start="2021-01-01"))
    found = {(c.activity, c.record.rsplit("/", 1)[1], tuple(sorted(c.added)),
              tuple(sorted(c.removed))) for c in differences(before, after)}
    title = str(DCT.title)
    assert found == {("Update", "a", (title,), (title,)), ("Delete", "b", (), ()),
                     ("Create", "c", (), ())}
    # A value inside a blank node is a change of the property that holds it.
    moved = snapshot_of(dataset("a", "A", start="1999-01-01") + dataset("b", "B"))
    [change] = differences(before, moved)
    assert change.added == change.removed == frozenset({str(DCT.temporal)})


def test_a_partial_snapshot_agrees_with_the_whole_one(store: EmbeddedStore) -> None:
    graph = graph_iri("partial")
    store.update(f"INSERT DATA {{ GRAPH {graph} {{ "
                 + " . ".join(f"{t.subject} {t.predicate} {t.object}"
                              for t in dataset("a", "A") + dataset("b", "B")) + " } }",
                 service_graphs_only=True)
    whole = snapshot(store, graph)
    part = snapshot_records(store, graph, [f"<{EX}a>", f"<{EX}missing>"])
    assert list(part) == [EX + "a"] and part[EX + "a"] == whole[EX + "a"]


def test_every_write_path_records_what_it_committed(store: EmbeddedStore,
                                                     tmp_path: Path) -> None:
    from loaders.vocabularies import ensure_vocabularies

    ensure_vocabularies(store)
    graph = graph_iri("paths")
    org = [Triple(org_iri("vusta"), RDF.type, NamedNode("http://xmlns.com/foaf/0.1/Organization"))]

    def activities(since: int) -> list[tuple[str, str, str]]:
        return sorted((e.activity, e.record.rsplit("/", 1)[1], e.agent)
                      for e in page(store, Filters(since_revision=since,
                                                   record_type=DCAT.Dataset), 100))

    start = store.revision()
    ingest(store, "paths", dataset("a", "A") + dataset("b", "B") + org,
           Provenance("test-load", "a file"), graph=graph)
    assert [a[:2] for a in activities(start)] == [("Create", "a"), ("Create", "b")]
    mark = store.revision()
    apply_update(store, f"PREFIX dct: <http://purl.org/dc/terms/> DELETE {{ GRAPH {graph} "
                        f"{{ <{EX}a> dct:title ?t }} }} INSERT {{ GRAPH {graph} {{ <{EX}a> "
                        f"dct:title \"A mới\"@vi }} }} WHERE {{ GRAPH {graph} {{ <{EX}a> "
                        "dct:title ?t } }", "tester")
    assert activities(mark) == [("Update", "a", "sparql-update: SPARQL Update by tester")]
    mark = store.revision()
    drop_source(store, graph, agent="drop by tester")
    assert activities(mark) == [("Delete", "a", "drop by tester"),
                                ("Delete", "b", "drop by tester")]
    # The record is for data graphs: the change record does not record itself.
    assert count(store, Filters(record_type=NamedNode(
        "https://data.vusta.vn/def/kg#Change"))) == 0


def test_entries_past_retention_are_forgotten(store: EmbeddedStore,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.change_log import Change

    graph = graph_iri("old")
    change = Change("Create", EX + "a", frozenset({str(DCAT.Dataset.value)}), None)
    old = datetime.now(UTC) - timedelta(days=40)
    record_changes(store, graph, [change], "test", 1, when=old)
    assert count(store, Filters()) == 1
    monkeypatch.setenv("KG_CHANGE_RETENTION_DAYS", "30")
    record_changes(store, graph, [change], "test", 2)
    kept = page(store, Filters(), 10)
    assert [e.revision for e in kept] == [2]
    assert bool(store.query(f"ASK {{ GRAPH {CHANGES} {{ ?c ?p ?o }} }}"))
