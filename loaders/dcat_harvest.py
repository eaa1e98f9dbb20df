"""DCAT RDF documents harvested as they are: any RDF syntax (from the Content-Type, else from
the content), the source's own IRIs kept, relative IRIs resolved against each page's URL, and
Hydra paging followed to the end (``hydra:next`` of a ``hydra:PartialCollectionView``, or
``hydra:nextPage`` of the older ``hydra:PagedCollection``). The paging statements themselves
are not part of the catalogue."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

from pyoxigraph import NamedNode, RdfFormat, parse, serialize

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
HYDRA_TEXT = HYDRA.iri.encode()


def detect_format(page: Fetched) -> RdfFormat:
    """The page's RDF syntax: its Content-Type when that is an RDF type, else a look at the
    first bytes (portals often send RDF as text/plain or application/octet-stream)."""
    known = BY_MEDIA.get(page.media_type)
    if known is not None:
        return known
    head = page.head(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<RDF")):
        return RdfFormat.RDF_XML
    if head.startswith((b"{", b"[")):
        return RdfFormat.JSON_LD
    return RdfFormat.TURTLE    # N-Triples is Turtle too


def pages(url: str, budget: Budget, conditional: dict[str, str] | None = None
          ) -> Iterator[tuple[Fetched, bytes]]:
    """Each page with its triples as N-Triples, as pyoxigraph writes them (the paging
    statements left out), following Hydra's next links; a first page answered 304 comes with
    none. A page's body is read as a stream and let go once it is read: a big source would
    otherwise be held twice."""
    seen: set[str] = set()
    current: str | None = url
    while current is not None:
        if current in seen:
            raise FetchError([Problem(current, "the paging links loop back to this page")])
        seen.add(current)
        page = fetch(current, budget, accept=ACCEPT,
                     conditional=conditional if current == url else None)
        if page.status == 304:
            yield page, b""
            return
        fmt = detect_format(page)
        try:
            # Written as it is parsed: the triples of a big page never all live as objects.
            # A dataset syntax (TriG, N-Quads) gives its graphs' triples, the names left out.
            quads = parse(page.stream(), fmt, base_iri=page.url)
            text = serialize(quads if not fmt.supports_datasets else
                             (quad.triple for quad in quads), format=RdfFormat.N_TRIPLES) or b""
        except SyntaxError as error:
            raise FetchError([Problem(page.url, f"not valid {fmt.name}: {error}")]) from error
        page.release()
        following, kept = _paging(text, page.url)
        yield page, kept
        current = following


def _paging(text: bytes, base: str) -> tuple[str | None, bytes]:
    """The next page's URL, and the page's N-Triples without the paging statements. Most
    pages have a handful of Hydra statements among many thousand: one search of the text,
    and a look at each line only when there are some."""
    if HYDRA_TEXT not in text:
        return None, text
    lines = text.splitlines(keepends=True)
    paging = [q.triple for q in parse(b"".join(line for line in lines if HYDRA_TEXT in line),
                                      RdfFormat.N_TRIPLES)]
    paging = [t for t in paging if t.predicate.value.startswith(HYDRA.iri)
              or (t.predicate == RDF.type and t.object in PAGE_TYPES)]
    if not paging:
        return None, text
    links = (HYDRA.next, HYDRA.nextPage)
    following = next((urllib.parse.urljoin(base, t.object.value) for t in paging
                      if t.predicate in links and isinstance(t.object, NamedNode)), None)
    views = {str(t.subject).encode() for t in paging if t.object in PAGE_TYPES}
    dropped = {str(p).encode() for p in PAGING}
    kept = [line for line in lines
            if line[:line.find(b" ")] not in views and _predicate(line) not in dropped]
    return following, b"".join(kept)


def _predicate(line: bytes) -> bytes:
    """The predicate of an N-Triples line as pyoxigraph writes it (terms single-spaced)."""
    start = line.find(b" ") + 1
    return line[start:line.find(b" ", start)]
