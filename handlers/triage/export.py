"""/ekspor: reports of a date range as a spreadsheet (XLSX through openpyxl) and as CSV.

The reporter appears by pseudonym; their name and phone only when they chose to share them. The witnesses
the reporter named are listed, as the packet lists them: the office asks them. Cells that
a spreadsheet would read as a formula (=, +, -, @ first) are written as text: a report's text is the
reporter's, and must not run in a supervisor's Excel.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from handlers.common.regions import RegionCatalog
from handlers.report.prompts import category_label, region_text, status_label
from handlers.triage.card import action_label
from handlers.triage.machine import ForwardTarget, RejectReason, reason_key, target_key
from handlers.triage.rules import bawaslu_deadline, checklist
from locales import t
from storage.triage import ExportRow

COLUMNS: Final = (
    "code",
    "received",
    "channel",
    "state",
    "category",
    "subject_name",
    "subject_agency",
    "subject_status",
    "region",
    "place",
    "latitude",
    "longitude",
    "incident_date",
    "known_date",
    "bawaslu_deadline",
    "requirements_missing",
    "description",
    "photos",
    "links",
    "reporter",
    "reporter_name",
    "reporter_phone",
    "witnesses",
    "last_action",
    "last_actor",
    "last_at",
    "last_note",
)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _note(row: ExportRow, locale: str) -> str:
    move = row.last_move
    if move is None:
        return ""
    detail = move.detail or ""
    try:
        if detail.startswith("reason:"):
            return t(locale, reason_key(RejectReason(detail[7:])))
        if detail.startswith("target:"):
            return t(locale, target_key(ForwardTarget(detail[7:])))
    except ValueError:
        return detail
    return move.note or ""


def export_table(
    rows: list[ExportRow], regions: RegionCatalog, locale: str, tz: ZoneInfo, today: date
) -> list[list[Cell]]:
    """The header and one row per report, as plain values."""
    table: list[list[Cell]] = [[t(locale, f"triage.col_{c}") for c in COLUMNS]]
    for row in rows:
        report = row.report
        missing = checklist(report, has_evidence=bool(row.photos or row.links)).missing
        move = row.last_move
        table.append(
            [
                report.code,
                report.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                t(locale, f"channel.{report.channel}"),
                t(locale, f"state.{report.state}"),
                category_label(locale, report.category),
                report.subject_name or "",
                report.subject_agency or "",
                status_label(locale, report.subject_status),
                region_text(report.region_id, report.workplace, regions, locale),
                report.place,
                report.latitude,
                report.longitude,
                report.incident_date.isoformat(),
                report.known_day.isoformat(),
                bawaslu_deadline(report.known_day, today).closes_on.isoformat(),
                ", ".join(t(locale, f"triage.req_{r.value}") for r in missing),
                report.description,
                row.photos,
                "\n".join(row.links),
                row.pseudonym,
                (row.contact.name or "") if row.contact else "",
                row.contact.phone if row.contact else "",
                "\n".join(f"{w.name} ({w.reach})" if w.reach else w.name for w in row.witnesses),
                action_label(move.action, locale) if move else "",
                (move.actor_name or t(locale, "triage.actor_reporter")) if move else "",
                move.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if move else "",
                _note(row, locale),
            ]
        )
    return table


def to_xlsx(table: list[list[Cell]], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for sheet names
    for line in table:
        sheet.append([safe_cell(v) for v in line])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table[0] if table else [], 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) + 4))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(table: list[list[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table:
        writer.writerow(["" if v is None else safe_cell(v) for v in line])
    # A BOM so that Excel opens the UTF-8 file with its accents intact.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
