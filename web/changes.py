"""``/changes``: the change record as an Activity Streams 2.0 ``OrderedCollection`` of
``OrderedCollectionPage``s (JSON-LD), newest first, and the same as an Atom feed with RFC 5005
paging links. Filters: ``since`` (an ISO 8601 time, inclusive, or a store revision, exclusive),
``type`` (``Dataset``, ``dcat:Dataset`` or an IRI), ``publisher`` (an organisation id or IRI),
``record`` (one record's IRI: its history);
``cursor`` continues after the last change of the page before; ``limit`` sets the page size."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for
from pyoxigraph import NamedNode

from graph.change_feed import ChangeEntry, Cursor, Filters, count, page
from graph.namespaces import DCAT, FOAF, PREFIXES, SKOS, org_iri
from web import get_store
from web.http_cache import cacheable
from web.sparql_query import error

bp = Blueprint("changes", __name__)

AS2_MEDIA = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ATOM_MEDIA = "application/atom+xml"
# Every prefix ``compact`` may write, so that a JSON-LD processor expands each record type.
CONTEXT: list[Any] = ["https://www.w3.org/ns/activitystreams", {
    **PREFIXES,
    "kg:revision": {"@type": "http://www.w3.org/2001/XMLSchema#integer"},
    "kg:graph": {"@type": "@id"}, "kg:publisher": {"@type": "@id"},
    "kg:addedProperty": {"@type": "@id", "@container": "@set"},
    "kg:removedProperty": {"@type": "@id", "@container": "@set"}}]
# Short names a feed reader types for the record types the service publishes.
TYPE_NAMES = {"dataset": DCAT.Dataset, "distribution": DCAT.Distribution,
              "catalog": DCAT.Catalog, "catalogue": DCAT.Catalog,
              "dataservice": DCAT.DataService, "organization": FOAF.Organization,
              "organisation": FOAF.Organization, "concept": SKOS.Concept}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class _BadRequestError(ValueError):
    pass


def _record_type(text: str) -> NamedNode:
    text = text.strip()
    if text.lower() in TYPE_NAMES:
        return TYPE_NAMES[text.lower()]
    prefix, _, local = text.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return NamedNode(PREFIXES[prefix] + local)
    if text.startswith(("http://", "https://")):
        return NamedNode(text)
    raise _BadRequestError(f"type={text!r}: a name such as Dataset, a prefixed name such as "
                           "dcat:Dataset, or an IRI")


def _filters() -> Filters:
    args = request.args
    try:
        since_time, since_revision = Filters.since(args["since"]) if args.get("since") \
            else (None, None)
        publisher = args.get("publisher", "").strip()
        return Filters(
            since_time=since_time, since_revision=since_revision,
            record_type=_record_type(args["type"]) if args.get("type") else None,
            publisher=(NamedNode(publisher) if publisher.startswith(("http://", "https://"))
                       else org_iri(publisher)) if publisher else None,
            record=NamedNode(args["record"]) if args.get("record") else None)
    except ValueError as bad:
        raise _BadRequestError(str(bad)) from None


def _filter_args() -> dict[str, str]:
    return {k: request.args[k] for k in ("since", "type", "publisher", "record", "limit")
            if request.args.get(k)}


def _limit() -> int:
    text = request.args.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise _BadRequestError(f"limit={text!r}: a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def _cursor() -> Cursor | None:
    text = request.args.get("cursor")
    if not text:
        return None
    try:
        return Cursor.parse(text)
    except ValueError as bad:
        raise _BadRequestError(str(bad)) from None


def _wants_atom() -> bool:
    best = request.accept_mimetypes.best_match(
        ["application/ld+json", "application/activity+json", "application/json", ATOM_MEDIA])
    return best == ATOM_MEDIA


@bp.route("/changes")
def collection() -> Response:
    """The collection: its size under the filters and its first (newest) page."""
    if _wants_atom():
        return feed()
    try:
        filters = _filters()
        _limit()
    except _BadRequestError as bad:
        return error(400, str(bad))
    first = url_for("changes.collection_page", _external=True, **_filter_args())
    body = {"@context": CONTEXT,
            "id": url_for("changes.collection", _external=True, **_filter_args()),
            "type": "OrderedCollection",
            "summary": "Các thay đổi của đồ thị tri thức, mới nhất trước / "
                       "Changes to the knowledge graph, newest first",
            "totalItems": count(get_store(), filters), "first": first}
    return _json(body)


@dataclass
class _Page:
    """What a page request asks for and the changes that answer it."""

    entries: list[ChangeEntry]
    more: bool
    after: Cursor | None
    args: dict[str, str]

    def url(self, endpoint: str, cursor: Cursor | None) -> str:
        return url_for(endpoint, _external=True, **self.args,
                       **({"cursor": str(cursor)} if cursor else {}))


def _requested_page() -> _Page:
    """The page the request names (raises _BadRequestError for bad parameters)."""
    filters, limit, after = _filters(), _limit(), _cursor()
    entries = page(get_store(), filters, limit + 1, after)
    return _Page(entries[:limit], len(entries) > limit, after, _filter_args())


@bp.route("/changes/page")
def collection_page() -> Response:
    """One page, newest first, with ``next`` (older) while there is more."""
    try:
        chosen = _requested_page()
    except _BadRequestError as bad:
        return error(400, str(bad))
    entries, args = chosen.entries, chosen.args
    here = chosen.url("changes.collection_page", chosen.after)
    body: dict[str, Any] = {
        "@context": CONTEXT, "id": here, "type": "OrderedCollectionPage",
        "partOf": url_for("changes.collection", _external=True, **args),
        "orderedItems": [_activity(e) for e in entries]}
    headers = {}
    if chosen.more:
        body["next"] = chosen.url("changes.collection_page", entries[-1].cursor)
        headers["Link"] = f'<{body["next"]}>; rel="next"'
    return _json(body, headers)


def _json(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    media = "application/activity+json" if "application/activity+json" in \
        request.headers.get("Accept", "") else AS2_MEDIA
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype=None,
                        content_type=f"{media}; charset=utf-8" if ";" not in media
                        else media, headers=headers)
    response.vary.add("Accept")
    return cacheable(response)


def compact(iri: str) -> str:
    """``dct:title`` for the IRI of dct:title: the project's prefixes, longest first."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if iri.startswith(namespace) and "/" not in iri[len(namespace):]:
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def _activity(entry: ChangeEntry) -> dict[str, Any]:
    record: dict[str, Any] = {"id": entry.record, "type": [compact(t) for t in entry.types]}
    name = entry.title.get("vi") or entry.title.get("en") or next(iter(entry.title.values()),
                                                                  None)
    if name:
        record["name"] = name
    if entry.publisher:
        record["attributedTo"] = entry.publisher
    activity: dict[str, Any] = {
        "id": entry.iri, "type": entry.activity, "published": entry.time.isoformat(),
        "actor": {"type": "Application", "name": entry.agent}, "object": record,
        "kg:graph": entry.graph, "kg:revision": entry.revision}
    if entry.added:
        activity["kg:addedProperty"] = entry.added
    if entry.removed:
        activity["kg:removedProperty"] = entry.removed
    return activity


