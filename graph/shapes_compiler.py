"""Compile the profile's SHACL Core shapes into SPARQL that Oxigraph runs in the store.

Why: pyshacl (the reference) needs minutes and gigabytes at catalogue scale, while the same
constraints as SPARQL take seconds (FACTS.md). Each supported constraint becomes one SELECT
that returns the violating ``?focus`` (and ``?value`` where SHACL reports one). A shape that
uses anything not listed in ``SUPPORTED`` raises ``UnsupportedShapeError`` and is validated by
pyshacl instead, never treated as valid. Link: https://www.w3.org/TR/shacl/#core-components
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
ANNOTATIONS = {SH.path, SH.severity, SH.message, SH.name, SH.description, RDFS.comment,
               RDFS.label, RDFS.seeAlso, SH.order, SH.group}
SUPPORTED = {SH.minCount, SH.maxCount, SH.datatype, SH.nodeKind, SH["class"], SH["in"],
             SH.hasValue, SH.pattern, SH.flags, SH.languageIn, SH.uniqueLang,
             SH.lessThanOrEquals, SH.minInclusive, SH.node, SH["or"],
             SH.qualifiedValueShape, SH.qualifiedMinCount}
# Datatypes whose lexical form SPARQL can check by casting; pyshacl rejects ill-formed ones.
CASTABLE = {XSD.date, XSD.dateTime, XSD.integer, XSD.decimal, XSD.double, XSD.boolean}
NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.Literal: "isLiteral({v})", SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
}


class UnsupportedShapeError(ValueError):
    """A shape uses SHACL features the compiler does not translate."""


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a query template and what its results mean."""

    node_shape: str
    target_class: str
    path: str
    severity: str
    component: str
    messages: tuple[tuple[str, str], ...]
    template: str
    has_value: bool
    # For checks on each value: the violation as a boolean expression on ?value, so that the
    # checks of one path can share one scan of the values.
    condition: str | None = None
    # For checks that count values: which values count (a condition on ?x) and the failing
    # test on the count, so that the counts of one path can share one scan too.
    counting: tuple[str, str] | None = None

    def sparql(self, target: str, graph: str = "") -> str:
        """The query with its focus-node pattern filled in; ``graph`` ("GRAPH <g>") limits the
        record's own triples to one graph, while what they point to is looked up everywhere."""
        return own_triples(self.template.replace("{TARGET}", target), graph)


OWN = re.compile(r"\{OWN\} \{ ([^{}]*) \}")


def own_triples(sparql: str, graph: str) -> str:
    """Put the record's own triple patterns in ``graph``, or leave them in the default graph
    without a group around them (a group keeps Oxigraph from joining them with what is bound).

    >>> own_triples("{OWN} { ?focus a ?t } x", "")
    '?focus a ?t . x'
    >>> own_triples("{OWN} { ?focus a ?t } x", "GRAPH <g>")
    'GRAPH <g> { ?focus a ?t } x'
    """
    replacement = rf"{graph} {{ \1 }}" if graph else r"\1 ."
    return OWN.sub(replacement, sparql)


@dataclass
class CompiledShapes:
    """Every check the fast path runs, and the node shapes left to pyshacl."""

    checks: list[Check] = field(default_factory=list)
    fallback: list[URIRef | BNode] = field(default_factory=list)
    target_classes: set[str] = field(default_factory=set)


def term(node: rdflib.term.Node) -> str:
    """A SPARQL term for an rdflib node (rdflib's own N-Triples escaping)."""
    if isinstance(node, URIRef | Literal):
        return node.n3()
    raise UnsupportedShapeError(f"cannot use {node!r} as a constant")


def compile_shapes(shapes: rdflib.Graph) -> CompiledShapes:
    """Compile every node shape with an ``sh:targetClass``; collect what cannot be compiled."""
    compiled = CompiledShapes()
    for shape in sorted(set(shapes.subjects(SH.targetClass, None)), key=str):
        try:
            checks = list(_node_shape(shapes, shape))
        except UnsupportedShapeError:
            compiled.fallback.append(cast(URIRef | BNode, shape))
            continue
        compiled.checks += checks
        compiled.target_classes |= {str(c) for c in shapes.objects(shape, SH.targetClass)}
    return compiled


def _node_shape(shapes: rdflib.Graph, shape: rdflib.term.Node) -> Iterator[Check]:
    for predicate in set(shapes.predicates(shape, None)):
        if predicate not in {RDF.type, SH.targetClass, SH.property, *ANNOTATIONS}:
            raise UnsupportedShapeError(f"{shape}: node-level {predicate} is not compiled")
    for target in shapes.objects(shape, SH.targetClass):
        for prop in shapes.objects(shape, SH.property):
            yield from _property_shape(shapes, shape, target, prop)


