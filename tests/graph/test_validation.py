"""The compiled fast path and pyshacl agree, on valid and invalid examples covering every
constraint component the shapes use; reports name record, field and value."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from graph.namespaces import graph_iri
from graph.shapes_compiler import SH, compile_shapes
from graph.store import GraphStore, Provenance
from graph.validation import (
    compiled_shapes,
    dataset_graph,
    shapes_graph,
    validate,
    validate_with_pyshacl,
)
from loaders.admin_units import read_province_table
from loaders.demo_catalog import generate_catalog
from loaders.ingest import ingest
from loaders.rdf_file import rdf_file
from loaders.vocabularies import vocabulary_names, vocabulary_source, vocabulary_triples
from tests.conftest import DATA

EXAMPLES = DATA / "examples"


def with_reference(store: GraphStore) -> GraphStore:
    for name in vocabulary_names():
        ingest(store, vocabulary_source(name), vocabulary_triples(name),
               Provenance("vocabulary", name))
    ingest(store, "admin-units", read_province_table().triples, Provenance("admin-units", "t"))
    return store


@pytest.fixture
def examples_store(store: GraphStore) -> GraphStore:
    with_reference(store)
    from graph.namespaces import unit_iri

    provinces = [unit_iri("2025", "province", c) for c in ("01", "79")]
    ingest(store, "valid", generate_catalog(20, ["vusta"], provinces),
           Provenance("catalog", "generated"))
    # Written past the gate on purpose: these records are here to fail validation.
    store.replace_graph(graph_iri("invalid"), rdf_file(EXAMPLES / "invalid.ttl"),
                        Provenance("t", "invalid"))
    return store


def test_every_shape_compiles() -> None:
    compiled = compiled_shapes()
    assert compiled.fallback == []
    assert len(compiled.checks) > 90


def test_fast_path_and_pyshacl_report_the_same_results(examples_store: GraphStore) -> None:
    fast = validate(examples_store)
    reference = validate_with_pyshacl(dataset_graph(examples_store))
    assert {r.key() for r in fast.results} == {r.key() for r in reference}
    assert not fast.conforms


def test_examples_cover_every_component_and_node_shape(examples_store: GraphStore) -> None:
    results = validate(examples_store).results
    used_components = {c.component for c in compiled_shapes().checks}
    assert {r.component for r in results} == used_components
    node_shapes = {str(s) for s in shapes_graph().subjects(SH.targetClass, None)}
    assert {r.node_shape for r in results} == node_shapes


def test_valid_generated_catalogue_has_no_violations(examples_store: GraphStore) -> None:
    bad = {f"<https://example.org/bad/{n}>" for n in (
        "catalog", "dataset", "distribution", "period", "period2", "service", "org", "address",
        "scheme", "concept", "unit", "harvest-source")}
    violations = [r for r in validate(examples_store).results
                  if r.severity == "Violation" and r.focus not in bad]
    assert violations == []


def test_result_names_record_field_value_and_message(examples_store: GraphStore) -> None:
    results = validate(examples_store, focus=["<https://example.org/bad/dataset>"]).results
    spatial = [r for r in results if r.path == "<http://purl.org/dc/terms/spatial>"]
    assert len(spatial) == 1
    assert spatial[0].value == "<https://example.org/bad/atlantis>"
    assert spatial[0].severity == "Violation"
    assert "đơn vị hành chính" in spatial[0].message("vi")
    assert "administrative unit" in spatial[0].message("en")
    assert {r.focus for r in results} == {"<https://example.org/bad/dataset>"}


def test_validation_can_be_limited_to_one_graph(examples_store: GraphStore) -> None:
    from graph.namespaces import graph_iri

    report = validate(examples_store, graph=graph_iri("valid"))
    assert report.conforms
    assert all(not r.focus.startswith("<https://example.org/bad/") for r in report.results)


def test_every_shape_has_messages_in_both_languages() -> None:
    for check in compiled_shapes().checks:
        assert {lang for lang, _ in check.messages} == {"vi", "en"}, check


def test_shapes_conform_to_shacl_for_shacl() -> None:
    import pyshacl
    from pyshacl.shapes_graph import ShapesGraph  # noqa: F401 - the module ships the graph

    shacl_shacl = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"
    conforms, _, text = pyshacl.validate(shapes_graph(), shacl_graph=str(shacl_shacl))
    assert conforms, text


def test_unsupported_features_fall_back_instead_of_passing() -> None:
    graph = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ;
            sh:property [ sh:path ( <urn:a> <urn:b> ) ; sh:minCount 1 ] .
        <urn:t> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:closed true .
    """, format="turtle")
    compiled = compile_shapes(graph)
    assert compiled.checks == []
    assert {str(s) for s in compiled.fallback} == {"urn:s", "urn:t"}


def test_validating_a_few_records_gives_their_part_of_the_full_report(
        examples_store: GraphStore) -> None:
    full = validate(examples_store).results
    some = ["<https://example.org/bad/dataset>", "<https://example.org/bad/distribution>",
            "<https://data.vusta.vn/id/dataset/ds-000003>"]
    assert validate(examples_store, focus=some).results == [r for r in full if r.focus in some]


def test_a_reload_checks_what_changed_and_refuses_a_broken_record(
        examples_store: GraphStore) -> None:
    from graph.namespaces import unit_iri
    from loaders.ingest import ValidationFailedError

    provinces = [unit_iri("2025", "province", c) for c in ("01", "79")]
    triples = list(generate_catalog(20, ["vusta"], provinces))
    before = examples_store.graphs()
    title = next(t for t in triples if t.predicate.value.endswith("/title")
                 and t.object.language == "vi")
    broken = [t for t in triples if t != title]
    with pytest.raises(ValidationFailedError, match="needs a title in Vietnamese"):
        ingest(examples_store, "valid", broken, Provenance("catalog", "reload"))
    assert examples_store.graphs() == before
    done = ingest(examples_store, "valid", triples[:-1], Provenance("catalog", "reload"))
    # Only the record that lost a triple (and what links to it) was looked at again.
    changed = str(triples[-1].subject)
    assert changed.endswith("ds-000020-2>")
    assert {r.focus for r in done.report.results} <= {
        changed, "<https://data.vusta.vn/id/dataset/ds-000020>"}
    assert validate(examples_store, graph=graph_iri("valid")).count("Warning") > \
        done.report.count("Warning")
