"""`/sparql`: the SPARQL 1.1 Protocol query operation, and the service description.

Answers are streamed row by row, capped at ``MAX_ROWS``, stopped at ``QUERY_TIMEOUT_S`` (by the
engine when `kg serve` runs one, else between rows), and kept in a bounded cache keyed by the
store's change counter.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request, url_for
from pyoxigraph import Literal, NamedNode, QueryBoolean, QuerySolutions, Triple

from graph.remote import QueryTimeoutError, ServerUnreachableError
from graph.results import stream_solutions, stream_triples
from graph.service_description import service_description
from graph.sparql_text import query_shape, remote_targets
from graph.store import GraphName, StoreError
from web import get_store, store_revision
from web.http_cache import AnswerCache, Cached
from web.negotiation import (
    GRAPH_TYPES,
    choose_graph_format,
    choose_solution_format,
)
from web.sparql_examples import EXAMPLES

bp = Blueprint("sparql", __name__)

SOLUTION_TYPES = {"json": "application/sparql-results+json",
                  "xml": "application/sparql-results+xml", "csv": "text/csv",
                  "tsv": "text/tab-separated-values"}
GRACE_S = 1.0
EDITOR_ROWS = 1000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def error(status: int, message: str) -> Response:
    """A plain-text error, as SPARQL clients show it to their users."""
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def refused_remote_access(text: str) -> str | None:
    """Why a query or update may not run, if it reaches hosts outside the allow-list."""
    allowed = set(current_app.config["ALLOWED_REMOTE_HOSTS"])
    for target in remote_targets(text):
        if "*" in allowed:
            continue
        host = urlsplit(target).hostname if target else None
        if host is None or host not in allowed:
            shown = target or "a variable"
            return (f"SERVICE and LOAD may not reach {shown}: this server only reaches the "
                    "hosts in its ALLOWED_REMOTE_HOSTS setting (server-side request forgery)")
    return None


def _dataset(source: Any) -> tuple[list[GraphName] | None, list[NamedNode] | None]:
    default: list[GraphName] | None = [
        NamedNode(v) for v in source.getlist("default-graph-uri")] or None
    named = [NamedNode(v) for v in source.getlist("named-graph-uri")] or None
    return default, named


@bp.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    """Answer a SPARQL query over the union of the source graphs (or the dataset given)."""
    if request.method == "POST":
        if request.mimetype == "application/sparql-query":
            text: str | None = request.get_data(as_text=True)
            params: Any = request.args
        elif request.mimetype in FORM_TYPES:
            if "update" in request.form:
                return error(400, "updates go to /sparql/update")
            text, params = request.form.get("query"), request.form
        else:
            return error(415, f"unsupported Content-Type {request.mimetype!r}; send "
                         "application/sparql-query or a form")
    else:
        if "update" in request.args:
            return error(400, "updates go to /sparql/update, by POST")
        text, params = request.args.get("query"), request.args
    if text is None:
        return describe_service()
    if not text.strip():
        return error(400, "the 'query' parameter is empty")
    if len(text.encode("utf-8")) > current_app.config["MAX_QUERY_BYTES"]:
        return error(413, f"the query is longer than {current_app.config['MAX_QUERY_BYTES']} "
                     "bytes")
    refused = refused_remote_access(text)
    if refused:
        return error(403, refused)
    try:
        default, named = _dataset(params)
    except ValueError as bad:
        return error(400, f"bad graph IRI: {bad}")
    if params.get("format") == "html":
        return editor_page(text, default, named)
    return answer(text, default, named)


def answer(text: str, default: list[GraphName] | None, named: list[NamedNode] | None
           ) -> Response:
    """Run the query and stream the answer in the negotiated format."""
    store = get_store()
    cache: AnswerCache = current_app.extensions["answer_cache"]
    revision = store_revision()
    limit = current_app.config["MAX_ROWS"]
    timeout = float(current_app.config["QUERY_TIMEOUT_S"])
    # The answer's form is known only after parsing; the chosen format is part of the key.
    solution_fmt, graph_fmt = choose_solution_format(), choose_graph_format()
    key = (revision, text, tuple(default or ()), tuple(named or ()), solution_fmt, graph_fmt,
           limit)
    # A client's `Cache-Control: no-cache` asks for a fresh answer (RFC 9111 5.2.1.4), as a
    # benchmark or a client that distrusts the revision needs; `no-store` also keeps it out.
    fresh = bool(request.cache_control.no_cache or request.cache_control.no_store)
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return _respond([cached.body], cached.content_type, headers={"X-Cache": "hit"})
    started = time.monotonic()
    watchdog = _Watchdog(timeout)
    # A SELECT whose own LIMIT keeps it within the cap goes out as the store wrote it: for a
    # large answer, reading and writing it again here cost 10% over the engine's own time.
    passed = solution_fmt is not None and query_shape(text).rows_at_most(limit)
    try:
        if passed:
            rows = _peek(store.serialized_query(text, SOLUTION_TYPES[solution_fmt or "json"],
                                                default_graph=default, named_graphs=named))
        else:
            result = store.stream_query(text, default_graph=default, named_graphs=named)
            rows = _peek(result)
    except QueryTimeoutError as stopped:
        watchdog.cancel()
        return error(503, f"query stopped after {timeout:g} s: {stopped}")
    except (StoreError, SyntaxError, ValueError, RuntimeError, OSError) as bad:
        watchdog.cancel()
        if watchdog.fired:
            return error(503, f"query stopped after {timeout:g} s (it ran too long)")
        if isinstance(bad, ServerUnreachableError):
            response = error(503, f"the query engine cannot be reached: {bad}")
            response.headers["Retry-After"] = "5"
            return response
        return error(400, str(bad) if isinstance(bad, StoreError) else f"query failed: {bad}")
    if time.monotonic() - started > timeout:
        watchdog.cancel()
        return error(503, f"query took longer than {timeout:g} s")
    deadline = started + timeout
    if passed:
        content_type = SOLUTION_TYPES[solution_fmt or "json"]
        body: Iterable[bytes] = rows
    elif isinstance(result, QuerySolutions | QueryBoolean):
        fmt = solution_fmt
        if fmt is None:
            watchdog.cancel()
            return error(406, "none of the accepted media types fits SELECT/ASK results "
                         f"(offered: {', '.join(SOLUTION_TYPES.values())})")
        content_type = SOLUTION_TYPES[fmt]
        body = (
            stream_solutions(result, fmt, limit) if isinstance(result, QueryBoolean)
            else stream_solutions(_Rows(result.variables, _timed(rows, deadline)),  # type: ignore[arg-type]
                                  fmt, limit))
    else:
        fmt = graph_fmt
        if fmt is None or fmt == "html":
            watchdog.cancel()
            return error(406, "none of the accepted media types fits CONSTRUCT/DESCRIBE "
                         f"results (offered: {', '.join(GRAPH_TYPES.values())})")
        content_type = GRAPH_TYPES[fmt]
        body = stream_triples(_timed(rows, deadline), fmt, limit)
    if not request.cache_control.no_store:
        body = _caching(body, cache, key, content_type)
    response = _respond(_finally(body, watchdog.cancel),
                        content_type, headers={"X-Cache": "miss"})
    # Also when the body is never read (HEAD, a client gone early).
    response.call_on_close(watchdog.cancel)
    return response


def editor_page(text: str, default: list[GraphName] | None, named: list[NamedNode] | None
                ) -> Response:
    """The editor with the query's answer as a table (the form's path, which needs no
    JavaScript); at most EDITOR_ROWS rows are shown, the downloads carry them all."""
    variables: list[str] | None = None
    rows: list[list[Any]] = []
    problem = None
    truncated = False
    timeout = float(current_app.config["QUERY_TIMEOUT_S"])
    watchdog = _Watchdog(timeout)
    try:
        result = get_store().stream_query(text, default_graph=default, named_graphs=named)
        if isinstance(result, QueryBoolean):
            variables, rows = ["ASK"], [[Literal(str(bool(result)).lower())]]
        elif isinstance(result, QuerySolutions):
            variables = [v.value for v in result.variables]
            for row in result:
                if len(rows) == EDITOR_ROWS:
                    truncated = True
                    break
                rows.append([row[v] for v in variables])
        else:
            variables = ["subject", "predicate", "object"]
            for triple in result:
                if len(rows) == EDITOR_ROWS:
                    truncated = True
                    break
                rows.append([triple.subject, triple.predicate, triple.object])
    except (StoreError, SyntaxError, ValueError, RuntimeError, OSError) as bad:
        problem = (f"query stopped after {timeout:g} s" if watchdog.fired else str(bad))
        variables = None
    finally:
        watchdog.cancel()
    status = 400 if problem and not watchdog.fired else 503 if problem else 200
    return Response(render_template("sparql/form.html", examples=EXAMPLES, text=text,
                                    variables=variables, rows=rows, error=problem,
                                    truncated=truncated), status=status, mimetype="text/html")


class _Watchdog:
    """Kills the query engine (which restarts) when a query outlives its limit by a grace
    period; the engine's own timeout is only checked between steps of a query."""

    def __init__(self, timeout: float) -> None:
        engine = current_app.extensions.get("engine")
        self._watch = engine.watch(timeout + GRACE_S) if engine is not None else None

    @property
    def fired(self) -> bool:
        return self._watch is not None and self._watch.fired

    def cancel(self) -> None:
        if self._watch is not None:
            self._watch.cancel()


