"""The one store interface that all other code uses, and ``open_store`` to get one."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
)

Term = NamedNode | BlankNode | Literal
Bindings = Mapping[str, Term]
QueryResult = QuerySolutions | QueryBoolean | QueryTriples
GraphName = NamedNode | DefaultGraph


class StoreError(Exception):
    """A store operation failed; the store is unchanged."""


@dataclass(frozen=True)
class RdfFile:
    """An RDF file handed to the store as it is, so the store can use its bulk fast path.

    ``progress``, when given, is called with the number of bytes read so far.
    """

    path: Path
    format: RdfFormat
    base_iri: str | None = None
    progress: Callable[[int], None] | None = None


@dataclass(frozen=True)
class RdfFiles:
    """Several RDF files that together make one source graph."""

    files: tuple[RdfFile, ...]


@dataclass(frozen=True)
class Provenance:
    """Where the content of a named graph came from."""

    loader: str
    source: str
    title: str = ""
    # The SHA-256 of the source's content, when it is a file whose version matters.
    digest: str = ""


@dataclass(frozen=True)
class GraphInfo:
    """A named graph as listed by ``GraphStore.graphs``."""

    name: NamedNode
    triples: int
    loader: str | None = None
    source: str | None = None
    title: str | None = None
    loaded_at: datetime | None = None
    digest: str | None = None


class Staging(Protocol):
    """A graph being loaded: queryable together with the visible graphs, invisible to others."""

    name: NamedNode
    # A memory copy of the source, checked (and read) while the store writes it.
    is_copy: bool

    def query(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult: ...

    def query_committed(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult:
        """A query on the store as it will be once this graph is committed: the version it
        replaces left out."""
        ...

    def extract(self, subjects: list[str]) -> list[Triple]:
        """Remove these records (N-Triples IRIs) and the links to them; return what went."""
        ...

    def changed_subjects(self, limit: int, hops: int = 1) -> list[str] | None:
        """Records that differ from the graph being replaced, and those linking to them
        ``hops`` links away (None: too many, or a new graph: look at everything)."""
        ...


@dataclass(frozen=True)
class RecordVersion:
    """A source's new version told record by record, so that a store that kept each record's
    digest from the source's last load stages only the records whose digest changed.

    ``digests`` maps each record (the N-Triples IRI its triples are about) to a digest of how
    the source gave it, including whatever else its triples depend on; None when records
    cannot be told apart (blank nodes are named anew by every read). ``triples`` gives the
    triples of the records named, or of every record (None). Iterated, it gives every
    triple: a store without tables loads it as any other triples.
    """

    digests: Mapping[str, int] | None
    triples: Callable[[Collection[str] | None], list[Triple]]

    def __iter__(self) -> Iterator[Triple]:
        return iter(self.triples(None))


GraphData = Iterable[Quad | Triple] | RdfFile | RdfFiles | RecordVersion
# A check on a staged graph raises to refuse it; it may return facts (predicate, object) to
# record in the graph's provenance in the same transaction as the data.
ProvenanceFacts = list[tuple[NamedNode, Term]]
StagingCheck = Callable[[Staging], ProvenanceFacts | None]
# Work on a graph that passed its check, done while the store writes it.
StagingTask = Callable[[Staging], None]


class GraphStore(Protocol):
    """Everything the rest of the code may ask of a triple store.

    The default graph of a query is the union of the visible named graphs. Graphs being
    loaded are invisible until ``replace_graph`` commits them.
    """

    def query(
        self,
        sparql: str,
        *,
        bindings: Bindings | None = None,
        default_graph: list[GraphName] | None = None,
        named_graphs: list[NamedNode] | None = None,
    ) -> QueryResult: ...

    def update(self, sparql: str, *, service_graphs_only: bool = False) -> None: ...

    def add_service_triples(self, graph: NamedNode, triples: Iterable[Triple]) -> None: ...

    def replace_graph(
        self,
        graph: NamedNode,
        data: GraphData,
        provenance: Provenance,
        *,
        check: StagingCheck | None = None,
        reach: int | None = None,
        then: StagingTask | None = None,
    ) -> GraphInfo:
        """Make ``graph`` hold exactly ``data``, atomically, once ``check`` (if any) passed.

        ``reach`` says how many links beyond the source's own triples ``check`` and ``then``
        look (None: anywhere). With it, a store may check the source (and, on a reload, the
        version it replaces) against a copy of only that much of its data, before writing
        anything. ``then`` runs on the source once it passed, while the store writes it:
        work that reads the new data (a search index's rows) need not wait for the write (a
        store that writes a source before checking it runs ``then`` after ``check``). If
        either raises, nothing is written."""
        ...

    def drop_graph(self, graph: NamedNode) -> None: ...

    def preview_update(self, sparql: str, graphs: list[NamedNode]
                       ) -> dict[NamedNode, list[Triple]]:
        """What ``graphs`` would hold after the update, computed without changing the store."""
        ...

    def graphs(self) -> list[GraphInfo]: ...

    def visible_graphs(self) -> list[NamedNode]: ...

    def revision(self) -> int: ...

    def changed_at(self) -> datetime | None: ...

    def stream_query(
        self,
        sparql: str,
        *,
        default_graph: list[GraphName] | None = None,
        named_graphs: list[NamedNode] | None = None,
    ) -> QueryResult | Iterator[Triple]:
        """A query whose answer is read as it comes (SELECT/ASK results or triples)."""
        ...

    def serialized_query(
        self,
        sparql: str,
        media_type: str,
        *,
        default_graph: list[GraphName] | None = None,
        named_graphs: list[NamedNode] | None = None,
    ) -> Iterator[bytes]:
        """An answer as the store itself writes it in ``media_type``, without a row limit: a
        SPARQL results type for SELECT and ASK, an RDF one for CONSTRUCT and DESCRIBE."""
        ...

    def dump(self, out: BinaryIO) -> int: ...

    def restore(self, data: BinaryIO) -> int: ...

    def close(self) -> None: ...


def solutions(result: QueryResult) -> QuerySolutions:
    """The rows of a SELECT result; anything else is a programming error."""
    if not isinstance(result, QuerySolutions):
        raise TypeError(f"expected SELECT results, got {type(result).__name__}")
    return result


DEFAULT_STORE = "data/store"


def open_store(location: str | Path) -> GraphStore:
    """'memory' gives an in-memory store, an http(s) URL the ``oxigraph serve`` (or any server
    with the same routes) there, anything else an on-disk path.

    >>> store = open_store("memory")
    >>> store.graphs()
    []
    """
    from graph.embedded import EmbeddedStore

    if str(location) == "memory":
        return EmbeddedStore(None)
    if str(location).startswith(("http://", "https://")):
        from graph.remote import Endpoint, RemoteStore

        return RemoteStore(Endpoint.oxigraph(str(location)))
    return EmbeddedStore(Path(location))
