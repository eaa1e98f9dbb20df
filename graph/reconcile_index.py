"""Names of organisations, administrative units and concepts, indexed for reconciliation: a
name typed by a person (with or without diacritics, a former or a current unit) to the
records it most likely means, scored, with the facts that decided the score.

Scoring, out of 100: a name equal to one of the record's names letter for letter (case aside)
is 100 (when typed with diacritics), equal once diacritics and the kind word ("Tỉnh",
"Phường"...) are dropped 98, else the fuzzy similarity of the folded names times 0.95, or
about 0.85 when the words typed are all among a longer name's (so a guess is rarely taken
for certain).
Units that ceased to exist on 1 July 2025 lose 2 points: "Hà Nội" means the city of today,
while "Quảng Bình", which only a former unit is called, still finds that unit. Properties
(province, parent, code, edition, scheme) confirm a candidate or cost it points. A candidate
is a ``match`` when it scores at least 90 and is ahead of the next one.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pyoxigraph import NamedNode
from rapidfuzz import fuzz, process

from graph.namespaces import UNIT_LEVEL, scheme_iri
from graph.queries import load_query
from graph.search_index import CHANGES_GRAPH, META_GRAPH, signature
from graph.store import GraphStore, solutions
from graph.text import fold, name_key

UNIT_KINDS = ("province", "district", "commune")
KINDS = ("organisation", *UNIT_KINDS, "concept")
# A type a client may ask for, and the kinds of record it covers.
TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "organisation": ("organisation",), "place": UNIT_KINDS, "province": ("province",),
    "district": ("district",), "commune": ("commune",), "concept": ("concept",)}
EDITIONS = {scheme_iri(f"admin-units-{e}").value: e for e in ("2025", "pre-2025")}
LEVELS = {UNIT_LEVEL[name].value: name for name in UNIT_KINDS}
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}

EXACT, FOLDED, FUZZY_WEIGHT, FORMER_PENALTY = 100.0, 98.0, 0.95, 2.0
# Every word of one name among the other's words ("Hội Tin học" in "Hội Tin học Việt Nam").
PART_WEIGHT = 0.85
# Between namesakes, the larger unit: "Bắc Giang" alone means the province rather than its
# town of the same name (typed in full, "Thành phố Bắc Giang", it is the town: 100 to 98).
LEVEL_PENALTY = {"district": 0.5, "commune": 1.0}
MATCH_SCORE = 90.0
MISMATCH = {"province": 30.0, "parent": 20.0, "code": 30.0, "edition": 30.0, "scheme": 30.0}
FUZZY_CUTOFF = 60.0


@dataclass(eq=False)  # one object per record: hashed by identity
class Entity:
    """One record that a name may mean."""

    iri: str
    kind: str
    name: str
    name_en: str = ""
    names: set[str] = field(default_factory=set)
    code: str = ""
    edition: str = ""
    until: str = ""
    parent: str = ""
    successors: list[str] = field(default_factory=list)
    acronym: str = ""
    org_kind: str = ""
    units: list[str] = field(default_factory=list)        # an organisation's cited units
    current_units: list[str] = field(default_factory=list)
    scheme: str = ""
    scheme_name: str = ""
    broader: list[str] = field(default_factory=list)

    @property
    def former(self) -> bool:
        return bool(self.until)

    def exact_keys(self) -> set[str]:
        return {" ".join(n.casefold().split()) for n in self.names}

    def folded_keys(self) -> set[str]:
        return {key for n in self.names for key in (fold(n), name_key(n))} - {""}


@dataclass(frozen=True)
class Query:
    """One reconciliation query: the text, the kinds it may be, how many candidates."""

    text: str
    kinds: tuple[str, ...] = KINDS
    limit: int = 5
    properties: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass
class Candidate:
    entity: Entity
    score: float
    features: dict[str, float | bool] = field(default_factory=dict)
    match: bool = False


class ReconcileIndex:
    """Every reconcilable record, by folded name (exact lookups) and per kind (fuzzy ones)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.entities: dict[str, Entity] = {e.iri: e for e in entities}
        self._exact: dict[str, list[Entity]] = defaultdict(list)
        self._folded: dict[str, list[Entity]] = defaultdict(list)
        choices: dict[str, dict[str, list[Entity]]] = {k: defaultdict(list) for k in KINDS}
        for entity in self.entities.values():
            for key in entity.exact_keys():
                self._exact[key].append(entity)
            for key in entity.folded_keys():
                self._folded[key].append(entity)
                choices[entity.kind][key].append(entity)
        # Parallel lists, as rapidfuzz's extract wants them: the keys, and who owns each.
        self._choice_keys = {k: list(v) for k, v in choices.items()}
        self._choice_owners = {k: list(v.values()) for k, v in choices.items()}

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def from_store(cls, store: GraphStore) -> ReconcileIndex:
        """Read organisations, units and concepts from the store (three queries)."""
        entities: dict[str, Entity] = {}
        _read_units(store, entities)
        _read_organisations(store, entities)
        _read_concepts(store, entities)
        return cls(entities.values())

    # -- questions about one record -----------------------------------------------------------

    def get(self, iri: str) -> Entity | None:
        return self.entities.get(iri)

    def ancestors(self, entity: Entity) -> list[Entity]:
        """The units (or organisations) above ``entity``, nearest first."""
        found: list[Entity] = []
        parent = self.entities.get(entity.parent)
        while parent is not None and parent not in found:
            found.append(parent)
            parent = self.entities.get(parent.parent)
        return found

    def current(self, entity: Entity) -> list[Entity]:
        """The units of today that a unit is or became; an organisation's units of today."""
        if entity.kind == "organisation":
            return [u for u in map(self.entities.get, entity.current_units) if u]
        if entity.kind not in UNIT_KINDS:
            return []
        if not entity.former:
            return [entity]
        return [u for u in map(self.entities.get, entity.successors) if u]

    def provinces(self, entity: Entity) -> set[str]:
        """Every province (of either edition) the record lies in, itself or as it is today."""
        units: list[Entity] = []
        if entity.kind == "organisation":
            units = [u for u in map(self.entities.get, entity.units + entity.current_units) if u]
        elif entity.kind in UNIT_KINDS:
            units = [entity, *self.current(entity)]
        found = set()
        for unit in units:
            for above in (unit, *self.ancestors(unit)):
                if above.kind == "province":
                    found.add(above.iri)
        return found

    # -- reconciling ------------------------------------------------------------------------

    def resolve(self, value: str, kinds: Sequence[str]) -> list[Entity]:
        """Records that a property value names: an IRI, a code or a name."""
        value = value.strip()
        if value in self.entities:
            return [self.entities[value]]
        if re.fullmatch(r"\d{1,5}", value):
            return [e for e in self.entities.values() if e.kind in kinds and e.code and
                    e.code == value.zfill(CODE_LENGTH.get(e.kind, len(value)))]
        return [e for key in {fold(value), name_key(value)} for e in self._folded.get(key, [])
                if e.kind in kinds]

    def reconcile(self, query: Query) -> list[Candidate]:
        """The best candidates for ``query``, best first, the first flagged when certain."""
        kinds = [k for k in query.kinds if k in KINDS] or list(KINDS)
        scores = self._name_scores(query.text, kinds, max(query.limit * 4, 20))
        candidates = []
        for entity, score in scores.items():
            candidate = Candidate(entity, score, {"name": round(score, 1)})
            if entity.former:
                candidate.score -= FORMER_PENALTY
                candidate.features["former"] = True
            candidate.score -= LEVEL_PENALTY.get(entity.kind, 0.0)
            for pid, values in query.properties:
                self._weigh(candidate, pid, values)
            candidates.append(candidate)
        candidates.sort(key=lambda c: (-c.score, c.entity.name, c.entity.iri))
        candidates = [c for c in candidates if c.score > 0][:query.limit]
        if candidates and candidates[0].score >= MATCH_SCORE and (
                len(candidates) == 1 or candidates[0].score > candidates[1].score):
            candidates[0].match = True
        return candidates

    def _name_scores(self, text: str, kinds: Sequence[str], fuzzy_limit: int
                     ) -> dict[Entity, float]:
        scores: dict[Entity, float] = {}
        if not text.isascii():
            # Letter for letter counts only when diacritics were typed: typed without them,
            # "Ha Noi" is as close to "Hà Nội" as to a record whose English name is "Ha Noi".
            cased = " ".join(text.casefold().split())
            for entity in self._exact.get(cased, []):
                if entity.kind in kinds:
                    scores[entity] = EXACT
        for key in {fold(text), name_key(text)}:
            for entity in self._folded.get(key, []):
                if entity.kind in kinds:
                    scores.setdefault(entity, FOLDED)
        key = name_key(text)
        if scores or not key:
            # A name found as it is needs no guessing (and guessing costs 15 ms per kind
            # over the 14,000 units).
            return scores
        for kind in kinds:
            keys, owners = self._choice_keys[kind], self._choice_owners[kind]
            found = [(similarity * FUZZY_WEIGHT, position) for _, similarity, position in
                     process.extract(key, keys, scorer=fuzz.token_sort_ratio,
                                     limit=fuzzy_limit, score_cutoff=FUZZY_CUTOFF)]
            # Words typed that are all among a longer name's ("Hội Tin học"), ranked by how
            # much of the name they cover; never the other way round ("Hà Nội" inside the
            # name of a university typed in full is not that university).
            found += [(similarity * PART_WEIGHT + fuzz.ratio(key, keys[position]) * 0.05,
                       position) for _, similarity, position in
                      process.extract(key, keys, scorer=fuzz.token_set_ratio,
                                      limit=fuzzy_limit, score_cutoff=FUZZY_CUTOFF)
                      if len(keys[position]) >= len(key)]
            for score, position in found:
                for entity in owners[position]:
                    if score > scores.get(entity, 0.0):
                        scores[entity] = score
        return scores

    def _weigh(self, candidate: Candidate, pid: str, values: Sequence[str]) -> None:
        """Confirm the candidate by one property, or take points off when it disagrees."""
        entity = candidate.entity
        if not values or pid not in MISMATCH:
            return
        if pid == "code":
            agrees = bool(entity.code) and any(
                entity.code == v.strip().zfill(len(entity.code)) or entity.iri == v.strip()
                for v in values)
        elif pid == "edition":
            wanted = {_edition(v) for v in values}
            agrees = entity.edition in wanted if entity.edition else not wanted - {""}
        elif pid == "scheme":
            agrees = any(v.strip() in (entity.scheme, entity.scheme_name) or
                         (entity.scheme_name and fold(v) == fold(entity.scheme_name))
                         for v in values)
        elif pid == "province":
            wanted = {p.iri for v in values for p in self.resolve(v, ("province",))}
            wanted |= {s for iri in wanted for s in self.entities[iri].successors}
            mine = self.provinces(entity)
            if not wanted or not mine:
                return
            agrees = bool(wanted & mine)
        else:  # parent
            kinds = ("organisation",) if entity.kind == "organisation" else UNIT_KINDS
            wanted = {p.iri for v in values for p in self.resolve(v, kinds)}
            above = {a.iri for a in self.ancestors(entity)}
            above |= {a.iri for unit in self.current(entity) if unit is not entity
                      for a in self.ancestors(unit)}
            if not wanted:
                return
            agrees = bool(wanted & above)
        candidate.features[pid] = agrees
        if not agrees:
            candidate.score -= MISMATCH[pid]

    def suggest(self, prefix: str, kinds: Sequence[str], limit: int = 10) -> list[Entity]:
        """Records whose folded name starts with (then contains) what was typed so far."""
        wanted = fold(prefix)
        if not wanted:
            return []
        starts: list[Entity] = []
        inside: list[Entity] = []
        for key in sorted(self._folded):
            if wanted not in key:
                continue
            bucket = starts if key.startswith(wanted) or name_key(key).startswith(wanted) \
                else inside
            bucket.extend(e for e in self._folded[key] if e.kind in kinds)
        seen: dict[str, Entity] = {}
        for entity in sorted(starts, key=_suggest_order) + sorted(inside, key=_suggest_order):
            seen.setdefault(entity.iri, entity)
            if len(seen) == limit:
                break
        return list(seen.values())


