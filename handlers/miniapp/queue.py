"""The Mini App's queue: the filters a supervisor picks, the free text read as /cari reads it, within
what the user may see, nearest Bawaslu deadline first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from handlers.common.when import format_short_date
from handlers.report.prompts import category_label
from handlers.triage.machine import STATE_CODES
from handlers.triage.rules import bawaslu_deadline
from handlers.triage.search import DayRange, SearchError, parse_search
from locales import t
from storage.models import CLOSED_STATES, Category, Report, ReportState
from storage.triage import ReportFilter

QUEUE_PAGE: Final = 25
MAX_TEXT: Final = 200
OPEN_STATES: Final = tuple(s for s in ReportState if s not in CLOSED_STATES and s is not ReportState.DITERUSKAN)
_STATE_BY_CODE: Final = {code: state for state, code in STATE_CODES.items()}


def state_from_code(code: str) -> ReportState | None:
    """The state a page was drawn for, from the card buttons' one-letter code (machine.STATE_CODES)."""
    return _STATE_BY_CODE.get(code)


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What the queue's form asks for; None is "any". Already validated (bot/web/miniapp reads it)."""

    states: tuple[ReportState, ...] | None = OPEN_STATES
    region_ids: tuple[str, ...] | None = None
    categories: tuple[Category, ...] | None = None
    first: date | None = None
    last: date | None = None
    text: str = ""
    page: int = 0


def _both(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if a is None:
        return b
    if b is None:
        return a
    return tuple(x for x in a if x in b)


def queue_filter(query: QueueQuery, regions: RegionCatalog, tz: ZoneInfo) -> ReportFilter:
    """One filter from the form and the free text (/cari's syntax; raises SearchError). The user's share
    is applied beside it, by storage (`Access.scopes`)."""
    typed = parse_search(query.text, regions, tz) if query.text.strip() else ReportFilter()
    if query.first and query.last and query.first > query.last:
        raise SearchError("triage.search_bad_range")
    start, end = DayRange(query.first, query.last).instants(tz)
    received_from = max((d for d in (start, typed.received_from) if d is not None), default=None)
    received_before = min((d for d in (end, typed.received_before) if d is not None), default=None)
    states = _both(query.states, typed.states)
    categories = _both(query.categories, typed.categories)
    return ReportFilter(
        region_ids=_both(query.region_ids, typed.region_ids),
        categories=tuple(Category(c) for c in categories) if categories is not None else None,
        states=tuple(ReportState(s) for s in states) if states is not None else None,
        received_from=received_from,
        received_before=received_before,
        name=typed.name,
    )


def queue_item(report: Report, regions: RegionCatalog, locale: str, tz: ZoneInfo, today: date) -> dict[str, object]:
    """One row of the list, as the page shows it (plain text: the page escapes nothing itself)."""
    region = regions.region(report.region_id)
    deadline = bawaslu_deadline(report.known_day, today)
    return {
        "id": report.id,
        "code": report.code,
        "state": report.state.value,
        "state_code": STATE_CODES[report.state],
        "state_label": t(locale, f"state.{report.state}"),
        "category": report.category.value,
        "category_label": category_label(locale, report.category),
        "region": region.name if region else report.region_id,
        "subject": report.subject_name or t(locale, "report.unknown_name"),
        "incident_date": report.incident_date.isoformat(),
        "received": report.created_at.astimezone(tz).date().isoformat(),
        "deadline": deadline.closes_on.isoformat(),
        "deadline_text": format_short_date(deadline.closes_on, locale),
        "days_left": deadline.days_left,
        "deadline_status": deadline.status.value if report.state in OPEN_STATES else "closed",
    }
