"""A graph being loaded, as the checks on it see it, and a file reader that reports progress."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from pyoxigraph import DefaultGraph, NamedNode, Quad, QueryTriples, Triple

from graph.namespaces import DCAT, ORG, SKOS
from graph.store import Bindings, QueryResult, solutions

if TYPE_CHECKING:
    from graph.embedded import EmbeddedStore

# Triples only the old version holds, and those only the new one holds, as N-Triples terms.
Changes = tuple[list[tuple[str, ...]], list[tuple[str, ...]]]

# Records named per query when the staged ones are counted.
FOCUS_BATCH = 2_000

# Links that list a record as a member: taken out with the record when it is quarantined.
MEMBERSHIP = (DCAT.dataset, DCAT.distribution, DCAT.service, DCAT.catalog,
              ORG.hasSubOrganization, ORG.hasMember, SKOS.hasTopConcept, SKOS.narrower)


class CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None]) -> None:
        self._raw, self._report, self._done = raw, report, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._done += count or 0
        self._report(self._done)
        return int(count or 0)


class StagedGraph:
    """A graph under load, seen together with every visible graph but the one it replaces."""

    def __init__(self, store: EmbeddedStore, name: NamedNode, replaces: NamedNode | None,
                 differences: Callable[[], Changes | None] | None = None, *,
                 is_copy: bool = False) -> None:
        self._store = store
        self.name = name
        self.replaces = replaces
        # A memory copy of the source, checked before the store writes it.
        self.is_copy = is_copy
        # How to tell what changed, when the store does not hold the old version itself.
        self._differences = differences
        self._changes: Changes | None = None
        self._changes_read = False
        # Whether records were taken out (else it holds what was loaded).
        self.extracted = False
        # The records (N-Triples) that triples were taken out of.
        self.taken: set[str] = set()

    def changes(self) -> Changes | None:
        """What differs from the graph being replaced (read once, until records are taken
        out): see ``EmbeddedStore.changes``."""
        if self.replaces is None:
            return ([], [])
        if not self._changes_read:
            self._changes = (self._differences() if self._differences is not None
                             else self._store.changes(self.replaces, self.name))
            self._changes_read = True
        return self._changes

    def data_diff(self) -> str | None:
        """DELETE DATA / INSERT DATA that turn the graph being replaced into this one; None
        when the differences are too many or name blank nodes."""
        changes = self.changes()
        if changes is None or self.replaces is None:
            return None
        return " ;\n".join(
            f"{verb} DATA {{ GRAPH {self.replaces} {{ "
            f"{' . '.join(' '.join(terms) for terms in lines)} }} }}"
            for verb, lines in zip(("DELETE", "INSERT"), changes, strict=True) if lines)

    def changed_subjects(self, limit: int, hops: int = 1) -> list[str] | None:
        """The records (N-Triples) whose triples differ from the graph being replaced, and
        those that link to them, ``hops`` links away at most; None for a new graph, when
        there are more than ``limit``, or when the differences name blank nodes (a reload
        gives every one a new name)."""
        if self.replaces is None:
            return None
        changes = self.changes()
        if changes is None:
            return None
        found = {terms[0] for lines in changes for terms in lines}
        frontier = sorted(found)
        graphs = self._linking_graphs()
        # One branch per graph: with ``GRAPH ?g`` bound by VALUES the engine read every triple.
        in_any = " UNION ".join(f"{{ GRAPH {g} {{ ?s ?p ?o }} }}" for g in graphs)
        for _ in range(hops):
            if len(found) > limit or not frontier:
                break
            linking = solutions(self._store.raw_query(
                f"SELECT DISTINCT ?s WHERE {{ VALUES ?o {{ {' '.join(frontier)} }} "
                f"{in_any} }}", None, named_graphs=graphs))
            frontier = sorted({str(row["s"]) for row in linking} - found)
            found.update(frontier)
        return None if len(found) > limit else sorted(found)

    def _linking_graphs(self) -> list[NamedNode]:
        """Where the records that link to a changed one are looked for."""
        return [self.name]

    def query(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult:
        # The union of every graph, this one included: an explicit list of graphs would cost
        # a lookup per graph on every pattern. Validation reads a record's own triples from
        # this graph by name, so the version being replaced does not get in the way.
        return self._store.raw_query(sparql, bindings, union=True)

    def query_committed(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult:
        if self.replaces is None:
            return self.query(sparql, bindings=bindings)
        # Listed graphs cost a lookup each per pattern, but the version being replaced must
        # not be seen: it would lend the new records its old values.
        graphs = [g for g in self._store.visible_graphs() if g != self.replaces]
        graphs.append(self.name)
        return self._store.raw_query(sparql, bindings, default_graph=[DefaultGraph(), *graphs],
                                     named_graphs=graphs)

    def extract(self, subjects: list[str]) -> list[Triple]:
        """Take the triples of these subjects (N-Triples IRIs) out, and the links that list
        them as members (a catalogue's datasets, a dataset's distributions)."""
        if not subjects:
            return []
        values = " ".join(subjects)
        members = " ".join(str(p) for p in MEMBERSHIP)
        found = self._store.raw_query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?r {{ {values} }} GRAPH {self.name} "
            f"{{ {{ ?r ?p ?o BIND(?r AS ?s) }} UNION {{ VALUES ?p {{ {members} }} ?s ?p ?r "
            f"BIND(?r AS ?o) }} }} }}",
            None, named_graphs=[self.name])
        if not isinstance(found, QueryTriples):
            raise TypeError("CONSTRUCT must give triples")
        triples = list(found)
        self._changes_read = False
        self.extracted = True
        self.taken.update(str(t.subject) for t in triples)
        self._store.remove_staged(
            Quad(t.subject, t.predicate, t.object, self.name) for t in triples)
        return triples


class StagedDifference(StagedGraph):
    """A reload staged as its difference (``graph.reload_difference``): ``name`` holds the new
    version of only ``focus`` (N-Triples IRIs), the records that changed and those that link
    to them; every other record of the graph being replaced stays as it is. The checks see it
    as they see a ``StagedGraph``: each record's own triples read from ``name``, what it links
    to from the union of every graph."""

    def __init__(self, store: EmbeddedStore, name: NamedNode, replaces: NamedNode,
                 focus: list[str]) -> None:
        super().__init__(store, name, replaces)
        self.focus = focus
        self._replaced: NamedNode = replaces

    def changes(self) -> Changes | None:
        if not self._changes_read:
            self._changes = self._store.changes(self._replaced, self.name, subjects=self.focus)
            self._changes_read = True
        return self._changes

    def _linking_graphs(self) -> list[NamedNode]:
        # A record that did not change links from the graph being replaced.
        return [self.name, self._replaced]

    def query_committed(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult:
        # The records that did not change are read where they are, in the graph being
        # replaced; the changed ones are seen in both versions (as ``query`` sees them).
        graphs = [*self._store.visible_graphs(), self.name]
        return self._store.raw_query(sparql, bindings, default_graph=[DefaultGraph(), *graphs],
                                     named_graphs=graphs)

    def patch_ops(self) -> str:
        """The update that puts the staged records in place of their old version, when the
        difference cannot be written as data (``data_diff``)."""
        values = " ".join(self.focus)
        return (f"DELETE {{ GRAPH {self._replaced} {{ ?s ?p ?o }} }} WHERE {{ VALUES ?s "
                f"{{ {values} }} GRAPH {self._replaced} {{ ?s ?p ?o }} }} ;\n"
                f"INSERT {{ GRAPH {self._replaced} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {self.name} "
                f"{{ ?s ?p ?o }} }}")

    def triples_after(self) -> int:
        """How many triples the graph will hold once the staged records replace theirs."""
        total, old = 0, 0
        for start in range(0, len(self.focus), FOCUS_BATCH):
            values = " ".join(self.focus[start:start + FOCUS_BATCH])
            rows = solutions(self._store.raw_query(
                f"SELECT (COUNT(*) AS ?n) {{ VALUES ?s {{ {values} }} GRAPH {self._replaced} "
                f"{{ ?s ?p ?o }} }}", None, named_graphs=[self._replaced]))
            old += int(next(iter(rows))["n"].value)
        for graph in (self._replaced, self.name):
            rows = solutions(self._store.raw_query(
                f"SELECT (COUNT(*) AS ?n) {{ GRAPH {graph} {{ ?s ?p ?o }} }}", None,
                named_graphs=[graph]))
            total += int(next(iter(rows))["n"].value)
        return total - old
