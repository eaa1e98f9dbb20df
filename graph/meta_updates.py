"""The SPARQL updates the embedded store commits: provenance, marks, counter and swaps.

Every term is written by pyoxigraph's own N-Triples serialisation (``str(term)``), never by
pasting text.
"""

from __future__ import annotations

from datetime import datetime

from pyoxigraph import DefaultGraph, Literal, NamedNode

from graph.namespaces import DCT, KG, RDF, XSD, graph_iri
from graph.store import GraphName, Provenance, Term

META = graph_iri("meta")
STAGING_PREFIX = "urn:kg:staging:"


def mark_ops(graph: NamedNode) -> str:
    """Mark a graph to be wiped if the process stops before the commit."""
    return f"INSERT DATA {{ GRAPH {META} {{ {graph} {KG.pendingRemoval} true }} }}"


def unmark_ops(graph: NamedNode) -> str:
    """Take the mark away."""
    return f"DELETE DATA {{ GRAPH {META} {{ {graph} {KG.pendingRemoval} true }} }}"


def forget_ops(graph: NamedNode) -> str:
    """Remove everything the meta graph says about a graph."""
    return f"DELETE WHERE {{ GRAPH {META} {{ {graph} ?p ?o }} }}"


def swap_ops(target: GraphName, staged: NamedNode) -> str:
    """Make ``target`` equal ``staged``, the difference computed inside the transaction."""
    # Terms are written by pyoxigraph's own N-Triples serialisation (str(term)).
    current = ("?s ?p ?o" if isinstance(target, DefaultGraph)
               else f"GRAPH {target} {{ ?s ?p ?o }}")
    incoming = f"GRAPH {staged} {{ ?s ?p ?o }}"
    return (
        f"DELETE {{ {current} }} WHERE {{ {current} FILTER NOT EXISTS {{ {incoming} }} }} ;\n"
        f"INSERT {{ {current} }} WHERE {{ {incoming} FILTER NOT EXISTS {{ {current} }} }}"
    )


def provenance_ops(graph: NamedNode, provenance: Provenance, triples: int,
                    loaded_at: datetime, extra: list[tuple[NamedNode, Term]]) -> str:
    now = Literal(loaded_at.isoformat(), datatype=XSD.dateTime)
    facts = [
        (RDF.type, KG.SourceGraph),
        (KG.loader, Literal(provenance.loader)),
        (DCT.source, Literal(provenance.source)),
        (DCT.modified, now),
        (KG.tripleCount, Literal(str(triples), datatype=XSD.integer)),
    ]
    if provenance.title:
        facts.append((DCT.title, Literal(provenance.title)))
    if provenance.digest:
        facts.append((KG.sourceDigest, Literal(provenance.digest)))
    facts += extra
    body = " ".join(f"{graph} {p} {o} ." for p, o in facts)
    return f"{forget_ops(graph)} ;\nINSERT DATA {{ GRAPH {META} {{ {body} }} }}"


def revision_ops(revision: int, *, after_restore: bool = False) -> str:
    """Set the store's change counter to the next value."""
    # After a restore the counter continues from the larger of the two histories so that
    # ETags handed out before never come back.
    rev = KG.revision
    if after_restore:
        return (f"DELETE {{ GRAPH {META} {{ {META} {rev} ?r }} }} "
                f"INSERT {{ GRAPH {META} {{ {META} {rev} ?n }} }} WHERE {{ "
                f"OPTIONAL {{ GRAPH {META} {{ {META} {rev} ?r }} }} "
                f"BIND(IF(BOUND(?r) && ?r > {revision}, ?r, {revision}) + 1"
                f" AS ?n) }} ;\n{_stamp_ops()}")
    return (f"DELETE WHERE {{ GRAPH {META} {{ {META} {rev} ?r }} }} ;\n"
            f"INSERT DATA {{ GRAPH {META} {{ {META} {rev} {revision + 1} }} }} ;\n"
            f"{_stamp_ops()}")


def _stamp_ops() -> str:
    """Record when the store last changed (the web layer's Last-Modified)."""
    return (f"DELETE WHERE {{ GRAPH {META} {{ {META} {DCT.modified} ?m }} }} ;\n"
            f"INSERT {{ GRAPH {META} {{ {META} {DCT.modified} ?now }} }} "
            "WHERE { BIND(NOW() AS ?now) }")
