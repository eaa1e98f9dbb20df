"""Every IRI the code mints or reads comes from here.

The service publishes production IRIs under ``BASE`` whatever host serves them; the web layer
maps requests to them. Patterns (documented in the README):

- ``{BASE}def/kg#Term``                 ontology terms of the application profile
- ``{BASE}id/scheme/{name}``            concept schemes; concepts ``{BASE}id/concept/{name}/{code}``
- ``{BASE}id/unit/{edition}/{level}/{gso-code}``   administrative units (edition 2025 | pre-2025)
- ``{BASE}id/org/{id}``, ``{BASE}id/org/{id}/address``   organisations and their addresses
- ``{BASE}id/catalog/{id}``, ``id/dataset/{id}``, ``id/distribution/{id}``, ``id/service/{id}``
- ``{BASE}graph/{source}``              the named graph of one source
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from pyoxigraph import NamedNode

BASE = "https://data.vusta.vn/"


class Namespace:
    """A namespace whose attributes and items are ``NamedNode`` terms.

    >>> Namespace("http://example.org/ns#").Thing
    <NamedNode value=http://example.org/ns#Thing>
    """

    def __init__(self, iri: str) -> None:
        self.iri = iri

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        return NamedNode(self.iri + name)

    def __getitem__(self, name: str) -> NamedNode:
        return NamedNode(self.iri + name)

    def __str__(self) -> str:
        return self.iri


RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
ORG = Namespace("http://www.w3.org/ns/org#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
PROV = Namespace("http://www.w3.org/ns/prov#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

KG = Namespace(BASE + "def/kg#")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
FOS = Namespace(BASE + "id/concept/fos/")
ORG_KIND = Namespace(BASE + "id/concept/org-kind/")
UNIT_LEVEL = Namespace(BASE + "id/concept/unit-level/")
UNIT_KIND = Namespace(BASE + "id/concept/unit-kind/")

PREFIXES: dict[str, str] = {
    "rdf": RDF.iri, "rdfs": RDFS.iri, "owl": OWL.iri, "xsd": XSD.iri, "skos": SKOS.iri,
    "dct": DCT.iri, "dcat": DCAT.iri, "foaf": FOAF.iri, "org": ORG.iri, "locn": LOCN.iri,
    "geo": GEO.iri, "prov": PROV.iri, "vcard": VCARD.iri, "adms": ADMS.iri,
    "schema": SCHEMA.iri, "sh": SH.iri, "dqv": DQV.iri, "kg": KG.iri, "sd": SD.iri,
    "void": VOID.iri, "hydra": HYDRA.iri,
}

UNIT_EDITIONS = ("2025", "pre-2025")


def prologue(prefixes: Mapping[str, str] | None = None) -> str:
    r"""PREFIX declarations for SPARQL text that cannot take a prefix map (updates, HTTP).

    >>> prologue({"ex": "http://example.org/"})
    'PREFIX ex: <http://example.org/>\n'
    """
    if prefixes is None:
        return _default_prologue()
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())


@cache
def _default_prologue() -> str:
    # Every query sent to a SPARQL server starts with it: written once.
    return prologue(PREFIXES)


def graph_iri(source_id: str) -> NamedNode:
    """The named graph that holds one source.

    >>> graph_iri("admin-units").value
    'https://data.vusta.vn/graph/admin-units'
    """
    return NamedNode(f"{BASE}graph/{source_id}")


def scheme_iri(name: str) -> NamedNode:
    """A concept scheme of the service.

    >>> scheme_iri("admin-units-2025").value
    'https://data.vusta.vn/id/scheme/admin-units-2025'
    """
    return NamedNode(f"{BASE}id/scheme/{name}")


def unit_iri(edition: str, level: str, code: str) -> NamedNode:
    """An administrative unit; the edition keeps reused GSO codes apart.

    >>> unit_iri("pre-2025", "commune", "00004").value
    'https://data.vusta.vn/id/unit/pre-2025/commune/00004'
    """
    if edition not in UNIT_EDITIONS:
        raise ValueError(f"unknown edition {edition!r}")
    return NamedNode(f"{BASE}id/unit/{edition}/{level}/{code}")


def org_iri(identifier: str) -> NamedNode:
    """An organisation of the registry.

    >>> org_iri("vusta").value
    'https://data.vusta.vn/id/org/vusta'
    """
    return NamedNode(f"{BASE}id/org/{identifier}")


def resource_iri(kind: str, identifier: str) -> NamedNode:
    """A catalogue resource: ``kind`` is catalog, dataset, distribution or service.

    >>> resource_iri("dataset", "ds-00001").value
    'https://data.vusta.vn/id/dataset/ds-00001'
    """
    return NamedNode(f"{BASE}id/{kind}/{identifier}")
