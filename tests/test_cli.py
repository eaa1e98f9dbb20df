"""`kg` end to end through click's runner on a real on-disk store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, Triple

from graph.private_store import private_store
from graph.store import open_store, solutions
from tests.conftest import MINI_UNITS
from web.cli import kg


def run(runner: CliRunner, store: str, *args: str) -> str:
    result = runner.invoke(kg, ["--store", store, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_with_the_official_list(runner: CliRunner, tmp_path: Path,
                                    shared_units: Path) -> None:
    result = runner.invoke(kg, ["--store", str(tmp_path / "s"), "demo",
                                "--admin-units", str(shared_units)])
    assert result.exit_code == 0, result.output
    assert "2025 commune   source   3321  loaded   3321" in result.output
    assert "pre-2025 district  source    696  loaded    696" in result.output
    assert "44 organisations" in result.output and "300 demo datasets" in result.output
    assert "ambiguous: line 2 (vusta): Phường Nguyễn Du" in result.output


def test_demo_works_without_the_official_list(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    output = run(runner, store, "demo")
    assert "2025 province  source     34  loaded     34" in output
    stats = json.loads(run(runner, store, "stats", "--json"))
    classes = {c["class"].rsplit("#", 1)[-1]: c["instances"] for c in stats["classes"]}
    assert classes["Dataset"] == 300 and classes["AdministrativeUnit"] == 97


def test_stats_json_lists_graphs_with_provenance(runner: CliRunner, demo_store: str) -> None:
    stats = json.loads(run(runner, demo_store, "stats", "--json"))
    graphs = {g["graph"].rsplit("/", 1)[1]: g for g in stats["graphs"]}
    assert graphs["admin-units"]["loader"] == "admin-units"
    assert graphs["admin-units"]["source"] == "loaders/data/provinces.csv"
    assert graphs["demo-catalog"]["triples"] > 10_000
    assert stats["triples"] == sum(g["triples"] for g in stats["graphs"])


@pytest.mark.parametrize(("fmt", "marker"), [
    ("json", '"vars"'), ("xml", "<sparql"), ("csv", "title\n\""), ("tsv", "?title\n"),
    ("table", "rows")])
def test_query_select_formats(runner: CliRunner, demo_store: str, fmt: str, marker: str) -> None:
    output = run(runner, demo_store, "query", "--format", fmt,
                 "SELECT ?title { ?d a dcat:Dataset ; dct:title ?title } LIMIT 2")
    assert marker in output


@pytest.mark.parametrize(("fmt", "marker"), [
    ("ttl", "@prefix"), ("nt", "> <"), ("jsonld", '"@id"'), ("rdfxml", "<rdf:RDF")])
def test_query_construct_formats(runner: CliRunner, demo_store: str, fmt: str,
                                 marker: str) -> None:
    output = run(runner, demo_store, "query", "--format", fmt,
                 "CONSTRUCT { ?d dct:title ?t } WHERE { ?d dct:title ?t } LIMIT 3")
    assert marker in output


def test_query_from_file_and_bad_query(runner: CliRunner, demo_store: str,
                                       tmp_path: Path) -> None:
    rq = tmp_path / "q.rq"
    rq.write_text("ASK { ?u skos:notation \"24\" }", encoding="utf-8")
    assert run(runner, demo_store, "query", f"@{rq}").strip() == "true"
    result = runner.invoke(kg, ["--store", demo_store, "query", "SELECT WHERE {"])
    assert result.exit_code == 1 and "syntax error" in result.output


def test_kg_store_environment_variable(runner: CliRunner, demo_store: str) -> None:
    result = runner.invoke(kg, ["query", "--format", "csv",
                                "SELECT (COUNT(*) AS ?n) { ?d a dcat:Dataset }"],
                           env={"KG_STORE": demo_store})
    assert result.exit_code == 0 and "300" in result.output


def test_dump_and_restore(runner: CliRunner, demo_store: str, tmp_path: Path) -> None:
    dump = tmp_path / "all.nq.gz"
    run(runner, demo_store, "dump", str(dump))
    other = str(tmp_path / "other")
    output = run(runner, other, "restore", str(dump))
    assert "quads restored" in output
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    assert run(runner, other, "query", "--format", "csv", count) == \
        run(runner, demo_store, "query", "--format", "csv", count)


def test_failed_load_exits_non_zero_and_changes_nothing(runner: CliRunner, demo_store: str,
                                                       tmp_path: Path) -> None:
    before = run(runner, demo_store, "stats", "--json")
    bad = tmp_path / "orgs.csv"
    bad.write_text("id,name_vi,kind,province\nx,X,federation,Hà Tây\n", encoding="utf-8")
    result = runner.invoke(kg, ["--store", demo_store, "load", "orgs", str(bad)])
    assert result.exit_code == 1
    assert "line 2, record 'x', field 'province': unknown province 'Hà Tây'" in result.output
    assert "store is unchanged" in result.output
    broken = tmp_path / "c.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    result = runner.invoke(kg, ["--store", demo_store, "load", "catalog", str(broken)])
    assert result.exit_code == 1 and "c.ttl" in result.output
    missing = runner.invoke(kg, ["--store", demo_store, "load", "admin-units",
                                 str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "no such file or folder" in missing.output
    assert run(runner, demo_store, "stats", "--json") == before


def test_load_catalog_into_a_named_graph(runner: CliRunner, demo_store: str,
                                         tmp_path: Path) -> None:
    ttl = tmp_path / "cat.ttl"
    ttl.write_text("@prefix dct: <http://purl.org/dc/terms/> .\n"
                   "<https://x.org/d> a <http://www.w3.org/ns/dcat#Dataset> ;\n"
                   '  dct:title "Tập thử"@vi ; dct:description "Mô tả"@vi .\n',
                   encoding="utf-8")
    run(runner, demo_store, "load", "catalog", str(ttl), "--graph", "https://x.org/g")
    output = run(runner, demo_store, "query", "--format", "csv",
                 "SELECT ?d { GRAPH <https://x.org/g> { ?d a dcat:Dataset } }")
    assert "https://x.org/d" in output


def test_load_admin_units_from_an_archive(runner: CliRunner, tmp_path: Path) -> None:
    import shutil

    archive = shutil.make_archive(str(tmp_path / "units"), "zip", MINI_UNITS)
    run(runner, str(tmp_path / "s"), "load", "ontologies")
    output = run(runner, str(tmp_path / "s"), "load", "admin-units", archive)
    assert "pre-2025 district  source      7  loaded      7" in output


def test_load_admin_units_from_a_download_url(runner: CliRunner, tmp_path: Path) -> None:
    import functools
    import http.server
    import shutil
    import threading

    shutil.make_archive(str(tmp_path / "site" / "units"), "gztar", MINI_UNITS)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "site"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/units.tar.gz"
        run(runner, str(tmp_path / "s"), "load", "ontologies")
        output = run(runner, str(tmp_path / "s"), "load", "admin-units", url)
        assert "2025 commune   source      5  loaded      5" in output
        missing = runner.invoke(kg, ["--store", str(tmp_path / "s"), "load", "admin-units",
                                     url.replace("units", "nothing")])
        assert missing.exit_code == 1 and "cannot download" in missing.output
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def test_dump_and_restore_of_the_private_store(runner: CliRunner, tmp_path: Path) -> None:
    source = str(tmp_path / "source")
    catalog = NamedNode("https://kg.vusta.org.vn/graph/catalog/a")
    draft = Triple(NamedNode("https://example.org/id/dataset/a/b"),
                   NamedNode("https://kg.vusta.org.vn/ontology#draft"), Literal("true"))
    store = open_store(source)
    try:
        private_store(store).add_service_triples(catalog, [draft])
    finally:
        store.close()
    dump = tmp_path / "private.nq"
    written = run(runner, source, "dump", "--private", str(dump)).split()[0]
    assert draft.subject.value in dump.read_text(encoding="utf-8")
    public = tmp_path / "public.nq"
    run(runner, source, "dump", str(public))
    assert draft.subject.value not in public.read_text(encoding="utf-8")
    target = str(tmp_path / "target")
    assert f"{written} quads restored" in run(runner, target, "restore", "--private", str(dump))
    the_draft = "SELECT * { GRAPH ?g { ?s ?p ?o } }"
    bound = {"s": draft.subject, "p": draft.predicate, "o": draft.object}
    store = open_store(target)
    try:
        assert list(solutions(store.query(the_draft, bindings=bound))) == []
        found = [row["g"] for row in solutions(private_store(store).query(the_draft,
                                                                           bindings=bound))]
        assert found == [catalog]
    finally:
        store.close()
