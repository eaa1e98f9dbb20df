"""The shipped vocabularies: parse, carry an ontology header, label everything in vi and en."""

from __future__ import annotations

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from graph.resources import ontology, ontology_names

DEFINED = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, SKOS.Concept)


def parsed(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ontology(name), format="turtle")


def test_all_expected_vocabularies_ship() -> None:
    assert set(ontology_names()) >= {"kg", "themes", "fields-of-science", "licences",
                                     "file-types", "organisation-kinds", "admin-unit-levels"}


@pytest.mark.parametrize("name", ontology_names())
def test_each_file_has_an_ontology_header_with_version_and_licence(name: str) -> None:
    graph = parsed(name)
    headers = list(graph.subjects(RDF.type, OWL.Ontology))
    assert len(headers) == 1
    assert graph.value(headers[0], OWL.versionInfo) is not None
    assert graph.value(headers[0], DCTERMS.license) is not None


@pytest.mark.parametrize("name", ontology_names())
def test_every_term_has_vi_and_en_labels_and_a_definition(name: str) -> None:
    graph = parsed(name)
    terms = {s for kind in DEFINED for s in graph.subjects(RDF.type, kind)}
    assert terms, f"{name} defines nothing"
    for term in terms:
        labels = [*graph.objects(term, RDFS.label), *graph.objects(term, SKOS.prefLabel)]
        langs = {label.language for label in labels}
        assert {"vi", "en"} <= langs, f"{term} lacks a vi or en label"
        definitions = [*graph.objects(term, SKOS.definition), *graph.objects(term, RDFS.comment)]
        assert {d.language for d in definitions} >= {"vi", "en"}, f"{term} lacks a definition"


def test_themes_and_fields_of_science_are_complete() -> None:
    themes = parsed("themes")
    assert len(set(themes.subjects(RDF.type, SKOS.Concept))) == 13
    fos = parsed("fields-of-science")
    concepts = set(fos.subjects(RDF.type, SKOS.Concept))
    top = {c for c in concepts if (c, SKOS.broader, None) not in fos}
    assert (len(top), len(concepts) - len(top)) == (6, 42)
