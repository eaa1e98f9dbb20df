"""The SPARQL 1.1 Protocol query operation at `/sparql`, answered before Flask runs.

Why outside Flask: its app and request contexts, routing and hooks cost about 1.1 ms a
request, three times what the engine takes for a lookup, and 10% of a 10 ms query. Here a
query costs the parsing of its request, the conditional-GET rules and the engine's answer.
What is not a query to run (the service description, the editor's HTML table, a
misdirected update) goes on to the Flask blueprint in `web.sparql`.

Answers are streamed, capped at ``MAX_ROWS``, stopped at ``QUERY_TIMEOUT_S`` (by restarting
the engine when `kg serve` runs one, else between rows), and kept in a bounded cache keyed by
the store's change counter. SELECT and ASK answers, and CONSTRUCT/DESCRIBE ones in
N-Triples, go out as the store wrote them (``_passed_on``).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response
from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from graph.remote import QueryTimeoutError, ServerUnreachableError
from graph.results import (
    HELD_BYTES,
    HeldAnswer,
    held_answer,
    stream_solutions,
    stream_triples,
    within_line_cap,
    within_row_cap,
)
from graph.sparql_text import query_shape, remote_targets
from graph.store import GraphName, GraphStore, StoreError
from web.http_cache import AnswerCache, Cached, not_modified, request_etag, stamp
from web.negotiation import GRAPH_TYPES, choose_graph_format, choose_solution_format

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

SOLUTION_TYPES = {"json": "application/sparql-results+json",
                  "xml": "application/sparql-results+xml", "csv": "text/csv",
                  "tsv": "text/tab-separated-values"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Shorter limits would stop queries that a stale keep-alive connection made send twice
# (graph.remote.STALE_S): a query sent again is one that failed at once.
SHORTEST_LIMIT_S = 1.0


def error(status: int, message: str) -> Response:
    """A plain-text error, as SPARQL clients show it to their users."""
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


CROSS_ORIGIN_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS"),
    ("Access-Control-Allow-Headers",
     "Accept, Authorization, Content-Type, If-None-Match, If-Modified-Since"),
    ("Access-Control-Expose-Headers", "ETag, Last-Modified, Link, Location"),
    ("Access-Control-Max-Age", "86400"),
)


def allow_cross_origin(response: Response) -> Response:
    """Browser clients on other origins may read; writes still need a token."""
    # Added in one go: setting them one by one rescans the header list each time.
    if "Access-Control-Allow-Origin" not in response.headers:
        response.headers.extend(CROSS_ORIGIN_HEADERS)
    return response


def is_update(request: Request) -> bool:
    """A POST that carries an update (a form's ``update`` or an update body) rather than a
    query: `/sparql` takes both, as SPARQL clients send both to one endpoint by default."""
    return request.method == "POST" and (
        request.mimetype == "application/sparql-update"
        or (request.mimetype in FORM_TYPES and "update" in request.form))


def refused_charset(request: Request) -> Response | None:
    """415 for a body in another encoding than UTF-8, which the Protocol requires."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset in ("utf-8", "utf8"):
        return None
    return error(415, f"the body is in {charset}; SPARQL requests are UTF-8 (SPARQL 1.1 "
                 "Protocol 2.1.3, 2.2.2)")


def refused_remote_access(text: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why a query or update may not run, if it reaches hosts outside the allow-list."""
    allowed = set(allowed_hosts)
    for target in remote_targets(text):
        if "*" in allowed:
            continue
        host = urlsplit(target).hostname if target else None
        if host is None or host not in allowed:
            shown = target or "a variable"
            return (f"SERVICE and LOAD may not reach {shown}: this server only reaches the "
                    "hosts in its ALLOWED_REMOTE_HOSTS setting (server-side request forgery)")
    return None


@dataclass(frozen=True)
class QueryRequest:
    """A query to run, with the dataset it names and the parameters it came with."""

    text: str
    default: list[GraphName] | None
    named: list[NamedNode] | None
    params: MultiDict[str, str]

    @property
    def wants_table_page(self) -> bool:
        """The editor's form asks for its answer as an HTML page."""
        return self.params.get("format") == "html"


def _twice() -> Response:
    return error(400, "the query is in the body and in the URL's 'query' too: send one")


def read_query(request: Request, config: Any) -> QueryRequest | Response | None:
    """The query a request asks to run, an error response, or None when it asks no query
    (then the service description answers)."""
    params: Any
    if request.method == "POST":
        if is_update(request):
            return None
        if request.mimetype == "application/sparql-query":
            wrong_charset = refused_charset(request)
            if wrong_charset is not None:
                return wrong_charset
            if "query" in request.args:
                return _twice()
            text: str | None = request.get_data(as_text=True)
            params = request.args
        elif request.mimetype in FORM_TYPES:
            if "query" in request.args and "query" in request.form:
                return _twice()
            text, params = request.form.get("query"), request.form
        else:
            return error(415, f"unsupported Content-Type {request.mimetype!r}; send "
                         "application/sparql-query or a form")
    else:
        if "update" in request.args:
            return error(400, "an update must be sent by POST (SPARQL 1.1 Protocol 2.2)")
        text, params = request.args.get("query"), request.args
    if text is None:
        return None
    if len(params.getlist("query")) > 1:
        return error(400, "more than one 'query' parameter: send one query per request")
    if not text.strip():
        return error(400, "the 'query' parameter is empty")
    if len(text.encode("utf-8")) > config["MAX_QUERY_BYTES"]:
        return error(413, f"the query is longer than {config['MAX_QUERY_BYTES']} bytes")
    refused = refused_remote_access(text, config["ALLOWED_REMOTE_HOSTS"])
    if refused:
        return error(403, refused)
    try:
        default: list[GraphName] | None = [
            NamedNode(v) for v in params.getlist("default-graph-uri")] or None
        named = [NamedNode(v) for v in params.getlist("named-graph-uri")] or None
    except ValueError as bad:
        return error(400, f"bad graph IRI: {bad}")
    return QueryRequest(text, default, named, params)


class Watchdog:
    """Kills the query engine (which restarts) when a query outlives its limit."""

    def __init__(self, engine: Any, timeout: float) -> None:
        self._watch = (engine.watch(max(timeout, SHORTEST_LIMIT_S)) if engine is not None
                       else None)

    @property
    def fired(self) -> bool:
        return self._watch is not None and self._watch.fired

    def cancel(self) -> None:
        if self._watch is not None:
            self._watch.cancel()


class QueryOperation:
    """WSGI layer in front of the Flask app: runs `/sparql` queries, passes the rest on."""

    def __init__(self, app: Flask, inner: WsgiApp) -> None:
        self.app, self.inner = app, inner

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        if (environ.get("PATH_INFO") != "/sparql"
                or environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "POST")):
            return self.inner(environ, start_response)
        request = Request(environ)
        request.max_content_length = self.app.config["MAX_CONTENT_LENGTH"]
        try:
            # Kept, so that a request passed on to Flask can be read there again.
            body = request.get_data(cache=True) if request.method == "POST" else b""
            found = read_query(request, self.app.config)
        except HTTPException as refused:
            found = error(refused.code or 400, refused.description or refused.name)
        if found is None or (isinstance(found, QueryRequest) and found.wants_table_page):
            if request.method == "POST":
                environ["wsgi.input"] = io.BytesIO(body)
            return self.inner(environ, start_response)
        response = found if isinstance(found, Response) else answer_query(
            self.app, request, found)
        return allow_cross_origin(response)(environ, start_response)


def answer_query(app: Flask, request: Request, query: QueryRequest) -> Response:
    """Run the query and stream the answer in the negotiated format, with the store's ETag:
    a client that holds this answer already gets 304 before any work."""
    store: GraphStore = app.extensions["graph_store"]
    revision = store.revision()
    conditional = request.method in ("GET", "HEAD")
    etag = request_etag(revision, request)
    if conditional and not_modified(etag, request):
        response = Response(status=304)
        stamp(response, etag, store.changed_at())
        return response
    response = _answer(app, store, revision, request, query)
    if conditional and response.status_code == 200:
        stamp(response, etag, store.changed_at())
    return response


def _answer(app: Flask, store: GraphStore, revision: int, request: Request,
            query: QueryRequest) -> Response:
    cache: AnswerCache = app.extensions["answer_cache"]
    limit = app.config["MAX_ROWS"]
    timeout = float(app.config["QUERY_TIMEOUT_S"])
    text, default, named = query.text, query.default, query.named
    # The answer's form is known only after parsing; the chosen format is part of the key.
    solution_fmt, graph_fmt = choose_solution_format(request), choose_graph_format(request)
    key = (revision, text, tuple(default or ()), tuple(named or ()), solution_fmt, graph_fmt,
           limit)
    # A client's `Cache-Control: no-cache` asks for a fresh answer (RFC 9111 5.2.1.4), as a
    # benchmark or a client that distrusts the revision needs; `no-store` also keeps it out.
    fresh = bool(request.cache_control.no_cache or request.cache_control.no_store)
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return _respond([cached.body], cached.content_type, "hit")
    started = time.monotonic()
    engine = app.extensions.get("engine")
    watchdog = Watchdog(engine, timeout)
    passing = _passed_on(text, solution_fmt, graph_fmt, limit)
    for attempt in (1, 2):
        generation = 0
        if engine is not None:
            engine.ready()
            generation = engine.generation
        try:
            if passing is not None:
                # Read whole when small: a cut is still answerable (or run again) here.
                answer = held_answer(store.serialized_query(
                    passing.text, passing.media_type, default_graph=default,
                    named_graphs=named), passing.held_bytes)
            else:
                result = store.stream_query(text, default_graph=default, named_graphs=named)
                rows = _peek(result)
            break
        except (StoreError, SyntaxError, ValueError, RuntimeError, OSError) as bad:
            # The engine was stopped for another query past its limit while this one ran:
            # this one did nothing wrong and goes again (once; its own limit still holds).
            if (attempt == 1 and engine is not None and not watchdog.fired
                    and engine.generation != generation):
                continue
            watchdog.cancel()
            return _failed(bad, watchdog.fired, timeout)
    metrics = app.extensions.get("metrics")
    if metrics is not None:
        metrics.queries.observe(time.monotonic() - started)
    if time.monotonic() - started > timeout:
        watchdog.cancel()
        return error(503, f"query took longer than {timeout:g} s")
    deadline = started + timeout
    if passing is not None:
        content_type = passing.media_type
        body: Iterable[bytes] = passing.capped(answer, limit)
        if answer.rest is None:
            watchdog.cancel()
            whole = b"".join(body)
            if not request.cache_control.no_store:
                cache.put(key, Cached(whole, content_type))
            return _respond([whole], content_type, "miss")
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
                        content_type, "miss")
    # Also when the body is never read (HEAD, a client gone early).
    response.call_on_close(watchdog.cancel)
    return response


