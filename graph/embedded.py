"""The default store: pyoxigraph, on disk or in memory.

Why staging works the way it does (measured in FACTS.md and bench/load.py): bulk loading is
fast but not transactional, and removing or copying a big graph is an order of magnitude
slower than loading it. So a load goes, by the bulk path, into a graph that queries do not see
(the target itself when the source is new, else a staging graph); only the commit is a
transaction: a diff between the old and the staged graph plus the provenance, in one SPARQL
update. Readers see the old graph or the new one, and a failed load is wiped from a graph
nobody could see. Markers in the meta graph let ``open`` finish what a crash interrupted.

Wiping is the slow part (a refused 10k-dataset catalogue took 9 s to remove, in batches;
``remove_graph`` took 14 s and held it all in memory), and terms read back from disk cost
about ten times what they cost in memory. So an on-disk store checks a source that fits in
memory in a memory store first, beside copies of the store's triples that the check can reach
from it; only a source that passed is written to disk, a reload as its difference (the old
version's lines, read off the disk meanwhile, against the new one's) when it can be. A refused
load or a dry run then writes nothing at all.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    serialize,
)

from graph.meta_updates import (
    META,
    STAGING_PREFIX,
    forget_ops,
    mark_ops,
    provenance_ops,
    revision_ops,
    swap_ops,
    unmark_ops,
)
from graph.namespaces import DCT, KG, PREFIXES, RDFS, prologue
from graph.parallel_load import load_in_pieces, pieces
from graph.processes import cores
from graph.record_digests import ALTERED, DigestTables, changed_records
from graph.reload_difference import MOST_CHANGED, as_ntriples, changed_subjects, lines_of
from graph.sparql_text import repoint_iris
from graph.staging import Changes, CountingReader, StagedDifference, StagedGraph
from graph.store import (
    Bindings,
    GraphData,
    GraphInfo,
    GraphName,
    Provenance,
    ProvenanceFacts,
    QueryResult,
    RdfFile,
    RdfFiles,
    RecordVersion,
    StagingCheck,
    StagingTask,
    StoreError,
    solutions,
)

# Above this many changed triples a reload lets the transaction compute the difference.
DIFF_AS_DATA_LIMIT = 500_000
# Loaders side by side on a big N-Triples file; each holds about 100 MB.
MAX_LOADERS = 4
# A source up to this size (with the version it replaces) is checked in memory before it is
# written (about 4.5 bytes of memory per byte of N-Triples: 66 MB took 290 MB).
MEMORY_CHECK_MAX_BYTES = 256 * 2**20
# Memory taken by a triple of the graph a reload replaces, counted as N-Triples bytes (the
# generated catalogue has 143 per triple).
OLD_TRIPLE_BYTES = 143
# Triples removed per transaction when a graph is wiped.
WIPE_BATCH = 50_000
# IRIs looked up per query when copying what a source points to.
LOOKUP_BATCH = 2_000
# Where copies of the store's triples go in the memory store of a check.
COPIES = NamedNode("urn:kg:check:copies")
TRIPLE_FORMATS = {RdfFormat.TURTLE, RdfFormat.N_TRIPLES, RdfFormat.RDF_XML, RdfFormat.N3,
                  RdfFormat.JSON_LD}


class EmbeddedStore:
    """A ``GraphStore`` on a pyoxigraph ``Store``: ``path=None`` keeps it in memory.

    >>> from pyoxigraph import NamedNode, Triple, Literal
    >>> store = EmbeddedStore(None)
    >>> s, p = NamedNode("http://example.org/s"), NamedNode("http://example.org/p")
    >>> g = NamedNode("http://example.org/g")
    >>> info = store.replace_graph(g, [Triple(s, p, Literal("một"))], Provenance("demo", "doc"))
    >>> info.triples
    1
    >>> [str(row["o"]) for row in store.query("SELECT ?o { GRAPH ?g { ?s ?p ?o } }",
    ...                                        bindings={"g": g})]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    graph.store.StoreError: query failed: The SPARQL query does not contains variable ?g in ...
    >>> [str(row["o"]) for row in store.query("SELECT ?g ?o { GRAPH ?g { ?s ?p ?o } }",
    ...                                        bindings={"g": g})]
    ['"một"']
    """

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            try:
                store = Store(str(path))
            except OSError as error:
                raise StoreError(f"cannot open the store at {path} (is another kg process, such "
                                 f"as kg serve, using it?): {error}") from error
        else:
            store = Store()
        self.path = path
        # A memory store gains nothing from checking a copy of a source in memory.
        self.checks_in_memory = path is not None
        self._open(store)
        self._tables: DigestTables | None = DigestTables(
            path.parent / f"{path.name}-records" if path else None)

    def _open(self, store: Any) -> None:
        """Start on ``store``: a pyoxigraph ``Store`` or anything with the same API."""
        self._store = store
        self._lock = threading.RLock()
        self._hidden: frozenset[NamedNode] = frozenset()
        self._visible_cache: list[NamedNode] | None = None
        self._graphs_cache: tuple[int, list[GraphInfo]] | None = None
        self._recover()
        self._changed_at: datetime | None = None
        self._revision = self._read_revision()
        # Record digest tables (``graph.record_digests``): only for a store that no one else
        # writes, which a remote one may be.
        self._tables = None

    # -- reading -----------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        bindings: Bindings | None = None,
        default_graph: list[GraphName] | None = None,
        named_graphs: list[NamedNode] | None = None,
    ) -> QueryResult:
        hidden = self._hidden
        visible = self.visible_graphs()
        if default_graph is None and named_graphs is None and not hidden:
            return self.raw_query(sparql, bindings, union=True)
        if default_graph is None:
            default_graph = [DefaultGraph(), *visible]
        if named_graphs is None:
            named_graphs = visible
        return self.raw_query(
            sparql, bindings,
            default_graph=[g for g in default_graph if g not in hidden],
            named_graphs=[g for g in named_graphs if g not in hidden],
        )

    def raw_query(
        self,
        sparql: str,
        bindings: Bindings | None,
        *,
        union: bool = False,
        default_graph: list[Any] | None = None,
        named_graphs: list[Any] | None = None,
    ) -> QueryResult:
        """Run a query on exactly the dataset given, hidden graphs included."""
        substitutions: dict[Variable, Any] | None = (
            {Variable(k): v for k, v in bindings.items()} if bindings else None)
        try:
            result: QueryResult = self._store.query(
                sparql, prefixes=PREFIXES, substitutions=substitutions,
                use_default_graph_as_union=union, default_graph=default_graph,
                named_graphs=named_graphs,
            )
        except SyntaxError as error:
            raise StoreError(f"SPARQL syntax error: {error}") from error
        except RuntimeError as error:
            # pyoxigraph substitutes only variables that the SELECT projects.
            raise StoreError(f"query failed: {error}") from error
        return result

    def visible_graphs(self) -> list[NamedNode]:
        """The named graphs that queries see, sorted by IRI."""
        cached = self._visible_cache
        if cached is None:
            cached = sorted(
                (g for g in self._store.named_graphs()
                 if isinstance(g, NamedNode) and g not in self._hidden
                 and not g.value.startswith(STAGING_PREFIX)),
                key=lambda g: g.value,
            )
            self._visible_cache = cached
        return cached

    def revision(self) -> int:
        """A counter that grows with every committed change (the web layer's ETag)."""
        return self._revision

    def changed_at(self) -> datetime | None:
        """When the last change was committed (the web layer's Last-Modified)."""
        return self._changed_at

    def stream_query(self, sparql: str, *, default_graph: list[GraphName] | None = None,
                     named_graphs: list[NamedNode] | None = None
                     ) -> QueryResult | Iterator[Triple]:
        """Like ``query``; here already lazy: rows are computed as they are read."""
        return self.query(sparql, default_graph=default_graph, named_graphs=named_graphs)

    def serialized_query(self, sparql: str, media_type: str, *,
                         default_graph: list[GraphName] | None = None,
                         named_graphs: list[NamedNode] | None = None) -> Iterator[bytes]:
        """An answer written by pyoxigraph in ``media_type``, in one piece."""
        result = self.query(sparql, default_graph=default_graph, named_graphs=named_graphs)
        out = io.BytesIO()
        if isinstance(result, QuerySolutions | QueryBoolean):
            fmt = QueryResultsFormat.from_media_type(media_type)
            if fmt is None:
                raise StoreError(f"no SPARQL results format has the media type {media_type!r}")
            result.serialize(out, fmt)
        else:
            rdf = RdfFormat.from_media_type(media_type)
            if rdf is None:
                raise StoreError(f"no RDF format has the media type {media_type!r}")
            serialize(result, out, rdf)
        return iter([out.getvalue()])

    def graphs(self) -> list[GraphInfo]:
        """Visible named graphs with their triple counts and provenance."""
        cached = self._graphs_cache
        if cached is not None and cached[0] == self._revision:
            return cached[1]
        provenance: dict[NamedNode, dict[str, Any]] = {}
        # Only the short facts: a graph's provenance also holds its whole validation report.
        listed = " ".join(str(p) for p in (KG.loader, DCT.source, DCT.modified, KG.tripleCount,
                                            DCT.title, KG.sourceDigest))
        for row in self._solutions(
            f"SELECT ?g ?p ?o {{ VALUES ?p {{ {listed} }} "
            f"GRAPH {META} {{ ?g a kg:SourceGraph ; ?p ?o }} }}",
        ):
            provenance.setdefault(row["g"], {})[row["p"].value] = row["o"].value
        infos = []
        for name in self.visible_graphs():
            info = provenance.get(name, {})
            loaded = info.get(DCT.modified.value)
            # Loads store their count; a SPARQL update removes them all, so count live then.
            stored = info.get(KG.tripleCount.value)
            infos.append(GraphInfo(
                name=name, triples=int(stored) if stored is not None else self._count(name),
                loader=info.get(KG.loader.value), source=info.get(DCT.source.value),
                title=info.get(DCT.title.value),
                loaded_at=datetime.fromisoformat(loaded) if loaded else None,
                digest=info.get(KG.sourceDigest.value),
            ))
        self._graphs_cache = (self._revision, infos)
        return infos

    def dump(self, out: BinaryIO) -> int:
        """Write every visible quad as N-Quads; return how many."""
        count = 0

        def counted(quads: Iterable[Quad]) -> Iterator[Quad]:
            nonlocal count
            for quad in quads:
                count += 1
                yield quad

        graphs: list[GraphName] = [DefaultGraph(), *self.visible_graphs()]
        for graph in graphs:
            serialize(counted(self._store.quads_for_pattern(None, None, None, graph)), out,
                      RdfFormat.N_QUADS)
        return count

    # -- writing -----------------------------------------------------------------------------

    def update(self, sparql: str, *, service_graphs_only: bool = False) -> None:
        """Run a SPARQL update in one transaction, counted as a change. An update that
        writes only graphs the service keeps for itself (``service_graphs_only``) leaves
        the source graphs' triple counts standing."""
        with self._lock:
            # The newline ends a trailing comment in the caller's text before our operation.
            # Which graphs an update wrote is not known: none keeps its count or its table
            # of record digests.
            stale_counts = "" if service_graphs_only else (
                f"DELETE WHERE {{ GRAPH {META} {{ ?g {KG.tripleCount} ?n }} }} ;\n"
                f"DELETE WHERE {{ GRAPH {META} {{ ?g {KG.recordDigests} ?t }} }} ;\n")
            # Store.update takes no prefix map, so declare the usual prefixes in the text.
            try:
                self._store.update(
                    f"{prologue()}{sparql}\n;\n{stale_counts}{revision_ops(self._revision)}")
            except SyntaxError as error:
                raise StoreError(f"SPARQL syntax error: {error}") from error
            self._changed()

    def add_service_triples(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        """Add ``triples`` to a graph the service keeps for itself, counted as a change: as
        text, the change record of a 100k-record load took longer to parse than the load
        itself, and in one transaction (``extend``) three times as long as in bulk. What a
        crash would leave half-written is a record of a commit already made."""
        if graph == META or graph.value.startswith(STAGING_PREFIX):
            raise StoreError(f"{graph.value} is reserved for the store itself")
        with self._lock:
            self._store.bulk_extend(Quad(t.subject, t.predicate, t.object, graph)
                                   for t in triples)
            self._store.update(revision_ops(self._revision))
            self._changed()

    def preview_update(self, sparql: str, graphs: list[NamedNode]
                       ) -> dict[NamedNode, list[Triple]]:
        """What ``graphs`` would hold after the update ``sparql``, computed on hidden copies;
        the store does not change. The update must write no other graph."""
        with self._lock:
            copies = {g: NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}") for g in graphs}
            self._hide(*copies.values())
            try:
                for graph, copy in copies.items():
                    if not self._has_quads(graph):
                        continue
                    self._store.bulk_extend(
                        Quad(q.subject, q.predicate, q.object, copy)
                        for q in self._store.quads_for_pattern(None, None, None, graph))
                repointed = repoint_iris(sparql, {g.value: c.value for g, c in copies.items()},
                                         PREFIXES)
                try:
                    self._store.update(prologue() + repointed)
                except SyntaxError as error:
                    raise StoreError(f"SPARQL syntax error: {error}") from error
                # A WHERE that binds ``GRAPH ?g`` saw the copies' names: put the real ones back.
                originals: dict[Any, Any] = {c: g for g, c in copies.items()}
                return {graph: [_renamed(q.triple, originals) for q in
                                self._store.quads_for_pattern(None, None, None, copy)]
                        for graph, copy in copies.items()}
            finally:
                for copy in copies.values():
                    self._wipe(copy)
                self._unhide(*copies.values())

    def replace_graph(
        self,
        graph: NamedNode,
        data: GraphData,
        provenance: Provenance,
        *,
        check: StagingCheck | None = None,
        reach: int | None = None,
        then: StagingTask | None = None,
    ) -> GraphInfo:
        """Make ``graph`` hold exactly ``data``, atomically; on any error nothing changes.
        A reload given as a ``RecordVersion`` stages only the records whose digest changed
        since the last load that kept a table of them."""
        if graph == META or graph.value.startswith(STAGING_PREFIX):
            raise StoreError(f"{graph.value} is reserved for the store itself")
        with self._lock:
            exists = self._has_quads(graph)
            staged = NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}") if exists else graph
            self._hide(staged)
            try:
                if not exists:
                    self._mark_pending(graph)
                replaces = graph if exists else None
                diff: str | None = None
                view: StagedGraph | None = None
                given = data
                if isinstance(data, RecordVersion) and replaces is not None and \
                        check is not None:
                    view = self._stage_records(staged, data, replaces)
                if view is None and check is not None and reach is not None and \
                        self._fits_in_memory(data, replaces):
                    facts, triples, diff, taken = self._check_in_memory(
                        staged, data, check, reach, replaces, then)
                else:
                    if view is None and replaces is not None and check is not None and \
                            not isinstance(data, RdfFile | RdfFiles):
                        data = list(data)  # read twice if the difference is too large
                        view = self._stage_difference(staged, data, replaces)
                    if view is None:
                        self._bulk_load(staged, data)
                        view = StagedGraph(self, staged, replaces)
                    facts = check(view) if check else None
                    if then is not None:
                        then(view)
                    triples = view.triples_after() if isinstance(view, StagedDifference) \
                        else self._count(staged)
                    taken = view.taken
                if isinstance(given, RecordVersion):
                    facts = [*(facts or []), *self._keep_digests(given, taken)]
                if not exists:
                    ops = [unmark_ops(graph)]
                elif diff is not None:
                    ops = [diff]
                elif view is not None:
                    ops = [self._diff_ops(graph, view)]
                else:
                    # Compared in memory already: the difference cannot be written as data.
                    ops = [swap_ops(graph, staged)]
                # To the microsecond: the search index tells two loads of a source apart by it.
                loaded_at = datetime.now(UTC)
                ops.append(provenance_ops(graph, provenance, triples, loaded_at,
                                                facts or []))
                ops.append(revision_ops(self._revision))
                self._store.update(" ;\n".join(op for op in ops if op))
            except BaseException:
                self._wipe(staged)
                if not exists:
                    self._store.update(unmark_ops(graph))
                self._unhide(staged)
                self._prune_tables()
                raise
            self._unhide(staged)
            if exists:
                self._wipe(staged)
            self._changed()
            self._prune_tables()
            return GraphInfo(name=graph, triples=triples, loader=provenance.loader,
                             source=provenance.source, title=provenance.title or None,
                             loaded_at=loaded_at)

    def drop_graph(self, graph: NamedNode) -> None:
        """Remove a named graph and its provenance; a no-op when it does not exist."""
        with self._lock:
            if not self._has_quads(graph) and graph not in self.visible_graphs():
                return
            self._hide(graph)
            try:
                self._store.update(" ;\n".join(
                    [forget_ops(graph), mark_ops(graph), revision_ops(self._revision)]))
            except BaseException:
                self._unhide(graph)
                raise
            self._wipe(graph)
            self._store.update(unmark_ops(graph))
            self._unhide(graph)
            self._changed()
            self._prune_tables()

    def restore(self, data: BinaryIO) -> int:
        """Make the store hold exactly the N-Quads in ``data``; on any error nothing changes."""
        with self._lock:
            before = set(self.visible_graphs())
            targets: dict[GraphName, NamedNode] = {}
            count = 0

            def staged_quads() -> Iterator[Quad]:
                nonlocal count
                for quad in parse(data, RdfFormat.N_QUADS):
                    target = targets.get(quad.graph_name)
                    if target is None:
                        target = self._stage_for(quad.graph_name, before, targets)
                    count += 1
                    yield Quad(quad.subject, quad.predicate, quad.object, target)

            try:
                self._store.bulk_extend(staged_quads())
                dropped = [g for g in before if g not in targets]
                self._hide(*dropped)
                ops = [unmark_ops(staged) if staged == name else swap_ops(name, staged)
                       for name, staged in targets.items()]
                if DefaultGraph() not in targets:
                    ops.append("DROP SILENT DEFAULT")
                ops += [mark_ops(g) for g in dropped]
                ops.append(revision_ops(self._revision, after_restore=True))
                self._store.update(" ;\n".join(ops))
            except BaseException as error:
                for name, staged in targets.items():
                    self._wipe(staged)
                    if staged == name:
                        self._store.update(unmark_ops(staged))
                self._unhide(*targets.values(), *before)
                if isinstance(error, SyntaxError):
                    raise StoreError(f"the dump is not valid N-Quads: {error}") from error
                raise
            for name, staged in targets.items():
                if staged != name:
                    self._wipe(staged)
            for graph in dropped:
                self._wipe(graph)
                self._store.update(unmark_ops(graph))
            self._unhide(*targets.values(), *dropped)
            self._revision = self._read_revision()
            self._changed(bump=False)
            self._prune_tables()
            return count

    def close(self) -> None:
        """Flush to disk (the private store too, if opened); the object must not be used
        afterwards."""
        from graph.private_store import close_private

        close_private(self)
        if self.path is not None:
            self._store.flush()
        del self._store

    # -- internals ---------------------------------------------------------------------------

    def remove_staged(self, quads: Iterable[Quad]) -> None:
        """Take quads out of a staged graph (which nobody else sees); for ``StagedGraph``."""
        for quad in quads:
            if not (isinstance(quad.graph_name, NamedNode) and quad.graph_name in self._hidden):
                raise StoreError("only staged graphs can be edited in place")
            self._store.remove(quad)

    def _stage_for(
        self, name: GraphName, before: set[NamedNode], targets: dict[GraphName, NamedNode]
    ) -> NamedNode:
        if isinstance(name, NamedNode) and name.value.startswith(STAGING_PREFIX):
            raise StoreError(f"the dump names a reserved graph {name.value}")
        fresh = isinstance(name, NamedNode) and name not in before and not self._has_quads(name)
        if fresh and isinstance(name, NamedNode):
            self._mark_pending(name)
            staged = name
        else:
            staged = NamedNode(f"{STAGING_PREFIX}{uuid.uuid4()}")
        self._hide(staged)
        targets[name] = staged
        return staged

    def _bulk_load(self, staged: NamedNode, data: GraphData) -> None:
        if isinstance(data, RdfFile | RdfFiles):
            for file in _files(data):
                self._bulk_load_file(staged, file)
            return
        self._store.bulk_extend(
            Quad(item.subject, item.predicate, item.object, staged) for item in data)

    def _bulk_load_file(self, staged: NamedNode, file: RdfFile) -> None:
        if file.format not in TRIPLE_FORMATS:
            raise StoreError(f"{file.path}: {file.format.name} holds datasets; a source "
                             "graph is loaded from a triple format")
        try:
            # In memory there are no sorted files to build, so nothing to share out.
            workers = min(cores(), MAX_LOADERS)
            cut = (pieces(file.path, workers) if file.format == RdfFormat.N_TRIPLES
                   and self.path is not None else None)
            if cut:
                load_in_pieces(self._store, file.path, cut, staged, file.progress, workers)
                return
            with file.path.open("rb") as raw:
                source: Any = raw if file.progress is None else CountingReader(raw, file.progress)
                self._store.bulk_load(input=source, format=file.format, base_iri=file.base_iri,
                                      to_graph=staged)
        except SyntaxError as error:
            raise StoreError(f"{file.path.name}: {error}") from error
        except OSError as error:
            raise StoreError(f"{file.path}: cannot read: {error}") from error

    def _fits_in_memory(self, data: GraphData, replaces: NamedNode | None) -> bool:
        if not self.checks_in_memory:
            return False
        size = 0
        if replaces is not None:
            # The version being replaced is copied too, to compare the two.
            size += OLD_TRIPLE_BYTES * sum(info.triples for info in self.graphs()
                                           if info.name == replaces)
        if isinstance(data, RdfFile | RdfFiles):
            try:
                size += sum(f.path.stat().st_size for f in _files(data))
            except OSError:
                return False  # the load itself reports what cannot be read
        # Triples the caller passes are already in memory.
        return size <= MEMORY_CHECK_MAX_BYTES

    def _check_in_memory(self, staged: NamedNode, data: GraphData, check: StagingCheck,
                         reach: int, replaces: NamedNode | None, then: StagingTask | None
                         ) -> tuple[ProvenanceFacts | None, int, str | None, set[str]]:
        """Load ``data`` into a memory store with copies of what it reaches here (and of the
        version it replaces), run ``check`` there, and only then write what passed (while
        ``then`` runs on it): see ``_write_checked``. Returns the check's facts, the number
        of triples, the difference that the commit applies, if any, and the records that the
        check took triples of out."""
        twin = EmbeddedStore(None)
        twin._hide(staged)
        stamps = _stamps(data)
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Reading the old version off the disk (decoding its terms) takes longer than
            # parsing the new one and copying what it points to; all let go of the GIL.
            old = pool.submit(self._store.dump, format=RdfFormat.N_TRIPLES,
                              from_graph=replaces) if replaces is not None else None
            twin._bulk_load(staged, data)
            loaded = twin._count(staged)
            twin._store.bulk_extend(self._reachable_copies(twin, staged, reach, replaces))
            old_lines = set(old.result().splitlines()) if old is not None else None

        def differences(old: set[bytes]) -> Callable[[], Changes | None]:
            # Both stores write a triple's terms the same, canonical way: comparing lines is
            # cheaper than loading the old version here to compare it by query.
            return lambda: _line_changes(old, twin._store.dump(format=RdfFormat.N_TRIPLES,
                                                               from_graph=staged))

        view = StagedGraph(twin, staged, replaces,
                           differences(old_lines) if old_lines is not None else None,
                           is_copy=True)
        facts = check(view)
        triples = twin._count(staged) if view.extracted else loaded
        # The write to disk lets go of the GIL; ``then`` mostly reads the memory store.
        with ThreadPoolExecutor(max_workers=1) as pool:
            task = pool.submit(then, view) if then is not None else None
            try:
                diff = self._write_checked(twin, view, data, stamps, triples == loaded)
            finally:
                if task is not None:
                    wait([task])
            if task is not None:
                task.result()
        return facts, triples, diff, view.taken

    def _write_checked(self, twin: EmbeddedStore, view: StagedGraph, data: GraphData,
                       stamps: list[tuple[int, int]], whole: bool) -> str | None:
        """Write what passed the check in ``view`` (of ``twin``): for a reload, return
        the difference that the commit applies to the old graph when it can be written as
        data; else fill the staged graph here (from the file again when nothing was taken
        out of it)."""
        if view.replaces is not None:
            diff = view.data_diff()
            if diff is not None:
                return diff
        if isinstance(data, RdfFile | RdfFiles) and whole:
            # Reading the file again is twice as fast as writing the memory store's terms
            # (the pieces load side by side); its stamp shows that it is still what passed.
            if _stamps(data) != stamps:
                raise StoreError("a source file changed while it was being loaded; load it "
                                 "again")
            self._bulk_load(view.name, RdfFiles(tuple(replace(f, progress=None)
                                                      for f in _files(data))))
        else:
            # Records were taken out (quarantine), or the triples came from the caller.
            self._store.bulk_extend(twin._store.quads_for_pattern(None, None, None, view.name))
        return None

    def _all_but(self, replaces: NamedNode) -> dict[str, Any]:
        """The dataset of ``_reachable_copies`` for a reload: every graph is reachable by
        ``GRAPH ?g`` (its filter leaves ``replaces`` out)."""
        return {"default_graph": [DefaultGraph()]}

    def _reachable_copies(self, twin: EmbeddedStore, staged: NamedNode, reach: int,
                          replaces: NamedNode | None) -> list[Quad]:
        """This store's triples about every IRI that ``staged`` (in ``twin``) points to,
        ``reach`` links deep, and the class hierarchy, as quads in ``COPIES``; none from
        the version being replaced, which would lend the new records its old values."""
        # The union of every graph: the only hidden one is ``staged``, still empty here.
        dataset: dict[str, Any] = {"union": True}
        if replaces is not None:
            dataset = self._all_but(replaces)

        def pattern(predicate: str) -> str:
            if replaces is None:
                return f"?s {predicate} ?o"
            # Listing the other graphs instead cost a lookup per graph (3x slower); the
            # filter compares the graph's id before any term is read off the disk.
            return (f"{{ ?s {predicate} ?o }} UNION {{ GRAPH ?g {{ ?s {predicate} ?o }} "
                    f"FILTER(?g != {replaces}) }}")

        copies = [Quad(row["s"], RDFS.subClassOf, row["o"], COPIES) for row in solutions(
            self.raw_query(f"SELECT ?s ?o {{ {pattern('rdfs:subClassOf')} }}", None,
                           **dataset))]
        frontier = {row["o"] for row in solutions(twin.raw_query(
            f"SELECT DISTINCT ?o {{ GRAPH {staged} {{ ?s ?p ?o }} FILTER(isIRI(?o)) }}",
            None, named_graphs=[staged]))}
        seen: set[Any] = set()

        def about(iris: list[Any]) -> list[Quad]:
            values = " ".join(str(iri) for iri in iris)
            return [Quad(row["s"], row["p"], row["o"], COPIES) for row in solutions(
                self.raw_query(f"SELECT ?s ?p ?o {{ VALUES ?s {{ {values} }} {pattern('?p')} }}",
                               None, **dataset))]

        for _ in range(reach):
            todo = list(frontier - seen)
            seen |= frontier
            # Most of them (a catalogue's own records, download URLs) are not subjects here:
            # the lookups are many cheap seeks, shared out like the validator's queries.
            with ThreadPoolExecutor(max_workers=cores()) as pool:
                found = [quad for batch in pool.map(
                    about, [todo[i:i + LOOKUP_BATCH] for i in range(0, len(todo), LOOKUP_BATCH)])
                    for quad in batch]
            copies += found
            frontier = {quad.object for quad in found if isinstance(quad.object, NamedNode)}
        return copies

    def _wipe(self, graph: NamedNode) -> None:
        """Remove every triple of ``graph`` (one nobody sees: staged, or marked for removal),
        in transactions of ``WIPE_BATCH``: ``remove_graph`` holds the whole graph's changes
        in memory (335 MB more for 465k triples, GBs at 4.6M) and took 14 s where these took
        5.9 s. Each batch is flushed: the deletions otherwise pile up in memory until the
        store writes them out (233 MB more for 465k triples; 32 MB flushed)."""
        batches = self._count(graph) // WIPE_BATCH + 1
        for _ in range(batches):
            self._store.update(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ SELECT ?s ?p ?o "
                f"{{ GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT {WIPE_BATCH} }}")
            if self.path is not None:
                self._store.flush()
        # The graph's name is left: an empty graph is still listed until it is removed.
        self._store.remove_graph(graph)

    def _has_quads(self, graph: NamedNode) -> bool:
        found = self.raw_query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}", None,
                               named_graphs=[graph])
        return bool(found)

    def _count(self, graph: NamedNode) -> int:
        sparql = f"SELECT (COUNT(*) AS ?n) {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
        rows = solutions(self.raw_query(sparql, None, named_graphs=[graph]))
        return int(next(iter(rows))["n"].value)

    def _solutions(self, sparql: str, bindings: Bindings | None = None) -> QuerySolutions:
        return solutions(
            self.raw_query(sparql, bindings, named_graphs=[META, *self.visible_graphs()]))

    def _hide(self, *graphs: NamedNode) -> None:
        self._hidden = self._hidden | set(graphs)
        self._visible_cache = None

    def _unhide(self, *graphs: NamedNode) -> None:
        self._hidden = self._hidden - set(graphs)
        self._visible_cache = None

    def _changed(self, *, bump: bool = True) -> None:
        if bump:
            self._revision += 1
            self._changed_at = datetime.now(UTC)
        self._visible_cache = None
        self._graphs_cache = None

    def _mark_pending(self, graph: NamedNode) -> None:
        self._store.update(mark_ops(graph))

    def _diff_ops(self, target: NamedNode, view: StagedGraph) -> str:
        """The update that turns ``target``, which ``view`` replaces, into the staged graph.

        A reload usually changes little: the differences are read first (streamed, outside
        the transaction) and written as DELETE DATA / INSERT DATA, which is cheap. Only when
        they are many, or involve blank nodes (which DATA operations cannot name), does the
        transaction compute the difference itself, which holds it all in memory.
        """
        diff = view.data_diff()
        if diff is not None:
            return diff
        return view.patch_ops() if isinstance(view, StagedDifference) else \
            swap_ops(target, view.name)

    def _stage_difference(self, staged: NamedNode, data: list[Quad | Triple],
                          replaces: NamedNode) -> StagedDifference | None:
        """Stage a reload of ``replaces`` as its difference (``graph.reload_difference``):
        only the records that changed and those linking to them; None (nothing staged) when
        the difference cannot be told by record."""
        new = as_ntriples(data)
        changed = changed_subjects(self._store.dump(format=RdfFormat.N_TRIPLES,
                                                    from_graph=replaces), new)
        if changed is None:
            return None
        focus = {iri.decode() for iri in changed}
        focus |= self._linking(focus, replaces)
        lines = lines_of(new, {iri.encode() for iri in focus})
        if lines.strip():
            self._store.bulk_load(input=io.BytesIO(lines), format=RdfFormat.N_TRIPLES,
                                  to_graph=staged)
        return StagedDifference(self, staged, replaces, sorted(focus))

    def _stage_records(self, staged: NamedNode, version: RecordVersion, replaces: NamedNode
                       ) -> StagedDifference | None:
        """Stage a reload of ``replaces`` given record by record: only the records whose
        digest differs from the table its last load kept, and those linking to them; None
        (nothing staged) without a table, or when too many changed."""
        old = self._table_of(replaces)
        if old is None or version.digests is None:
            return None
        changed = changed_records(old, version.digests)
        if len(changed) > MOST_CHANGED:
            return None
        # A record that links to a changed one in the new version only has changed itself.
        focus = changed | self._linking(changed, replaces)
        self._store.bulk_extend(Quad(t.subject, t.predicate, t.object, staged)
                                for t in version.triples(focus))
        return StagedDifference(self, staged, replaces, sorted(focus))

    def _linking(self, records: set[str], graph: NamedNode) -> set[str]:
        """The subjects of ``graph`` that link to one of ``records`` (N-Triples IRIs)."""
        targets = sorted(records)
        linking: set[str] = set()
        for start in range(0, len(targets), LOOKUP_BATCH):
            values = " ".join(targets[start:start + LOOKUP_BATCH])
            rows = self.raw_query(
                f"SELECT DISTINCT ?s {{ VALUES ?o {{ {values} }} GRAPH {graph} "
                f"{{ ?s ?p ?o }} }}", None, named_graphs=[graph])
            linking |= {str(row["s"]) for row in solutions(rows)}
        return linking

    def _table_of(self, graph: NamedNode) -> dict[str, int] | None:
        """The record digests that the last load of ``graph`` kept, if it kept any and
        nothing wrote the graph since."""
        if self._tables is None:
            return None
        for row in solutions(self.raw_query(
                f"SELECT ?t {{ GRAPH {META} {{ {graph} {KG.recordDigests} ?t }} }}", None,
                named_graphs=[META])):
            return self._tables.read(row["t"].value)
        return None

    def _keep_digests(self, version: RecordVersion, taken: set[str]) -> ProvenanceFacts:
        """Write the table of ``version``'s digests (the records the gate took triples of
        out marked as altered) and return the provenance fact that names it."""
        if self._tables is None or version.digests is None:
            return []
        table = dict(version.digests)
        table.update(dict.fromkeys(taken, ALTERED))
        return [(KG.recordDigests, Literal(self._tables.write(table)))]

    def _prune_tables(self) -> None:
        """Remove the digest tables that no graph's provenance names any more."""
        if self._tables is None or not self._tables.held():
            return    # most stores never harvest: no query on every load
        self._tables.keep_only(str(row["t"].value) for row in solutions(self.raw_query(
            f"SELECT ?t {{ GRAPH {META} {{ ?g {KG.recordDigests} ?t }} }}", None,
            named_graphs=[META])))

    def changes(self, target: NamedNode, staged: NamedNode, *,
                subjects: list[str] | None = None) -> Changes | None:
        """The triples only ``target`` holds and those only ``staged`` holds (of only these
        ``subjects``, N-Triples IRIs, if given), as N-Triples terms; None when they are more
        than ``DIFF_AS_DATA_LIMIT`` or name blank nodes."""
        found: Changes = ([], [])
        pairs = ((found[0], target, staged), (found[1], staged, target))
        batches = [""] if subjects is None else [
            f"VALUES ?s {{ {' '.join(subjects[i:i + LOOKUP_BATCH])} }}"
            for i in range(0, len(subjects), LOOKUP_BATCH)]
        for lines, source, other in pairs:
            for values in batches:
                rows = self.raw_query(
                    f"SELECT ?s ?p ?o WHERE {{ {values} GRAPH {source} {{ ?s ?p ?o }} "
                    f"FILTER NOT EXISTS {{ GRAPH {other} {{ ?s ?p ?o }} }} }}", None,
                    named_graphs=[source, other])
                for terms in solutions(rows):
                    if any(isinstance(t, BlankNode) for t in terms) or \
                            len(found[0]) + len(found[1]) >= DIFF_AS_DATA_LIMIT:
                        return None
                    lines.append(tuple(str(t) for t in terms))
        return found

    def _read_revision(self) -> int:
        rows = solutions(self.raw_query(
            f"SELECT ?r ?m {{ GRAPH {META} {{ OPTIONAL {{ {META} kg:revision ?r }} "
            f"OPTIONAL {{ {META} dct:modified ?m }} }} }}", None, named_graphs=[META]))
        revision, stamp = 0, None
        for row in rows:
            if row["r"] is not None:
                revision = max(revision, int(row["r"].value))
            if row["m"] is not None:
                stamp = row["m"].value
        self._changed_at = _parse_stamp(stamp)
        return revision

    def _recover(self) -> None:
        """Finish what a crash interrupted: drop staging graphs and half-loaded graphs."""
        rows = solutions(self.raw_query(
            f"SELECT ?g {{ GRAPH {META} {{ ?g kg:pendingRemoval true }} }}",
            None, named_graphs=[META]))
        pending = [row["g"] for row in rows]
        leftovers = [g for g in self._store.named_graphs()
                     if isinstance(g, NamedNode) and g.value.startswith(STAGING_PREFIX)]
        for graph in [*pending, *leftovers]:
            self._wipe(graph)
        for graph in pending:
            self._store.update(unmark_ops(graph))