def _suggest_order(entity: Entity) -> tuple[bool, int, str]:
    return (entity.former, len(entity.name), entity.name)


def _edition(value: str) -> str:
    """'2025', 'current', 'mới' → 2025; 'pre-2025', 'former', 'cũ' → pre-2025."""
    folded = fold(value)
    if folded in ("2025", "current", "new", "moi", "hien tai", "hien nay"):
        return "2025"
    if folded in ("pre-2025", "before 2025", "former", "old", "cu", "truoc 2025"):
        return "pre-2025"
    return ""


def _value(term: object) -> str:
    return str(getattr(term, "value", "")) if term is not None else ""


def _read_units(store: GraphStore, entities: dict[str, Entity]) -> None:
    for row in solutions(store.query(load_query("reconcile_units"))):
        iri = row["unit"].value
        entity = entities.get(iri)
        if entity is None:
            edition, level = EDITIONS.get(_value(row["scheme"])), LEVELS.get(_value(row["level"]))
            if edition is None or level is None:
                continue
            entity = entities[iri] = Entity(
                iri, level, row["label"].value, name_en=_value(row["labelEn"]),
                names={row["label"].value}, code=row["code"].value, edition=edition,
                until=_value(row["until"]), parent=_value(row["parent"]))
            if entity.name_en:
                entity.names.add(entity.name_en)
        if row["alt"] is not None:
            entity.names.add(row["alt"].value)
        successor = _value(row["successor"])
        if successor and successor not in entity.successors:
            entity.successors.append(successor)


