"""``/reconcile``: the W3C Reconciliation Service API (version 0.2, as OpenRefine speaks it)
over organisations, administrative units of both editions and concepts.

OpenRefine reads the manifest at ``/reconcile``, posts batches of queries as a form field
``queries`` (JSON), shows candidates with ``/reconcile/preview``, completes names with the
suggest services and fetches columns (GSO code, unit of today, parent...) with ``extend``.
Identifiers are the records' IRIs, so ``view`` is the IRI itself. Names are matched by
``graph.reconcile_index``; this module only reads requests and writes the protocol's JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from markupsafe import Markup

from graph.namespaces import BASE, KG, ORG, SKOS
from graph.reconcile_index import (
    KINDS,
    TYPE_KINDS,
    UNIT_KINDS,
    Candidate,
    Entity,
    Query,
    ReconcileIndex,
    ReconcileIndexCache,
)
from graph.text import fold
from web import get_store
from web.http_cache import cacheable
from web.i18n import language
from web.problems import problem
from web.sparql_query import allow_cross_origin

bp = Blueprint("reconcile", __name__)
MAX_QUERIES, MAX_LIMIT, DEFAULT_LIMIT = 1000, 100, 5
CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")

TYPES: dict[str, tuple[str, str]] = {
    "organisation": ("Tổ chức", "Organisation"),
    "place": ("Đơn vị hành chính", "Administrative unit"),
    "province": ("Tỉnh, thành phố", "Province or city"),
    "district": ("Quận, huyện (trước 2025)", "District (before 2025)"),
    "commune": ("Xã, phường, đặc khu", "Commune, ward or special zone"),
    "concept": ("Khái niệm (từ vựng)", "Concept (vocabulary)"),
}
# Class IRIs a client may give as a type, for the types they mean.
TYPE_ALIASES = {ORG.FormalOrganization.value: "organisation",
                KG.AdministrativeUnit.value: "place", SKOS.Concept.value: "concept"}
DEFAULT_TYPES = ("organisation", "place", "province", "commune", "concept")


class Extension:
    """A property that data extension can fetch: its names and how to read it."""

    def __init__(self, pid: str, vi: str, en: str, kinds: Sequence[str],
                 read: Callable[[ReconcileIndex, Entity], list[dict[str, Any]]]) -> None:
        self.pid, self.vi, self.en, self.kinds, self.read = pid, vi, en, tuple(kinds), read

    def name(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


def _ref(entity: Entity | None) -> list[dict[str, Any]]:
    return [{"id": entity.iri, "name": entity.name}] if entity else []


def _text(value: str) -> list[dict[str, Any]]:
    return [{"str": value}] if value else []


def _provinces_today(index: ReconcileIndex, entity: Entity) -> list[dict[str, Any]]:
    found = [index.get(iri) for iri in sorted(index.provinces(entity))]
    return [ref for e in found if e and not e.former for ref in _ref(e)]


EXTENSIONS = (
    Extension("code", "Mã (mã GSO, mã định danh, ký hiệu)",
              "Code (GSO code, identifier or notation)", KINDS,
              lambda _, e: _text(e.code)),
    Extension("name_en", "Tên tiếng Anh", "English name", KINDS,
              lambda _, e: _text(e.name_en)),
    Extension("level", "Cấp", "Level", UNIT_KINDS, lambda _, e: _text(e.kind)),
    Extension("edition", "Bộ đơn vị (2025 hay trước 2025)", "Edition (2025 or before 2025)",
              UNIT_KINDS, lambda _, e: _text(e.edition)),
    Extension("valid_until", "Hiệu lực đến", "Valid until", UNIT_KINDS,
              lambda _, e: [{"date": f"{e.until}T00:00:00Z"}] if e.until else []),
    Extension("parent", "Trực thuộc", "Parent", (*UNIT_KINDS, "organisation"),
              lambda index, e: _ref(index.get(e.parent))),
    Extension("current", "Đơn vị hiện nay (sau 1/7/2025)", "Unit of today (after 1 July 2025)",
              (*UNIT_KINDS, "organisation"),
              lambda index, e: [r for unit in index.current(e) for r in _ref(unit)]),
    Extension("province", "Tỉnh, thành phố hiện nay", "Province of today",
              (*UNIT_KINDS, "organisation"), _provinces_today),
    Extension("acronym", "Tên viết tắt", "Acronym", ("organisation",),
              lambda _, e: _text(e.acronym)),
    Extension("kind", "Loại tổ chức", "Kind of organisation", ("organisation",),
              lambda index, e: _ref(index.get(e.org_kind))),
    Extension("scheme", "Bộ từ vựng", "Concept scheme", ("concept",),
              lambda _, e: [{"id": e.scheme, "name": e.scheme_name or e.scheme}]
              if e.scheme else []),
    Extension("broader", "Khái niệm rộng hơn", "Broader concepts", ("concept",),
              lambda index, e: [r for iri in e.broader for r in _ref(index.get(iri))]),
)
BY_PID = {x.pid: x for x in EXTENSIONS}


class RequestError(Exception):
    pass


def reconcile_index() -> ReconcileIndex:
    cache: ReconcileIndexCache = current_app.extensions["reconcile_index"]
    return cache.get(get_store())


@bp.after_request
def _cross_origin(response: Response) -> Response:
    return allow_cross_origin(response)


@bp.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    """The manifest, or the answers to ``queries``/``query``, or a data extension."""
    values = request.values
    if "extend" in values:
        return _answer(lambda: _extend(_json(values["extend"], "extend")))
    if "queries" in values:
        return _answer(lambda: _batch(_json(values["queries"], "queries")))
    if "query" in values:
        return _answer(lambda: _single(values["query"]))
    if request.is_json and isinstance(request.json, dict) and "queries" in request.json:
        return _answer(lambda: _batch(request.json["queries"]))
    return _answer(_manifest)


def _answer(make: Callable[[], Any]) -> Response:
    callback = request.values.get("callback")
    if callback is not None and not CALLBACK.fullmatch(callback):
        return problem(400, "Bad callback", "callback must be a JavaScript identifier "
                       "(letters, digits, _ and $, dotted)")
    try:
        body = json.dumps(make(), ensure_ascii=False)
    except RequestError as error:
        return problem(400, "Bad reconciliation request", str(error))
    if callback is not None:
        response = Response(f"/**/{callback}({body});", mimetype="application/javascript")
    else:
        response = Response(body, mimetype="application/json")
    return cacheable(response) if request.method == "GET" else response


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise RequestError(f"{name} is not JSON: {error}") from None


def _root() -> str:
    return request.url_root.rstrip("/")


def _type(type_id: str, lang: str) -> dict[str, str]:
    vi, en = TYPES[type_id]
    return {"id": type_id, "name": vi if lang == "vi" else en}


def _manifest() -> dict[str, Any]:
    lang = language()
    root = _root()

    def service_at(path: str) -> dict[str, str]:
        return {"service_url": root, "service_path": path}

    return {
        "versions": ["0.1", "0.2"],
        "name": "VUSTA — tổ chức, đơn vị hành chính, khái niệm" if lang == "vi" else
                "VUSTA — organisations, administrative units, concepts",
        "identifierSpace": f"{BASE}id/",
        "schemaSpace": KG.iri,
        "documentation": url_for("api.docs", _external=True),
        "serviceVersion": _service_version(),
        "defaultTypes": [_type(t, lang) for t in DEFAULT_TYPES],
        "view": {"url": "{{id}}"},
        "preview": {"url": f"{root}/reconcile/preview?id={{{{id}}}}", "width": 420,
                    "height": 140},
        "suggest": {"entity": service_at("/reconcile/suggest/entity"),
                    "type": service_at("/reconcile/suggest/type"),
                    "property": service_at("/reconcile/suggest/property")},
        "extend": {"propose_properties": service_at("/reconcile/propose_properties"),
                   "property_settings": []},
    }


def _service_version() -> str:
    try:
        return version("vusta-kg")
    except PackageNotFoundError:
        return "checkout"


def _kinds(asked: Any) -> tuple[str, ...]:
    """The kinds of record a query's ``type`` covers (a string, a list, or nothing)."""
    if asked in (None, "", []):
        return KINDS
    names = asked if isinstance(asked, list) else [asked]
    kinds: list[str] = []
    for name in names:
        type_id = name.get("id") if isinstance(name, dict) else name
        if not isinstance(type_id, str):
            raise RequestError(f"type must be a string or a list of strings, not {name!r}")
        type_id = TYPE_ALIASES.get(type_id, type_id)
        if type_id not in TYPE_KINDS:
            raise RequestError(f"unknown type {type_id!r}; the types are {', '.join(TYPES)}")
        kinds += [k for k in TYPE_KINDS[type_id] if k not in kinds]
    return tuple(kinds)


