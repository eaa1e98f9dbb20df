"""Linked data: dereferenceable IRIs, the paged DCAT catalogue, VoID, sitemap and @context.

IRI patterns (documented in the README): a thing is ``{BASE_IRI}id/<kind>/<key>``; asking for
it answers ``303 See Other`` to its document ``/doc/<kind>/<key>`` (HTML for browsers) or
``/doc/<kind>/<key>.<ttl|jsonld|rdf|nt>`` (for RDF clients), as the W3C "Cool URIs" note
recommends for non-information resources. Ontology terms are hash IRIs under
``{BASE_IRI}def/<ontology>#Term``; ``/def/<ontology>`` is their document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from pyoxigraph import BlankNode, Literal, NamedNode, QueryTriples, Triple

from graph import profiles
from graph.change_feed import changed_since
from graph.dcat_ap import as_dcat_ap
from graph.namespaces import DCAT, HYDRA, PREFIXES, RDF, VOID, XSD
from graph.profiles import describe
from graph.queries import load_query, paginate
from graph.results import stream_triples
from graph.store import GraphStore, solutions
from web import get_store, store_revision
from web.http_cache import cacheable
from web.negotiation import GRAPH_TYPES, SUFFIXES, choose_graph_format, split_suffix
from web.pages import resource_page
from web.sparql_query import error

bp = Blueprint("linked_data", __name__)
# Datasets per DESCRIBE: the query text holds their IRIs.
DESCRIBE_BATCH = 500
EXTENSIONS = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "rdfxml": "rdf"}


def base_iri() -> str:
    return str(current_app.config["BASE_IRI"])



def _alternates(document: str) -> str:
    links = [f'<{url_for("linked_data.document", path=document + "." + ext)}>; '
             f'rel="alternate"; type="{GRAPH_TYPES[fmt]}"' for fmt, ext in EXTENSIONS.items()]
    links.append(f'<{url_for("linked_data.document", path=document)}>; rel="alternate"; '
                 'type="text/html"')
    return ", ".join(links)


@bp.route("/id/<path:path>")
def thing(path: str) -> Response:
    """A non-information resource: 303 to the document that describes it."""
    stem, fmt = split_suffix(path)
    if fmt is None:
        fmt = choose_graph_format(request, html=True)
        if fmt is None:
            return error(406, "descriptions come as HTML, " + ", ".join(GRAPH_TYPES.values()))
    target = stem if fmt == "html" else f"{stem}.{EXTENSIONS[fmt]}"
    response: Response = redirect(  # type: ignore[assignment]
        url_for("linked_data.document", path=target), code=303)
    response.vary.add("Accept")
    response.headers["Link"] = _alternates(stem)
    return response


@bp.route("/doc/<path:path>")
def document(path: str) -> Response:
    """The document about ``{BASE_IRI}id/<path>`` in the negotiated profile (``_profile`` or
    ``Accept-Profile``; ``?_profile=alt`` lists them) and format (suffix, ``_mediatype``,
    ``format`` or ``Accept``)."""
    stem, fmt = split_suffix(path)
    try:
        resource = NamedNode(f"{base_iri()}id/{stem}")
    except ValueError:
        abort(404)
    asked = request.args.get("_profile")
    plain = asked is None and "Accept-Profile" not in request.headers
    if fmt is None:
        fmt = choose_graph_format(request, html=True)
        if fmt is None:
            return error(406, "descriptions come as HTML, " + ", ".join(GRAPH_TYPES.values()))
    if plain and fmt == "html":
        page = resource_page(resource, _html_alternates(stem))
        if page is not None:
            response = Response(page, mimetype="text/html")
            response.vary.update(("Accept", "Accept-Profile"))
            response.headers["Link"] = _alternates(stem)
            response.headers["Content-Profile"] = f"<{profiles.NATIVE.iri}>"
            return cacheable(response)
    store = get_store()
    native = describe(store, resource)
    if not any(t.subject == resource for t in native):
        return error(404, f"nothing is known about {resource.value}")
    offered = profiles.offered(profiles.classes_of(native, resource))
    if asked == "alt":
        return _alternate_profiles(stem, resource, offered)
    profile = _chosen_profile(asked, request.headers.get("Accept-Profile", ""), offered)
    if profile is None:
        return error(406, f"profile {asked!r} is not offered for this resource; offered: "
                     + ", ".join(f"{p.token} <{p.iri}>" for p in offered))
    if fmt not in profile.formats:
        fmt = profile.formats[0]
    if profile is profiles.NATIVE and fmt == "html":
        page = resource_page(resource, _html_alternates(stem))
        if page is not None:
            response = Response(page, mimetype="text/html")
            response.vary.update(("Accept", "Accept-Profile"))
            response.headers["Content-Profile"] = f"<{profile.iri}>"
            response.headers["Link"] = _profile_links(stem, offered)
            return cacheable(response)
    triples = native if profile is profiles.NATIVE else profile.make(store, resource)
    if fmt == "jsonld" and profile.context is not None:
        response = Response(profiles.compact_json_ld(triples, profile.context),
                            content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
        response.vary.add("Accept")
    else:
        response = _graph_response(triples, fmt, "linked_data/resource.html", resource)
    response.vary.add("Accept-Profile")
    response.headers["Content-Profile"] = f"<{profile.iri}>"
    response.headers["Link"] = _profile_links(stem, offered)
    return cacheable(response)


def _html_alternates(stem: str) -> dict[str, str]:
    return {ext: url_for("linked_data.document", path=f"{stem}.{ext}")
            for ext in ("ttl", "jsonld", "rdf", "nt")}


def _chosen_profile(asked: str | None, header: str, offered: list[profiles.Profile]
                    ) -> profiles.Profile | None:
    """The profile named by ``_profile`` (None if not offered), else the most wanted of
    ``Accept-Profile`` that is offered, else the native one."""
    if asked is not None:
        found = profiles.find(asked)
        return found if found in offered else None
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        name, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            wanted.append((-quality, position, name.strip("<>")))
    for quality, _, name in sorted(wanted):
        found = profiles.find(name)
        if quality < 0 and found in offered:
            return found
    return profiles.NATIVE


def _profile_url(stem: str, profile: profiles.Profile, fmt: str) -> str:
    return url_for("linked_data.document", path=stem, _profile=profile.token,
                   _mediatype=GRAPH_TYPES.get(fmt, "text/html"), _external=True)


def _profile_links(stem: str, offered: list[profiles.Profile]) -> str:
    """Every profile and format of this document (conneg-by-ap's Link header)."""
    links = [f'<{_profile_url(stem, p, fmt)}>; rel="alternate"; '
             f'type="{GRAPH_TYPES.get(fmt, "text/html")}"; profile="{p.iri}"'
             for p in offered for fmt in p.formats]
    return ", ".join(links)


def _alternate_profiles(stem: str, resource: NamedNode, offered: list[profiles.Profile]
                        ) -> Response:
    """``?_profile=alt``: the profiles and formats the document comes in."""
    body = {"resource": resource.value, "default": profiles.NATIVE.token, "profiles": [
        {"token": p.token, "iri": p.iri, "title": p.title,
         "representations": [{"mediaType": GRAPH_TYPES.get(fmt, "text/html"),
                              "url": _profile_url(stem, p, fmt)} for fmt in p.formats]}
        for p in offered]}
    response = Response(json.dumps(body, ensure_ascii=False, indent=1),
                        mimetype="application/json")
    response.headers["Content-Profile"] = "<http://www.w3.org/ns/dx/conneg/altr>"
    response.headers["Link"] = _profile_links(stem, offered)
    return cacheable(response)


@bp.route("/resource")
def any_resource() -> Response:
    """The page of a resource named outside this service's base (an EU theme, licence or
    file type that the vocabularies reuse); ``?iri=`` names it, ``format=`` picks RDF."""
    try:
        resource = NamedNode(request.args.get("iri", ""))
    except ValueError:
        return error(400, "iri= must be an absolute IRI")
    if resource.value.startswith(f"{base_iri()}id/"):
        return redirect(local_link(resource.value), code=303)  # type: ignore[return-value]
    fmt = choose_graph_format(request, html=True)
    if fmt is None:
        return error(406, "descriptions come as HTML, " + ", ".join(GRAPH_TYPES.values()))
    if fmt == "html":
        alternates = {ext: url_for("linked_data.any_resource", iri=resource.value, format=ext)
                      for ext in ("ttl", "jsonld", "rdf", "nt")}
        page = resource_page(resource, alternates)
        if page is not None:
            response = Response(page, mimetype="text/html")
            response.vary.add("Accept")
            return response
    triples = describe(get_store(), resource)
    if not any(t.subject == resource for t in triples):
        return error(404, f"nothing is known about {resource.value}")
    return _graph_response(triples, fmt, "linked_data/resource.html", resource)


@bp.route("/def/<name>")
@bp.route("/def/<name>.<suffix>")
def ontology(name: str, suffix: str | None = None) -> Response:
    """An ontology of the profile: every term under ``{BASE_IRI}def/<name>#``."""
    fmt = SUFFIXES.get(suffix or "") if suffix else choose_graph_format(request, html=True)
    if fmt is None:
        return error(406 if suffix is None else 404, "unknown format")
    try:
        namespace = NamedNode(f"{base_iri()}def/{name}")
    except ValueError:
        abort(404)
    rows = get_store().query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
        "FILTER(?s = ?ontology || STRSTARTS(STR(?s), CONCAT(STR(?ontology), '#'))) }",
        bindings={"ontology": namespace})
    triples = list(rows) if isinstance(rows, QueryTriples) else []
    if not triples:
        return error(404, f"no ontology {namespace.value}")
    return _graph_response(triples, fmt, "linked_data/resource.html", namespace)


