"""A new source is checked in memory beside copies of what it points to in the on-disk store,
and written to disk only once it passed: the report is the one that checking it staged on disk
gives, and a refused source never reaches the disk."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat

import graph.embedded
from graph.embedded import EmbeddedStore
from graph.namespaces import graph_iri, unit_iri
from graph.store import Provenance, Staging, StoreError
from graph.validation import reach, validate
from loaders.demo_catalog import write_catalog
from loaders.ingest import ValidationFailedError, check_only, ingest
from loaders.rdf_file import rdf_file
from tests.conftest import DATA

INVALID = DATA / "examples" / "invalid.ttl"
PUBLISHERS = ["vusta", "hoi-tin-hoc", "hoi-vat-ly"]
PROVINCES = [unit_iri("2025", "province", code) for code in ("01", "48", "79")]


@pytest.fixture
def demo(demo_store: str) -> Iterator[EmbeddedStore]:
    """The demo's on-disk store: vocabularies, provinces, organisations, catalogue."""
    opened = EmbeddedStore(Path(demo_store))
    yield opened
    opened.close()


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A generated catalogue whose publishers, themes and places are in other graphs."""
    path = tmp_path / "catalogue.nt"
    write_catalog(path, 30, PUBLISHERS, PROVINCES)
    return path


def snapshot(store: EmbeddedStore) -> bytes:
    out = io.BytesIO()
    store.dump(out)
    return out.getvalue()


def on_disk(store: EmbeddedStore, graph: NamedNode) -> bool:
    return bool(store.raw_query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}", None,
                                named_graphs=[graph]))


def test_the_generated_catalogue_passes_with_references_from_other_graphs(
        demo: EmbeddedStore, catalogue: Path) -> None:
    report, _ = check_only(demo, rdf_file(catalogue), "catalogue.nt")
    # Each dataset's publisher, themes, fields, licence and place are checked for their class
    # and scheme: they are only in the store's other graphs, so the copies must be there.
    assert report.conforms, report.results[:3]


@pytest.mark.parametrize("source", ["invalid", "catalogue"])
def test_checking_in_memory_reports_what_checking_on_disk_reports(
        demo: EmbeddedStore, catalogue: Path, monkeypatch: pytest.MonkeyPatch,
        source: str) -> None:
    path = INVALID if source == "invalid" else catalogue
    in_memory = check_only(demo, rdf_file(path), path.name, "en")
    monkeypatch.setattr(graph.embedded, "MEMORY_CHECK_MAX_BYTES", -1)
    staged_on_disk = check_only(demo, rdf_file(path), path.name, "en")
    assert in_memory == staged_on_disk
    if source == "invalid":
        assert in_memory[0].count("Violation") > 20


def test_a_refused_new_source_never_reaches_the_disk(demo: EmbeddedStore) -> None:
    before = snapshot(demo)
    seen: list[tuple[bool, int]] = []

    def gate(staging: Staging) -> None:
        report = validate(staging, graph=staging.name)
        seen.append((on_disk(demo, staging.name), len(report.results)))
        raise ValidationFailedError("invalid.ttl", report)

    with pytest.raises(ValidationFailedError):
        demo.replace_graph(graph_iri("new"), rdf_file(INVALID), Provenance("t", "t"),
                           check=gate, reach=reach())
    assert len(seen) == 1
    assert seen[0][0] is False
    assert seen[0][1] > 20
    assert snapshot(demo) == before


def test_a_source_over_the_limit_is_checked_staged_on_disk(
        demo: EmbeddedStore, catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph.embedded, "MEMORY_CHECK_MAX_BYTES", -1)
    seen: list[bool] = []
    demo.replace_graph(graph_iri("big"), rdf_file(catalogue), Provenance("t", "t"),
                       check=lambda staging: seen.append(on_disk(demo, staging.name)),
                       reach=reach())
    assert seen == [True]


def test_what_passed_is_written_to_disk(demo: EmbeddedStore, catalogue: Path) -> None:
    lines = len(catalogue.read_bytes().splitlines())
    done = ingest(demo, "checked", rdf_file(catalogue), Provenance("catalog", "t"))
    assert done.info.triples == lines
    rows = demo.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {graph_iri('checked')} "
                      "{ ?s ?p ?o } }")
    assert int(next(iter(rows))["n"].value) == lines  # type: ignore[index]


def test_quarantine_writes_what_is_left_after_taking_records_out(
        demo: EmbeddedStore, catalogue: Path) -> None:
    broken = "<https://data.vusta.vn/id/dataset/ds-000007>"
    kept = [line for line in catalogue.read_bytes().splitlines()
            if not (line.startswith(broken.encode()) and b"/title>" in line)]
    catalogue.write_bytes(b"\n".join(kept) + b"\n")
    done = ingest(demo, "partly", rdf_file(catalogue), Provenance("catalog", "t"),
                  quarantine=True)
    assert done.quarantined == [broken]
    graph = graph_iri("partly")
    assert not demo.query(f"ASK {{ GRAPH {graph} {{ {broken} ?p ?o }} }}")
    assert not demo.query(f"ASK {{ GRAPH {graph} {{ ?s ?p {broken} }} }}")
    assert demo.query(f"ASK {{ GRAPH {graph} {{ "
                      "<https://data.vusta.vn/id/dataset/ds-000008> ?p ?o } }")
    assert done.info.triples < len(kept)


def test_a_file_that_changes_during_the_check_is_not_written(
        demo: EmbeddedStore, catalogue: Path) -> None:
    before = snapshot(demo)

    def gate(staging: Staging) -> None:
        with catalogue.open("ab") as out:
            out.write(b"<urn:x:s> <urn:x:p> <urn:x:o> .\n")

    with pytest.raises(StoreError, match="changed while it was being loaded"):
        demo.replace_graph(graph_iri("moving"), rdf_file(catalogue), Provenance("t", "t"),
                           check=gate, reach=reach())
    assert snapshot(demo) == before


def test_a_remote_store_checks_in_memory_too(oxigraph_server: str, catalogue: Path) -> None:
    from graph.remote import RemoteStore
    from graph.store import open_store
    from loaders.vocabularies import load_vocabularies

    remote = open_store(oxigraph_server)
    assert isinstance(remote, RemoteStore)
    try:
        load_vocabularies(remote)
        before = snapshot(remote)
        seen: list[bool] = []

        def gate(staging: Staging) -> None:
            seen.append(on_disk(remote, staging.name))
            report = validate(staging, graph=staging.name)
            if not report.conforms:
                raise ValidationFailedError("invalid.ttl", report)

        with pytest.raises(ValidationFailedError):
            remote.replace_graph(graph_iri("new"), rdf_file(INVALID), Provenance("t", "t"),
                                 check=gate, reach=reach())
        assert seen == [False]
        assert snapshot(remote) == before
        # No administrative units on this server: places are refused; themes, fields,
        # licences and formats are found in the copies read from it.
        report, _ = check_only(remote, rdf_file(catalogue), "catalogue.nt", "en")
        assert {r.path for r in report.results if r.severity == "Violation"} == {
            "<http://purl.org/dc/terms/spatial>"}
    finally:
        remote.close()


def graph_triples(store: EmbeddedStore, graph: NamedNode) -> set[str]:
    return {str(triple) for triple in store.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")}


def test_a_reload_is_checked_and_compared_in_memory(demo: EmbeddedStore, tmp_path: Path
                                                    ) -> None:
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    write_catalog(first, 30, PUBLISHERS, PROVINCES)
    write_catalog(second, 31, PUBLISHERS, PROVINCES)
    ingest(demo, "reloaded", rdf_file(first), Provenance("catalog", "t"))
    target = graph_iri("reloaded")
    seen: list[tuple[bool, int]] = []

    def gate(staging: Staging) -> None:
        changed = staging.changed_subjects(1000) or []
        seen.append((on_disk(demo, staging.name), len(changed)))

    info = demo.replace_graph(target, rdf_file(second), Provenance("catalog", "t2"),
                              check=gate, reach=reach())
    # Only the new dataset, its distributions and the records that link to them differ.
    assert seen[0][0] is False
    assert 1 < seen[0][1] < 10
    # What the file gives when it is loaded as a new source (literals canonicalised alike).
    ingest(demo, "fresh", rdf_file(second), Provenance("catalog", "t3"))
    expected = graph_triples(demo, graph_iri("fresh"))
    assert len(expected) == len(second.read_bytes().splitlines())
    assert graph_triples(demo, target) == expected
    assert info.triples == len(expected)
    assert not [g for g in demo._store.named_graphs() if "staging" in g.value]


def test_a_refused_reload_keeps_the_old_graph(demo: EmbeddedStore, catalogue: Path) -> None:
    ingest(demo, "kept", rdf_file(catalogue), Provenance("catalog", "t"))
    before = snapshot(demo)
    with pytest.raises(ValidationFailedError):
        ingest(demo, "kept", rdf_file(INVALID), Provenance("catalog", "t2"))
    assert snapshot(demo) == before


def test_a_reload_with_blank_nodes_is_written_whole(demo: EmbeddedStore, tmp_path: Path
                                                    ) -> None:
    first, second = tmp_path / "first.ttl", tmp_path / "second.ttl"
    record = ('@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
              '<urn:x:s> skos:prefLabel "{}"@vi ; skos:note [ skos:note "{}" ] .\n')
    first.write_text(record.format("Một", "a"), encoding="utf-8")
    second.write_text(record.format("Hai", "b"), encoding="utf-8")
    ingest(demo, "blank", rdf_file(first), Provenance("t", "t"))
    ingest(demo, "blank", rdf_file(second), Provenance("t", "t2"))
    found = graph_triples(demo, graph_iri("blank"))
    assert len(found) == 3
    assert any('"Hai"@vi' in t for t in found) and any('"b"' in t for t in found)
    assert not any('"a"' in t or "Một" in t for t in found)


TRICKY = """
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:count "007"^^xsd:integer ; ex:size "12"^^xsd:nonNegativeInteger ;
     ex:when "2025-07-01T00:00:00.000+00:00"^^xsd:dateTime ;
     ex:note "dòng một\\ndòng \\"hai\\"\\t\\\\ end"@vi, "Đà Nẵng"@VI, "plain" ;
     ex:link <https://example.org/ư%20x?q=1#f> .
