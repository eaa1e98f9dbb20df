"""The change record: every committed change of a data graph, record by record.

A record is a subject with an ``rdf:type`` in a source graph. Before and after each write the
writer takes a ``Snapshot`` of the graph (each record's statements, blank nodes folded into
the statement that links them, so a reload that renames them changes nothing), and
``record_changes`` writes one ``kg:Change`` per record created, updated or deleted into
``/graph/changes``: the record, its type and publisher, the graph, when, by whom, the store
revision, and for an update the properties whose values were added or removed. The record is
kept for ``retention`` days (``KG_CHANGE_RETENTION_DAYS``) and is queryable with SPARQL like
every other graph; only the service writes it.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pyoxigraph import BlankNode, Literal, NamedNode, QueryTriples, Triple

from graph.namespaces import BASE, DCT, KG, PROV, RDF, XSD, graph_iri
from graph.private_store import private_store
from graph.store import GraphStore, solutions

CHANGES = graph_iri("changes")
# The private part of the change record: who wrote (token, scope, address), and the changes
# of graphs that only some tokens read (an organisation's drafts).
AUDIT = graph_iri("audit")
DEFAULT_RETENTION_DAYS = 365
# How deep blank nodes nest inside a record before they are compared by name.
FOLD_DEPTH = 4
# Records per query when only some are read.
SNAPSHOT_BATCH = 500

Statement = tuple[str, str]


@dataclass(frozen=True)
class Audit:
    """Who made a write over HTTP: the token's name and scopes, the request, the address."""

    token: str
    scopes: tuple[str, ...]
    address: str
    request: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def iri(self) -> NamedNode:
        return NamedNode(f"{BASE}id/write/{self.id}")


@dataclass(frozen=True)
class RecordState:
    """One record as a graph holds it."""

    types: frozenset[str]
    statements: frozenset[Statement]
    publisher: str | None


Snapshot = dict[str, RecordState]


def snapshot_of(triples: list[Triple]) -> Snapshot:
    """Every record in ``triples``, with its statements."""
    by_subject: dict[object, list[Triple]] = defaultdict(list)
    for triple in triples:
        by_subject[triple.subject].append(triple)

    def folded(term: object, depth: int) -> str:
        if isinstance(term, BlankNode) and depth < FOLD_DEPTH:
            inner = sorted(f"{t.predicate} {folded(t.object, depth + 1)}"
                           for t in by_subject.get(term, []))
            return "[" + " ; ".join(inner) + "]"
        return str(term)

    found: Snapshot = {}
    for subject, own in by_subject.items():
        if not isinstance(subject, NamedNode):
            continue
        types = frozenset(t.object.value for t in own
                          if t.predicate == RDF.type and isinstance(t.object, NamedNode))
        if not types:
            continue
        publisher = next((t.object.value for t in own if t.predicate == DCT.publisher
                          and isinstance(t.object, NamedNode)), None)
        statements = frozenset((str(t.predicate), folded(t.object, 0)) for t in own)
        found[subject.value] = RecordState(types, statements, publisher)
    return found


def snapshot(store: GraphStore, graph: NamedNode) -> Snapshot:
    """The records ``graph`` holds now (none when it does not exist)."""
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    if not isinstance(result, QueryTriples):
        raise TypeError("CONSTRUCT must give triples")
    return snapshot_of(list(result))


def records(store: GraphStore, graph: NamedNode) -> Snapshot:
    """The records ``graph`` holds, with their types and publisher but not their statements:
    all that a change record needs of a side that is compared with nothing (a first load
    creates every record, a removal deletes every one)."""
    found: dict[str, tuple[set[str], str | None]] = {}
    for row in solutions(store.query(
            f"SELECT ?s ?t ?p {{ GRAPH {graph} {{ ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) "
            f"OPTIONAL {{ ?s {DCT.publisher} ?p FILTER(isIRI(?p)) }} }} }}")):
        types, publisher = found.setdefault(row["s"].value, (set(), None))
        types.add(row["t"].value)
        if publisher is None and row["p"] is not None:
            found[row["s"].value] = (types, row["p"].value)
    return {record: RecordState(frozenset(types), frozenset(), publisher)
            for record, (types, publisher) in found.items()}


def snapshot_records(store: GraphStore, graph: NamedNode, subjects: list[str]) -> Snapshot:
    """Only these records (N-Triples IRIs) of ``graph``, with the blank nodes they hold two
    levels deep: what a reload that changed few records needs, on both sides of the write."""
    found: list[Triple] = []
    for start in range(0, len(subjects), SNAPSHOT_BATCH):
        values = " ".join(s for s in subjects[start:start + SNAPSHOT_BATCH] if s.startswith("<"))
        if not values:
            continue
        # Three branches, not nested OPTIONALs: a filter inside an OPTIONAL is applied after
        # its join, so a catalogue's 100,000 links were each looked up (23 s, here 2.4 s).
        result = store.query(
            f"CONSTRUCT {{ ?s ?p ?o . ?b ?bp ?bo . ?c ?cp ?co }} WHERE {{ GRAPH {graph} {{ "
            f"VALUES ?s {{ {values} }} {{ ?s ?p ?o }} UNION {{ ?s ?x ?b FILTER(isBlank(?b)) "
            f"?b ?bp ?bo }} UNION {{ ?s ?x ?b FILTER(isBlank(?b)) ?b ?y ?c FILTER(isBlank(?c)) "
            f"?c ?cp ?co }} }} }}")
        if not isinstance(result, QueryTriples):
            raise TypeError("CONSTRUCT must give triples")
        found += result
    return snapshot_of(found)


