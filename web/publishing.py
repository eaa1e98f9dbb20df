"""The publisher's pages: a member organisation's editor signs in with a token, then creates,
edits and publishes the organisation's datasets through forms.

The session (a signed cookie, HttpOnly, SameSite=Lax) keeps the token holder's name and the
hash of the token, so a revoked or replaced token ends the session; every form carries the
session's CSRF token. A save is the JSON API's write (``api_writes.save_dataset``): the same
gate, the same scope check, the same audit; its validation messages are shown next to the
fields they are about, in the page's language.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session
from flask import current_app as app
from pyoxigraph import NamedNode

from graph.namespaces import BASE, SKOS
from graph.private_reads import records_as_seen
from graph.private_store import private_store
from graph.publication import CATALOG_PREFIX, catalog_graph, publisher_orgs
from graph.records_json import DATASET
from graph.records_write import dataset_triples
from graph.store import GraphStore, solutions
from web import get_store
from web.api_writes import save_dataset
from web.auth import Holder, TokenFile, token_digest
from web.i18n import language

bp = Blueprint("publish", __name__, url_prefix="/publish")

EU = "http://publications.europa.eu/resource/authority/"
SCHEMES = {"themes": f"{EU}data-theme", "licences": f"{EU}licence",
           "formats": f"{EU}file-type", "rights": f"{EU}access-right",
           "fields": f"{BASE}id/scheme/fields-of-science"}
TEXTS = ("title", "description")
SINGLE = ("license", "accessRights", "landingPage", "issued", "modified", "startDate",
          "endDate", "contactName", "contactEmail")
DISTRIBUTION_FIELDS = ("title", "accessURL", "downloadURL", "format", "license",
                       "accessRights")
DISTRIBUTION_KEY = re.compile(r"distributions\[(\d+)\]\.(\w+)")


@bp.after_request
def not_kept(response: Response) -> Response:
    """Every page here is the signed-in holder's own: no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in() -> Holder | None:
    """The holder this session signed in as, while its token stands and has not expired."""
    name, digest = session.get("holder"), session.get("digest")
    if not name or not digest:
        return None
    tokens: TokenFile = app.extensions["tokens"]
    holder = tokens.signed_in(name, digest)
    return holder if holder is not None and not holder.expired else None


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def _check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "the form is stale or was not sent from this site (CSRF); reload the page")


def _orgs(holder: Holder) -> list[str]:
    """The organisations whose catalogues this holder edits (an admin: those that have one)."""
    orgs = publisher_orgs(holder.scopes)
    if "admin" in holder.scopes:
        orgs += [g.value[len(CATALOG_PREFIX):] for g in private_store(get_store()).visible_graphs()
                 if g.value.startswith(CATALOG_PREFIX)]
    return list(dict.fromkeys(orgs))


@bp.route("/", methods=["GET"])
def home() -> Response | str:
    holder = signed_in()
    if holder is None:
        return render_template("publish/sign_in.html", csrf=csrf_token(), error=None)
    lang = language()
    store = get_store()
    rows = []
    for org in _orgs(holder):
        iris = [row["d"].value for row in solutions(private_store(store).query(
            f"SELECT DISTINCT ?d ?type {{ GRAPH {catalog_graph(org)} {{ ?d a ?type }} }} "
            "ORDER BY ?d",
            bindings={"type": DATASET.type}))]
        rows += [(org, record) for record in records_as_seen(
            store, holder.scopes, DATASET, iris, lang, ["title", "draft", "modified"])]
    return render_template("publish/datasets.html", holder=holder, rows=rows,
                           orgs=_orgs(holder), csrf=csrf_token())


@bp.route("/sign-in", methods=["POST"])
def sign_in() -> Response | tuple[str, int]:
    _check_csrf()
    tokens: TokenFile = app.extensions["tokens"]
    token = request.form.get("token", "").strip()
    holder = tokens.holder(token) if token else None
    if holder is None or holder.expired or not holder.allows("write"):
        why = "unknown" if holder is None else "expired" if holder.expired else "scope"
        return render_template("publish/sign_in.html", csrf=csrf_token(), error=why), 403
    session.clear()
    session["holder"], session["digest"] = holder.name, token_digest(token)
    return redirect(f"{request.script_root}/publish/")  # type: ignore[return-value]


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    _check_csrf()
    session.clear()
    return redirect(f"{request.script_root}/publish/")  # type: ignore[return-value]


@bp.route("/datasets/new", methods=["GET"])
def new() -> Response | str:
    holder = _required()
    org = request.args.get("org") or next(iter(_orgs(holder)), "")
    return _form(holder, org, "", {}, {}, new=True)


@bp.route("/datasets/<org>/<name>", methods=["GET"])
def edit(org: str, name: str) -> Response | str:
    holder = _required()
    found = records_as_seen(get_store(), holder.scopes, DATASET,
                            [f"{DATASET.iri_prefix}{org}/{name}"], language())
    if not found:
        abort(404)
    return _form(holder, org, name, found[0], {}, new=False)