ex:b ex:label "unchanged"@en .
"""


def test_comparing_written_lines_finds_what_comparing_by_query_finds(tmp_path: Path) -> None:
    """The reload check compares the old version, written by the on-disk store, with the
    new one, written by the memory store, line by line; the same terms must give the same
    lines (canonical literals, escapes, language tags), or a reload would rewrite them."""
    from graph.embedded import _line_changes

    old, new = NamedNode("https://example.org/old"), NamedNode("https://example.org/new")
    disk = EmbeddedStore(tmp_path / "store")
    memory = EmbeddedStore(None)
    changed = TRICKY.replace('"plain"', '"plain", "added"').replace("ex:b", "ex:c")
    for store in (disk, memory):
        store._store.load(TRICKY.encode(), format=RdfFormat.TURTLE, to_graph=old)
        store._store.load(changed.encode(), format=RdfFormat.TURTLE, to_graph=new)
    by_query = memory.changes(old, new)
    by_lines = _line_changes(set(disk._store.dump(format=RdfFormat.N_TRIPLES,
                                                  from_graph=old).splitlines()),
                             memory._store.dump(format=RdfFormat.N_TRIPLES, from_graph=new))
    assert by_query is not None and by_lines is not None
    assert sorted(by_lines[0]) == sorted(by_query[0])
    assert sorted(by_lines[1]) == sorted(by_query[1])
    assert len(by_lines[0]) == 1 and len(by_lines[1]) == 2  # ex:b's label out; c's and "added" in
    disk.close()
