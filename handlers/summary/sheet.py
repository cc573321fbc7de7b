"""The summary's spreadsheet: the day's reports, and every regency/city by state.

It carries no reporter identity: the rows storage hands over have no reporter, no contact and no
description (a reporter's own words may name them). Text from reporters is always written as text,
never as a formula, so "=HYPERLINK(…)" typed into a place name stays harmless in Excel.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.common.regions import RegionCatalog
from handlers.report.prompts import category_label, status_label
from handlers.summary.figures import SummaryFigures, plain_label, region_name
from locales import t
from storage.models import ReportState
from storage.summary import SheetRow

DATETIME_FORMAT: Final = "dd/mm/yyyy hh:mm"
DATE_FORMAT: Final = "dd/mm/yyyy"
_COLUMNS: Final = (
    ("code", 12), ("created", 18), ("category", 26), ("subject_name", 24), ("subject_agency", 30),
    ("subject_status", 22), ("region", 22), ("place", 34), ("incident", 16), ("state", 16),
    ("photos", 8), ("links", 8),
)
CellValue = str | int | datetime | None


def _append(sheet: Worksheet, row: int, values: Sequence[CellValue], formats: dict[int, str] | None = None) -> None:
    """Write row number `row` (counted by the caller: Worksheet.max_row scans every cell, each time)."""
    for column, value in enumerate(values, 1):
        cell = sheet.cell(row, column)
        if isinstance(value, str):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.data_type = "s"  # openpyxl reads a leading "=" as a formula; reporters' text is text
        else:
            cell.value = value
        if formats and column in formats:
            cell.number_format = formats[column]


def _header(sheet: Worksheet, titles: Sequence[str], widths: Sequence[int]) -> None:
    _append(sheet, 1, titles)
    for column, width in enumerate(widths, 1):
        sheet.cell(1, column).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def sheet_xlsx(
    figures: SummaryFigures, rows: Sequence[SheetRow], regions: RegionCatalog, locale: str, tz: ZoneInfo,
) -> bytes:
    """The workbook's bytes: sheet 1 the day's reports in order of arrival, sheet 2 all regions by state."""
    workbook = Workbook()
    workbook.properties.creator = "Lapor Netral"
    reports = workbook.active
    assert reports is not None
    reports.title = t(locale, "summary.sheet_reports")
    zone = datetime.combine(figures.day, time(), tz).tzname() or ""
    _header(reports, [t(locale, f"summary.col_{name}", zone=zone) for name, _ in _COLUMNS],
            [width for _, width in _COLUMNS])
    formats = {2: DATETIME_FORMAT, 9: DATE_FORMAT}
    for number, row in enumerate(rows, 2):
        # Excel has no time zones: the local wall-clock time, named in the column header.
        created = row.created_at.astimezone(tz).replace(tzinfo=None, microsecond=0)
        _append(reports, number, [
            row.code, created, plain_label(category_label(locale, row.category)), row.subject_name,
            row.subject_agency, status_label(locale, row.subject_status), region_name(regions, row.region_id),
            row.place, datetime.combine(row.incident_date, time()), t(locale, f"state.{row.state}"), row.photos,
            row.links,
        ], formats)
    reports.auto_filter.ref = f"A1:{get_column_letter(len(_COLUMNS))}{len(rows) + 1}"

    by_region = workbook.create_sheet(t(locale, "summary.sheet_regions"))
    states = list(ReportState)
    _header(by_region, [t(locale, "summary.col_region"), *(t(locale, f"state.{s}") for s in states),
                        t(locale, "summary.col_total")], [26, *(14 for _ in states), 10])
    counted = {r.region_id: r for r in figures.by_region}
    # Every region of the catalog, zeros included, so a region with no report is visibly zero;
    # then any region id no longer in the catalog, so no report goes uncounted.
    region_ids = [r.id for r in regions.regions] + [r.region_id for r in figures.by_region
                                                      if regions.region(r.region_id) is None]
    for number, region_id in enumerate(region_ids, 2):
        figure = counted.get(region_id)
        counts = [figure.by_state.get(s, 0) if figure else 0 for s in states]
        _append(by_region, number, [region_name(regions, region_id), *counts, sum(counts)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
