"""The JSON API for programmers: ``/api/v1/`` lists and records, ``/openapi.json`` and its
viewer at ``/api/docs``.

Lists of datasets, organisations and places are searches of the search index (the same
filters as ``/search``: text, facets, ``place`` through the unit hierarchy, ``province`` of
today through the 2025 crosswalk), paged with the index's cursor; concepts and catalogues are
read from the graph, paged by IRI. Every answer is plain JSON (or CSV for lists) whose records
carry their IRI; it depends only on the store's revision, so it is kept in the answer cache
while the revision stands.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, request, send_from_directory, url_for
from pyoxigraph import Literal, NamedNode

from graph.private_reads import records_as_seen
from graph.records_json import (
    CATALOG,
    CONCEPT,
    DATASET,
    ORGANISATION,
    PLACE,
    Kind,
    flat,
    json_schema,
    records,
)
from graph.search_index import SearchPage
from graph.sparql_text import with_terms
from graph.store import solutions
from web import get_store
from web.api_spec import Answer, Api, Param
from web.auth import request_reader
from web.http_cache import cacheable
from web.i18n import language
from web.problems import problem
from web.queries import openapi_paths
from web.search import search_index

bp = Blueprint("api", __name__)
api = Api(bp, "1.0.0")
MAX_LIMIT = 200
JSON, CSV = "application/json", "text/csv"

LIMIT = Param("limit", "Records per page", "integer", 20, minimum=1, maximum=MAX_LIMIT)
AFTER = Param("after", "Cursor: the `next` of the previous page")
LANG = Param("lang", "Language of labels of linked records", enum=("vi", "en"))
MEDIA = Param("_mediatype", "Answer format (else the Accept header)", enum=(JSON, CSV))
Q = Param("q", "Words to search for (diacritics optional: 'ha noi' finds 'Hà Nội')")
PROVINCE = Param("province", "IRI of a province of today (2025): records in it, also when "
                 "they cite a former unit that now lies in it", repeated=True)
PLACE_FILTER = Param("place", "IRI of an administrative unit (any edition): records in it "
                     "or in a unit inside it", repeated=True)


def _fields(kind: Kind) -> Param:
    return Param("fields", "Comma-separated keys to return (`iri` is always returned); one "
                 f"of: {', '.join(kind.field_names())}")


def _facet(name: str, text: str) -> Param:
    return Param(name, text, repeated=True)


def _list_schema(kind: Kind) -> dict[str, Any]:
    item = api.schema(kind.name.capitalize(), json_schema(kind))
    return api.schema(f"{kind.name.capitalize()}List", {
        "type": "object", "required": ["items", "next"],
        "properties": {
            "total": {"type": ["integer", "null"], "description": "Records that match"},
            "items": {"type": "array", "items": item},
            "next": {"type": ["string", "null"], "description": "Cursor of the next page"},
            "next_url": {"type": ["string", "null"]},
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "properties": {"value": {"type": "string"},
                                                 "label": {"type": "string"},
                                                 "count": {"type": "integer"}}}}},
        }})


def _record_answers(kind: Kind) -> list[Answer]:
    return [Answer(JSON, api.schema(kind.name.capitalize(), json_schema(kind)))]


def _chosen_fields(kind: Kind, text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in kind.field_names()]
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}; a {kind.name} has "
                         f"{', '.join(kind.field_names())}")
    return names


def _media(asked: str | None) -> str:
    return asked or request.accept_mimetypes.best_match([JSON, CSV], default=JSON) or JSON


def _list_answer(kind: Kind, items: list[dict[str, Any]], total: int | None,
                 cursor: str | None, fields: list[str] | None, media: str | None,
                 facets: dict[str, Any] | None = None) -> Response:
    args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                            if k != "after"}
    next_url = (url_for(request.endpoint or "", **(request.view_args or {}), **args,
                        after=cursor) if cursor else None)
    if _media(media) == CSV:
        columns = list(dict.fromkeys(["id", "iri", *fields])) if fields else \
            kind.field_names()
        rows = [flat(item, columns) for item in items]
        header = list(dict.fromkeys(key for row in rows for key in row)) or columns
        out = io.StringIO()
        writer = csv.DictWriter(out, header, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        response = Response(out.getvalue(), mimetype=CSV)
    else:
        body: dict[str, Any] = {"total": total, "items": items, "next": cursor,
                                "next_url": next_url}
        if facets is not None:
            body["facets"] = facets
        response = Response(json.dumps(body, ensure_ascii=False), mimetype=JSON)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    response.vary.add("Accept")
    return cacheable(response)


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _search_list(kind: Kind, q: str | None, filters: dict[str, list[str]], after: str | None,
                 limit: int, fields: str | None, media: str | None) -> Response:
    try:
        chosen = _chosen_fields(kind, fields)
        page: SearchPage = search_index().search(
            (q or "").strip()[:500], {**{k: v for k, v in filters.items() if v},
                                      "kind": [kind.name]},
            lang=language(), cursor=after, limit=limit)
    except ValueError as bad:
        return problem(400, "Bad parameter", str(bad))
    items = records(get_store(), kind, [hit.iri for hit in page.hits], language(), chosen)
    facets = {name: [{"value": v, "label": label, "count": n} for v, label, n in values]
              for name, values in page.facets.items() if name != "kind"}
    return _list_answer(kind, items, page.total, page.next_cursor, chosen, media, facets)


def _one(kind: Kind, id: str, fields: str | None) -> Response:
    try:
        chosen = _chosen_fields(kind, fields)
        subject = NamedNode(kind.iri_prefix + id)
    except ValueError as bad:
        return problem(400, "Bad parameter", str(bad))
    store = get_store()
    # A token's holder may read records others do not (its organisation's drafts).
    holder = request_reader() if kind is DATASET else None
    if holder is not None:
        found = records_as_seen(store, holder.scopes, kind, [subject.value], language(),
                                chosen)
    else:
        typed = bool(store.query("ASK { ?s a ?type }",
                                 bindings={"s": subject, "type": kind.type}))
        found = records(store, kind, [subject.value], language(), chosen) if typed else []
    if not found:
        return problem(404, "Not found", f"no {kind.name} {subject.value}")
    response = Response(json.dumps(found[0], ensure_ascii=False), mimetype=JSON)
    if holder is not None:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    return cacheable(response)


def _publisher_iris(values: list[str]) -> list[str]:
    """Publishers by IRI or by the id of one of the registry's organisations."""
    return [v if "://" in v else ORGANISATION.iri_prefix + v for v in values]


