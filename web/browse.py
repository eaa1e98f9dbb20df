"""The home page: what the portal holds, recent datasets, top themes and publishers."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from graph.queries import load_query
from graph.store import solutions
from web import get_store
from web.http_cache import cacheable
from web.i18n import language, texts
from web.search import search_index

bp = Blueprint("browse", __name__)


@bp.route("/")
def home() -> Response:
    """Counts of what the graph holds (records from the search index, which knows them
    already; schemes from the store), recent datasets, top themes and publishers."""
    lang = language()
    store = get_store()
    index = search_index()
    kinds = {value: count for value, _, count in
             index.search("", {}, lang=lang, limit=1).facets.get("kind", [])}
    schemes = next(iter(solutions(store.query(load_query("scheme_count")))))["schemes"]
    counts = {"datasets": kinds.get("dataset", 0), "organisations": kinds.get("organisation", 0),
              "units": kinds.get("place", 0), "schemes": int(schemes.value)}
    recent = index.search("", {"kind": ["dataset"]}, lang=lang, limit=8)
    return cacheable(Response(render_template(
        "browse/home.html", t=texts(lang), lang=lang, counts=counts, graphs=store.graphs(),
        recent=recent), mimetype="text/html"))
