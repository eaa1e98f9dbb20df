"""Member organisations' own catalogues: where they are kept, what others see of them, and
what an organisation's publishers may change.

An organisation that publishes through the service has a catalogue graph,
``/graph/catalog/{org}``: everything its publishers wrote, drafts and the addresses of
non-public distributions included. Only the organisation's tokens and admins read it. After
every write the service derives two graphs from it: ``/graph/published/{org}``, what everybody
sees (no drafts; the URLs of non-public distributions withheld), ``/graph/withheld/{org}``,
those URLs, for read tokens, and ``/graph/on-request/{org}``, what stands in for them for
everybody else (the dataset's page as the access URL). Writes of the derived graphs are the
service's own.

A dataset is a draft while it says ``kg:draft true``. A distribution is non-public when its
access rights (EU access-right table), or else its dataset's, are ``RESTRICTED`` or
``NON_PUBLIC``: its access URL is then the dataset's own page and its download URL is left out.

The catalogue graph and the withheld URLs live in the private store (``graph.private_store``),
the derived public graphs in the store everybody reads: every reader (SPARQL, dumps, the
catalogue, search, OAI-PMH) reads that store, so a draft cannot leak through a query nobody
thought of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from graph.change_log import AUDIT, CHANGES
from graph.meta_updates import META, STAGING_PREFIX
from graph.namespaces import BASE, DCAT, DCT, KG, ORG, RDF, Namespace, graph_iri
from graph.private_store import private_store
from graph.store import GraphStore, solutions

CATALOG_PREFIX = f"{BASE}graph/catalog/"
PUBLISHED_PREFIX = f"{BASE}graph/published/"
WITHHELD_PREFIX = f"{BASE}graph/withheld/"
ON_REQUEST_PREFIX = f"{BASE}graph/on-request/"
ORG_PREFIX = f"{BASE}id/org/"
DATASET_PREFIX = f"{BASE}id/dataset/"
ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
NOT_PUBLIC = frozenset({ACCESS.RESTRICTED, ACCESS.NON_PUBLIC})
# What a publisher may write, and what owns the rest of a record.
OWNED_TYPES = frozenset({DCAT.Dataset, DCAT.DataService, DCAT.DatasetSeries})
WITHHELD_PROPERTIES = frozenset({DCAT.accessURL, DCAT.downloadURL})
TRUE = Literal("true", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


def catalog_graph(org: str) -> NamedNode:
    """The catalogue graph of the organisation ``org`` (its id in the registry).

    >>> catalog_graph("hoi-tin-hoc").value
    'https://data.vusta.vn/graph/catalog/hoi-tin-hoc'
    """
    if not org or "/" in org:
        raise ValueError(f"{org!r} is not an organisation id")
    return graph_iri(f"catalog/{org}")


def org_of(graph: NamedNode) -> str | None:
    """The organisation whose catalogue graph (or derived graph) this is."""
    for prefix in (CATALOG_PREFIX, PUBLISHED_PREFIX, WITHHELD_PREFIX, ON_REQUEST_PREFIX):
        if graph.value.startswith(prefix):
            return graph.value[len(prefix):] or None
    return None


def is_catalog(graph: NamedNode) -> bool:
    return graph.value.startswith(CATALOG_PREFIX) and org_of(graph) is not None


def derived_graphs(org: str) -> tuple[NamedNode, NamedNode, NamedNode]:
    """The published, the withheld and the on-request graph of ``org``'s catalogue: what
    everybody sees, the withheld URLs, and what stands in for them for everybody else."""
    return (graph_iri(f"published/{org}"), graph_iri(f"withheld/{org}"),
            graph_iri(f"on-request/{org}"))


def is_private(graph: NamedNode) -> bool:
    """Whether only some tokens may read ``graph``."""
    return graph.value.startswith((CATALOG_PREFIX, WITHHELD_PREFIX)) or graph == AUDIT


def home_of(store: GraphStore, graph: NamedNode) -> GraphStore:
    """The store that holds ``graph``: the private store for a private graph."""
    return private_store(store) if is_private(graph) else store


def holds(store: GraphStore, graph: NamedNode) -> bool:
    """Whether ``graph`` exists, in the store that would hold it."""
    return graph in {info.name for info in home_of(store, graph).graphs()}


def kept_by_service(graph: NamedNode) -> bool:
    """Graphs no request writes: the store's own, the change record, the derived graphs."""
    return (graph in (META, CHANGES, AUDIT) or graph.value.startswith(STAGING_PREFIX)
            or graph.value.startswith((PUBLISHED_PREFIX, WITHHELD_PREFIX, ON_REQUEST_PREFIX)))


def readable_private(scopes: Sequence[str], graphs: Iterable[NamedNode]) -> list[NamedNode]:
    """The private graphs among ``graphs`` that a holder of ``scopes`` may read: all for an
    admin; the withheld URLs for ``read``; an organisation's own catalogue (drafts
    included) for its publishers."""
    orgs = publisher_orgs(scopes)
    found = []
    for graph in graphs:
        if not is_private(graph):
            continue
        if ("admin" in scopes or ("read" in scopes and graph.value.startswith(WITHHELD_PREFIX))
                or (org_of(graph) in orgs and graph != AUDIT)):
            found.append(graph)
    return found


