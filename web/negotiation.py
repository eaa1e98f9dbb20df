"""Which representation a client gets: `Accept` with q-values, a `format` parameter, a suffix."""

from __future__ import annotations

from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Request

SOLUTION_MEDIA = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA = {
    "text/turtle": "ttl", "application/x-turtle": "ttl", "application/n-triples": "nt",
    "text/plain": "nt", "application/ld+json": "jsonld", "application/json": "jsonld",
    "application/rdf+xml": "rdfxml", "application/xml": "rdfxml",
    # Turtle is a subset of N3: SPARQLWrapper's N3 clients read it.
    "text/n3": "ttl", "text/rdf+n3": "ttl",
}
GRAPH_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples",
               "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml"}
SUFFIXES = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "rdf": "rdfxml"}
# Names that clients put in a `format` (or `output`) parameter, SPARQLWrapper's among them.
ALIASES = {
    "turtle": "ttl", "n-triples": "nt", "ntriples": "nt", "json-ld": "jsonld",
    "rdf+xml": "rdfxml", "rdf": "rdfxml", "text": "tsv", "n3": "ttl",
}


def split_suffix(path: str) -> tuple[str, str | None]:
    """A path without its RDF suffix, and the format that suffix names (None: no suffix).

    >>> split_suffix("dataset/ds-1.ttl"), split_suffix("person/1")
    (('dataset/ds-1', 'ttl'), ('person/1', None))
    """
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in SUFFIXES:
        return stem, SUFFIXES[suffix]
    return path, None


def asked_format(request: Request) -> str | None:
    """The `format` (or `output`) parameter, if any, in its canonical spelling."""
    asked = (request.values.get("format") or request.values.get("output")
             or request.values.get("_mediatype"))
    return ALIASES.get(asked, asked) if asked else None


def choose_solution_format(request: Request) -> str | None:
    """json/xml/csv/tsv for SELECT and ASK, or None when nothing acceptable fits."""
    asked = asked_format(request)
    if asked:
        return asked if asked in ("json", "xml", "csv", "tsv") else SOLUTION_MEDIA.get(asked)
    return _by_accept(request, SOLUTION_MEDIA, "json")


def choose_graph_format(request: Request, *, html: bool = False) -> str | None:
    """ttl/nt/jsonld/rdfxml (or "html" when allowed) for graphs, None when nothing fits."""
    asked = asked_format(request)
    if asked:
        if asked == "xml":
            return "rdfxml"
        if asked == "json":
            return "jsonld"
        if html and asked == "html":
            return "html"
        return asked if asked in GRAPH_TYPES else GRAPH_MEDIA.get(asked)
    media = dict(GRAPH_MEDIA)
    if html:
        media = {"text/html": "html", "application/xhtml+xml": "html", **media}
    return _by_accept(request, media, "html" if html else "ttl")


def _by_accept(request: Request, media: dict[str, str], default: str) -> str | None:
    return _negotiate(request.headers.get("Accept", ""), tuple(media.items()), default)


@lru_cache(maxsize=512)
def _negotiate(header: str, media: tuple[tuple[str, str], ...], default: str) -> str | None:
    # Memoised: clients send the same few Accept headers, and matching one against the
    # offered types took a fifth of a lookup's time in this process.
    accept = parse_accept_header(header, MIMEAccept)
    if not accept or accept.best in (None, "*/*"):
        return default
    offered = dict(media)
    best = accept.best_match(list(offered))
    return offered[best] if best else None
