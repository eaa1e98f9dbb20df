"""Administrative units already in the store, indexed for resolving what people type."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from graph.namespaces import UNIT_LEVEL, scheme_iri
from graph.queries import load_query
from graph.store import GraphStore, solutions
from graph.text import fold, name_key

CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}


@dataclass
class UnitRef:
    """One unit of one edition, as the resolver needs it."""

    iri: NamedNode
    code: str
    level: str
    edition: str
    name: str
    full_name: str
    parent: NamedNode | None = None
    successors: list[tuple[NamedNode, str]] = field(default_factory=list)


class UnitIndex:
    """Lookups by code or name, per edition and level, with the crosswalk to current units."""

    def __init__(self, units: list[UnitRef]) -> None:
        self.units = {u.iri: u for u in units}
        self.by_code: dict[tuple[str, str, str], UnitRef] = {}
        self.by_name: dict[tuple[str, str, str], list[UnitRef]] = defaultdict(list)
        for unit in units:
            self.by_code[(unit.edition, unit.level, unit.code)] = unit
            keys = {name_key(unit.name), name_key(unit.full_name), fold(unit.full_name)}
            for key in keys:
                self.by_name[(unit.edition, unit.level, key)].append(unit)
        self.has_communes = any(u.level == "commune" for u in units)

    @classmethod
    def from_store(cls, store: GraphStore) -> UnitIndex:
        """Read every unit from the store (one query)."""
        editions = {scheme_iri(f"admin-units-{e}"): e for e in ("2025", "pre-2025")}
        levels = {UNIT_LEVEL[name]: name for name in CODE_LENGTH}
        units: dict[NamedNode, UnitRef] = {}
        for row in solutions(store.query(load_query("admin_unit_index"))):
            iri = row["unit"]
            unit = units.get(iri)
            if unit is None:
                edition, level = editions.get(row["scheme"]), levels.get(row["level"])
                if edition is None or level is None:
                    continue
                unit = units[iri] = UnitRef(
                    iri=iri, code=row["code"].value, level=level, edition=edition,
                    name=row["name"].value if row["name"] else row["fullName"].value,
                    full_name=row["fullName"].value, parent=row["parent"])
            successor = row["successor"]
            if successor is not None:
                pair = (successor, row["transfer"].value.rsplit("/", 1)[1])
                if pair not in unit.successors:
                    unit.successors.append(pair)
        return cls(list(units.values()))

    def find(self, text: str, level: str, edition: str) -> list[UnitRef]:
        """Units of one edition and level whose code or name is ``text``."""
        text = text.strip()
        if re.fullmatch(r"\d{1,5}", text):
            unit = self.by_code.get((edition, level, text.zfill(CODE_LENGTH[level])))
            return [unit] if unit else []
        found = self.by_name.get((edition, level, fold(text))) or \
            self.by_name.get((edition, level, name_key(text)), [])
        return list(found)

    def within(self, unit: UnitRef, ancestor: UnitRef) -> bool:
        """Whether ``ancestor`` is above ``unit`` in its hierarchy."""
        parent = unit.parent
        while parent is not None:
            if parent == ancestor.iri:
                return True
            above = self.units.get(parent)
            parent = above.parent if above else None
        return False

    def current(self, unit: UnitRef) -> list[tuple[UnitRef, str]]:
        """The current units that ``unit`` is or became, each with how (same|full|partial)."""
        if unit.edition == "2025":
            return [(unit, "same")]
        found = [(self.units[iri], transfer) for iri, transfer in unit.successors
                 if iri in self.units]
        return sorted(found, key=lambda pair: pair[0].code)
