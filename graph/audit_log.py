"""The audit: every write made over HTTP, newest first: when, which token (name and scopes),
from which address, the request, the graph, and each record it created, updated or deleted.

It is the private part of the change record (``graph.change_log.AUDIT``, in the private
store): the public change feed says what changed, the audit also says who changed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pyoxigraph import Literal, NamedNode

from graph.change_log import AUDIT, CHANGES
from graph.namespaces import KG, PROV, XSD
from graph.private_store import private_store
from graph.store import GraphStore, solutions


@dataclass
class Write:
    """One write and what it changed."""

    iri: str
    at: str
    token: str
    scopes: list[str]
    address: str
    request: str
    graph: str
    changes: list[tuple[str, str]] = field(default_factory=list)   # (activity, record)

    def as_dict(self) -> dict[str, object]:
        return {"write": self.iri, "at": self.at, "token": self.token, "scopes": self.scopes,
                "address": self.address, "request": self.request, "graph": self.graph,
                "changes": [{"activity": a, "record": r} for a, r in self.changes]}


def writes(store: GraphStore, *, token: str | None = None, since: datetime | None = None,
           limit: int = 100) -> list[Write]:
    """The latest ``limit`` writes (by ``token`` only, or since ``since``, if given)."""
    # The values go in as N-Triples terms written by pyoxigraph, which escapes them.
    filters = ""
    if token is not None:
        filters += f" FILTER(?who = {Literal(token)})"
    if since is not None:
        filters += f" FILTER(?at >= {Literal(since.isoformat(), datatype=XSD.dateTime)})"
    vault = private_store(store)
    found: dict[str, Write] = {}
    # A write that changed several graphs (a catalogue and its derived graphs) was stamped
    # once per graph: its first stamp is when it was made.
    for row in solutions(vault.query(
            f"SELECT ?w (MIN(?at) AS ?first) (SAMPLE(?who) AS ?token) "
            f"(SAMPLE(?from) AS ?address) (SAMPLE(?what) AS ?request) "
            f"(GROUP_CONCAT(DISTINCT STR(?graph); separator=' ') AS ?graphs) {{ "
            f"SELECT ?w ?at ?who ?from ?what ?graph {{ GRAPH {AUDIT} {{ "
            f"?w a {KG.Write} ; {PROV.atTime} ?at ; {KG.token} ?who ; {KG.address} ?from ; "
            f"{KG.request} ?what ; {KG.graph} ?graph .{filters} }} }} }} "
            f"GROUP BY ?w ORDER BY DESC(?first) ?w LIMIT {int(limit)}")):
        iri = row["w"].value
        found[iri] = Write(iri, row["first"].value, row["token"].value, [],
                           row["address"].value, row["request"].value, row["graphs"].value)
    if not found:
        return []
    values = " ".join(str(NamedNode(iri)) for iri in found)
    for row in solutions(vault.query(
            f"SELECT ?w ?scope {{ GRAPH {AUDIT} {{ VALUES ?w {{ {values} }} "
            f"?w {KG.scope} ?scope }} }} ORDER BY ?scope")):
        found[row["w"].value].scopes.append(row["scope"].value)
    made = {row["c"].value: row["w"].value for row in solutions(vault.query(
        f"SELECT ?w ?c {{ GRAPH {AUDIT} {{ VALUES ?w {{ {values} }} ?w {KG.change} ?c }} }}"))}
    if not made:
        return list(found.values())
    changes = " ".join(str(NamedNode(iri)) for iri in made)
    # The changes of public graphs are in the public change record, the others beside the
    # audit in the private store.
    for source, graph in ((store, CHANGES), (vault, AUDIT)):
        for row in solutions(source.query(
                f"SELECT ?c ?activity ?record {{ GRAPH {graph} {{ VALUES ?c {{ {changes} }} "
                f"?c {KG.activity} ?activity ; {KG.record} ?record }} }} ORDER BY ?record")):
            entry = found[made[row["c"].value]]
            pair = (row["activity"].value, row["record"].value)
            if pair not in entry.changes:
                entry.changes.append(pair)
    for entry in found.values():
        entry.changes.sort(key=lambda pair: pair[1])
    return list(found.values())
