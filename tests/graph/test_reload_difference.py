"""A reload staged as its difference (graph.reload_difference, StagedDifference): the changed
records told from the old version by canonical N-Triples lines; the graph afterwards exactly
what a load from scratch gives; the change record exact; a changed record that breaks the
shapes refused (store unchanged) or quarantined; nothing staged left behind."""

from __future__ import annotations

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, QueryTriples, Triple

from graph.change_feed import Filters, page
from graph.embedded import EmbeddedStore
from graph.meta_updates import STAGING_PREFIX
from graph.namespaces import DCAT, DCT, RDF, XSD, graph_iri, unit_iri
from graph.reload_difference import as_ntriples, changed_subjects, lines_of
from graph.staging import StagedDifference
from graph.store import GraphStore, Provenance
from loaders.admin_units import read_province_table
from loaders.demo_catalog import generate_catalog
from loaders.ingest import ValidationFailedError, ingest

PROVINCES = [unit_iri("2025", "province", c) for c in ("01", "79")]
DS = "https://data.vusta.vn/id/dataset/"
GRAPH = graph_iri("catalog")


@pytest.fixture
def units_store(reference_store: GraphStore) -> EmbeddedStore:
    """An on-disk store with the reference data that checks a source too large to be checked
    in memory: the path where a reload is staged as its difference."""
    ingest(reference_store, "admin-units", read_province_table().triples,
           Provenance("admin-units", "table"))
    assert isinstance(reference_store, EmbeddedStore)
    reference_store.checks_in_memory = False
    return reference_store


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> list[StagedDifference | None]:
    """What each reload staged: its difference, or None when it staged the whole version."""
    seen: list[StagedDifference | None] = []
    original = EmbeddedStore._stage_difference

    def spy(self: EmbeddedStore, *args: object) -> StagedDifference | None:
        found = original(self, *args)  # type: ignore[arg-type]
        seen.append(found)
        return found

    monkeypatch.setattr(EmbeddedStore, "_stage_difference", spy)
    return seen


def held(store: GraphStore, graph: NamedNode = GRAPH) -> set[str]:
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    assert isinstance(result, QueryTriples)
    return {str(t) for t in result}


def renamed(triples: list[Triple], old: str, new: str) -> list[Triple]:
    def term(value: object) -> object:
        if isinstance(value, NamedNode) and old in value.value:
            return NamedNode(value.value.replace(old, new))
        return value
    return [Triple(term(t.subject), t.predicate, term(t.object))  # type: ignore[arg-type]
            for t in triples]


def edited(catalog: list[Triple]) -> list[Triple]:
    """ds-000002's Vietnamese title changed, ds-000003 gone, ds-000099 new."""
    out = []
    for t in catalog:
        if "ds-000003" in str(t):
            continue
        if t.subject == NamedNode(DS + "ds-000002") and t.predicate == DCT.title and \
                isinstance(t.object, Literal) and t.object.language == "vi":
            t = Triple(t.subject, t.predicate, Literal(t.object.value + " (sửa)", language="vi"))
        out.append(t)
    return out + renamed([t for t in catalog if "ds-000004" in str(t)], "ds-000004", "ds-000099")


def staging_left(store: EmbeddedStore) -> list[str]:
    return [g.value for g in store._store.named_graphs() if isinstance(g, NamedNode)
            and g.value.startswith(STAGING_PREFIX)]


def test_the_changed_records_are_told_by_line() -> None:
    a, b, c = (f"<{DS}{n}>".encode() for n in "abc")
    title = b" <http://purl.org/dc/terms/title> "
    old = a + title + b'"A" .\n' + b + title + b'"B" .\n'
    new = a + title + b'"A" .\n' + b + title + b'"B2" .\n' + c + title + b'"C" .\n'
    assert changed_subjects(old, new) == {b, c}
    assert changed_subjects(old, old) == set()
    assert changed_subjects(old, new + b'_:x' + title + b'"X" .\n') is None
    assert lines_of(new, {c}) == c + title + b'"C" .\n'
    # Written as the store writes them, or every reload would find every value changed.
    size = Triple(NamedNode(DS + "d"), DCAT.byteSize,
                  Literal("007", datatype=XSD.nonNegativeInteger))
    tagged = Triple(NamedNode(DS + "d"), DCT.title, Literal("x", language="en-US"))
    assert as_ntriples([size, tagged]).decode().splitlines() == [
        f'<{DS}d> <{DCAT.byteSize.value}> "7"^^<{XSD.integer.value}> .',
        f'<{DS}d> <{DCT.title.value}> "x"@en-us .']