def _property_values(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("id", item.get("name"))
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            found.append(str(item))
    return tuple(found)


def _query(asked: Any) -> Query:
    if isinstance(asked, str):
        return Query(asked, KINDS, DEFAULT_LIMIT)
    if not isinstance(asked, dict) or not isinstance(asked.get("query"), str):
        raise RequestError("each query must be an object with a string 'query'")
    limit = asked.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise RequestError(f"limit must be a positive integer, not {limit!r}")
    properties = []
    for prop in asked.get("properties") or []:
        if not isinstance(prop, dict) or not isinstance(prop.get("pid"), str):
            raise RequestError("each property must be an object with a string 'pid' and 'v'")
        properties.append((prop["pid"], _property_values(prop.get("v"))))
    return Query(asked["query"], _kinds(asked.get("type")), min(limit, MAX_LIMIT),
                 tuple(properties))


def _batch(asked: Any) -> dict[str, Any]:
    if not isinstance(asked, dict):
        raise RequestError('queries must be an object: {"q0": {"query": "..."}, ...}')
    if len(asked) > MAX_QUERIES:
        raise RequestError(f"at most {MAX_QUERIES} queries per request, not {len(asked)}")
    parsed = {key: _query(value) for key, value in asked.items()}
    index, lang = reconcile_index(), language()
    return {key: {"result": [_result(index, c, lang) for c in index.reconcile(q)]}
            for key, q in parsed.items()}


def _single(text: str) -> dict[str, Any]:
    stripped = text.strip()
    query = _query(_json(stripped, "query")) if stripped.startswith("{") else _query(text)
    index, lang = reconcile_index(), language()
    return {"result": [_result(index, c, lang) for c in index.reconcile(query)]}


def _types_of(entity: Entity, lang: str) -> list[dict[str, str]]:
    kind = entity.kind
    found = [_type(kind, lang)]
    if kind in UNIT_KINDS:
        found.append(_type("place", lang))
    return found


def _result(index: ReconcileIndex, candidate: Candidate, lang: str) -> dict[str, Any]:
    entity = candidate.entity
    return {"id": entity.iri, "name": entity.name, "score": round(candidate.score, 2),
            "match": candidate.match, "type": _types_of(entity, lang),
            "description": describe(index, entity, lang),
            "features": [{"id": k, "value": v} for k, v in candidate.features.items()]}


LEVEL_WORDS = {"province": ("Tỉnh, thành phố", "Province"),
               "district": ("Quận, huyện", "District"),
               "commune": ("Xã, phường", "Commune")}


def describe(index: ReconcileIndex, entity: Entity, lang: str) -> str:
    """One line that tells namesakes apart: level, code, where, which edition."""
    vi = lang == "vi"
    parts: list[str] = []
    if entity.kind in UNIT_KINDS:
        parts.append(LEVEL_WORDS[entity.kind][0 if vi else 1])
        parts.append(("mã " if vi else "code ") + entity.code)
        above = [a.name for a in index.ancestors(entity)]
        if above:
            parts.append(", ".join(above))
        today = ", ".join(u.name for u in index.current(entity))
        if entity.former and today:
            parts.append(f"trước 2025, nay: {today}" if vi else f"before 2025, now: {today}")
        elif entity.former:
            parts.append("trước 2025, đã bãi bỏ" if vi else "before 2025, abolished")
        else:
            parts.append("từ 1/7/2025" if vi else "since 1 July 2025")
    elif entity.kind == "organisation":
        kind = index.get(entity.org_kind)
        parent = index.get(entity.parent)
        parts += [p for p in (entity.acronym, kind.name if kind else "",
                              ("thuộc " if vi else "part of ") + parent.name if parent else "")
                  if p]
        provinces = [e.name for e in map(index.get, sorted(index.provinces(entity)))
                     if e and not e.former]
        parts += provinces
    else:
        parts += [p for p in (entity.scheme_name, entity.code) if p]
        if not vi and entity.name_en and entity.name_en != entity.name:
            parts.insert(0, entity.name_en)
    return " · ".join(parts)


def _extend(asked: Any) -> dict[str, Any]:
    if not isinstance(asked, dict) or not isinstance(asked.get("ids"), list) or \
            not isinstance(asked.get("properties"), list):
        raise RequestError('extend must be {"ids": [...], "properties": [{"id": "..."}]}')
    if len(asked["ids"]) > MAX_QUERIES:
        raise RequestError(f"at most {MAX_QUERIES} ids per request")
    pids = []
    for prop in asked["properties"]:
        pid = prop.get("id") if isinstance(prop, dict) else None
        if pid not in BY_PID:
            raise RequestError(f"unknown property {pid!r}; the properties are "
                             f"{', '.join(BY_PID)}")
        pids.append(pid)
    index, lang = reconcile_index(), language()
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for iri in asked["ids"]:
        if not isinstance(iri, str):
            raise RequestError(f"ids must be strings, not {iri!r}")
        entity = index.get(iri)
        rows[iri] = {pid: BY_PID[pid].read(index, entity)
                     if entity and entity.kind in BY_PID[pid].kinds else []
                     for pid in pids}
    return {"meta": [{"id": pid, "name": BY_PID[pid].name(lang)} for pid in pids],
            "rows": rows}


@bp.route("/reconcile/propose_properties")
def propose_properties() -> Response:
    """The properties that data extension can fetch for records of a type."""
    def make() -> dict[str, Any]:
        type_id = request.args.get("type", "")
        kinds = _kinds(type_id or None)
        limit = request.args.get("limit", type=int) or len(EXTENSIONS)
        lang = language()
        found = [{"id": x.pid, "name": x.name(lang)} for x in EXTENSIONS
                 if set(kinds) & set(x.kinds)][:limit]
        return {"type": type_id, "properties": found, "limit": limit}
    return _answer(make)


@bp.route("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Records whose name starts with (or contains) what was typed, for auto-completion."""
    def make() -> dict[str, Any]:
        prefix = request.args.get("prefix", "")
        cursor = request.args.get("cursor", 0, type=int) or 0
        kinds = _kinds(request.args.get("type") or None)
        index, lang = reconcile_index(), language()
        found = index.suggest(prefix, kinds, limit=cursor + 10)[cursor:]
        return {"result": [{"id": e.iri, "name": e.name, "description": describe(index, e, lang),
                            "notable": _types_of(e, lang)} for e in found]}
    return _answer(make)


@bp.route("/reconcile/suggest/type")
def suggest_type() -> Response:
    return _answer(lambda: _named_suggestions(
        [(t, (t, *names), _type(t, language())["name"]) for t, names in TYPES.items()]))


@bp.route("/reconcile/suggest/property")
def suggest_property() -> Response:
    return _answer(lambda: _named_suggestions(
        [(x.pid, (x.pid, x.vi, x.en), x.name(language())) for x in EXTENSIONS]))


def _named_suggestions(offered: list[tuple[str, tuple[str, ...], str]]) -> dict[str, Any]:
    """The (id, names, shown name) entries one of whose names contains what was typed."""
    typed = _fold_typed()
    return {"result": [{"id": key, "name": shown} for key, names, shown in offered
                       if not typed or any(typed in fold(n) for n in names)]}


def _fold_typed() -> str:
    return fold(request.args.get("prefix", ""))


@bp.route("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of one record, for OpenRefine's preview pane."""
    iri = request.args.get("id", "")
    index, lang = reconcile_index(), language()
    entity = index.get(iri)
    if entity is None:
        return Response(Markup("<p>{}</p>").format(
            "Không có bản ghi này" if lang == "vi" else "No such record"),
            status=404, mimetype="text/html")
    types = ", ".join(t["name"] for t in _types_of(entity, lang))
    card = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{name}</title>'
        '<style>body{{font:14px sans-serif;margin:8px}}p{{margin:2px 0;color:#555}}</style>'
        '</head><body><strong><a href="{iri}" target="_blank">{name}</a></strong>'
        '<p>{types}</p><p>{description}</p><p><code>{iri}</code></p></body></html>'
    ).format(lang=lang, name=entity.name, iri=entity.iri, types=types,
             description=describe(index, entity, lang))
    return cacheable(Response(str(card), mimetype="text/html"))
