"""Validation reports on the web: per source and per dataset, escaped, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from graph.store import GraphStore, Provenance
from loaders.admin_units import read_province_table
from loaders.ingest import ingest
from loaders.rdf_file import rdf_file
from web import create_app

CATALOG = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://x.org/ds/ok> a dcat:Dataset ; dct:title "Tốt"@vi ; dct:description "Mô tả"@vi ;
  dcat:distribution <https://x.org/dist/1> .
<https://x.org/dist/1> a dcat:Distribution ; dcat:accessURL <https://x.org/f.csv> ;
  dcat:mediaType <https://example.org/<script>> .
<https://x.org/ds/bad> a dcat:Dataset ; dct:title "Bad"@en ;
  dcat:keyword "<script>alert(1)</script>" .
"""


@pytest.fixture
def client(reference_store: GraphStore, tmp_path: Path) -> Iterator[FlaskClient]:
    ingest(reference_store, "admin-units", read_province_table().triples,
           Provenance("admin-units", "table"))
    path = tmp_path / "c.ttl"
    path.write_text(CATALOG.replace("<https://example.org/<script>>",
                                    "<https://example.org/x>"), encoding="utf-8")
    ingest(reference_store, "catalog", rdf_file(path), Provenance("catalog", "c.ttl"),
           quarantine=True)
    app = create_app({"TESTING": True}, store=reference_store)
    yield app.test_client()


def test_sources_page_lists_counts(client: FlaskClient) -> None:
    page = client.get("/reports?lang=en").get_data(as_text=True)
    assert "Data validation reports" in page
    assert "/reports/catalog" in page


def test_source_report_groups_by_record_and_filters_per_dataset(client: FlaskClient) -> None:
    page = client.get("/reports/catalog?lang=en").get_data(as_text=True)
    assert "https://x.org/ds/bad" in page
    assert "The dataset needs a title in Vietnamese." in page
    # The keyword without a language tag is shown as the offending value, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    one = client.get("/reports/catalog?lang=vi&record=https://x.org/ds/ok").get_data(
        as_text=True)
    assert "https://x.org/ds/bad" not in one
    assert "https://x.org/dist/1" in one          # the dataset's distribution is part of it
    assert "Kiểu phương tiện nên là IRI của IANA." in one


def test_unknown_source_is_404(client: FlaskClient) -> None:
    assert client.get("/reports/nothing").status_code == 404
    assert client.get("/reports/catalog?record=not an iri").status_code == 400


def test_language_switch_keeps_the_other_parameters(client: FlaskClient) -> None:
    page = client.get("/reports/catalog?record=https://x.org/ds/ok&lang=vi").get_data(
        as_text=True)
    assert "record=https://x.org/ds/ok" in page and "lang=en" in page
