"""Read the official GSO-coded administrative units, before and after 1 July 2025.

Input: a folder laid out like ``shared/data/vn-admin-units`` (see its SOURCES.md); or, when no
such folder is at hand, the small table of provinces shipped in ``loaders/data/provinces.csv``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, Triple

from graph.namespaces import DCAT, GEO
from loaders.errors import LoadError, Problem
from loaders.mappings.admin_unit import (
    LEVEL_BY_CODE_LENGTH,
    Unit,
    geometry_triples,
    kind_from_full_name,
    scheme_triples,
    succession_triples,
    unit_triples,
)

CURRENT_FILE = "vn-units-2025-34prov-full.json"
FORMER_FILE = "vn-units-pre2025-63prov-simplified.json"
MERGES_FILE = "mapping-2025-new-from-old-merges.json"
SPLITS_FILE = "mapping-2025-old-to-new-splits.json"
CENTROIDS_FILE = "vn-units-2025-centroids-bbox.csv"
REQUIRED_FILES = (CURRENT_FILE, FORMER_FILE, MERGES_FILE, SPLITS_FILE, CENTROIDS_FILE)

# SOURCES.md, "Known small inconsistencies": the mapping files still use two commune codes
# that GSO corrected after July 2025. The names are the same; join on the corrected codes.
CODE_CORRECTIONS = {"06970": "06978", "23737": "23938"}

CURRENT_KINDS = {1: "municipality", 2: "province", 3: "ward", 4: "commune", 5: "special-zone"}


@dataclass
class AdminUnitReport:
    """What a load of administrative units found: counts per edition and level, and notes."""

    source_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    loaded_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    successions: int = 0
    split_units: int = 0
    geometries: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as lines for a terminal."""
        out = []
        for key in sorted(self.source_counts, key=lambda k: (k[0] != "2025", k[1])):
            edition, level = key
            out.append(f"{edition:>8} {level:<9} source {self.source_counts[key]:>6}  "
                       f"loaded {self.loaded_counts[key]:>6}")
        out.append(f"crosswalk: {self.successions} old->new links, {self.split_units} former "
                   "units split between several new ones")
        out.append(f"geometry: {self.geometries} units with centroid and bounding box")
        out += [f"note: {note}" for note in self.notes]
        return out


@dataclass
class AdminUnits:
    """The triples to load and the report on them."""

    triples: list[Triple]
    report: AdminUnitReport
    sources: list[str]


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise LoadError([Problem(path.name, f"malformed JSON: {error.msg} (column {error.colno})",
                                 line=error.lineno)]) from error
    except OSError as error:
        raise LoadError([Problem(str(path), f"cannot read: {error}")]) from error


def _field(record: dict[str, Any], name: str, source: str, where: str) -> Any:
    value = record.get(name) if isinstance(record, dict) else None
    if value is None or value == "":
        raise LoadError([Problem(source, "missing value", record=where, field=name)])
    return value


