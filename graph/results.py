"""Query results in every format a SPARQL client asks for, written by pyoxigraph."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, Any, BinaryIO, cast
from xml.sax.saxutils import escape

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    parse_query_results,
    serialize,
)

from graph.namespaces import PREFIXES
from graph.store import QueryResult

SOLUTION_FORMATS: dict[str, QueryResultsFormat] = {
    "json": QueryResultsFormat.JSON, "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV, "tsv": QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, RdfFormat] = {
    "ttl": RdfFormat.TURTLE, "nt": RdfFormat.N_TRIPLES, "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}
FORMATS = tuple(SOLUTION_FORMATS) + tuple(GRAPH_FORMATS)


class FormatMismatchError(ValueError):
    """A result format that does not fit the query form (e.g. Turtle for a SELECT)."""


def media_type(result: QueryResult, name: str) -> str:
    """The Content-Type of ``result`` written as ``name``.

    >>> from pyoxigraph import Store
    >>> media_type(Store().query("ASK {}"), "json")
    'application/sparql-results+json'
    """
    return _format(result, name).media_type


def write_result(result: QueryResult, name: str, out: BinaryIO) -> None:
    """Write ``result`` in the format ``name`` (one of ``FORMATS``)."""
    fmt = _format(result, name)
    if isinstance(fmt, QueryResultsFormat):
        if isinstance(result, QuerySolutions | QueryBoolean):
            result.serialize(out, fmt)
    elif isinstance(result, QueryTriples):
        # Prefixes make Turtle and RDF/XML readable; the other formats have no use for them.
        prefixes = PREFIXES if fmt in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
        serialize(result, out, fmt, prefixes=prefixes)


def default_format(result: QueryResult) -> str:
    """JSON for SELECT and ASK, Turtle for CONSTRUCT and DESCRIBE."""
    return "json" if isinstance(result, QuerySolutions | QueryBoolean) else "ttl"


def _format(result: QueryResult, name: str) -> QueryResultsFormat | RdfFormat:
    tabular = isinstance(result, QuerySolutions | QueryBoolean)
    table = SOLUTION_FORMATS if tabular else GRAPH_FORMATS
    try:
        return table[name]
    except KeyError:
        kind = "SELECT/ASK" if tabular else "CONSTRUCT/DESCRIBE"
        raise FormatMismatchError(f"{kind} results can be written as {', '.join(table)}, "
                             f"not {name!r}") from None


# -- streaming: rows written as they come, so a large result never sits in memory ------------

class RowLimitReachedError(Exception):
    """More rows than the configured cap; the output written so far ends cleanly."""


def stream_solutions(result: QuerySolutions | QueryBoolean, name: str,
                     max_rows: int | None = None) -> Iterator[bytes]:
    """SPARQL results in ``name`` (json/xml/csv/tsv), a chunk per batch of rows.

    The writers follow the W3C result formats; ``max_rows`` truncates after that many rows
    (the JSON and XML documents stay well-formed and say so in a link / comment).

    >>> from pyoxigraph import Store
    >>> b"".join(stream_solutions(Store().query("SELECT ?x { VALUES ?x { 1 } }"), "csv"))
    b'x\\r\\n1\\r\\n'
    """
    writer = _WRITERS[name]
    if isinstance(result, QueryBoolean):
        yield writer.boolean(bool(result))
        return
    variables = [v.value for v in result.variables]
    yield writer.head(variables)
    batch: list[str] = []
    truncated = False
    for count, row in enumerate(result):
        if max_rows is not None and count >= max_rows:
            truncated = True
            break
        batch.append(writer.row(variables, [row[v] for v in variables], count == 0))
        if len(batch) >= 256:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")
    yield writer.tail(truncated)


# Answers up to this size are read whole before they go out (their rows counted, their
# length known, a failure still answerable with an error status); larger ones stream.
HELD_BYTES = 1 << 20
# What every row of an answer writes at least once: an upper bound on its rows for free.
_ROW_MARK = {"json": b"{", "xml": b"<", "tsv": b"\n"}


@dataclass(frozen=True)
class HeldAnswer:
    """The start of an answer read at once: all of it when ``rest`` is None."""

    start: bytes
    rest: Iterator[bytes] | None

    def chunks(self) -> Iterator[bytes]:
        return chain([self.start], self.rest) if self.rest is not None else iter([self.start])


def held_answer(chunks: Iterable[bytes], size: int | None = None) -> HeldAnswer:
    """Read ``chunks`` until they end or pass ``size`` bytes (``HELD_BYTES`` by default)."""
    limit = HELD_BYTES if size is None else size
    held: list[bytes] = []
    total = 0
    source = iter(chunks)
    for chunk in source:
        held.append(chunk)
        total += len(chunk)
        if total > limit:
            return HeldAnswer(b"".join(held), source)
    return HeldAnswer(b"".join(held), None)


def within_row_cap(answer: HeldAnswer, name: str, max_rows: int) -> Iterator[bytes]:
    """A store's SELECT answer in ``name`` (json/xml/tsv) to a query limited to ``max_rows``
    + 1 rows, passed on as it is when it was read whole and holds ``max_rows`` or fewer;
    else written again, cut at ``max_rows`` and marked truncated as ``stream_solutions``
    does (as it comes, when it was too large to read whole).

    >>> from pyoxigraph import Store
    >>> query = "SELECT ?x { VALUES ?x { 1 2 3 } }"
    >>> answer = Store().query(query).serialize(format=SOLUTION_FORMATS["json"])
    >>> b"".join(within_row_cap(held_answer([answer]), "json", 3)) == answer
    True
    >>> b"".join(within_row_cap(held_answer([answer]), "json", 2)).endswith(
    ...     b'"truncated":true}}')
    True
    """
    if answer.rest is None:
        if _rows_at_most(answer.start, name, max_rows):
            yield answer.start
        else:
            yield from stream_solutions(_solutions(answer.start, name), name, max_rows)
        return
    readable = cast("IO[bytes]", io.BufferedReader(_Reader(answer.chunks()), 1 << 16))
    yield from stream_solutions(_solutions(readable, name), name, max_rows)


def within_line_cap(answer: HeldAnswer, max_lines: int) -> Iterator[bytes]:
    """N-Triples (a triple a line, newlines in literals escaped) cut after ``max_lines``
    triples, as it comes.

    >>> b"".join(within_line_cap(held_answer([b"<a> <b> <c> .\\n" * 3]), 2)).count(b"\\n")
    2
    """
    written = 0
    for chunk in answer.chunks():
        lines = chunk.count(b"\n")
        if written + lines < max_lines:
            written += lines
            yield chunk
            continue
        end = -1
        for _ in range(max_lines - written):
            end = chunk.index(b"\n", end + 1)
        if end >= 0:
            yield chunk[:end + 1]
        return


def _rows_at_most(body: bytes, name: str, rows: int) -> bool:
    if body.count(_ROW_MARK[name]) <= rows:
        return True
    solutions = _solutions(body, name)
    return sum(1 for _ in islice(solutions, rows + 1)) <= rows


def _solutions(body: bytes | IO[bytes], name: str) -> QuerySolutions:
    result = parse_query_results(body, SOLUTION_FORMATS[name])
    if not isinstance(result, QuerySolutions):
        raise ValueError("a SELECT answer was expected, not a boolean")
    return result


class _Reader(io.RawIOBase):
    """Chunks read as a binary file."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count


