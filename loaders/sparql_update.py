"""SPARQL Update through the validation gate.

An update is first run on hidden copies of the graphs it writes (the store's
``preview_update``); each resulting graph then goes through ``ingest`` like any load, so the
shapes see it before anybody else does. Every source lives in its own named graph: the text is
first rewritten (``graph.update_text``) so that each operation names the graphs it writes and
reads, the default graph being the source graph ``/graph/default``; a write to ``GRAPH ?g`` is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyoxigraph import NamedNode
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.term import URIRef

from graph.change_log import Audit
from graph.namespaces import BASE, PREFIXES, graph_iri
from graph.private_store import private_store
from graph.publication import Scope, is_private, kept_by_service
from graph.store import GraphStore, Provenance, open_store
from graph.update_text import (
    UpdateContext,
    UpdateDataset,
    UpdateTextError,
    rewrite_update,
    standalone_operations,
)
from loaders.errors import LoadError, OutOfScopeError, Problem
from loaders.ingest import (
    Ingested,
    ValidationFailedError,
    admit,
    check_only,
    drop_source,
    graph_triples,
    ingest,
)


class UpdateRefusedError(LoadError):
    """An update this service does not run (the reason is in the message)."""


class ForbiddenGraphError(UpdateRefusedError):
    """An update that would write a graph the store keeps for itself."""


def written_graphs(text: str) -> list[NamedNode]:
    """The named graphs an update writes, in order of first mention.

    >>> [g.value for g in written_graphs("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }")]
    ['urn:g']
    """
    try:
        algebra = [op for one in standalone_operations(text)
                   for op in translateUpdate(parseUpdate(one), initNs=PREFIXES).algebra]
    except Exception as error:
        raise UpdateRefusedError([Problem("update", f"SPARQL syntax error: {error}")]) from error
    found: dict[str, None] = {}

    def add(term: Any, what: str) -> None:
        if not isinstance(term, URIRef):
            _refuse(f"{what}: name the graph with an IRI (updates write named graphs only)")
        found[str(term)] = None

    for op in algebra:
        name = op.name
        # CompValue.get(key) answers the key itself when it is missing: test with ``in``.
        if name in ("InsertData", "DeleteData", "DeleteWhere"):
            if op.triples:
                _refuse(f"{name}: triples outside GRAPH <...> would go to the default graph")
            for graph in op.quads:
                add(graph, name)
        elif name == "Modify":
            for clause in (op[key] for key in ("delete", "insert") if key in op):
                if clause.triples:
                    if "withClause" not in op:
                        _refuse("DELETE/INSERT without WITH <graph> writes the default graph")
                    add(op["withClause"], "WITH")
                for graph in clause.quads:
                    add(graph, "GRAPH")
        elif name in ("Clear", "Drop", "Create"):
            add(op["graphiri"], name.upper())
        elif name in ("Add", "Move", "Copy"):
            source, target = op["graph"]
            if name == "Move":
                add(source, name.upper())
            add(target, name.upper())
        elif name == "Load":
            into = op["graphiri"] if "graphiri" in op else None  # noqa: SIM401 (see above)
            add(into, "LOAD INTO")
        else:
            _refuse(f"{name} is not supported")
    graphs = [NamedNode(iri) for iri in found]
    for graph in graphs:
        if kept_by_service(graph):
            raise ForbiddenGraphError([Problem("update",
                                               f"{graph.value} is kept by the store itself")])
    return graphs


def _refuse(message: str) -> None:
    raise UpdateRefusedError([Problem("update", message)])


DEFAULT_SOURCE = graph_iri("default")


def rewritten_update(store: GraphStore, text: str, dataset: UpdateDataset | None = None
                     ) -> tuple[str, list[NamedNode]]:
    """The update as it will run, with every graph named, and the graphs it writes."""
    infos = store.graphs()
    data = [g.name for g in infos if not kept_by_service(g.name) and g.loader != "vocabulary"]
    known = [g.name for g in infos]
    targets: list[NamedNode] = []
    # Twice when the update writes graphs the store does not hold yet: ALL and the union a
    # WHERE reads include the graphs that earlier operations of the request create.
    for _ in range(2):
        new = [g for g in targets if g not in known]
        context = UpdateContext(DEFAULT_SOURCE, [*data, *new], [*known, *new], BASE)
        try:
            rewritten = rewrite_update(text, context, dataset)
        except UpdateTextError as error:
            raise UpdateRefusedError([Problem("update", str(error))]) from error
        targets = written_graphs(rewritten)
        if all(g in known for g in targets) or new:
            break
    return rewritten, targets


def _scratch(store: GraphStore, graphs: list[NamedNode]) -> GraphStore:
    scratch = open_store("memory")
    for graph in graphs:
        triples = graph_triples(store, graph)
        if triples:
            scratch.replace_graph(graph, triples, Provenance("sparql-update", "scratch"))
    return scratch


@dataclass(frozen=True)
class UpdateDone:
    """What an update committed: the graphs it wrote and those it left empty (dropped)."""

    written: list[Ingested]
    dropped: list[NamedNode]

    def summary(self) -> str:
        parts = [f"<{d.info.name.value}> ({d.info.triples} triples)" for d in self.written]
        parts += [f"<{g.value}> (dropped)" for g in self.dropped]
        return f"updated {', '.join(parts) or 'nothing'}"


def apply_update(store: GraphStore, text: str, who: str,
                 dataset: UpdateDataset | None = None, *, scope: Scope | None = None,
                 audit: Audit | None = None) -> UpdateDone:
    """Run ``text`` as a validated write: all written graphs conform, or nothing changes.
    With a ``scope``, what the update would change in every graph is checked against it
    first: one record out of scope refuses the whole update (``OutOfScopeError``)."""
    text, targets = rewritten_update(store, text, dataset)
    held = {g.name for g in store.graphs()} | {g.name for g in private_store(store).graphs()}
    private = [g for g in targets if is_private(g)]
    if private and len(private) < len(targets):
        _refuse("an update that writes an organisation's catalogue graph writes only "
                "catalogue graphs (send the other graphs' changes in another update)")
    # A catalogue graph lives in the private store: the update runs on a scratch store
    # holding the graphs it writes (its WHERE sees those).
    scratch = _scratch(store, targets) if private else store
    results = scratch.preview_update(text, targets)
    if scope is not None:
        refused: list[Problem] = []
        for graph, triples in results.items():
            try:
                admit(store, scope, graph, list(triples))
            except OutOfScopeError as out:
                refused += out.problems
        if refused:
            raise OutOfScopeError(refused)
    # Check every graph first, so that one bad graph stops the whole update.
    for triples in results.values():
        if triples:
            report, _ = check_only(store, triples, f"SPARQL Update by {who}")
            if not report.conforms:
                raise ValidationFailedError(f"SPARQL Update by {who}", report)
    done = UpdateDone([], [])
    for graph, triples in results.items():
        if not triples:
            if graph in held:
                drop_source(store, graph, audit=audit)
                done.dropped.append(graph)
            continue
        done.written.append(ingest(store, graph.value, triples,
                                   Provenance("sparql-update", f"SPARQL Update by {who}"),
                                   graph=graph, audit=audit))
    return done
