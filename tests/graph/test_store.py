"""The store contract, on the embedded store and on a real `oxigraph serve`: atomic replace on
the bulk path, provenance, dump and restore."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

import graph.embedded
from graph.embedded import META, EmbeddedStore
from graph.remote import Endpoint, RemoteStore
from graph.store import GraphStore, Provenance, RdfFile, StoreError, open_store, solutions

G = NamedNode("https://example.org/graph/source")


@pytest.fixture(params=["embedded", "oxigraph-server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Every contract test runs on both backends."""
    opened: GraphStore
    if request.param == "embedded":
        opened = EmbeddedStore(tmp_path / "store")
    else:
        opened = RemoteStore(Endpoint.oxigraph(request.getfixturevalue("oxigraph_server")))
    yield opened
    opened.close()

P = NamedNode("https://example.org/p")


def triples(count: int, tag: str, fail_at: int | None = None) -> Iterator[Triple]:
    for i in range(count):
        if i == fail_at:
            raise RuntimeError(f"source broke at record {i}")
        yield Triple(NamedNode(f"https://example.org/s{i}"), P, Literal(f"{tag}{i}"))


def snapshot(store: GraphStore) -> bytes:
    out = io.BytesIO()
    store.dump(out)
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


def count(store: GraphStore, graph: NamedNode = G) -> int:
    rows = solutions(store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))
    return int(next(iter(rows))["n"].value)


def test_replace_graph_loads_and_records_provenance(store: GraphStore) -> None:
    info = store.replace_graph(G, triples(100, "a"), Provenance("test", "gen", "Test source"))
    assert info.triples == 100
    assert (info.loader, info.source, info.title) == ("test", "gen", "Test source")
    assert info.loaded_at is not None
    assert count(store) == 100
    assert {g.name for g in store.graphs()} == {G, META}


def test_failed_first_load_leaves_store_as_it_was(store: GraphStore) -> None:
    store.replace_graph(NamedNode("https://example.org/other"), triples(10, "x"),
                        Provenance("test", "other"))
    before = snapshot(store)
    with pytest.raises(RuntimeError, match="record 150000"):
        store.replace_graph(G, triples(200_000, "a", fail_at=150_000), Provenance("t", "g"))
    assert snapshot(store) == before
    assert G not in [g.name for g in store.graphs()]


def test_failed_replace_half_way_keeps_previous_graph_intact(store: GraphStore) -> None:
    store.replace_graph(G, triples(1000, "old"), Provenance("t", "first"))
    before = snapshot(store)
    revision = store.revision()
    with pytest.raises(RuntimeError):
        store.replace_graph(G, triples(200_000, "new", fail_at=100_000), Provenance("t", "x"))
    assert snapshot(store) == before
    assert store.revision() == revision


def test_very_large_file_with_syntax_error_at_the_end_changes_nothing(
        store: GraphStore, tmp_path: Path) -> None:
    store.replace_graph(G, triples(50, "old"), Provenance("t", "first"))
    before = snapshot(store)
    big = tmp_path / "big.nt"
    with big.open("w") as out:
        for i in range(400_000):
            out.write(f'<https://example.org/s{i}> <https://example.org/p> "v{i}" .\n')
        out.write("<https://example.org/broken> <https://example.org/p> oops .\n")
    with pytest.raises(StoreError, match=r"big\.nt.*line 400001"):
        store.replace_graph(G, RdfFile(big, RdfFormat.N_TRIPLES), Provenance("t", str(big)))
    assert snapshot(store) == before


