"""A store as one reader sees it: every public graph, and only the private graphs that
reader may read (``graph.publication`` says which graphs are private and who reads them).

Everything the web layer reads goes through a ``ReadView``; writes go to the store itself.
While the store holds no private graph, the view adds nothing to a query (the union of all
graphs stays the default graph, the fastest dataset there is).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from pyoxigraph import DefaultGraph, NamedNode, Quad, QueryTriples, RdfFormat, Triple, serialize

from graph.meta_updates import STAGING_PREFIX
from graph.publication import WITHHELD_PREFIX, derived_graphs, is_catalog, is_private, org_of
from graph.store import Bindings, GraphInfo, GraphName, GraphStore, QueryResult

# No graph has this name (it is under the store's own prefix): a dataset of nothing.
NOTHING = NamedNode(f"{STAGING_PREFIX}nothing")


class ReadView:
    """``store`` with its private graphs hidden, but for ``private``."""

    def __init__(self, store: GraphStore, private: Sequence[NamedNode] = ()) -> None:
        self.store = store
        self.private = frozenset(private)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def readable(self) -> list[NamedNode] | None:
        """The named graphs this reader sees; None when that is every graph."""
        graphs = self.store.visible_graphs()
        hidden = {g for g in graphs if is_private(g) and g not in self.private}
        return None if not hidden else [g for g in graphs if g not in hidden]

    def _union(self, readable: list[NamedNode]) -> list[NamedNode]:
        """The graphs of the default graph: an organisation's own catalogue holds all that
        its derived graphs hold (a union of both would repeat every answer), and who reads
        the withheld URLs does not need what stands in for them."""
        shadowed = {view for graph in self.private if is_catalog(graph)
                    for view in derived_graphs(org_of(graph) or "")}
        shadowed |= {derived_graphs(org_of(graph) or "")[2] for graph in self.private
                     if graph.value.startswith(WITHHELD_PREFIX)}
        return [g for g in readable if g not in shadowed]

    def dataset(self, default_graph: list[GraphName] | None,
                named_graphs: list[NamedNode] | None
                ) -> tuple[list[GraphName] | None, list[NamedNode] | None]:
        """The dataset a query runs on: what it asked for, less what this reader may not
        read (None, None: the store's default, all graphs)."""
        readable = self.readable()
        if readable is None:
            return default_graph, named_graphs
        allowed = set(readable)
        default: list[GraphName] = [DefaultGraph(), *self._union(readable)] \
            if default_graph is None else [g for g in default_graph
                                           if isinstance(g, DefaultGraph) or g in allowed]
        named = readable if named_graphs is None else [g for g in named_graphs if g in allowed]
        # An empty list means "every graph" to some stores: a graph nobody writes instead.
        return default or [NOTHING], named or [NOTHING]

    def query(self, sparql: str, *, bindings: Bindings | None = None,
              default_graph: list[GraphName] | None = None,
              named_graphs: list[NamedNode] | None = None) -> QueryResult:
        default, named = self.dataset(default_graph, named_graphs)
        return self.store.query(sparql, bindings=bindings, default_graph=default,
                                named_graphs=named)

    def stream_query(self, sparql: str, *, default_graph: list[GraphName] | None = None,
                     named_graphs: list[NamedNode] | None = None
                     ) -> QueryResult | Iterator[Triple]:
        default, named = self.dataset(default_graph, named_graphs)
        return self.store.stream_query(sparql, default_graph=default, named_graphs=named)

    def serialized_query(self, sparql: str, media_type: str, *,
                         default_graph: list[GraphName] | None = None,
                         named_graphs: list[NamedNode] | None = None) -> Iterator[bytes]:
        default, named = self.dataset(default_graph, named_graphs)
        return self.store.serialized_query(sparql, media_type, default_graph=default,
                                           named_graphs=named)

    def graphs(self) -> list[GraphInfo]:
        readable = self.readable()
        infos = self.store.graphs()
        if readable is None:
            return infos
        allowed = set(readable)
        return [info for info in infos if info.name in allowed]

    def visible_graphs(self) -> list[NamedNode]:
        readable = self.readable()
        return self.store.visible_graphs() if readable is None else readable

    def dump(self, out: BinaryIO) -> int:
        """Every quad this reader may read, as N-Quads; return how many."""
        readable = self.readable()
        if readable is None:
            return self.store.dump(out)
        count = 0
        graphs: list[GraphName] = [DefaultGraph(), *readable]
        for graph in graphs:
            pattern = "{ ?s ?p ?o }" if isinstance(graph, DefaultGraph) else \
                f"{{ GRAPH {graph} {{ ?s ?p ?o }} }}"
            result = self.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {pattern}",
                                      default_graph=[DefaultGraph()],
                                      named_graphs=[graph] if isinstance(graph, NamedNode)
                                      else [])
            if not isinstance(result, QueryTriples):
                raise TypeError("CONSTRUCT must give triples")
            quads = [Quad(t.subject, t.predicate, t.object, graph) for t in result]
            count += len(quads)
            serialize(quads, out, RdfFormat.N_QUADS)
        return count
