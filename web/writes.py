"""SPARQL 1.1 Update over HTTP, behind a bearer token and through the validation gate (422 with
the report when the data breaks it), and what every write path shares.

The update's default graph is the source graph ``graph/default``: every source lives in a named
graph of its own, and queries see them all as their default graph (``graph.update_text``).
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, request
from pyoxigraph import NamedNode

from graph.store import StoreError
from graph.update_text import UpdateDataset
from graph.validation_report import as_json, as_turtle
from loaders.errors import LoadError, OutOfScopeError
from loaders.ingest import ValidationFailedError
from loaders.sparql_update import ForbiddenGraphError, apply_update
from web import get_store
from web.auth import audit_of, request_holder, requires_token, write_scope
from web.sparql_query import FORM_TYPES, error, refused_charset, refused_remote_access

bp = Blueprint("writes", __name__)

# One write at a time: an update reads graphs, then replaces them.
WRITING = threading.Lock()


def who() -> str:
    """The name of the token holder making this request."""
    holder = request_holder()
    return holder.name if holder else "?"


def out_of_scope(refused: OutOfScopeError) -> Response:
    """403 naming every record the write would have changed out of the token's scope."""
    lines = "\n".join(f"  {p.record or p.source}: {p.message}" for p in refused.problems)
    return Response(f"refused: the write changes records out of the token's scope; nothing "
                    f"was changed\n{lines}\n", status=403, mimetype="text/plain")


def rejected(failure: ValidationFailedError) -> Response:
    """422 with the validation report, in Turtle or JSON as the client prefers."""
    if request.accept_mimetypes.best_match(["application/json", "text/turtle"]) == \
            "application/json":
        return Response(as_json(failure.report, "en", {}), status=422,
                        mimetype="application/json")
    return Response(as_turtle(failure.report), status=422, content_type="text/turtle")


def _update_text() -> str | Response:
    """The update a request carries, or the error response that says why it cannot run."""
    if request.mimetype == "application/sparql-update":
        refused = refused_charset(request)
        if refused is not None:
            return refused
        if "update" in request.args:
            return error(400, "the update is in the body and in the URL's 'update' too: "
                         "send one")
        return request.get_data(as_text=True)
    if request.mimetype in FORM_TYPES:
        texts = request.form.getlist("update")
        if len(texts) > 1:
            return error(400, "more than one 'update' parameter: send one request (its "
                         "operations separated by ';')")
        return texts[0] if texts else ""
    return error(415, f"unsupported Content-Type {request.mimetype!r}; send "
                 "application/sparql-update or a form with 'update'")


def _update_dataset() -> UpdateDataset:
    """``using-graph-uri`` and ``using-named-graph-uri`` from the URL (and a form body)."""
    sources = [request.args] + ([request.form] if request.mimetype in FORM_TYPES else [])
    default = [NamedNode(v) for s in sources for v in s.getlist("using-graph-uri")]
    named = [NamedNode(v) for s in sources for v in s.getlist("using-named-graph-uri")]
    return UpdateDataset(tuple(default), tuple(named))


@bp.route("/sparql/update", methods=["POST"])
@requires_token(scope="write")
def update() -> Response:
    """SPARQL 1.1 Update, validated before it is committed."""
    text = _update_text()
    if isinstance(text, Response):
        return text
    if not text.strip():
        return error(400, "missing 'update'")
    try:
        dataset = _update_dataset()
    except ValueError as bad:
        return error(400, f"bad graph IRI: {bad}")
    refused = refused_remote_access(text, current_app.config["ALLOWED_REMOTE_HOSTS"])
    if refused:
        return error(403, refused)
    with WRITING:
        try:
            holder = request_holder()
            done = apply_update(get_store(), text, who(), dataset,
                                scope=write_scope(holder), audit=audit_of(holder))
        except OutOfScopeError as out:
            return out_of_scope(out)
        except ValidationFailedError as failure:
            return rejected(failure)
        except ForbiddenGraphError as bad:
            return error(403, str(bad))
        except (LoadError, StoreError) as bad:
            return error(400, str(bad))
    return Response(done.summary() + "\n", status=200, mimetype="text/plain")
