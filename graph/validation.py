"""Validate graphs against the profile's shapes: the compiled fast path, pyshacl as reference.

Validation reads what the store holds (literals already canonicalised, FACTS.md), together
with the reference data the records point to. Focus nodes can be limited to one staged graph
(the gate on a load) and to a few nodes (re-validating what changed).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import rdflib
from pyoxigraph import NamedNode, RdfFormat, serialize

from graph.processes import cores
from graph.resources import shape_names, shapes
from graph.shapes_compiler import (
    REACH,
    SH,
    Check,
    CompiledShapes,
    classes_named,
    compile_shapes,
    own_triples,
    with_closures,
)
from graph.store import Bindings, QueryResult, solutions


class Queryable(Protocol):
    """Anything that answers SPARQL: a GraphStore or a graph being staged."""

    def query(self, sparql: str, *, bindings: Bindings | None = None) -> QueryResult: ...


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One problem: which record, which field, which value, how bad, and why."""

    focus: str
    path: str
    severity: str
    component: str
    value: str | None
    node_shape: str
    messages: tuple[tuple[str, str], ...] = ()

    def message(self, lang: str) -> str:
        """The message in ``lang``, else in English, else any."""
        found = dict(self.messages)
        return found.get(lang) or found.get("en") or next(iter(found.values()), "")

    def key(self) -> tuple[str, str, str, str, str | None]:
        """What pyshacl and the fast path must agree on."""
        return (self.focus, self.path, self.severity, self.component, self.value)


@dataclass
class ValidationReport:
    """Every result of one validation run."""

    results: list[ValidationResult] = field(default_factory=list)
    fallback_shapes: list[str] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """No violations (warnings and infos never block)."""
        return not any(r.severity == "Violation" for r in self.results)

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def violating_focus_nodes(self) -> list[str]:
        return sorted({r.focus for r in self.results if r.severity == "Violation"})


@cache
def shapes_graph() -> rdflib.Graph:
    """Every shipped shapes file, parsed once."""
    graph = rdflib.Graph()
    for name in shape_names():
        graph.parse(data=shapes(name), format="turtle")
    return graph


@cache
def compiled_shapes() -> CompiledShapes:
    return compile_shapes(shapes_graph())


def reach() -> int | None:
    """How many links beyond a record's own triples validation looks; None when some shapes
    go to pyshacl, which may look anywhere in the data."""
    return None if compiled_shapes().fallback else REACH


def validate(data: Queryable, *, graph: NamedNode | None = None,
             focus: Iterable[str] | None = None) -> ValidationReport:
    """Validate the focus nodes typed in ``graph`` (all graphs when None), optionally only
    ``focus`` (N-Triples IRIs), with the fast path; uncompiled shapes go to pyshacl.

    With ``graph``, a record is judged on its own triples in that graph (a source describes
    its own records), and what it points to is looked up in everything ``data`` sees."""
    compiled = compiled_shapes()
    report = ValidationReport()
    focus_values = ""
    wanted = compiled.target_classes
    nodes: list[str] = []
    if focus is not None:
        nodes = sorted(set(focus))
        if not nodes:
            return report
        focus_values = f"VALUES ?focus {{ {' '.join(nodes)} }} "
        # Only the shapes that target what these nodes are.
        wanted = {row["c"].value for row in solutions(data.query(
            f"SELECT DISTINCT ?c WHERE {{ {focus_values} ?focus a ?t . "
            f"?t <{rdflib.RDFS.subClassOf}>* ?c }}"))} & compiled.target_classes
    classes = _class_closures(data, wanted)
    own = f"GRAPH {graph}" if graph is not None else ""

    def target_for(check: Check) -> str:
        types = classes[check.target_class]
        if nodes:
            # One VALUES block: with two, Oxigraph's planner scans the whole class.
            pairs = " ".join(f"({node} {kind})" for node in nodes for kind in types)
            values = f"VALUES (?focus ?type) {{ {pairs} }}"
        else:
            values = f"VALUES ?type {{ {' '.join(types)} }}"
        return own_triples(f"{values} {{OWN}} {{ ?focus a ?type }}", own)

    def result(check: Check, focus_node: object, value: object | None) -> ValidationResult:
        return ValidationResult(
            focus=str(focus_node), path=f"<{check.path}>", severity=check.severity,
            component=check.component, value=str(value) if value is not None else None,
            node_shape=check.node_shape, messages=check.messages)

    def batch_query(checks: list[Check]) -> str:
        first = checks[0]
        if len(checks) == 1:
            return first.sparql(target_for(first), own)
        if first.counting is not None:
            # One scan of the path's values gives every count checked on it.
            counted = [c.counting for c in checks if c.counting is not None]
            binds = " ".join(f"BIND(IF({condition}, ?x, ?never) AS ?x{i})"
                             for i, (condition, _) in enumerate(counted))
            counts = " ".join(f"(COUNT(DISTINCT ?x{i}) AS ?n{i})" for i in range(len(counted)))
            having = " || ".join(f"COUNT(DISTINCT ?x{i}) {test}"
                                 for i, (_, test) in enumerate(counted))
            inner = own_triples(f"{{OWN}} {{ ?focus <{first.path}> ?x }}", own)
            return (f"SELECT ?focus {counts} WHERE {{ {target_for(first)} "
                    f"OPTIONAL {{ {inner} }} {binds} }} GROUP BY ?focus HAVING ({having})")
        # One scan of the path's values answers every per-value check on it.
        binds = " ".join(f"BIND(COALESCE({c.condition}, false) AS ?c{i})"
                         for i, c in enumerate(checks))
        flags = " || ".join(f"?c{i}" for i in range(len(checks)))
        return (f"SELECT DISTINCT ?focus ?value {' '.join(f'?c{i}' for i in range(len(checks)))}"
                f" WHERE {{ {target_for(first)} "
                f"{own_triples(f'{{OWN}} {{ ?focus <{first.path}> ?value }}', own)} "
                f"{binds} FILTER({flags}) }}")

    def run(batch: tuple[list[Check], str]) -> list[ValidationResult]:
        checks, sparql = batch
        rows = solutions(data.query(sparql))
        if len(checks) == 1:
            check = checks[0]
            return [result(check, row["focus"], row["value"] if check.has_value else None)
                    for row in rows]
        found = []
        for row in rows:
            for i, check in enumerate(checks):
                if check.counting is not None:
                    operator, limit = check.counting[1].split()
                    count = int(row[f"n{i}"].value)
                    failed = count < int(limit) if operator == "<" else count > int(limit)
                    if failed:
                        found.append(result(check, row["focus"], None))
                elif row[f"c{i}"].value == "true":
                    found.append(result(check, row["focus"], row["value"]))
        return found

    groups: dict[tuple[str, str, str, str], list[Check]] = defaultdict(list)
    batches: list[list[Check]] = []
    for check in compiled.checks:
        if check.target_class not in wanted:
            continue
        if check.condition is not None:
            groups[(check.node_shape, check.target_class, check.path, "value")].append(check)
        elif check.counting is not None:
            groups[(check.node_shape, check.target_class, check.path, "count")].append(check)
        else:
            batches.append([check])
    batches += list(groups.values())
    queries = [batch_query(batch) for batch in batches]
    closures = _class_closures(data, {c.strip("<>") for q in queries for c in classes_named(q)})
    named = {f"<{cls}>": members for cls, members in closures.items()}
    # Oxigraph releases the GIL while it evaluates, so the queries run side by side.
    with ThreadPoolExecutor(max_workers=cores()) as pool:
        for found in pool.map(run, [(b, with_closures(q, named))
                                    for b, q in zip(batches, queries, strict=True)]):
            report.results += found
    if compiled.fallback:
        report.fallback_shapes = [str(s) for s in compiled.fallback]
        report.results += _fallback(data, compiled, graph, focus)
    report.results.sort()
    return report


