"""The /cari and /ekspor argument syntax.

    /cari wilayah:klaten status:baru kategori:medsos dari:2023-11-01 sampai:2023-11-30 nama:budi
    /cari nama:"budi santoso" status:baru,diproses
    /cari budi                      (bare words search the terlapor's name)

Keys have Indonesian and English names; a value may list alternatives separated by commas; a value with
spaces is quoted. Dates are the day a report was received (local time), `sampai` included; they may be
written 2023-11-30, 30-11-2023 or 30/11/2023.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.errors import LaporNetralError
from handlers.common.regions import UNKNOWN_REGION_ID, RegionCatalog
from handlers.common.text import esc_within, normalize_label
from handlers.report.conversation import says_region_unknown
from locales import LOCALES, t
from storage.models import Category, ReportState
from storage.triage import ReportFilter

_ISO: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY: Final = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
MAX_NAME: Final = 100
# A day's local midnight and the next one must both be instants Python can hold in UTC; a zone's offset is
# under a day, so one day of margin at each end of the calendar is enough.
FIRST_DAY: Final = date.min + timedelta(days=1)
LAST_DAY: Final = date.max - timedelta(days=1)


class SearchError(LaporNetralError, ValueError):
    """A query the group can fix: `key` is the message, `value` what was not understood (escaped)."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.value = esc_within(value, 60)


def parse_day(text: str) -> date | None:
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0))):
        match = pattern.match(text.strip())
        if match:
            parts = [int(g) for g in match.groups()]
            try:
                return date(parts[order[0]], parts[order[1]], parts[order[2]])
            except ValueError:
                return None
    return None


def read_day(text: str) -> date:
    """A date the group typed, within the days a search can hold; raises SearchError otherwise."""
    day = parse_day(text)
    if day is None:
        raise SearchError("triage.search_bad_date", text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise SearchError("triage.search_date_out_of_range", text)
    return day


def _labels(prefix: str, values: list[str]) -> dict[str, str]:
    """Typed forms of enum values: the value itself and its label in every locale, normalized."""
    table: dict[str, str] = {}
    for value in values:
        table[normalize_label(value.replace("_", " "))] = value
        for locale in LOCALES:
            table[normalize_label(t(locale, f"{prefix}.{value}"))] = value
    return table


def _pick(table: dict[str, str], raw: str, error: str) -> str:
    key = normalize_label(raw.replace("_", " "))
    if key in table:
        return table[key]
    starts = {v for k, v in table.items() if k.startswith(key)} if key else set()
    if len(starts) == 1:
        return starts.pop()
    raise SearchError(error, raw)


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date | None
    last: date | None

    def instants(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        start = datetime.combine(self.first, time(0), tzinfo=tz) if self.first else None
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz) if self.last else None
        return start, end


@dataclass(slots=True)
class _Query:
    """What /cari's words have said so far; None means the key was not given."""

    regions: RegionCatalog
    region_ids: list[str] | None = None
    categories: list[Category] | None = None
    states: list[ReportState] | None = None
    first: date | None = None
    last: date | None = None
    names: list[str] = field(default_factory=list)


def _add_regions(query: _Query, parts: list[str], value: str) -> None:
    ids = query.region_ids or []
    for part in parts:
        if says_region_unknown(part):
            # The reports whose reporter could not name the kab/kota (the provincial team's).
            ids += [UNKNOWN_REGION_ID] if UNKNOWN_REGION_ID not in ids else []
            continue
        found = query.regions.match(part)
        if not found:
            raise SearchError("triage.search_bad_region", part)
        ids += [r.id for r in found if r.id not in ids]
    query.region_ids = ids


def _add_categories(query: _Query, parts: list[str], value: str) -> None:
    table = _labels("category", [c.value for c in Category])
    query.categories = (query.categories or []) + [
        Category(_pick(table, p, "triage.search_bad_category")) for p in parts
    ]


def _add_states(query: _Query, parts: list[str], value: str) -> None:
    table = _labels("state", [s.value for s in ReportState])
    query.states = (query.states or []) + [ReportState(_pick(table, p, "triage.search_bad_state")) for p in parts]


def _set_first(query: _Query, parts: list[str], value: str) -> None:
    query.first = read_day(value)


def _set_last(query: _Query, parts: list[str], value: str) -> None:
    query.last = read_day(value)


def _add_name(query: _Query, parts: list[str], value: str) -> None:
    query.names.append(value)


_Reader = Callable[[_Query, list[str], str], None]

# Each key (in either language) names the reader of its value.
_KEYS: Final[dict[str, _Reader]] = {
    "wilayah": _add_regions,
    "region": _add_regions,
    "kab": _add_regions,
    "kota": _add_regions,
    "daerah": _add_regions,
    "kategori": _add_categories,
    "category": _add_categories,
    "jenis": _add_categories,
    "status": _add_states,
    "state": _add_states,
    "dari": _set_first,
    "from": _set_first,
    "mulai": _set_first,
    "sampai": _set_last,
    "to": _set_last,
    "hingga": _set_last,
    "until": _set_last,
    "nama": _add_name,
    "name": _add_name,
    "terlapor": _add_name,
}


def _read_token(query: _Query, token: str) -> None:
    """One word of the query: `key:value`, or a bare word (a URL's `https:` is a bare word) of the name."""
    key, sep, value = token.partition(":")
    reader = _KEYS.get(key.lower()) if sep else None
    if reader is None:
        if sep and not key.lower().startswith("http"):
            raise SearchError("triage.search_bad_key", key)
        query.names.append(token)
        return
    if not value.strip():
        raise SearchError("triage.search_empty_value", key)
    reader(query, [p.strip() for p in value.split(",") if p.strip()], value)


def _tokens(text: str) -> list[str]:
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise SearchError("triage.search_bad_quotes") from exc
    if not tokens:
        raise SearchError("triage.search_help")
    return tokens


def _as_filter(query: _Query, tz: ZoneInfo) -> ReportFilter:
    if query.first and query.last and query.first > query.last:
        raise SearchError("triage.search_bad_range")
    name = " ".join(query.names).strip() or None
    if name and len(name) > MAX_NAME:
        raise SearchError("triage.search_bad_name", name)
    start, end = DayRange(query.first, query.last).instants(tz)
    return ReportFilter(
        region_ids=tuple(query.region_ids) if query.region_ids is not None else None,
        categories=tuple(query.categories) if query.categories is not None else None,
        states=tuple(query.states) if query.states is not None else None,
        received_from=start,
        received_before=end,
        name=name,
    )


def parse_search(text: str, regions: RegionCatalog, tz: ZoneInfo) -> ReportFilter:
    """Turn /cari's arguments into a filter; raises SearchError naming what it did not understand."""
    query = _Query(regions)
    for token in _tokens(text):
        _read_token(query, token)
    return _as_filter(query, tz)


def parse_range(args: str, today: date, default_days: int = 30) -> DayRange:
    """/ekspor [from] [to]: both optional; the default is the last `default_days` days up to today."""
    words = args.split()
    if len(words) > 2:
        raise SearchError("triage.export_usage")
    days = [read_day(w) for w in words]
    first = days[0] if days else today - timedelta(days=default_days - 1)
    last = days[1] if len(days) == 2 else today
    if first > last:
        raise SearchError("triage.search_bad_range")
    return DayRange(first, last)
