"""SPARQL Update through the validation gate.

An update is first run on hidden copies of the graphs it writes (the store's
``preview_update``); each resulting graph then goes through ``ingest`` like any load, so the
shapes see it before anybody else does. Updates must name the graphs they write: every source
lives in its own named graph, so a write to the default graph or to ``GRAPH ?g`` is refused.
"""

from __future__ import annotations

from typing import Any

from pyoxigraph import NamedNode
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.term import URIRef

from graph.meta_updates import META, STAGING_PREFIX
from graph.namespaces import PREFIXES
from graph.store import GraphStore, Provenance
from loaders.errors import LoadError, Problem
from loaders.ingest import Ingested, ValidationFailedError, check_only, drop_source, ingest


class UpdateRefusedError(LoadError):
    """An update this service does not run (the reason is in the message)."""


def written_graphs(text: str) -> list[NamedNode]:
    """The named graphs an update writes, in order of first mention.

    >>> [g.value for g in written_graphs("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }")]
    ['urn:g']
    """
    try:
        parsed = translateUpdate(parseUpdate(text), initNs=PREFIXES)
    except Exception as error:
        raise UpdateRefusedError([Problem("update", f"SPARQL syntax error: {error}")]) from error
    found: dict[str, None] = {}

    def add(term: Any, what: str) -> None:
        if not isinstance(term, URIRef):
            _refuse(f"{what}: name the graph with an IRI (updates write named graphs only)")
        found[str(term)] = None

    for op in parsed.algebra:
        name = op.name
        if name in ("InsertData", "DeleteData", "DeleteWhere"):
            if op.triples:
                _refuse(f"{name}: triples outside GRAPH <...> would go to the default graph; "
                        "put them in a named graph")
            for graph in op.quads:
                add(graph, name)
        elif name == "Modify":
            clauses = [c for c in (op.get("delete"), op.get("insert")) if c is not None]
            for clause in clauses:
                if clause.triples:
                    if op.get("withClause") is None:
                        _refuse("DELETE/INSERT without WITH <graph> writes the default graph")
                    add(op.withClause, "WITH")
                for graph in clause.quads:
                    add(graph, "GRAPH")
        elif name in ("Clear", "Drop", "Create"):
            add(op.graphiri, name.upper())
        elif name in ("Add", "Move", "Copy"):
            source, target = op.graph
            if name == "Move":
                add(source, name.upper())
            add(target, name.upper())
        elif name == "Load":
            add(op.get("graphiri"), "LOAD INTO")
        else:
            _refuse(f"{name} is not supported")
    graphs = [NamedNode(iri) for iri in found]
    for graph in graphs:
        if graph == META or graph.value.startswith(STAGING_PREFIX):
            _refuse(f"{graph.value} is kept by the store itself")
    return graphs


def _refuse(message: str) -> None:
    raise UpdateRefusedError([Problem("update", message)])


def apply_update(store: GraphStore, text: str, who: str) -> list[Ingested]:
    """Run ``text`` as a validated write: all written graphs conform, or nothing changes."""
    targets = written_graphs(text)
    results = store.preview_update(text, targets)
    # Check every graph first, so that one bad graph stops the whole update.
    for triples in results.values():
        if triples:
            report, _ = check_only(store, triples, f"SPARQL Update by {who}")
            if not report.conforms:
                raise ValidationFailedError(f"SPARQL Update by {who}", report)
    done = []
    for graph, triples in results.items():
        if not triples:
            drop_source(store, graph)
            continue
        done.append(ingest(store, graph.value, triples,
                           Provenance("sparql-update", f"SPARQL Update by {who}"), graph=graph))
    return done
