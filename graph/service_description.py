"""The SPARQL 1.1 Service Description of the endpoint, as triples.

Link: https://www.w3.org/TR/sparql11-service-description/
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.namespaces import FORMATS, RDF, SD, VOID, XSD
from graph.store import GraphInfo

RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


def service_description(endpoint: str, update_endpoint: str, graphs: list[GraphInfo]
                        ) -> list[Triple]:
    """What the endpoint speaks and the dataset it queries: the union of the source graphs.

    >>> triples = service_description("http://x/sparql", "http://x/sparql/update", [])
    >>> any(t.object == SD.UnionDefaultGraph for t in triples)
    True
    """
    service = NamedNode(endpoint)
    dataset, default = BlankNode(), BlankNode()
    out = [
        Triple(service, RDF.type, SD.Service),
        Triple(service, SD.endpoint, service),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Query),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Update),
        Triple(service, SD.feature, SD.UnionDefaultGraph),
        Triple(service, SD.feature, SD.BasicFederatedQuery),
        Triple(service, SD.defaultDataset, dataset),
        Triple(dataset, RDF.type, SD.Dataset),
        Triple(dataset, SD.defaultGraph, default),
        Triple(default, RDF.type, SD.Graph),
        Triple(default, VOID.triples, Literal(str(sum(g.triples for g in graphs)),
                                              datatype=XSD.integer)),
    ]
    out += [Triple(service, SD.resultFormat, FORMATS[name]) for name in RESULT_FORMATS]
    if update_endpoint != endpoint:
        out.append(Triple(service, SD.endpoint, NamedNode(update_endpoint)))
    for info in graphs:
        named, graph = BlankNode(), BlankNode()
        out += [Triple(dataset, SD.namedGraph, named), Triple(named, SD.name, info.name),
                Triple(named, SD.graph, graph), Triple(graph, RDF.type, SD.Graph),
                Triple(graph, VOID.triples, Literal(str(info.triples), datatype=XSD.integer))]
    return out
