"""Records as plain JSON: the shapes the JSON API returns, read from the graph in one query
per page of records.

Why not JSON-LD: a JavaScript developer expects ``dataset.title.vi`` and
``dataset.publisher.name``, not ``@graph``/``@value`` arrays; the IRI of every record and of
everything it links to is kept, so the graph stays one step away. Each kind is a list of
``Field``s (key, property, how the value is written); the same list gives the OpenAPI schema,
so the documentation cannot drift from what the code writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyoxigraph import Literal, NamedNode, QueryTriples

from graph.namespaces import (
    BASE,
    DCAT,
    DCT,
    FOAF,
    KG,
    LOCN,
    ORG,
    RDFS,
    SKOS,
    VCARD,
)
from graph.store import GraphStore

# How a field's values are written.
TEXT = "text"          # {"vi": "...", "en": "..."}; untagged text under "und"
STRING = "string"      # the first literal's lexical form
STRINGS = "strings"    # every literal, as strings
LINK = "link"          # {"iri", "label"} of the first value
LINKS = "links"        # [{"iri", "label"}, ...]
NUMBER = "number"      # a number
NESTED = "nested"      # records of another kind (a dataset's distributions)
BOOLEAN = "boolean"    # true when the value is the literal true

LABELS = (SKOS.prefLabel, FOAF.name, DCT.title, RDFS.label)


@dataclass(frozen=True)
class Field:
    key: str
    path: tuple[NamedNode, ...]
    how: str
    description: str
    nested: str | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of record of the API: its class, where its IRIs live, its fields."""

    name: str
    type: NamedNode
    iri_prefix: str
    fields: tuple[Field, ...]

    def id_of(self, iri: str) -> str | None:
        return iri[len(self.iri_prefix):] if iri.startswith(self.iri_prefix) else None

    def field_names(self) -> list[str]:
        return ["id", "iri", *(f.key for f in self.fields)]