def publisher_orgs(scopes: Sequence[str]) -> list[str]:
    return [s.split(":", 1)[1] for s in scopes if s.startswith("publisher:")]


# -- what the public sees -----------------------------------------------------------------------

def public_parts(triples: Sequence[Triple]) -> tuple[list[Triple], list[Triple], list[Triple]]:
    """The catalogue graph ``triples`` split into what everybody sees, the URLs only read
    tokens see, and what stands in for those URLs for everybody else; drafts and what only
    drafts hold are in none."""
    out: dict[object, list[Triple]] = defaultdict(list)
    for triple in triples:
        out[triple.subject].append(triple)
    drafts: set[Any] = {t.subject for t in triples
                        if t.predicate == KG.draft and t.object == TRUE}
    published_datasets = {t.subject for t in triples if t.predicate == RDF.type
                          and t.object in OWNED_TYPES and t.subject not in drafts}
    linked = {t.object for t in triples}
    # Besides the datasets, what nothing links to stands on its own (a catalogue).
    kept = _reachable(published_datasets | {s for s in out if s not in linked}, out, drafts)
    rights: dict[Any, Any] = {t.subject: t.object for t in triples
                              if t.predicate == DCT.accessRights}
    closed: dict[Any, Any] = {}
    for dataset in published_datasets:
        for link in out[dataset]:
            if link.predicate != DCAT.distribution:
                continue
            own = rights.get(link.object)
            if own in NOT_PUBLIC or (own is None and rights.get(dataset) in NOT_PUBLIC):
                closed[link.object] = dataset
    public: list[Triple] = []
    withheld: list[Triple] = []
    for subject in kept:
        for triple in out[subject]:
            if triple.predicate == KG.draft or triple.object in drafts:
                continue
            if subject in closed and triple.predicate in WITHHELD_PROPERTIES:
                withheld.append(triple)
                continue
            public.append(triple)
    # The access URL is mandatory: the dataset's page, where its contact point is, stands in.
    on_request = [Triple(distribution, DCAT.accessURL, dataset)
                  for distribution, dataset in closed.items() if distribution in out]
    return public, withheld, on_request


def _reachable(starts: set[object], out: dict[object, list[Triple]], drafts: set[object]
               ) -> list[object]:
    """Every subject ``starts`` reach through their links, without entering a draft."""
    seen: dict[object, None] = {}
    todo = [s for s in starts if s not in drafts]
    while todo:
        subject = todo.pop()
        if subject in seen:
            continue
        seen[subject] = None
        todo += [t.object for t in out.get(subject, []) if t.object in out
                 and t.object not in drafts and t.object not in seen]
    return list(seen)


def catalogue_record(org: str, names: dict[str, str], public: Sequence[Triple]
                     ) -> list[Triple]:
    """The organisation's catalogue (``/id/catalog/{org}``) listing its published datasets,
    for harvesters that read datasets through catalogues (DCAT-AP); none when the published
    graph has a catalogue of its own or no dataset. ``names``: the organisation's name by
    language."""
    if any(t.predicate == RDF.type and t.object == DCAT.Catalog for t in public):
        return []
    datasets = sorted({t.subject for t in public if t.predicate == RDF.type
                       and t.object in OWNED_TYPES and isinstance(t.subject, NamedNode)},
                      key=str)
    if not datasets:
        return []
    catalogue = NamedNode(f"{BASE}id/catalog/{org}")
    vi, en = names.get("vi") or org, names.get("en") or names.get("vi") or org
    return [
        Triple(catalogue, RDF.type, DCAT.Catalog),
        Triple(catalogue, DCT.title, Literal(f"Danh mục dữ liệu của {vi}", language="vi")),
        Triple(catalogue, DCT.title, Literal(f"Data catalogue of {en}", language="en")),
        Triple(catalogue, DCT.description, Literal(
            f"Các tập dữ liệu do {vi} công bố trên cổng dữ liệu.", language="vi")),
        Triple(catalogue, DCT.description, Literal(
            f"The datasets {en} publishes on the data portal.", language="en")),
        Triple(catalogue, DCT.publisher, NamedNode(ORG_PREFIX + org)),
        *(Triple(catalogue, DCAT.dataset, dataset) for dataset in datasets),
    ]


# -- what a publisher may change ----------------------------------------------------------------

@dataclass(frozen=True)
class OutOfScope:
    """A record a write would change that the token may not change, and why."""

    record: str
    why: str

    def __str__(self) -> str:
        return f"{self.record}: {self.why}"


