"""`/health` and `/metrics` of a real `kg serve` (granian, its oxigraph engine) on a copy of the
demo store; the metrics are read with prometheus_client's own parser, as Prometheus reads
them, and compared with what the store itself says."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.conftest import kg_serve

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("operations")
    shutil.copytree(demo_store_path, folder / "store")
    with kg_serve(folder / "store", "--query-timeout", "1") as base:
        yield base


def samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(f"{base}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_names_store_engine_index_and_harvests(served: str) -> None:
    response = requests.get(f"{served}/health", timeout=30)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["store"]["ok"] and checks["store"]["graphs"] >= 5
    assert checks["store"]["triples"] > 10_000
    assert checks["engine"]["ok"] and checks["engine"]["pid"] > 0
    assert checks["last_harvest"]["sources_harvested"] == 0
    # A search brings the index up to the store's revision, and the health check says so.
    requests.get(f"{served}/search.json", params={"q": "dữ liệu"}, timeout=60)
    index = requests.get(f"{served}/health", timeout=30).json()["checks"]["search_index"]
    assert index["in_step"] is True
    assert index["indexed_revision"] == index["store_revision"] == checks["store"]["revision"]


def test_metrics_count_routes_time_queries_and_read_the_store(served: str) -> None:
    before = samples(served)
    client = SPARQLWrapper(f"{served}/sparql")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://data.vusta.vn/graph/"
                    "demo-catalog> { ?s ?p ?o } }")
    counted = [int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
               for _ in range(3)]
    for _ in range(2):
        assert requests.get(f"{served}/catalog", params={"page": 2}, timeout=60).ok
    assert requests.get(f"{served}/no/such/page", timeout=30).status_code == 404
    after = samples(served)
    assert value(after, "kg_http_requests_total", route="sparql.query", method="GET",
                 status="200") - value(before, "kg_http_requests_total", route="sparql.query",
                                       method="GET", status="200") == 3
    assert value(after, "kg_http_requests_total", route="unmatched", method="GET",
                 status="404") >= 1
    # Twice the same catalogue page: counted both times, though the second came from the
    # front cache, before Flask.
    assert value(after, "kg_http_requests_total", route="linked_data.catalog", method="GET",
                 status="200") - value(before, "kg_http_requests_total",
                                       route="linked_data.catalog", method="GET",
                                       status="200") == 2
    # The same query three times: the store answered once, the cache twice.
    assert value(after, "kg_sparql_query_duration_seconds_count") - value(
        before, "kg_sparql_query_duration_seconds_count") == 1
    # Both repeats (two of the query, one of the page) came from a cache.
    hits = sum(value(after, "kg_cache_hits_total", cache=c) - value(
        before, "kg_cache_hits_total", cache=c) for c in ("front", "sparql"))
    assert hits >= 3
    assert value(after, "kg_graph_triples",
                 graph="https://data.vusta.vn/graph/demo-catalog") == counted[0]
    health = requests.get(f"{served}/health", timeout=30).json()
    assert value(after, "kg_store_revision") == health["checks"]["store"]["revision"]
    buckets = [v for (name, labels), v in after.items()
               if name == "kg_http_request_duration_seconds_bucket"
               and ("route", "sparql.query") in labels]
    assert buckets and max(buckets) >= 3


def test_a_query_past_its_limit_shows_as_an_engine_restart(served: str) -> None:
    before = samples(served)
    response = requests.get(f"{served}/sparql", params={"query": RUNAWAY},
                            headers={"Cache-Control": "no-cache"}, timeout=60)
    assert response.status_code == 503
    deadline = time.monotonic() + 30
    after = samples(served)
    while value(after, "kg_engine_restarts_total") <= value(before, "kg_engine_restarts_total"):
        assert time.monotonic() < deadline, "the restart never showed in /metrics"
        time.sleep(0.2)
        after = samples(served)
    assert value(after, "kg_engine_stops_total") == value(before, "kg_engine_stops_total") + 1
    assert requests.get(f"{served}/health", timeout=30).json()["checks"]["engine"]["ok"]
