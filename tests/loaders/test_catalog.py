"""DCAT catalogue files in every syntax, the demo generator, and messy harvested files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat, Triple, parse, serialize

from graph.namespaces import graph_iri, unit_iri
from graph.store import GraphStore, Provenance, solutions
from loaders.admin_units import read_province_table
from loaders.demo_catalog import generate_catalog
from loaders.errors import LoadError
from loaders.ingest import ValidationFailedError, ingest
from loaders.rdf_file import rdf_file

PROVINCES = [unit_iri("2025", "province", c) for c in ("01", "79", "48")]


@pytest.fixture
def units_store(reference_store: GraphStore) -> GraphStore:
    ingest(reference_store, "admin-units", read_province_table().triples,
           Provenance("admin-units", "table"))
    return reference_store


def quarantined_triples(store: GraphStore, source: str) -> list[Triple]:
    rows = solutions(store.query("SELECT ?g ?t { ?g kg:quarantinedTriples ?t }",
                                 bindings={"g": graph_iri(source)}))
    return [q.triple for row in rows for q in parse(row["t"].value, RdfFormat.N_TRIPLES)]


def datasets(store: GraphStore) -> int:
    rows = solutions(store.query("SELECT (COUNT(?d) AS ?n) { ?d a dcat:Dataset }"))
    return int(next(iter(rows))["n"].value)


@pytest.mark.parametrize(("suffix", "fmt"), [
    (".ttl", RdfFormat.TURTLE), (".nt", RdfFormat.N_TRIPLES), (".jsonld", RdfFormat.JSON_LD),
    (".rdf", RdfFormat.RDF_XML)])
def test_catalog_loads_in_every_syntax(units_store: GraphStore, tmp_path: Path, suffix: str,
                                       fmt: RdfFormat) -> None:
    store = units_store
    path = tmp_path / f"catalog{suffix}"
    with path.open("wb") as out:
        serialize(generate_catalog(25, ["vusta", "hoi-a"], PROVINCES), out, fmt)
    done = ingest(store, "catalog", rdf_file(path), Provenance("catalog", str(path)))
    assert datasets(store) == 25
    assert done.report.conforms
    assert done.info.triples == len(list(generate_catalog(25, ["vusta", "hoi-a"], PROVINCES)))


def test_generator_is_reproducible_and_bilingual() -> None:
    first = list(generate_catalog(10, ["vusta"], PROVINCES, seed=7))
    assert first == list(generate_catalog(10, ["vusta"], PROVINCES, seed=7))
    titles = [t.object for t in first if t.predicate.value.endswith("/title")]
    assert {t.language for t in titles} == {"vi", "en"}


def test_malformed_catalog_names_file_and_line(units_store: GraphStore, tmp_path: Path) -> None:
    store = units_store
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "<https://x.org/d> a dcat:Dataset .\n<https://x.org/e> a dcat:Dataset\n"
                    "<https://x.org/f> a dcat:Dataset .\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"broken\.ttl.*line 4"):
        ingest(store, "catalog", rdf_file(path), Provenance("catalog", str(path)))
    assert datasets(store) == 0


def test_unknown_extension_asks_for_syntax(tmp_path: Path) -> None:
    path = tmp_path / "catalog.data"
    path.write_text("", encoding="utf-8")
    with pytest.raises(LoadError, match="--syntax"):
        rdf_file(path)


def test_real_harvested_catalogues_are_refused_then_quarantined(
        units_store: GraphStore, shared_dcat: Path) -> None:
    store = units_store
    before = store.graphs()
    with pytest.raises(ValidationFailedError) as raised:
        ingest(store, "harvest-uniupo", rdf_file(shared_dcat / "uniupo-catalog.rdf"),
               Provenance("catalog", "uniupo-catalog.rdf"))
    # No language tags: no Vietnamese title anywhere, and each record is named.
    assert "needs a title in Vietnamese" in str(raised.value)
    assert store.graphs() == before
    for name, expected in (("uniupo-catalog.rdf", 18), ("unite-teramo-catalog.rdf", 11)):
        source = f"harvest-{name[:-4]}"
        done = ingest(store, source, rdf_file(shared_dcat / name), Provenance("catalog", name),
                      quarantine=True)
        assert done.quarantined and done.info.triples < 700
        kept = quarantined_triples(store, source)
        assert len({t.subject for t in kept
                    if t.predicate.value.endswith("#type")
                    and t.object.value == "http://www.w3.org/ns/dcat#Dataset"}) == expected
    # Quarantined records stay out of the data; relative IRIs were resolved.
    assert datasets(store) == 0
    publishers = {t.object.value for t in quarantined_triples(store, "harvest-uniupo-catalog")
                  if t.predicate.value == "http://purl.org/dc/terms/publisher"}
    assert (shared_dcat / "uni_por").resolve().as_uri() in publishers


def test_quarantine_keeps_valid_records_and_sets_aside_the_rest(
        units_store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.ttl"
    with path.open("wb") as out:
        serialize(generate_catalog(5, ["vusta"], PROVINCES), out, RdfFormat.TURTLE)
    with path.open("a", encoding="utf-8") as out:
        out.write("<https://x.org/bad> a <http://www.w3.org/ns/dcat#Dataset> ; "
                  "<http://purl.org/dc/terms/title> \"no language\" .\n")
    done = ingest(units_store, "catalog", rdf_file(path), Provenance("catalog", str(path)),
                  quarantine=True)
    assert done.quarantined == ["<https://x.org/bad>"]
    assert datasets(units_store) == 5
    assert {t.subject.value for t in quarantined_triples(units_store, "catalog")} == {
        "https://x.org/bad"}
    records = solutions(units_store.query(
        "SELECT ?r { ?g kg:quarantinedRecord ?r }"))
    assert [r["r"].value for r in records] == ["https://x.org/bad"]
    # Reloading clean data empties the quarantine.
    clean = tmp_path / "clean.ttl"
    with clean.open("wb") as out:
        serialize(generate_catalog(5, ["vusta"], PROVINCES), out, RdfFormat.TURTLE)
    ingest(units_store, "catalog", rdf_file(clean), Provenance("catalog", str(clean)))
    assert quarantined_triples(units_store, "catalog") == []
