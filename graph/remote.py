"""A store behind a SPARQL 1.1 server (``oxigraph serve``, Fuseki, ...), spoken to over HTTP.

``HttpStore`` offers the part of pyoxigraph's ``Store`` API that the staging logic of
``EmbeddedStore`` uses (query, update, bulk load into a graph, graph listing and removal), built
on the SPARQL 1.1 Protocol and the Graph Store Protocol. ``RemoteStore`` is that logic on an
``HttpStore``: loads are staged in a hidden graph, validated, and committed by one update, as
in the embedded store. Answers are parsed by pyoxigraph, so callers get the same term types.

Why a served store at all: pyoxigraph cannot cancel a query (FACTS.md), but a process can be
stopped. ``kg serve`` therefore runs the engine as a child process on the same on-disk store
(``web.engine``) and talks to it here.
"""

from __future__ import annotations

import http.client
import io
import itertools
import select
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urlencode, urlsplit

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
)

from graph.embedded import EmbeddedStore
from graph.http_stream import StreamConnection, StreamResponse
from graph.namespaces import prologue
from graph.store import GraphName, QueryResult, StoreError

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
CHUNK = 1 << 16
# How long a request waits for a server that refuses connections: one being restarted (after
# a runaway query, on a busy machine) can take a few seconds to open its store again.
RETRY_S = 15.0
STALE_S = 0.5


class QueryTimeoutError(StoreError):
    """The server stopped a query that ran longer than its time limit."""


class ServerUnreachableError(StoreError):
    """The SPARQL server did not answer, even after retrying for a few seconds."""


@dataclass(frozen=True)
class Endpoint:
    """Where a SPARQL server takes queries, updates and Graph Store requests.

    >>> Endpoint.oxigraph("http://127.0.0.1:7878/").query_url
    'http://127.0.0.1:7878/query'
    >>> Endpoint.fuseki("http://localhost:3030", "kg").store_url
    'http://localhost:3030/kg/data'
    """

    query_url: str
    update_url: str
    store_url: str
    # The query parameter that makes the default graph the union of all graphs, if any.
    union_parameter: str | None = None

    @classmethod
    def oxigraph(cls, base: str) -> Endpoint:
        base = base.rstrip("/")
        return cls(f"{base}/query", f"{base}/update", f"{base}/store", "union-default-graph")

    @classmethod
    def fuseki(cls, base: str, dataset: str) -> Endpoint:
        base = f"{base.rstrip('/')}/{dataset}"
        return cls(f"{base}/sparql", f"{base}/update", f"{base}/data")


class _Connections(threading.local):
    """One keep-alive connection per thread and host."""

    def __init__(self) -> None:
        self.open: dict[str, StreamConnection] = {}