DISTRIBUTION = Kind("distribution", DCAT.Distribution, f"{BASE}id/distribution/", (
    Field("title", (DCT.title,), TEXT, "Title by language"),
    Field("format", (DCT.format,), LINK, "File type (EU file-type authority table)"),
    Field("mediaType", (DCAT.mediaType,), LINK, "IANA media type"),
    Field("downloadURL", (DCAT.downloadURL,), LINK, "Direct download address"),
    Field("accessURL", (DCAT.accessURL,), LINK, "Where the data can be reached"),
    Field("byteSize", (DCAT.byteSize,), NUMBER, "Size in bytes"),
    Field("license", (DCT.license,), LINK, "Licence"),
    Field("accessRights", (DCT.accessRights,), LINK,
          "Access rights (EU table), when they differ from the dataset's"),
))
DATASET = Kind("dataset", DCAT.Dataset, f"{BASE}id/dataset/", (
    Field("title", (DCT.title,), TEXT, "Title by language"),
    Field("description", (DCT.description,), TEXT, "Description by language"),
    Field("publisher", (DCT.publisher,), LINK, "Publishing organisation"),
    Field("themes", (DCAT.theme,), LINKS, "Data themes (EU data-theme table)"),
    Field("subjects", (DCT.subject,), LINKS, "Fields of science (OECD FOS)"),
    Field("keywords", (DCAT.keyword,), STRINGS, "Keywords, every language"),
    Field("spatial", (DCT.spatial,), LINKS, "Places covered (administrative units)"),
    Field("startDate", (DCT.temporal, DCAT.startDate), STRING, "Start of the period covered"),
    Field("endDate", (DCT.temporal, DCAT.endDate), STRING, "End of the period covered"),
    Field("issued", (DCT.issued,), STRING, "Date of publication"),
    Field("modified", (DCT.modified,), STRING, "Date of the last change"),
    Field("license", (DCT.license,), LINK, "Licence"),
    Field("accessRights", (DCT.accessRights,), LINK, "Access rights (EU table)"),
    Field("languages", (DCT.language,), LINKS, "Languages of the data"),
    Field("contactName", (DCAT.contactPoint, VCARD.fn), STRING, "Contact point's name"),
    Field("contactEmail", (DCAT.contactPoint, VCARD.hasEmail), STRING, "Contact e-mail"),
    Field("landingPage", (DCAT.landingPage,), LINK, "Web page of the dataset"),
    Field("distributions", (DCAT.distribution,), NESTED, "Distributions (files, services)",
          "distribution"),
    Field("draft", (KG.draft,), BOOLEAN,
          "A draft: seen only by its publisher's tokens and admins until it is published"),
))
ORGANISATION = Kind("organisation", ORG.FormalOrganization, f"{BASE}id/org/", (
    Field("name", (SKOS.prefLabel,), TEXT, "Name by language"),
    Field("acronym", (KG.acronym,), STRING, "Acronym"),
    Field("classification", (ORG.classification,), LINK, "Kind of organisation"),
    Field("parent", (ORG.subOrganizationOf,), LINK, "The organisation it belongs to"),
    Field("homepage", (FOAF.homepage,), LINK, "Web site"),
    Field("email", (FOAF.mbox,), LINK, "E-mail"),
    Field("address", (LOCN.address, LOCN.fullAddress), STRING, "Full address"),
    Field("adminUnit", (LOCN.address, KG.adminUnit), LINK,
          "Administrative unit of the address, as the address cites it"),
    Field("currentAdminUnit", (LOCN.address, KG.currentAdminUnit), LINK,
          "The unit of today (after the 2025 reform) the address lies in"),
))
PLACE = Kind("place", KG.AdministrativeUnit, f"{BASE}id/unit/", (
    Field("code", (SKOS.notation,), STRING, "Official GSO code"),
    Field("name", (SKOS.prefLabel,), TEXT, "Name by language"),
    Field("level", (KG.unitLevel,), LINK, "Level: province, district or commune"),
    Field("unitKind", (KG.unitKind,), LINK, "Kind: city, province, ward, commune..."),
    Field("scheme", (SKOS.inScheme,), LINK, "Edition: the scheme of 2025 or before 2025"),
    Field("parent", (SKOS.broader,), LINK, "The unit it lies in"),
    Field("validFrom", (KG.validFrom,), STRING, "Valid from"),
    Field("validUntil", (KG.validUntil,), STRING, "Valid until (units abolished in 2025)"),
    Field("replacedBy", (KG.replacedBy,), LINKS, "Units of 2025 that took it over"),
    Field("replaces", (KG.replaces,), LINKS, "Former units it was formed from"),
))
CONCEPT = Kind("concept", SKOS.Concept, f"{BASE}id/concept/", (
    Field("prefLabel", (SKOS.prefLabel,), TEXT, "Preferred label by language"),
    Field("altLabels", (SKOS.altLabel,), STRINGS, "Other labels"),
    Field("notation", (SKOS.notation,), STRING, "Code"),
    Field("definition", (SKOS.definition,), TEXT, "Definition by language"),
    Field("scheme", (SKOS.inScheme,), LINK, "Concept scheme"),
    Field("broader", (SKOS.broader,), LINKS, "Broader concepts"),
    Field("exactMatch", (SKOS.exactMatch,), LINKS, "The same concept elsewhere"),
))
CATALOG = Kind("catalog", DCAT.Catalog, f"{BASE}id/catalog/", (
    Field("title", (DCT.title,), TEXT, "Title by language"),
    Field("description", (DCT.description,), TEXT, "Description by language"),
    Field("publisher", (DCT.publisher,), LINK, "Publishing organisation"),
    Field("homepage", (FOAF.homepage,), LINK, "Web site"),
    Field("modified", (DCT.modified,), STRING, "Date of the last change"),
))
KINDS: dict[str, Kind] = {k.name: k for k in (DATASET, ORGANISATION, PLACE, CONCEPT, CATALOG,
                                               DISTRIBUTION)}


