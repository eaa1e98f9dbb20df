"""Reading the change record (graph/change_log.py writes it): newest first, filtered by time or
revision, record type and publisher, in pages that continue from a cursor. The change feed,
the catalogue's ``modified_since`` and the dataset pages' history all read it here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode

from graph.change_log import CHANGES
from graph.namespaces import DCT, KG, PROV, XSD
from graph.store import GraphStore, solutions


@dataclass(frozen=True)
class Cursor:
    """A position in the feed: the changes after it (older ones) come next."""

    revision: int
    sequence: int

    def __str__(self) -> str:
        return f"{self.revision}-{self.sequence}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = re.fullmatch(r"(\d{1,18})-(\d{1,18})", text.strip())
        if match is None:
            raise ValueError(f"cursor {text!r} is not REVISION-SEQUENCE")
        return cls(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Filters:
    """Which changes: since a time (inclusive) or after a revision, of a record type, of a
    publisher, of one record."""

    since_time: datetime | None = None
    since_revision: int | None = None
    record_type: NamedNode | None = None
    publisher: NamedNode | None = None
    record: NamedNode | None = None

    @staticmethod
    def since(text: str) -> tuple[datetime | None, int | None]:
        """``since=``: a store revision (digits) or an ISO 8601 date or date-time."""
        text = text.strip()
        if text.isdigit():
            return None, int(text)
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"since={text!r} is neither a revision nor an ISO 8601 "
                             "date-time") from None
        return (when if when.tzinfo else when.replace(tzinfo=UTC)), None

    def sparql(self) -> str:
        """The filter as SPARQL, every value written by pyoxigraph (escaped, never pasted)."""
        parts = []
        if self.since_time is not None:
            stamp = Literal(self.since_time.isoformat(), datatype=XSD.dateTime)
            parts.append(f"FILTER(?time >= {stamp})")
        if self.since_revision is not None:
            parts.append(f"FILTER(?revision > {_integer(self.since_revision)})")
        if self.record_type is not None:
            parts.append(f"?change {KG.recordType} {self.record_type} .")
        if self.publisher is not None:
            parts.append(f"?change {KG.publisher} {self.publisher} .")
        if self.record is not None:
            parts.append(f"?change {KG.record} {self.record} .")
        return "\n".join(parts)


@dataclass
class ChangeEntry:
    """One change as the feed shows it."""

    iri: str
    activity: str
    record: str
    graph: str
    time: datetime
    agent: str
    revision: int
    sequence: int
    types: list[str] = field(default_factory=list)
    publisher: str | None = None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    title: dict[str, str] = field(default_factory=dict)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.revision, self.sequence)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _pattern(filters: Filters) -> str:
    return (f"?change a {KG.Change} ; {KG.activity} ?activity ; {KG.record} ?record ; "
            f"{KG.graph} ?graph ; {PROV.atTime} ?time ; {KG.agent} ?agent ; "
            f"{KG.revision} ?revision ; {KG.sequence} ?sequence .\n{filters.sparql()}")


def count(store: GraphStore, filters: Filters) -> int:
    for row in solutions(store.query(f"SELECT (COUNT(?change) AS ?n) WHERE {{ GRAPH {CHANGES} "
                                     f"{{ {_pattern(filters)} }} }}")):
        return int(row["n"].value)
    return 0


def page(store: GraphStore, filters: Filters, limit: int, after: Cursor | None = None
         ) -> list[ChangeEntry]:
    """At most ``limit`` changes, newest first, older than ``after`` when given."""
    position = ""
    if after is not None:
        rev, seq = _integer(after.revision), _integer(after.sequence)
        position = f"FILTER(?revision < {rev} || (?revision = {rev} && ?sequence < {seq}))"
    rows = solutions(store.query(
        f"SELECT ?change ?activity ?record ?graph ?time ?agent ?revision ?sequence "
        f"WHERE {{ GRAPH {CHANGES} {{ {_pattern(filters)} {position} }} }} "
        f"ORDER BY DESC(?revision) DESC(?sequence) LIMIT {int(limit)}"))
    entries = [ChangeEntry(
        iri=row["change"].value, activity=row["activity"].value, record=row["record"].value,
        graph=row["graph"].value, time=datetime.fromisoformat(row["time"].value),
        agent=row["agent"].value, revision=int(row["revision"].value),
        sequence=int(row["sequence"].value)) for row in rows]
    _details(store, entries)
    return entries


def _details(store: GraphStore, entries: list[ChangeEntry]) -> None:
    """The many-valued parts (types, publisher, properties) and the records' titles, in two
    queries over the page's changes."""
    if not entries:
        return
    by_iri = {e.iri: e for e in entries}
    changes = " ".join(str(NamedNode(e.iri)) for e in entries)
    for row in solutions(store.query(
            f"SELECT ?change ?p ?o WHERE {{ GRAPH {CHANGES} {{ VALUES ?change {{ {changes} }} "
            f"?change ?p ?o VALUES ?p {{ {KG.recordType} {KG.publisher} {KG.addedProperty} "
            f"{KG.removedProperty} }} }} }}")):
        entry, value = by_iri[row["change"].value], row["o"].value
        if row["p"] == KG.recordType:
            entry.types.append(value)
        elif row["p"] == KG.publisher:
            entry.publisher = value
        elif row["p"] == KG.addedProperty:
            entry.added.append(value)
        else:
            entry.removed.append(value)
    records = " ".join(sorted({str(NamedNode(e.record)) for e in entries}))
    titles: dict[str, dict[str, str]] = {}
    for row in solutions(store.query(
            f"SELECT ?record ?title WHERE {{ VALUES ?record {{ {records} }} "
            f"?record {DCT.title}|<http://www.w3.org/2004/02/skos/core#prefLabel> ?title }}")):
        title = row["title"]
        titles.setdefault(row["record"].value, {}).setdefault(
            getattr(title, "language", None) or "", title.value)
    for entry in entries:
        entry.types.sort()
        entry.added.sort()
        entry.removed.sort()
        entry.title = titles.get(entry.record, {})


def changed_since(store: GraphStore, since: datetime, record_type: NamedNode) -> set[str]:
    """Records of ``record_type`` created or updated at or after ``since``."""
    filters = Filters(since_time=since, record_type=record_type)
    return {row["record"].value for row in solutions(store.query(
        f"SELECT DISTINCT ?record WHERE {{ GRAPH {CHANGES} {{ {_pattern(filters)} "
        f"FILTER(?activity != \"Delete\") }} }}"))}
