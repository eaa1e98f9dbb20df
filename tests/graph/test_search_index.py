"""The search index on a real on-disk store: folding, ranking, facets, cursors, and keeping in
step with loads (only changed graphs re-indexed; a refused load changes nothing)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import DCAT, DCT, EU_THEME, RDF, graph_iri
from graph.search_index import SearchIndex
from graph.store import GraphStore, Provenance
from loaders.demo import load_demo
from loaders.errors import LoadError
from loaders.ingest import ingest

DONG_THAP = "https://data.vusta.vn/id/unit/2025/province/82"


@pytest.fixture
def demo(store: GraphStore) -> GraphStore:
    load_demo(store, None)
    return store


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    opened = SearchIndex(tmp_path / "search.sqlite")
    yield opened
    opened.close()


def dataset(name: str, title: str) -> list[Triple]:
    node = NamedNode(f"https://x.org/ds/{name}")
    return [Triple(node, RDF.type, DCAT.Dataset),
            Triple(node, DCT.title, Literal(title, language="vi")),
            Triple(node, DCT.description, Literal("Mô tả", language="vi")),
            Triple(node, DCAT.theme, EU_THEME.ENVI)]


def test_folding_covers_case_diacritics_and_d_stroke(demo: GraphStore, index: SearchIndex
                                                     ) -> None:
    index.sync(demo)
    plain, marked = index.search("dong thap"), index.search("ĐỒNG THÁP")
    assert plain.total == marked.total > 0
    assert [h.iri for h in plain.hits] == [h.iri for h in marked.hits]
    assert DONG_THAP in [h.iri for h in plain.hits]
    assert index.search("dong thap", {"kind": ["place"]}).total == 2  # 2025 and pre-2025


def test_facets_or_within_and_across(demo: GraphStore, index: SearchIndex) -> None:
    index.sync(demo)
    everything = index.search("", {"kind": ["dataset"]})
    (a, _, count_a), (b, _, count_b) = everything.facets["theme"][:2]
    assert index.search("", {"kind": ["dataset"], "theme": [a, b]}).total == count_a + count_b
    both = index.search("", {"kind": ["dataset"], "theme": [a],
                             "province": [everything.facets["province"][0][0]]})
    assert 0 < both.total <= count_a
    assert index.search("", {"kind": ["dataset"], "theme": ["urn:none"]}).total == 0


def test_cursor_pages_are_disjoint_and_complete(demo: GraphStore, index: SearchIndex) -> None:
    index.sync(demo)
    for text in ("so lieu", ""):
        first = index.search(text, {"kind": ["dataset"]}, limit=25)
        seen = [h.iri for h in first.hits]
        page = first
        for _ in range(50):
            if page.next_cursor is None:
                break
            page = index.search(text, {"kind": ["dataset"]}, limit=25, cursor=page.next_cursor)
            seen += [h.iri for h in page.hits]
        assert len(seen) == len(set(seen)) == first.total, text
    with pytest.raises(ValueError, match="cursor"):
        index.search("", cursor="bm90IGEgY3Vyc29y")


def test_only_changed_graphs_are_reindexed_and_refused_loads_change_nothing(
        demo: GraphStore, index: SearchIndex) -> None:
    assert "https://data.vusta.vn/graph/demo-catalog" in index.sync(demo)
    assert index.sync(demo) == []
    ingest(demo, "extra", dataset("1", "Quan trắc sông Hồng"), Provenance("test", "memory"))
    assert index.sync(demo) == ["https://data.vusta.vn/graph/extra"]
    assert [h.iri for h in index.search("song hong").hits] == ["https://x.org/ds/1"]
    ingest(demo, "extra", dataset("2", "Quan trắc sông Đà"), Provenance("test", "memory"))
    assert index.sync(demo) == ["https://data.vusta.vn/graph/extra"]
    assert index.search("song hong").total == 0
    assert [h.iri for h in index.search("quan trac").hits] == ["https://x.org/ds/2"]
    broken = [t for t in dataset("3", "Không tiêu đề tiếng Việt") if t.predicate != DCT.title]
    with pytest.raises(LoadError):
        ingest(demo, "extra", broken, Provenance("test", "memory"))
    assert index.sync(demo) == []
    assert [h.iri for h in index.search("quan trac").hits] == ["https://x.org/ds/2"]


def test_the_full_official_list_is_searchable(store: GraphStore, index: SearchIndex,
                                              shared_units: Path) -> None:
    load_demo(store, str(shared_units))
    index.sync(store)
    wards = index.search("ba dinh", {"kind": ["place"]})
    codes = {h.iri.rsplit("/", 2)[-2] + "/" + h.iri.rsplit("/", 1)[-1] for h in wards.hits}
    assert "commune/00004" in codes  # Phường Ba Đình, both before and after the reform
    hanoi = index.search("", {"place": ["https://data.vusta.vn/id/unit/2025/province/01"],
                              "kind": ["place"]})
    assert hanoi.total > 100  # its wards and communes


def test_a_temporary_index_never_closed_leaves_no_file_behind() -> None:
    import gc

    index = SearchIndex(None)
    path = index.path
    index.search("hà nội")
    assert path.exists()
    del index
    gc.collect()
    assert not path.exists()
    assert not Path(f"{path}-wal").exists()


def test_a_temporary_index_of_a_process_that_was_killed_is_removed_by_the_next() -> None:
    """A process stopped by SIGKILL runs no exit hook; the next temporary index sweeps up."""
    script = ("import sys, time; from graph.search_index import SearchIndex; "
              "index = SearchIndex(None); print(index.path, flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        left = Path(proc.stdout.readline().strip())
        assert left.exists()
        SearchIndex(None).close()
        assert left.exists(), "the index of a live process must be kept"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    mine = SearchIndex(None)
    try:
        assert not left.exists()
        assert not Path(f"{left}-wal").exists()
        assert mine.path.exists()
    finally:
        mine.close()


def test_a_record_two_graphs_describe_stays_until_neither_does(
        demo: GraphStore, index: SearchIndex) -> None:
    """Harvested catalogues can describe the same dataset: it is one hit, indexed from one of
    them, and stays searchable while either still describes it; no row is left behind."""
    def state() -> tuple[int, str | None, tuple[int, int, int]]:
        with sqlite3.connect(index.path) as db:
            rows = db.execute(
                "SELECT (SELECT COUNT(*) FROM docs), (SELECT COUNT(*) FROM docs_text), "
                "(SELECT COUNT(*) FROM facets WHERE doc NOT IN (SELECT id FROM docs))"
            ).fetchone()
        return index.search("song hong").total, index.graph_of("https://x.org/ds/1"), rows

    ingest(demo, "a", dataset("1", "Quan trắc sông Hồng"), Provenance("test", "a"))
    ingest(demo, "b", dataset("1", "Quan trắc sông Hồng"), Provenance("test", "b"))
    index.sync(demo)
    hits, _, (docs, texts, orphans) = state()
    assert hits == 1 and docs == texts and orphans == 0
    # Reloaded, then dropped: the record stays, indexed from the graph that still has it.
    ingest(demo, "a", dataset("1", "Quan trắc sông Hồng"), Provenance("test", "a again"))
    index.sync(demo)
    assert state() == (1, graph_iri("a").value, (docs, texts, 0))
    demo.drop_graph(graph_iri("a"))
    index.sync(demo)
    assert state() == (1, graph_iri("b").value, (docs, texts, 0))
    ingest(demo, "b", dataset("2", "Quan trắc sông Đà"), Provenance("test", "b without it"))
    index.sync(demo)
    assert state() == (0, None, (docs, texts, 0))