_QUOTE = {'"': "&quot;"}


class _Writer:
    def head(self, variables: list[str]) -> bytes:
        raise NotImplementedError

    def row(self, variables: list[str], terms: list[Any], first: bool) -> str:
        raise NotImplementedError

    def tail(self, truncated: bool) -> bytes:
        return b""

    def boolean(self, value: bool) -> bytes:
        raise NotImplementedError


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


class _Json(_Writer):
    def head(self, variables: list[str]) -> bytes:
        return ('{"head":{"vars":' + json.dumps(variables) + '},"results":{"bindings":['
                ).encode("utf-8")

    def row(self, variables: list[str], terms: list[Any], first: bool) -> str:
        body = {v: _json_term(t) for v, t in zip(variables, terms, strict=True) if t is not None}
        return ("" if first else ",") + json.dumps(body, ensure_ascii=False)

    def tail(self, truncated: bool) -> bytes:
        return b"]}}" if not truncated else b'],"truncated":true}}'

    def boolean(self, value: bool) -> bytes:
        return b'{"head":{},"boolean":' + (b"true" if value else b"false") + b"}"


class _Xml(_Writer):
    def head(self, variables: list[str]) -> bytes:
        names = "".join(f'<variable name="{escape(v, _QUOTE)}"/>' for v in variables)
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head>{names}</head><results>").encode()

    def row(self, variables: list[str], terms: list[Any], first: bool) -> str:
        cells = []
        for name, term in zip(variables, terms, strict=True):
            if term is None:
                continue
            if isinstance(term, NamedNode):
                value = f"<uri>{escape(term.value)}</uri>"
            elif isinstance(term, BlankNode):
                value = f"<bnode>{escape(term.value)}</bnode>"
            elif isinstance(term, Literal):
                if term.language:
                    attribute = f' xml:lang="{escape(term.language, _QUOTE)}"'
                elif term.datatype.value != XSD_STRING:
                    attribute = f' datatype="{escape(term.datatype.value, _QUOTE)}"'
                else:
                    attribute = ""
                value = f"<literal{attribute}>{escape(term.value)}</literal>"
            else:
                value = f"<literal>{escape(str(term))}</literal>"
            cells.append(f'<binding name="{escape(name, _QUOTE)}">{value}</binding>')
        return "<result>" + "".join(cells) + "</result>"

    def tail(self, truncated: bool) -> bytes:
        note = "<!-- truncated: more rows than the server's row limit -->" if truncated else ""
        return f"</results>{note}</sparql>\n".encode()

    def boolean(self, value: bool) -> bytes:
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()


