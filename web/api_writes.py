"""The JSON API's writes: ``POST/PUT/PATCH/DELETE /api/v1/datasets/{org}/{name}``.

A body is a dataset in the shape the API returns (``application/json``; PATCH takes a JSON
merge patch, RFC 7396, of that shape) or the dataset as RDF (Turtle, JSON-LD, RDF/XML,
N-Triples). The dataset goes into its organisation's catalogue graph through the same gate as
every write: 422 with the report, each message in Vietnamese and English and named by the
JSON field it is about; 403 naming every record out of the token's scope. ``draft: true``
keeps it out of sight of everybody but the organisation's tokens and admins; PATCH
``{"draft": false}`` publishes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, request
from pyoxigraph import BlankNode, NamedNode, RdfFormat, Triple, parse

from graph.namespaces import DCAT
from graph.private_reads import records_as_seen
from graph.private_store import private_store
from graph.publication import catalog_graph, derived_graphs
from graph.records_json import DATASET, DISTRIBUTION, json_schema
from graph.records_write import RecordError, dataset_id, dataset_iri, dataset_triples
from graph.store import GraphStore, Provenance, StoreError, solutions
from graph.validation import ValidationReport
from loaders.errors import LoadError, OutOfScopeError
from loaders.ingest import ValidationFailedError, drop_source, graph_triples, ingest
from web import get_store
from web.api import api
from web.api_spec import Param, Write
from web.auth import (
    Holder,
    audit_of,
    request_holder,
    requires_token,
    write_scope,
)
from web.graph_store import BODY_FORMATS
from web.i18n import language
from web.writes import WRITING

bp = Blueprint("api_writes", __name__)
JSON_TYPES = ("application/json", "application/merge-patch+json")
PATH = "/api/v1/datasets/<path:id>"
ID = Param("id", "Dataset id: {organisation id}/{name} (its IRI is /id/dataset/{id})",
           where="path")
RDF_BODIES: dict[str, str | None] = {media: None for media in ("text/turtle", "application/ld+json",
                                        "application/rdf+xml", "application/n-triples")}
ERRORS = {401: "No token, or an expired one", 403: "The token may not write this: "
          "`errors` lists every record out of its scope; nothing was changed",
          422: "The dataset breaks the profile: `errors` gives each problem (field, "
          "messages in vi and en); nothing was changed", 400: "The body is not a dataset"}


def _document() -> None:
    api.schema("Dataset", json_schema(DATASET))
    api.schema("DatasetInput", json_schema(DATASET, writable=True))
    writes: tuple[tuple[str, str, dict[str, str | None], dict[int, str]], ...] = (
            ("POST", "Create a dataset", {"application/json": "DatasetInput", **RDF_BODIES},
             {201: "Created: the dataset as written", 409: "A dataset with this id exists"}),
            ("PUT", "Create or replace a dataset", {"application/json": "DatasetInput",
                                                    **RDF_BODIES},
             {200: "Replaced: the dataset as written", 201: "Created"}),
            ("PATCH", "Change some fields of a dataset (JSON merge patch)",
             {"application/merge-patch+json": "DatasetInput",
              "application/json": "DatasetInput"},
             {200: "Changed: the dataset as written", 404: "No such dataset"}),
            ("DELETE", "Remove a dataset", {}, {204: "Removed", 404: "No such dataset"}))
    for method, summary, body, answers in writes:
        api.writes.append(Write(
            PATH, method, summary, f"{summary} in its organisation's catalogue graph, "
            "validated by the profile's shapes. Needs a bearer token: admin, or "
            "publisher:<org> for the organisation of the id (or one it belongs to).",
            "datasets", f"{method.lower()}_dataset", body,
            {**answers, **{s: t for s, t in ERRORS.items() if method != "DELETE" or s < 422}},
            (ID,), "Dataset"))


_document()


@bp.route(PATH, methods=["POST", "PUT", "PATCH", "DELETE"])
@requires_token(scope="write")
def write_dataset(id: str) -> Response:
    saved = save_dataset(request_holder(), id, request.method,
                         lambda store, iri, graph: _incoming(store, id, iri, graph))
    if saved.status == 204:
        return Response(status=204)
    response = Response(json.dumps(saved.body, ensure_ascii=False), status=saved.status,
                        mimetype="application/json" if saved.status < 300
                        else "application/problem+json")
    if saved.status == 201:
        response.headers["Location"] = f"{request.host_url}api/v1/datasets/{id}"
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Saved:
    """What a write of a dataset answered: its status, and the dataset as written or the
    problem (with ``errors`` field by field)."""

    status: int
    body: dict[str, Any]


Incoming = Callable[[GraphStore, NamedNode, NamedNode], list[Triple]]


def save_dataset(holder: Holder | None, id: str, method: str, incoming: Incoming) -> Saved:
    """Create (POST), replace (PUT), change (PATCH) or remove (DELETE) the dataset ``id`` as
    ``holder``; ``incoming`` gives the new version's triples (from the store, the dataset's
    IRI and its catalogue graph). The one write of a dataset, for the API and the pages."""
    try:
        org, _ = dataset_id(id)
    except RecordError as bad:
        return _saved_problem(400, "Bad id", str(bad))
    iri, graph = dataset_iri(id), catalog_graph(org)
    store = get_store()
    with WRITING:
        current = graph_triples(store, graph)
        here = any(t.subject == iri for t in current)
        if method == "POST" and (here or _held_elsewhere(store, iri, graph)):
            return _saved_problem(409, "Exists", f"the dataset {iri.value} exists; PUT or "
                                  "PATCH changes it")
        if method in ("PATCH", "DELETE") and not here:
            return _saved_problem(404, "Not found", f"no dataset {iri.value} in {graph.value}")
        try:
            triples = [] if method == "DELETE" else incoming(store, iri, graph)
        except RecordError as bad:
            return _saved_problem(422, "Not a dataset record", str(bad), [{
                "field": bad.field, "severity": "Violation", "message": str(bad),
                "messages": {"en": str(bad)}}])
        except ValueError as bad:
            return _saved_problem(400, "Bad body", str(bad))
        data = [*_without(current, iri, keep_links=method != "DELETE"), *triples]
        scope, audit = write_scope(holder), audit_of(holder)
        name = holder.name if holder else "?"
        try:
            if data:
                ingest(store, graph.value, data, Provenance("api", f"dataset {method} by {name}"),
                       graph=graph, audit=audit, scope=scope,
                       index=current_app.extensions["search_index"])
            else:
                drop_source(store, graph, f"api: DELETE by {name}", audit, scope)
        except OutOfScopeError as out:
            return _saved_problem(403, "Out of scope", "the write changes records out of the "
                                  "token's scope; nothing was changed",
                                  [{"record": p.record, "message": p.message}
                                   for p in out.problems])
        except ValidationFailedError as failure:
            return _rejected(failure.report, iri, triples)
        except (LoadError, StoreError) as bad:
            return _saved_problem(400, "Not written", str(bad))
    if method == "DELETE":
        return Saved(204, {})
    found = records_as_seen(store, holder.scopes if holder else (), DATASET, [iri.value],
                            language())
    return Saved(200 if here else 201, found[0] if found else {"iri": iri.value})


def _incoming(store: GraphStore, id: str, iri: NamedNode, graph: NamedNode) -> list[Triple]:
    """The dataset's triples as the request's body gives them."""
    if request.mimetype in JSON_TYPES:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as bad:
            raise ValueError(f"the body is not JSON: {bad}") from bad
        if request.method == "PATCH":
            if not isinstance(body, dict):
                raise RecordError("(body)", "a merge patch is a JSON object")
            holder = request_holder()
            old = records_as_seen(store, holder.scopes if holder else (), DATASET,
                                  [iri.value], "vi")
            body = _merged(_writable(old[0]) if old else {}, body)
        return dataset_triples(body, id)
    fmt = BODY_FORMATS.get(request.mimetype)
    if fmt is None or fmt in (RdfFormat.N_QUADS, RdfFormat.TRIG):
        raise ValueError(f"unsupported Content-Type {request.mimetype!r}; send "
                         f"application/json, {', '.join(RDF_BODIES)}")
    try:
        triples = [q.triple for q in parse(request.get_data(), fmt, base_iri=iri.value)]
    except SyntaxError as bad:
        raise ValueError(f"the body is not valid {request.mimetype}: {bad}") from bad
    if not any(t.subject == iri for t in triples):
        raise RecordError("(body)", f"the body says nothing about {iri.value}")
    return triples


def _writable(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the API wrote it, as the write would take it back: empty fields left out,
    texts of no language kept under ``und``."""
    found = {k: v for k, v in record.items() if v not in (None, [], {}) and k not in ("id",)}
    if not record.get("draft"):
        found.pop("draft", None)
    return found


