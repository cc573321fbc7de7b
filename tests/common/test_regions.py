from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from handlers.common.regions import MAX_ID_LENGTH, Region, RegionCatalog, RegionGroup, default_catalog

DATA_FILE = Path(__file__).resolve().parents[2] / "handlers" / "common" / "data" / "jawa_tengah.json"

EXPECTED_GROUPS: dict[str, list[str]] = {
    "banyumas": ["Kab. Banyumas", "Kab. Cilacap", "Kab. Purbalingga", "Kab. Banjarnegara"],
    "pekalongan": [
        "Kab. Pekalongan",
        "Kota Pekalongan",
        "Kab. Batang",
        "Kab. Pemalang",
        "Kab. Tegal",
        "Kota Tegal",
        "Kab. Brebes",
    ],
    "kedu": [
        "Kab. Magelang",
        "Kota Magelang",
        "Kab. Temanggung",
        "Kab. Wonosobo",
        "Kab. Purworejo",
        "Kab. Kebumen",
    ],
    "surakarta": [
        "Kota Surakarta",
        "Kab. Boyolali",
        "Kab. Klaten",
        "Kab. Sukoharjo",
        "Kab. Wonogiri",
        "Kab. Karanganyar",
        "Kab. Sragen",
    ],
    "semarang": [
        "Kota Semarang",
        "Kab. Semarang",
        "Kota Salatiga",
        "Kab. Kendal",
        "Kab. Demak",
        "Kab. Grobogan",
    ],
    "pati": ["Kab. Pati", "Kab. Kudus", "Kab. Jepara", "Kab. Rembang", "Kab. Blora"],
}
ALL_NAMES = [name for names in EXPECTED_GROUPS.values() for name in names]


@pytest.fixture(scope="module")
def catalog() -> RegionCatalog:
    return RegionCatalog.load()


def names(regions: list[Region]) -> list[str]:
    return [r.name for r in regions]


# --- data file -------------------------------------------------------------------------


def test_data_file_shape(catalog: RegionCatalog) -> None:
    assert catalog.province == "Jawa Tengah"
    assert len(catalog.groups) == 6
    assert len(catalog.regions) == 35
    assert {g.id: [r.name for r in g.regions] for g in catalog.groups} == EXPECTED_GROUPS


def test_ids_are_unique_short_ascii_slugs(catalog: RegionCatalog) -> None:
    ids = [g.id for g in catalog.groups] + [r.id for r in catalog.regions]
    assert len(ids) == len(set(ids))
    for id_ in ids:
        assert len(id_) <= MAX_ID_LENGTH
        assert id_.isascii()
        assert id_ == id_.lower()
        assert all(ch.isalnum() or ch == "-" for ch in id_)


def test_group_sizes_fit_a_keyboard(catalog: RegionCatalog) -> None:
    assert all(1 <= len(g.regions) <= 10 for g in catalog.groups)


def test_raw_json_has_no_group_id_duplication() -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert set(raw) == {"province", "groups"}
    for group in raw["groups"]:
        for region in group["regions"]:
            assert set(region) == {"id", "name", "aliases"}


def test_default_path_equals_explicit_path(catalog: RegionCatalog) -> None:
    assert RegionCatalog.load(DATA_FILE) == catalog
    assert default_catalog() is default_catalog()
    assert default_catalog() == catalog


# --- lookups by id -----------------------------------------------------------------------


def test_region_and_group_lookup(catalog: RegionCatalog) -> None:
    solo = catalog.region("kota-surakarta")
    assert solo is not None
    assert solo.name == "Kota Surakarta"
    assert solo.group_id == "surakarta"
    assert solo.kind == "kota"
    assert "solo" in solo.aliases
    group = catalog.group(solo.group_id)
    assert group is not None
    assert solo in group.regions
    assert catalog.region("nope") is None
    assert catalog.group("nope") is None


def test_every_region_group_id_points_to_its_group(catalog: RegionCatalog) -> None:
    for group in catalog.groups:
        for region in group.regions:
            assert region.group_id == group.id
            assert catalog.region(region.id) == region


