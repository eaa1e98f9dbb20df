"""The shipped ontologies and concept schemes, each into its own named graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyoxigraph import RdfFormat, Triple, parse

from graph.namespaces import BASE, graph_iri
from graph.resources import ontology, ontology_names
from graph.store import GraphInfo, GraphStore, Provenance
from loaders.errors import LoadError, Problem
from loaders.ingest import ingest

LOADER = "vocabulary"


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


def vocabulary_digest(name: str) -> str:
    """The SHA-256 of one shipped vocabulary's file: the version a store may hold."""
    return hashlib.sha256(ontology(name)).hexdigest()


def load_vocabularies(store: GraphStore, names: list[str] | None = None) -> list[GraphInfo]:
    """Shipped vocabularies (every one, unless ``names`` are given), each into its own graph."""
    return [ingest(store, vocabulary_source(name), vocabulary_triples(name),
                   Provenance(LOADER, f"ontologies/{name}.ttl", name,
                              digest=vocabulary_digest(name))).info
            for name in (vocabulary_names() if names is None else names)]


@dataclass(frozen=True)
class VocabularyUpdate:
    """Which shipped vocabularies a store lacked or held in another version, now loaded."""

    missing: list[str]
    outdated: list[str]

    def line(self) -> str | None:
        """One line for the user, or None when the store was up to date."""
        if not self.missing and not self.outdated:
            return None
        parts = []
        if self.missing:
            parts.append(f"loaded {len(self.missing)} the store lacked "
                         f"({', '.join(self.missing)})")
        if self.outdated:
            parts.append(f"updated {len(self.outdated)} to the shipped version "
                         f"({', '.join(self.outdated)})")
        return f"vocabularies: {'; '.join(parts)}"


def ensure_vocabularies(store: GraphStore) -> VocabularyUpdate:
    """Bring the store's copies of the shipped vocabularies up to date: every other source
    is validated against them, so a load into a store without them would fail record by
    record. A vocabulary loaded by hand from the same file is recognised by its digest."""
    held = {g.name: g for g in store.graphs()}
    missing, outdated = [], []
    for name in vocabulary_names():
        info = held.get(graph_iri(vocabulary_source(name)))
        if info is None:
            missing.append(name)
        elif info.digest != vocabulary_digest(name):
            outdated.append(name)
    if missing or outdated:
        load_vocabularies(store, sorted(missing + outdated))
    return VocabularyUpdate(missing, outdated)
