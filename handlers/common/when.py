"""Understand the date a citizen types for "when did it happen", and format dates back.

Accepts what people actually type in Indonesian (and English): ``15/11/2023``,
``15-11-23``, ``15 Nopember 2023``, ``15 agt``, ``2023-11-15``, ``kemarin``,
``3 hari yang lalu``, ``yesterday``... ``today`` is always passed in by the caller so the
parser is deterministic and testable; nothing here reads the clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import get_close_matches
from typing import Final

from babel.dates import format_date

from handlers.common.errors import LaporNetralError

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "DateError",
    "DateInFuture",
    "DateNotUnderstood",
    "DateTooOld",
    "format_long_date",
    "format_short_date",
    "parse_incident_date",
]

# Reports about events older than a year are rarely actionable by the supervisory body,
# so by default they are refused rather than silently accepted.
DEFAULT_MAX_AGE_DAYS: Final = 365

LONG_DATE_PATTERN: Final = "EEEE, d MMMM y"
SHORT_DATE_PATTERN: Final = "d MMM y"


class DateError(LaporNetralError, ValueError):
    """Base class for every reason a typed date is rejected."""


class DateNotUnderstood(DateError):
    def __init__(self, text: str) -> None:
        super().__init__(f"date not understood: {text!r}")
        self.text = text


class DateInFuture(DateError):
    def __init__(self, when: date) -> None:
        super().__init__(f"date is in the future: {when.isoformat()}")
        self.date = when


class DateTooOld(DateError):
    def __init__(self, when: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> None:
        super().__init__(f"date is older than {max_age_days} days: {when.isoformat()}")
        self.date = when
        self.max_age_days = max_age_days


_MONTHS: Final[dict[str, int]] = {
    # Indonesian, including the pre-EYD spellings (Pebruari, Nopember) still common on
    # official letters, and the abbreviations babel itself prints ("Agu", "Okt", "Des").
    "januari": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "febr": 2,
    "maret": 3, "mar": 3, "mrt": 3,
    "april": 4, "apr": 4,
    "mei": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agst": 8, "agus": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12,
    # English full names not already covered above.
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "aug": 8, "october": 10, "december": 12,
}  # fmt: skip
# Only full names are fuzzy-matched: abbreviations are too short to tell typos apart.
_FUZZY_MONTH_NAMES: Final = tuple(name for name in _MONTHS if len(name) >= 5)
_FUZZY_MONTH_CUTOFF: Final = 0.8

_NUMBER_WORDS: Final[dict[str, int]] = {
    "se": 1, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6,
    "tujuh": 7, "delapan": 8, "sembilan": 9, "sepuluh": 10,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_UNIT_DAYS: Final[dict[str, int]] = {
    "hari": 1, "hr": 1, "day": 1, "days": 1,
    "minggu": 7, "mgg": 7, "pekan": 7, "week": 7, "weeks": 7,
}  # fmt: skip

# Fixed phrases -> offset in days from today (negative = future, reported as such).
_RELATIVE_WORDS: Final[dict[str, int]] = {
    "hari ini": 0, "hr ini": 0, "today": 0, "tadi": 0, "barusan": 0,
    "kemarin": 1, "kemaren": 1, "kmrn": 1, "kmarin": 1, "yesterday": 1,
    "kemarin lusa": 2, "kemaren lusa": 2, "kmrn lusa": 2, "kemarin dulu": 2,
    "day before yesterday": 2, "the day before yesterday": 2,
    "besok": -1, "tomorrow": -1, "lusa": -2, "besok lusa": -2,
}  # fmt: skip

_WEEKDAYS: Final = (
    "senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "sen|sel|rab|kam|jum|sab|min|mon|tue|wed|thu|fri|sat|sun"
)

_NUMBER: Final = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_UNIT: Final = "|".join(sorted(_UNIT_DAYS, key=len, reverse=True))
_AGO_RE: Final = re.compile(
    rf"^(?P<n>\d{{1,3}}|{_NUMBER})\s*(?P<unit>{_UNIT})\s+(?:(?:yang|yg)\s+)?(?:lalu|yl|ago|sebelumnya)$"
)
_TIME_OF_DAY_RE: Final = re.compile(r"\s+(?:pagi|siang|sore|malam|morning|afternoon|evening|night)$")
# Trailing clock times ("jam 10", "pukul 14.30") are irrelevant to the date and would
# otherwise be mistaken for one ("14.30" looks like a day.month).
_CLOCK_RE: Final = re.compile(r"(?:\s+|^)(?:pukul|pkl|jam|at)\b.*$")
_FILLER_RE: Final = re.compile(r"^(?:tanggal|tgl|tg|pada|on)\b[\s.]*")
# Weekday names are dropped only when a real date follows: "minggu lalu" is "last week",
# and we never guess a date from a weekday alone.
_WEEKDAY_RE: Final = re.compile(rf"^(?:hari\s+)?(?:{_WEEKDAYS})\b[\s,]*(?=.*\d)")

_ISO_RE: Final = re.compile(r"^(?P<y>\d{4})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<d>\d{1,2})$")
_NUMERIC_RE: Final = re.compile(
    r"^(?P<d>\d{1,2})\s*(?P<sep>[-/.\s])\s*(?P<m>\d{1,2})(?:\s*(?P=sep)\s*(?P<y>\d{4}|\d{2}))?$"
)
_ORDINAL: Final = r"(?:st|nd|rd|th)?"
_YEAR: Final = r"(?P<y>\d{4}|'?\d{2})"
_DAY_MONTH_RE: Final = re.compile(rf"^(?P<d>\d{{1,2}}){_ORDINAL}[\s\-/.]*(?P<mon>[a-z]+)\.?(?:[\s\-/.,]*{_YEAR})?$")
_MONTH_DAY_RE: Final = re.compile(rf"^(?P<mon>[a-z]+)\.?[\s\-/.]*(?P<d>\d{{1,2}}){_ORDINAL}(?:[\s,]+(?P<y>\d{{4}}))?$")
# Years written with two digits are taken from this century unless that would put them
# in the future, so "15/11/99" means 1999 (and is then rejected as too old).
_CENTURY: Final = 2000
# Walking back from the current year to find a valid 29 February needs at most eight
# years (century years skip a leap day).
_MAX_YEARS_BACK: Final = 8


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return " ".join(text.split()).strip(" ,.;:!?")


def _month(word: str) -> int | None:
    month = _MONTHS.get(word)
    if month is None and len(word) >= 5:
        close = get_close_matches(word, _FUZZY_MONTH_NAMES, n=1, cutoff=_FUZZY_MONTH_CUTOFF)
        month = _MONTHS[close[0]] if close else None
    return month


def _year(raw: str, today: date) -> int:
    raw = raw.lstrip("'")
    year = int(raw)
    if len(raw) == 2:
        year += _CENTURY
        if year > today.year:
            year -= 100
    return year


def _most_recent(day: int, month: int, today: date) -> date:
    """The latest ``day``/``month`` that is not after ``today``."""
    for year in range(today.year, today.year - _MAX_YEARS_BACK - 1, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 29 February in a common year, or an impossible day like 31/04
        if candidate <= today:
            return candidate
    raise ValueError(f"no valid {day}/{month} near {today}")


def _build(day: int, month: int, year: int | None, today: date) -> date:
    if year is None:
        return _most_recent(day, month, today)
    return date(year, month, day)


def _relative(text: str, today: date) -> date | None:
    text = _TIME_OF_DAY_RE.sub("", text)
    offset = _RELATIVE_WORDS.get(text)
    if offset is not None:
        return today - timedelta(days=offset)
    ago = _AGO_RE.match(text)
    if ago is None:
        return None
    raw_n = ago["n"]
    n = int(raw_n) if raw_n.isdigit() else _NUMBER_WORDS[raw_n]
    return today - timedelta(days=n * _UNIT_DAYS[ago["unit"]])


def _iso(text: str, today: date) -> date | None:
    m = _ISO_RE.match(text)
    return date(int(m["y"]), int(m["m"]), int(m["d"])) if m else None


def _numeric(text: str, today: date) -> date | None:
    m = _NUMERIC_RE.match(text)
    if m is None:
        return None
    first, second = int(m["d"]), int(m["m"])
    year = _year(m["y"], today) if m["y"] else None
    # Indonesians write day first. Only when that reading is impossible and the
    # month-first one is not ("11/15/2023") do we assume a US-style date.
    if second > 12 >= first:
        first, second = second, first
    return _build(first, second, year, today)


def _named_month(text: str, today: date) -> date | None:
    m = _DAY_MONTH_RE.match(text) or _MONTH_DAY_RE.match(text)
    if m is None:
        return None
    month = _month(m["mon"])
    if month is None:
        return None
    year = _year(m["y"], today) if m["y"] else None
    return _build(int(m["d"]), month, year, today)


_PARSERS: Final[tuple[Callable[[str, date], date | None], ...]] = (
    _relative,
    _iso,
    _numeric,
    _named_month,
)


def _parse(text: str, today: date) -> date | None:
    without_weekday = _WEEKDAY_RE.sub("", text)
    candidates = (text,) if without_weekday == text else (text, without_weekday)
    for candidate in candidates:
        for parser in _PARSERS:
            try:
                parsed = parser(candidate, today)
            except ValueError:
                return None  # recognised shape but impossible date, e.g. 31/02/2023
            if parsed is not None:
                return parsed
    return None


def parse_incident_date(text: str, today: date, *, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> date:
    """Parse a typed incident date relative to ``today``.

    Raises :class:`DateNotUnderstood`, :class:`DateInFuture` or :class:`DateTooOld`
    (older than ``max_age_days`` days before ``today``), all subclasses of
    :class:`DateError`.
    """
    if max_age_days < 0:
        raise ValueError("max_age_days must not be negative")
    cleaned = _normalize(text)
    cleaned = _CLOCK_RE.sub("", cleaned)
    cleaned = _FILLER_RE.sub("", cleaned).strip(" ,")
    parsed = _parse(cleaned, today) if cleaned else None
    if parsed is None:
        raise DateNotUnderstood(text)
    if parsed > today:
        raise DateInFuture(parsed)
    if (today - parsed).days > max_age_days:
        raise DateTooOld(parsed, max_age_days)
    return parsed


def format_long_date(d: date, locale: str) -> str:
    """``"Rabu, 15 November 2023"`` (id) / ``"Wednesday, 15 November 2023"`` (en)."""
    return str(format_date(d, LONG_DATE_PATTERN, locale=locale))


def format_short_date(d: date, locale: str) -> str:
    """``"15 Nov 2023"`` in both id and en."""
    return str(format_date(d, SHORT_DATE_PATTERN, locale=locale))


@dataclass(frozen=True, slots=True)
class DateExamples:
    """How to write a date, shown as yesterday's: recent (so always accepted) and without a weekday (so
    nobody thinks one is required)."""

    short: str  # "30/11"
    numeric: str  # "30/11/2026"
    long: str  # "30 November 2026"


def date_examples(today: date, locale: str) -> DateExamples:
    example = today - timedelta(days=1)
    return DateExamples(
        f"{example.day}/{example.month}",
        f"{example.day}/{example.month}/{example.year}",
        str(format_date(example, "d MMMM y", locale=locale)),
    )
