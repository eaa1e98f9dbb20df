"""Named SPARQL queries from ``graph/sparql/*.rq``; values always travel as bindings."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_query(name: str) -> str:
    """The text of ``graph/sparql/<name>.rq``; its first line names the bindings it takes.

    A bound variable must appear in the SELECT projection (pyoxigraph substitutes only those).

    >>> load_query("class_counts").splitlines()[0]
    '# bindings: none'
    """
    return (files("graph.sparql") / f"{name}.rq").read_text(encoding="utf-8")


def query_names() -> list[str]:
    """Every named query that ships with the service."""
    return sorted(
        entry.name.removesuffix(".rq") for entry in files("graph.sparql").iterdir()
        if entry.name.endswith(".rq")
    )


def declared_bindings(name: str) -> list[str]:
    """The variables a named query expects to be bound, from its first line.

    >>> declared_bindings("class_counts")
    []
    """
    first = load_query(name).splitlines()[0]
    names = first.removeprefix("# bindings:").split()
    return [] if names == ["none"] else [n.lstrip("?") for n in names]


def paginate(sparql: str, limit: int, offset: int = 0) -> str:
    """Add LIMIT/OFFSET, which SPARQL cannot bind, as integers and nothing else.

    >>> paginate("SELECT * { ?s ?p ?o }", 10, 20)
    'SELECT * { ?s ?p ?o }\\nLIMIT 10 OFFSET 20'
    """
    return f"{sparql}\nLIMIT {int(limit)} OFFSET {int(offset)}"
