"""Every named query parses and runs with the bindings its first line declares."""

from __future__ import annotations

import pytest
from pyoxigraph import Literal

from graph.queries import declared_bindings, load_query, paginate, query_names
from graph.store import GraphStore


@pytest.mark.parametrize("name", query_names())
def test_named_query_runs_with_its_declared_bindings(store: GraphStore, name: str) -> None:
    first = load_query(name).splitlines()[0]
    assert first.startswith("# bindings:"), f"{name}.rq must declare its bindings"
    bindings = {var: Literal("x") for var in declared_bindings(name)}
    list(store.query(load_query(name), bindings=bindings or None))


def test_paginate_accepts_only_integers() -> None:
    with pytest.raises(ValueError):
        paginate("SELECT * {}", "10; DROP ALL", 0)  # type: ignore[arg-type]
