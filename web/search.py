"""Search and the listings built on it: HTML, JSON and CSV of the same page, cursor paging.

Every state is in the URL (``q``, one parameter per facet, repeated for several values,
``after`` for the cursor, ``limit``, ``lang``), so a search can be shared and a script can
page through everything. Facet counts come from the search index, never from SPARQL.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from graph.search_index import FACETS, FILTER_ONLY, SearchIndex, SearchPage
from web import get_store
from web.http_cache import cacheable
from web.i18n import language, texts
from web.sparql_query import error

bp = Blueprint("search", __name__)
MAX_LIMIT = 200
LISTING_TYPES = {"text/html": "html", "application/json": "json", "text/csv": "csv"}


def search_index() -> SearchIndex:
    """The app's search index, brought up to date with the store first (a no-op unless the
    store's revision moved)."""
    index: SearchIndex = current_app.extensions["search_index"]
    index.sync(get_store())
    return index


def listing_format(suffix: str | None) -> str | None:
    """html, json or csv: the suffix, else ``format=``, else ``Accept``."""
    asked = suffix or request.args.get("format")
    if asked:
        return asked if asked in ("html", "json", "csv") else None
    best = request.accept_mimetypes.best_match(list(LISTING_TYPES), default="text/html")
    return LISTING_TYPES.get(best or "text/html")


def filters_from_request() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in (*FACETS, *FILTER_ONLY)
            if request.args.getlist(name)}


@bp.route("/search")
@bp.route("/search.<suffix>")
def search(suffix: str | None = None) -> Response:
    """Full-text search over datasets, organisations and places, with facets."""
    fmt = listing_format(suffix)
    if fmt is None:
        return error(406, "search results come as HTML, JSON (.json) or CSV (.csv)")
    lang = language()
    text = request.args.get("q", "").strip()[:500]
    try:
        limit = min(MAX_LIMIT, max(1, int(request.args.get("limit", "20"))))
        page = search_index().search(text, filters_from_request(), lang=lang,
                                     cursor=request.args.get("after") or None, limit=limit)
    except ValueError as bad:
        return error(400, str(bad))
    return cacheable(listing_response(page, fmt, "search.search", "search/results.html",
                                      {"q": text, "limit": limit}))


def listing_response(page: SearchPage, fmt: str, endpoint: str, template: str,
                     extra: dict[str, Any]) -> Response:
    """One page of index results in the chosen format, with links to the next page and to
    the other formats."""
    state: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                             if k != "after"}
    view_args = dict(request.view_args or {})
    view_args.pop("suffix", None)
    next_url = (url_for(endpoint, **view_args, **state, after=page.next_cursor)
                if page.next_cursor else None)
    alternates = {ext: url_for(endpoint, **view_args, **state, format=ext)
                  for ext in ("json", "csv")}
    links = [f'<{url}>; rel="alternate"; type="{media}"' for url, media in (
        (alternates["json"], "application/json"), (alternates["csv"], "text/csv"))]
    if next_url:
        links.append(f'<{next_url}>; rel="next"')
    if fmt == "json":
        body = json.dumps(listing_json(page, next_url), ensure_ascii=False, indent=1)
        response = Response(body, mimetype="application/json")
    elif fmt == "csv":
        response = Response(listing_csv(page), mimetype="text/csv")
        response.headers["Content-Disposition"] = "inline; filename=results.csv"
    else:
        lang = language()
        response = Response(render_template(
            template, page=page, next_url=next_url, alternates=alternates,
            filters=filters_from_request(), toggle=toggle_url, kind_label=kind_label,
            facet_names=texts(lang), **extra), mimetype="text/html")
    response.headers["Link"] = ", ".join(links)
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def listing_json(page: SearchPage, next_url: str | None) -> dict[str, Any]:
    return {
        "total": page.total,
        "results": [{"iri": hit.iri, "kind": hit.kind, "title": hit.title,
                     "summary": hit.summary, "modified": hit.modified or None}
                    for hit in page.hits],
        "facets": {name: [{"value": value, "label": label, "count": count}
                          for value, label, count in values]
                   for name, values in page.facets.items()},
        "next": page.next_cursor,
        "next_url": next_url,
    }


def listing_csv(page: SearchPage) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["iri", "kind", "title", "summary", "modified"])
    for hit in page.hits:
        writer.writerow([hit.iri, hit.kind, _cell(hit.title), _cell(hit.summary), hit.modified])
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def toggle_url(name: str, value: str) -> str:
    """This search with one facet value added, or removed when it is already chosen; the
    cursor is dropped because the result set changes."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("after", None)
    chosen = args.get(name, [])
    args[name] = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    view_args = dict(request.view_args or {})
    view_args.pop("suffix", None)
    return url_for(request.endpoint or "search.search", **view_args, **args)


def kind_label(kind: str) -> str:
    return texts(language()).get(f"kind_{kind}", kind)


def record_listing(records: list[dict[str, Any]], columns: list[str], fmt: str,
                   endpoint: str) -> Response:
    """A listing page's records as JSON or CSV, in IRI order with a keyset cursor (``after``
    is the last IRI of the previous page), so pages stay stable while records are added."""
    try:
        limit = min(MAX_LIMIT * 5, max(1, int(request.args.get("limit", "1000"))))
    except ValueError:
        return error(400, "limit= must be a number")
    after = request.args.get("after", "")
    ordered = sorted((r for r in records if r["iri"] > after), key=lambda r: r["iri"])
    page, more = ordered[:limit], len(ordered) > limit
    next_url = (url_for(endpoint, format=fmt, limit=limit, after=page[-1]["iri"])
                if more and page else None)
    rows = [{name: record.get(name, "") for name in columns} for record in page]
    if fmt == "json":
        response = Response(json.dumps({"total": len(records), "results": rows,
                                        "next": page[-1]["iri"] if more and page else None,
                                        "next_url": next_url}, ensure_ascii=False, indent=1),
                            mimetype="application/json")
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(str(row[name])) for name in columns])
        response = Response(out.getvalue(), mimetype="text/csv")
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    response.vary.add("Accept")
    return response
