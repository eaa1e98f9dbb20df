"""Operations: ``/health`` for load balancers and people, ``/metrics`` for Prometheus.

Requests are counted and timed by a WSGI layer outside everything else (the SPARQL fast path
and the front cache answer before Flask runs, so a Flask hook would miss most requests);
the figures that describe the store (revision, triples per graph, caches, the engine) are
read when Prometheus scrapes, not kept up to date on every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from graph.processes import alive
from graph.store import GraphStore
from web import get_store

bp = Blueprint("operations", __name__)
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# Seconds: from a cached answer (0.1 ms) to a query at the default time limit.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
           10.0, 30.0)
ROUTE_MEMO = 4096


class Metrics:
    """The app's own registry (not the process-wide default: tests build many apps)."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("kg_http_requests", "HTTP requests answered",
                                ("route", "method", "status"), registry=self.registry)
        self.seconds = Histogram("kg_http_request_duration_seconds",
                                 "Time to the start of the answer, by route",
                                 ("route",), buckets=BUCKETS, registry=self.registry)
        self.queries = Histogram("kg_sparql_query_duration_seconds",
                                 "SPARQL queries answered by the store (cache misses)",
                                 buckets=BUCKETS, registry=self.registry)
        self.registry.register(StoreCollector(app))
        self._routes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._adapter: MapAdapter | None = None
        self._app = app

    def route(self, path: str) -> str:
        """The endpoint a path is routed to (a label of few values, unlike the path)."""
        found = self._routes.get(path)
        if found is not None:
            return found
        if self._adapter is None:
            self._adapter = self._app.url_map.bind("localhost")
        try:
            endpoint, _ = self._adapter.match(path, method="GET")
            found = str(endpoint)
        except HTTPException:
            found = "unmatched"
        with self._lock:
            if len(self._routes) >= ROUTE_MEMO:
                self._routes.clear()
            self._routes[path] = found
        return found


class Measured:
    """The WSGI layer that counts and times every request."""

    def __init__(self, app: WsgiApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        started = time.perf_counter()
        status: list[str] = []

        def record(code: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(code.split(" ", 1)[0])
            return start_response(code, headers, *rest)

        body = self.app(environ, record)
        route = self.metrics.route(environ.get("PATH_INFO", "/"))
        self.metrics.seconds.labels(route).observe(time.perf_counter() - started)
        self.metrics.requests.labels(route, environ.get("REQUEST_METHOD", "GET"),
                                     status[0] if status else "000").inc()
        return body


class StoreCollector(Collector):
    """Figures read at scrape time: revision, triples per graph, caches, the engine."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        extensions = self.app.extensions
        store: GraphStore = extensions["graph_store"]
        yield GaugeMetricFamily("kg_store_revision", "The store's change counter",
                                value=store.revision())
        triples = GaugeMetricFamily("kg_graph_triples", "Triples per named graph",
                                    labels=("graph",))
        for info in store.graphs():
            triples.add_metric((info.name.value,), info.triples)
        yield triples
        hits = CounterMetricFamily("kg_cache_hits", "Answers served from a cache",
                                   labels=("cache",))
        misses = CounterMetricFamily("kg_cache_misses", "Answers a cache did not hold",
                                     labels=("cache",))
        for name, cache in (("sparql", extensions["answer_cache"]),
                            ("front", extensions.get("front_cache"))):
            if cache is not None:
                hits.add_metric((name,), cache.hits)
                misses.add_metric((name,), cache.misses)
        yield hits
        yield misses
        engine = extensions.get("engine")
        if engine is not None:
            status = engine.status()
            yield CounterMetricFamily("kg_engine_restarts", "Times the query engine was "
                                      "started again", value=int(status.get("restarts", 0)))
            yield CounterMetricFamily("kg_engine_stops", "Times the engine was stopped for a "
                                      "query past its time limit",
                                      value=int(status["stopped_for_time_limit"]))
        index = extensions["search_index"]
        yield GaugeMetricFamily("kg_search_index_in_step", "1 when the search index holds "
                                "the store's revision",
                                value=int(index.revision == store.revision()))


def install(app: Flask) -> None:
    """Count and time every request of ``app``; serve /metrics and /health."""
    # The *_created samples would double the exposition for a start time nobody graphs.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    metrics = Metrics(app)
    app.extensions["metrics"] = metrics
    app.wsgi_app = Measured(app.wsgi_app, metrics)  # type: ignore[method-assign]
    app.register_blueprint(bp)


@bp.route("/metrics")
def metrics() -> Response:
    """Prometheus text exposition format."""
    registry = current_app.extensions["metrics"].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Cache-Control": "no-store"})


@bp.route("/health")
def health() -> Response:
    """Whether the store answers, the engine runs, the search index is in step, and when
    the last harvest ran: 200 when the service can answer, else 503."""
    store = get_store()
    checks: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        revision = store.revision()
        graphs = store.graphs()
        store.query("ASK { ?s ?p ?o }")
        checks["store"] = {"ok": True, "revision": revision, "graphs": len(graphs),
                           "triples": sum(g.triples for g in graphs),
                           "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as failed:  # any failure of the store is the answer
        checks["store"] = {"ok": False, "error": str(failed)}
        graphs, revision = [], None
    engine = current_app.extensions.get("engine")
    if engine is not None:
        status = engine.status()
        pid = status.get("pid")
        checks["engine"] = {"ok": isinstance(pid, int) and alive(pid), **status}
    else:
        checks["engine"] = {"ok": True, "embedded": True}
    index = current_app.extensions["search_index"]
    checks["search_index"] = {"ok": True, "indexed_revision": index.revision,
                              "store_revision": revision,
                              "in_step": index.revision == revision,
                              "note": "brought up to date by the next search"}
    harvests = sorted((g for g in graphs if (g.loader or "").startswith("harvest-")
                       and g.loaded_at), key=lambda g: g.loaded_at or datetime.min)
    last = harvests[-1] if harvests else None
    checks["last_harvest"] = {"ok": True, "graph": last.name.value if last else None,
                              "at": last.loaded_at.astimezone(UTC).isoformat()
                              if last and last.loaded_at else None,
                              "sources_harvested": len(harvests)}
    healthy = checks["store"]["ok"] and checks["engine"]["ok"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks,
            "time": datetime.now(UTC).isoformat(timespec="seconds")}
    return Response(json.dumps(body, ensure_ascii=False, default=str),
                    status=200 if healthy else 503, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})
