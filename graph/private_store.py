"""The private store: what only some tokens may read, kept apart from the store everybody
queries (an organisation's catalogue graph with its drafts, the withheld URLs, the audit).

Why a store of its own: every public reader (SPARQL, dumps, the catalogue, search) queries
the union of all graphs, the one dataset that costs nothing per graph; a private graph in the
same store could only be left out by listing every other graph, which costs a lookup per
listed graph per pattern (measured, bench/private_graphs.py: joins 7-12 times slower with one
such graph, and a federation has hundreds of organisations). So no public query can see a
private graph: it is not in the store the public reads.

Beside an on-disk store ``data/store`` it is ``data/store-private``; beside a memory store, a
memory store; ``KG_PRIVATE_STORE`` (or ``attach``) names another place.
"""

from __future__ import annotations

import os
from pathlib import Path

from graph.store import GraphStore, open_store

SUFFIX = "-private"
# Where the private store of a store reached over HTTP lives, unless told.
REMOTE_DEFAULT = "data/store-private"


def private_location(location: str | Path) -> str:
    """Where the private store of the store at ``location`` lives.

    >>> private_location("data/store")
    'data/store-private'
    >>> private_location("memory")
    'memory'
    """
    text = str(location)
    if text == "memory":
        return "memory"
    if text.startswith(("http://", "https://")):
        return os.environ.get("KG_PRIVATE_STORE") or REMOTE_DEFAULT
    return f"{text.rstrip('/')}{SUFFIX}"


def attach(store: GraphStore, location: str | Path) -> None:
    """Say where ``store``'s private store lives (a store reached over HTTP cannot tell)."""
    store._private_location = private_location(location)  # type: ignore[attr-defined]


def private_store(store: GraphStore) -> GraphStore:
    """``store``'s private store, opened on first use and kept with it."""
    found: GraphStore | None = getattr(store, "_private_store", None)
    if found is None:
        location = getattr(store, "_private_location", None) or os.environ.get(
            "KG_PRIVATE_STORE")
        if location is None:
            path = getattr(store, "path", None)
            location = private_location(path) if path is not None else "memory"
        found = open_store(location)
        store._private_store = found  # type: ignore[attr-defined]
    return found


def close_private(store: GraphStore) -> None:
    """Close ``store``'s private store if it was opened."""
    found: GraphStore | None = getattr(store, "_private_store", None)
    if found is not None:
        found.close()
        del store._private_store  # type: ignore[attr-defined]
