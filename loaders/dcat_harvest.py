"""DCAT RDF documents harvested as they are: any RDF syntax (from the Content-Type, else from
the content), the source's own IRIs kept, relative IRIs resolved against each page's URL, and
Hydra paging followed to the end (``hydra:next`` of a ``hydra:PartialCollectionView``, or
``hydra:nextPage`` of the older ``hydra:PagedCollection``). The paging statements themselves
are not part of the catalogue."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from graph.namespaces import HYDRA, RDF
from loaders.errors import Problem
from loaders.safe_http import Budget, Fetched, FetchError, fetch

ACCEPT = ("text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.9, "
          "application/n-triples;q=0.8, application/trig;q=0.5, */*;q=0.1")
BY_MEDIA = {"text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
            "application/rdf+xml": RdfFormat.RDF_XML, "application/xml": RdfFormat.RDF_XML,
            "text/xml": RdfFormat.RDF_XML, "application/ld+json": RdfFormat.JSON_LD,
            "application/json": RdfFormat.JSON_LD, "application/n-triples": RdfFormat.N_TRIPLES,
            "application/n-quads": RdfFormat.N_QUADS, "application/trig": RdfFormat.TRIG}
PAGING = {HYDRA.next, HYDRA.previous, HYDRA.first, HYDRA.last, HYDRA.nextPage,
          HYDRA.previousPage, HYDRA.firstPage, HYDRA.lastPage, HYDRA.view}
PAGE_TYPES = {HYDRA.PartialCollectionView, HYDRA.PagedCollection}


def detect_format(page: Fetched) -> RdfFormat:
    """The page's RDF syntax: its Content-Type when that is an RDF type, else a look at the
    first bytes (portals often send RDF as text/plain or application/octet-stream)."""
    known = BY_MEDIA.get(page.media_type)
    if known is not None:
        return known
    head = page.body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<RDF")):
        return RdfFormat.RDF_XML
    if head.startswith((b"{", b"[")):
        return RdfFormat.JSON_LD
    return RdfFormat.TURTLE    # N-Triples is Turtle too


def pages(url: str, budget: Budget, conditional: dict[str, str] | None = None
          ) -> Iterator[tuple[Fetched, list[Triple]]]:
    """Each page with its triples (paging statements left out), following Hydra's next
    links; a first page answered 304 comes with no triples."""
    seen: set[str] = set()
    current: str | None = url
    while current is not None:
        if current in seen:
            raise FetchError([Problem(current, "the paging links loop back to this page")])
        seen.add(current)
        page = fetch(current, budget, accept=ACCEPT,
                     conditional=conditional if current == url else None)
        if page.status == 304:
            yield page, []
            return
        fmt = detect_format(page)
        try:
            triples = [q.triple for q in parse(page.body, fmt, base_iri=page.url)]
        except SyntaxError as error:
            raise FetchError([Problem(page.url, f"not valid {fmt.name}: {error}")]) from error
        following, kept = _paging(triples, page.url)
        yield page, kept
        current = following


def _paging(triples: list[Triple], base: str) -> tuple[str | None, list[Triple]]:
    """The next page's URL, and the triples without the paging statements. Most pages
    have a handful of Hydra statements among many thousand: one look at each predicate's
    namespace, the rest only for those."""
    hydra, rdf_type = HYDRA.iri, RDF.type
    paging = [t for t in triples if t.predicate.value.startswith(hydra)
              or (t.predicate == rdf_type and t.object in PAGE_TYPES)]
    if not paging:
        return None, triples
    links = (HYDRA.next, HYDRA.nextPage)
    following = next((urllib.parse.urljoin(base, t.object.value) for t in paging
                      if t.predicate in links and isinstance(t.object, NamedNode)), None)
    views = {t.subject for t in paging if t.object in PAGE_TYPES}
    kept = [t for t in triples if t.predicate not in PAGING and t.subject not in views]
    return following, kept