class Scope:
    """What the holder of publisher scopes may write: datasets, distributions and data
    services of their organisations (or sub-organisations), in those organisations'
    catalogue graphs."""

    def __init__(self, orgs: Sequence[str]) -> None:
        self.orgs = tuple(orgs)

    def graphs(self) -> list[NamedNode]:
        return [catalog_graph(org) for org in self.orgs]

    def check(self, store: GraphStore, graph: NamedNode, before: Sequence[Triple],
              after: Sequence[Triple]) -> list[OutOfScope]:
        """What writing ``after`` in place of ``before`` into ``graph`` would change out of
        this scope (nothing: the write may go ahead)."""
        org = org_of(graph) if is_catalog(graph) else None
        if org not in self.orgs:
            mine = ", ".join(g.value for g in self.graphs())
            return [OutOfScope(graph.value, f"this token writes only {mine}")]
        allowed = organisation_family(store, org or "")
        old, new = _statements(before), _statements(after)
        changed = [s for s in old.keys() | new.keys() if old.get(s) != new.get(s)]
        found = []
        for subject in sorted(changed, key=str):
            side = after if subject in new else before
            why = _refusal(subject, side, allowed, org or "")
            if why:
                found.append(OutOfScope(_name(subject), why))
        found += _held_elsewhere(store, graph, [s for s in changed if isinstance(s, NamedNode)
                                                and s in new])
        return found


def organisation_family(store: GraphStore, org: str) -> frozenset[str]:
    """The IRI of ``org`` and of every organisation under it (ORG hierarchy, any depth)."""
    top = NamedNode(ORG_PREFIX + org)
    rows = solutions(store.query(
        f"SELECT DISTINCT ?o ?top {{ {{ ?o {ORG.subOrganizationOf}+ ?top }} UNION "
        f"{{ ?top {ORG.hasSubOrganization}+ ?o }} UNION {{ ?o {ORG.unitOf}+ ?top }} }}",
        bindings={"top": top}))
    return frozenset({top.value, *(row["o"].value for row in rows if row["o"] is not None)})


def _statements(triples: Sequence[Triple]) -> dict[object, frozenset[tuple[str, str]]]:
    """Each subject's statements, blank nodes folded into what links them; blank nodes that
    nothing links to are subjects of their own."""
    by_subject: dict[object, list[Triple]] = defaultdict(list)
    linked = set()
    for triple in triples:
        by_subject[triple.subject].append(triple)
        if isinstance(triple.object, BlankNode):
            linked.add(triple.object)

    def folded(term: object, depth: int) -> str:
        if isinstance(term, BlankNode) and depth < 4:
            return "[" + " ; ".join(sorted(f"{t.predicate} {folded(t.object, depth + 1)}"
                                           for t in by_subject.get(term, []))) + "]"
        return str(term)

    return {subject: frozenset((str(t.predicate), folded(t.object, 0)) for t in own)
            for subject, own in by_subject.items()
            if isinstance(subject, NamedNode) or subject not in linked}


def _refusal(subject: object, triples: Sequence[Triple], allowed: frozenset[str], org: str
             ) -> str | None:
    if not isinstance(subject, NamedNode):
        return "statements about a blank node that no record holds"
    own = [t for t in triples if t.subject == subject]
    types = {t.object for t in own if t.predicate == RDF.type}
    if types & OWNED_TYPES:
        publishers = {_name(t.object) for t in own if t.predicate == DCT.publisher}
        if not publishers:
            return "it names no publisher (dct:publisher)"
        strangers = sorted(publishers - allowed)
        if strangers:
            return (f"its publisher {', '.join(strangers)} is not {ORG_PREFIX}{org} or one "
                    f"of its sub-organisations")
        return None
    if DCAT.Distribution in types:
        owners = [t.subject for t in triples if t.predicate == DCAT.distribution
                  and t.object == subject]
        if not owners:
            return "a distribution that no dataset of this catalogue lists"
        strangers = sorted({_name(t.object) for t in triples if t.subject in owners
                            and t.predicate == DCT.publisher} - allowed)
        if strangers:
            return f"a distribution of a dataset published by {', '.join(strangers)}"
        return None
    # The parts of a record that have IRIs of their own under it ({dataset}/contact).
    holders = {t.subject for t in triples if t.predicate == RDF.type and t.object in OWNED_TYPES
               and isinstance(t.subject, NamedNode)
               and subject.value.startswith(t.subject.value + "/")}
    if holders:
        strangers = sorted({_name(t.object) for t in triples if t.subject in holders
                            and t.predicate == DCT.publisher} - allowed)
        return f"a part of a dataset published by {', '.join(strangers)}" if strangers else None
    return ("not a dataset, distribution or data service, nor a part of one (a publisher "
            "token writes only those)")


def _held_elsewhere(store: GraphStore, graph: NamedNode, subjects: Sequence[NamedNode]
                    ) -> list[OutOfScope]:
    """Records that another source graph (public or private) already describes: writing
    them here would add to a record that is not this organisation's."""
    if not subjects:
        return []
    org = org_of(graph) or ""
    own = {graph, *derived_graphs(org)}
    values = " ".join(str(s) for s in subjects)
    found: dict[str, set[str]] = defaultdict(set)
    for source in (store, private_store(store)):
        for row in solutions(source.query(
                f"SELECT DISTINCT ?s ?g {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")):
            if row["g"] not in own:
                found[row["s"].value].add(row["g"].value)
    return [OutOfScope(record, f"already described in {', '.join(sorted(graphs))}")
            for record, graphs in sorted(found.items())]


def _name(term: object) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)
