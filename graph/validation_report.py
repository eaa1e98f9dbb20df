"""Validation reports for people and machines: text grouped by record, JSON, sh:ValidationReport."""

from __future__ import annotations

import json
from collections import defaultdict

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse, serialize

from graph.namespaces import PREFIXES, RDF, SH, XSD
from graph.store import solutions
from graph.validation import Queryable, ValidationReport, ValidationResult

HEADINGS = {
    "vi": {"record": "Bản ghi", "field": "Trường", "value": "Giá trị", "severity": "Mức",
           "message": "Vấn đề", "summary": "{v} vi phạm, {w} cảnh báo, {i} thông tin",
           "ok": "Hợp lệ: không có vi phạm.",
           "Violation": "Vi phạm", "Warning": "Cảnh báo", "Info": "Thông tin"},
    "en": {"record": "Record", "field": "Field", "value": "Value", "severity": "Severity",
           "message": "Problem", "summary": "{v} violations, {w} warnings, {i} infos",
           "ok": "Conforms: no violations.",
           "Violation": "Violation", "Warning": "Warning", "Info": "Info"},
}


def record_titles(data: Queryable, focus: list[str], lang: str,
                  graph: NamedNode | None = None) -> dict[str, str]:
    """A readable name for each record: its title or label in ``lang`` if it has one (the
    first in code-point order when it has several), read from ``graph`` when given (what a
    source calls its records, not what other sources say about them)."""
    best: dict[str, tuple[bool, str]] = {}
    names = "?r dct:title|skos:prefLabel|foaf:name ?t"
    where = f"GRAPH {graph} {{ {names} }}" if graph is not None else names
    for start in range(0, len(focus), 500):
        values = " ".join(f for f in focus[start:start + 500] if f.startswith("<"))
        if not values:
            continue
        rows = solutions(data.query(
            f"SELECT ?r ?t WHERE {{ VALUES ?r {{ {values} }} {where} }}"))
        for row in rows:
            key, label = str(row["r"]), row["t"]
            rank = (label.language != lang, label.value)
            if key not in best or rank < best[key]:
                best[key] = rank
    return {key: title for key, (_, title) in best.items()}


def short(term: str) -> str:
    """An IRI as a prefixed name where one fits.

    >>> short("<http://purl.org/dc/terms/title>")
    'dct:title'
    """
    if term.startswith("<") and term.endswith(">"):
        iri = term[1:-1]
        for prefix, namespace in PREFIXES.items():
            if iri.startswith(namespace) and "/" not in iri[len(namespace):]:
                return f"{prefix}:{iri[len(namespace):]}"
        return iri
    return term


def as_text(report: ValidationReport, lang: str, titles: dict[str, str]) -> str:
    """Results grouped by record, most severe first."""
    text = HEADINGS[lang]
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    grouped: dict[str, list[ValidationResult]] = defaultdict(list)
    for result in report.results:
        grouped[result.focus].append(result)
    lines = []
    for focus in sorted(grouped, key=lambda f: (min(order[r.severity] for r in grouped[f]), f)):
        name = titles.get(focus)
        lines.append(f"{short(focus)}" + (f"  «{name}»" if name else ""))
        for result in sorted(grouped[focus], key=lambda r: (order[r.severity], r.path)):
            value = f" = {result.value}" if result.value else ""
            shape = result.node_shape.rsplit("#", 1)[-1]
            lines.append(f"  [{text[result.severity]}] {short(result.path)}{value}: "
                         f"{result.message(lang)} ({shape})")
    lines.append(text["summary"].format(v=report.count("Violation"), w=report.count("Warning"),
                                        i=report.count("Info")))
    if report.conforms:
        lines.append(text["ok"])
    return "\n".join(lines)


def as_json(report: ValidationReport, lang: str, titles: dict[str, str]) -> str:
    """Every result with record, title, field, value, severity, message, shape."""
    return json.dumps({
        "conforms": report.conforms,
        "violations": report.count("Violation"), "warnings": report.count("Warning"),
        "infos": report.count("Info"),
        "results": [{
            "record": r.focus.strip("<>"), "title": titles.get(r.focus),
            "field": r.path.strip("<>"), "value": r.value, "severity": r.severity,
            "message": r.message(lang), "messages": dict(r.messages),
            "shape": r.node_shape, "component": r.component,
        } for r in report.results],
    }, ensure_ascii=False, indent=2)


def report_triples(report: ValidationReport, root: NamedNode | BlankNode | None = None
                   ) -> list[Triple]:
    """A standard ``sh:ValidationReport`` (https://www.w3.org/TR/shacl/#validation-report);
    with an IRI as ``root`` the results get IRIs under it, so the report can be stored."""
    root = root if root is not None else BlankNode()
    triples = [Triple(root, RDF.type, SH.ValidationReport),
               Triple(root, SH.conforms, Literal(str(report.conforms).lower(),
                                                 datatype=XSD.boolean))]
    for number, result in enumerate(report.results):
        node: NamedNode | BlankNode = (NamedNode(f"{root.value}/result/{number}")
                                       if isinstance(root, NamedNode) else BlankNode())
        triples += [
            Triple(root, SH.result, node), Triple(node, RDF.type, SH.ValidationResult),
            Triple(node, SH.focusNode, _term(result.focus)),
            Triple(node, SH.resultPath, _term(result.path)),
            Triple(node, SH.resultSeverity, SH[result.severity]),
            Triple(node, SH.sourceConstraintComponent, SH[result.component]),
            Triple(node, SH.sourceShape, NamedNode(result.node_shape)),
        ]
        if result.value is not None:
            triples.append(Triple(node, SH.value, _term(result.value)))
        triples += [Triple(node, SH.resultMessage, Literal(text, language=lang))
                    for lang, text in result.messages]
    return triples


def as_turtle(report: ValidationReport) -> bytes:
    """The report as Turtle."""
    return serialize(report_triples(report), format=RdfFormat.TURTLE,
                     prefixes={"sh": SH.iri}) or b""


def _term(text: str) -> NamedNode | BlankNode | Literal:
    """Back from N-Triples text to a term (parsed by pyoxigraph, never by hand)."""
    quad = next(iter(parse(f"<urn:s> <urn:p> {text} .", RdfFormat.N_TRIPLES)))
    obj = quad.object
    if isinstance(obj, NamedNode | BlankNode | Literal):
        return obj
    raise ValueError(text)