# -- Atom ------------------------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
VERBS = {"Create": ("Tạo", "Created"), "Update": ("Sửa", "Updated"),
         "Delete": ("Xoá", "Deleted")}


@bp.route("/changes.atom")
def feed() -> Response:
    """The same pages as an Atom feed (RFC 4287), ``next`` links as RFC 5005 pages them."""
    try:
        chosen = _requested_page()
    except _BadRequestError as bad:
        return error(400, str(bad))
    store, entries, args = get_store(), chosen.entries, chosen.args
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    here = chosen.url("changes.feed", chosen.after)
    add(root, "id", here)
    add(root, "title", "Thay đổi của đồ thị tri thức VUSTA / VUSTA knowledge graph changes")
    updated = entries[0].time if entries else store.changed_at()
    add(root, "updated", updated.isoformat() if updated else "1970-01-01T00:00:00+00:00")
    add(root, "link", rel="self", href=here, type=ATOM_MEDIA)
    add(root, "link", rel="alternate", href=url_for("changes.collection", _external=True,
                                                    **args), type=AS2_MEDIA)
    if chosen.more:
        add(root, "link", rel="next", type=ATOM_MEDIA,
            href=chosen.url("changes.feed", entries[-1].cursor))
    add(add(root, "author"), "name", "VUSTA")
    for change in entries:
        entry = add(root, "entry")
        add(entry, "id", change.iri)
        vi, en = VERBS.get(change.activity, (change.activity, change.activity))
        name = change.title.get("vi") or change.title.get("en") or change.record
        add(entry, "title", f"{vi} / {en}: {name}")
        add(entry, "updated", change.time.isoformat())
        add(entry, "link", rel="related", href=change.record)
        add(add(entry, "author"), "name", change.agent)
        add(entry, "category", term=change.activity,
            scheme="https://www.w3.org/ns/activitystreams#")
        for record_type in change.types:
            add(entry, "category", term=record_type, label=compact(record_type))
        lines = [f"{change.activity} {change.record} (revision {change.revision}, graph "
                 f"{change.graph})"]
        if change.added:
            lines.append("added / thêm: " + ", ".join(change.added))
        if change.removed:
            lines.append("removed / bỏ: " + ", ".join(change.removed))
        add(entry, "summary", "\n".join(lines))
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, content_type=f"{ATOM_MEDIA}; charset=utf-8")
    response.vary.add("Accept")
    return cacheable(response)