@dataclass(frozen=True)
class Change:
    """One record created, updated or deleted."""

    activity: str            # Create | Update | Delete
    record: str
    types: frozenset[str]
    publisher: str | None
    added: frozenset[str] = frozenset()     # properties with a value added
    removed: frozenset[str] = frozenset()   # properties with a value removed


def differences(before: Snapshot, after: Snapshot) -> list[Change]:
    """What turned ``before`` into ``after``, record by record, in IRI order."""
    changes = []
    for record in sorted(before.keys() | after.keys()):
        old, new = before.get(record), after.get(record)
        if old is None and new is not None:
            changes.append(Change("Create", record, new.types, new.publisher))
        elif new is None and old is not None:
            changes.append(Change("Delete", record, old.types, old.publisher))
        elif old is not None and new is not None and old.statements != new.statements:
            changes.append(Change(
                "Update", record, new.types, new.publisher or old.publisher,
                frozenset(p for p, _ in new.statements - old.statements),
                frozenset(p for p, _ in old.statements - new.statements)))
    return changes


def retention_days() -> int:
    value = os.environ.get("KG_CHANGE_RETENTION_DAYS", "")
    return int(value) if value.strip().isdigit() else DEFAULT_RETENTION_DAYS


def record_changes(store: GraphStore, graph: NamedNode, changes: list[Change], agent: str,
                   revision: int, when: datetime | None = None, *,
                   audit: Audit | None = None, private: bool = False) -> int:
    """Write ``changes`` into the change record, and forget what is past retention. The
    changes of a ``private`` graph (``revision`` then counts the private store's commits),
    and who made a write (``audit``), go into its private part, in the private store."""
    when = when or datetime.now(UTC)
    stamp = Literal(when.isoformat(), datatype=XSD.dateTime)
    by, at = Literal(agent), Literal(str(revision), datatype=XSD.integer)
    # The revision and the position in the commit name a change, so replaying is harmless.
    base = f"{BASE}id/change/{'p' if private else ''}{revision}-"

    def facts() -> Iterator[Triple]:
        for number, change in enumerate(changes):
            iri = NamedNode(f"{base}{number}")
            yield from (Triple(iri, RDF.type, KG.Change),
                        Triple(iri, KG.activity, Literal(change.activity)),
                        Triple(iri, KG.record, NamedNode(change.record)),
                        Triple(iri, KG.graph, graph), Triple(iri, PROV.atTime, stamp),
                        Triple(iri, KG.agent, by), Triple(iri, KG.revision, at),
                        Triple(iri, KG.sequence, Literal(str(number), datatype=XSD.integer)))
            yield from (Triple(iri, KG.recordType, NamedNode(t)) for t in sorted(change.types))
            if change.publisher:
                yield Triple(iri, KG.publisher, NamedNode(change.publisher))
            # Properties are kept as N-Triples terms in the statements: "<iri>".
            yield from (Triple(iri, KG.addedProperty, NamedNode(p.strip("<>")))
                        for p in sorted(change.added))
            yield from (Triple(iri, KG.removedProperty, NamedNode(p.strip("<>")))
                        for p in sorted(change.removed))

    if changes:
        (private_store(store) if private else store).add_service_triples(
            AUDIT if private else CHANGES, facts())
    if audit is not None:
        private_store(store).add_service_triples(AUDIT, _audit_facts(audit, graph, stamp, [
            NamedNode(f"{base}{number}") for number in range(len(changes))]))
    _forget_before(store, when - timedelta(days=retention_days()))
    return len(changes)


def _audit_facts(audit: Audit, graph: NamedNode, stamp: Literal, changes: list[NamedNode]
                 ) -> Iterator[Triple]:
    write = audit.iri
    yield from (Triple(write, RDF.type, KG.Write), Triple(write, KG.token, Literal(audit.token)),
                Triple(write, KG.address, Literal(audit.address)),
                Triple(write, KG.request, Literal(audit.request)),
                Triple(write, PROV.atTime, stamp), Triple(write, KG.graph, graph))
    yield from (Triple(write, KG.scope, Literal(scope)) for scope in audit.scopes)
    yield from (Triple(write, KG.change, change) for change in changes)


def _forget_before(store: GraphStore, cutoff: datetime) -> None:
    cut = Literal(cutoff.isoformat(), datatype=XSD.dateTime)
    if bool(store.query(f"ASK {{ GRAPH {CHANGES} {{ ?c {PROV.atTime} ?t "
                        f"FILTER(?t < {cut}) }} }}")):
        store.update(f"DELETE {{ GRAPH {CHANGES} {{ ?c ?p ?o }} }} WHERE {{ GRAPH {CHANGES} "
                     f"{{ ?c {PROV.atTime} ?t FILTER(?t < {cut}) ?c ?p ?o }} }}",
                     service_graphs_only=True)