@dataclass(frozen=True)
class _Passing:
    """A query sent so that its answer goes out as the store writes it: its text, the format
    asked of the store, and how the answer is held to the cap."""

    text: str
    fmt: str  # a key of SOLUTION_TYPES, or "nt"
    cap_by: str | None = None  # "rows" (SPARQL results), "lines" (N-Triples) or None

    @property
    def media_type(self) -> str:
        return GRAPH_TYPES[self.fmt] if self.fmt == "nt" else SOLUTION_TYPES[self.fmt]

    @property
    def held_bytes(self) -> int:
        """How much is read before the answer goes out: as much as counting its rows needs,
        else a little (a large answer goes on as it comes, the engine still writing it)."""
        return HELD_BYTES if self.cap_by == "rows" else SMALL_ANSWER_BYTES

    def capped(self, answer: HeldAnswer, cap: int) -> Iterable[bytes]:
        if self.cap_by == "rows":
            return within_row_cap(answer, self.fmt, cap)
        if self.cap_by == "lines":
            return within_line_cap(answer, cap)
        return answer.chunks()


# Beyond this an answer whose rows need no counting goes on as it comes: its first bytes
# leave while the engine still writes, and no request holds a large answer in memory. (For
# a 0.9 MB CONSTRUCT, holding and streaming measured the same: +6-12% over the engine.)
SMALL_ANSWER_BYTES = 64 << 10


