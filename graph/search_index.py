"""The full-text and facet index of the browse UI: SQLite FTS5, kept in step with the store.

Why not SPARQL: a `CONTAINS` scan per query grows with the catalogue and cannot fold
Vietnamese diacritics (đ/Đ included); facet counts by GROUP BY over the graph time out at
scale. The index holds one row per searchable record (dataset, organisation, administrative
unit) with its text folded by ``graph.text.fold``, and its facet values (IRIs), per source
graph. ``sync`` compares each graph's signature (triple count and load time) with what was
indexed and re-indexes only the graphs that changed, in one SQLite transaction: a reader sees
the index before or after, never half of it. A load can read a source's rows from the data it
has just checked, while the store writes it (``prepare``, ``offer``): on disk the store's terms
decode ten times slower than in the check's memory copy. A record's rows also hold what it
takes from other graphs (its publisher's and place's names, the units its place lies in), so
a sync also reads again the records whose publisher or place changed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import tempfile
import threading
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from graph.namespaces import DCAT, DCT, FOAF, KG, ORG, SKOS, UNIT_LEVEL, graph_iri
from graph.processes import alive
from graph.queries import load_query
from graph.sparql_text import with_terms, with_values_in_graphs
from graph.store import GraphInfo, GraphStore, QueryResult, Staging, solutions
from graph.text import fold

# A temporary index is named after the process that owns it: kg-search-<pid>-<random>.sqlite.
TEMP_PREFIX = "kg-search-"
KINDS = {DCAT.Dataset.value: "dataset", ORG.FormalOrganization.value: "organisation",
         KG.AdministrativeUnit.value: "place"}
KIND_LIST = ", ".join(str(NamedNode(kind)) for kind in KINDS)
# Records looked up per query when those a graph took along are looked for in others.
ADOPT_BATCH = 5_000
# The facets a search can be narrowed by, in the order the page shows them.
FACETS = ("kind", "theme", "field", "publisher", "format", "licence", "province", "year",
          "org_kind", "unit_kind", "scheme")
# Facets a search can be narrowed by but that are not counted (too many values to show).
FILTER_ONLY = ("place",)
TITLE_FIELDS = frozenset((DCT.title.value, SKOS.prefLabel.value, FOAF.name.value))
BODY_FIELDS = frozenset((DCT.description.value, DCAT.keyword.value, SKOS.altLabel.value,
                         SKOS.notation.value, KG.acronym.value, DCT.identifier.value,
                         DCT.references.value))  # the names of linked places and publishers
_TITLE, _NOTATION, _DESCRIPTION = DCT.title.value, SKOS.notation.value, DCT.description.value
# How many links beyond a source's own triples its rows are read: an organisation's address
# (maybe another graph's) -> its unit -> the unit's parent -> the parent's parent, the
# longest path of search_facets.rq.
REACH = 3
# Above this many changed records, a reloaded graph is indexed whole again.
CHANGED_LIMIT = 5_000
MAX_TERMS = 12
ANSWERS_KEPT = 512
META_GRAPH = graph_iri("meta")
CHANGES_GRAPH = graph_iri("changes")
# Every value is bound; the statements below are put together only from these constant parts
# (which is why ruff's S608 is silenced where they are joined).
FACET_FILTER = ("d.id IN (SELECT doc FROM facets WHERE name = ? "
                "AND value IN (SELECT value FROM json_each(?)))")
SCHEMA = """
CREATE TABLE IF NOT EXISTS graphs (graph TEXT PRIMARY KEY, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, graph TEXT NOT NULL, kind TEXT NOT NULL,
    title_vi TEXT, title_en TEXT, summary_vi TEXT, summary_en TEXT,
    modified TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS docs_graph ON docs (graph);
CREATE INDEX IF NOT EXISTS docs_listing ON docs (kind, modified DESC, id);
CREATE TABLE IF NOT EXISTS facets (doc INTEGER NOT NULL, name TEXT NOT NULL,
                                   value TEXT NOT NULL, PRIMARY KEY (doc, name, value))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facets_value ON facets (name, value, doc);
CREATE TABLE IF NOT EXISTS labels (iri TEXT NOT NULL, lang TEXT NOT NULL, label TEXT NOT NULL,
                                   PRIMARY KEY (iri, lang)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS docs_text USING fts5(title, body, tokenize='unicode61');
"""


@dataclass(frozen=True)
class Hit:
    iri: str
    kind: str
    title: str
    summary: str
    modified: str


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    # facet name -> [(value IRI or literal, label, count)], most frequent first
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    next_cursor: str | None = None


def index_beside(store: GraphStore) -> str:
    """Where an on-disk store keeps its search index (empty for other stores)."""
    path = getattr(store, "path", None)
    return f"{Path(path).resolve()}-search.sqlite" if path else ""


class SearchIndex:
    """One SQLite database file; ``None`` makes a temporary one (removed by ``close``)."""

    def __init__(self, path: Path | None = None) -> None:
        self._remove: weakref.finalize[[Path], SearchIndex] | None = None
        if path is None:
            _remove_orphans(Path(tempfile.gettempdir()))
            handle, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-",
                                            suffix=".sqlite")
            os.close(handle)
            path = Path(name)
            # Also when the index is never closed (an app that simply goes away): at the
            # latest when the interpreter exits.
            self._remove = weakref.finalize(self, _remove_files, path)
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._revision: int | None = None
        # Answers by their arguments, dropped whenever a sync changes the index: the
        # unfiltered listings (home page, "all datasets") cost a GROUP BY over every facet row.
        self._answers: OrderedDict[tuple[object, ...], SearchPage] = OrderedDict()
        self._answers_lock = threading.Lock()
        self._generation = 0
        self._offered: dict[str, tuple[str, PreparedGraph]] = {}
        with self._connection() as db:
            db.executescript(SCHEMA)

    # -- keeping in step ---------------------------------------------------------------------

    def offer(self, info: GraphInfo, prepared: PreparedGraph) -> None:
        """What a load read for the index (``prepare``), for the next ``sync`` to take instead
        of reading the whole graph again, if the graph is still what ``info`` says."""
        with self._write_lock:
            self._offered[info.name.value] = (signature(info), prepared)

    @property
    def revision(self) -> int | None:
        """The store revision the index was last brought up to date with."""
        return self._revision

    def sync(self, store: GraphStore) -> list[str]:
        """Re-index the graphs that changed since the last sync; return their names."""
        revision = store.revision()
        if revision == self._revision:
            return []
        with self._write_lock:
            if revision == self._revision:
                return []
            changed = self._sync(store)
            self._revision = revision
        return changed

    def _sync(self, store: GraphStore) -> list[str]:
        # The provenance graph and the change record change with every commit and hold no
        # records to search.
        current = {info.name.value: signature(info)
                   for info in store.graphs() if info.name not in (META_GRAPH, CHANGES_GRAPH)}
        with self._connection() as db:
            indexed = dict(db.execute("SELECT graph, signature FROM graphs").fetchall())
        changed = [g for g, sig in current.items() if indexed.get(g) != sig]
        gone = [g for g in indexed if g not in current]
        if not changed and not gone:
            return []
        provinces = {row["unit"].value for row in solutions(store.query(
            "SELECT ?unit ?level WHERE { ?unit a kg:AdministrativeUnit ; kg:unitLevel ?level }",
            bindings={"level": UNIT_LEVEL.province}))}
        records = {}
        # Graphs of which only some records changed since the version indexed: those records.
        partly: dict[str, list[NamedNode]] = {}
        for graph in changed:
            offered = self._offered.pop(graph, None)
            prepared = offered[1] if offered and offered[0] == current[graph] else None
            if prepared is not None and prepared.changed is None:
                records[graph] = prepared.records
            elif prepared is not None and indexed.get(graph) == prepared.base:
                partly[graph] = sorted(prepared.changed or (), key=lambda iri: iri.value)
                present = _kept_records(store.query, NamedNode(graph), partly[graph])
                records[graph] = (_records(store.query, NamedNode(graph), present)
                                  if present else [])
            else:
                records[graph] = _records(store.query, NamedNode(graph))
        labels = list(_labels(store))
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                whole = [g for g in (*changed, *gone) if g not in partly]
                before = _linked_fingerprints(db, whole, partly)
                dropped: set[str] = set()
                for graph in (*changed, *gone):
                    if graph in partly:
                        dropped |= _forget_records(db, graph, partly[graph])
                        db.execute("DELETE FROM graphs WHERE graph = ?", (graph,))
                    else:
                        dropped |= _forget(db, graph)
                for graph, rows in records.items():
                    dropped -= _insert(db, graph, rows, provinces)
                    db.execute("INSERT INTO graphs VALUES (?, ?)", (graph, current[graph]))
                _adopt(db, store.query, dropped, provinces)
                after = _linked_fingerprints(db, whole, partly)
                moved = {iri for iri in before.keys() | after.keys()
                         if before.get(iri) != after.get(iri)}
                _refresh_linking(db, store.query, moved, whole, partly, provinces)
                db.execute("DELETE FROM labels")
                db.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?, ?)", labels)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        with self._answers_lock:
            # A search that began before this sync stores its page under the old generation,
            # where no later search looks.
            self._generation += 1
            self._answers.clear()
        return [*changed, *gone]

    # -- searching ---------------------------------------------------------------------------

    def search(self, text: str = "", filters: Mapping[str, Iterable[str]] | None = None, *,
               lang: str = "vi", cursor: str | None = None, limit: int = 20,
               facet_limit: int = 12) -> SearchPage:
        """Records matching every word of ``text`` (any order, prefix match, case and
        diacritics folded) and, per facet, any of its values; best first, or most recently
        modified first without text. ``cursor`` continues after a page's last hit."""
        chosen = tuple(sorted((k, tuple(sorted(v))) for k, v in (filters or {}).items()))
        key = (self._generation, text, chosen, lang, cursor, limit, facet_limit)
        with self._answers_lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                return found
        page = self._search(text, filters, lang=lang, cursor=cursor, limit=limit,
                            facet_limit=facet_limit)
        with self._answers_lock:
            self._answers[key] = page
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)
        return page

    def _search(self, text: str, filters: Mapping[str, Iterable[str]] | None, *, lang: str,
                cursor: str | None, limit: int, facet_limit: int) -> SearchPage:
        lang = lang if lang in ("vi", "en") else "vi"
        terms = re.findall(r"\w+", fold(text))[:MAX_TERMS]
        match = " AND ".join(f'"{term}"*' for term in terms)
        where, params = [], []
        for name, values in (filters or {}).items():
            chosen = [v for v in values if v]
            if (name not in FACETS and name not in FILTER_ONLY) or not chosen:
                continue
            where.append(FACET_FILTER)
            params += [name, json.dumps(chosen)]
        condition = " AND ".join(where) or "1"
        if match:
            # Records with the words side by side, in order, come first ("không khí" before
            # a record that has "không" in its text and "Khí tượng" in its publisher).
            phrase = '"' + " ".join(terms) + '"*'
            matched = ("SELECT d.id, bm25(docs_text, 8.0, 1.0) - 100.0 * (d.id IN "  # noqa: S608
                       "(SELECT rowid FROM docs_text WHERE docs_text MATCH ?)) AS rank "
                       "FROM docs_text JOIN docs d ON d.id = docs_text.rowid "
                       f"WHERE docs_text MATCH ? AND {condition}")
            params = [phrase, match, *params]
            order, key = "m.rank, m.id", "m.rank"
        else:
            matched = f"SELECT d.id, d.modified AS rank FROM docs d WHERE {condition}"  # noqa: S608
            order, key = "m.rank DESC, m.id", "m.rank"
        after, after_params = "1", []
        if cursor:
            rank, last = _decode(cursor)
            compare = ">" if match else "<"
            after = f"({key} {compare} ? OR ({key} = ? AND m.id > ?))"
            after_params = [rank, rank, last]
        title, summary = (f"COALESCE(d.title_{lang}, d.title_{_other(lang)}, d.iri)",
                          f"COALESCE(d.summary_{lang}, d.summary_{_other(lang)}, '')")
        with self._connection() as db:
            rows = db.execute(
                f"WITH m AS ({matched}) SELECT d.iri, d.kind, {title}, {summary}, d.modified, "  # noqa: S608
                f"m.rank, m.id FROM m JOIN docs d ON d.id = m.id WHERE {after} "
                f"ORDER BY {order} LIMIT ?", [*params, *after_params, limit + 1]).fetchall()
            total = db.execute(f"WITH m AS ({matched}) SELECT COUNT(*) FROM m",  # noqa: S608
                               params).fetchone()[0]
            counts = db.execute(
                f"WITH m AS ({matched}) SELECT f.name, f.value, COUNT(*) AS n FROM m "  # noqa: S608
                "JOIN facets f ON f.doc = m.id WHERE f.name != 'place' GROUP BY f.name, f.value "
                "ORDER BY f.name, n DESC, f.value", params).fetchall()
            facets: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
            for name, value, count in counts:
                if len(facets[name]) < facet_limit:
                    facets[name].append((value, value, count))
            wanted = {value for values in facets.values() for value, _, _ in values}
            names = self._labels(db, wanted, lang)
        page = SearchPage(
            hits=[Hit(iri, kind, title_, summary_, modified)
                  for iri, kind, title_, summary_, modified, _, _ in rows[:limit]],
            total=total,
            facets={name: [(v, names.get(v, _short(v)), n) for v, _, n in facets[name]]
                    for name in FACETS if name in facets})
        if len(rows) > limit:
            last = rows[limit - 1]
            page.next_cursor = _encode(last[5], last[6])
        return page

    def graph_of(self, iri: str) -> str | None:
        """The source graph a record was indexed from."""
        with self._connection() as db:
            row = db.execute("SELECT graph FROM docs WHERE iri = ?", (iri,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _labels(db: sqlite3.Connection, iris: set[str], lang: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for iri, label_lang, label in db.execute(
                "SELECT iri, lang, label FROM labels WHERE iri IN "
                "(SELECT value FROM json_each(?))", (json.dumps(sorted(iris)),)):
            if label_lang == lang or iri not in found:
                found[iri] = label
        return found

    def close(self) -> None:
        connection = getattr(self._local, "db", None)
        if connection is not None:
            connection.close()
            self._local.db = None
        if self._remove is not None:
            self._remove()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One connection per thread; WAL lets readers go on while a sync writes.
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        yield db


@dataclass
class _Record:
    iri: str
    kind: str
    titles: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    body: list[str] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    facets: set[tuple[str, str]] = field(default_factory=set)
    codes: list[str] = field(default_factory=list)
    # The title and body as the full-text index holds them.
    folded: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class PreparedGraph:
    """What a load read for the index: all of a source's rows; or, for a reload that changed
    a few records, which ones (their rows are read once committed) and the signature of the
    version that the change applies to."""

    records: list[_Record] = field(default_factory=list)
    changed: frozenset[NamedNode] | None = None
    base: str | None = None


def prepare(staging: Staging, base: str | None = None) -> PreparedGraph | None:
    """Read what the index needs of a graph being loaded, from the store as it will be once
    the graph is committed (for ``SearchIndex.offer``): run as the store's ``then``, with
    ``REACH``. ``base`` is the signature of the version being replaced, if any. None when
    reading it all now would gain nothing (the source is not a memory copy)."""
    if base is not None:
        # A record's rows change when a triple changes about it or about what it links to
        # (its distributions, its address and that address's unit), in this graph.
        affected = staging.changed_subjects(CHANGED_LIMIT, hops=REACH - 1)
        if affected is not None:
            return PreparedGraph(changed=frozenset(NamedNode(iri[1:-1]) for iri in affected),
                                 base=base)
    if not staging.is_copy:
        return None
    return PreparedGraph(_records(staging.query_committed, staging.name))


def signature(info: GraphInfo) -> str:
    """What tells two versions of a graph apart: its triple count and load time."""
    return f"{info.triples}|{info.loaded_at}"


Query = Callable[[str], QueryResult]


def _records(query: Query, graph: NamedNode, only: Sequence[NamedNode] | None = None
             ) -> list[_Record]:
    """The rows of ``graph``'s records (of ``only`` these, if given)."""
    found: dict[str, _Record] = {}

    def query_text(name: str, docs: Sequence[NamedNode] | None) -> str:
        sparql = load_query(name)
        if docs is not None:
            sparql = with_values_in_graphs(sparql, "g", "doc", docs)
        # Written in, not bound: a bound ?g does not reach into the UNION branches (see
        # graph.sparql_text.with_terms), which then run over every graph.
        return with_terms(sparql, {"g": graph})

    facets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    if only is None:
        # The store lets go of the GIL while it evaluates: the facets are read side by side
        # with the documents (on the 10k catalogue, 3.8 s of queries one after the other).
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(_facets, query, query_text("search_facets", None))
            _documents(query, query_text("search_documents", None), found)
            facets = reading.result()
    else:
        # A record at a time: a VALUES list of many records in the graph blocks is compared
        # with every row (1,000 records of the 100k catalogue took 61 s; one took 4.5 ms).
        for name in only:
            _documents(query, query_text("search_documents", [name]), found)
            for doc, values in _facets(query, query_text("search_facets", [name])).items():
                facets[doc] |= values
    for doc, values in facets.items():
        owner = found.get(doc)
        if owner is not None:
            owner.facets |= values
    for record in found.values():
        record.facets.add(("kind", record.kind))
        if record.kind == "place":
            for lang, pattern in PLACE_SUMMARY.items():
                parts = [pattern.format(code=record.codes[0])] if record.codes else []
                if "validUntil" in record.dates:
                    parts.append(UNTIL[lang].format(record.dates["validUntil"]))
                record.summaries[lang] = " · ".join(parts)
        year = (record.dates.get("startDate") or record.dates.get("issued")
                or record.dates.get("validFrom") or "")[:4]
        if year.isdigit():
            record.facets.add(("year", year))
        # In a fixed order: the engines of a memory and of an on-disk store give rows in
        # different orders, and an index must not depend on where its rows were read.
        record.folded = (fold(" ".join(text for _, text in sorted(record.titles.items()))),
                         fold(" ".join(sorted(record.body))))
    return list(found.values())


def _kept_records(query: Query, graph: NamedNode, names: Sequence[NamedNode]
                  ) -> list[NamedNode]:
    """Those of ``names`` that are searchable records of ``graph`` (the others are no records,
    such as distributions, or are gone)."""
    if not names:
        return []
    # VALUES outside the graph block, ?kind unbound: each name is looked up (3 ms for 200
    # names where the narrower form took seconds).
    rows = query(f"SELECT ?doc ?kind {{ VALUES ?doc {{ {' '.join(str(name) for name in names)} "
                 f"}} GRAPH {graph} {{ ?doc a ?kind }} }}")
    return sorted({doc for doc, kind in solutions(rows) if kind.value in KINDS},
                  key=lambda doc: doc.value)


def _documents(query: Query, sparql: str, found: dict[str, _Record]) -> None:
    # A row per value (115k on the 10k catalogue): unpacked in the SELECT's order, which is
    # twice as fast as taking the variables by name.
    for doc, kind, prop, value in solutions(query(sparql)):
        iri = doc.value
        record = found.get(iri)
        if record is None:
            record = found[iri] = _Record(iri, KINDS[kind.value])
        if not isinstance(value, Literal):
            continue
        lang, text, name = value.language or "", value.value, prop.value
        if name in TITLE_FIELDS:
            if lang in ("vi", "en") and (lang not in record.titles or name == _TITLE):
                record.titles[lang] = text
            elif not lang:
                record.titles.setdefault("vi", text)
            record.body.append(text)
        elif name in BODY_FIELDS:
            record.body.append(text)
            if name == _NOTATION:
                record.codes.append(text)
            if name == _DESCRIPTION and lang in ("vi", "en"):
                record.summaries[lang] = _summary(text)
        else:
            record.dates[name.rsplit("#", 1)[-1].rsplit("/", 1)[-1]] = text


def _facets(query: Query, sparql: str) -> dict[str, set[tuple[str, str]]]:
    facets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for doc, name, value in solutions(query(sparql)):
        facets[doc.value].add((name.value, value.value))
    return facets


# How a record or facet value that no longer exists (a unit before the 2025 reform) is told
# apart from its namesake of today.
UNTIL = {"vi": "đến {}", "en": "until {}", "": "–{}"}
PLACE_SUMMARY = {"vi": "Mã {code}", "en": "Code {code}"}


def _labels(store: GraphStore) -> Iterator[tuple[str, str, str]]:
    for row in solutions(store.query(load_query("search_labels"))):
        label = row["label"]
        if isinstance(label, Literal):
            lang = label.language or ""
            text = label.value
            if row["until"] is not None:
                text += f" ({UNTIL.get(lang, UNTIL['']).format(row['until'].value)})"
            yield row["value"].value, lang, text


def _insert(db: sqlite3.Connection, graph: str, records: Sequence[_Record],
            provinces: set[str]) -> set[str]:
    """Write the rows of ``records`` for ``graph``; return their IRIs. A record has one row:
    one that another graph also describes (its text is read from every graph) moves here."""
    iris = [record.iri for record in records]
    _forget_iris(db, iris)
    # Ids are given here, so that every table is written by one executemany. Past the largest
    # in any table: indexes written before rows moved cleanly between graphs may hold text
    # and facet rows of records that are gone.
    start = db.execute("SELECT MAX(COALESCE((SELECT MAX(id) FROM docs), 0), "
                       "COALESCE((SELECT MAX(rowid) FROM docs_text), 0), "
                       "COALESCE((SELECT MAX(doc) FROM facets), 0))").fetchone()[0] + 1
    docs, texts, facets = [], [], []
    for doc, record in enumerate(records, start):
        docs.append((doc, record.iri, graph, record.kind, record.titles.get("vi"),
                     record.titles.get("en"), record.summaries.get("vi"),
                     record.summaries.get("en"),
                     record.dates.get("modified") or record.dates.get("issued") or ""))
        texts.append((doc, *record.folded))
        for name, value in record.facets:
            facets.append((doc, name, value))
            # Provinces as the store knows them now, whenever the rows were read.
            if name == "place" and value in provinces:
                facets.append((doc, "province", value))
    db.executemany("INSERT INTO docs (id, iri, graph, kind, title_vi, title_en, "
                   "summary_vi, summary_en, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
    db.executemany("INSERT INTO docs_text (rowid, title, body) VALUES (?, ?, ?)", texts)
    db.executemany("INSERT OR IGNORE INTO facets VALUES (?, ?, ?)", facets)
    return set(iris)


def _forget_iris(db: sqlite3.Connection, iris: Sequence[str]) -> None:
    """Remove the rows of these records, whichever graph they were indexed from."""
    if not iris:
        return
    chosen = "SELECT id FROM docs WHERE iri IN (SELECT value FROM json_each(?))"
    names = json.dumps(list(iris))
    db.execute(f"DELETE FROM docs_text WHERE rowid IN ({chosen})", (names,))  # noqa: S608
    db.execute(f"DELETE FROM facets WHERE doc IN ({chosen})", (names,))  # noqa: S608
    db.execute("DELETE FROM docs WHERE iri IN (SELECT value FROM json_each(?))", (names,))


def _adopt(db: sqlite3.Connection, query: Query, dropped: set[str], provinces: set[str]
           ) -> None:
    """Index again, under another graph, the records whose rows went with a graph (or a
    change to one) but which another graph still describes."""
    names = sorted(dropped)
    owners: dict[str, list[NamedNode]] = defaultdict(list)
    for start in range(0, len(names), ADOPT_BATCH):
        values = " ".join(str(NamedNode(iri)) for iri in names[start:start + ADOPT_BATCH])
        # VALUES outside the graph block, the graph unbound: a lookup per name.
        rows = query(f"SELECT ?doc (MIN(STR(?g)) AS ?graph) {{ VALUES ?doc {{ {values} }} "
                     f"GRAPH ?g {{ ?doc a ?kind }} FILTER(?kind IN ({KIND_LIST})) }} "
                     "GROUP BY ?doc")
        for doc, graph in solutions(rows):
            owners[graph.value].append(doc)
    for graph, docs in sorted(owners.items()):
        _insert(db, graph, _records(query, NamedNode(graph), docs), provinces)


def _linked_fingerprints(db: sqlite3.Connection, whole: Sequence[str],
                         partly: Mapping[str, Sequence[NamedNode]]) -> dict[str, str]:
    """What other records take from each organisation and place among these (the graphs
    ``whole``, the records ``partly``): its text (names included) and the places it lies in.
    A dataset's body holds its publisher's and place's names, its place facets the units its
    place lies in."""
    chosen: list[tuple[str, tuple[str, ...]]] = [("d.graph = ?", (graph,)) for graph in whole]
    chosen += [("d.graph = ? AND d.iri IN (SELECT value FROM json_each(?))",
                (graph, json.dumps([name.value for name in names])))
               for graph, names in partly.items()]
    found: dict[str, str] = {}
    for condition, arguments in chosen:
        rows = db.execute(
            "SELECT d.iri, t.title || char(31) || t.body || char(31) || COALESCE(("  # noqa: S608
            "SELECT group_concat(value, ' ') FROM (SELECT value FROM facets "
            "WHERE doc = d.id AND name = 'place' ORDER BY value)), '') "
            "FROM docs d JOIN docs_text t ON t.rowid = d.id "
            f"WHERE {condition} AND d.kind IN ('organisation', 'place')", arguments)
        found.update(rows.fetchall())
    return found


def _refresh_linking(db: sqlite3.Connection, query: Query, moved: set[str],
                     whole: Sequence[str], partly: Mapping[str, Sequence[NamedNode]],
                     provinces: set[str]) -> None:
    """Read again the records of other graphs whose publisher or place is one of ``moved``
    (renamed, gone, come, or now in other units): their rows hold what it was. A graph with
    more than ``CHANGED_LIMIT`` of them is read whole."""
    if not moved:
        return
    rows = db.execute(
        "SELECT DISTINCT d.graph, d.iri FROM facets f JOIN docs d ON d.id = f.doc "
        "WHERE f.name IN ('publisher', 'place') AND f.value IN "
        "(SELECT value FROM json_each(?))", (json.dumps(sorted(moved)),)).fetchall()
    fresh = {(graph, name.value) for graph, names in partly.items() for name in names}
    linking: dict[str, list[NamedNode]] = defaultdict(list)
    for graph, iri in rows:
        if graph not in whole and (graph, iri) not in fresh:
            linking[graph].append(NamedNode(iri))
    for graph, names in sorted(linking.items()):
        only = names if len(names) <= CHANGED_LIMIT else None
        _insert(db, graph, _records(query, NamedNode(graph), only), provinces)


def _forget_records(db: sqlite3.Connection, graph: str, records: Sequence[NamedNode]
                    ) -> set[str]:
    """Remove these records' rows indexed from ``graph``; return the IRIs removed."""
    chosen = ("SELECT id FROM docs WHERE graph = ? AND iri IN "
              "(SELECT value FROM json_each(?))")
    names = json.dumps([record.value for record in records])
    removed = {iri for (iri,) in db.execute(
        "SELECT iri FROM docs WHERE graph = ? AND iri IN (SELECT value FROM json_each(?))",
        (graph, names))}
    db.execute(f"DELETE FROM docs_text WHERE rowid IN ({chosen})", (graph, names))  # noqa: S608
    db.execute(f"DELETE FROM facets WHERE doc IN ({chosen})", (graph, names))  # noqa: S608
    db.execute("DELETE FROM docs WHERE graph = ? AND iri IN (SELECT value FROM json_each(?))",
               (graph, names))
    return removed


def _forget(db: sqlite3.Connection, graph: str) -> set[str]:
    """Remove every row indexed from ``graph``; return the IRIs removed."""
    removed = {iri for (iri,) in db.execute("SELECT iri FROM docs WHERE graph = ?", (graph,))}
    db.execute("DELETE FROM docs_text WHERE rowid IN (SELECT id FROM docs WHERE graph = ?)",
               (graph,))
    db.execute("DELETE FROM facets WHERE doc IN (SELECT id FROM docs WHERE graph = ?)", (graph,))
    db.execute("DELETE FROM docs WHERE graph = ?", (graph,))
    db.execute("DELETE FROM graphs WHERE graph = ?", (graph,))
    return removed


def _remove_orphans(folder: Path) -> None:
    """Remove the temporary indexes of processes that have gone: one stopped by a signal
    (a `kg serve` worker on a remote store, as granian stops it) runs no exit hook."""
    for found in folder.glob(f"{TEMP_PREFIX}*.sqlite"):
        owner = found.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not alive(int(owner)):
            _remove_files(found)


def _remove_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _summary(text: str, size: int = 240) -> str:
    return text if len(text) <= size else text[:size].rsplit(" ", 1)[0] + "…"


def _other(lang: str) -> str:
    return "en" if lang == "vi" else "vi"


def _short(value: str) -> str:
    return value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _encode(rank: object, last: int) -> str:
    raw = json.dumps([rank, last]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[object, int]:
    """The position a cursor stands for; a bad cursor is a ValueError (the caller's 400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        rank, last = json.loads(raw)
    except (ValueError, TypeError) as error:
        raise ValueError(f"not a cursor of this index: {cursor!r}") from error
    if not isinstance(last, int) or not isinstance(rank, str | int | float):
        raise ValueError(f"not a cursor of this index: {cursor!r}")
    return rank, last
