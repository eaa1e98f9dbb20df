"""Flask shell: the app factory that builds the web service around one GraphStore."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.namespaces import BASE
from graph.store import DEFAULT_STORE, GraphStore, open_store

if TYPE_CHECKING:
    from flask import Flask, Response

# Flask and the modules built on it are imported where they are used: every `kg` command
# imports this package (its CLI lives here), and most never start the web app.


def create_app(config: Mapping[str, Any] | None = None, *, store: GraphStore | None = None
               ) -> Flask:
    """Build the web app around one GraphStore (opened from ``STORE`` unless given)."""
    from flask import Flask

    from graph.profiles import load_profiles
    from graph.reconcile_index import ReconcileIndexCache
    from graph.search_index import SearchIndex, index_beside
    from web import (
        api,
        api_writes,
        assets,
        browse,
        changes,
        dumps,
        graph_store,
        harvesting,
        linked_data,
        oai,
        operations,
        pages,
        publishing,
        quality,
        queries,
        reconcile,
        reports,
        search,
        sparql,
        writes,
    )
    from web.auth import TokenFile, session_key
    from web.front_cache import FrontCache
    from web.http_cache import AnswerCache
    from web.i18n import remember_language, template_globals
    from web.sparql_query import QueryOperation

    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(prefix="KG")
    app.config.update(config or {})
    app.extensions["graph_store"] = store or open_store(app.config["STORE"])
    app.extensions["tokens"] = TokenFile(Path(app.config["TOKENS_FILE"]))
    app.secret_key = app.config["SECRET_KEY"] or session_key(Path(app.config["TOKENS_FILE"]))
    app.extensions["void_cache"] = {}
    app.extensions["answer_cache"] = AnswerCache(int(app.config["CACHE_MB"]) << 20,
                                                 int(app.config["CACHE_ENTRY_KB"]) << 10)
    index_path = app.config["SEARCH_INDEX"] or index_beside(app.extensions["graph_store"])
    app.extensions["search_index"] = SearchIndex(Path(index_path) if index_path else None)
    app.extensions["reconcile_index"] = ReconcileIndexCache()
    if app.config["PROFILES_DIR"]:
        load_profiles(Path(app.config["PROFILES_DIR"]))
    app.context_processor(template_globals)
    app.before_request(conditional_get)
    app.after_request(stamp_get)
    app.after_request(remember_language)
    for blueprint in (browse.bp, sparql.bp, writes.bp, graph_store.bp, linked_data.bp, dumps.bp,
                      reports.bp, quality.bp, search.bp, pages.bp, assets.bp, changes.bp,
                      harvesting.bp, api.bp, api_writes.bp, oai.bp, reconcile.bp,
                      publishing.bp):
        app.register_blueprint(blueprint)
    front = app.extensions["front_cache"] = AnswerCache(int(app.config["CACHE_MB"]) << 20,
                                                        int(app.config["CACHE_ENTRY_KB"]) << 10)
    app.wsgi_app = FrontCache(  # type: ignore[method-assign]
        QueryOperation(app, app.wsgi_app), app.extensions["graph_store"], front)
    queries.install(app)
    operations.install(app)
    return app


# Every setting and its default, in one place; KG_<NAME> in the environment overrides.
DEFAULTS: dict[str, Any] = {
    "STORE": DEFAULT_STORE,
    "BASE_IRI": BASE,
    "QUERY_TIMEOUT_S": 30,
    "MAX_ROWS": 100_000,
    "MAX_QUERY_BYTES": 256 << 10,
    "MAX_CONTENT_LENGTH": 64 << 20,
    "TOKENS_FILE": "data/tokens.json",
    # Signs the publisher pages' session cookie; empty: a key kept beside the token file.
    "SECRET_KEY": "",
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "ALLOWED_REMOTE_HOSTS": [],
    "CACHE_MB": 64,
    "CACHE_ENTRY_KB": 1024,
    "DUMPS_DIR": "data/dumps",
    "CATALOG_PAGE_SIZE": 100,
    # The full-text index (SQLite); empty: beside an on-disk store, else a temporary file.
    "SEARCH_INDEX": "",
    "ASSETS_DIR": "data/assets",
    # Map tiles: any XYZ tile server; pages stay useful when tiles cannot load.
    "TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "TILE_ATTRIBUTION": "© OpenStreetMap contributors",
    # A folder of .rq CONSTRUCT files, each one more profile of the resource documents
    # (graph/profiles.py says what their header holds); empty: only the shipped profiles.
    "PROFILES_DIR": "",
    # A folder of canned .rq queries added to (or replacing) the shipped ones in
    # graph/canned/ (graph/canned_queries.py says what their header holds).
    "QUERIES_DIR": "",
}



# Pages that depend on who is signed in, not only on the store's revision: no ETag.
PER_SESSION = frozenset({"publish"})


def conditional_get() -> Response | None:
    """A GET whose representation the client already holds gets 304 before any work."""
    from flask import Response, g, request

    from web.http_cache import not_modified, request_etag, stamp

    if request.method not in ("GET", "HEAD") or request.blueprint in PER_SESSION:
        return None
    etag = request_etag(store_revision(), request)
    g.etag = etag
    if not_modified(etag, request):
        response = Response(status=304)
        stamp(response, etag, get_store().changed_at())
        return response
    return None


def stamp_get(response: Response) -> Response:
    """ETag and Last-Modified from the store's change counter on every successful GET."""
    from flask import g

    from web.http_cache import stamp

    etag = g.get("etag")
    if etag is not None and response.status_code == 200 and "ETag" not in response.headers:
        stamp(response, etag, get_store().changed_at())
    return response


def get_store() -> GraphStore:
    """The store of the running app: what everybody reads (private graphs are in its private
    store, ``graph.private_store``)."""
    from flask import current_app

    store: GraphStore = current_app.extensions["graph_store"]
    return store


def store_revision() -> int:
    """The store's change counter, read once per request (a remote store asks its server)."""
    from flask import g

    if "revision" not in g:
        g.revision = get_store().revision()
    revision: int = g.revision
    return revision