def _renamed(triple: Triple, names: dict[Any, Any]) -> Triple:
    """``triple`` with the terms in ``names`` replaced."""
    if not any(t in names for t in (triple.subject, triple.object)):
        return triple
    return Triple(names.get(triple.subject, triple.subject), triple.predicate,
                  names.get(triple.object, triple.object))


def _line_changes(old: set[bytes], new_text: bytes) -> Changes | None:
    """The difference between two graphs written as N-Triples by pyoxigraph (one triple
    per line, terms single-spaced); None when it is more than ``DIFF_AS_DATA_LIMIT`` triples
    or names blank nodes or quoted triples."""
    new = set(new_text.splitlines())
    removed, added = old - new, new - old
    if len(removed) + len(added) > DIFF_AS_DATA_LIMIT:
        return None
    found: Changes = ([], [])
    for lines, terms in ((removed, found[0]), (added, found[1])):
        for line in sorted(lines):
            subject, predicate, rest = line.decode("utf-8").split(" ", 2)
            value = rest.removesuffix(" .")
            if subject.startswith(("_:", "<<")) or value.startswith(("_:", "<<")):
                return None
            terms.append((subject, predicate, value))
    return found


def _files(data: RdfFile | RdfFiles) -> tuple[RdfFile, ...]:
    return data.files if isinstance(data, RdfFiles) else (data,)


def _stamps(data: GraphData) -> list[tuple[int, int]]:
    """Size and modification time of each file of ``data``."""
    if not isinstance(data, RdfFile | RdfFiles):
        return []
    stats = [f.path.stat() for f in _files(data)]
    return [(stat.st_size, stat.st_mtime_ns) for stat in stats]


def _parse_stamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

