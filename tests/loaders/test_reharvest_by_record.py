"""A re-harvest told record by record against the digests that the last harvest kept beside
the store: the graph comes out as a harvest from scratch would make it, the change record
lists exactly what changed, a quarantined record stays out until it is fixed, and any other
write of the graph (a SPARQL update, a drop) takes the table away so the next harvest reads
everything again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from graph.change_log import CHANGES
from graph.embedded import EmbeddedStore
from graph.meta_updates import META
from graph.namespaces import KG
from graph.store import Provenance, solutions
from loaders.harvest import HarvestOutcome, harvest
from loaders.harvest_sources import HarvestSource, add_source, list_sources
from loaders.ingest import graph_triples, ingest
from tests.loaders.fake_portals import Site, serving

GRAPH = NamedNode("https://data.vusta.vn/graph/harvest/theo-ban-ghi")
BASE = "https://data.example.org/"
DCAT, DCT = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
VUSTA = "https://data.vusta.vn/id/org/vusta"


def dataset(number: int, title: str | None = None, description: bool = True) -> str:
    d = f"<{BASE}ds/{number}>"
    lines = [f"<{BASE}catalog> <{DCAT}dataset> {d} .",
             f"{d} {A} <{DCAT}Dataset> .",
             f'{d} <{DCT}title> "{title or f"Tập dữ liệu {number}"}"@vi .',
             f"{d} <{DCT}publisher> <{VUSTA}> .",
             f"{d} <{DCAT}distribution> <{BASE}ds/{number}/csv> .",
             f"<{BASE}ds/{number}/csv> {A} <{DCAT}Distribution> .",
             f"<{BASE}ds/{number}/csv> <{DCAT}accessURL> <{BASE}files/{number}.csv> .",
             f'<{BASE}ds/{number}/csv> <{DCT}format> "CSV" .']
    if description:
        lines.append(f'{d} <{DCT}description> "Mô tả {number}"@vi .')
    return "\n".join(lines)


def catalogue(datasets: list[str]) -> bytes:
    head = [f"<{BASE}catalog> {A} <{DCAT}Catalog> .",
            f'<{BASE}catalog> <{DCT}title> "Danh mục theo bản ghi"@vi .',
            f'<{BASE}catalog> <{DCT}description> "Mô tả"@vi .',
            f"<{BASE}catalog> <{DCT}publisher> <{VUSTA}> ."]
    return ("\n".join(head + datasets) + "\n").encode()


class Source:
    """One N-Triples catalogue on a local site, harvested into ``store``."""

    def __init__(self, store: EmbeddedStore, site: Site, url: str) -> None:
        self.store, self.site = store, site
        add_source(store, HarvestSource("theo-ban-ghi", "Theo bản ghi", "dcat",
                                        f"{url}/catalog.nt", "vusta", allow_private=True))

    def publish(self, datasets: list[str]) -> None:
        self.site.files["/catalog.nt"] = (catalogue(datasets), "application/n-triples")

    def harvest(self) -> HarvestOutcome:
        return harvest(self.store, list_sources(self.store)[0])


@pytest.fixture
def source(demo_store: str) -> Iterator[Source]:
    store = EmbeddedStore(Path(demo_store))
    site = Site()
    with serving(site) as url:
        yield Source(store, site, url)
    store.close()


def graph_lines(store: EmbeddedStore) -> set[str]:
    return {f"{row['s']} {row['p']} {row['o']}" for row in solutions(store.query(
        f"SELECT ?s ?p ?o {{ GRAPH {GRAPH} {{ ?s ?p ?o }} }}"))}


def table(store: EmbeddedStore) -> dict[str, int] | None:
    """The record digests the graph's provenance names, read as the store reads them."""
    tokens = [row["t"].value for row in solutions(store.query(
        f"SELECT ?t {{ GRAPH {META} {{ {GRAPH} {KG.recordDigests} ?t }} }}"))]
    if not tokens:
        return None
    assert store.path is not None
    folder = store.path.parent / f"{store.path.name}-records"
    # Exactly one table is kept: the one the graph names.
    assert sorted(p.name for p in folder.iterdir()) == [f"{tokens[0]}.digests"]
    found: dict[str, int] = {}
    for line in (folder / f"{tokens[0]}.digests").read_text(encoding="utf-8").splitlines():
        digest, _, record = line.partition(" ")
        found[record] = int(digest, 16)
    return found


def changes_since(store: EmbeddedStore, revision: int) -> list[tuple[str, str]]:
    return sorted((row["a"].value, row["r"].value.removeprefix(BASE)) for row in solutions(
        store.query(f"SELECT ?a ?r {{ GRAPH {CHANGES} {{ ?c kg:activity ?a ; kg:record ?r ; "
                    f"kg:graph {GRAPH} ; kg:revision ?rev FILTER(?rev > {revision}) }} }}")))


