"""A SPARQL 1.1 Update request rewritten so that every operation names the graphs it reads
and writes, as this service's dataset model asks.

Every source lives in a named graph; queries see their union as the default graph, and the
default graph of the Graph Store and of updates is the source graph ``/graph/default``. So an
update is rewritten, operation by operation and prologue kept, before it runs:

- triples written (or deleted) outside ``GRAPH`` go to the default source graph (or to the
  operation's ``WITH`` graph);
- ``CLEAR``/``DROP`` ``DEFAULT`` name the default source graph, ``ALL``/``NAMED`` the data
  graphs, one operation each;
- the ``WHERE`` of a ``DELETE``/``INSERT`` reads the request's ``using-graph-uri`` /
  ``using-named-graph-uri`` graphs when given (SPARQL 1.1 Protocol 2.2.3: they apply to every
  operation, and clash with ``USING``/``WITH`` in the text), else its own ``USING`` or
  ``WITH`` graph, else the union of the store's graphs, as a query would.

https://www.w3.org/TR/sparql11-protocol/#update-operation
https://www.w3.org/TR/sparql11-update/#deleteInsert
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyoxigraph import NamedNode

from graph.sparql_text import _TOKEN

# A USING list that names no graph of the store: an empty default graph.
NOTHING = NamedNode("urn:kg:no-graph")


class UpdateTextError(ValueError):
    """An update that cannot be run as asked (the message says why)."""


@dataclass(frozen=True)
class UpdateDataset:
    """The ``using-graph-uri`` and ``using-named-graph-uri`` parameters of a request."""

    default: tuple[NamedNode, ...] = ()
    named: tuple[NamedNode, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default or self.named)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def _lexed(text: str) -> list[_Tok]:
    return [_Tok(m.lastgroup or "other", m.group(), m.start(), m.end())
            for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def _operations(listed: list[_Tok]) -> list[list[_Tok]]:
    """The operations of a request: its tokens cut at ``;`` outside every brace."""
    found: list[list[_Tok]] = [[]]
    depth = 0
    for token in listed:
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        if token.text == ";" and depth == 0:
            found.append([])
        else:
            found[-1].append(token)
    return [op for op in found if op]


def _block_end(listed: list[_Tok], at: int) -> int:
    """The index of the brace closing the one at ``at``."""
    depth = 0
    for i in range(at, len(listed)):
        if listed[i].text == "{":
            depth += 1
        elif listed[i].text == "}":
            depth -= 1
            if depth == 0:
                return i
    raise UpdateTextError("unbalanced braces in the update")


class _Edits:
    """Replacements of spans of the text, applied together."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, new: str) -> None:
        self.spans.append((start, end, new))

    def insert(self, at: int, new: str) -> None:
        self.spans.append((at, at, new))

    def apply(self, text: str) -> str:
        out, position = [], 0
        for start, end, new in sorted(self.spans, key=lambda s: (s[0], s[1])):
            out.append(text[position:start])
            out.append(new)
            position = end
        out.append(text[position:])
        return "".join(out)


def _wrap_default_triples(listed: list[_Tok], open_at: int, graph: str, edits: _Edits) -> int:
    """Put the triples of the quad block opening at ``open_at`` that lie outside every
    ``GRAPH`` into ``GRAPH graph { ... }``; return the index of its closing brace."""
    close = _block_end(listed, open_at)
    i = open_at + 1
    run: list[_Tok] = []

    def flush() -> None:
        if any(t.text != "." for t in run):
            edits.insert(run[0].start, f"GRAPH {graph} {{ ")
            edits.insert(run[-1].end, " }")
        run.clear()

    while i < close:
        token = listed[i]
        if token.word == "GRAPH":
            flush()
            brace = next(j for j in range(i, close) if listed[j].text == "{")
            i = _block_end(listed, brace) + 1
            continue
        run.append(token)
        i += 1
    flush()
    return close


def _graph_list(keyword: str, graphs: Sequence[NamedNode]) -> str:
    return " ".join(f"{keyword} {g}" for g in graphs)


@dataclass(frozen=True)
class UpdateContext:
    """What the rewriting needs to know of the store."""

    default_graph: NamedNode
    # Graphs ``ALL`` and ``NAMED`` stand for.
    data_graphs: Sequence[NamedNode]
    # The graphs a query's default graph is the union of.
    union: Sequence[NamedNode]
    base_iri: str


def rewrite_update(text: str, context: UpdateContext,
                   dataset: UpdateDataset | None = None) -> str:
    """``text`` with every operation's graphs named (see the module's docstring).

    >>> ctx = UpdateContext(NamedNode("urn:d"), [NamedNode("urn:a")], [NamedNode("urn:a")],
    ...                     "urn:base/")
    >>> print(rewrite_update("PREFIX x: <urn:x#> INSERT DATA { x:s x:p 1 } ; CLEAR ALL", ctx))
    BASE <urn:base/>
    PREFIX x: <urn:x#> INSERT DATA { GRAPH <urn:d> { x:s x:p 1 } } ; CLEAR SILENT GRAPH <urn:a>
    >>> print(rewrite_update("INSERT { ?s a 1 } WHERE { ?s ?p ?o }", ctx))
    BASE <urn:base/>
    INSERT { GRAPH <urn:d> { ?s a 1 } } USING <urn:a> USING NAMED <urn:a> WHERE { ?s ?p ?o }
    """
    dataset = dataset or UpdateDataset()
    listed = _lexed(text)
    edits = _Edits()
    default = str(context.default_graph)
    for op in _operations(listed):
        _rewrite_operation(op, context, dataset, default, edits)
    return f"BASE <{context.base_iri}>\n{edits.apply(text)}"