class _Graph:
    """The triples of one query, indexed by subject and predicate."""

    def __init__(self, triples: Iterable[Any]) -> None:
        self.out: dict[Any, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.out[t.subject][t.predicate].append(t.object)

    def values(self, subject: Any, path: Sequence[NamedNode]) -> list[Any]:
        found = [subject]
        for step in path:
            found = [o for s in found for o in self.out.get(s, {}).get(step, [])]
        return list(dict.fromkeys(found))

    def label(self, term: Any, lang: str) -> str | None:
        for predicate in LABELS:
            texts = [o for o in self.out.get(term, {}).get(predicate, [])
                     if isinstance(o, Literal)]
            if texts:
                chosen = next((t for t in texts if t.language == lang), None) or \
                    next((t for t in texts if t.language in ("vi", None)), texts[0])
                return str(chosen.value)
        return None


def _number(value: Literal) -> int | float | str:
    for cast in (int, float):
        try:
            return cast(value.value)
        except ValueError:
            continue
    return str(value.value)


def _link(graph: _Graph, term: Any, lang: str) -> dict[str, Any]:
    if isinstance(term, Literal):
        return {"iri": None, "label": term.value}
    iri = term.value if isinstance(term, NamedNode) else None
    return {"iri": iri, "label": graph.label(term, lang)}


def _value(graph: _Graph, subject: Any, field: Field, lang: str) -> Any:
    found = graph.values(subject, field.path)
    literals = [v for v in found if isinstance(v, Literal)]
    if field.how == TEXT:
        texts: dict[str, str] = {}
        for value in literals:
            texts.setdefault(value.language or "und", value.value)
        return texts or None
    if field.how == STRING:
        if literals:
            return str(literals[0].value)
        return found[0].value.removeprefix("mailto:") if found and \
            isinstance(found[0], NamedNode) else None
    if field.how == STRINGS:
        return sorted({str(v.value) for v in literals})
    if field.how == NUMBER:
        return _number(literals[0]) if literals else None
    if field.how == BOOLEAN:
        return any(v.value == "true" for v in literals)
    if field.how == LINK:
        return _link(graph, found[0], lang) if found else None
    if field.how == LINKS:
        return sorted((_link(graph, v, lang) for v in found),
                      key=lambda link: str(link["iri"] or link["label"]))
    if field.how == NESTED and field.nested:
        nested = KINDS[field.nested]
        return [_record(graph, value, nested, lang, None) for value in sorted(
            found, key=lambda term: str(term))]
    raise ValueError(f"unknown field kind {field.how}")


def _record(graph: _Graph, subject: Any, kind: Kind, lang: str,
            fields: Sequence[str] | None) -> dict[str, Any]:
    iri = subject.value if isinstance(subject, NamedNode) else None
    record: dict[str, Any] = {"id": kind.id_of(iri) if iri else None, "iri": iri}
    for field in kind.fields:
        if fields is None or field.key in fields:
            record[field.key] = _value(graph, subject, field, lang)
    return record


def _paths(kind: Kind, depth: int = 0, fields: Sequence[str] | None = None
           ) -> list[tuple[NamedNode, ...]]:
    paths = []
    for field in kind.fields:
        if fields is not None and field.key not in fields:
            continue
        paths.append(field.path)
        if field.nested and depth == 0:
            paths += [(*field.path, *inner) for inner in _paths(KINDS[field.nested], 1)]
    return paths


def record_query(kind: Kind, iris: Sequence[str], fields: Sequence[str] | None = None) -> str:
    """One CONSTRUCT for the records, every step of their (chosen) fields' paths and the
    labels of what they link to. The IRIs come from the store or the search index and are
    written as N-Triples terms by pyoxigraph; nothing else goes into the text."""
    values = " ".join(str(NamedNode(iri)) for iri in iris)
    paths = _paths(kind, fields=fields)
    steps = dict.fromkeys("/".join(str(p) for p in path[:length])
                          for path in paths for length in range(1, len(path) + 1))
    wanted = dict.fromkeys([*(p for path in paths for p in path[1:]), *LABELS])
    own = "{ ?r ?p ?o BIND(?r AS ?s) }"
    if not steps:
        return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?r {{ {values} }} {own} }}"
    return (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?r {{ {values} }} "
        f"{own} UNION {{ ?r {'|'.join(steps)} ?s . ?s ?p ?o "
        f"FILTER(isBlank(?s) || ?p IN ({', '.join(str(p) for p in wanted)})) }} }}")