# -- datasets ---------------------------------------------------------------------------------

@api.route("/api/v1/datasets", tag="datasets", summary="Search datasets",
           description="Datasets matching the text and every facet given (values of one "
                       "facet are alternatives), most recently modified first without text.",
           params=[Q, _facet("theme", "IRI of a data theme"),
                   _facet("field", "IRI of a field of science (OECD FOS)"),
                   _facet("publisher", "IRI or id of the publishing organisation"),
                   _facet("format", "IRI of a file type"), _facet("licence", "IRI of a licence"),
                   PROVINCE, PLACE_FILTER, _facet("year", "Year of the data (4 digits)"),
                   AFTER, LIMIT, _fields(DATASET), LANG, MEDIA],
           answers=[Answer(JSON, _list_schema(DATASET)), Answer(CSV)])
def datasets(q: str | None, theme: list[str], field: list[str], publisher: list[str],
             format: list[str], licence: list[str], province: list[str], place: list[str],
             year: list[str], after: str | None, limit: int, fields: str | None,
             lang: str | None, _mediatype: str | None) -> Response:
    filters = {"theme": theme, "field": field, "publisher": _publisher_iris(publisher),
               "format": format, "licence": licence, "province": province, "place": place,
               "year": year}
    return _search_list(DATASET, q, filters, after, limit, fields, _mediatype)


@api.route("/api/v1/datasets/<path:id>", tag="datasets", summary="One dataset",
           description="A dataset with its distributions, by id (the last part of its IRI "
                       "under /id/dataset/).",
           params=[Param("id", "Dataset id", where="path"), _fields(DATASET), LANG],
           answers=_record_answers(DATASET), errors=(400, 404),
           examples={"id": "ds-000001"})
