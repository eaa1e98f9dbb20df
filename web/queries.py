"""Canned queries over HTTP: ``/api/v1/queries`` lists them, ``/api/v1/queries/<name>`` runs
one with its parameters bound (plain JSON, or CSV and every SPARQL result format through the
SPARQL endpoint's own machinery: time limit, row cap, answer cache), ``/queries`` is the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from pyoxigraph import QueryBoolean, QuerySolutions
from werkzeug.datastructures import MultiDict

from graph.canned_queries import CannedQuery, QueryError, load_queries
from web import get_store
from web.http_cache import cacheable
from web.i18n import language
from web.problems import problem
from web.sparql_query import SOLUTION_TYPES, QueryRequest, answer_query

bp = Blueprint("queries", __name__)
JSON = "application/json"
# The formats a canned query answers in: plain JSON first, then the SPARQL endpoint's.
FORMATS = (JSON, "text/csv", *(m for m in SOLUTION_TYPES.values() if m != "text/csv"))
RESERVED = {"_mediatype", "format", "lang"}


def install(app: Flask) -> None:
    """Read the shipped queries and the deployer's folder (``QUERIES_DIR``) once, at start:
    a broken file stops the service with its name and line, not the first request."""
    folder = app.config.get("QUERIES_DIR") or None
    app.extensions["canned_queries"] = load_queries(Path(folder) if folder else None)
    app.register_blueprint(bp)


def queries() -> dict[str, CannedQuery]:
    found: dict[str, CannedQuery] = current_app.extensions["canned_queries"]
    return found


def _describe(query: CannedQuery) -> dict[str, Any]:
    return {"name": query.name, "title": query.title, "description": query.description,
            "form": query.form, "url": url_for("queries.run", name=query.name, _external=True),
            "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                            "required": p.default is None, "description": p.description}
                           for p in query.params],
            "formats": list(FORMATS)}


@bp.route("/api/v1/queries")
def listing() -> Response:
    """Every canned query with its parameters."""
    unknown = sorted(set(request.args) - {"lang"})
    if unknown:
        return problem(400, "Unknown parameter",
                       f"not a parameter of this route: {', '.join(unknown)}")
    body = {"items": [_describe(q) for q in queries().values()]}
    return cacheable(Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype=JSON))


@bp.route("/api/v1/queries/<name>")
def run(name: str) -> Response:
    """One canned query, its parameters from the query string."""
    query = queries().get(name)
    if query is None:
        return problem(404, "No such query", f"no canned query {name!r}; the queries are "
                       f"{', '.join(queries())}")
    given = {k: v for k, v in request.args.items() if k not in RESERVED}
    try:
        text = query.bound(given)
    except QueryError as bad:
        return problem(400, "Bad parameter", str(bad))
    asked = request.args.get("_mediatype") or request.accept_mimetypes.best_match(
        list(FORMATS), default=JSON)
    if asked == JSON and query.form in ("SELECT", "ASK"):
        return _plain_json(query, text)
    return answer_query(current_app, request, QueryRequest(text, None, None, MultiDict()))


def _plain_json(query: CannedQuery, text: str) -> Response:
    """Rows as objects of plain strings, as a JavaScript developer expects them."""
    result = get_store().query(text)
    limit = int(current_app.config["MAX_ROWS"])
    body: dict[str, Any] = {"query": query.name}
    if isinstance(result, QueryBoolean):
        body["boolean"] = bool(result)
    elif isinstance(result, QuerySolutions):
        columns = [v.value for v in result.variables]
        items: list[dict[str, str]] = []
        for row in result:
            if len(items) == limit:
                body["truncated"] = True
                break
            items.append({c: row[c].value for c in columns if row[c] is not None})
        body.update(columns=columns, items=items)
    return cacheable(Response(json.dumps(body, ensure_ascii=False), mimetype=JSON))


@bp.route("/queries")
def page() -> Response:
    """The canned queries, each with a form."""
    return Response(render_template("pages/queries.html", queries=list(queries().values()),
                                    formats=FORMATS, lang=language()), mimetype="text/html")


def openapi_paths() -> dict[str, Any]:
    """The OpenAPI operations of the canned queries (one per query, as configured)."""
    problem_ref = {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}
    paths: dict[str, Any] = {"/api/v1/queries": {"get": {
        "operationId": "queries", "summary": "The canned queries", "tags": ["queries"],
        "parameters": [{"name": "lang", "in": "query", "required": False,
                        "description": "Language of the answer's labels",
                        "schema": {"type": "string", "enum": ["vi", "en"]}}],
        "description": "Every canned query with its parameters and formats.",
        "responses": {"200": {"description": "OK", "content": {JSON: {"schema": {
            "type": "object", "required": ["items"],
            "properties": {"items": {"type": "array", "items": {"type": "object"}}}}}}},
            "400": {"description": "An unknown parameter", "content": problem_ref}}}}}
    for query in queries().values():
        parameters = [{"name": p.name, "in": "query", "required": p.default is None,
                       "description": p.description or p.type,
                       "schema": {"type": _json_type(p.type),
                                  **({"format": "iri"} if p.type == "iri" else {}),
                                  **({"default": p.default} if p.default is not None else {})}}
                      for p in query.params]
        parameters.append({"name": "lang", "in": "query", "required": False,
                           "description": "Language of the answer's labels",
                           "schema": {"type": "string", "enum": ["vi", "en"]}})
        parameters.append({"name": "_mediatype", "in": "query", "required": False,
                           "description": "Answer format (else the Accept header)",
                           "schema": {"type": "string", "enum": list(FORMATS)}})
        paths[f"/api/v1/queries/{query.name}"] = {"get": {
            "operationId": f"query_{query.name.replace('-', '_')}",
            "summary": query.label("en"), "tags": ["queries"],
            "description": query.description.get("en", ""), "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {
                    JSON: {"schema": {"type": "object", "required": ["query"], "properties": {
                        "query": {"type": "string"},
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "items": {"type": "array", "items": {
                            "type": "object", "additionalProperties": {"type": "string"}}},
                        "boolean": {"type": "boolean"},
                        "truncated": {"type": "boolean"}}}},
                    **{m: {"schema": {"type": "string"}} for m in FORMATS if m != JSON}}},
                "400": {"description": "A parameter does not fit its type",
                        "content": problem_ref}}}}
    return paths


def _json_type(kind: str) -> str:
    return {"integer": "integer", "decimal": "number", "boolean": "boolean"}.get(kind,
                                                                                  "string")