class _IdlePool:
    """Keep-alive connections of streamed answers that were read to the end, shared by
    threads: a streamed answer outlives the call that asked for it, so it cannot use the
    per-thread connection. A new TCP connection per query cost more than the lookup itself."""

    def __init__(self, size: int = 32) -> None:
        self._idle: list[StreamConnection] = []
        self._lock = threading.Lock()
        self._size = size

    def take(self) -> StreamConnection | None:
        """An idle connection the server has not closed meanwhile (an engine restarted after a
        runaway query closes them all), or None."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                connection = self._idle.pop()
            if connection.sock is not None and not _closed_by_peer(connection.sock):
                return connection
            connection.close()

    def give(self, connection: StreamConnection) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append(connection)
                return
        connection.close()

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle keep-alive socket with something to read has been closed (or broken) by the
    server: a server sends nothing unasked."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


class HttpStore:
    """pyoxigraph's ``Store`` API, as much of it as the staging store needs, over HTTP."""

    def __init__(self, endpoint: Endpoint, *, timeout: float = 600.0) -> None:
        self.endpoint = endpoint
        self._timeout = timeout
        self._connections = _Connections()
        self._streams = _IdlePool()

    # -- the HTTP exchange -------------------------------------------------------------------

    def _request(self, method: str, url: str, params: Iterable[tuple[str, str]] = (),
                 body: bytes | Iterable[bytes] | None = None,
                 headers: Mapping[str, str] | None = None) -> StreamResponse:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        target = parts.path + ("?" + urlencode(list(params)) if params else "")
        chunked = body is not None and not isinstance(body, bytes)
        deadline = time.monotonic() + RETRY_S
        for attempt in itertools.count(1):
            connection = self._connections.open.get(key)
            if connection is None:
                connection = StreamConnection(url, self._timeout)
                self._connections.open[key] = connection
            elif connection.sock is not None and _closed_by_peer(connection.sock):
                # Closed by the server while idle: found out now, not by a streamed body
                # that cannot be sent again.
                connection.close()
            try:
                connection.request(method, target, body, headers or {})
                return connection.getresponse()
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                connection.close()
                del self._connections.open[key]
                # A kept-alive connection may have been closed by the server, or the server
                # is restarting: retry for up to RETRY_S, but never a streamed body, which
                # cannot be sent twice.
                if chunked or time.monotonic() > deadline:
                    raise ServerUnreachableError(
                        f"cannot reach the SPARQL server at {key}: {error}") from error
                if attempt > 1:
                    time.sleep(0.1)
        raise AssertionError("unreachable")

    def _drop_connection(self, url: str) -> None:
        parts = urlsplit(url)
        connection = self._connections.open.pop(f"{parts.scheme}://{parts.netloc}", None)
        if connection is not None:
            connection.close()

    def _check(self, response: StreamResponse, what: str) -> None:
        if response.status < 300:
            return
        message = response.read().decode("utf-8", "replace").strip()
        if response.status == 400:
            raise SyntaxError(message)
        raise StoreError(f"{what} failed: HTTP {response.status}: {message}")

    # -- pyoxigraph's Store API --------------------------------------------------------------

    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None,
              substitutions: Mapping[Any, Any] | None = None,
              use_default_graph_as_union: bool = False,
              default_graph: list[Any] | None = None,
              named_graphs: list[Any] | None = None) -> QueryResult:
        text = prologue(prefixes or {}) + sparql
        if substitutions:
            # As rdflib's SPARQLStore does: a trailing VALUES block, terms written by
            # pyoxigraph (str(term) is N-Triples). Bound variables must be projected.
            names = " ".join(str(v) for v in substitutions)
            values = " ".join(str(t) for t in substitutions.values())
            text += f"\nVALUES ({names}) {{ ({values}) }}"
        params = self._dataset(use_default_graph_as_union, default_graph, named_graphs)
        response = self._request(
            "POST", self.endpoint.query_url, params, text.encode("utf-8"),
            {"Content-Type": "application/sparql-query; charset=utf-8",
             "Accept": f"{RESULTS_JSON}, {N_TRIPLES};q=0.9"})
        self._check(response, "query")
        media = (response.getheader("Content-Type") or "").split(";")[0].strip()
        # Read whole, so that a query the server stops half-way fails here and not in the
        # middle of the caller's loop. The web endpoint streams through ``stream`` instead.
        try:
            data = response.read()
            if media == N_TRIPLES:
                # A QueryTriples only comes out of a query: go through a small in-memory store.
                scratch = Store()
                scratch.extend(Quad(t.subject, t.predicate, t.object, DefaultGraph())
                               for t in parse(data, RdfFormat.N_TRIPLES))
                return scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            # A stopped query leaves a body that does not close its JSON object.
            if not data.rstrip().endswith(b"}"):
                raise SyntaxError("the answer ends before its JSON document does")
            return parse_query_results(data, QueryResultsFormat.JSON)
        except (http.client.HTTPException, OSError, SyntaxError) as error:
            self._drop_connection(self.endpoint.query_url)
            raise QueryTimeoutError("the query was stopped by the server, most likely because "
                                    "it ran longer than the time limit") from error

    def stream(self, sparql: str, *, default_graph: list[Any] | None = None,
               named_graphs: list[Any] | None = None, union: bool = False
               ) -> QueryResult | Iterator[Triple]:
        """A query answered as it comes, on a connection of its own (kept alive for the next
        stream when the answer is read to the end, closed otherwise)."""
        body = self._open_stream(sparql, self._dataset(union, default_graph, named_graphs),
                                 f"{RESULTS_JSON}, {N_TRIPLES};q=0.9")
        readable = cast("IO[bytes]", io.BufferedReader(body, CHUNK))
        if body.media_type == N_TRIPLES:
            return _closing(parse(readable, RdfFormat.N_TRIPLES), body)
        return parse_query_results(readable, QueryResultsFormat.JSON)

    def stream_bytes(self, sparql: str, media_type: str, *,
                     default_graph: list[Any] | None = None,
                     named_graphs: list[Any] | None = None, union: bool = False
                     ) -> Iterator[bytes]:
        """The server's answer in ``media_type``, its bytes as they come."""
        body = self._open_stream(sparql, self._dataset(union, default_graph, named_graphs),
                                 media_type)
        if body.media_type != media_type:
            body.close()
            raise StoreError(f"the SPARQL server answered {body.media_type!r}, "
                             f"not {media_type!r}")
        return _chunks(body)

    def _open_stream(self, sparql: str, params: list[tuple[str, str]], accept: str
                     ) -> _Guarded:
        parts = urlsplit(self.endpoint.query_url)
        target = parts.path + "?" + urlencode(params) if params else parts.path
        headers = {"Content-Type": "application/sparql-query; charset=utf-8", "Accept": accept}
        deadline = time.monotonic() + RETRY_S
        while True:
            connection = self._streams.take()
            pooled = connection is not None
            if connection is None:
                connection = StreamConnection(self.endpoint.query_url, self._timeout)
                try:
                    connection.connect()
                except OSError as error:
                    if time.monotonic() > deadline:
                        raise ServerUnreachableError(f"cannot reach the SPARQL server at "
                                                     f"{self.endpoint.query_url}: {error}"
                                                     ) from error
                    # A server being restarted (after a runaway query) is back in a moment.
                    time.sleep(0.1)
                    continue
            sent = time.monotonic()
            try:
                connection.request("POST", target, body=sparql.encode("utf-8"), headers=headers)
                response = connection.getresponse()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as error:
                connection.close()
                # A kept-alive connection the server had closed, or a server that is dying
                # (its socket takes connections and resets them), fails at once: send again.
                # A query that failed later may have been stopped for running too long (the
                # watchdog stops none before 1 s): never sent twice.
                if time.monotonic() - sent < STALE_S and time.monotonic() < deadline:
                    if not pooled:
                        time.sleep(0.05)
                    continue
                raise ServerUnreachableError(f"the SPARQL server at {self.endpoint.query_url} "
                                             f"closed the connection: {error}") from error
            except BaseException:
                connection.close()
                raise
        try:
            self._check(response, "query")
        except BaseException:
            connection.close()
            raise
        return _Guarded(response, connection, self._streams)

    def _dataset(self, union: bool, default_graph: list[Any] | None,
                 named_graphs: list[Any] | None) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if union:
            if self.endpoint.union_parameter is None:
                raise StoreError("this server cannot query the union of its graphs")
            params.append((self.endpoint.union_parameter, ""))
        params += [("default-graph-uri", g.value) for g in default_graph or []
                   if isinstance(g, NamedNode)]
        params += [("named-graph-uri", g.value) for g in named_graphs or []]
        if default_graph is not None and not any(isinstance(g, NamedNode) for g in default_graph):
            params.append(("default-graph-uri", "urn:kg:nothing"))
        return params

    def update(self, sparql: str) -> None:
        response = self._request("POST", self.endpoint.update_url, (), sparql.encode("utf-8"),
                                 {"Content-Type": "application/sparql-update; charset=utf-8"})
        self._check(response, "update")
        response.read()

    def named_graphs(self) -> Iterator[NamedNode]:
        result = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        for row in result:  # type: ignore[union-attr]
            graph = row["g"]
            if isinstance(graph, NamedNode):
                yield graph

    def quads_for_pattern(self, subject: None, predicate: None, object: None,
                          graph: NamedNode | DefaultGraph) -> Iterator[Quad]:
        """Every quad of one graph (the only pattern the staging store asks for)."""
        for triple in parse(self.dump(format=RdfFormat.N_TRIPLES, from_graph=graph),
                            RdfFormat.N_TRIPLES):
            yield Quad(triple.subject, triple.predicate, triple.object, graph)

    def dump(self, *, format: RdfFormat, from_graph: NamedNode | DefaultGraph) -> bytes:
        """One graph as N-Triples (the only dump the staging store asks for)."""
        if format != RdfFormat.N_TRIPLES:
            raise ValueError("graphs are read from the server as N-Triples")
        params = ([("default", "")] if isinstance(from_graph, DefaultGraph)
                  else [("graph", from_graph.value)])
        response = self._request("GET", self.endpoint.store_url, params,
                                 headers={"Accept": N_TRIPLES})
        if response.status == 404:
            response.read()
            return b""
        self._check(response, "reading a graph")
        return bytes(response.read())

    def bulk_extend(self, quads: Iterable[Quad]) -> None:
        """Add quads, each run of one graph's quads through one streamed Graph Store POST."""
        for graph, run in groupby(quads, key=lambda quad: quad.graph_name):
            self._post_triples(graph, (quad.triple for quad in run))

    def bulk_load(self, *, input: BinaryIO, format: RdfFormat,
                  base_iri: str | None = None, to_graph: NamedNode) -> None:
        """Parse here (so syntax errors name the line and relative IRIs resolve) and stream
        the triples to the server."""
        self._post_triples(to_graph, parse(input, format, base_iri=base_iri))

    def remove_graph(self, graph: NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def remove(self, quad: Quad) -> None:
        self.update(f"DELETE DATA {{ GRAPH {quad.graph_name} {{ {quad.triple} }} }}")

    def flush(self) -> None:
        """The server owns durability."""

    def close(self) -> None:
        self._streams.clear()
        for connection in self._connections.open.values():
            connection.close()
        self._connections.open.clear()

    def _post_triples(self, graph: NamedNode | DefaultGraph, triples: Iterable[Triple]) -> None:
        params = [("default", "")] if isinstance(graph, DefaultGraph) else [("graph", graph.value)]
        failure: list[BaseException] = []

        def body() -> Iterator[bytes]:
            buffer = io.BytesIO()
            try:
                for triple in triples:
                    buffer.write(f"{triple} .\n".encode())
                    if buffer.tell() >= CHUNK:
                        yield buffer.getvalue()
                        buffer = io.BytesIO()
            except BaseException as error:
                # Stop the upload here; the caller sees this error, not a broken pipe.
                failure.append(error)
                return
            if buffer.tell():
                yield buffer.getvalue()

        try:
            response = self._request("POST", self.endpoint.store_url, params, body(),
                                     {"Content-Type": N_TRIPLES})
        except StoreError:
            if failure:
                raise failure[0] from None
            raise
        if failure:
            response.read()
            self._drop_connection(self.endpoint.store_url)
            raise failure[0]
        self._check(response, "loading a graph")
        response.read()


class _Guarded(io.RawIOBase):
    """A streamed response body that turns a connection cut mid-stream into a timeout error.
    Read to the end, its connection goes back to the pool; closed before, it is closed."""

    def __init__(self, response: StreamResponse, connection: StreamConnection,
                 pool: _IdlePool) -> None:
        self.media_type = (response.getheader("Content-Type") or "").split(";")[0].strip()
        self._response = response
        self._connection: StreamConnection | None = connection
        self._pool = pool

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            count = self._response.readinto(buffer)
        except (http.client.HTTPException, OSError) as error:
            self.close()
            raise _stopped() from error
        if count == 0:
            self._finished()
        return count

    def pieces(self) -> Iterator[bytes]:
        """The body as it arrives (no copy into a buffer of our own)."""
        try:
            yield from self._response.pieces()
        except (http.client.HTTPException, OSError) as error:
            self.close()
            raise _stopped() from error
        self._finished()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        super().close()

    def _finished(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            if self._response.will_close:
                connection.close()
            else:
                self._pool.give(connection)


def _stopped() -> QueryTimeoutError:
    return QueryTimeoutError("the server stopped the query, most likely because it ran "
                             "longer than the time limit")


def _closing(triples: Iterator[Triple], body: _Guarded) -> Iterator[Triple]:
    try:
        yield from triples
    except SyntaxError as error:
        raise _stopped() from error
    finally:
        body.close()


def _chunks(body: _Guarded) -> Iterator[bytes]:
    try:
        yield from body.pieces()
    finally:
        body.close()


class RemoteStore(EmbeddedStore):
    """The ``GraphStore`` on a SPARQL 1.1 server: the same staging and commit as the embedded
    store, each step a request. Another process may write to the server too, so the change
    counter is read from the server on every ``revision()``, unless ``sole_writer`` says that
    every write goes through this object (``kg serve`` and its private engine): then its own
    commits keep the counter and a request's ETag costs no round trip.
    """

    def __init__(self, endpoint: Endpoint, *, timeout: float = 600.0,
                 sole_writer: bool = False) -> None:
        self.path = None
        # Staging on the server costs requests, and removing a refused source many more.
        self.checks_in_memory = True
        self.endpoint = endpoint
        self.sole_writer = sole_writer
        self._open(HttpStore(endpoint, timeout=timeout))

    def stream_query(self, sparql: str, *, default_graph: list[GraphName] | None = None,
                     named_graphs: list[NamedNode] | None = None
                     ) -> QueryResult | Iterator[Triple]:
        store: HttpStore = self._store
        try:
            return store.stream(prologue() + sparql, **self._dataset(default_graph, named_graphs))
        except SyntaxError as error:
            raise StoreError(f"SPARQL syntax error: {error}") from error

    def serialized_query(self, sparql: str, media_type: str, *,
                         default_graph: list[GraphName] | None = None,
                         named_graphs: list[NamedNode] | None = None) -> Iterator[bytes]:
        """The server's own bytes, passed through: nothing is parsed and written again."""
        store: HttpStore = self._store
        try:
            return store.stream_bytes(prologue() + sparql, media_type,
                                      **self._dataset(default_graph, named_graphs))
        except SyntaxError as error:
            raise StoreError(f"SPARQL syntax error: {error}") from error

    def _dataset(self, default_graph: list[GraphName] | None,
                 named_graphs: list[NamedNode] | None) -> dict[str, Any]:
        hidden = self._hidden
        if default_graph is None and named_graphs is None and not hidden:
            return {"union": True}
        visible = self.visible_graphs()
        return {"default_graph": [g for g in (default_graph or visible) if g not in hidden],
                "named_graphs": [g for g in (named_graphs or visible) if g not in hidden]}

    def _all_but(self, replaces: NamedNode) -> dict[str, Any]:
        # Over the protocol a dataset that names a default graph has only the named graphs
        # it lists: without them, ``GRAPH ?g`` would see nothing to copy.
        return {"default_graph": [DefaultGraph()],
                "named_graphs": [g for g in self.visible_graphs() if g != replaces]}

    def revision(self) -> int:
        if self.sole_writer:
            return self._revision
        current = self._read_revision()
        if current != self._revision:
            self._revision = current
            self._changed(bump=False)
        return current

    def close(self) -> None:
        from graph.private_store import close_private

        close_private(self)
        self._store.close()
