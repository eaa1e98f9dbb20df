"""Free text from other portals (a CKAN licence id, a resource format, a group name) matched to
the concepts of the shipped vocabularies: by notation, label (either language, folded: case
and diacritics do not matter), the IRI of an equivalent (``skos:exactMatch``), or a known
alias."""

from __future__ import annotations

from functools import lru_cache

from pyoxigraph import Literal, NamedNode

from graph.namespaces import SKOS
from graph.text import fold
from loaders.vocabularies import vocabulary_triples

# CKAN's default licence register (ckan/ckan, ckan/model/license.py) and common spellings,
# folded, to the EU licence authority table's notations.
LICENCE_ALIASES = {
    "cc-zero": "CC0", "cc0": "CC0", "cc0-1.0": "CC0", "odc-pddl": "ODC_PDDL",
    "cc-by": "CC_BY_4_0", "cc-by-4.0": "CC_BY_4_0", "cc by": "CC_BY_4_0",
    "cc-by-sa": "CC_BYSA_4_0", "cc-by-sa-4.0": "CC_BYSA_4_0",
    "cc-nc": "CC_BYNC_4_0", "cc-by-nc": "CC_BYNC_4_0", "cc-by-nc-4.0": "CC_BYNC_4_0",
    "odc-by": "ODC_BY", "odc-odbl": "ODC_ODBL", "odbl": "ODC_ODBL",
}
FORMAT_ALIASES = {"xls": "XLSX", "excel": "XLSX", "geo+json": "GEOJSON", "shapefile": "SHP",
                  "esri shapefile": "SHP", "turtle": "RDF_TURTLE", "ttl": "RDF_TURTLE",
                  "rdf": "RDF_XML", "rdf/xml": "RDF_XML", "json-ld": "JSON_LD",
                  "jsonld": "JSON_LD", "n-triples": "RDF_N_TRIPLES", "nt": "RDF_N_TRIPLES",
                  "text/csv": "CSV", "application/json": "JSON", "application/pdf": "PDF",
                  "htm": "HTML", "sparql": "SPARQLQ"}


class ConceptMatcher:
    """The concepts of one shipped vocabulary, by every name they go by."""

    def __init__(self, vocabulary: str, aliases: dict[str, str] | None = None) -> None:
        self.by_key: dict[str, NamedNode] = {}
        notations: dict[str, NamedNode] = {}
        for triple in vocabulary_triples(vocabulary):
            subject = triple.subject
            if not isinstance(subject, NamedNode):
                continue
            value = triple.object
            self._add(subject.value, subject)   # a source that already writes our IRI
            if triple.predicate == SKOS.notation and isinstance(value, Literal):
                notations[value.value] = subject
                self._add(value.value, subject)
            elif triple.predicate in (SKOS.prefLabel, SKOS.altLabel) and \
                    isinstance(value, Literal):
                self._add(value.value, subject)
            elif triple.predicate == SKOS.exactMatch and isinstance(value, NamedNode):
                self._add(value.value.rstrip("/"), subject)
        for alias, notation in (aliases or {}).items():
            if notation in notations:
                self.by_key.setdefault(fold(alias), notations[notation])

    def _add(self, text: str, concept: NamedNode) -> None:
        self.by_key.setdefault(fold(text), concept)

    def match(self, text: str | None) -> NamedNode | None:
        """The concept ``text`` names, or None (also for empty text)."""
        if not text or not text.strip():
            return None
        cleaned = text.strip().rstrip("/")
        found = self.by_key.get(fold(cleaned))
        if found is None and cleaned.startswith("http"):
            found = self.by_key.get(fold(cleaned.replace("https://", "http://"))) or \
                self.by_key.get(fold(cleaned.replace("http://", "https://")))
        return found


@lru_cache(maxsize=1)
def licences() -> ConceptMatcher:
    return ConceptMatcher("licences", LICENCE_ALIASES)


@lru_cache(maxsize=1)
def file_types() -> ConceptMatcher:
    return ConceptMatcher("file-types", FORMAT_ALIASES)


@lru_cache(maxsize=1)
def themes() -> ConceptMatcher:
    return ConceptMatcher("themes")
