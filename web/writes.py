"""Writes over HTTP: SPARQL 1.1 Update and the Graph Store HTTP Protocol, both behind a bearer
token and both through the validation gate (422 with the report when the data breaks it).

The Graph Store's "default graph" is the source graph ``graph/default``: every source lives in
a named graph of its own, and queries see them all as their default graph.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Response, current_app, request
from pyoxigraph import NamedNode, RdfFormat, parse

from graph.namespaces import graph_iri
from graph.results import stream_triples
from graph.store import Provenance, StoreError
from graph.validation_report import as_json, as_turtle
from loaders.errors import LoadError
from loaders.ingest import ValidationFailedError, drop_source, ingest
from loaders.sparql_update import apply_update
from web import get_store
from web.auth import requires_token
from web.negotiation import GRAPH_TYPES, choose_graph_format
from web.sparql_query import error, refused_remote_access

bp = Blueprint("writes", __name__)

DEFAULT_SOURCE = graph_iri("default")
BODY_FORMATS = {
    "text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD, "application/rdf+xml": RdfFormat.RDF_XML,
}
# One write at a time: an update reads graphs, then replaces them.
_WRITING = threading.Lock()


def _who() -> str:
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    holder: str | None = current_app.extensions["tokens"].holder(token)
    return holder or "?"


def rejected(failure: ValidationFailedError) -> Response:
    """422 with the validation report, in Turtle or JSON as the client prefers."""
    if request.accept_mimetypes.best_match(["application/json", "text/turtle"]) == \
            "application/json":
        return Response(as_json(failure.report, "en", {}), status=422,
                        mimetype="application/json")
    return Response(as_turtle(failure.report), status=422, content_type="text/turtle")


@bp.route("/sparql/update", methods=["POST"])
@requires_token
def update() -> Response:
    """SPARQL 1.1 Update, validated before it is committed."""
    if request.mimetype == "application/sparql-update":
        text: str | None = request.get_data(as_text=True)
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        text = request.form.get("update")
    else:
        return error(415, f"unsupported Content-Type {request.mimetype!r}; send "
                     "application/sparql-update or a form with 'update'")
    if not text or not text.strip():
        return error(400, "missing 'update'")
    refused = refused_remote_access(text, current_app.config["ALLOWED_REMOTE_HOSTS"])
    if refused:
        return error(403, refused)
    with _WRITING:
        try:
            done = apply_update(get_store(), text, _who())
        except ValidationFailedError as failure:
            return rejected(failure)
        except (LoadError, StoreError) as bad:
            return error(400, str(bad))
    changed = ", ".join(f"<{d.info.name.value}> ({d.info.triples} triples)" for d in done)
    return Response(f"updated {changed or 'nothing'}\n", status=200, mimetype="text/plain")


def _target() -> NamedNode | None:
    if "default" in request.args:
        return DEFAULT_SOURCE
    value = request.args.get("graph")
    if value is None:
        return None
    return NamedNode(value)


@bp.route("/graph-store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    """The SPARQL 1.1 Graph Store HTTP Protocol with indirect graph identification."""
    try:
        target = _target()
    except ValueError as bad:
        return error(400, f"bad graph IRI: {bad}")
    if target is None:
        return error(400, "name the graph: ?graph=IRI or ?default")
    if request.method in ("GET", "HEAD"):
        return _read(target)
    return _write(target)


def _read(target: NamedNode) -> Response:
    store = get_store()
    if target not in {g.name for g in store.graphs()}:
        return error(404, f"no graph {target.value}")
    fmt = choose_graph_format(request)
    if fmt is None or fmt == "html":
        return error(406, f"graphs come as {', '.join(GRAPH_TYPES.values())}")
    triples = store.stream_query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
                                 .replace("?g", str(target)), named_graphs=[target])
    response = Response(stream_triples(triples, fmt),  # type: ignore[arg-type]
                        content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
    response.vary.add("Accept")
    return response


@requires_token
def _write(target: NamedNode) -> Response:
    store = get_store()
    who = _who()
    with _WRITING:
        exists = target in {g.name for g in store.graphs()}
        if request.method == "DELETE":
            if not exists:
                return error(404, f"no graph {target.value}")
            drop_source(store, target)
            return Response(status=204)
        media = request.mimetype
        if media not in BODY_FORMATS:
            return error(415, f"unsupported Content-Type {media!r}; send one of "
                         f"{', '.join(BODY_FORMATS)}")
        try:
            incoming = list(parse(request.get_data(), BODY_FORMATS[media],
                                  base_iri=target.value))
        except SyntaxError as bad:
            return error(400, f"the body is not valid {media}: {bad}")
        data: list[Any] = incoming
        if request.method == "POST" and exists:
            # POST merges: the new graph is the old one plus the body.
            old = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
                              .replace("?g", str(target)), named_graphs=[target])
            data = [*old, *incoming]  # type: ignore[misc]
        try:
            # The app's index takes the rows read while the graph is written.
            ingest(store, target.value, data,
                   Provenance("graph-store", f"Graph Store {request.method} by {who}"),
                   graph=target, index=current_app.extensions["search_index"])
        except ValidationFailedError as failure:
            return rejected(failure)
        except (LoadError, StoreError) as bad:
            return error(400, str(bad))
    return Response(status=201 if not exists else 204)
