"""The first load into a fresh store just works: the shipped vocabularies come in first, in
the same run, said in one line; a store holding another version of them is brought up to date."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from graph.embedded import EmbeddedStore
from graph.meta_updates import META
from graph.namespaces import graph_iri
from loaders.vocabularies import vocabulary_digest, vocabulary_names
from tests.conftest import MINI_UNITS
from web.cli import kg

CATALOG = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://x.org/catalog> a dcat:Catalog ; dct:title "Danh mục"@vi, "Catalogue"@en ;
  dct:description "Mô tả"@vi ; dct:publisher <https://x.org/org> ;
  dcat:dataset <https://x.org/ds/1> .
<https://x.org/ds/1> a dcat:Dataset ; dct:title "Số liệu"@vi, "Figures"@en ;
  dct:description "Mô tả"@vi .
"""


def vocabulary_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("vocabularies:")]


def test_admin_units_into_a_fresh_store_bring_the_vocabularies(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    first = runner.invoke(kg, ["--store", store, "load", "admin-units", str(MINI_UNITS)])
    assert first.exit_code == 0, first.output
    lines = vocabulary_lines(first.output)
    assert len(lines) == 1 and f"loaded {len(vocabulary_names())} the store lacked" in lines[0]
    assert "0 violations" in first.output
    again = runner.invoke(kg, ["--store", store, "load", "admin-units", str(MINI_UNITS)])
    assert again.exit_code == 0 and vocabulary_lines(again.output) == []


def test_an_older_vocabulary_is_replaced_by_the_shipped_one(runner: CliRunner,
                                                            tmp_path: Path) -> None:
    location = tmp_path / "s"
    runner.invoke(kg, ["--store", str(location), "load", "ontologies"], catch_exceptions=False)
    themes = graph_iri("vocab-themes")
    opened = EmbeddedStore(location)
    try:
        opened.update(f"DELETE {{ GRAPH {META} {{ {themes} <https://data.vusta.vn/def/kg#"
                      f"sourceDigest> ?d }} }} INSERT {{ GRAPH {META} {{ {themes} "
                      "<https://data.vusta.vn/def/kg#sourceDigest> \"an older file\" } } "
                      f"WHERE {{ GRAPH {META} {{ {themes} <https://data.vusta.vn/def/kg#"
                      "sourceDigest> ?d } }")
        assert next(g for g in opened.graphs() if g.name == themes).digest == "an older file"
    finally:
        opened.close()
    result = runner.invoke(kg, ["--store", str(location), "load", "admin-units", str(MINI_UNITS)])
    assert result.exit_code == 0, result.output
    assert vocabulary_lines(result.output) == [
        "vocabularies: updated 1 to the shipped version (themes)"]
    opened = EmbeddedStore(location)
    try:
        held = next(g for g in opened.graphs() if g.name == themes)
        assert held.digest == vocabulary_digest("themes") and held.triples > 10
    finally:
        opened.close()


def test_a_catalogue_into_a_fresh_store(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "catalog.ttl"
    path.write_text(CATALOG, encoding="utf-8")
    result = runner.invoke(kg, ["--store", str(tmp_path / "s"), "load", "catalog", str(path)])
    assert result.exit_code == 0, result.output
    assert len(vocabulary_lines(result.output)) == 1 and "0 violations" in result.output


def test_organisations_after_units_in_a_fresh_store(runner: CliRunner, tmp_path: Path) -> None:
    """An organisation file needs units to resolve its places: refused before anything is
    written when there are none, loaded once they are there."""
    store = str(tmp_path / "s")
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("id,name_vi,name_en,kind,province\n"
                    "vusta,Liên hiệp các Hội KH&KT Việt Nam,Vietnam Union of Science and "
                    "Technology Associations,federation,Hà Nội\n", encoding="utf-8")
    refused = runner.invoke(kg, ["--store", store, "load", "orgs", str(orgs)])
    assert refused.exit_code == 1 and "kg load admin-units" in refused.output
    assert vocabulary_lines(refused.output) == []
    runner.invoke(kg, ["--store", store, "load", "admin-units", str(MINI_UNITS)],
                  catch_exceptions=False)
    loaded = runner.invoke(kg, ["--store", store, "load", "orgs", str(orgs)])
    assert loaded.exit_code == 0, loaded.output
    assert "0 violations" in loaded.output