@bp.route("/datasets", methods=["POST"])
def save() -> Response | str | tuple[str, int]:
    holder = _required()
    _check_csrf()
    form = request.form
    org, name, new = form.get("org", ""), form.get("name", "").strip(), form.get("new") == "1"
    record = _record(form)
    record["draft"] = form.get("action") != "publish"
    id = f"{org}/{name}"
    saved = save_dataset(holder, id, "POST" if new else "PUT",
                         lambda store, iri, graph: dataset_triples(record, id))
    if saved.status in (200, 201):
        flash("published" if not record["draft"] else "saved_draft")
        return redirect(f"{request.script_root}/publish/datasets/{quote(id)}")  # type: ignore[return-value]
    errors = _errors_by_field(saved.body)
    return _form(holder, org, name, record, errors, new=new), saved.status


def _required() -> Holder:
    holder = signed_in()
    if holder is None:
        abort(401)
    return holder


def _form(holder: Holder, org: str, name: str, record: dict[str, Any],
          errors: dict[str, list[tuple[str, str]]], *, new: bool) -> str:
    lang = language()
    values = _values(record)
    count = max(len(record.get("distributions") or []) + (0 if errors else 1), 1)
    options = {key: _concepts(get_store(), scheme, lang) for key, scheme in SCHEMES.items()}
    return render_template("publish/form.html", holder=holder, org=org, name=name,
                           orgs=_orgs(holder), values=values, errors=errors, new=new,
                           count=count, options=options, csrf=csrf_token(),
                           draft=record.get("draft", True))


def _values(record: dict[str, Any]) -> dict[str, str]:
    """The form's values from a record of the API (texts by language, links by IRI)."""
    found: dict[str, str] = {}
    for key in TEXTS:
        for lang, text in (record.get(key) or {}).items():
            found[f"{key}_{lang}"] = text
    for key in SINGLE:
        value = record.get(key)
        found[key] = (value.get("iri") or "") if isinstance(value, dict) else (value or "")
    found["keywords"] = ", ".join(record.get("keywords") or [])
    for key in ("themes", "subjects"):
        found[key] = " ".join(v["iri"] for v in record.get(key) or [] if v.get("iri"))
    for n, item in enumerate(record.get("distributions") or []):
        found[f"dist-{n}-iri"] = item.get("iri") or ""
        for key in DISTRIBUTION_FIELDS:
            value = item.get(key)
            found[f"dist-{n}-{key}"] = ((value or {}).get("vi", "") if key == "title" else
                                        (value.get("iri") or "") if isinstance(value, dict)
                                        else (value or ""))
    return found


def _record(form: Any) -> dict[str, Any]:
    """A record in the JSON API's shape from the form (empty fields left out)."""
    record: dict[str, Any] = {}
    for key in TEXTS:
        texts = {lang: form.get(f"{key}_{lang}", "").strip() for lang in ("vi", "en")}
        record[key] = {lang: text for lang, text in texts.items() if text}
    for key in SINGLE:
        value = form.get(key, "").strip()
        if value:
            record[key] = value
    words = [w.strip() for w in form.get("keywords", "").split(",") if w.strip()]
    if words:
        record["keywords"] = words
    for key in ("themes", "subjects"):
        chosen = [v for v in form.getlist(key) if v]
        if chosen:
            record[key] = chosen
    distributions = []
    for n in range(int(form.get("count", "1") or 1)):
        item = {key: form.get(f"dist-{n}-{key}", "").strip() for key in DISTRIBUTION_FIELDS}
        if not any(item.values()):
            continue
        found: dict[str, Any] = {k: v for k, v in item.items() if v and k != "title"}
        if item["title"]:
            found["title"] = {"vi": item["title"]}
        if form.get(f"dist-{n}-iri"):
            found["iri"] = form.get(f"dist-{n}-iri")
        distributions.append(found)
    if distributions:
        record["distributions"] = distributions
    return record


def _errors_by_field(body: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The problems of a refused save (severity, message in the page's language) by form
    field; those of no field under ""."""
    lang = language()
    found: dict[str, list[tuple[str, str]]] = {}
    for error in body.get("errors") or [{"field": "", "message": body.get("detail", "")}]:
        field = str(error.get("field") or "")
        match = DISTRIBUTION_KEY.fullmatch(field)
        key = f"dist-{match.group(1)}-{match.group(2)}" if match else field
        if key not in {*TEXTS, *SINGLE, "keywords", "themes", "subjects"} and not match:
            key = ""
        message = (error.get("messages") or {}).get(lang) or error.get("message", "")
        found.setdefault(key, []).append((str(error.get("severity") or "Violation"),
                                          str(message)))
    return found


def _concepts(store: GraphStore, scheme: str, lang: str) -> list[tuple[str, str]]:
    """The concepts of a scheme as (IRI, label in ``lang``), by label."""
    found: dict[str, str] = {}
    for row in solutions(store.query(
            f"SELECT ?c ?label ?scheme {{ ?c {SKOS.inScheme} ?scheme ; {SKOS.prefLabel} ?label }}",
            bindings={"scheme": NamedNode(scheme)})):
        label = row["label"]
        if label.language == lang or row["c"].value not in found:
            found[row["c"].value] = label.value
    return sorted(found.items(), key=lambda item: item[1])
