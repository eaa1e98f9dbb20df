"""The one ingest pipeline: source data -> SHACL gate on the staged graph -> atomic replace.

Readers never touch the store; every write of source data goes through ``ingest``. The gate
validates the staged graph together with the reference data already in the store. By default
a source with any violation is refused and the store is unchanged; with ``quarantine`` the
records in violation are taken out and kept, as N-Triples, in the provenance of the source's
graph (``kg:quarantinedTriples``, each record listed with ``kg:quarantinedRecord``), outside the
default graph; the rest is loaded. The report of the load is kept there too. Warnings never
block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad, QueryTriples, RdfFormat, Triple, serialize

from graph.change_log import (
    Audit,
    Snapshot,
    differences,
    record_changes,
    records,
    snapshot,
    snapshot_records,
)
from graph.namespaces import BASE, KG, XSD, graph_iri
from graph.private_store import private_store
from graph.publication import (
    Scope,
    catalogue_record,
    derived_graphs,
    holds,
    home_of,
    is_catalog,
    is_private,
    org_of,
    public_parts,
)
from graph.search_index import REACH as INDEX_REACH
from graph.search_index import PreparedGraph, SearchIndex, prepare, signature
from graph.store import (
    GraphData,
    GraphInfo,
    GraphStore,
    Provenance,
    ProvenanceFacts,
    RdfFile,
    RdfFiles,
    Staging,
    StagingTask,
    StoreError,
    solutions,
)
from graph.validation import ValidationReport, reach, validate
from graph.validation_report import as_turtle, record_titles, short
from loaders.errors import LoadError, OutOfScopeError, Problem

# Taking records out can break links from records that were valid (a dataset loses its only
# distribution); re-validate a few times, then give up and refuse the source.
QUARANTINE_ROUNDS = 3
# Above this many changed records a reload is validated in full.
INCREMENTAL_LIMIT = 5_000
# The shipped vocabularies are software, not data: their loads are not change records.
UNLOGGED_LOADER = "vocabulary"


class ValidationFailedError(LoadError):
    """The source breaks the profile's shapes; nothing was written."""

    def __init__(self, source: str, report: ValidationReport) -> None:
        self.report = report
        problems = [Problem(source, f"{r.message('en')} (value {r.value})" if r.value
                            else r.message("en"), record=r.focus.strip("<>"),
                            field=short(r.path))
                    for r in report.results if r.severity == "Violation"]
        super().__init__(problems)


@dataclass
class Ingested:
    """What a load did: the graph it wrote, the validation report, what was quarantined."""

    info: GraphInfo
    report: ValidationReport = field(default_factory=ValidationReport)
    quarantined: list[str] = field(default_factory=list)


