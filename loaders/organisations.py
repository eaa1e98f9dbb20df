"""Read an organisation registry in CSV and resolve every address to administrative units.

Columns (header row, any order): ``id``, ``name_vi``, ``kind`` and ``province`` are mandatory;
``name_en``, ``acronym``, ``parent``, ``street``, ``commune``, ``district``, ``unit_edition``
(``2025`` or ``pre-2025``, when a code could be read either way), ``website``, ``email``,
``phone``, ``latitude``, ``longitude`` and ``demo`` are optional. Province and commune may be
given by name (with or without diacritics) or GSO code, from before or after 1 July 2025.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Triple

from loaders.errors import LoadError, Problem
from loaders.mappings.organisation import (
    KINDS,
    Address,
    Organisation,
    organisation_triples,
)
from loaders.reference import UnitIndex, UnitRef

MANDATORY = ("id", "name_vi", "kind", "province")
OPTIONAL = ("name_en", "acronym", "parent", "street", "commune", "district", "unit_edition",
            "website", "email", "phone", "latitude", "longitude", "demo")
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
WEBSITE = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


@dataclass
class OrganisationReport:
    """What the resolver did with the addresses."""

    organisations: int = 0
    current_addresses: int = 0
    former_addresses: int = 0
    ambiguous: list[str] = field(default_factory=list)
    unchecked_communes: int = 0

    def lines(self) -> list[str]:
        out = [f"{self.organisations} organisations: {self.current_addresses} addresses cite "
               f"current units, {self.former_addresses} cite pre-2025 units (linked to the "
               "current ones through the crosswalk)"]
        out += [f"ambiguous: {line}" for line in self.ambiguous]
        if self.unchecked_communes:
            out.append(f"note: {self.unchecked_communes} communes were not checked because only "
                       "provinces are loaded; each such address carries a note saying so")
        return out


@dataclass
class Organisations:
    triples: list[Triple]
    report: OrganisationReport


class _Row:
    """One CSV row with the file and line that every problem must name."""

    def __init__(self, source: str, line: int, values: dict[str, str]) -> None:
        self.source, self.line = source, line
        self.values = {k: (v or "").strip() for k, v in values.items() if k}
        self.record = self.values.get("id") or None

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    def problem(self, name: str, message: str) -> Problem:
        return Problem(self.source, message, line=self.line, record=self.record, field=name)


def read_organisations(path: Path, index: UnitIndex, *, label: str | None = None) -> Organisations:
    """Organisations and their resolved addresses; every problem is collected, then raised."""
    source = label or path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError([Problem(source, f"cannot read as UTF-8 text: {error}")]) from error
    if not index.units:
        raise LoadError([Problem(source, "no administrative units in the store; run "
                                 "`kg load admin-units` (or `kg demo`) first")])
    try:
        reader = csv.DictReader(text.splitlines())
        header = reader.fieldnames or []
        rows = [_Row(source, line, values) for line, values in enumerate(reader, start=2)]
    except csv.Error as error:
        raise LoadError([Problem(source, f"malformed CSV: {error}")]) from error
    missing = [name for name in MANDATORY if name not in header]
    if missing:
        raise LoadError([Problem(source, "missing mandatory column", line=1, field=name)
                         for name in missing])
    problems = [Problem(source, f"unknown column (known: {', '.join(MANDATORY + OPTIONAL)})",
                        line=1, field=name) for name in header if name not in MANDATORY + OPTIONAL]
    report = OrganisationReport()
    first_line: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for row in rows:
        identifier = row["id"]
        if identifier in first_line:
            problems.append(row.problem("id", f"duplicate identifier {identifier!r} (first on "
                                        f"line {first_line[identifier]})"))
        elif identifier:
            first_line[identifier] = row.line
            kinds[identifier] = row["kind"]
    orgs = []
    for row in rows:
        org = _organisation(row, index, kinds, problems, report)
        if org is not None:
            orgs.append(org)
    problems += _cycles(rows)
    if problems:
        raise LoadError(problems)
    triples = [t for org in orgs for t in organisation_triples(org)]
    report.organisations = len(orgs)
    return Organisations(triples, report)


def _organisation(row: _Row, index: UnitIndex, kinds: dict[str, str], problems: list[Problem],
                  report: OrganisationReport) -> Organisation | None:
    before = len(problems)
    for name in MANDATORY:
        if not row[name]:
            problems.append(row.problem(name, "mandatory value is empty"))
    if row["id"] and not IDENTIFIER.fullmatch(row["id"]):
        problems.append(row.problem("id", f"{row['id']!r} is not an identifier (lower-case "
                                    "letters, digits and '-', at most 80)"))
    if row["kind"] and row["kind"] not in KINDS:
        problems.append(row.problem("kind", f"unknown kind {row['kind']!r} (one of: "
                                    f"{', '.join(KINDS)})"))
    if row["parent"] and row["parent"] not in kinds:
        problems.append(row.problem("parent", f"no organisation with id {row['parent']!r} in "
                                    "this file"))
    if row["website"] and not WEBSITE.fullmatch(row["website"]):
        problems.append(row.problem("website", f"{row['website']!r} is not an http(s) URL"))
    if row["email"] and not EMAIL.fullmatch(row["email"]):
        problems.append(row.problem("email", f"{row['email']!r} is not an e-mail address"))
    if row["unit_edition"] and row["unit_edition"] not in ("2025", "pre-2025"):
        problems.append(row.problem("unit_edition", "must be 2025 or pre-2025"))
    point = None
    if row["latitude"] or row["longitude"]:
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            point = (lon, lat)
        except ValueError:
            problems.append(row.problem("latitude", "latitude and longitude must both be "
                                        "decimal degrees"))
    address = Address(street=row["street"], commune=row["commune"], district=row["district"],
                      province=row["province"], point=point)
    if row["province"]:
        _resolve(row, index, address, problems, report)
    if len(problems) > before:
        return None
    return Organisation(
        identifier=row["id"], name_vi=row["name_vi"], kind=row["kind"], name_en=row["name_en"],
        acronym=row["acronym"], parent=row["parent"], parent_kind=kinds.get(row["parent"], ""),
        website=row["website"], email=row["email"], phone=row["phone"],
        demo=row["demo"].lower() in ("1", "true", "yes"), address=address)


def _resolve(row: _Row, index: UnitIndex, address: Address, problems: list[Problem],
             report: OrganisationReport) -> None:
    """Find the units an address cites, in the edition that makes sense of all its parts."""
    editions = [row["unit_edition"]] if row["unit_edition"] else ["2025", "pre-2025"]
    tried = []
    for edition in editions:
        provinces = index.find(row["province"], "province", edition)
        if len(provinces) > 1:
            problems.append(row.problem("province", f"{row['province']!r} names several "
                                        "provinces; give the GSO code"))
            return
        if not provinces:
            continue
        province = provinces[0]
        tried.append(f"{province.full_name} ({edition})")
        if not row["commune"]:
            _cite(row, index, address, province, report)
            return
        if not index.has_communes:
            address.notes.append((
                f"Xã/phường {row['commune']!r} chưa được đối chiếu: kho mới có danh mục cấp tỉnh.",
                "vi"))
            address.notes.append((
                f"Commune {row['commune']!r} not checked: only provinces are loaded.", "en"))
            report.unchecked_communes += 1
            _cite(row, index, address, province, report)
            return
        communes = [c for c in index.find(row["commune"], "commune", edition)
                    if index.within(c, province)]
        if row["district"] and edition == "pre-2025":
            districts = {d.iri for d in index.find(row["district"], "district", edition)}
            communes = [c for c in communes if c.parent in districts]
        if len(communes) > 1:
            names = ", ".join(f"{c.full_name} ({c.code})" for c in communes)
            problems.append(row.problem("commune", f"{row['commune']!r} names several units in "
                                        f"{province.full_name}: {names}; give the GSO code"))
            return
        if communes:
            _cite(row, index, address, communes[0], report)
            return
    if not tried:
        problems.append(row.problem("province", f"unknown province {row['province']!r} (neither "
                                    "a current nor a pre-2025 province name or GSO code)"))
    else:
        problems.append(row.problem("commune", f"unknown commune {row['commune']!r} in "
                                    f"{' or '.join(tried)}"))


def _cite(row: _Row, index: UnitIndex, address: Address, unit: UnitRef,
          report: OrganisationReport) -> None:
    address.cited_unit = unit.iri
    current = index.current(unit)
    address.current_units = [u.iri for u, _ in current]
    if unit.edition == "2025":
        report.current_addresses += 1
        return
    report.former_addresses += 1
    if len(current) > 1:
        names = ", ".join(f"{u.full_name} ({u.code})" for u, _ in current)
        address.notes.append((f"{unit.full_name} (trước 1/7/2025) đã được chia cho nhiều đơn vị; "
                              f"địa chỉ có thể thuộc: {names}.", "vi"))
        address.notes.append((f"{unit.full_name} (before 1 July 2025) was split between several "
                              f"units; the address may be in: {names}.", "en"))
        report.ambiguous.append(f"line {row.line} ({row.record}): {unit.full_name} -> {names}")


def _cycles(rows: list[_Row]) -> list[Problem]:
    parent = {row["id"]: row["parent"] for row in rows if row["id"]}
    by_id = {row["id"]: row for row in rows}
    problems = []
    for start in parent:
        seen, node = {start}, parent.get(start)
        while node:
            if node == start:
                problems.append(by_id[start].problem("parent", "the parent chain loops back to "
                                                     "this organisation"))
                break
            if node in seen:
                break
            seen.add(node)
            node = parent.get(node)
    return problems