def _finally(body: Iterable[bytes], action: Any) -> Iterator[bytes]:
    try:
        yield from body
    finally:
        action()


def _respond(body: Iterable[bytes], content_type: str, headers: dict[str, str]) -> Response:
    response = Response(body, content_type=f"{content_type}; charset=utf-8")
    response.headers.update(headers)
    response.vary.add("Accept")
    return response


class _Rows:
    """Solutions with their variables, rows coming from an iterator (the first one peeked)."""

    def __init__(self, variables: list[Any], rows: Iterator[Any]) -> None:
        self.variables, self._rows = variables, rows

    def __iter__(self) -> Iterator[Any]:
        return self._rows


def _peek(result: Any) -> Iterator[Any]:
    """Compute the first row now, so that errors and timeouts come before the headers."""
    if isinstance(result, QueryBoolean):
        return iter(())
    iterator = iter(result)
    try:
        first = next(iterator)
    except StopIteration:
        return iter(())
    return chain([first], iterator)


def _timed(rows: Iterator[Any], deadline: float) -> Iterator[Any]:
    for count, row in enumerate(rows):
        if count % 1000 == 999 and time.monotonic() > deadline:
            # The status line has gone; cutting the stream is how a client learns of it.
            raise QueryTimeoutError("the answer took longer than the time limit")
        yield row


