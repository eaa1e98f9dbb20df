"""What OAI-PMH serves: every dataset, present or deleted, with its datestamp and sets.

A record's datestamp is the time of its last change in the change record (so selective
harvesting by ``from``/``until`` sees exactly what changed), else the time its source graph
was loaded. A dataset the change record saw deleted and that is gone is a deleted record for
as long as the change record keeps it (``KG_CHANGE_RETENTION_DAYS``): deletions are
"transient" in OAI-PMH's terms. Sets: ``publisher:<org id>`` and ``theme:<code>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import Literal

from graph.change_log import CHANGES
from graph.namespaces import BASE, DCAT, DCT, KG, PROV, SKOS
from graph.sparql_text import with_terms
from graph.store import GraphStore, solutions

ORG_PREFIX = f"{BASE}id/org/"
SET_SAFE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")


@dataclass(frozen=True)
class Item:
    iri: str
    datestamp: datetime
    deleted: bool
    sets: tuple[str, ...]


def set_of_publisher(iri: str) -> str | None:
    name = iri[len(ORG_PREFIX):] if iri.startswith(ORG_PREFIX) else None
    return f"publisher:{name}" if name and SET_SAFE.fullmatch(name) else None


def set_of_theme(iri: str) -> str | None:
    code = iri.rstrip("/").rsplit("/", 1)[-1]
    return f"theme:{code}" if SET_SAFE.fullmatch(code) else None


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    # The protocol's finest granularity is the second.
    return value.astimezone(UTC).replace(microsecond=0)


def items(store: GraphStore) -> list[Item]:
    """Every item, in datestamp then IRI order (the order of lists and their cursors)."""
    loaded = {info.name.value: info.loaded_at for info in store.graphs()}
    graph_of: dict[str, str] = {}
    sets_of: dict[str, set[str]] = {}
    for row in solutions(store.query(
            f"SELECT ?d ?g ?publisher ?theme WHERE {{ GRAPH ?g {{ ?d a {DCAT.Dataset} "
            f"OPTIONAL {{ ?d {DCT.publisher} ?publisher }} OPTIONAL {{ ?d {DCAT.theme} ?theme }}"
            f" }} FILTER(isIRI(?d)) }}")):
        graph_of.setdefault(row["d"].value, row["g"].value)
        sets = sets_of.setdefault(row["d"].value, set())
        for spec in (set_of_publisher(row["publisher"].value) if row["publisher"] else None,
                     set_of_theme(row["theme"].value) if row["theme"] else None):
            if spec:
                sets.add(spec)
    last: dict[str, tuple[str, str, str | None]] = {}
    for row in solutions(store.query(
            f"SELECT ?record ?time ?activity ?publisher WHERE {{ GRAPH {CHANGES} {{ "
            f"?c {KG.recordType} {DCAT.Dataset} ; {KG.record} ?record ; {PROV.atTime} ?time ; "
            f"{KG.activity} ?activity OPTIONAL {{ ?c {KG.publisher} ?publisher }} }} }}")):
        record, time = row["record"].value, row["time"].value
        if record not in last or last[record][0] < time:
            last[record] = (time, row["activity"].value,
                            row["publisher"].value if row["publisher"] else None)
    found: list[Item] = []
    for iri, graph in graph_of.items():
        seen = last.get(iri)
        when = _time(seen[0]) if seen else loaded.get(graph)
        found.append(Item(iri, (when or datetime.now(UTC)).replace(microsecond=0), False,
                          tuple(sorted(sets_of[iri]))))
    for iri, (time, activity, publisher) in last.items():
        if iri not in graph_of and activity == "Delete":
            sets = {s for s in [set_of_publisher(publisher or "")] if s}
            found.append(Item(iri, _time(time), True, tuple(sorted(sets))))
    return sorted(found, key=lambda item: (item.datestamp, item.iri))


def earliest(listed: list[Item]) -> datetime:
    """The earliest datestamp the repository holds (Identify)."""
    return min((item.datestamp for item in listed), default=datetime(2025, 1, 1, tzinfo=UTC))


def set_names(store: GraphStore, lang: str = "vi") -> dict[str, str]:
    """Each set in use with a readable name: the publisher's or the theme's label."""
    names: dict[str, str] = {}
    for row in solutions(store.query(with_terms(
            f"SELECT DISTINCT ?p ?x ?label WHERE {{ ?d a {DCAT.Dataset} ; ?p ?x "
            f"VALUES ?p {{ {DCT.publisher} {DCAT.theme} }} FILTER(isIRI(?x)) "
            f"OPTIONAL {{ ?x {SKOS.prefLabel} ?label FILTER(LANGMATCHES(LANG(?label), ?lang)) }}"
            f" }}", {"lang": Literal(lang)}))):
        iri = row["x"].value
        spec = set_of_publisher(iri) if row["p"] == DCT.publisher else set_of_theme(iri)
        if spec and (spec not in names or row["label"] is not None):
            names[spec] = row["label"].value if row["label"] is not None else spec
    return dict(sorted(names.items()))
