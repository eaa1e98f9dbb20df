"""The home page: what the portal holds, recent datasets, top themes and publishers."""

from __future__ import annotations

from flask import Blueprint, render_template

from graph.queries import load_query
from graph.store import solutions
from web import get_store
from web.i18n import language, texts
from web.search import search_index

bp = Blueprint("browse", __name__)


@bp.route("/")
def home() -> str:
    """Counts of what the graph holds, the source graphs and a query box."""
    lang = language()
    store = get_store()
    row = next(iter(solutions(store.query(load_query("home_counts")))))
    counts = {name: int(row[name].value) for name in ("datasets", "organisations", "units",
                                                      "schemes")}
    recent = search_index().search("", {"kind": ["dataset"]}, lang=lang, limit=8)
    return render_template("browse/home.html", t=texts(lang), lang=lang, counts=counts,
                           graphs=store.graphs(), recent=recent)
