"""The Mini App's pure parts: the tile map's layout and shades, and how the queue's form, the free text
(/cari's syntax) and the user's scope combine into one filter."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from handlers.common.regions import RegionCatalog
from handlers.miniapp.queue import OPEN_STATES, QueueQuery, queue_filter, state_from_code
from handlers.miniapp.tilemap import EMPTY, SHADES, shade, shade_breaks, tile_map_svg, tiles
from handlers.triage.machine import STATE_CODES
from handlers.triage.search import SearchError
from storage.models import Category, ReportState
from tests.triage.helpers import TZ

REGIONS = RegionCatalog.load()


def test_every_region_has_a_tile_of_its_own() -> None:
    grid = tiles(REGIONS)
    assert len(grid) == len(REGIONS.regions) == 35
    assert len({(tile.column, tile.row) for tile in grid}) == 35
    assert {tile.region_id for tile in grid if tile.city} == {r.id for r in REGIONS.regions if r.kind == "kota"}


def test_the_map_is_well_formed_svg_with_escaped_names_and_counts() -> None:
    svg = tile_map_svg({"kab-klaten": 12, "kota-semarang": 3}, REGIONS, "id")
    root = ET.fromstring(svg)
    groups = root.findall("{http://www.w3.org/2000/svg}g")
    assert len(groups) == 35
    counts = {g.get("data-region"): int(g.get("data-count") or -1) for g in groups}
    assert counts["kab-klaten"] == 12 and counts["kota-semarang"] == 3 and counts["kab-blora"] == 0
    klaten = next(g for g in groups if g.get("data-region") == "kab-klaten")
    assert klaten.findtext("{http://www.w3.org/2000/svg}title") == "Kab. Klaten: 12 laporan"


@pytest.mark.parametrize(
    ("highest", "counts"),
    [(0, {}), (3, {1: SHADES[0], 3: SHADES[2]}), (40, {1: SHADES[0], 40: SHADES[4], 9: SHADES[1]})],
)
def test_shades_grow_with_the_count_and_zero_is_grey(highest: int, counts: dict[int, str]) -> None:
    breaks = shade_breaks(highest)
    assert shade(0, breaks) == EMPTY
    for count, expected in counts.items():
        assert shade(count, breaks) == expected
    assert list(breaks) == sorted(breaks)


def test_the_form_and_the_text_narrow_together() -> None:
    query = QueueQuery(
        states=OPEN_STATES,
        region_ids=("kab-klaten", "kab-brebes"),
        categories=(Category.FOTO, Category.MEDSOS),
        first=date(2023, 11, 1),
        text="status:baru kategori:medsos dari:2023-11-10 budi",
    )
    where = queue_filter(query, REGIONS, TZ)
    assert where.region_ids == ("kab-klaten", "kab-brebes")
    assert where.states == (ReportState.BARU,)
    assert where.categories == (Category.MEDSOS,)
    assert where.received_from is not None and where.received_from.date() == date(2023, 11, 10)
    assert where.name == "budi"
    assert queue_filter(QueueQuery(states=None), REGIONS, TZ).region_ids is None


def test_free_text_the_search_refuses_is_refused_here_too() -> None:
    with pytest.raises(SearchError):
        queue_filter(QueueQuery(text="wilayah:atlantis"), REGIONS, TZ)
    with pytest.raises(SearchError):
        queue_filter(QueueQuery(first=date(2023, 11, 5), last=date(2023, 11, 1)), REGIONS, TZ)


def test_state_codes_read_back() -> None:
    assert {state_from_code(code) for code in STATE_CODES.values()} == set(ReportState)
    assert state_from_code("z") is None and state_from_code("") is None
