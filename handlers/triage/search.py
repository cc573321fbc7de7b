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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.errors import LaporNetralError
from handlers.common.regions import RegionCatalog
from handlers.common.text import esc_within, normalize_label
from locales import LOCALES, t
from storage.models import Category, ReportState
from storage.triage import ReportFilter

_KEYS: Final[dict[str, str]] = {
    "wilayah": "region", "region": "region", "kab": "region", "kota": "region", "daerah": "region",
    "kategori": "category", "category": "category", "jenis": "category",
    "status": "state", "state": "state",
    "dari": "from", "from": "from", "mulai": "from",
    "sampai": "to", "to": "to", "hingga": "to", "until": "to",
    "nama": "name", "name": "name", "terlapor": "name",
}
_ISO: Final = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY: Final = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
MAX_NAME: Final = 100


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


def parse_search(text: str, regions: RegionCatalog, tz: ZoneInfo) -> ReportFilter:
    """Turn /cari's arguments into a filter; raises SearchError naming what it did not understand."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise SearchError("triage.search_bad_quotes") from exc
    if not tokens:
        raise SearchError("triage.search_help")
    region_ids: list[str] | None = None
    categories: list[Category] | None = None
    states: list[ReportState] | None = None
    first: date | None = None
    last: date | None = None
    names: list[str] = []
    category_table = _labels("category", [c.value for c in Category])
    state_table = _labels("state", [s.value for s in ReportState])
    for token in tokens:
        key, sep, value = token.partition(":")
        field = _KEYS.get(key.lower()) if sep else None
        if sep and field is None and not key.lower().startswith("http"):
            raise SearchError("triage.search_bad_key", key)
        if field is None:
            names.append(token)
            continue
        if not value.strip():
            raise SearchError("triage.search_empty_value", key)
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if field == "region":
            region_ids = region_ids or []
            for part in parts:
                found = regions.match(part)
                if not found:
                    raise SearchError("triage.search_bad_region", part)
                region_ids += [r.id for r in found if r.id not in region_ids]
        elif field == "category":
            categories = (categories or []) + [Category(_pick(category_table, p, "triage.search_bad_category"))
                                               for p in parts]
        elif field == "state":
            states = (states or []) + [ReportState(_pick(state_table, p, "triage.search_bad_state")) for p in parts]
        elif field in ("from", "to"):
            day = parse_day(value)
            if day is None:
                raise SearchError("triage.search_bad_date", value)
            if field == "from":
                first = day
            else:
                last = day
        else:
            names.append(value)
    if first and last and first > last:
        raise SearchError("triage.search_bad_range")
    name = " ".join(names).strip() or None
    if name and len(name) > MAX_NAME:
        raise SearchError("triage.search_bad_name", name)
    start, end = DayRange(first, last).instants(tz)
    return ReportFilter(
        region_ids=tuple(region_ids) if region_ids is not None else None,
        categories=tuple(categories) if categories is not None else None,
        states=tuple(states) if states is not None else None,
        received_from=start, received_before=end, name=name,
    )


def parse_range(args: str, today: date, default_days: int = 30) -> DayRange:
    """/ekspor [from] [to]: both optional; the default is the last `default_days` days up to today."""
    words = args.split()
    if len(words) > 2:
        raise SearchError("triage.export_usage")
    days = [parse_day(w) for w in words]
    for word, day in zip(words, days, strict=True):
        if day is None:
            raise SearchError("triage.search_bad_date", word)
    first = days[0] if days else today - timedelta(days=default_days - 1)
    last = days[1] if len(days) == 2 else today
    assert first is not None and last is not None
    if first > last:
        raise SearchError("triage.search_bad_range")
    return DayRange(first, last)