def _read_organisations(store: GraphStore, entities: dict[str, Entity]) -> None:
    for row in solutions(store.query(load_query("reconcile_organisations"))):
        iri = row["org"].value
        entity = entities.get(iri)
        if entity is None:
            entity = entities[iri] = Entity(
                iri, "organisation", row["label"].value, name_en=_value(row["labelEn"]),
                names={row["label"].value}, code=_value(row["identifier"]),
                acronym=_value(row["acronym"]), parent=_value(row["parent"]),
                org_kind=_value(row["kind"]))
            entity.names |= {n for n in (entity.name_en, entity.acronym) if n}
        for column, values in (("unit", entity.units), ("current", entity.current_units)):
            unit = _value(row[column])
            if unit and unit not in values:
                values.append(unit)


def _read_concepts(store: GraphStore, entities: dict[str, Entity]) -> None:
    for row in solutions(store.query(load_query("reconcile_concepts"))):
        iri = row["concept"].value
        label = row["label"]
        entity = entities.get(iri)
        if entity is None:
            entity = entities[iri] = Entity(
                iri, "concept", label.value, code=_value(row["notation"]),
                scheme=_value(row["scheme"]), scheme_name=_value(row["schemeLabel"]))
        if label.language == "vi":
            entity.name = label.value
        if label.language == "en":
            entity.name_en = label.value
        entity.names |= {n for n in (label.value, _value(row["alt"]), entity.code) if n}
        broader = _value(row["broader"])
        if broader and broader not in entity.broader:
            entity.broader.append(broader)