class _Reader:
    """One pass over the five files; collects problems instead of stopping at the first."""

    def __init__(self, folder: Path) -> None:
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise LoadError([Problem(str(folder), f"missing file {name} (expected the layout of "
                                     "the official list, see SOURCES.md)") for name in missing])
        self.folder = folder
        self.report = AdminUnitReport()
        self.units: dict[tuple[str, str, str], Unit] = {}
        self.problems: list[Problem] = []
        self.triples: list[Triple] = []

    def add(self, unit: Unit, source: str, where: str) -> None:
        key = (unit.edition, unit.level, unit.code)
        self.report.source_counts[(unit.edition, unit.level)] += 1
        if key in self.units:
            self.problems.append(Problem(source, f"duplicate {unit.level} code {unit.code} "
                                         f"({self.units[key].full_name} and {unit.full_name})",
                                         record=where, field="Code"))
            return
        self.units[key] = unit
        self.report.loaded_counts[(unit.edition, unit.level)] += 1
        self.triples.extend(unit_triples(unit))

    def current(self) -> None:
        source = CURRENT_FILE
        for i, province in enumerate(_read_json(self.folder / source)):
            where = f"[{i}]"
            code = _field(province, "Code", source, where)
            self.add(self._unit("2025", "province", province, source, where,
                                CURRENT_KINDS.get(province.get("AdministrativeUnitId"))),
                     source, where)
            for j, ward in enumerate(_field(province, "Wards", source, where)):
                ward_where = f"{where}.Wards[{j}]"
                if ward.get("ProvinceCode") != code:
                    self.problems.append(Problem(source, f"ward says province "
                                                 f"{ward.get('ProvinceCode')} but sits in {code}",
                                                 record=ward_where, field="ProvinceCode"))
                self.add(self._unit("2025", "commune", ward, source, ward_where,
                                    CURRENT_KINDS.get(ward.get("AdministrativeUnitId")), code),
                         source, ward_where)

    def former(self) -> None:
        source = FORMER_FILE
        empty_districts = []
        for i, province in enumerate(_read_json(self.folder / source)):
            where = f"[{i}]"
            code = _field(province, "Code", source, where)
            self.add(self._unit("pre-2025", "province", province, source, where), source, where)
            for j, district in enumerate(_field(province, "District", source, where)):
                d_where = f"{where}.District[{j}]"
                d_code = _field(district, "Code", source, d_where)
                self.add(self._unit("pre-2025", "district", district, source, d_where,
                                    parent=code), source, d_where)
                wards = district.get("Ward")
                if wards is None:
                    empty_districts.append(f"{district.get('FullName')} ({d_code})")
                    continue
                for k, ward in enumerate(wards):
                    w_where = f"{d_where}.Ward[{k}]"
                    self.add(self._unit("pre-2025", "commune", ward, source, w_where,
                                        parent=d_code), source, w_where)
        if empty_districts:
            self.report.notes.append(
                f"{len(empty_districts)} island districts have no communes in the source "
                f"(\"Ward\": null) and are loaded as districts without children: "
                + ", ".join(empty_districts))

    def _unit(self, edition: str, level: str, record: dict[str, Any], source: str, where: str,
              kind: str | None = None, parent: str | None = None) -> Unit:
        full_name = _field(record, "FullName", source, where)
        kind = kind or kind_from_full_name(level, full_name)
        if kind is None:
            raise LoadError([Problem(source, f"cannot tell the kind of {level} {full_name!r}",
                                     record=where, field="FullName")])
        return Unit(edition=edition, level=level, code=_field(record, "Code", source, where),
                    name=_field(record, "Name", source, where), full_name=full_name,
                    name_en=record.get("NameEn") or "",
                    full_name_en=record.get("FullNameEn") or full_name, kind=kind,
                    parent=parent)

    def crosswalk(self) -> None:
        merges = _read_json(self.folder / MERGES_FILE)
        splits = _read_json(self.folder / SPLITS_FILE)
        corrected: set[str] = set()
        missing_former: dict[str, str] = {}
        pairs: dict[tuple[str, str], str] = {}

        def new_code(code: str) -> str:
            if code in CODE_CORRECTIONS:
                corrected.add(code)
                return CODE_CORRECTIONS[code]
            return code

        for i, province in enumerate(_field(merges, "data", MERGES_FILE, "")):
            where = f"data[{i}]"
            new_province = _field(province, "level1_id", MERGES_FILE, where)
            for merge in _field(province, "merges", MERGES_FILE, where):
                pairs[(merge["old_id"], new_province)] = merge.get("type", "full")
            for j, commune in enumerate(province.get("level2s") or []):
                c_where = f"{where}.level2s[{j}]"
                target = new_code(_field(commune, "level2_id", MERGES_FILE, c_where))
                for merge in commune["merges"]:
                    pairs[(merge["old_id"], target)] = merge["type"]
                    if len(merge["old_id"]) == 5 and ("pre-2025", "commune", merge["old_id"]) \
                            not in self.units:
                        missing_former[merge["old_id"]] = merge["name"]
        # The splits file states the same links from the other side; check that they agree.
        split_pairs = set()
        for province in _field(splits, "data", SPLITS_FILE, ""):
            for split in province["splits"]:
                split_pairs.add((province["level1_id"], split["new_id"]))
            for unit in [*(province.get("level2s") or []), *(province.get("level3s") or [])]:
                old = unit.get("level3_id") or unit.get("level2_id")
                for split in unit["splits"]:
                    split_pairs.add((old, new_code(split["new_id"])))
        disagree = split_pairs.symmetric_difference(pairs)
        if disagree:
            self.problems.append(Problem(
                f"{MERGES_FILE} / {SPLITS_FILE}",
                f"the two mapping files disagree on {len(disagree)} links, for example "
                f"{sorted(disagree)[:3]}"))
        targets_per_old: Counter[str] = Counter()
        for (old, new), transfer in sorted(pairs.items()):
            old_level = LEVEL_BY_CODE_LENGTH.get(len(old))
            new_level = "province" if len(new) == 2 else "commune"
            old_unit = self.units.get(("pre-2025", old_level or "", old))
            new_unit = self.units.get(("2025", new_level, new))
            if old_unit is None and old in missing_former:
                continue
            if old_unit is None or new_unit is None:
                self.problems.append(Problem(MERGES_FILE, f"link {old} -> {new} names a unit "
                                             "that is in neither list", record=f"{old}->{new}"))
                continue
            if transfer not in ("full", "partial"):
                self.problems.append(Problem(MERGES_FILE, f"unknown merge type {transfer!r}",
                                             record=f"{old}->{new}", field="type"))
                continue
            targets_per_old[old] += 1
            self.report.successions += 1
            self.triples.extend(succession_triples(old_unit.iri, new_unit.iri, transfer))
        self.report.split_units = sum(1 for n in targets_per_old.values() if n > 1)
        for old, new in sorted(CODE_CORRECTIONS.items()):
            if old in corrected:
                self.report.notes.append(
                    f"the mapping files use commune code {old}, corrected by GSO to {new} "
                    "(same name); links were joined on the corrected code")
        if missing_former:
            listed = ", ".join(f"{code} {name}" for code, name in sorted(missing_former.items()))
            self.report.notes.append(
                f"{len(missing_former)} former communes in the mapping files are not in the "
                f"pre-2025 list (probably changed between 2025-03 and 2025-07); their links "
                f"are not loaded: {listed}")
        self.former_notes = [n for n in self.report.notes if "former communes" in n]
        self.current_notes = [n for n in self.report.notes if "corrected by GSO" in n]

    def geometry(self) -> None:
        path = self.folder / CENTROIDS_FILE
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, csv.Error) as error:
            raise LoadError([Problem(CENTROIDS_FILE, f"cannot read: {error}")]) from error
        seen = set()
        for line, row in enumerate(rows, start=2):
            level = {"province": "province", "ward": "commune"}.get(row.get("level", ""))
            unit = self.units.get(("2025", level or "", row.get("code", "")))
            if unit is None:
                self.problems.append(Problem(CENTROIDS_FILE, f"no current unit with code "
                                             f"{row.get('code')!r}", line=line, field="code"))
                continue
            try:
                numbers = [float(row[k]) for k in ("centroid_lon", "centroid_lat", "bbox_min_lon",
                                                   "bbox_min_lat", "bbox_max_lon", "bbox_max_lat")]
            except (KeyError, TypeError, ValueError):
                self.problems.append(Problem(CENTROIDS_FILE, "coordinates are not numbers",
                                             line=line, record=row.get("code"), field="centroid"))
                continue
            seen.add(unit.code)
            self.report.geometries += 1
            lon, lat, *bbox = numbers
            self.triples.extend(geometry_triples(unit.iri, lon, lat, (bbox[0], bbox[1], bbox[2],
                                                 bbox[3]), row.get("area_km2", "")))
        without = [u.code for u in self.units.values() if u.edition == "2025"
                   and u.code not in seen]
        if without:
            self.report.notes.append(f"{len(without)} current units have no geometry: "
                                     + ", ".join(sorted(without)[:20]))


