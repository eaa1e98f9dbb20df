"""A small SPARQL lexer: what a request asks of the network, and graph names to re-point.

Only tokens matter here (comments, strings, IRIs, prefixed names, keywords), so the text of a
string literal or a comment can never be mistaken for a keyword or an IRI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import TypeVar
from urllib.parse import urljoin

from pyoxigraph import Literal, NamedNode

_TOKEN = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:
               (?:[\w\-\u00C0-\uFFFF:%]|\\.)*(?:[\w.\-\u00C0-\uFFFF:%]|\\.)*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


T = TypeVar("T")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokens(text: str) -> list[Token]:
    """The tokens of ``text``, whitespace and comments dropped.

    >>> [t.text for t in tokens('SELECT * { ?s <p> "SERVICE" } # LOAD')]
    ['SELECT', '*', '{', '?s', '<p>', '"SERVICE"', '}']
    """
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            found.append(Token(kind, match.group()))
    return found


def _short_texts_memoised(function: Callable[[str], T]) -> Callable[[str], T]:
    """``function`` remembered for the last 512 texts of up to 8 KiB: clients send the same
    queries again and again, and lexing one costs as much as the engine's answer to a lookup."""
    remembered = lru_cache(maxsize=512)(function)

    @wraps(function)
    def memoised(text: str) -> T:
        return remembered(text) if len(text) <= 8192 else function(text)

    return memoised


@_short_texts_memoised
def remote_targets(text: str) -> tuple[str | None, ...]:
    """The hosts' IRIs a query or update would reach out to: every ``SERVICE`` and ``LOAD``
    target (None when it is a variable, known only at run time).

    >>> remote_targets('SELECT * { SERVICE SILENT <http://x.org/sparql> { ?s ?p ?o } }')
    ('http://x.org/sparql',)
    >>> remote_targets('SELECT * { ?s ?p "SERVICE <http://x.org/>" }')
    ()
    """
    found: list[str | None] = []
    listed = tokens(text)
    for i, token in enumerate(listed):
        if token.kind == "word" and token.text.upper() in ("SERVICE", "LOAD"):
            j = i + 1
            if j < len(listed) and listed[j].text.upper() == "SILENT":
                j += 1
            target = listed[j] if j < len(listed) else None
            if target is not None and target.kind == "iri":
                found.append(target.text[1:-1])
            else:
                found.append(None)
    return tuple(found)


@dataclass(frozen=True)
class QueryShape:
    """A query's form and the row limit its outermost query sets (None: no limit), with where
    in its text that limit is written or could be."""

    form: str | None
    limit: int | None
    text: str = field(default="", repr=False)
    # The limit's number in ``text``; where a LIMIT clause may go (before a trailing VALUES
    # block), None when the braces do not balance.
    limit_span: tuple[int, int] | None = field(default=None, repr=False)
    clause_at: int | None = field(default=None, repr=False)

    def rows_at_most(self, cap: int) -> bool:
        """Whether the answer can never hold more than ``cap`` rows."""
        return self.form == "ASK" or (
            self.form == "SELECT" and self.limit is not None and self.limit <= cap)

    def limited_to(self, rows: int) -> str | None:
        """The SELECT query's text with its outermost LIMIT at most ``rows`` (None when it is
        not a SELECT whose text can be read that far). Nothing else in the text changes, so
        the line and column of a syntax error stay where they were.

        >>> query_shape("SELECT * { ?s ?p ?o } VALUES ?s { <urn:a> } # end").limited_to(9)
        'SELECT * { ?s ?p ?o } \\nLIMIT 9\\nVALUES ?s { <urn:a> } # end'
        >>> query_shape("SELECT * { ?s ?p ?o } LIMIT 50 OFFSET 3").limited_to(9)
        'SELECT * { ?s ?p ?o } LIMIT 9 OFFSET 3'
        """
        if self.form != "SELECT" or self.clause_at is None:
            return None
        text = self.text
        if self.limit_span is not None:
            if self.limit is not None and self.limit <= rows:
                return text
            start, end = self.limit_span
            return f"{text[:start]}{rows}{text[end:]}"
        at = self.clause_at
        # On a line of its own: the text may end in a comment.
        return f"{text[:at]}\nLIMIT {rows}\n{text[at:]}"


