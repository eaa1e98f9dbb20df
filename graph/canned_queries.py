"""Canned, parameterised SPARQL queries: ``.rq`` files with a small header, shipped in
``graph/canned/`` and read from a folder a deployer configures (``KG_QUERIES_DIR``; a file
there replaces a shipped one of the same name).

The header, one ``#`` line each, before the query::

    # title@vi: Bộ dữ liệu theo tỉnh       (and title@en)
    # description@en: ...                  (and description@vi)
    # param: province iri default=https://... -- what it is

Parameter types: ``iri``, ``string``, ``integer``, ``decimal``, ``date``, ``boolean``. A value
becomes a pyoxigraph term (which validates it) and the query's variable of the same name is
replaced by that term as pyoxigraph writes it (``sparql_text.with_terms``): never pasted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from graph.namespaces import XSD
from graph.sparql_text import query_shape, tokens, with_terms

TYPES = ("iri", "string", "integer", "decimal", "date", "boolean")
NAME = re.compile(r"[a-z][a-z0-9-]*")
PARAM = re.compile(r"(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>[a-z]+)"
                   r"(?:\s+default=(?P<default>\S+))?(?:\s+--\s*(?P<text>.*))?")


class QueryError(ValueError):
    """A canned query file that cannot be used, or a parameter value that does not fit."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    default: str | None
    description: str

    def term(self, text: str) -> NamedNode | Literal:
        """The value as a term of this parameter's type; QueryError says what is wrong."""
        try:
            if self.type == "iri":
                if not re.match(r"(https?|urn):", text):
                    raise ValueError("an absolute http(s) or urn IRI")
                return NamedNode(text)
            if self.type == "integer":
                return Literal(str(int(text)), datatype=XSD.integer)
            if self.type == "decimal":
                return Literal(str(Decimal(text)), datatype=XSD.decimal)
            if self.type == "date":
                return Literal(date.fromisoformat(text).isoformat(), datatype=XSD.date)
            if self.type == "boolean":
                if text not in ("true", "false"):
                    raise ValueError("true or false")
                return Literal(text, datatype=XSD.boolean)
            return Literal(text)
        except (ValueError, InvalidOperation) as bad:
            raise QueryError(f"{self.name} must be {_expected(self.type)}, not {text!r}"
                             f" ({bad})") from None


def _expected(kind: str) -> str:
    return {"iri": "an IRI", "integer": "a whole number", "decimal": "a number",
            "date": "a date (YYYY-MM-DD)", "boolean": "true or false"}.get(kind, "text")


@dataclass(frozen=True)
class CannedQuery:
    name: str
    text: str
    title: dict[str, str]
    description: dict[str, str]
    params: tuple[QueryParam, ...]
    source: str
    form: str = "SELECT"

    def bound(self, given: dict[str, str]) -> str:
        """The query with every parameter replaced by its value (or default)."""
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise QueryError(f"not a parameter of {self.name}: {', '.join(unknown)}")
        terms: dict[str, NamedNode | Literal] = {}
        for param in self.params:
            text = given.get(param.name, param.default)
            if text is None:
                raise QueryError(f"{param.name} is required")
            terms[param.name] = param.term(text)
        return with_terms(self.text, terms)

    def label(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.name


def parse_query(name: str, text: str, source: str) -> CannedQuery:
    """One ``.rq`` file; QueryError names the file and the line that is wrong."""
    if not NAME.fullmatch(name):
        raise QueryError(f"{source}: a query's name is lower-case letters, digits and '-'")
    title: dict[str, str] = {}
    description: dict[str, str] = {}
    params: list[QueryParam] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        key, value = key.strip(), value.strip()
        if key.startswith(("title@", "description@")):
            field_name, _, lang = key.partition("@")
            (title if field_name == "title" else description)[lang] = value
        elif key == "param":
            found = PARAM.fullmatch(value)
            if found is None or found["type"] not in TYPES:
                raise QueryError(f"{source}, line {number}: a parameter is written "
                                 f"'name type [default=value] [-- text]' with a type among "
                                 f"{', '.join(TYPES)}")
            params.append(QueryParam(found["name"], found["type"], found["default"],
                                     found["text"] or ""))
    if not title:
        raise QueryError(f"{source}: the header needs a title (# title@en: ...)")
    try:
        shape = query_shape(text)
    except ValueError as bad:
        raise QueryError(f"{source}: {bad}") from None
    if shape.form is None:
        raise QueryError(f"{source}: not a SELECT, ASK, CONSTRUCT or DESCRIBE query")
    used = {t.text[1:] for t in tokens(text) if t.kind == "var"}
    missing = [p.name for p in params if p.name not in used]
    if missing:
        raise QueryError(f"{source}: parameters not used in the query: {', '.join(missing)}")
    query = CannedQuery(name, text, title, description, tuple(params), source, shape.form)
    for param in params:
        if param.default is not None:
            param.term(param.default)  # a default that does not fit fails at start-up
    return query


def load_queries(folder: Path | None = None) -> dict[str, CannedQuery]:
    """The shipped queries, then the folder's (which replace shipped ones of their name)."""
    found: dict[str, CannedQuery] = {}
    shipped = files("graph.canned")
    for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name.removesuffix(".rq")
            found[name] = parse_query(name, entry.read_text(encoding="utf-8"),
                                      f"graph/canned/{entry.name}")
    if folder is not None:
        if not folder.is_dir():
            raise QueryError(f"{folder}: the queries folder does not exist")
        for path in sorted(folder.glob("*.rq")):
            name = path.stem
            found[name] = parse_query(name, path.read_text(encoding="utf-8"), str(path))
    return found