def _merged(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merged(merged.get(key), value)
    return merged


def _without(triples: list[Triple], iri: NamedNode, *, keep_links: bool) -> list[Triple]:
    """``triples`` less the dataset ``iri``: its statements, its parts under its IRI, the
    distributions only it lists, the blank nodes they hold (and, unless ``keep_links``, the
    links to it, such as a catalogue's ``dcat:dataset``)."""
    others = {t.object for t in triples if t.predicate == DCAT.distribution and t.subject != iri}
    gone: set[Any] = {iri}
    gone |= {t.object for t in triples if t.subject == iri and t.predicate == DCAT.distribution
             and t.object not in others}
    gone |= {t.subject for t in triples if isinstance(t.subject, NamedNode)
             and t.subject.value.startswith(iri.value + "/")}
    todo = list(gone)
    while todo:
        subject = todo.pop()
        held = [t.object for t in triples if t.subject == subject
                and isinstance(t.object, BlankNode) and t.object not in gone]
        gone.update(held)
        todo += held
    return [t for t in triples if t.subject not in gone and (keep_links or t.object != iri)]


def _held_elsewhere(store: GraphStore, iri: NamedNode, graph: NamedNode) -> bool:
    """Whether another graph, public or private, describes ``iri``."""
    own = {graph, *derived_graphs(graph.value.rsplit("/", 1)[-1])}
    return any(row["g"] not in own for source in (store, private_store(store))
               for row in solutions(source.query(
                   "SELECT DISTINCT ?g ?s { GRAPH ?g { ?s ?p ?o } }", bindings={"s": iri})))


def _rejected(report: ValidationReport, iri: NamedNode, triples: list[Triple]) -> Saved:
    """422 with every result of the report, named by the JSON field it is about."""
    distributions = [t.object.value for t in triples if t.subject == iri
                     and t.predicate == DCAT.distribution and isinstance(t.object, NamedNode)]
    lang = language()
    errors = [{"record": r.focus.strip("<>"), "field": _field(r.focus.strip("<>"),
                                                              r.path.strip("<>"), iri,
                                                              distributions),
               "severity": r.severity, "value": r.value, "message": r.message(lang),
               "messages": dict(r.messages)} for r in report.results]
    violations = report.count("Violation")
    return _saved_problem(422, "Validation failed", f"the dataset breaks {violations} rule(s) "
                          "of the profile; nothing was changed", errors)


def _field(record: str, path: str, iri: NamedNode, distributions: list[str]) -> str:
    """The JSON field of the record of the API that a result's focus and path name."""
    parts = {"/period": "", "/contact": ""}
    by_path = {str(f.path[-1]).strip("<>"): f.key for f in DATASET.fields}
    if record == iri.value:
        return next((f.key for f in DATASET.fields if str(f.path[0]).strip("<>") == path),
                    path)
    if record in distributions:
        key = next((f.key for f in DISTRIBUTION.fields if str(f.path[0]).strip("<>") == path),
                   path)
        return f"distributions[{distributions.index(record)}].{key}"
    for suffix in parts:
        if record == iri.value + suffix:
            return by_path.get(path, path)
    return path


def _saved_problem(status: int, title: str, detail: str,
                   errors: list[dict[str, Any]] | None = None) -> Saved:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Saved(status, body)