def _graph_response(triples: list[Triple], fmt: str, template: str, focus: NamedNode
                    ) -> Response:
    if fmt == "html":
        page = render_template(template, focus=focus, rows=_rows(triples, focus),
                               others=_others(triples, focus), labels=_labels(triples))
        response = Response(page, mimetype="text/html")
    else:
        response = Response(b"".join(stream_triples(triples, fmt)),
                            content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
    response.vary.add("Accept")
    return response


def _labels(triples: Iterable[Triple]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for t in triples:
        if t.predicate.value.endswith(("prefLabel", "#label", "/title", "/name")) and \
                isinstance(t.object, Literal) and isinstance(t.subject, NamedNode) and \
                (t.object.language in ("vi", None) or t.subject.value not in labels):
            labels[t.subject.value] = t.object.value
    return labels


def _rows(triples: list[Triple], focus: NamedNode) -> list[tuple[Any, Any]]:
    return [(t.predicate, t.object) for t in triples if t.subject == focus]


def _others(triples: list[Triple], focus: NamedNode) -> list[Triple]:
    return [t for t in triples if t.subject != focus and isinstance(t.subject, BlankNode)]


# -- the catalogue as paged documents ---------------------------------------------------------

@bp.route("/catalog")
@bp.route("/catalog.<suffix>")
def catalog(suffix: str | None = None) -> Response:
    """Every catalogue with one page of its datasets, Hydra paging as ckanext-dcat does."""
    fmt = SUFFIXES.get(suffix or "") if suffix else choose_graph_format(request)
    if fmt is None or fmt == "html":
        return error(406 if suffix is None else 404,
                     "the catalogue comes as " + ", ".join(GRAPH_TYPES.values()))
    size = current_app.config["CATALOG_PAGE_SIZE"]
    try:
        page = max(1, int(request.args.get("page", "1")))
        since_text = request.args.get("modified_since")
        since = _date_time(since_text) if since_text else None
    except ValueError as bad:
        return error(400, f"bad paging parameter: {bad}")
    store = get_store()
    # Filtered here: a bound variable in a FILTER is not portable to remote stores.
    # Modified since: by the publisher's own date, or by what the change feed saw change.
    changed = set() if since is None else changed_since(store, since, DCAT.Dataset)
    everything = [row["dataset"] for row in solutions(store.query(load_query("catalog_datasets")))
                  if since is None or row["dataset"].value in changed
                  or (row["modified"] is not None
                      and _date_time(row["modified"].value) >= since)]
    total = len(everything)
    chosen = everything[(page - 1) * size: page * size]
    triples = catalogue_document(store, chosen) + _hydra(page, size, total, since_text)
    response = Response(b"".join(stream_triples(triples, fmt)),
                        content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
    response.vary.add("Accept")
    return cacheable(response)


def _date_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def catalogue_document(store: GraphStore, datasets: list[Any]) -> list[Triple]:
    """The catalogues with ``datasets`` and their distributions, in DCAT-AP 3.0.1: a page of
    /catalog, or (every dataset, in batches) the DCAT-AP dump."""
    triples = list(store.query(load_query("catalog_header")))  # type: ignore[arg-type]
    for start in range(0, len(datasets), DESCRIBE_BATCH):
        triples += describe_datasets(store, datasets[start:start + DESCRIBE_BATCH])
    chosen = set(datasets)
    triples += [Triple(row["catalog"], DCAT.dataset, row["dataset"]) for row in solutions(
        store.query(load_query("catalog_members"))) if row["dataset"] in chosen]
    return as_dcat_ap(store, triples)


def all_datasets(store: GraphStore) -> list[Any]:
    return [row["dataset"] for row in solutions(store.query(load_query("catalog_datasets")))]


def describe_datasets(store: GraphStore, datasets: list[Any]) -> list[Triple]:
    """Datasets and their distributions, blank nodes included: two DESCRIBE queries. The IRIs
    come from the store and are written by pyoxigraph (``str(term)``)."""
    if not datasets:
        return []
    found = _describe_all(store, datasets)
    parts = list(dict.fromkeys(t.object for t in found if t.predicate == DCAT.distribution))
    return found + (_describe_all(store, parts) if parts else [])


def _describe_all(store: GraphStore, resources: list[Any]) -> list[Triple]:
    values = " ".join(str(r) for r in resources)
    result = store.query(f"DESCRIBE ?r WHERE {{ VALUES ?r {{ {values} }} }}")
    return list(result) if isinstance(result, QueryTriples) else []


def _hydra(page: int, size: int, total: int, since: str | None) -> list[Triple]:
    def page_url(number: int) -> NamedNode:
        args: dict[str, Any] = {"page": number}
        if since:
            args["modified_since"] = since
        return NamedNode(url_for("linked_data.catalog", _external=True, **args))

    last = max(1, -(-total // size))
    view = page_url(page)
    out = [Triple(view, RDF.type, HYDRA.PartialCollectionView),
           Triple(view, HYDRA.totalItems, Literal(str(total), datatype=XSD.integer)),
           Triple(view, HYDRA.itemsPerPage, Literal(str(size), datatype=XSD.integer)),
           Triple(view, HYDRA.first, page_url(1)), Triple(view, HYDRA.last, page_url(last))]
    if page < last:
        out.append(Triple(view, HYDRA.next, page_url(page + 1)))
    if page > 1:
        out.append(Triple(view, HYDRA.previous, page_url(min(page - 1, last))))
    return out


# -- VoID, sitemap, @context ------------------------------------------------------------------

@bp.route("/.well-known/void")
@bp.route("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> Response:
    """The VoID description: sizes, class and property partitions, endpoint and dumps; built
    once per store revision."""
    fmt = SUFFIXES.get(suffix or "") if suffix else choose_graph_format(request)
    if fmt is None or fmt == "html":
        return error(406, "VoID comes as " + ", ".join(GRAPH_TYPES.values()))
    store = get_store()
    revision = store_revision()
    key = url_for("linked_data.void", _external=True)
    built: dict[str, tuple[int, list[Triple]]] = current_app.extensions["void_cache"]
    cached = built.get(key)
    if cached is None or cached[0] != revision:
        cached = (revision, void_triples(store, NamedNode(key)))
        built[key] = cached
    response = Response(b"".join(stream_triples(cached[1], fmt)),
                        content_type=f"{GRAPH_TYPES[fmt]}; charset=utf-8")
    response.vary.add("Accept")
    return response


def void_triples(store: GraphStore, document: NamedNode) -> list[Triple]:
    dataset = NamedNode(document.value + "#dataset")

    def integer(value: int | str) -> Literal:
        return Literal(str(value), datatype=XSD.integer)

    graphs = store.graphs()
    out = [Triple(dataset, RDF.type, VOID.Dataset),
           Triple(dataset, VOID.triples, integer(sum(g.triples for g in graphs))),
           Triple(dataset, VOID.sparqlEndpoint,
                  NamedNode(url_for("sparql.query", _external=True))),
           Triple(dataset, VOID.uriSpace, Literal(f"{base_iri()}id/")),
           Triple(dataset, VOID.rootResource,
                  NamedNode(url_for("linked_data.catalog", _external=True)))]
    for fmt in ("nq", "ttl", "nt"):
        out.append(Triple(dataset, VOID.dataDump, NamedNode(
            url_for("dumps.dump_file", name=f"kg.{fmt}.gz", _external=True))))
    for row in solutions(store.query(load_query("void_classes"))):
        part = BlankNode()
        out += [Triple(dataset, VOID.classPartition, part), Triple(part, VOID["class"],
                                                                   row["class"]),
                Triple(part, VOID.entities, integer(row["entities"].value))]
    for row in solutions(store.query(load_query("void_properties"))):
        part = BlankNode()
        out += [Triple(dataset, VOID.propertyPartition, part),
                Triple(part, VOID.property, row["property"]),
                Triple(part, VOID.triples, integer(row["triples"].value))]
    for info in graphs:
        subset = NamedNode(f"{document.value}#{info.name.value.rsplit('/', 1)[-1]}")
        out += [Triple(dataset, VOID.subset, subset), Triple(subset, RDF.type, VOID.Dataset),
                Triple(subset, VOID.triples, integer(info.triples))]
    return out


SITEMAP_LIMIT = 50_000


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every resource page, as the sitemap protocol lists them (at most 50,000)."""
    rows = solutions(get_store().query(paginate(load_query("sitemap_resources"),
                                                SITEMAP_LIMIT)))
    prefix = f"{base_iri()}id/"
    urls = [url_for("linked_data.document", path=row["resource"].value[len(prefix):],
                    _external=True)
            for row in rows if row["resource"].value.startswith(prefix)]
    body = render_template("linked_data/sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml")


@bp.route("/context.jsonld")
def context() -> Response:
    """The JSON-LD @context of the service: its prefixes and the profile's common terms."""
    terms: dict[str, Any] = dict(PREFIXES)
    terms.update({
        "title": {"@id": "dct:title", "@container": "@language"},
        "description": {"@id": "dct:description", "@container": "@language"},
        "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
        "publisher": {"@id": "dct:publisher", "@type": "@id"},
        "theme": {"@id": "dcat:theme", "@type": "@id"},
        "distribution": {"@id": "dcat:distribution", "@type": "@id"},
        "accessURL": {"@id": "dcat:accessURL", "@type": "@id"},
        "downloadURL": {"@id": "dcat:downloadURL", "@type": "@id"},
        "notation": "skos:notation",
        "broader": {"@id": "skos:broader", "@type": "@id"},
        "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
        "modified": {"@id": "dct:modified", "@type": "xsd:date"},
        "issued": {"@id": "dct:issued", "@type": "xsd:date"},
    })
    return Response(json.dumps({"@context": terms}, ensure_ascii=False, indent=2),
                    mimetype="application/ld+json")


@bp.app_template_filter("local_link")
def local_link(iri: str) -> str:
    """Where a browser should go for ``iri``: our document when it is one of ours."""
    prefix = f"{base_iri()}id/"
    if iri.startswith(prefix):
        return url_for("linked_data.document", path=iri[len(prefix):])
    return iri


@bp.app_template_filter("page_link")
def page_link(iri: str) -> str:
    """Our page about ``iri``: its document when it is ours, else ``/resource?iri=`` for
    reused vocabulary terms (EU themes, licences, formats)."""
    local = local_link(iri)
    if local != iri:
        return local
    if iri.startswith(("http://publications.europa.eu/resource/authority/",)):
        return url_for("linked_data.any_resource", iri=iri)
    return iri


@bp.app_template_filter("short_iri")
def short_iri(iri: str) -> str:
    """``dct:title`` for ``http://purl.org/dc/terms/title``."""
    for name, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{name}:{iri[len(namespace):]}"
    return iri