def records(store: GraphStore, kind: Kind, iris: Sequence[str], lang: str = "vi",
            fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The records ``iris`` of ``kind`` as JSON objects, in the order given (those the store
    does not know are left out)."""
    if not iris:
        return []
    # Only the paths of the fields asked for: the JSON list of 100 titles took 0.33 s when
    # every path (distributions, labels of publishers and places) was followed.
    result = store.query(record_query(kind, iris, fields))
    if not isinstance(result, QueryTriples):
        raise TypeError("CONSTRUCT must give triples")
    graph = _Graph(result)
    found = []
    for iri in iris:
        subject = NamedNode(iri)
        if subject in graph.out:
            found.append(_record(graph, subject, kind, lang, fields))
    return found


def json_schema(kind: Kind, depth: int = 0, *, writable: bool = False) -> dict[str, Any]:
    """The JSON Schema of a record of ``kind`` (OpenAPI 3.1 takes JSON Schema as it is);
    ``writable``: of a record as a client may send it (``graph.records_write``: links also
    as bare IRIs, texts also as one Vietnamese string, keywords also by language, no field
    required)."""
    text: dict[str, Any] = {"type": ["object", "null"], "additionalProperties": {"type": "string"},
                            "examples": [{"vi": "Tên", "en": "Name"}]}
    link: dict[str, Any] = {"type": ["object", "null"], "properties": {
        "iri": {"type": ["string", "null"]}, "label": {"type": ["string", "null"]}}}
    strings: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    if writable:
        text = {"anyOf": [text, {"type": "string"}]}
        link = {"anyOf": [link, {"type": "string", "format": "iri"}]}
        strings = {"anyOf": [strings, {"type": "object", "additionalProperties": strings}]}
    shapes: dict[str, dict[str, Any]] = {
        TEXT: text, STRING: {"type": ["string", "null"]}, STRINGS: strings,
        NUMBER: {"type": ["number", "null"]}, LINK: link, BOOLEAN: {"type": "boolean"},
        LINKS: {"type": "array", "items": link},
    }
    properties: dict[str, Any] = {
        "id": {"type": ["string", "null"], "description": "Local id (the IRI's last part)"},
        "iri": {"type": ["string", "null"], "format": "iri", "description": "The record's IRI"},
    }
    for field in kind.fields:
        if field.how == NESTED and field.nested:
            schema: dict[str, Any] = {"type": "array", "items": json_schema(
                KINDS[field.nested], depth + 1, writable=writable)}
        else:
            schema = dict(shapes[field.how])
        schema["description"] = field.description
        properties[field.key] = schema
    return {"type": "object", "properties": properties,
            "required": [] if writable else ["iri"]}


def flat(record: dict[str, Any], fields: Sequence[str]) -> dict[str, str]:
    """One CSV row of a record: texts by language in columns of their own, links by IRI,
    lists joined with " | "."""
    row: dict[str, str] = {}
    for key in fields:
        value = record.get(key)
        if isinstance(value, dict) and "iri" in value:
            row[key] = str(value["iri"] or value.get("label") or "")
        elif isinstance(value, dict) or (value is None and key in TEXT_KEYS):
            for lang in ("vi", "en"):
                row[f"{key}_{lang}"] = (value or {}).get(lang, "")
        elif isinstance(value, list):
            row[key] = " | ".join(str(v.get("iri") or v.get("label") or "") if
                                  isinstance(v, dict) else str(v) for v in value)
        else:
            row[key] = "" if value is None else str(value)
    return row


TEXT_KEYS = frozenset(f.key for kind in KINDS.values() for f in kind.fields if f.how == TEXT)