def test_a_reload_of_few_changes_is_written_as_its_difference(
        units_store: EmbeddedStore, staged: list[StagedDifference | None]) -> None:
    catalog = list(generate_catalog(6, ["vusta"], PROVINCES))
    ingest(units_store, "catalog", catalog, Provenance("catalog", "first"))
    revision = units_store.revision()
    new = edited(catalog)
    ingest(units_store, "catalog", new, Provenance("catalog", "again"))
    [difference] = staged
    assert difference is not None
    assert f"<{DS}ds-000002>" in difference.focus and f"<{DS}ds-000001>" not in difference.focus
    # Exactly what loading the new version from scratch gives.
    fresh = EmbeddedStore(None)
    fresh.replace_graph(GRAPH, new, Provenance("catalog", "fresh"))
    assert held(units_store) == held(fresh)
    [info] = [g for g in units_store.graphs() if g.name == GRAPH]
    assert info.triples == len(held(fresh))
    changes = {(e.activity, e.record.rsplit("/", 1)[1])
               for e in page(units_store, Filters(since_revision=revision,
                                                  record_type=DCAT.Dataset), 100)}
    assert changes == {("Update", "ds-000002"), ("Delete", "ds-000003"),
                       ("Create", "ds-000099")}
    assert staging_left(units_store) == []


def test_a_changed_record_that_breaks_the_shapes_is_refused_or_quarantined(
        units_store: EmbeddedStore, staged: list[StagedDifference | None]) -> None:
    catalog = list(generate_catalog(6, ["vusta"], PROVINCES))
    ingest(units_store, "catalog", catalog, Provenance("catalog", "first"))
    before = held(units_store)
    broken = [t for t in catalog if not (t.subject == NamedNode(DS + "ds-000002")
                                         and t.predicate == DCT.title)]
    with pytest.raises(ValidationFailedError) as refused:
        ingest(units_store, "catalog", broken, Provenance("catalog", "broken"))
    assert any(p.record == DS + "ds-000002" for p in refused.value.problems)
    assert held(units_store) == before and staging_left(units_store) == []
    done = ingest(units_store, "catalog", broken, Provenance("catalog", "broken"),
                  quarantine=True)
    assert done.quarantined == [f"<{DS}ds-000002>"]
    assert all(s is not None for s in staged)
    after = held(units_store)
    assert not any(line.startswith(f"<{DS}ds-000002>") for line in after)
    assert not any(f"<{DS}ds-000002>" in line for line in after)
    kept = before - {line for line in before if line.startswith(f"<{DS}ds-000002>")
                     or line.endswith(f"<{DS}ds-000002>")}
    assert after == kept and staging_left(units_store) == []


def test_blank_nodes_stage_the_whole_version(units_store: EmbeddedStore,
                                             staged: list[StagedDifference | None]) -> None:
    catalog = list(generate_catalog(6, ["vusta"], PROVINCES))
    period = BlankNode()
    node = NamedNode(DS + "ds-000001")
    with_blank = [*catalog, Triple(node, DCT.temporal, period),
                  Triple(period, RDF.type, DCT.PeriodOfTime)]
    ingest(units_store, "catalog", with_blank, Provenance("catalog", "first"))
    ingest(units_store, "catalog", edited(with_blank), Provenance("catalog", "again"))
    assert staged == [None]
    assert sum(1 for line in held(units_store) if "ds-000099" in line) > 0