def dataset(id: str, fields: str | None, lang: str | None) -> Response:
    return _one(DATASET, id, fields)


# -- organisations ----------------------------------------------------------------------------

@api.route("/api/v1/organisations", tag="organisations", summary="Search organisations",
           description="Organisations of the registry (associations, unions, institutes).",
           params=[Q, _facet("org_kind", "IRI of a kind of organisation"), PROVINCE,
                   PLACE_FILTER, AFTER, LIMIT, _fields(ORGANISATION), LANG, MEDIA],
           answers=[Answer(JSON, _list_schema(ORGANISATION)), Answer(CSV)])
def organisations(q: str | None, org_kind: list[str], province: list[str], place: list[str],
                  after: str | None, limit: int, fields: str | None, lang: str | None,
                  _mediatype: str | None) -> Response:
    return _search_list(ORGANISATION, q, {"org_kind": org_kind, "province": province,
                                          "place": place}, after, limit, fields, _mediatype)


@api.route("/api/v1/organisations/<path:id>", tag="organisations", summary="One organisation",
           description="An organisation by id (the last part of its IRI under /id/org/).",
           params=[Param("id", "Organisation id", where="path"), _fields(ORGANISATION), LANG],
           answers=_record_answers(ORGANISATION), errors=(400, 404),
           examples={"id": "vusta"})
def organisation(id: str, fields: str | None, lang: str | None) -> Response:
    return _one(ORGANISATION, id, fields)


# -- places -----------------------------------------------------------------------------------

@api.route("/api/v1/places", tag="places", summary="Search administrative units",
           description="Administrative units of both editions: the 34 provinces and merged "
                       "communes of 2025 and the 63 provinces, districts and communes before; "
                       "`scheme` picks one edition.",
           params=[Q, _facet("scheme", "IRI of the edition's concept scheme"),
                   _facet("unit_kind", "IRI of a kind of unit"), PROVINCE, PLACE_FILTER,
                   AFTER, LIMIT, _fields(PLACE), LANG, MEDIA],
           answers=[Answer(JSON, _list_schema(PLACE)), Answer(CSV)])
def places(q: str | None, scheme: list[str], unit_kind: list[str], province: list[str],
           place: list[str], after: str | None, limit: int, fields: str | None,
           lang: str | None, _mediatype: str | None) -> Response:
    return _search_list(PLACE, q, {"scheme": scheme, "unit_kind": unit_kind,
                                   "province": province, "place": place}, after, limit,
                        fields, _mediatype)


@api.route("/api/v1/places/<path:id>", tag="places", summary="One administrative unit",
           description="A unit by id: edition/level/GSO code, e.g. 2025/province/01.",
           params=[Param("id", "Unit id; its slashes may be sent encoded (2025%2Fprovince%2F01), "
                          "as OpenAPI path parameters are one segment", where="path"),
                    _fields(PLACE), LANG],
           answers=_record_answers(PLACE), errors=(400, 404),
           examples={"id": "2025/province/01"})
def place(id: str, fields: str | None, lang: str | None) -> Response:
    return _one(PLACE, id, fields)


# -- concepts and catalogues: read from the graph, paged by IRI ------------------------------

def _graph_list(kind: Kind, where: str, bindings: dict[str, Any], after: str | None,
                limit: int, fields: str | None, media: str | None) -> Response:
    try:
        chosen = _chosen_fields(kind, fields)
    except ValueError as bad:
        return problem(400, "Bad parameter", str(bad))
    store = get_store()
    # Terms are written in by pyoxigraph (escaped), never pasted.
    rows = solutions(store.query(with_terms(
        f"SELECT ?r WHERE {{ ?r a ?type . {where} FILTER(isIRI(?r) && STR(?r) > ?after) }} "
        f"ORDER BY STR(?r) LIMIT {limit + 1}",
        {"type": kind.type, **bindings, "after": Literal(after or "")})))
    iris = [row["r"].value for row in rows]
    more = len(iris) > limit
    iris = iris[:limit]
    items = records(store, kind, iris, language(), chosen)
    return _list_answer(kind, items, None, iris[-1] if more and iris else None, chosen, media)


