"""The chart is a PNG a phone shows well; the spreadsheet reopens with the day's rows and no reporter identity."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import load_workbook
from PIL import Image

from handlers.common.regions import RegionCatalog
from handlers.summary.service import SummaryService
from locales import t
from tests.summary.seed import (
    DAY,
    SECRET_ADDRESS_PREFIX,
    SECRET_DESCRIPTION,
    SECRET_NAME,
    SECRET_PHONE,
    STATES,
    TZ,
    Seed,
    created_on,
    expected,
    window,
)

HEADER = ["Kode", "Diterima (WIB)", "Kategori", "Nama terlapor", "Instansi", "Status kepegawaian",
          "Kabupaten/kota", "Tempat", "Tanggal kejadian", "Status laporan", "Foto", "Tautan"]


async def test_chart_is_a_phone_sized_png(service: SummaryService) -> None:
    rendered = await service.compose(DAY)
    assert rendered.chart is not None
    image = Image.open(io.BytesIO(rendered.chart))
    image.load()
    assert image.format == "PNG"
    assert 1000 <= image.width <= 1200 and 500 <= image.height <= 1600
    # Not blank: the bars put several distinct colours on the canvas.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 8


async def test_spreadsheet_rows_are_the_days_reports(service: SummaryService, seeds: list[Seed],
                                                     regions: RegionCatalog) -> None:
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
        assert row[9] == t("id", f"state.{seed.state_at(window(DAY)[1])}")  # as at the day's end
        assert (row[10], row[11]) == (seed.photos, seed.links)
    # Reporters' text is text: a typed formula stays a string cell.
    formula_cells = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and c.value.startswith("=")]
    assert formula_cells and all(c.data_type == "s" for c in formula_cells)


async def test_spreadsheet_lists_every_region_by_state(service: SummaryService, seeds: list[Seed],
                                                       regions: RegionCatalog) -> None:
    rendered = await service.compose(DAY)
    assert rendered.sheet is not None
    sheet = load_workbook(io.BytesIO(rendered.sheet))["Per kabupaten-kota"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["Kabupaten/kota", *(t("id", f"state.{s}") for s in STATES), "Total"]
    want = expected(seeds).by_region
    assert [r[0] for r in rows[1:]] == [r.name for r in regions.regions]  # all 35, zeros included
    for row, region in zip(rows[1:], regions.regions, strict=True):
        counts = want.get(region.id, dict.fromkeys(STATES, 0))
        assert list(row[1:-1]) == [counts[s] for s in STATES]
        assert row[-1] == sum(counts.values())


async def test_spreadsheet_holds_no_reporter_identity(service: SummaryService, seeds: list[Seed]) -> None:
    assert any(s.contact for s in created_on(seeds, DAY))  # contacts were shared that day
    rendered = await service.compose(DAY)
    assert rendered.sheet is not None
    with zipfile.ZipFile(io.BytesIO(rendered.sheet)) as archive:
        xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    for secret in (SECRET_PHONE, SECRET_NAME, SECRET_DESCRIPTION, SECRET_ADDRESS_PREFIX, "Warga-"):
        assert secret not in xml