def _property_shape(shapes: rdflib.Graph, shape: rdflib.term.Node, target: rdflib.term.Node,
                    prop: rdflib.term.Node) -> Iterator[Check]:
    path = shapes.value(prop, SH.path)
    if not isinstance(path, URIRef):
        raise UnsupportedShapeError(f"{shape}: only predicate paths are compiled")
    for predicate in set(shapes.predicates(prop, None)):
        if predicate not in SUPPORTED | ANNOTATIONS | {RDF.type}:
            raise UnsupportedShapeError(f"{shape}: {predicate} is not compiled")
    severity = shapes.value(prop, SH.severity, default=SH.Violation)
    messages = tuple(sorted((getattr(m, "language", None) or "", str(m))
                            for m in shapes.objects(prop, SH.message)))
    p = term(path)

    def check(component: str, template: str, has_value: bool,
              condition: str | None = None, counting: tuple[str, str] | None = None) -> Check:
        return Check(node_shape=str(shape), target_class=str(target), path=str(path),
                     severity=str(severity).rsplit("#", 1)[1], component=component,
                     messages=messages, template=template, has_value=has_value,
                     condition=condition, counting=counting)

    def own(obj: str, predicate: str = p) -> str:
        return f"{{OWN}} {{ ?focus {predicate} {obj} }}"

    def per_value(component: str, condition: str) -> Check:
        template = (f"SELECT DISTINCT ?focus ?value WHERE {{ {{TARGET}} {own('?value')} "
                    f"FILTER({condition}) }}")
        return check(component, template, True, condition)

    def get(name: URIRef) -> Any:
        return shapes.value(prop, name)

    if (n := get(SH.minCount)) is not None:
        yield check("MinCountConstraintComponent",
                    f"SELECT ?focus WHERE {{ {{TARGET}} OPTIONAL {{ {own('?x')} }} }} "
                    f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?x) < {int(n)})", False,
                    counting=("true", f"< {int(n)}"))
    if (n := get(SH.maxCount)) is not None:
        yield check("MaxCountConstraintComponent",
                    f"SELECT ?focus WHERE {{ {{TARGET}} {own('?x')} }} "
                    f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?x) > {int(n)})", False,
                    counting=("true", f"> {int(n)}"))
    if (d := get(SH.datatype)) is not None:
        yield per_value("DatatypeConstraintComponent", f"!{_has_datatype(d, '?value')}")
    if (k := get(SH.nodeKind)) is not None:
        if k not in NODE_KINDS:
            raise UnsupportedShapeError(f"unknown node kind {k}")
        yield per_value("NodeKindConstraintComponent", "!" + NODE_KINDS[k].format(v="?value"))
    if (c := get(SH["class"])) is not None:
        yield per_value("ClassConstraintComponent", f"!{_is_instance('?value', c)}")
    if (members := get(SH["in"])) is not None:
        same = " || ".join(f"sameTerm(?value, {term(m)})"
                           for m in Collection(shapes, members)) or "false"
        yield per_value("InConstraintComponent", f"!({same})")
    if (v := get(SH.hasValue)) is not None:
        yield check("HasValueConstraintComponent",
                    f"SELECT ?focus WHERE {{ {{TARGET}} FILTER NOT EXISTS {{ {own(term(v))} }} }}",
                    False)
    if (pattern := get(SH.pattern)) is not None:
        flags = get(SH.flags)
        regex = f"REGEX(STR(?value), {Literal(str(pattern)).n3()}" + (
            f", {Literal(str(flags)).n3()})" if flags else ")")
        yield per_value("PatternConstraintComponent", f"isBlank(?value) || !{regex}")
    if (langs := get(SH.languageIn)) is not None:
        allowed = _in_languages("?value", Collection(shapes, langs))
        yield per_value("LanguageInConstraintComponent", f"!{allowed}")
    if get(SH.uniqueLang) == Literal(True):
        yield check("UniqueLangConstraintComponent",
                    f"SELECT DISTINCT ?focus WHERE {{ {{TARGET}} {own('?a')} {own('?b')} "
                    f"FILTER(isLiteral(?a) && LANG(?a) != '' && "
                    f"LCASE(LANG(?a)) = LCASE(LANG(?b)) && !sameTerm(?a, ?b)) }}", False)
    if (other := get(SH.lessThanOrEquals)) is not None:
        yield check("LessThanOrEqualsConstraintComponent",
                    f"SELECT DISTINCT ?focus ?value WHERE {{ {{TARGET}} {own('?value')} "
                    f"{own('?other', term(other))} "
                    f"FILTER(!COALESCE(?value <= ?other, false)) }}", True)
    if (minimum := get(SH.minInclusive)) is not None:
        yield per_value("MinInclusiveConstraintComponent",
                        f"!COALESCE(?value >= {term(minimum)}, false)")
    if (node := get(SH.node)) is not None:
        yield per_value("NodeConstraintComponent", f"!{_conforms(shapes, node, '?value')}")
    if (options := get(SH["or"])) is not None:
        alternatives = [_conforms(shapes, o, "?value") for o in Collection(shapes, options)]
        yield per_value("OrConstraintComponent", "!(" + " || ".join(alternatives) + ")")
    if (qualified := get(SH.qualifiedValueShape)) is not None:
        n = get(SH.qualifiedMinCount)
        if n is None:
            raise UnsupportedShapeError("only sh:qualifiedMinCount is compiled")
        conforms = _conforms(shapes, qualified, "?x")
        yield check("QualifiedMinCountConstraintComponent",
                    f"SELECT ?focus WHERE {{ {{TARGET}} OPTIONAL {{ {own('?x')} "
                    f"FILTER({conforms}) }} }} "
                    f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?x) < {int(n)})", False,
                    counting=(conforms, f"< {int(n)}"))


