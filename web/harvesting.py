"""Harvest sources over HTTP, as `kg harvest` has them: the list is open to read (as CKAN's
harvest sources are); adding, removing and running need a token.

- ``GET /harvest/sources``: every source (JSON)
- ``POST /harvest/sources``: add or replace one (a JSON object with the fields of
  ``kg harvest add``: id, title, kind, url, publisher, schedule, licence, trust_iris,
  allow_private, language); 201, or 422 with the problems
- ``DELETE /harvest/sources/{id}[?keep_graph=true]``: forget it and drop what it brought
- ``POST /harvest/sources/{id}/run``, ``POST /harvest/run``: harvest one, or every source
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from loaders.errors import LoadError
from loaders.harvest import HarvestOutcome, harvest
from loaders.harvest_sources import (
    HarvestSource,
    add_source,
    find_source,
    list_sources,
    remove_source,
)
from loaders.ingest import drop_source
from web import get_store
from web.auth import requires_token
from web.writes import WRITING, who

bp = Blueprint("harvesting", __name__)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=1), status=status,
                    content_type="application/json; charset=utf-8", headers=headers)


def _problems(error: LoadError, status: int = 422) -> Response:
    return _json({"error": "nothing was changed",
                  "problems": [{"source": p.source, "message": p.message, "line": p.line,
                                "record": p.record, "field": p.field}
                               for p in error.problems]}, status)


@bp.route("/harvest/sources", methods=["GET"])
def sources() -> Response:
    return _json([s.as_dict() for s in list_sources(get_store())])


FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str, "title": str, "kind": str, "url": str, "publisher": str, "schedule": str,
    "licence": (str, type(None)), "trust_iris": bool, "allow_private": bool, "language": str}


@bp.route("/harvest/sources", methods=["POST"])
@requires_token
def add() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json({"error": "send a JSON object with the source's fields"}, 400)
    unknown = sorted(set(body) - set(FIELDS))
    wrong = sorted(k for k, kind in FIELDS.items() if k in body and not isinstance(body[k], kind))
    missing = sorted({"id", "title", "kind", "url", "publisher"} - set(body))
    if unknown or wrong or missing:
        return _json({"error": "bad source", "unknown fields": unknown,
                      "fields of the wrong type": wrong, "missing fields": missing}, 400)
    fields = {("slug" if k == "id" else k): v for k, v in body.items()}
    source = HarvestSource(**fields)
    with WRITING:
        try:
            add_source(get_store(), source, who=f"HTTP by {who()}")
        except LoadError as bad:
            return _problems(bad)
    where = url_for("harvesting.sources", _external=True)
    return _json(source.as_dict(), 201, {"Location": f"{where}/{source.slug}"})


@bp.route("/harvest/sources/<slug>", methods=["DELETE"])
@requires_token
def remove(slug: str) -> Response:
    store = get_store()
    with WRITING:
        try:
            source = find_source(store, slug)
        except LoadError as bad:
            return _problems(bad, 404)
        remove_source(store, slug, who=f"HTTP by {who()}")
        dropped = request.args.get("keep_graph", "").lower() not in ("1", "true", "yes") and \
            source.graph in {g.name for g in store.graphs()}
        if dropped:
            drop_source(store, source.graph, agent=f"harvest remove by {who()}")
    return _json({"removed": slug, "graph dropped": source.graph.value if dropped else None})


def _outcome(outcome: HarvestOutcome) -> dict[str, Any]:
    return {**asdict(outcome), "summary": outcome.line()}


def _run(chosen: list[HarvestSource]) -> Response:
    index = current_app.extensions["search_index"]
    results: list[dict[str, Any]] = []
    failed = False
    for source in chosen:
        with WRITING:
            try:
                results.append(_outcome(harvest(get_store(), source, index=index,
                                                who=f"HTTP by {who()}")))
            except LoadError as bad:
                failed = True
                results.append({"source": source.slug, "failed": True,
                                "graph": "unchanged", "problems": [str(p) for p in
                                                                   bad.problems]})
    return _json(results, 502 if failed and len(chosen) == 1 else 200)


@bp.route("/harvest/sources/<slug>/run", methods=["POST"])
@requires_token(scope="harvest")
def run_one(slug: str) -> Response:
    try:
        source = find_source(get_store(), slug)
    except LoadError as bad:
        return _problems(bad, 404)
    return _run([source])


@bp.route("/harvest/run", methods=["POST"])
@requires_token(scope="harvest")
def run_all() -> Response:
    return _run(list_sources(get_store()))