def _csv_cell(term: Any) -> str:
    if term is None:
        return ""
    text = term.value if isinstance(term, NamedNode | Literal) else f"_:{term.value}" \
        if isinstance(term, BlankNode) else str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _Csv(_Writer):
    def head(self, variables: list[str]) -> bytes:
        return (",".join(variables) + "\r\n").encode("utf-8")

    def row(self, variables: list[str], terms: list[Any], first: bool) -> str:
        return ",".join(_csv_cell(t) for t in terms) + "\r\n"

    def boolean(self, value: bool) -> bytes:
        return b"_askResult\r\n" + (b"true" if value else b"false") + b"\r\n"


class _Tsv(_Writer):
    def head(self, variables: list[str]) -> bytes:
        return ("\t".join(f"?{v}" for v in variables) + "\n").encode("utf-8")

    def row(self, variables: list[str], terms: list[Any], first: bool) -> str:
        # N-Triples term syntax (pyoxigraph's str), which escapes tabs and newlines.
        return "\t".join("" if t is None else str(t) for t in terms) + "\n"

    def boolean(self, value: bool) -> bytes:
        return b"?_askResult\n" + (b"true" if value else b"false") + b"\n"


_WRITERS: dict[str, _Writer] = {"json": _Json(), "xml": _Xml(), "csv": _Csv(), "tsv": _Tsv()}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def stream_triples(triples: Iterable[Triple], name: str, max_triples: int | None = None
                   ) -> Iterator[bytes]:
    """Triples in ``name`` (ttl/nt/jsonld/rdfxml). N-Triples and Turtle go out in batches
    (Turtle documents with the same prefixes concatenate into one valid document); JSON-LD and
    RDF/XML are single documents and are written whole, within ``max_triples``."""
    fmt = GRAPH_FORMATS[name]
    limited = islice(triples, max_triples) if max_triples is not None else iter(triples)
    prefixes = PREFIXES if fmt in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
    if fmt in (RdfFormat.TURTLE, RdfFormat.N_TRIPLES):
        while True:
            batch = list(islice(limited, 5000))
            if not batch:
                return
            out = io.BytesIO()
            serialize(batch, out, fmt, prefixes=prefixes)
            yield out.getvalue()
    out = io.BytesIO()
    serialize(list(limited), out, fmt, prefixes=prefixes)
    yield out.getvalue()