# --- match -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_name_matches_itself(catalog: RegionCatalog, name: str) -> None:
    assert names(catalog.match(name)) == [name]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_name_matches_itself_mangled(catalog: RegionCatalog, name: str) -> None:
    mangled = "  " + name.upper().replace(".", "").replace(" ", "   ") + "!! "
    assert names(catalog.match(mangled)) == [name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ambiguous bare names: city first
        ("semarang", ["Kota Semarang", "Kab. Semarang"]),
        ("Semarang", ["Kota Semarang", "Kab. Semarang"]),
        ("magelang", ["Kota Magelang", "Kab. Magelang"]),
        ("pekalongan", ["Kota Pekalongan", "Kab. Pekalongan"]),
        ("tegal", ["Kota Tegal", "Kab. Tegal"]),
        # prefixes disambiguate
        ("kab semarang", ["Kab. Semarang"]),
        ("kab. semarang", ["Kab. Semarang"]),
        ("Kab.Semarang", ["Kab. Semarang"]),
        ("kabupaten semarang", ["Kab. Semarang"]),
        ("kabupatn semarang", ["Kab. Semarang"]),
        ("kota semarang", ["Kota Semarang"]),
        ("kot semarang", ["Kota Semarang"]),
        ("KOTA  SEMARANG", ["Kota Semarang"]),
        ("kab magelang", ["Kab. Magelang"]),
        ("kota magelang", ["Kota Magelang"]),
        ("kab pekalongan", ["Kab. Pekalongan"]),
        ("kota pekalongan", ["Kota Pekalongan"]),
        ("kab tegal", ["Kab. Tegal"]),
        ("kota tegal", ["Kota Tegal"]),
        ("kota semarng", ["Kota Semarang"]),
        ("semarang kota", ["Kota Semarang"]),
        # a wrong prefix does not hide a unique name
        ("kota klaten", ["Kab. Klaten"]),
        ("kab salatiga", ["Kota Salatiga"]),
        # typos
        ("surakrta", ["Kota Surakarta"]),
        ("banyumaz", ["Kab. Banyumas"]),
        ("klaten", ["Kab. Klaten"]),
        ("kalten", ["Kab. Klaten"]),
        ("sukohrjo", ["Kab. Sukoharjo"]),
        ("wonosobo", ["Kab. Wonosobo"]),
        ("wonosbo", ["Kab. Wonosobo"]),
        ("purwkerto", ["Kab. Banyumas"]),
        ("grobogn", ["Kab. Grobogan"]),
        # aliases (capitals)
        ("solo", ["Kota Surakarta"]),
        ("Solo", ["Kota Surakarta"]),
        ("SOLO", ["Kota Surakarta"]),
        ("kota solo", ["Kota Surakarta"]),
        ("purwokerto", ["Kab. Banyumas"]),
        ("ungaran", ["Kab. Semarang"]),
        ("mungkid", ["Kab. Magelang"]),
        ("kota mungkid", ["Kab. Magelang"]),
        ("Kota Mungkid", ["Kab. Magelang"]),
        ("slawi", ["Kab. Tegal"]),
        ("kajen", ["Kab. Pekalongan"]),
        ("purwodadi", ["Kab. Grobogan"]),
        ("purwokerto, jawa tengah", ["Kab. Banyumas"]),
        # partial names
        ("karang", ["Kab. Karanganyar"]),
        ("purwo", ["Kab. Banyumas", "Kab. Purworejo", "Kab. Grobogan"]),
        ("wono", ["Kab. Wonosobo", "Kab. Wonogiri"]),
        # nothing plausible
        ("xyz", []),
        ("jakarta", []),
        ("surabaya", []),
        ("bandung", []),
        ("", []),
        ("   ", []),
        ("!!!", []),
        ("kota", []),
        ("kab.", []),
        ("kabupaten", []),
        ("mertoyudan", []),
    ],
)
def test_match(catalog: RegionCatalog, text: str, expected: list[str]) -> None:
    assert names(catalog.match(text)) == expected


