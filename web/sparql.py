"""`/sparql` in Flask: the service description, the editor and its HTML answer table.

Queries to run are answered before Flask, by ``web.sparql_query.QueryOperation``; this view
also runs one when it is reached without that layer, with the same code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from pyoxigraph import Literal, QueryBoolean, QuerySolutions, Triple

from graph.results import stream_triples
from graph.service_description import service_description
from graph.store import StoreError
from web import get_store, writes
from web.negotiation import GRAPH_TYPES, choose_graph_format
from web.sparql_examples import EXAMPLES
from web.sparql_query import (
    QueryRequest,
    Watchdog,
    allow_cross_origin,
    answer_query,
    error,
    is_update,
    read_query,
)

bp = Blueprint("sparql", __name__)

EDITOR_ROWS = 1000


@bp.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    """The service description without a query; the editor's table for ``format=html``;
    an update sent here by POST goes where `/sparql/update` sends it."""
    if is_update(request):
        return writes.update()
    found = read_query(request, current_app.config)
    if found is None:
        return describe_service()
    if isinstance(found, Response):
        return found
    if found.wants_table_page:
        return editor_page(found)
    return answer_query(current_app, request, found)


def editor_page(query: QueryRequest) -> Response:
    """The editor with the query's answer as a table (the form's path, which needs no
    JavaScript); at most EDITOR_ROWS rows are shown, the downloads carry them all."""
    variables: list[str] | None = None
    rows: list[list[Any]] = []
    problem = None
    truncated = False
    timeout = float(current_app.config["QUERY_TIMEOUT_S"])
    watchdog = Watchdog(current_app.extensions.get("engine"), timeout)
    try:
        result = get_store().stream_query(query.text, default_graph=query.default,
                                          named_graphs=query.named)
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
    return Response(render_template("sparql/form.html", examples=EXAMPLES, text=query.text,
                                    variables=variables, rows=rows, error=problem,
                                    truncated=truncated), status=status, mimetype="text/html")


def describe_service() -> Response:
    """The SPARQL 1.1 Service Description, or a small query form for a browser."""
    fmt = choose_graph_format(request, html=True)
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
    response = Response(list(stream_triples(triples, fmt)),
                        content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
    response.vary.add("Accept")
    return response


bp.after_app_request(allow_cross_origin)