def _passed_on(text: str, solution_fmt: str | None, graph_fmt: str | None, cap: int
               ) -> _Passing | None:
    """How a query is sent for its answer to go out as the store writes it, or None when its
    rows are read and written again here.

    Why: reading and writing an answer again cost 1.3 ms for a 12 KB lookup against the
    engine's 0.5 ms, and 10% for a large one. A SELECT is sent with a LIMIT of one row over
    the cap, so that the answer says whether the cap was reached; CSV and TSV cannot say so,
    and are cut at the cap. N-Triples, a triple a line, is cut at the cap as it comes; the
    other RDF formats are written here, within the cap.
    """
    shape = query_shape(text)
    if shape.form in ("CONSTRUCT", "DESCRIBE"):
        return _Passing(text, "nt", "lines") if graph_fmt == "nt" else None
    if solution_fmt is None:
        return None
    if shape.rows_at_most(cap):
        return _Passing(text, solution_fmt)
    if solution_fmt in ("csv", "tsv"):
        limited = shape.limited_to(cap)
        return _Passing(limited, solution_fmt) if limited is not None else None
    bounded = shape.limited_to(cap + 1)
    return _Passing(bounded, solution_fmt, "rows") if bounded is not None else None


def _failed(bad: Exception, stopped: bool, timeout: float) -> Response:
    """The response to a query that failed before its answer began."""
    if stopped:
        return error(503, f"query stopped after {timeout:g} s (it ran too long)")
    if isinstance(bad, QueryTimeoutError):
        return error(503, f"query stopped after {timeout:g} s: {bad}")
    if isinstance(bad, ServerUnreachableError):
        response = error(503, f"the query engine cannot be reached: {bad}")
        response.headers["Retry-After"] = "5"
        return response
    return error(400, str(bad) if isinstance(bad, StoreError) else f"query failed: {bad}")


def _finally(body: Iterable[bytes], action: Any) -> Iterator[bytes]:
    try:
        yield from body
    finally:
        action()


def _respond(body: Iterable[bytes], content_type: str, cache: str) -> Response:
    return Response(body, headers=[("Content-Type", f"{content_type}; charset=utf-8"),
                                   ("Vary", "Accept"), ("X-Cache", cache)])


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