def ingest(
    store: GraphStore,
    source_id: str,
    data: GraphData,
    provenance: Provenance,
    *,
    graph: NamedNode | None = None,
    quarantine: bool = False,
    index: SearchIndex | None = None,
    facts: ProvenanceFacts | None = None,
    facts_after_gate: Callable[[list[str]], ProvenanceFacts] | None = None,
    audit: Audit | None = None,
    derived: bool = False,
    scope: Scope | None = None,
) -> Ingested:
    """Validate and replace the source's named graph; on any error the store is unchanged.
    With ``index``, the source's search rows are read while the store writes it (if it
    checks it first) and offered to the index for its next sync. ``facts`` join the graph's
    provenance, and so do ``facts_after_gate`` of the quarantined records (N-Triples IRIs).
    What changed, record by record, goes into the change record, with who made the write
    (``audit``). With a ``scope`` (a publisher's token), what the write would change is
    checked against it first (``OutOfScopeError``, nothing written). A ``derived`` graph
    (what the public sees of an organisation's catalogue) passed the gate as part of the
    graph it comes from and is not checked again. Writing an organisation's catalogue graph
    writes its derived graphs too.

    >>> from graph.store import open_store
    >>> from pyoxigraph import NamedNode, Literal, Triple
    >>> s = NamedNode("https://data.vusta.vn/id/org/x")
    >>> t = Triple(s, NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("X"))
    >>> ingest(open_store("memory"), "orgs", [t], Provenance("orgs", "doctest")).info.triples
    1
    """
    target = graph or graph_iri(source_id)
    if is_private(target):
        return _ingest_private(store, target, data, provenance, audit=audit, scope=scope,
                               derived=derived, index=index)
    if scope is not None:
        data = list(data)  # type: ignore[arg-type]
        admit(store, scope, target, data)
    outcome: list[ValidationReport] = []
    taken: list[str] = []
    logged = provenance.loader != UNLOGGED_LOADER
    # Filled in by the gate: the records before the write, and which were compared (None:
    # all of them).
    before: list[Snapshot] = []
    compared: list[list[str] | None] = []

    def gate(staging: Staging) -> ProvenanceFacts:
        # On a reload, only the records that changed (and those linking to them) need a look.
        changed = staging.changed_subjects(INCREMENTAL_LIMIT)
        if logged:
            # The version being replaced is still in place: what the change record compares
            # with, only the changed records when the store knows which.
            before.append(snapshot(store, target) if changed is None
                          else snapshot_records(store, target, changed))
            compared.append(changed)
        report = ValidationReport() if derived else validate(staging, graph=staging.name,
                                                               focus=changed)
        first = report
        kept: list[Triple] = []
        if not report.conforms and not quarantine:
            raise ValidationFailedError(provenance.source, report)
        for _ in range(QUARANTINE_ROUNDS):
            bad = report.violating_focus_nodes()
            if not bad:
                break
            taken.extend(bad)
            kept.extend(staging.extract(bad))
            report = validate(staging, graph=staging.name)
        if not report.conforms:
            raise ValidationFailedError(provenance.source, report)
        outcome.append(first)
        if compared and compared[0] is not None:
            # Records the quarantine took out of the new version are compared too.
            extra = sorted(set(taken) - set(compared[0]))
            compared[0] = [*compared[0], *extra]
            before[0].update(snapshot_records(store, target, extra))
        later = facts_after_gate(sorted(set(taken))) if facts_after_gate else []
        return [*validation_facts(first, kept, taken), *(facts or []), *later]

    prepared: list[PreparedGraph] = []
    # The version being replaced, as the index knows it.
    base = None if index is None else next(
        (signature(info) for info in store.graphs() if info.name == target), None)

    def read_rows(staging: Staging) -> None:
        found = prepare(staging, base)
        if found is not None:
            prepared.append(found)

    looks = reach()
    then: StagingTask | None = None
    if index is not None:
        then = read_rows
        looks = None if looks is None else max(looks, INDEX_REACH)
    try:
        info = store.replace_graph(target, data, provenance, check=gate, reach=looks, then=then)
    except StoreError as error:
        raise LoadError([Problem(provenance.source, str(error))]) from error
    if logged and before:
        subjects = compared[0]
        if subjects is not None:
            after = snapshot_records(store, target, subjects)
        else:
            # Against nothing, every record is created: its statements do not matter.
            after = snapshot(store, target) if before[0] else records(store, target)
        record_changes(store, target, differences(before[0], after),
                       f"{provenance.loader}: {provenance.source}", store.revision(),
                       audit=audit)
    if index is not None and prepared:
        index.offer(info, prepared[0])
    if is_catalog(target):
        _write_derived(store, target, provenance, audit, index)
    return Ingested(info, outcome[0] if outcome else ValidationReport(), sorted(set(taken)))


def _ingest_private(store: GraphStore, target: NamedNode, data: GraphData,
                    provenance: Provenance, *, audit: Audit | None, scope: Scope | None,
                    derived: bool, index: SearchIndex | None) -> Ingested:
    """A private graph (``graph.private_store``): checked against the shapes and the public
    store's reference data, then written into the private store."""
    if isinstance(data, RdfFile | RdfFiles):
        raise LoadError([Problem(provenance.source, f"{target.value} is an organisation's "
                                 "catalogue: write it through the API or the Graph Store")])
    triples = [t.triple if isinstance(t, Quad) else t for t in data]
    if scope is not None:
        admit(store, scope, target, triples)  # type: ignore[arg-type]
    report = ValidationReport()
    if not derived:
        report, _ = check_only(store, triples, provenance.source)
        if not report.conforms:
            raise ValidationFailedError(provenance.source, report)
    vault = private_store(store)
    before = snapshot(vault, target)
    facts = validation_facts(report, [], [])
    try:
        info = vault.replace_graph(target, triples, provenance, check=lambda staging: facts)
    except StoreError as error:
        raise LoadError([Problem(provenance.source, str(error))]) from error
    record_changes(store, target, differences(before, snapshot(vault, target)),
                   f"{provenance.loader}: {provenance.source}", vault.revision(), audit=audit,
                   private=True)
    if is_catalog(target):
        _write_derived(store, target, provenance, audit, index)
    return Ingested(info, report)


