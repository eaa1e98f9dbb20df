"""RDF files as sources: syntax from the extension or given, relative IRIs resolved."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import RdfFormat

from graph.store import RdfFile
from loaders.errors import LoadError, Problem

SYNTAXES = {
    "turtle": RdfFormat.TURTLE, "ttl": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES, "nt": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD, "json-ld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML, "xml": RdfFormat.RDF_XML,
}
EXTENSIONS = {
    ".ttl": RdfFormat.TURTLE, ".turtle": RdfFormat.TURTLE, ".nt": RdfFormat.N_TRIPLES,
    ".jsonld": RdfFormat.JSON_LD, ".json": RdfFormat.JSON_LD, ".rdf": RdfFormat.RDF_XML,
    ".xml": RdfFormat.RDF_XML, ".owl": RdfFormat.RDF_XML,
}


def syntax_of(path: Path, syntax: str | None = None) -> RdfFormat:
    """The RDF syntax named by ``syntax``, else by the file extension.

    >>> syntax_of(Path("catalog.rdf")) == RdfFormat.RDF_XML
    True
    >>> syntax_of(Path("x.data"), "ttl") == RdfFormat.TURTLE
    True
    """
    if syntax:
        try:
            return SYNTAXES[syntax.lower()]
        except KeyError:
            raise LoadError([Problem(str(path), f"unknown syntax {syntax!r} (one of: "
                                     f"{', '.join(sorted(SYNTAXES))})")]) from None
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise LoadError([Problem(str(path), f"cannot tell the RDF syntax from {path.suffix!r}; "
                                 "give --syntax (turtle, ntriples, jsonld, rdfxml)")])
    return found


def rdf_file(path: Path, *, syntax: str | None = None, base_iri: str | None = None) -> RdfFile:
    """A file ready for the store's bulk path.

    Harvested catalogues are full of relative IRIs; like rdflib, resolve them against the
    file's own location unless a base IRI is given.
    """
    if not path.is_file():
        raise LoadError([Problem(str(path), "no such file")])
    return RdfFile(path, syntax_of(path, syntax), base_iri or path.resolve().as_uri())