@_short_texts_memoised
def query_shape(text: str) -> QueryShape:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) and the outermost LIMIT of a query: what
    is written outside every brace belongs to the outermost query, never to a subquery.

    >>> query_shape("SELECT * { { SELECT ?s { ?s ?p ?o } LIMIT 5 } } LIMIT 100 # LIMIT 1")
    QueryShape(form='SELECT', limit=100)
    >>> query_shape('PREFIX x: <urn:x#> CONSTRUCT WHERE { ?s x:LIMIT "LIMIT 3" }')
    QueryShape(form='CONSTRUCT', limit=None)
    """
    form = limit = limit_span = values_at = None
    depth = 0
    closed_group = False
    listed = [m for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]
    for i, match in enumerate(listed):
        written = match.group()
        if written == "{":
            depth += 1
        elif written == "}":
            depth -= 1
            closed_group = closed_group or depth == 0
        elif depth == 0 and match.lastgroup == "word":
            word = written.upper()
            following = listed[i + 1] if i + 1 < len(listed) else None
            if form is None and word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
                form = word
            elif (word == "LIMIT" and following is not None and following.lastgroup == "number"
                  and following.group().isdigit()):
                limit, limit_span = int(following.group()), following.span()
            elif word == "VALUES" and closed_group and values_at is None:
                values_at = match.start()
    clause_at = (values_at if values_at is not None else len(text)) if depth == 0 else None
    return QueryShape(form, limit, text, limit_span, clause_at)


def declared_prefixes(text: str) -> tuple[dict[str, str], str | None]:
    """The PREFIX declarations and the BASE of a query or update."""
    listed = tokens(text)
    prefixes: dict[str, str] = {}
    base = None
    for i, token in enumerate(listed[:-1]):
        word = token.text.upper()
        if word == "BASE" and listed[i + 1].kind == "iri":
            base = listed[i + 1].text[1:-1]
        elif word == "PREFIX" and i + 2 < len(listed) and listed[i + 2].kind == "iri":
            prefixes[listed[i + 1].text.rstrip(":")] = listed[i + 2].text[1:-1]
    return prefixes, base


def repoint_iris(text: str, mapping: Mapping[str, str], default_prefixes: Mapping[str, str]
                 ) -> str:
    """``text`` with every IRI in ``mapping`` (written in full, relative or as a prefixed
    name) replaced by its new IRI, written in full; nothing else changes.

    >>> repoint_iris("PREFIX g: <urn:g:> INSERT DATA { GRAPH g:a { <s> <p> 'g:a' } }",
    ...              {"urn:g:a": "urn:staged"}, {})
    "PREFIX g: <urn:g:> INSERT DATA { GRAPH <urn:staged> { <s> <p> 'g:a' } }"
    """
    declared, base = declared_prefixes(text)
    prefixes = {**default_prefixes, **declared}
    out = []
    position = 0
    previous = ""
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        iri = None
        if kind == "iri":
            iri = urljoin(base, value[1:-1]) if base else value[1:-1]
        elif kind == "pname" and previous.upper() != "PREFIX":
            name, _, local = value.partition(":")
            if name in prefixes:
                iri = prefixes[name] + local
        if iri is not None and iri in mapping and previous.upper() != "PREFIX":
            out.append(text[position:match.start()])
            out.append(f"<{mapping[iri]}>")
            position = match.end()
        if kind not in ("space", "comment"):
            previous = value
    out.append(text[position:])
    return "".join(out)


def with_terms(text: str, terms: Mapping[str, NamedNode | Literal]) -> str:
    """``text`` with the variables named in ``terms`` replaced by those IRIs (or literals).

    Why: pyoxigraph's substitutions (and a VALUES block) do not reach into the branches of a
    UNION, which then run unbound: 35 ms instead of 0.5 ms for a place's page; nor, on the
    embedded store, into variables outside the projection. The terms are written (escaped)
    by pyoxigraph from a validated ``NamedNode`` or ``Literal``, and only variable tokens are
    replaced, never text inside strings, IRIs or comments.

    >>> with_terms('SELECT * { ?r ?p "?r" } # ?r', {"r": NamedNode("urn:x")})
    'SELECT * { <urn:x> ?p "?r" } # ?r'
    """
    out = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "var" and match.group()[1:] in terms:
            out.append(text[position:match.start()])
            out.append(str(terms[match.group()[1:]]))
            position = match.end()
    out.append(text[position:])
    return "".join(out)


def with_values_in_graphs(text: str, graph: str, name: str, terms: Sequence[NamedNode]) -> str:
    """``text`` with ``VALUES ?name { terms }`` opening every ``GRAPH ?graph { ... }`` block:
    the way to narrow every branch of a UNION to a few records (see ``with_terms``).

    >>> print(with_values_in_graphs('{GRAPH ?g {?r a ?t}} UNION {graph ?g {}} #GRAPH ?g{',
    ...                             "g", "r", [NamedNode("u:x")]))
    {GRAPH ?g { VALUES ?r { <u:x> } ?r a ?t}} UNION {graph ?g { VALUES ?r { <u:x> } }} #GRAPH ?g{
    """
    block = f" VALUES ?{name} {{ {' '.join(str(term) for term in terms)} }} "
    out = []
    position = 0
    recent: list[str] = []
    for match in _TOKEN.finditer(text):
        if match.lastgroup in ("space", "comment"):
            continue
        recent = [*recent[-2:], match.group()]
        if [recent[0].upper(), *recent[1:]] == ["GRAPH", f"?{graph}", "{"]:
            out.append(text[position:match.end()])
            out.append(block)
            position = match.end()
    out.append(text[position:])
    return "".join(out)
