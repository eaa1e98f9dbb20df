"""Records as the holder of a token sees them: the public store, and the private graphs the
token's scopes may read (an organisation's drafts, the withheld URLs), in one answer.

The two stores cannot be queried together, so the triples a record's answer needs are read
from each (``records_json.record_query``) into a scratch store and the record is read from
that; what stands in for a withheld URL is left out when the URL itself is readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyoxigraph import DefaultGraph, NamedNode, QueryTriples

from graph.private_store import private_store
from graph.publication import (
    CATALOG_PREFIX,
    WITHHELD_PREFIX,
    derived_graphs,
    org_of,
    readable_private,
)
from graph.records_json import Kind, record_query, records
from graph.store import GraphName, GraphStore, Provenance, open_store


def records_as_seen(store: GraphStore, scopes: Sequence[str], kind: Kind, iris: Sequence[str],
                    lang: str = "vi", fields: Sequence[str] | None = None
                    ) -> list[dict[str, Any]]:
    """The records ``iris`` as a holder of ``scopes`` sees them, in the order given."""
    vault = private_store(store)
    readable = readable_private(scopes, vault.visible_graphs())
    if not readable or not iris:
        return records(store, kind, iris, lang, fields)
    text = record_query(kind, iris, fields)
    default: list[GraphName] = [*readable]
    private = vault.query(text, default_graph=default, named_graphs=readable)
    # What stands in for a URL the holder reads is left out.
    stand_ins = {derived_graphs(org_of(g) or "")[2] for g in readable
                 if g.value.startswith((CATALOG_PREFIX, WITHHELD_PREFIX))}
    graphs = store.visible_graphs()
    dataset: dict[str, Any] = {}
    if stand_ins & set(graphs):
        kept = [g for g in graphs if g not in stand_ins]
        dataset = {"default_graph": [DefaultGraph(), *kept], "named_graphs": kept}
    public = store.query(text, **dataset)
    if not isinstance(private, QueryTriples) or not isinstance(public, QueryTriples):
        raise TypeError("CONSTRUCT must give triples")
    found = [*private, *public]
    # A private graph may hold statements of records that only the public store links to
    # (the withheld URLs of a published dataset's distributions).
    subjects = sorted({str(t.subject) for t in found if isinstance(t.subject, NamedNode)})
    if subjects:
        extra = vault.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ "
                            f"{' '.join(subjects)} }} ?s ?p ?o }}", default_graph=default)
        if not isinstance(extra, QueryTriples):
            raise TypeError("CONSTRUCT must give triples")
        found += list(extra)
    scratch = open_store("memory")
    scratch.replace_graph(NamedNode("urn:kg:scratch"), found,
                          Provenance("read", "records as seen"))
    return records(scratch, kind, iris, lang, fields)