def _class_closures(data: Queryable, classes: set[str]) -> dict[str, list[str]]:
    closures = {}
    for cls in classes:
        rows = solutions(data.query(
            f"SELECT DISTINCT ?c WHERE {{ ?c <{rdflib.RDFS.subClassOf}>* <{cls}> }}"))
        found = {str(row["c"]) for row in rows} | {f"<{cls}>"}
        closures[cls] = sorted(found)
    return closures


def _fallback(data: Queryable, compiled: CompiledShapes, graph: NamedNode | None,
              focus: Iterable[str] | None) -> list[ValidationResult]:
    """pyshacl on the node shapes that the compiler could not translate."""
    shapes_subset = rdflib.Graph()
    full = shapes_graph()
    for shape in compiled.fallback:
        for triple in full.triples((shape, None, None)):
            shapes_subset.add(triple)
        _copy_closure(full, shapes_subset, shape)
    results = validate_with_pyshacl(dataset_graph(data), shapes_subset)
    if focus is not None:
        wanted = set(focus)
        results = [r for r in results if r.focus in wanted]
    if graph is not None:
        members = {str(row["s"]) for row in solutions(data.query(
            f"SELECT DISTINCT ?s WHERE {{ GRAPH {graph} {{ ?s a ?t }} }}"))}
        results = [r for r in results if r.focus in members]
    return results


def _copy_closure(source: rdflib.Graph, target: rdflib.Graph, node: rdflib.term.Node) -> None:
    for _, _, obj in source.triples((node, None, None)):
        if isinstance(obj, rdflib.BNode) or (obj, rdflib.RDF.type, SH.NodeShape) in source:
            for triple in source.triples((obj, None, None)):
                if triple not in target:
                    target.add(triple)
                    _copy_closure(source, target, obj)


def dataset_graph(data: Queryable) -> rdflib.Graph:
    """Everything ``data`` sees as one rdflib graph (for pyshacl)."""
    triples = data.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    buffer = io.BytesIO()
    serialize(triples, buffer, RdfFormat.N_TRIPLES)  # type: ignore[arg-type]
    return rdflib.Graph().parse(data=buffer.getvalue(), format="nt")


def validate_with_pyshacl(data: rdflib.Graph, shapes_graph_: rdflib.Graph | None = None
                          ) -> list[ValidationResult]:
    """The reference validator, with results in the same form as the fast path."""
    import pyshacl

    shapes_ = shapes_graph_ if shapes_graph_ is not None else shapes_graph()
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes_, allow_warnings=True,
                                    advanced=False, inference="none")
    owners = {prop: shape for shape, prop in shapes_.subject_objects(SH.property)}
    results = []
    # Only top-level results: pyshacl also types the nested sh:detail results of sh:node.
    for result in report.objects(None, SH.result):
        source = report.value(result, SH.sourceShape)
        value = report.value(result, SH.value)
        messages = tuple(sorted((m.language or "", str(m))
                                for m in report.objects(result, SH.resultMessage)
                                if isinstance(m, rdflib.Literal) and m.language))
        results.append(ValidationResult(
            focus=_nt(report.value(result, SH.focusNode)),
            path=_nt(report.value(result, SH.resultPath)),
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[1],
            component=str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[1],
            value=_nt(value) if value is not None else None,
            node_shape=str(owners.get(source, source)), messages=messages))
    return sorted(results)


def _nt(node: rdflib.term.Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, rdflib.Literal) and node.datatype == rdflib.XSD.string:
        node = rdflib.Literal(str(node))
    return str(node.n3())