def read_admin_units(folder: Path) -> AdminUnits:
    """Both editions, the crosswalk and the geometry from an official-list folder."""
    reader = _Reader(folder)
    reader.current()
    reader.former()
    reader.crosswalk()
    reader.geometry()
    for key, count in reader.report.source_counts.items():
        if reader.report.loaded_counts[key] != count and not reader.problems:
            reader.problems.append(Problem(str(folder), f"{key}: {count} in the source but "
                                           f"{reader.report.loaded_counts[key]} loaded"))
    if reader.problems:
        raise LoadError(reader.problems)
    sources = [str(folder / name) for name in REQUIRED_FILES]
    triples = reader.triples
    triples += scheme_triples("2025", sources[:1] + sources[2:], reader.current_notes)
    triples += scheme_triples("pre-2025", sources[1:4], reader.former_notes)
    return AdminUnits(triples, reader.report, sources)


def read_province_table(path: Path | None = None) -> AdminUnits:
    """Provinces only, both editions and their crosswalk, from the project's own small table.

    >>> counts = read_province_table().report.loaded_counts
    >>> counts[("2025", "province")], counts[("pre-2025", "province")]
    (34, 63)
    """
    source = str(path) if path else "loaders/data/provinces.csv"
    text = path.read_text(encoding="utf-8") if path else \
        (files("loaders.data") / "provinces.csv").read_text(encoding="utf-8")
    report = AdminUnitReport()
    triples: list[Triple] = []
    units: dict[tuple[str, str], Unit] = {}
    problems = []
    rows = list(csv.DictReader(text.splitlines()))
    for line, row in enumerate(rows, start=2):
        unit = Unit(edition=row["edition"], level="province", code=row["code"],
                    name=row["name_vi"], full_name=row["full_name_vi"], name_en=row["name_en"],
                    full_name_en=row["full_name_en"], kind=row["kind"])
        report.source_counts[(unit.edition, "province")] += 1
        if (unit.edition, unit.code) in units:
            problems.append(Problem(source, f"duplicate code {unit.code}", line=line, field="code"))
            continue
        units[(unit.edition, unit.code)] = unit
        report.loaded_counts[(unit.edition, "province")] += 1
        triples.extend(unit_triples(unit))
        if row.get("centroid_lon") and row.get("centroid_lat"):
            # The centre only (for a map marker); the official list adds the bounding box.
            point = f"POINT({float(row['centroid_lon'])} {float(row['centroid_lat'])})"
            triples.append(Triple(unit.iri, DCAT.centroid, Literal(point, datatype=GEO.wktLiteral)))
            report.geometries += 1
    for line, row in enumerate(rows, start=2):
        for new in row["successors"].split():
            if ("2025", new) not in units:
                problems.append(Problem(source, f"unknown successor {new}", line=line,
                                        field="successors"))
                continue
            report.successions += 1
            triples.extend(succession_triples(units[("pre-2025", row["code"])].iri,
                                              units[("2025", new)].iri, "full"))
    if problems:
        raise LoadError(problems)
    note = ("provinces only, with their centres, from the project's own table; load the "
            "official list for districts, communes and full geometry")
    report.notes.append(note)
    triples += scheme_triples("2025", [source], [note])
    triples += scheme_triples("pre-2025", [source], [note])
    return AdminUnits(triples, report, [source])