@api.route("/api/v1/concepts", tag="concepts", summary="Concepts of a scheme",
           description="SKOS concepts (themes, fields of science, kinds of organisation and "
                       "unit...), of one scheme when `scheme` is given, in IRI order.",
           params=[Param("scheme", "IRI of a concept scheme"), AFTER, LIMIT, _fields(CONCEPT),
                   LANG, MEDIA],
           answers=[Answer(JSON, _list_schema(CONCEPT)), Answer(CSV)])
def concepts(scheme: str | None, after: str | None, limit: int, fields: str | None,
             lang: str | None, _mediatype: str | None) -> Response:
    if scheme:
        try:
            chosen = NamedNode(scheme)
        except ValueError:
            return problem(400, "Bad parameter", "scheme must be an absolute IRI")
        return _graph_list(CONCEPT, "?r skos:inScheme|skos:topConceptOf ?scheme",
                           {"scheme": chosen}, after, limit, fields, _mediatype)
    return _graph_list(CONCEPT, "", {}, after, limit, fields, _mediatype)


@api.route("/api/v1/concepts/<path:id>", tag="concepts", summary="One concept",
           description="A concept by id: its scheme's name and code, e.g. fos/1.1.",
           params=[Param("id", "Concept id; its slash may be sent encoded (fos%2F1)",
                         where="path"), _fields(CONCEPT), LANG],
           answers=_record_answers(CONCEPT), errors=(400, 404), examples={"id": "fos/1"})
def concept(id: str, fields: str | None, lang: str | None) -> Response:
    return _one(CONCEPT, id, fields)


@api.route("/api/v1/catalogs", tag="catalogs", summary="Catalogues",
           description="Every DCAT catalogue (the demo's, each harvested source's...).",
           params=[AFTER, LIMIT, _fields(CATALOG), LANG, MEDIA],
           answers=[Answer(JSON, _list_schema(CATALOG)), Answer(CSV)])
def catalogs(after: str | None, limit: int, fields: str | None, lang: str | None,
             _mediatype: str | None) -> Response:
    return _graph_list(CATALOG, "", {}, after, limit, fields, _mediatype)


@api.route("/api/v1/catalogs/<path:id>", tag="catalogs", summary="One catalogue",
           description="A catalogue by id (the last part of its IRI under /id/catalog/).",
           params=[Param("id", "Catalogue id", where="path"), _fields(CATALOG), LANG],
           answers=_record_answers(CATALOG), errors=(400, 404), examples={"id": "vusta"})
def catalog(id: str, fields: str | None, lang: str | None) -> Response:
    return _one(CATALOG, id, fields)


# -- the description and its viewer ------------------------------------------------------------

@bp.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document, made from the declarations above."""
    document = api.document(request.host_url.rstrip("/"))
    document["paths"].update(openapi_paths())
    return cacheable(Response(json.dumps(document, ensure_ascii=False, indent=1),
                              mimetype="application/json"))


@bp.route("/api/docs")
def docs() -> Response:
    """Swagger UI, served from the swagger-ui-bundle package (no CDN)."""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{API_DOCS_TITLE}</title>
<link rel="stylesheet" href="{url_for('api.docs_asset', name='swagger-ui.css')}"></head>
<body><div id="swagger-ui"></div>
<script src="{url_for('api.docs_asset', name='swagger-ui-bundle.js')}"></script>
<script src="{url_for('api.docs_asset', name='docs-init.js')}"></script>
</body></html>"""
    return Response(page, mimetype="text/html")


API_DOCS_TITLE = "API – VUSTA knowledge graph"
DOCS_INIT = ("window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui', "
             "deepLinking: true});\n")


@bp.route("/api/docs/assets/<name>")
def docs_asset(name: str) -> Response:
    if name == "docs-init.js":
        # Its own file, not inline: a deployer's Content-Security-Policy may forbid inline
        # script.
        return Response(DOCS_INIT, mimetype="text/javascript")
    if name not in ("swagger-ui.css", "swagger-ui-bundle.js"):
        abort(404)
    return send_from_directory(_swagger_folder(), name, max_age=86400)


def _swagger_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)