def standalone_operations(text: str) -> list[str]:
    """Each operation of an update as a request of its own, after every prologue
    declaration that precedes it (rdflib 7 forgets a request's prologue after its first
    operation).

    >>> standalone_operations("PREFIX x: <urn:x#> CLEAR ALL ; DROP GRAPH x:g")
    ['PREFIX x: <urn:x#> CLEAR ALL', 'PREFIX x: <urn:x#> DROP GRAPH x:g']
    """
    found = []
    declared: list[str] = []
    for op in _operations(_lexed(text)):
        start = _skip_prologue(op)
        if start:
            declared.append(text[op[0].start:op[start - 1].end])
        if start < len(op):
            found.append(" ".join([*declared, text[op[start].start:op[-1].end]]))
    return found


def _skip_prologue(op: list[_Tok]) -> int:
    i = 0
    while i < len(op):
        if op[i].word == "BASE":
            i += 2
        elif op[i].word == "PREFIX":
            i += 3
        else:
            break
    return i


def _rewrite_operation(op: list[_Tok], context: UpdateContext, dataset: UpdateDataset,
                       default: str, edits: _Edits) -> None:
    i = _skip_prologue(op)
    if i >= len(op):
        return
    first = op[i].word
    following = op[i + 1].word if i + 1 < len(op) else ""
    if first in ("INSERT", "DELETE") and following in ("DATA", "WHERE"):
        brace = i + 2
        if brace >= len(op) or op[brace].text != "{":
            raise UpdateTextError(f"{first} {following} needs a block {{ ... }}")
        _wrap_default_triples(op, brace, default, edits)
    elif first in ("WITH", "INSERT", "DELETE"):
        _rewrite_modify(op, i, context, dataset, default, edits)
    elif first in ("CLEAR", "DROP"):
        _rewrite_clear(op, i, context, default, edits)
    elif first in ("ADD", "MOVE", "COPY"):
        for token in op[i + 1:]:
            if token.word == "DEFAULT":
                edits.replace(token.start, token.end, default)
    elif first == "LOAD" and not any(t.word == "INTO" for t in op[i:]):
        edits.insert(op[-1].end, f" INTO GRAPH {default}")


def _rewrite_clear(op: list[_Tok], i: int, context: UpdateContext, default: str,
                   edits: _Edits) -> None:
    verb = op[i].word
    j = i + 1
    silent = j < len(op) and op[j].word == "SILENT"
    if silent:
        j += 1
    if j >= len(op):
        raise UpdateTextError(f"{verb} needs a target: GRAPH <iri>, DEFAULT, NAMED or ALL")
    target = op[j]
    if target.word in ("ALL", "NAMED"):
        graphs = list(context.data_graphs)
        expanded = " ;\n".join(f"{verb} SILENT GRAPH {g}" for g in graphs) or "INSERT DATA { }"
        edits.replace(op[i].start, target.end, expanded)
        return
    if not silent:
        # The store keeps no empty graphs, so clearing or dropping one it does not hold is
        # no error (SPARQL 1.1 Update 3.2.2, 3.2.4).
        edits.insert(op[i].end, " SILENT")
    if target.word == "DEFAULT":
        edits.replace(target.start, target.end, f"GRAPH {default}")


def _rewrite_modify(op: list[_Tok], i: int, context: UpdateContext, dataset: UpdateDataset,
                    default: str, edits: _Edits) -> None:
    with_graph: str | None = None
    if op[i].word == "WITH":
        if i + 1 >= len(op):
            raise UpdateTextError("WITH needs a graph IRI")
        with_graph = op[i + 1].text
        edits.replace(op[i].start, op[i + 1].end, "")
        i += 2
    template_graph = with_graph or default
    using_start: int | None = None
    own_using = False
    while i < len(op):
        word = op[i].word
        if word in ("DELETE", "INSERT") and i + 1 < len(op) and op[i + 1].text == "{":
            i = _wrap_default_triples(op, i + 1, template_graph, edits) + 1
        elif word == "USING":
            own_using = True
            if using_start is None:
                using_start = op[i].start
            i += 3 if i + 1 < len(op) and op[i + 1].word == "NAMED" else 2
        elif word == "WHERE":
            break
        else:
            raise UpdateTextError(f"unexpected {op[i].text!r} in a DELETE/INSERT operation")
    if i >= len(op):
        raise UpdateTextError("DELETE/INSERT needs a WHERE clause")
    where = op[i]
    if dataset.given and (own_using or with_graph is not None):
        raise UpdateTextError(
            "the request names its dataset twice: using-graph-uri/using-named-graph-uri and "
            "USING/USING NAMED/WITH in the update cannot go together (SPARQL 1.1 Protocol "
            "2.2.3)")
    if own_using:
        return
    if dataset.given:
        clauses = [_graph_list("USING", dataset.default or [NOTHING]),
                   _graph_list("USING NAMED", dataset.named)]
    else:
        union = list(context.union) or [NOTHING]
        using = f"USING {with_graph}" if with_graph else _graph_list("USING", union)
        clauses = [using, _graph_list("USING NAMED", list(context.union))]
    edits.insert(where.start, " ".join(c for c in clauses if c) + " ")

