"""Administrative units: counts equal the source, codes kept apart, the crosswalk both ways."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graph.namespaces import unit_iri
from graph.store import GraphStore, Provenance, solutions
from loaders.admin_units import read_admin_units, read_province_table
from loaders.errors import LoadError
from loaders.ingest import ingest
from loaders.vocabularies import load_vocabularies
from tests.conftest import MINI_UNITS


def load_units(store: GraphStore, folder: Path) -> None:
    if not any(g.loader == "vocabulary" for g in store.graphs()):
        load_vocabularies(store)
    units = read_admin_units(folder)
    ingest(store, "admin-units", units.triples, Provenance("admin-units", str(folder)))


def labels(store: GraphStore, sparql: str, **bindings: object) -> list[str]:
    rows = solutions(store.query(sparql, bindings=bindings or None))  # type: ignore[arg-type]
    return sorted(row["label"].value for row in rows)


SUCCESSORS = """
SELECT ?old ?label WHERE {
  ?old kg:replacedBy ?new . ?new skos:prefLabel ?label FILTER(LANG(?label) = "vi")
}"""
PREDECESSORS = """
SELECT ?new ?label WHERE {
  ?new kg:replaces ?old . ?old skos:prefLabel ?label FILTER(LANG(?label) = "vi")
}"""


def test_mini_list_counts_equal_the_source() -> None:
    report = read_admin_units(MINI_UNITS).report
    assert report.source_counts == report.loaded_counts
    assert dict(report.loaded_counts) == {
        ("2025", "province"): 3, ("2025", "commune"): 5, ("pre-2025", "province"): 4,
        ("pre-2025", "district"): 7, ("pre-2025", "commune"): 17}
    assert report.geometries == 8


def test_known_inconsistencies_are_handled_and_reported() -> None:
    notes = " ".join(read_admin_units(MINI_UNITS).report.notes)
    assert "06970, corrected by GSO to 06978" in notes
    assert "07693 Xã Tân An" in notes


def test_reused_codes_are_different_units(store: GraphStore) -> None:
    load_units(store, MINI_UNITS)
    query = "SELECT ?unit ?label { ?unit skos:notation ?code ; skos:prefLabel ?label " \
            "FILTER(LANG(?label) = 'vi') }"
    rows = solutions(store.query(query.replace("?code", '"00004"')))
    found = {row["unit"].value: row["label"].value for row in rows}
    assert found == {unit_iri("2025", "commune", "00004").value: "Phường Ba Đình",
                     unit_iri("pre-2025", "commune", "00004").value: "Phường Trúc Bạch"}


def test_crosswalk_is_queryable_both_ways(store: GraphStore) -> None:
    load_units(store, MINI_UNITS)
    truc_bach = unit_iri("pre-2025", "commune", "00004")
    assert labels(store, SUCCESSORS, old=truc_bach) == ["Phường Ba Đình"]
    cong_vi = unit_iri("pre-2025", "commune", "00007")
    assert labels(store, SUCCESSORS, old=cong_vi) == ["Phường Giảng Võ", "Phường Ngọc Hà"]
    ba_che = unit_iri("2025", "commune", "06978")
    assert "Thị trấn Ba Chẽ" in labels(store, PREDECESSORS, new=ba_che)  # via 06970 -> 06978
    bac_ninh_now = unit_iri("2025", "province", "24")
    assert labels(store, PREDECESSORS, new=bac_ninh_now) == ["Tỉnh Bắc Giang", "Tỉnh Bắc Ninh"]


def test_validity_dates_and_transfer_types(store: GraphStore) -> None:
    load_units(store, MINI_UNITS)
    rows = solutions(store.query("""
        SELECT ?old ?until ?from ?type WHERE {
          ?record kg:predecessor ?old ; kg:successor ?new ; kg:transferType ?type .
          ?old kg:validUntil ?until . ?new kg:validFrom ?from }""",
        bindings={"old": unit_iri("pre-2025", "commune", "00007")}))
    found = {(r["until"].value, r["from"].value, r["type"].value.rsplit("/", 1)[1]) for r in rows}
    assert found == {("2025-07-01", "2025-07-01", "partial")}


def test_hierarchy_has_no_district_level_after_the_reform(store: GraphStore) -> None:
    load_units(store, MINI_UNITS)
    rows = solutions(store.query(
        "SELECT ?unit ?parent { ?unit skos:broader ?parent }",
        bindings={"unit": unit_iri("2025", "commune", "00004")}))
    assert [r["parent"] for r in rows] == [unit_iri("2025", "province", "01")]
    rows = solutions(store.query(
        "SELECT ?unit ?parent { ?unit skos:broader ?parent }",
        bindings={"unit": unit_iri("pre-2025", "commune", "00004")}))
    assert [r["parent"] for r in rows] == [unit_iri("pre-2025", "district", "001")]


@pytest.mark.parametrize(("breakage", "expected"), [
    ("missing-file", "missing file vn-units-2025-centroids-bbox.csv"),
    ("malformed-json", "vn-units-2025-34prov-full.json, line 1: malformed JSON"),
    ("duplicate-code", "duplicate commune code 00004"),
    ("missing-field", "field 'FullName': missing value"),
])
def test_bad_official_list_is_refused_with_file_record_and_field(
        tmp_path: Path, store: GraphStore, breakage: str, expected: str) -> None:
    folder = tmp_path / "units"
    shutil.copytree(MINI_UNITS, folder)
    current = folder / "vn-units-2025-34prov-full.json"
    data = json.loads(current.read_text(encoding="utf-8"))
    if breakage == "missing-file":
        (folder / "vn-units-2025-centroids-bbox.csv").unlink()
    elif breakage == "malformed-json":
        current.write_text('[{"Code": "01",', encoding="utf-8")
    elif breakage == "duplicate-code":
        data[0]["Wards"].append(dict(data[0]["Wards"][0]))
        current.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        del data[0]["Wards"][1]["FullName"]
        current.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    load_units(store, MINI_UNITS)
    before = store.graphs()
    with pytest.raises(LoadError) as raised:
        load_units(store, folder)
    assert expected in str(raised.value)
    assert store.graphs() == before


def test_project_province_table_has_both_editions_and_their_links() -> None:
    units = read_province_table()
    assert units.report.loaded_counts[("2025", "province")] == 34
    assert units.report.loaded_counts[("pre-2025", "province")] == 63
    assert units.report.successions == 63


# --- the full official list, when ../shared is present --------------------------------------

@pytest.fixture(scope="module")
def official_store(tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    from tests.conftest import SHARED_UNITS

    if not SHARED_UNITS.is_dir():
        pytest.skip(f"real data not present at {SHARED_UNITS}; the mini fixture covers this")
    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path_factory.mktemp("official") / "store")
    load_units(store, SHARED_UNITS)
    return store


def test_official_counts_equal_the_source(shared_units: Path) -> None:
    report = read_admin_units(shared_units).report
    assert report.source_counts == report.loaded_counts
    assert dict(report.loaded_counts) == {
        ("2025", "province"): 34, ("2025", "commune"): 3321, ("pre-2025", "province"): 63,
        ("pre-2025", "district"): 696, ("pre-2025", "commune"): 10035}
    assert report.geometries == 3355
    assert report.split_units == 460


def test_official_counts_in_the_store(official_store: GraphStore) -> None:
    rows = solutions(official_store.query("""
        SELECT ?scheme (COUNT(?u) AS ?n) { ?u a kg:AdministrativeUnit ; skos:inScheme ?scheme }
        GROUP BY ?scheme"""))
    counts = {r["scheme"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in rows}
    assert counts == {"admin-units-2025": 34 + 3321, "admin-units-pre-2025": 63 + 696 + 10035}


def test_official_crosswalk_real_communes(official_store: GraphStore) -> None:
    # Phường Phúc Xá (00001) went wholly into Phường Hồng Hà (00097).
    assert labels(official_store, SUCCESSORS,
                  old=unit_iri("pre-2025", "commune", "00001")) == ["Phường Hồng Hà"]
    # Phường Điện Biên (00019) was split between four new wards.
    assert labels(official_store, SUCCESSORS, old=unit_iri("pre-2025", "commune", "00019")) == [
        "Phường Ba Đình", "Phường Hoàn Kiếm", "Phường Văn Miếu - Quốc Tử Giám",
        "Phường Ô Chợ Dừa"]
    # Phường Ba Đình (new 00004) was formed from ten former wards, Trúc Bạch among them.
    formed = labels(official_store, PREDECESSORS, new=unit_iri("2025", "commune", "00004"))
    assert len(formed) == 10 and "Phường Trúc Bạch" in formed
    # The island district of Côn Đảo became a special zone.
    assert labels(official_store, SUCCESSORS,
                  old=unit_iri("pre-2025", "district", "755")) == ["Đặc khu Côn Đảo"]
