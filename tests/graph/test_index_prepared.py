"""A load reads its source's search rows from the data it has just checked, while the store
writes it; the index built from them is exactly the one read back from the store afterwards:
new sources, reloads (no old values), organisations whose addresses cite pre-2025 communes
(the place hierarchy three links away). A source staged on disk is indexed after the commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from pyoxigraph import NamedNode, Triple

import graph.embedded
import graph.search_index
from graph.embedded import EmbeddedStore
from graph.namespaces import SKOS, graph_iri, unit_iri
from graph.search_index import SearchIndex
from graph.store import Provenance
from graph.text import fold
from loaders.admin_units import read_admin_units
from loaders.demo_catalog import write_catalog
from loaders.ingest import ingest
from loaders.organisations import read_organisations
from loaders.rdf_file import rdf_file
from loaders.reference import UnitIndex
from loaders.vocabularies import load_vocabularies
from tests.conftest import MINI_UNITS

# Pre-2025 communes of the mini list (Hà Nội, Ba Đình): commune -> district -> province.
COMMUNES = [unit_iri("pre-2025", "commune", code) for code in ("00004", "00006", "00008")]
HEADER = ("id,name_vi,name_en,acronym,kind,parent,street,commune,district,province,website,"
          "email,phone,latitude,longitude,demo\n")
ORGS = HEADER + (
    "hoi-a,Hội Thử nghiệm A,Test Association A,TA,national-association,,1 Phố Thử,"
    "Phường Trúc Bạch,Quận Ba Đình,Hà Nội,,,,,,yes\n"
    "hoi-b,Hội Thử nghiệm B,Test Association B,TB,national-association,hoi-a,,"
    "Phường Vĩnh Phúc,Quận Ba Đình,Hà Nội,,,,,,yes\n")
MORE_ORGS = HEADER + (
    "hoi-c,Hội Thử nghiệm C,Test Association C,TC,national-association,,,"
    "Phường Liễu Giai,Quận Ba Đình,Hà Nội,,,,,,yes\n")
CATALOG = graph_iri("catalog")


@pytest.fixture
def units_store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """Vocabularies, the mini unit list and two organisations with pre-2025 addresses."""
    store = EmbeddedStore(tmp_path / "store")
    load_vocabularies(store)
    ingest(store, "admin-units", read_admin_units(MINI_UNITS).triples,
           Provenance("admin-units", "mini"))
    (tmp_path / "orgs.csv").write_text(ORGS, encoding="utf-8")
    orgs = read_organisations(tmp_path / "orgs.csv", UnitIndex.from_store(store))
    ingest(store, "organisations", orgs.triples, Provenance("orgs", "test"))
    yield store
    store.close()


def catalogue(folder: Path, seed: int, datasets: int = 20) -> Path:
    path = folder / f"catalogue-{seed}.nt"
    write_catalog(path, datasets, ["hoi-a", "hoi-b"], COMMUNES, seed=seed)
    return path


class Contents(NamedTuple):
    """Everything an index holds, by record IRI (its row ids aside)."""

    docs: dict[str, tuple[str, ...]]  # graph, kind, title_vi, title_en, summaries, modified
    texts: dict[str, tuple[str, str]]  # folded title, folded body
    facets: list[tuple[str, str, str]]
    graphs: list[tuple[str, str]]

    def datasets(self) -> dict[str, tuple[str, ...]]:
        return {iri: row for iri, row in self.docs.items() if row[1] == "dataset"}


def contents(index: SearchIndex) -> Contents:
    with sqlite3.connect(index.path) as db:
        return Contents(
            docs={row[0]: row[1:] for row in db.execute(
                "SELECT iri, graph, kind, title_vi, title_en, summary_vi, summary_en, "
                "modified FROM docs")},
            texts={row[0]: row[1:] for row in db.execute(
                "SELECT d.iri, t.title, t.body FROM docs d JOIN docs_text t "
                "ON t.rowid = d.id")},
            facets=sorted(db.execute(
                "SELECT d.iri, f.name, f.value FROM docs d JOIN facets f ON f.doc = d.id")),
            graphs=sorted(db.execute("SELECT graph, signature FROM graphs")))


def read_back(store: EmbeddedStore, folder: Path) -> Contents:
    """The index that a sync reading everything from the store builds."""
    fresh = SearchIndex(folder / f"fresh-{store.revision()}.sqlite")
    try:
        fresh.sync(store)
        return contents(fresh)
    finally:
        fresh.close()


def load_prepared(store: EmbeddedStore, index: SearchIndex, source: Path, *,
                  in_memory: bool = True) -> None:
    ingest(store, "catalog", rdf_file(source), Provenance("catalog", source.name),
           index=index)
    # Checked in memory, the rows were read during the load and the sync takes them; staged
    # on disk first, the sync reads them from the store.
    assert (CATALOG.value in index._offered) == in_memory
    index.sync(store)
    assert index._offered == {}


@pytest.fixture(params=["memory", "disk"])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Sources checked in memory, or (all over the limit) staged on disk first."""
    if request.param == "disk":
        monkeypatch.setattr(graph.embedded, "MEMORY_CHECK_MAX_BYTES", -1)
    return str(request.param)


