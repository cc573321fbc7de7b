"""The summary's spreadsheet: the day's reports, and every regency/city by state.

It carries no reporter identity: the rows storage hands over have no reporter and no contact. The
description is there, because the office acts on the chronology, but any run of eight or more digits in
it is masked: reporters type their phone number (or an NIK) into their story, and a number is the one
identity a machine can spot. Text from reporters is always written as text, never as a formula, so
"=HYPERLINK(…)" typed into a place name stays harmless in Excel. Both sheets open filtered-ready with a
frozen header, as an official sorting a busy day expects.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.common.regions import RegionCatalog
from handlers.handoff.referral import outcome_key, outcome_of, reference_of, target_of
from handlers.report.prompts import category_label, region_text, status_label
from handlers.summary.figures import RegionFigure, SummaryFigures, plain_label, region_name
from handlers.triage.machine import target_key
from handlers.triage.rules import bawaslu_deadline
from locales import t, tn
from storage.models import ReportState
from storage.referrals import ForwardedReport
from storage.summary import SheetRow

DATETIME_FORMAT: Final = "dd/mm/yyyy hh:mm"
DATE_FORMAT: Final = "dd/mm/yyyy"
_COLUMNS: Final = (
    ("code", 12),
    ("created", 18),
    ("category", 26),
    ("subject_name", 24),
    ("subject_agency", 30),
    ("subject_status", 22),
    ("region", 22),
    ("place", 34),
    ("incident", 16),
    ("known", 16),
    ("deadline", 16),
    ("days_left", 10),
    ("state", 16),
    ("photos", 8),
    ("links", 8),
    ("chronology", 80),
)
_CHRONOLOGY: Final = len(_COLUMNS)  # last: the one long column, wrapped, does not push the others away
# Eight digits or more, with the spaces, dots, dashes and brackets people write numbers with: every
# Indonesian mobile number (0812-3456-789) and NIK, at the price of masking a rare long reference.
_LONG_NUMBER: Final = re.compile(r"\+?\(?\d(?:[ .()-]{0,2}\d){7,}")
CellValue = str | int | datetime | None


def mask_numbers(text: str, mask: str) -> str:
    """`text` with every run of eight or more digits (a phone number, an NIK) replaced by `mask`."""
    return _LONG_NUMBER.sub(mask, text)


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
    figures: SummaryFigures,
    rows: Sequence[SheetRow],
    regions: RegionCatalog,
    locale: str,
    tz: ZoneInfo,
    referrals: Sequence[ForwardedReport] = (),
) -> bytes:
    """The workbook's bytes: sheet 1 the day's reports in order of arrival, sheet 2 all regions by state,
    sheet 3, when there are any, the referrals (forwarded in the last 7 days, or still without an outcome)."""
    workbook = Workbook()
    workbook.properties.creator = "Lapor Netral"
    reports = workbook.active
    assert reports is not None
    reports.title = t(locale, "summary.sheet_reports")
    zone = datetime.combine(figures.day, time(), tz).tzname() or ""
    _header(
        reports, [t(locale, f"summary.col_{name}", zone=zone) for name, _ in _COLUMNS], [width for _, width in _COLUMNS]
    )
    formats = {2: DATETIME_FORMAT, 9: DATE_FORMAT, 10: DATE_FORMAT, 11: DATE_FORMAT}
    # Days left counted from the morning the summary is read, as the summary's own deadline list counts.
    reference = figures.day + timedelta(days=1)
    mask = t(locale, "summary.masked_number")
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(rows, 2):
        # Excel has no time zones: the local wall-clock time, named in the column header.
        created = row.created_at.astimezone(tz).replace(tzinfo=None, microsecond=0)
        known = row.known_date or row.incident_date
        deadline = bawaslu_deadline(known, reference)
        _append(
            reports,
            number,
            [
                row.code,
                created,
                plain_label(category_label(locale, row.category)),
                row.subject_name,
                row.subject_agency,
                status_label(locale, row.subject_status),
                region_text(row.region_id, row.workplace, regions, locale),
                row.place,
                datetime.combine(row.incident_date, time()),
                datetime.combine(known, time()),
                datetime.combine(deadline.closes_on, time()),
                deadline.days_left,
                t(locale, f"state.{row.state}"),
                row.photos,
                row.links,
                mask_numbers(row.description, mask),
            ],
            formats,
        )
        reports.cell(number, _CHRONOLOGY).alignment = wrap
    reports.auto_filter.ref = f"A1:{get_column_letter(len(_COLUMNS))}{len(rows) + 1}"
    _regions_sheet(workbook.create_sheet(t(locale, "summary.sheet_regions")), figures, regions, locale)
    if figures.referrals is not None and figures.referrals.anything:
        sheet = workbook.create_sheet(t(locale, "summary.sheet_referrals"))
        _referrals_sheet(sheet, figures, referrals, regions, locale, tz)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _regions_sheet(sheet: Worksheet, figures: SummaryFigures, regions: RegionCatalog, locale: str) -> None:
    """Every region, most reports first, and a total row under them."""
    states = list(ReportState)
    _header(
        sheet,
        [t(locale, "summary.col_region"), *(t(locale, f"state.{s}") for s in states), t(locale, "summary.col_total")],
        [26, *(14 for _ in states), 10],
    )
    # figures.by_region is already ranked (most first, ties in catalog order); then the catalog's other
    # regions at zero, so a region with no report is visibly zero rather than missing.
    counted = {r.region_id for r in figures.by_region}
    ranked = [
        *figures.by_region,
        *(RegionFigure(region_id=r.id, total=0, by_state={}) for r in regions.regions if r.id not in counted),
    ]
    for number, figure in enumerate(ranked, 2):
        counts = [figure.by_state.get(s, 0) for s in states]
        _append(sheet, number, [region_name(regions, figure.region_id, locale), *counts, sum(counts)])
    last = len(ranked) + 1
    # Only the regions are filtered and sorted; the total row stays below them, outside the range.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(states) + 2)}{last}"
    totals = [sum(f.by_state.get(s, 0) for f in ranked) for s in states]
    _append(sheet, last + 1, [t(locale, "summary.col_total"), *totals, sum(totals)])
    for column in range(1, len(states) + 3):
        sheet.cell(last + 1, column).font = Font(bold=True)


_REFERRAL_COLUMNS: Final = (
    ("code", 12),
    ("region", 22),
    ("target", 24),
    ("forwarded", 18),
    ("days_since", 12),
    ("reference", 30),
    ("outcome", 28),
    ("outcome_at", 18),
    ("overdue", 14),
)


def _referrals_sheet(
    sheet: Worksheet,
    figures: SummaryFigures,
    rows: Sequence[ForwardedReport],
    regions: RegionCatalog,
    locale: str,
    tz: ZoneInfo,
) -> None:
    """One row per hand-off, oldest first: where it went, the office's number, its outcome, whether overdue."""
    assert figures.referrals is not None
    overdue_days = figures.referrals.overdue_days
    zone = datetime.combine(figures.day, time(), tz).tzname() or ""
    overdue_label = tn(locale, "count.days", overdue_days, n=overdue_days)
    _header(
        sheet,
        [t(locale, f"summary.col_ref_{name}", zone=zone, days=overdue_label) for name, _ in _REFERRAL_COLUMNS],
        [width for _, width in _REFERRAL_COLUMNS],
    )
    formats = {4: DATETIME_FORMAT, 8: DATETIME_FORMAT}

    def local(moment: datetime) -> datetime:
        return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)

    for number, row in enumerate(rows, 2):
        target = target_of(row.target)
        outcome = outcome_of(row.outcome)
        days = (figures.as_of - row.forwarded_at).days
        _append(
            sheet,
            number,
            [
                row.code,
                region_name(regions, row.region_id),
                t(locale, target_key(target)) if target else row.target,
                local(row.forwarded_at),
                days,
                reference_of(row.reference),
                t(locale, outcome_key(outcome)) if outcome else None,
                local(row.outcome_at) if row.outcome_at else None,
                t(locale, "summary.referral_overdue_yes") if outcome is None and days >= overdue_days else None,
            ],
            formats,
        )
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_REFERRAL_COLUMNS))}{len(rows) + 1}"