class ReconcileIndexCache:
    """The index of the store as it stands, rebuilt only when a graph holding organisations,
    units or concepts changed: reading the 14,000 units takes seconds, while most commits
    (harvests, catalogue loads) touch only datasets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: ReconcileIndex | None = None
        self._revision: int | None = None
        self._signatures: dict[str, str] = {}
        self._sources: set[str] = set()
        self.builds = 0

    def get(self, store: GraphStore) -> ReconcileIndex:
        revision = store.revision()
        index = self._index
        if index is not None and revision == self._revision:
            return index
        with self._lock:
            if self._index is not None and revision == self._revision:
                return self._index
            current = {info.name.value: signature(info) for info in store.graphs()
                       if info.name not in (META_GRAPH, CHANGES_GRAPH)}
            changed = {g for g in current.keys() | self._signatures.keys()
                       if current.get(g) != self._signatures.get(g)}
            if self._index is None or changed & self._sources or any(
                    _holds_records(store, g) for g in changed if g in current):
                self._index = ReconcileIndex.from_store(store)
                self._sources = {g for g in current if _holds_records(store, g)}
                self.builds += 1
            self._signatures, self._revision = current, revision
            return self._index


def _holds_records(store: GraphStore, graph: str) -> bool:
    return any(True for _ in solutions(store.query(load_query("reconcile_graph_holds"),
                                                   bindings={"g": NamedNode(graph)})))