def _write_derived(store: GraphStore, catalog: NamedNode, provenance: Provenance,
                   audit: Audit | None, index: SearchIndex | None) -> None:
    """Write what others see of an organisation's catalogue graph, once it is committed."""
    org = org_of(catalog) or ""
    public, withheld, on_request = public_parts(graph_triples(store, catalog))
    names = {row["name"].language or "vi": row["name"].value for row in solutions(store.query(
        "SELECT ?name ?org { ?org skos:prefLabel ?name }",
        bindings={"org": NamedNode(f"{BASE}id/org/{org}")}))}
    public += catalogue_record(org, names, public)
    for graph, triples in zip(derived_graphs(org), (public, withheld, on_request),
                              strict=True):
        source = Provenance("publication", f"{provenance.source}, derived from {catalog.value}")
        if triples:
            ingest(store, graph.value, triples, source, graph=graph, audit=audit,
                   derived=True, index=index)
        elif holds(store, graph):
            drop_source(store, graph, "publication", audit)


def validation_facts(report: ValidationReport, quarantined: list[Triple], records: list[str]
                     ) -> ProvenanceFacts:
    """What the source graph's provenance keeps of its validation: the counts, the whole
    report (Turtle), and the quarantined records with their triples (N-Triples)."""
    facts: ProvenanceFacts = [
        (KG.violations, Literal(str(report.count("Violation")), datatype=XSD.integer)),
        (KG.warnings, Literal(str(report.count("Warning")), datatype=XSD.integer)),
        (KG.infos, Literal(str(report.count("Info")), datatype=XSD.integer)),
        (KG.validationReport, Literal(as_turtle(report).decode("utf-8"),
                                      datatype=KG.turtle)),
    ]
    if quarantined:
        text = serialize(quarantined, format=RdfFormat.N_TRIPLES) or b""
        facts.append((KG.quarantinedTriples, Literal(text.decode("utf-8"),
                                                     datatype=KG.ntriples)))
        facts += [(KG.quarantinedRecord, NamedNode(record.strip("<>"))) for record in
                  sorted(set(records)) if record.startswith("<")]
    return facts


class _DryRunError(Exception):
    """Raised by the gate of a dry run so that the store discards the staged graph."""


def check_only(store: GraphStore, data: GraphData, source: str, lang: str = "vi"
               ) -> tuple[ValidationReport, dict[str, str]]:
    """Validate ``data`` against the shapes and the store's reference data; write nothing.
    Returns the report and a readable title for each record it names."""
    found: list[tuple[ValidationReport, dict[str, str]]] = []

    def gate(staging: Staging) -> None:
        report = validate(staging, graph=staging.name)
        titles = record_titles(staging, sorted({r.focus for r in report.results}), lang,
                               staging.name)
        found.append((report, titles))
        raise _DryRunError

    try:
        store.replace_graph(graph_iri("dry-run"), data, Provenance("validate", source),
                            check=gate, reach=reach())
    except _DryRunError:
        return found[0]
    except StoreError as error:
        raise LoadError([Problem(source, str(error))]) from error
    raise AssertionError("the dry run committed")  # pragma: no cover - gate always raises


def graph_triples(store: GraphStore, graph: NamedNode) -> list[Triple]:
    """Every triple of ``graph`` (none when the store does not hold it), from the private
    store for a private graph."""
    result = home_of(store, graph).query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    if not isinstance(result, QueryTriples):
        raise TypeError("CONSTRUCT must give triples")
    return list(result)


def admit(store: GraphStore, scope: Scope, graph: NamedNode, after: list[Triple | Quad]
          ) -> None:
    """Refuse (``OutOfScopeError``) to make ``graph`` hold ``after`` when the difference
    changes anything out of ``scope``; every record out of scope is named."""
    triples = [t.triple if isinstance(t, Quad) else t for t in after]
    refused = scope.check(store, graph, graph_triples(store, graph), triples)
    if refused:
        raise OutOfScopeError([Problem(graph.value, f"out of the token's scope: {r.why}",
                                       record=r.record) for r in refused])


def drop_source(store: GraphStore, graph: NamedNode, agent: str = "drop",
                audit: Audit | None = None, scope: Scope | None = None) -> None:
    """Remove a source graph and its provenance (the one way a source leaves the store); an
    organisation's catalogue graph takes its derived graphs with it."""
    if scope is not None:
        admit(store, scope, graph, [])
    home = home_of(store, graph)
    before = records(home, graph)
    try:
        home.drop_graph(graph)
    except StoreError as error:
        raise LoadError([Problem(graph.value, str(error))]) from error
    record_changes(store, graph, differences(before, {}), agent, home.revision(),
                   audit=audit, private=is_private(graph))
    if is_catalog(graph):
        for view in derived_graphs(org_of(graph) or ""):
            if holds(store, view):
                drop_source(store, view, agent, audit)
