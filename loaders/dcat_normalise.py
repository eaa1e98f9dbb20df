"""What a harvested DCAT document is made to say before the gate sees it, as CKAN's DCAT
harvester does: the source's records and IRIs are kept, but the values a portal writes in its
own way are read as the profile's. Empty literals (``<dct:license/>``) are dropped; formats,
media types and licences written as text, relative IRIs or another register's IRIs become the
vocabulary's concepts; untagged text takes the source's language; descriptions of concepts
and concept schemes (of the EU tables or EuroVoc, which we hold or do not curate) are left
out while the references to them stay; and a record whose publisher is not an organisation of
the registry is published by the source's organisation, its own agent kept as creator."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.namespaces import DCAT, DCT, RDF, SKOS, XSD, org_iri
from loaders.vocabulary_match import ConceptMatcher, file_types, licences

TEXT = {DCT.title, DCT.description, DCAT.keyword, SKOS.prefLabel,
        NamedNode("http://xmlns.com/foaf/0.1/name"),
        NamedNode("http://www.w3.org/2006/vcard/ns#fn")}
RECORDS = {DCAT.Catalog, DCAT.Dataset, DCAT.Distribution, DCAT.DataService}
CONCEPTS = {SKOS.Concept, SKOS.ConceptScheme}


def _matchers() -> dict[NamedNode, ConceptMatcher]:
    return {DCT.format: file_types(), DCAT.mediaType: file_types(), DCT.license: licences()}


def _concept(matcher: ConceptMatcher, value: NamedNode | Literal) -> NamedNode | None:
    text = value.value
    found = matcher.match(text)
    if found is None and isinstance(value, NamedNode):
        # A relative "CSV" resolved against the page, or a register's IRI ending in its code.
        found = matcher.match(text.rstrip("/").rsplit("/", 1)[-1])
    return found


def context(publisher: NamedNode, language: str) -> bytes:
    """What ``normalise`` reads a record with besides the record itself: the organisation,
    the language, and its own rules and vocabularies. A harvested record's digest covers it
    (``loaders.harvested_records``), so a change of any of them reads every record anew."""
    return b"\n".join((publisher.value.encode(), language.encode(), _rules()))


@lru_cache(maxsize=1)
def _rules() -> bytes:
    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=16)
    for predicate, matcher in sorted(_matchers().items(), key=lambda item: item[0].value):
        digest.update(predicate.value.encode())
        digest.update(repr(sorted((k, v.value) for k, v in matcher.by_key.items())).encode())
    return digest.hexdigest().encode()


def normalise(triples: list[Triple], publisher: NamedNode, language: str) -> list[Triple]:
    """``triples`` as the profile reads them (see the module's description). Each record
    is read from its own triples only: the triples of some records come out as they would
    among all the others."""
    typed: dict[NamedNode | BlankNode, set[NamedNode]] = {}
    rdf_type = RDF.type
    for triple in triples:
        if triple.predicate == rdf_type and isinstance(triple.object, NamedNode) and \
                isinstance(triple.subject, (NamedNode, BlankNode)):
            typed.setdefault(triple.subject, set()).add(triple.object)
    records = {s for s, types in typed.items() if types & RECORDS}
    concepts = {s for s, types in typed.items() if types & CONCEPTS and not types & RECORDS}
    members = org_iri("").value
    matchers = _matchers()
    # Namespace attributes are looked up on every access: once here, not per triple.
    string, publisher_p, creator = XSD.string, DCT.publisher, DCT.creator
    out: list[Triple] = []
    for triple in triples:
        subject, predicate, value = triple.subject, triple.predicate, triple.object
        if concepts and subject in concepts:
            continue
        if isinstance(value, Literal):
            text = value.value
            if not text or text.isspace():
                continue
            if predicate in TEXT and value.language is None and value.datatype == string:
                triple = Triple(subject, predicate, Literal(text, language=language))
        matcher = matchers.get(predicate)
        if matcher is not None and isinstance(value, (NamedNode, Literal)):
            found = _concept(matcher, value)
            if found is not None and found != value:
                triple = Triple(subject, predicate, found)
        elif predicate == publisher_p and subject in records and \
                not (isinstance(value, NamedNode) and value.value.startswith(members)):
            triple = Triple(subject, creator, value)
        # Most triples pass unchanged: the same object, not a copy.
        out.append(triple)
    published = {t.subject for t in out if t.predicate == publisher_p}
    out += [Triple(record, DCT.publisher, publisher) for record in records
            if record not in published and DCAT.Distribution not in typed[record]]
    return out
