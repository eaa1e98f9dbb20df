"""`kg validate` and `kg quality` end to end, and `kg load --quarantine`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from tests.conftest import DATA
from web.cli import kg

GOOD = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
<https://x.org/ds/1> a dcat:Dataset ; dct:title "Số liệu thử"@vi, "Test figures"@en ;
  dct:description "Mô tả"@vi ;
  dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TECH> ;
  dct:spatial <https://data.vusta.vn/id/unit/2025/province/01> .
"""
BAD = GOOD.replace('"Số liệu thử"@vi, ', "").replace("province/01", "province/99")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_exit_status_0_1_2(runner: CliRunner, demo_store: str, tmp_path: Path) -> None:
    ok = runner.invoke(kg, ["--store", demo_store, "validate", str(write(tmp_path, "g.ttl", GOOD))])
    assert ok.exit_code == 0, ok.output
    assert "Hợp lệ" in ok.output
    bad = runner.invoke(kg, ["--store", demo_store, "validate", "--lang", "en",
                             str(write(tmp_path, "b.ttl", BAD))])
    assert bad.exit_code == 1
    assert "https://x.org/ds/1" in bad.output and "«Test figures»" in bad.output
    assert "[Violation] dct:title: The dataset needs a title in Vietnamese. (DatasetShape)" \
        in bad.output
    assert "[Violation] dct:spatial = <https://data.vusta.vn/id/unit/2025/province/99>" \
        in bad.output
    unreadable = runner.invoke(kg, ["--store", demo_store, "validate",
                                    str(write(tmp_path, "u.ttl", "<a> <b> ."))])
    assert unreadable.exit_code == 2 and "u.ttl" in unreadable.output
    usage = runner.invoke(kg, ["--store", demo_store, "validate", "--format", "yaml", "x.ttl"])
    assert usage.exit_code == 2


def test_validate_json_and_turtle_reports(runner: CliRunner, demo_store: str,
                                          tmp_path: Path) -> None:
    path = str(write(tmp_path, "b.ttl", BAD))
    result = runner.invoke(kg, ["--store", demo_store, "validate", "--format", "json", path])
    report = json.loads(result.output)
    assert report["conforms"] is False and report["violations"] == 2
    spatial = next(r for r in report["results"] if r["field"].endswith("spatial"))
    assert spatial["record"] == "https://x.org/ds/1"
    assert spatial["title"] == "Số liệu thử" or spatial["title"] == "Test figures"
    assert set(spatial["messages"]) == {"vi", "en"}
    result = runner.invoke(kg, ["--store", demo_store, "validate", "--format", "turtle", path])
    graph = rdflib.Graph().parse(data=result.output, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    reports = list(graph.subjects(rdflib.RDF.type, sh.ValidationReport))
    assert len(reports) == 1
    assert graph.value(reports[0], sh.conforms).toPython() is False
    assert len(list(graph.objects(reports[0], sh.result))) == len(
        json.loads(runner.invoke(kg, ["--store", demo_store, "validate", "--format", "json",
                                      path]).output)["results"])


def test_validate_writes_nothing(runner: CliRunner, demo_store: str, tmp_path: Path) -> None:
    before = runner.invoke(kg, ["--store", demo_store, "stats", "--json"]).output
    runner.invoke(kg, ["--store", demo_store, "validate", str(write(tmp_path, "g.ttl", GOOD))])
    assert runner.invoke(kg, ["--store", demo_store, "stats", "--json"]).output == before


def test_validate_without_a_store_uses_the_shipped_reference(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    result = runner.invoke(kg, ["--store", str(tmp_path / "empty"), "validate",
                                str(write(tmp_path, "g.ttl", GOOD))])
    assert result.exit_code == 0, result.output


def test_load_refuses_invalid_data_and_quarantine_keeps_it_aside(
        runner: CliRunner, demo_store: str, tmp_path: Path) -> None:
    mixed = write(tmp_path, "m.ttl", GOOD + BAD.replace("ds/1", "ds/2").split(" .\n", 1)[1])
    refused = runner.invoke(kg, ["--store", demo_store, "load", "catalog", str(mixed)])
    assert refused.exit_code == 1
    assert "record 'https://x.org/ds/2', field 'dct:title'" in refused.output
    loaded = runner.invoke(kg, ["--store", demo_store, "load", "catalog", "--quarantine",
                                str(mixed)])
    assert loaded.exit_code == 0, loaded.output
    assert "1 records failed validation" in loaded.output and "<https://x.org/ds/2>" in \
        loaded.output
    rows = runner.invoke(kg, ["--store", demo_store, "query", "--format", "csv",
                              "SELECT ?d { ?d a dcat:Dataset FILTER(STRSTARTS(STR(?d), "
                              "'https://x.org/')) }"]).output
    assert rows.split() == ["d", "https://x.org/ds/1"]


def test_quality_json_and_dqv_in_the_graph(runner: CliRunner, demo_store: str) -> None:
    result = runner.invoke(kg, ["--store", demo_store, "quality", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["maximum"]["total"] == 375
    assert len(data["datasets"]) == 300
    assert 0 < data["overall"]["total"] <= 375
    vusta = "<https://data.vusta.vn/id/catalog/vusta>"
    assert data["catalogues"][vusta]["total"] == pytest.approx(data["overall"]["total"])
    assert sum(c["points"] for c in data["checks"]) == 375 - 30   # + DCAT-AP compliance
    query = ("SELECT ?v { <https://data.vusta.vn/id/dataset/ds-000001> dqv:hasQualityMeasurement "
             "?m . ?m dqv:isMeasurementOf kg:totalScore ; dqv:value ?v }")
    rows = runner.invoke(kg, ["--store", demo_store, "query", "--format", "csv", query]).output
    first = next(d for d in data["datasets"] if d["dataset"].endswith("ds-000001"))
    assert float(rows.split()[1]) == pytest.approx(first["total"], abs=0.01)


def test_examples_directory_is_there() -> None:
    assert (DATA / "examples" / "invalid.ttl").is_file()