def test_rows_read_during_a_load_are_the_rows_read_from_the_store(
        units_store: EmbeddedStore, tmp_path: Path, where: str) -> None:
    index = SearchIndex(tmp_path / "index.sqlite")
    load_prepared(units_store, index, catalogue(tmp_path, 1), in_memory=where == "memory")
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert len(held.datasets()) == 20
    # A dataset about a pre-2025 commune is found under its district and province too, and
    # an organisation under the units of its address (three links from the source).
    places = {value for iri, name, value in held.facets if name == "place"}
    assert unit_iri("pre-2025", "district", "001").value in places
    assert unit_iri("pre-2025", "province", "01").value in places
    index.close()


def test_a_reload_prepared_from_memory_holds_no_old_value(
        units_store: EmbeddedStore, tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index.sqlite")
    load_prepared(units_store, index, catalogue(tmp_path, 1))
    before = contents(index)
    load_prepared(units_store, index, catalogue(tmp_path, 2))
    after = contents(index)
    assert after == read_back(units_store, tmp_path)
    # The same records with other titles; no old title is left in their text.
    assert before.datasets().keys() == after.datasets().keys()
    changed = [iri for iri, row in after.datasets().items() if before.docs[iri][2] != row[2]]
    assert len(changed) > 10
    for iri in changed:
        assert fold(before.docs[iri][2]) not in after.texts[iri][0]
        assert fold(after.docs[iri][2]) in after.texts[iri][0]
    index.close()


def test_organisations_prepared_during_their_load(units_store: EmbeddedStore,
                                                   tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index.sqlite")
    index.sync(units_store)
    (tmp_path / "more.csv").write_text(MORE_ORGS, encoding="utf-8")
    orgs = read_organisations(tmp_path / "more.csv", UnitIndex.from_store(units_store))
    graph = NamedNode("https://data.vusta.vn/graph/more-organisations")
    ingest(units_store, "organisations", orgs.triples, Provenance("orgs", "again"),
           graph=graph, index=index)
    assert graph.value in index._offered
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert held.docs["https://data.vusta.vn/id/org/hoi-c"][1] == "organisation"
    assert ("https://data.vusta.vn/id/org/hoi-c", "place",
            unit_iri("pre-2025", "district", "001").value) in held.facets
    index.close()


def test_rows_offered_for_a_graph_that_changed_again_are_not_taken(
        units_store: EmbeddedStore, tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index.sqlite")
    ingest(units_store, "catalog", rdf_file(catalogue(tmp_path, 1)),
           Provenance("catalog", "one"), index=index)
    # Another load of the same source, which this index did not see, before it syncs.
    ingest(units_store, "catalog", rdf_file(catalogue(tmp_path, 2, datasets=12)),
           Provenance("catalog", "two"))
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert len(held.datasets()) == 12
    index.close()


def edited(source: Path, folder: Path) -> Path:
    """``source`` with one dataset retitled, one removed and the format of a third's
    distribution changed (a record two links from the change)."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines(keepends=True):
        if "ds-000005" in line:
            continue
        if "ds-000003> <http://purl.org/dc/terms/title>" in line and line.endswith("@vi .\n"):
            line = line.split('"')[0] + '"Số liệu Vượt Trào"@vi .\n'
        if line.startswith("<https://data.vusta.vn/id/distribution/ds-000007-1> "
                           "<http://purl.org/dc/terms/format>"):
            line = line.rsplit(" ", 2)[0] + " <http://publications.europa.eu/resource/" \
                "authority/file-type/PDF> .\n"
        lines.append(line)
    path = folder / "edited.nt"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def row_ids(index: SearchIndex) -> dict[str, int]:
    with sqlite3.connect(index.path) as db:
        return dict(db.execute("SELECT iri, id FROM docs"))


def test_a_reload_that_changes_a_few_records_reindexes_only_those(
        units_store: EmbeddedStore, tmp_path: Path, where: str) -> None:
    index = SearchIndex(tmp_path / "index.sqlite")
    first = catalogue(tmp_path, 1)
    ingest(units_store, "catalog", rdf_file(first), Provenance("catalog", "one"), index=index)
    index.sync(units_store)
    before = row_ids(index)
    ingest(units_store, "catalog", rdf_file(edited(first, tmp_path)),
           Provenance("catalog", "two"), index=index)
    offered = index._offered[CATALOG.value][1]
    dataset = "https://data.vusta.vn/id/dataset/ds-0000{:02d}"
    assert offered.changed is not None
    assert {dataset.format(n) for n in (3, 5, 7)} <= {iri.value for iri in offered.changed}
    index.sync(units_store)
    after = row_ids(index)
    assert after.keys() == before.keys() - {dataset.format(5)}
    # Only the changed records got new rows; the others kept theirs.
    moved = {iri for iri in after if after[iri] != before[iri]}
    assert moved == {dataset.format(3), dataset.format(7)}
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert held.docs[dataset.format(3)][2] == "Số liệu Vượt Trào"
    assert ("https://data.vusta.vn/id/dataset/ds-000007", "format",
            "http://publications.europa.eu/resource/authority/file-type/PDF") in held.facets
    index.close()


def test_a_change_offered_against_a_version_the_index_never_saw_reads_it_all(
        units_store: EmbeddedStore, tmp_path: Path) -> None:
    first = catalogue(tmp_path, 1)
    ingest(units_store, "catalog", rdf_file(first), Provenance("catalog", "one"))
    # This index never indexed the first version: the change cannot be applied to it.
    index = SearchIndex(tmp_path / "index.sqlite")
    ingest(units_store, "catalog", rdf_file(edited(first, tmp_path)),
           Provenance("catalog", "two"), index=index)
    assert index._offered[CATALOG.value][1].changed is not None
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert len(held.datasets()) == 19
    index.close()


@pytest.fixture(params=["offered", "read"])
def offered(request: pytest.FixtureRequest) -> bool:
    """The change offered to the index by its load (a few records re-read), or not (the
    changed graph read whole)."""
    return bool(request.param == "offered")


def facet_of(held: Contents, name: str, value: str) -> set[str]:
    return {iri for iri, facet, found in held.facets if facet == name and found == value}


def rename(store: EmbeddedStore, folder: Path, old: str, new: str,
           index: SearchIndex | None) -> None:
    """Load the organisations again with one of them renamed (the change offered to
    ``index``, if given)."""
    (folder / "renamed.csv").write_text(ORGS.replace(old, new), encoding="utf-8")
    orgs = read_organisations(folder / "renamed.csv", UnitIndex.from_store(store))
    ingest(store, "organisations", orgs.triples, Provenance("orgs", "renamed"), index=index)


def test_a_renamed_publisher_reaches_the_datasets_of_another_graph(
        units_store: EmbeddedStore, tmp_path: Path, offered: bool) -> None:
    """A dataset's text holds its publisher's name, which lives in the organisations' graph."""
    index = SearchIndex(tmp_path / "index.sqlite")
    load_prepared(units_store, index, catalogue(tmp_path, 1))
    before = row_ids(index)
    rename(units_store, tmp_path, "Hội Thử nghiệm A", "Hội Đổi Tên A",
           index if offered else None)
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    published = facet_of(held, "publisher", "https://data.vusta.vn/id/org/hoi-a")
    assert 0 < len(published) < 20
    assert {h.iri for h in index.search("doi ten a", {"kind": ["dataset"]}, limit=50).hits} \
        == published
    # Those datasets were read again, and no other.
    after = row_ids(index)
    assert {iri for iri in held.datasets() if after[iri] != before[iri]} == published
    index.close()


def test_a_unit_moved_to_another_province_moves_the_records_that_cite_it(
        units_store: EmbeddedStore, tmp_path: Path, offered: bool) -> None:
    """A dataset about a pre-2025 commune is found under the province of its district, which
    the units' graph says; so is an organisation whose address cites it."""
    index = SearchIndex(tmp_path / "index.sqlite")
    load_prepared(units_store, index, catalogue(tmp_path, 1))
    district = unit_iri("pre-2025", "district", "001")
    hanoi, other = unit_iri("pre-2025", "province", "01"), unit_iri("pre-2025", "province", "22")
    held = contents(index)
    cited = facet_of(held, "place", district.value)
    assert cited & held.datasets().keys() and "https://data.vusta.vn/id/org/hoi-a" in cited
    assert cited <= facet_of(held, "place", hanoi.value)

    def moved(triple: Triple) -> Triple:
        if triple.subject == district and triple.predicate == SKOS.broader:
            return Triple(district, SKOS.broader, other)
        if triple.subject == hanoi and triple.predicate == SKOS.narrower \
                and triple.object == district:
            return Triple(other, SKOS.narrower, district)
        return triple

    units = [moved(t) for t in read_admin_units(MINI_UNITS).triples]
    ingest(units_store, "admin-units", units, Provenance("admin-units", "moved"),
           index=index if offered else None)
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert cited <= facet_of(held, "place", other.value)
    assert not cited & facet_of(held, "place", hanoi.value)
    index.close()


def test_a_graph_with_many_records_citing_a_change_is_read_whole(
        units_store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph.search_index, "CHANGED_LIMIT", 2)
    index = SearchIndex(tmp_path / "index.sqlite")
    load_prepared(units_store, index, catalogue(tmp_path, 1))
    before = row_ids(index)
    rename(units_store, tmp_path, "Hội Thử nghiệm B", "Hội Đổi Tên B", None)
    index.sync(units_store)
    held = contents(index)
    assert held == read_back(units_store, tmp_path)
    assert len(facet_of(held, "publisher", "https://data.vusta.vn/id/org/hoi-b")) > 2
    # Every dataset of the catalogue got new rows, cited or not.
    after = row_ids(index)
    assert all(after[iri] != before[iri] for iri in held.datasets())
    index.close()
