"""The chart is a PNG a phone shows well; the spreadsheet reopens with the day's rows, their chronology and
deadline, and no reporter identity."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

from openpyxl import load_workbook
from PIL import Image

from handlers.common.regions import RegionCatalog
from handlers.summary.service import SummaryService
from handlers.summary.sheet import mask_numbers
from locales import t
from tests.summary.seed import (
    DAY,
    SECRET_ADDRESS_PREFIX,
    SECRET_DESCRIPTION,
    SECRET_NAME,
    SECRET_PHONE,
    STATES,
    TYPED_NIK,
    TYPED_PHONE,
    TZ,
    Seed,
    created_on,
    description,
    expected,
    window,
)

HEADER = [
    "Kode",
    "Diterima (WIB)",
    "Kategori",
    "Nama terlapor",
    "Instansi",
    "Status kepegawaian",
    "Kabupaten/kota",
    "Tempat",
    "Tanggal kejadian",
    "Tanggal diketahui",
    "Batas lapor Bawaslu",
    "Sisa hari",
    "Status laporan",
    "Foto",
    "Tautan",
    "Kronologi",
]
MASK = "[nomor disamarkan]"


async def test_chart_is_a_phone_sized_png(service: SummaryService) -> None:
    rendered = await service.compose(DAY)
    assert rendered.chart is not None
    image = Image.open(io.BytesIO(rendered.chart))
    image.load()
    assert image.format == "PNG"
    assert 1000 <= image.width <= 1200
    # Every region with a report gets its row, so a busy day makes a taller image, not an "others" bucket.
    regions = len((await service.figures(DAY, service.clock())).by_region)
    assert 500 + 50 * regions <= image.height <= 700 + 70 * regions
    # Not blank: the bars put several distinct colours on the canvas.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 8


async def test_spreadsheet_rows_are_the_days_reports(
    service: SummaryService, seeds: list[Seed], regions: RegionCatalog
) -> None:
    rendered = await service.compose(DAY)
    assert rendered.sheet is not None and rendered.stem == "ringkasan-2024-01-10"
    workbook = load_workbook(io.BytesIO(rendered.sheet))
    assert workbook.sheetnames == ["Laporan", "Per kabupaten-kota"]
    sheet = workbook["Laporan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    todays = sorted(created_on(seeds, DAY), key=lambda s: (s.created_at, s.id))
    assert len(rows) - 1 == len(todays)
    for row, seed in zip(rows[1:], todays, strict=True):
        region = regions.region(seed.region_id)
        assert region is not None
        created = seed.created_at.astimezone(TZ).replace(tzinfo=None, microsecond=0)
        assert row[0] == seed.code
        assert row[1] == created
        assert row[2] == t("id", f"category.{seed.category}").split(" ", 1)[1]  # label without its emoji
        assert row[3] == seed.subject_name
        assert row[6] == region.name and row[7] == seed.place
        assert row[8] == datetime.combine(seed.incident_date, datetime.min.time())
        # The seed's rows carry no known-day: the database gives them their incident day (migration 0009).
        assert row[9] == row[8]
        # Bawaslu's seven days from the known-day, counted down from the morning the summary is read.
        assert row[10] == row[9] + timedelta(days=7)
        assert row[11] == (seed.incident_date + timedelta(days=7) - (DAY + timedelta(days=1))).days
        assert row[12] == t("id", f"state.{seed.state_at(window(DAY)[1])}")  # as at the day's end
        assert (row[13], row[14]) == (seed.photos, seed.links)
        assert row[15] == description(seed).replace(TYPED_PHONE, MASK).replace(TYPED_NIK, MASK)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:P{len(todays) + 1}"
    # Reporters' text is text: a typed formula stays a string cell.
    formula_cells = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=")]
    assert formula_cells and all(c.data_type == "s" for c in formula_cells)


async def test_spreadsheet_lists_every_region_by_state(
    service: SummaryService, seeds: list[Seed], regions: RegionCatalog
) -> None:
    rendered = await service.compose(DAY)
    assert rendered.sheet is not None
    sheet = load_workbook(io.BytesIO(rendered.sheet))["Per kabupaten-kota"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["Kabupaten/kota", *(t("id", f"state.{s}") for s in STATES), "Total"]
    want = expected(seeds).by_region
    body, total = rows[1:-1], rows[-1]
    by_name = {r.name: r for r in regions.regions}
    assert sorted(r[0] for r in body) == sorted(by_name)  # all 35, zeros included
    # Most reports first; ties in catalog order, the chart's order.
    order = {r.id: i for i, r in enumerate(regions.regions)}
    assert [r[0] for r in body] == [
        by_name[name].name
        for name in sorted(by_name, key=lambda n: (-sum(want.get(by_name[n].id, {}).values()), order[by_name[n].id]))
    ]
    for row in body:
        counts = want.get(by_name[str(row[0])].id, dict.fromkeys(STATES, 0))
        assert list(row[1:-1]) == [counts[s] for s in STATES]
        assert row[-1] == sum(counts.values())
    todays = created_on(seeds, DAY)
    at_end = window(DAY)[1]
    assert list(total) == ["Total", *(sum(1 for s in todays if s.state_at(at_end) == st) for st in STATES), len(todays)]
    # The filter covers the regions only, so sorting them never moves the total row in among them.
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:I{len(body) + 1}"


async def test_spreadsheet_holds_no_reporter_identity(service: SummaryService, seeds: list[Seed]) -> None:
    todays = created_on(seeds, DAY)
    assert any(s.contact for s in todays)  # contacts were shared that day
    assert any(TYPED_PHONE in description(s) for s in todays) and any(TYPED_NIK in description(s) for s in todays)
    rendered = await service.compose(DAY)
    assert rendered.sheet is not None
    with zipfile.ZipFile(io.BytesIO(rendered.sheet)) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    # The chronology is there, for the office to act on; the numbers reporters typed into it are not.
    assert all(f"{SECRET_DESCRIPTION} {s.id} pada 10-01 pukul 09.30" in xml for s in todays)
    assert MASK in xml
    digits = "".join(ch for ch in SECRET_PHONE if ch.isdigit())
    for secret in (
        SECRET_PHONE,
        digits[2:],
        "9999-0000",
        "99990000",
        TYPED_PHONE,
        TYPED_NIK,
        "5678 0001",
        SECRET_NAME,
        SECRET_ADDRESS_PREFIX,
        "Warga-",
    ):
        assert secret not in xml, secret


def test_long_numbers_are_masked_and_short_ones_kept() -> None:
    mask = "#"
    for typed in (
        "081234567890",
        "+62 812-3456-7890",
        "(0812) 9999-0000",
        "0812.3456.789",
        "3302123456780001",
        "62 812 345 678",
    ):
        assert mask_numbers(f"hubungi {typed} ya", mask) == "hubungi # ya", typed
    for kept in ("pukul 09.30", "10-01-24", "RT 03 RW 05", "Rp 1.500.000", "1234567", "LN-T00042"):
        assert mask_numbers(kept, mask) == kept