@pytest.mark.parametrize("text", ["semarang", "purwo", "wono", "sema", "tega", "a", "kab", "pekalongn"])
def test_match_returns_at_most_three(catalog: RegionCatalog, text: str) -> None:
    assert len(catalog.match(text)) <= 3


def test_match_is_fast(catalog: RegionCatalog) -> None:
    queries = ["semarang", "surakrta", "xyz", "kab semarang", "purwokerto, jawa tengah"]
    start = time.perf_counter()
    for _ in range(200):
        for q in queries:
            catalog.match(q)
    # ~1000 lookups; generous bound so slow CI machines do not flake.
    assert time.perf_counter() - start < 2.0


# --- another province ---------------------------------------------------------------------

DIY = {
    "province": "DI Yogyakarta",
    "groups": [
        {
            "id": "diy",
            "name": "DIY",
            "regions": [
                {"id": "kota-yogyakarta", "name": "Kota Yogyakarta", "aliases": ["jogja", "yogya"]},
                {"id": "kab-sleman", "name": "Kab. Sleman", "aliases": []},
                {"id": "kab-bantul", "name": "Kab. Bantul"},
                {"id": "kab-kulon-progo", "name": "Kab. Kulon Progo", "aliases": ["wates"]},
                {"id": "kab-gunungkidul", "name": "Kab. Gunungkidul", "aliases": ["wonosari"]},
            ],
        }
    ],
}


@pytest.fixture
def diy_path(tmp_path: Path) -> Path:
    path = tmp_path / "diy.json"
    path.write_text(json.dumps(DIY), encoding="utf-8")
    return path


def test_custom_province_file(diy_path: Path) -> None:
    diy = RegionCatalog.load(diy_path)
    assert diy.province == "DI Yogyakarta"
    assert [g.id for g in diy.groups] == ["diy"]
    assert len(diy.regions) == 5
    bantul = diy.region("kab-bantul")
    assert bantul is not None
    assert bantul.group_id == "diy"
    assert bantul.aliases == ()
    assert names(diy.match("jogja")) == ["Kota Yogyakarta"]
    assert names(diy.match("kulon progo")) == ["Kab. Kulon Progo"]
    assert names(diy.match("kulonprogo")) == ["Kab. Kulon Progo"]
    assert names(diy.match("gunung kidul")) == ["Kab. Gunungkidul"]
    assert names(diy.match("wonosari")) == ["Kab. Gunungkidul"]
    assert names(diy.match("semarang")) == []
    # the Jawa Tengah default is untouched
    assert names(default_catalog().match("semarang")) == ["Kota Semarang", "Kab. Semarang"]


def _with_region(**changes: object) -> dict[str, object]:
    region = {"id": "kab-x", "name": "Kab. X", "aliases": [], **changes}
    return {"province": "P", "groups": [{"id": "g", "name": "G", "regions": [region]}]}


@pytest.mark.parametrize(
    "data",
    [
        _with_region(id="kab-this-id-is-far-too-long"),
        _with_region(id="Kab X"),
        _with_region(id=""),
        _with_region(name=""),
        _with_region(group_id="other"),
        _with_region(unknown="field"),
        {"province": "P", "groups": []},
        {"province": "P", "groups": [{"id": "g", "name": "G", "regions": []}]},
        {
            "province": "P",
            "groups": [
                {"id": "g", "name": "G", "regions": [{"id": "dup", "name": "A"}]},
                {"id": "h", "name": "H", "regions": [{"id": "dup", "name": "B"}]},
            ],
        },
        {
            "province": "P",
            "groups": [
                {"id": "g", "name": "G", "regions": [{"id": "a", "name": "A"}]},
                {"id": "g", "name": "H", "regions": [{"id": "b", "name": "B"}]},
            ],
        },
    ],
)
def test_invalid_catalogs_are_rejected(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError):
        RegionCatalog.load(path)


def test_group_model_fills_group_id() -> None:
    group = RegionGroup.model_validate({"id": "g", "name": "G", "regions": [{"id": "a", "name": "A"}]})
    assert group.regions[0].group_id == "g"
    assert group.regions[0].kind is None