def _has_datatype(datatype: rdflib.term.Node, v: str) -> str:
    test = f"(isLiteral({v}) && sameTerm(DATATYPE({v}), {term(datatype)})"
    if datatype in CASTABLE:
        # An ill-formed literal keeps its datatype but does not cast.
        test += f" && COALESCE(isLiteral({term(datatype)}(STR({v}))), false)"
    return test + ")"


CLOSURE = re.compile(r"@CLOSURE (<[^>]+>)@")
# How many links from a record the compiled checks follow: a record's own triples are read in
# its graph, and ``sh:class``, ``_conforms`` and ``_property_holds`` read a value's own triples
# (its types, its properties) and nothing beyond. A store that checks a source against a copy
# of the reference data copies this far (``GraphStore.replace_graph``'s ``reach``); a new
# construct that looks further must raise it.
REACH = 1


def _is_instance(v: str, cls: rdflib.term.Node) -> str:
    # The class and its subclasses are filled in per run (``with_closures``): a VALUES list
    # is much cheaper for Oxigraph than the property path a/rdfs:subClassOf* on every value.
    return f"EXISTS {{ VALUES ?class_of_value {{ @CLOSURE {term(cls)}@ }} {v} a ?class_of_value }}"


def classes_named(sparql: str) -> set[str]:
    """The classes (N-Triples IRIs) whose closure a query needs.

    >>> sorted(classes_named("x @CLOSURE <urn:C>@ y"))
    ['<urn:C>']
    """
    return set(CLOSURE.findall(sparql))


def with_closures(sparql: str, closures: dict[str, list[str]]) -> str:
    """Put each class's closure (itself and its subclasses) where the query names it.

    >>> with_closures("VALUES ?c { @CLOSURE <urn:C>@ }", {"<urn:C>": ["<urn:C>", "<urn:D>"]})
    'VALUES ?c { <urn:C> <urn:D> }'
    """
    return CLOSURE.sub(lambda m: " ".join(closures[m.group(1)]), sparql)


def _in_languages(v: str, langs: Collection) -> str:
    tests = " || ".join(f"langMatches(LANG({v}), {Literal(str(lang)).n3()})" for lang in langs)
    return f"(isLiteral({v}) && ({tests or 'false'}))"


def _conforms(shapes: rdflib.Graph, shape: rdflib.term.Node, v: str) -> str:
    """A boolean SPARQL expression: whether ``v`` conforms to the (small) shape ``shape``."""
    tests = []
    for predicate, obj in shapes.predicate_objects(shape):
        if predicate in ANNOTATIONS or predicate == RDF.type:
            continue
        if predicate == SH.datatype:
            tests.append(_has_datatype(obj, v))
        elif predicate == SH.nodeKind and obj in NODE_KINDS:
            tests.append(NODE_KINDS[cast(URIRef, obj)].format(v=v))
        elif predicate == SH["class"]:
            tests.append(_is_instance(v, obj))
        elif predicate == SH.languageIn:
            tests.append(_in_languages(v, Collection(shapes, obj)))
        elif predicate == SH.property:
            tests.append(_property_holds(shapes, obj, v))
        else:
            raise UnsupportedShapeError(f"{predicate} inside sh:node/sh:or is not compiled")
    return "(" + (" && ".join(tests) or "true") + ")"


def _property_holds(shapes: rdflib.Graph, prop: rdflib.term.Node, v: str) -> str:
    path = shapes.value(prop, SH.path)
    if not isinstance(path, URIRef):
        raise UnsupportedShapeError("only predicate paths are compiled inside sh:node")
    tests = []
    for predicate, obj in shapes.predicate_objects(prop):
        if predicate in ANNOTATIONS or predicate == RDF.type:
            continue
        if predicate == SH.hasValue:
            tests.append(f"EXISTS {{ {v} {term(path)} {term(obj)} }}")
        elif predicate == SH.minCount and str(obj) == "1":
            tests.append(f"EXISTS {{ {v} {term(path)} ?any }}")
        else:
            raise UnsupportedShapeError(f"{predicate} inside sh:node is not compiled")
    return "(" + (" && ".join(tests) or "true") + ")"
