"""The SPARQL 1.1 Graph Store HTTP Protocol, by indirect identification (``/graph-store`` or
``/graph`` with ``?graph=IRI`` or ``?default``) and by direct identification (a graph under the
service's base at its own path, ``/graph/{name}``). Reads are open; writes need the token and
go through the validation gate (422 with the report).

The Graph Store's "default graph" is the source graph ``graph/default``. A ``graph`` parameter
that is a URL of this server (or relative to the request) names what a request to that URL
would name, so ``http://host/graph/x`` and ``/graph/x`` are both ``{BASE}graph/x``; an RDF
suffix on a direct path (``/graph/x.ttl``) picks the format and is not part of the name.

https://www.w3.org/TR/sparql11-http-rdf-update/
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote, urljoin

from flask import Blueprint, Response, current_app, request
from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from graph.namespaces import BASE, graph_iri
from graph.private_store import private_store
from graph.publication import holds, is_private, kept_by_service, readable_private
from graph.results import stream_triples
from graph.store import Provenance, StoreError
from loaders.errors import LoadError, OutOfScopeError
from loaders.ingest import ValidationFailedError, drop_source, graph_triples, ingest
from loaders.sparql_update import DEFAULT_SOURCE
from web import get_store
from web.auth import audit_of, request_holder, request_reader, requires_token, write_scope
from web.negotiation import GRAPH_TYPES, choose_graph_format, split_suffix
from web.sparql_query import error
from web.writes import WRITING, out_of_scope, rejected, who

bp = Blueprint("graph_store", __name__)

BODY_FORMATS = {
    "text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD, "application/rdf+xml": RdfFormat.RDF_XML,
    "application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG,
}
# Where graphs that a POST creates are named.
POSTED_PREFIX = "posted/"


class _RefusedError(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _local_name(iri: str) -> NamedNode:
    """The graph a URL of this server names (as a direct request to it would)."""
    local = request.host_url
    if iri.startswith(local + "graph/"):
        return graph_iri(split_suffix(iri[len(local) + len("graph/"):])[0])
    if iri.startswith(local):
        return NamedNode(BASE + iri[len(local):])
    return NamedNode(iri)


def _indirect() -> NamedNode | None:
    """The graph ``?graph=`` or ``?default`` names; None when neither is given."""
    value = request.args.get("graph")
    if "default" in request.args:
        if value is not None:
            raise _RefusedError(error(400, "name one graph: ?graph=IRI or ?default, not both"))
        return DEFAULT_SOURCE
    if value is None:
        return None
    try:
        return _local_name(urljoin(request.base_url, value))
    except ValueError as bad:
        raise _RefusedError(error(400, f"bad graph IRI: {bad}")) from bad


@bp.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
@bp.route("/graph", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def indirect() -> Response:
    """Indirect graph identification; a POST naming no graph creates one."""
    try:
        target = _indirect()
    except _RefusedError as refused:
        return refused.response
    if target is None:
        if request.method == "POST":
            return _write(None, created=True)
        return error(400, "name the graph: ?graph=IRI or ?default (POST without either "
                     "creates a new graph)")
    return _serve(target, None)


@bp.route("/graph/<path:name>", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def direct(name: str) -> Response:
    """Direct graph identification: ``/graph/{name}`` is the graph ``{BASE}graph/{name}``."""
    stem, fmt = split_suffix(name)
    try:
        target = graph_iri(stem)
    except ValueError as bad:
        return error(400, f"bad graph name: {bad}")
    return _serve(target, fmt)


def _serve(target: NamedNode, fmt: str | None) -> Response:
    if request.method in ("GET", "HEAD"):
        return _read(target, fmt)
    return _write(target)


def _read(target: NamedNode, suffix_format: str | None) -> Response:
    store = get_store()
    if is_private(target):
        # Only a token whose scopes read it finds it (in the private store).
        holder = request_reader()
        if holder is None or not readable_private(holder.scopes, [target]):
            return error(404, f"no graph {target.value}")
        store = private_store(store)
    if target not in {g.name for g in store.graphs()}:
        return error(404, f"no graph {target.value}")
    fmt = suffix_format or choose_graph_format(request)
    if fmt is None or fmt == "html":
        return error(406, f"graphs come as {', '.join(GRAPH_TYPES.values())}")
    headers = {"Content-Type": f"{GRAPH_TYPES[fmt]}; charset=utf-8", "Vary": "Accept"}
    if request.method == "HEAD":
        # The same status and headers as a GET (whose streamed body has no length),
        # without running the query.
        return Response(iter(()), status=200, headers=headers)
    triples = store.stream_query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
                                 .replace("?g", str(target)), named_graphs=[target])
    return Response(stream_triples(triples, fmt), headers=headers)  # type: ignore[arg-type]


def _formats_of(media: str) -> RdfFormat:
    fmt = BODY_FORMATS.get(media)
    if fmt is None:
        raise _RefusedError(error(415, f"unsupported Content-Type {media!r}; send one of "
                             f"{', '.join(BODY_FORMATS)}, or multipart/form-data of them"))
    return fmt


def _parsed(body: bytes, media: str, params: dict[str, str], base: str, what: str
            ) -> list[Triple]:
    fmt = _formats_of(media)
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise _RefusedError(error(415, f"{what} is in {charset}; send UTF-8"))
    try:
        return [q.triple for q in parse(body, fmt, base_iri=base)]
    except SyntaxError as bad:
        completed = _with_final_dot(body, fmt, base)
        if completed is not None:
            return completed
        raise _RefusedError(error(400, f"{what} is not valid {media}: {bad}")) from bad


def _with_final_dot(body: bytes, fmt: RdfFormat, base: str) -> list[Triple] | None:
    """The triples of a Turtle body that lacks only the ``.`` after its last statement, as
    hand-written bodies (and the W3C Graph Store test cases) often do; None otherwise."""
    if fmt != RdfFormat.TURTLE or body.rstrip().endswith(b"."):
        return None
    try:
        return [q.triple for q in parse(body + b"\n.\n", fmt, base_iri=base)]
    except SyntaxError:
        return None


def _incoming(target: NamedNode) -> list[Triple]:
    """The triples a PUT or POST carries: its body, or every part of a multipart form."""
    if request.mimetype == "multipart/form-data":
        parts = [part for parts in request.files.listvalues() for part in parts]
        if not parts:
            raise _RefusedError(error(400, "the multipart form has no file parts"))
        found: list[Triple] = []
        for part in parts:
            what = f"part {part.name!r}" + (f" ({part.filename})" if part.filename else "")
            found += _parsed(part.read(), part.mimetype, part.mimetype_params, target.value,
                             what)
        return found
    return _parsed(request.get_data(), request.mimetype, request.mimetype_params,
                   target.value, "the body")


@requires_token(scope="write")
def _write(target: NamedNode | None, *, created: bool = False) -> Response:
    store = get_store()
    holder = request_holder()
    scope, audit = write_scope(holder), audit_of(holder)
    if target is None:
        target = graph_iri(f"{POSTED_PREFIX}{uuid.uuid4()}")
    if kept_by_service(target):
        return error(403, f"{target.value} is kept by the service itself")
    with WRITING:
        exists = holds(store, target)
        if request.method == "DELETE":
            if not exists:
                return error(404, f"no graph {target.value}")
            try:
                drop_source(store, target, f"graph-store: DELETE by {who()}", audit, scope)
            except OutOfScopeError as refused:
                return out_of_scope(refused)
            except LoadError as bad:
                return error(500, str(bad))
            return Response(f"dropped {target.value}\n", status=200, mimetype="text/plain")
        try:
            incoming = _incoming(target)
        except _RefusedError as refused:
            return refused.response
        data: list[Any] = incoming
        if request.method == "POST" and exists:
            # POST merges: the new graph is the old one plus the body.
            data = [*graph_triples(store, target), *incoming]
        try:
            # The app's index takes the rows read while the graph is written.
            ingest(store, target.value, data,
                   Provenance("graph-store", f"Graph Store {request.method} by {who()}"),
                   graph=target, index=current_app.extensions["search_index"],
                   audit=audit, scope=scope)
        except OutOfScopeError as refused:
            return out_of_scope(refused)
        except ValidationFailedError as failure:
            return rejected(failure)
        except (LoadError, StoreError) as bad:
            return error(400, str(bad))
    if created or not exists:
        location = _location(target)
        return Response(f"created {target.value}\n", status=201, mimetype="text/plain",
                        headers={"Location": location})
    if request.method == "PUT":
        return Response(status=204)
    return Response(f"merged {len(incoming)} triples into {target.value}\n", status=200,
                    mimetype="text/plain")


def _location(target: NamedNode) -> str:
    """Where this server serves ``target``: its direct path when it lies under the base."""
    prefix = graph_iri("").value
    if target.value.startswith(prefix):
        return f"{request.host_url}graph/{target.value[len(prefix):]}"
    return f"{request.host_url}graph-store?graph={quote(target.value, safe='')}"
