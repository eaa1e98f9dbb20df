"""The profiles a resource document can be written in (W3C Content Negotiation by Profile),
all defined here: a token for ``?_profile=``, the IRI of ``Accept-Profile`` and
``Content-Profile``, the classes of resources it applies to, the formats it comes in, and what
makes it (a CONSTRUCT in ``graph/sparql/``, with the DCAT-AP rewriting where the profile
needs it).

A deployer adds one by appending a ``Profile`` to ``PROFILES`` with the name of a CONSTRUCT
query that takes ``?resource`` (or by pointing ``KG_PROFILES_DIR`` at a folder of such
``.rq`` files whose header names token, IRI, title and classes; see ``load_profiles``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode, QueryTriples, Triple

from graph.dcat_ap import as_dcat_ap
from graph.namespaces import DCAT, KG, PREFIXES, RDF, SKOS
from graph.queries import load_query
from graph.store import GraphStore

Maker = Callable[[GraphStore, NamedNode], list[Triple]]
RDF_FORMATS = ("ttl", "jsonld", "rdfxml", "nt")


@dataclass(frozen=True)
class Profile:
    token: str
    iri: str
    title: str
    classes: tuple[NamedNode, ...]    # empty: every resource
    formats: tuple[str, ...]
    make: Maker
    # JSON-LD written compact against this context (schema.org consumers read
    # "@type": "Dataset", not rdf:type as a property); None: the store's expanded form.
    context: dict[str, str] | None = None

    def applies_to(self, types: set[NamedNode]) -> bool:
        return not self.classes or bool(types & set(self.classes))


def construct(store: GraphStore, text: str, resource: NamedNode) -> list[Triple]:
    result = store.query(text, bindings={"resource": resource})
    return list(dict.fromkeys(result)) if isinstance(result, QueryTriples) else []


def describe(store: GraphStore, resource: NamedNode) -> list[Triple]:
    """Concise bounded description (DESCRIBE) plus the labels of linked resources."""
    found = construct(store, "DESCRIBE ?resource", resource)
    return list(dict.fromkeys(found + construct(store, load_query("resource_labels"),
                                                 resource)))


def _named(name: str) -> Maker:
    return lambda store, resource: construct(store, load_query(name), resource)



def _dcat_ap(store: GraphStore, resource: NamedNode) -> list[Triple]:
    """The resource with its distributions (or a catalogue with its services), in DCAT-AP.

    A catalogue comes without its list of datasets: each would have to be described in
    full (DCAT-AP gives a dcat:Dataset a mandatory title and description), and /catalog
    pages through them that way."""
    found = [t for t in describe(store, resource)
             if not (t.subject == resource and t.predicate == DCAT.dataset)]
    linked = {t.object for t in found if t.subject == resource and t.predicate in (
        DCAT.distribution, DCAT.service) and isinstance(t.object, NamedNode)}
    for part in sorted(linked, key=lambda n: n.value):
        found += construct(store, "DESCRIBE ?resource", part)
    return as_dcat_ap(store, list(dict.fromkeys(found)))


NATIVE = Profile("native", "https://data.vusta.vn/def/profile/native",
                 "The service's own profile: everything the graph says (VUSTA KG)", (),
                 ("html", *RDF_FORMATS), describe)
PROFILES: list[Profile] = [
    NATIVE,
    Profile("dcat-ap", "https://semiceu.github.io/DCAT-AP/releases/3.0.1/",
            "DCAT-AP 3.0.1", (DCAT.Dataset, DCAT.Catalog, DCAT.DataService), RDF_FORMATS,
            _dcat_ap),
    Profile("schema-org", "https://schema.org/",
            "schema.org Dataset (as Google Dataset Search reads it)",
            (DCAT.Dataset, DCAT.Catalog), ("jsonld", "ttl", "rdfxml", "nt"),
            _named("profile_schema_org"), {"@vocab": "https://schema.org/"}),
    Profile("skos", "http://www.w3.org/2004/02/skos/core",
            "SKOS: labels, notation, hierarchy and mappings",
            (SKOS.Concept, KG.AdministrativeUnit), RDF_FORMATS, _named("profile_skos")),
]


def find(asked: str) -> Profile | None:
    """A profile by token or IRI."""
    return next((p for p in PROFILES if asked in (p.token, p.iri)), None)


def offered(types: set[NamedNode]) -> list[Profile]:
    """The profiles a resource of these classes can be written in, the native one first."""
    return [p for p in PROFILES if p.applies_to(types)]


def load_profiles(folder: Path) -> list[Profile]:
    """Profiles a deployer defines as ``.rq`` CONSTRUCT files (binding ``?resource``) whose
    first lines say ``# token:``, ``# iri:``, ``# title:`` and ``# classes:`` (prefixed names
    or IRIs, space-separated; none: every resource); added to ``PROFILES``."""
    added = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = _header(text)
        missing = [k for k in ("token", "iri", "title") if k not in header]
        if missing:
            raise ValueError(f"{path}: the header lacks {', '.join(missing)}")
        classes = tuple(_expand(c) for c in header.get("classes", "").split())
        profile = Profile(header["token"], header["iri"], header["title"], classes,
                          RDF_FORMATS, _constructing(text))
        PROFILES[:] = [p for p in PROFILES if p.token != profile.token] + [profile]
        added.append(profile)
    return added


def _constructing(text: str) -> Maker:
    return lambda store, resource: construct(store, text, resource)


def _header(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        if value:
            found[key.strip().lower()] = value.strip()
    return found


def _expand(name: str) -> NamedNode:
    if name.startswith("<") and name.endswith(">"):
        return NamedNode(name[1:-1])
    prefix, _, local = name.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        return NamedNode(PREFIXES[prefix] + local)
    return NamedNode(name)


def classes_of(triples: Sequence[Triple], resource: NamedNode) -> set[NamedNode]:
    return {t.object for t in triples if t.subject == resource and
            t.predicate == RDF.type
            and isinstance(t.object, NamedNode)}


def compact_json_ld(triples: Sequence[Triple], context: dict[str, str]) -> bytes:
    """``triples`` as JSON-LD compacted against ``context`` (rdflib's serializer: pyoxigraph
    writes only the expanded form)."""
    import rdflib

    from graph.results import stream_triples

    graph = rdflib.Graph().parse(data=b"".join(stream_triples(list(triples), "nt")),
                                 format="nt")
    return graph.serialize(format="json-ld", context=context, auto_compact=True,
                           encoding="utf-8")