def test_a_reharvest_writes_what_changed_and_comes_out_as_from_scratch(source: Source) -> None:
    store = source.store
    source.publish([dataset(n) for n in range(1, 31)])
    first = source.harvest()
    assert (first.seen, first.loaded, first.quarantined) == (30, 30, [])
    kept = table(store)
    assert kept is not None and len(kept) == 61    # the catalogue, 30 datasets, 30 files
    revision = store.revision()
    # One title edited, one dataset gone, one new.
    source.publish([dataset(n, "Tập sửa" if n == 3 else None) for n in range(1, 32) if n != 7])
    again = source.harvest()
    assert (again.seen, again.loaded, again.removed) == (30, 30, 1)
    assert changes_since(store, revision) == [
        ("Create", "ds/31"), ("Create", "ds/31/csv"), ("Delete", "ds/7"),
        ("Delete", "ds/7/csv"), ("Update", "catalog"), ("Update", "ds/3")]
    after = table(store)
    assert after is not None and set(after) - set(kept) == {f"<{BASE}ds/31>",
                                                           f"<{BASE}ds/31/csv>"}
    assert set(kept) - set(after) == {f"<{BASE}ds/7>", f"<{BASE}ds/7/csv>"}
    assert after[f"<{BASE}ds/3>"] != kept[f"<{BASE}ds/3>"]
    assert after[f"<{BASE}ds/4>"] == kept[f"<{BASE}ds/4>"]
    written = graph_lines(store)
    triples = int(next(iter(solutions(store.query(
        f"SELECT ?n {{ GRAPH {META} {{ {GRAPH} kg:tripleCount ?n }} }}"))))["n"].value)
    assert triples == len(written)
    # Against a harvest from scratch of the same source.
    store.drop_graph(GRAPH)
    assert table(store) is None
    source.site.requests.clear()
    source.harvest()
    assert graph_lines(store) == written
    assert "If-None-Match" not in source.site.requests[-1][1]


def test_a_quarantined_record_stays_out_until_it_is_fixed(source: Source) -> None:
    store = source.store
    source.publish([dataset(n, description=n != 5) for n in range(1, 11)])
    first = source.harvest()
    assert first.quarantined == [f"{BASE}ds/5"]
    kept = table(store)
    # Marked as altered by the gate: staged again on every harvest until it passes.
    assert kept is not None and kept[f"<{BASE}ds/5>"] == kept[f"<{BASE}catalog>"] == -1
    source.publish([dataset(n, "Tập sửa" if n == 2 else None, description=n != 5)
                    for n in range(1, 11)])
    again = source.harvest()
    assert (again.loaded, again.quarantined) == (9, [f"{BASE}ds/5"])
    listed = {row["d"].value for row in solutions(store.query(
        f"SELECT ?d {{ GRAPH {GRAPH} {{ ?c <{DCAT}dataset> ?d }} }}"))}
    assert f"{BASE}ds/5" not in listed and len(listed) == 9
    source.publish([dataset(n) for n in range(1, 11)])
    fixed = source.harvest()
    assert (fixed.loaded, fixed.quarantined) == (10, [])
    assert bool(store.query(f"ASK {{ GRAPH {GRAPH} {{ <{BASE}catalog> <{DCAT}dataset> "
                            f"<{BASE}ds/5> . <{BASE}ds/5> <{DCT}description> ?d }} }}"))
    after = table(store)
    assert after is not None and -1 not in after.values()


def test_another_write_of_the_graph_takes_the_table_away(source: Source) -> None:
    store = source.store
    source.publish([dataset(n) for n in range(1, 6)])
    source.harvest()
    assert table(store) is not None
    store.update(f"DELETE {{ GRAPH {GRAPH} {{ ?d <{DCT}title> ?t }} }} INSERT {{ GRAPH {GRAPH} "
                 f"{{ ?d <{DCT}title> 'Sửa tay'@vi }} }} WHERE {{ GRAPH {GRAPH} {{ "
                 f"?d <{DCT}title> ?t FILTER(?d = <{BASE}ds/2>) }} }}")
    tokens = list(solutions(store.query(
        f"SELECT ?t {{ GRAPH {META} {{ ?g {KG.recordDigests} ?t }} }}")))
    assert tokens == []
    # The source did not change, but the graph did: the next harvest reads it all and the
    # source's own title comes back.
    source.publish([dataset(n) for n in range(1, 6)] + [dataset(6)])
    source.harvest()
    titles = {row["t"].value for row in solutions(store.query(
        f"SELECT ?t {{ GRAPH {GRAPH} {{ <{BASE}ds/2> <{DCT}title> ?t }} }}"))}
    assert titles == {"Tập dữ liệu 2"}
    assert table(store) is not None
    # A load of the graph that is not told record by record (a Graph Store PUT, kg load).
    keyword = Triple(NamedNode(f"{BASE}ds/1"), NamedNode(f"{DCAT}keyword"),
                     Literal("thêm", language="vi"))
    ingest(store, GRAPH.value, [*graph_triples(store, GRAPH), keyword],
           Provenance("graph-store", "a test"), graph=GRAPH)
    assert table(store) is None
    assert store.path is not None
    assert list((store.path.parent / f"{store.path.name}-records").iterdir()) == []


def test_a_source_with_blank_nodes_is_read_in_full_each_time(source: Source) -> None:
    store = source.store
    contact = (f"<{BASE}ds/1> <{DCAT}contactPoint> _:c .\n"
               f'_:c <http://www.w3.org/2006/vcard/ns#fn> "Người liên hệ" .')
    source.publish([dataset(1), contact, dataset(2)])
    source.harvest()
    assert table(store) is None
    source.publish([dataset(1, "Tập sửa"), contact, dataset(2)])
    again = source.harvest()
    assert again.loaded == 2
    assert {row["t"].value for row in solutions(store.query(
        f"SELECT ?t {{ GRAPH {GRAPH} {{ <{BASE}ds/1> <{DCT}title> ?t }} }}"))} == {"Tập sửa"}
    assert len(list(solutions(store.query(
        f"SELECT ?c {{ GRAPH {GRAPH} {{ ?c <http://www.w3.org/2006/vcard/ns#fn> ?n }} }}")))) == 1
