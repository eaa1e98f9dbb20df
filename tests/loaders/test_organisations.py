"""Organisation registry: addresses resolved old and new, ambiguity kept, bad rows refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.namespaces import org_iri, unit_iri
from graph.store import GraphStore, Provenance, solutions
from loaders.admin_units import read_admin_units, read_province_table
from loaders.errors import LoadError
from loaders.ingest import ingest
from loaders.organisations import read_organisations
from loaders.reference import UnitIndex
from tests.conftest import MINI_UNITS

HEADER = "id,name_vi,name_en,kind,parent,street,commune,district,province,website,email\n"
GOOD = (
    "vusta,Liên hiệp hội,VUSTA,federation,,53 Nguyễn Du,,,Hà Nội,https://vusta.vn,a@vusta.vn\n"
    "hoi-a,Hội A,Association A,national-association,vusta,,Phường Trúc Bạch,Quận Ba Đình,"
    "Hà Nội,,\n"
    "hoi-b,Hội B,,national-association,vusta,,phuong cong vi,,ha noi,,\n"
    "hoi-c,Hội C,,national-association,vusta,,00008,,01,,\n"
    "lhh-bg,Liên hiệp hội Bắc Giang,,provincial-union,vusta,,,,Bắc Giang,,\n"
    "vien-x,Viện X,,affiliated-organisation,hoi-a,,Ba Chẽ,,Quảng Ninh,,\n"
)


@pytest.fixture
def units_store(reference_store: GraphStore) -> GraphStore:
    units = read_admin_units(MINI_UNITS)
    ingest(reference_store, "admin-units", units.triples, Provenance("admin-units", "mini"))
    return reference_store


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orgs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def load(store: GraphStore, path: Path) -> None:
    orgs = read_organisations(path, UnitIndex.from_store(store))
    ingest(store, "organisations", orgs.triples, Provenance("orgs", str(path)))


def address_units(store: GraphStore, org: str) -> tuple[str, list[str], bool]:
    rows = list(solutions(store.query("""
        SELECT ?org ?cited ?current ?ambiguous WHERE {
          ?org locn:address ?a . ?a kg:adminUnit ?cited ; kg:currentAdminUnit ?current .
          OPTIONAL { ?a kg:currentUnitAmbiguous ?ambiguous } }""",
        bindings={"org": org_iri(org)})))
    return (rows[0]["cited"].value, sorted(r["current"].value for r in rows),
            rows[0]["ambiguous"] is not None)


def test_addresses_resolve_to_old_and_current_units(units_store: GraphStore,
                                                    tmp_path: Path) -> None:
    load(units_store, write(tmp_path, HEADER + GOOD))
    cited, current, ambiguous = address_units(units_store, "hoi-a")
    assert cited == unit_iri("pre-2025", "commune", "00004").value
    assert current == [unit_iri("2025", "commune", "00004").value]
    assert not ambiguous
    cited, current, ambiguous = address_units(units_store, "hoi-b")   # no diacritics, split
    assert cited == unit_iri("pre-2025", "commune", "00007").value
    assert current == [unit_iri("2025", "commune", c).value for c in ("00008", "00025")]
    assert ambiguous
    cited, current, _ = address_units(units_store, "hoi-c")           # codes: current first
    assert cited == current[0] == unit_iri("2025", "commune", "00008").value
    cited, current, _ = address_units(units_store, "lhh-bg")          # a merged province
    assert cited == unit_iri("pre-2025", "province", "24").value
    assert current == [unit_iri("2025", "province", "24").value]


def test_ambiguity_is_stated_in_both_languages(units_store: GraphStore, tmp_path: Path) -> None:
    load(units_store, write(tmp_path, HEADER + GOOD))
    rows = solutions(units_store.query(
        "SELECT ?org ?note { ?org locn:address/skos:note ?note }",
        bindings={"org": org_iri("hoi-b")}))
    notes = {r["note"].language: r["note"].value for r in rows}
    assert set(notes) == {"vi", "en"}
    assert "Phường Giảng Võ" in notes["en"] and "Phường Ngọc Hà" in notes["en"]


def test_hierarchy_and_membership(units_store: GraphStore, tmp_path: Path) -> None:
    load(units_store, write(tmp_path, HEADER + GOOD))
    rows = solutions(units_store.query(
        "SELECT ?parent ?child { ?parent org:hasSubOrganization ?child }"))
    pairs = {(r["parent"].value.rsplit("/", 1)[1], r["child"].value.rsplit("/", 1)[1])
             for r in rows}
    assert ("vusta", "hoi-a") in pairs and ("hoi-a", "vien-x") in pairs
    members = solutions(units_store.query("SELECT ?m { ?f org:hasMember ?m }"))
    assert {r["m"].value.rsplit("/", 1)[1] for r in members} == {"hoi-a", "hoi-b", "hoi-c",
                                                                  "lhh-bg"}


@pytest.mark.parametrize(("row", "expected"), [
    ("x,X,,federation,,,,,Hà Tây,,\n", "line 8, record 'x', field 'province': unknown province"),
    ("x,X,,federation,,,,,99,,\n", "field 'province': unknown province '99'"),
    ("x,X,,federation,,,Phường Không Có,,Hà Nội,,\n", "field 'commune': unknown commune"),
    ("vusta,X,,federation,,,,,Hà Nội,,\n", "duplicate identifier 'vusta' (first on line 2)"),
    ("x,X,,club,,,,,Hà Nội,,\n", "field 'kind': unknown kind 'club'"),
    ("x,X,,federation,nobody,,,,Hà Nội,,\n", "field 'parent': no organisation with id"),
    ("x,,,federation,,,,,Hà Nội,,\n", "field 'name_vi': mandatory value is empty"),
    ("x,X,,federation,,,,,Hà Nội,,not-an-email\n", "field 'email': 'not-an-email' is not"),
    ("X Y,X,,federation,,,,,Hà Nội,,\n", "field 'id': 'X Y' is not an identifier"),
])
def test_bad_rows_are_refused_naming_file_line_and_field(
        units_store: GraphStore, tmp_path: Path, row: str, expected: str) -> None:
    load(units_store, write(tmp_path, HEADER + GOOD))
    before = units_store.graphs()
    with pytest.raises(LoadError) as raised:
        load(units_store, write(tmp_path, HEADER + GOOD + row))
    assert expected in str(raised.value)
    assert str(raised.value).startswith("orgs.csv")
    assert units_store.graphs() == before


def test_missing_mandatory_column_is_named(units_store: GraphStore, tmp_path: Path) -> None:
    text = "id,name_vi,kind\nx,X,federation\n"
    with pytest.raises(LoadError, match="line 1, field 'province': missing mandatory column"):
        load(units_store, write(tmp_path, text))


def test_parent_loops_are_refused(units_store: GraphStore, tmp_path: Path) -> None:
    text = HEADER + "a,A,,federation,b,,,,Hà Nội,,\nb,B,,federation,a,,,,Hà Nội,,\n"
    with pytest.raises(LoadError, match="loops back"):
        load(units_store, write(tmp_path, text))


def test_communes_are_noted_not_dropped_when_only_provinces_are_loaded(
        reference_store: GraphStore, tmp_path: Path) -> None:
    store = reference_store
    units = read_province_table()
    ingest(store, "admin-units", units.triples, Provenance("admin-units", "table"))
    orgs = read_organisations(write(tmp_path, HEADER + GOOD), UnitIndex.from_store(store))
    assert orgs.report.unchecked_communes == 4
    ingest(store, "organisations", orgs.triples, Provenance("orgs", "x"))
    cited, current, _ = address_units(store, "hoi-a")
    assert cited == unit_iri("2025", "province", "01").value
    assert current == [cited]
    rows = solutions(store.query("SELECT ?org ?area { ?org locn:address/locn:addressArea ?area }",
                                 bindings={"org": org_iri("hoi-a")}))
    assert [r["area"].value for r in rows] == ["Phường Trúc Bạch"]


def test_organisations_need_units_in_the_store(reference_store: GraphStore,
                                               tmp_path: Path) -> None:
    store = reference_store
    with pytest.raises(LoadError, match="kg load admin-units"):
        load(store, write(tmp_path, HEADER + GOOD))


def test_demo_registry_resolves_against_the_official_list(shared_units: Path,
                                                          reference_store: GraphStore) -> None:
    store = reference_store
    from importlib.resources import as_file, files

    units = read_admin_units(shared_units)
    ingest(store, "admin-units", units.triples, Provenance("admin-units", str(shared_units)))
    with as_file(files("loaders.data") / "demo-organisations.csv") as path:
        orgs = read_organisations(Path(path), UnitIndex.from_store(store))
    assert orgs.report.organisations == 44
    assert orgs.report.former_addresses >= 10
    assert orgs.report.ambiguous