def _caching(body: Iterable[bytes], cache: AnswerCache, key: tuple[object, ...],
             content_type: str) -> Iterator[bytes]:
    kept: list[bytes] | None = []
    size = 0
    for chunk in body:
        if kept is not None:
            size += len(chunk)
            if size > cache.max_entry:
                kept = None
            else:
                kept.append(chunk)
        yield chunk
    if kept is not None:
        cache.put(key, Cached(b"".join(kept), content_type))


def describe_service() -> Response:
    """The SPARQL 1.1 Service Description, or a small query form for a browser."""
    fmt = choose_graph_format(html=True)
    if fmt == "html":
        return Response(render_template("sparql/form.html", examples=EXAMPLES,
                                        text=EXAMPLES[0][2], variables=None, rows=[],
                                        error=None), mimetype="text/html")
    if fmt is None:
        return error(406, f"the service description comes as {', '.join(GRAPH_TYPES.values())}")
    store = get_store()
    endpoint = url_for("sparql.query", _external=True)
    triples: list[Triple] = service_description(
        endpoint, url_for("writes.update", _external=True), store.graphs())
    content_type = GRAPH_TYPES[fmt]
    return _respond(list(stream_triples(triples, fmt)), content_type, headers={})


@bp.after_app_request
def allow_cross_origin(response: Response) -> Response:
    """Browser clients on other origins may read; writes still need a token."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = (
        "Accept, Authorization, Content-Type, If-None-Match, If-Modified-Since")
    response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link, Location"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response
