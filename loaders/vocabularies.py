"""The shipped ontologies and concept schemes, each into its own named graph."""

from __future__ import annotations

from pyoxigraph import RdfFormat, Triple, parse

from graph.namespaces import BASE
from graph.resources import ontology, ontology_names
from loaders.errors import LoadError, Problem


def vocabulary_triples(name: str) -> list[Triple]:
    """The triples of one shipped Turtle file; a syntax error names the file and line."""
    try:
        return [quad.triple for quad in parse(ontology(name), RdfFormat.TURTLE,
                                              base_iri=f"{BASE}def/{name}")]
    except SyntaxError as error:
        raise LoadError([Problem(f"ontologies/{name}.ttl", str(error))]) from error


def vocabulary_names() -> list[str]:
    """The names of the shipped vocabularies (file names without ``.ttl``)."""
    return ontology_names()


def vocabulary_source(name: str) -> str:
    """The source id, and so the graph name, of one vocabulary.

    >>> vocabulary_source("themes")
    'vocab-themes'
    """
    return f"vocab-{name}"