def test_failed_check_on_staged_graph_discards_it(store: GraphStore) -> None:
    store.replace_graph(G, triples(5, "old"), Provenance("t", "first"))
    before = snapshot(store)

    def reject(staging: object) -> None:
        rows = solutions(staging.query(  # type: ignore[attr-defined]
            "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))
        assert int(next(iter(rows))["n"].value) > 5   # sees staged and visible data
        raise ValueError("rejected by the check")

    with pytest.raises(ValueError, match="rejected"):
        store.replace_graph(G, triples(20, "new"), Provenance("t", "x"), check=reject)
    assert snapshot(store) == before


def test_readers_see_the_old_graph_or_the_new_one_never_a_mix(store: GraphStore) -> None:
    store.replace_graph(G, triples(50_000, "a"), Provenance("t", "a"))
    seen: set[tuple[int, str]] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            rows = solutions(store.query(
                f"SELECT (COUNT(*) AS ?n) (MIN(SUBSTR(?o, 1, 1)) AS ?lo) "
                f"(MAX(SUBSTR(?o, 1, 1)) AS ?hi) {{ GRAPH {G} {{ ?s ?p ?o }} }}"))
            row = next(iter(rows))
            seen.add((int(row["n"].value), row["lo"].value + row["hi"].value))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        store.replace_graph(G, triples(50_000, "b"), Provenance("t", "b"))
    finally:
        stop.set()
        reader.join(timeout=60)
    assert seen <= {(50_000, "aa"), (50_000, "bb")}
    assert (50_000, "bb") in seen or count(store) == 50_000


def test_replacing_keeps_unchanged_triples_and_swaps_the_rest(store: GraphStore) -> None:
    store.replace_graph(G, triples(100, "a"), Provenance("t", "a"))
    new = [*triples(50, "a"), *triples(30, "b")]
    info = store.replace_graph(G, new, Provenance("t", "b"))
    assert info.triples == 80
    rows = solutions(store.query(f"SELECT ?o {{ GRAPH {G} {{ ?s ?p ?o }} }}"))
    assert {row["o"].value for row in rows} == {t.object.value for t in new}


def test_drop_graph_removes_data_and_provenance(store: GraphStore) -> None:
    store.replace_graph(G, triples(10, "a"), Provenance("t", "a"))
    store.drop_graph(G)
    assert count(store) == 0
    assert G not in [g.name for g in store.graphs()]


def test_dump_and_restore_round_trip_exactly(store: GraphStore, tmp_path: Path) -> None:
    store.replace_graph(G, triples(100, "a"), Provenance("t", "a"))
    other = NamedNode("https://example.org/graph/other")
    store.replace_graph(other, triples(10, "o"), Provenance("t", "o"))
    dump = io.BytesIO()
    store.dump(dump)
    expected = snapshot(store)
    target = EmbeddedStore(tmp_path / "second")
    target.replace_graph(NamedNode("https://example.org/graph/stale"), triples(5, "s"),
                         Provenance("t", "stale"))
    target.replace_graph(G, triples(3, "z"), Provenance("t", "z"))
    restored = target.restore(io.BytesIO(dump.getvalue()))
    assert restored == len(dump.getvalue().splitlines())
    actual = snapshot(target)
    # The revision counter and its time stamp continue in the target; the rest is the same.
    stamp = f"{META} <http://purl.org/dc/terms/modified>".encode()

    def kept(lines: bytes) -> list[bytes]:
        return [line for line in lines.splitlines()
                if b"#revision" not in line and not line.startswith(stamp)]

    assert kept(actual) == kept(expected)


def test_restore_of_a_broken_dump_changes_nothing(store: GraphStore) -> None:
    store.replace_graph(G, triples(100, "a"), Provenance("t", "a"))
    before = snapshot(store)
    good = io.BytesIO()
    store.dump(good)
    broken = good.getvalue() + b"<https://example.org/x> <https://example.org/p> oops .\n"
    with pytest.raises(StoreError, match="N-Quads"):
        store.restore(io.BytesIO(broken))
    assert snapshot(store) == before


def test_graphs_are_wiped_in_bounded_batches_and_leave_no_name_behind(
        store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph.embedded, "WIPE_BATCH", 7)
    store.replace_graph(G, triples(100, "a"), Provenance("t", "a"))
    # A reload with a check stages the new version and wipes it after the swap; a refused
    # one wipes it unused; a drop wipes the graph itself: 100 triples, 7 at a time.
    store.replace_graph(G, triples(60, "b"), Provenance("t", "b"), check=lambda staging: None)
    with pytest.raises(ValueError, match="refused"):
        store.replace_graph(G, triples(90, "c"), Provenance("t", "c"),
                            check=lambda staging: (_ for _ in ()).throw(ValueError("refused")))
    assert count(store) == 60
    store.drop_graph(G)
    raw = store._store  # type: ignore[attr-defined]
    assert [g for g in raw.named_graphs() if g != META] == []
    assert count(store) == 0


class Watched:
    """A pyoxigraph store that notes how many triples a graph held when it was removed."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.removed: list[int] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def remove_graph(self, graph: NamedNode) -> None:
        self.removed.append(len(list(self._store.quads_for_pattern(  # type: ignore[attr-defined]
            None, None, None, graph))))
        self._store.remove_graph(graph)  # type: ignore[attr-defined]


def test_a_wiped_graph_is_empty_before_its_name_goes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph.embedded, "WIPE_BATCH", 7)
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graph(G, triples(100, "a"), Provenance("t", "a"))
    watched = Watched(store._store)
    store._store = watched
    store.replace_graph(G, triples(60, "b"), Provenance("t", "b"), check=lambda staging: None)
    store.drop_graph(G)
    # The staged 60 and the dropped 60 went in batches; only the empty names were removed.
    assert watched.removed == [0, 0]
    assert count(store) == 0
    store.close()


def test_a_crash_during_load_is_cleaned_up_when_the_store_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = EmbeddedStore(path)
    store.replace_graph(G, triples(10, "a"), Provenance("t", "a"))
    before = snapshot(store)
    half = NamedNode("https://example.org/graph/half")
    # What a load leaves behind when the process dies before its commit.
    store._mark_pending(half)
    store._store.update(f"INSERT DATA {{ GRAPH {half} {{ <https://example.org/h> {P} 1 }} }}")
    store._store.update("INSERT DATA { GRAPH <urn:kg:staging:dead> { <urn:a> <urn:b> 1 } }")
    store.close()
    reopened = EmbeddedStore(path)
    assert snapshot(reopened) == before
    assert count(reopened, half) == 0
    reopened.close()


def test_revision_grows_with_every_change(store: GraphStore) -> None:
    start = store.revision()
    store.replace_graph(G, triples(3, "a"), Provenance("t", "a"))
    store.update(f"INSERT DATA {{ GRAPH {G} {{ <https://example.org/n> {P} 'n' }} }} # c")
    assert store.revision() == start + 2
    assert count(store) == 4
    assert next(g.triples for g in store.graphs() if g.name == G) == 4


def test_queries_take_bindings_not_pasted_text(store: GraphStore) -> None:
    store.replace_graph(G, triples(3, "a"), Provenance("t", "a"))
    hostile = Literal('a1" } ; DROP ALL #')
    rows = solutions(store.query("SELECT ?s ?o { ?s ?p ?o }", bindings={"o": hostile}))
    assert list(rows) == []
    rows = solutions(store.query("SELECT ?s ?o { ?s ?p ?o }", bindings={"o": Literal("a1")}))
    assert [row["s"].value for row in rows] == ["https://example.org/s1"]


def test_syntax_errors_are_store_errors(store: GraphStore) -> None:
    with pytest.raises(StoreError, match="syntax"):
        store.query("SELECT WHERE {")


def test_reserved_graphs_cannot_be_replaced(store: GraphStore) -> None:
    with pytest.raises(StoreError, match="reserved"):
        store.replace_graph(META, [], Provenance("t", "x"))


def test_open_store_memory_and_disk(tmp_path: Path) -> None:
    memory = open_store("memory")
    memory.replace_graph(G, triples(2, "a"), Provenance("t", "a"))
    assert count(memory) == 2
    disk = open_store(tmp_path / "s")
    disk.replace_graph(G, triples(2, "a"), Provenance("t", "a"))
    disk.close()
    again = open_store(tmp_path / "s")
    assert count(again) == 2
    again.close()


@pytest.mark.parametrize("media_type", ["application/sparql-results+json",
                                        "application/sparql-results+xml", "text/csv",
                                        "text/tab-separated-values"])
def test_serialized_query_is_the_answer_as_the_store_writes_it(
        store: GraphStore, media_type: str) -> None:
    from pyoxigraph import QueryResultsFormat, parse_query_results

    store.replace_graph(G, triples(5, "a"), Provenance("t", "a"))
    text = "SELECT ?s ?o { ?s ?p ?o } ORDER BY DESC(?s) LIMIT 3"
    written = b"".join(store.serialized_query(text, media_type))
    expected = [(row["s"], row["o"]) for row in solutions(store.query(text))]
    assert len(expected) == 3
    if media_type == "text/csv":
        # CSV is lossy (pyoxigraph will not parse it): its cells are the terms' values.
        lines = written.decode().splitlines()
        assert lines == ["s,o", *(f"{s.value},{o.value}" for s, o in expected)]
    else:
        parsed = parse_query_results(written, QueryResultsFormat.from_media_type(media_type))
        assert [(row["s"], row["o"]) for row in parsed] == expected  # type: ignore[union-attr]
    # The same default graph as every other query (graphs being loaded stay out).
    text = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    counted = b"".join(store.serialized_query(text, "text/csv"))
    total = next(iter(solutions(store.query(text))))["n"].value
    assert counted.split() == [b"n", total.encode()] and int(total) >= 5
    with pytest.raises(StoreError, match=r"(?i)syntax"):
        b"".join(store.serialized_query("SELECT WHERE {", media_type))
