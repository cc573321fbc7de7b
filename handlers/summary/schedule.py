"""When each day's summary is due, which days are owed after downtime, and when one counts as late.

Pure arithmetic on aware datetimes: `now` is always passed in, so tests pin it and never wait.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.when import parse_incident_date

# A scheduler may wake a moment early; within this margin the summary counts as due.
EARLY_MARGIN: Final = timedelta(minutes=1)
# Sent within this margin after its time, a summary is on time; later, it is marked "(terlambat)".
LATE_AFTER: Final = timedelta(minutes=15)
# After a long outage, owed summaries are sent for at most this many days: older ones are on demand.
MAX_CATCH_UP_DAYS: Final = 7
# On demand, any day of the last ten years: older than that is a typo in the year.
MAX_AGE_DAYS: Final = 3650


def due_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The summary of `day` is due the next morning at `at`, local time."""
    return datetime.combine(day + timedelta(days=1), at, tz)


def latest_due_day(now: datetime, at: time, tz: ZoneInfo) -> date:
    """The most recent day whose summary is due by `now`."""
    today = now.astimezone(tz).date()
    yesterday = today - timedelta(days=1)
    return yesterday if due_at(yesterday, at, tz) <= now + EARLY_MARGIN else yesterday - timedelta(days=1)


def days_owed(now: datetime, last_recorded: date | None, at: time, tz: ZoneInfo) -> list[date]:
    """Days whose summary is due and not yet recorded, oldest first.

    With no summary ever recorded (a new installation, or the office chat just configured) only the
    latest day is owed: the office should not receive the project's whole history at once.
    """
    latest = latest_due_day(now, at, tz)
    if last_recorded is None:
        return [latest]
    first = max(last_recorded + timedelta(days=1), latest - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((latest - first).days + 1)]


def is_late(day: date, now: datetime, at: time, tz: ZoneInfo) -> bool:
    return now > due_at(day, at, tz) + LATE_AFTER


def requested_day(text: str, today: date) -> date:
    """The day a person asks the summary of: yesterday when `text` is empty, else the date it names.

    One rule for `/ringkasan` and `python -m bot summary --date`: a day that has not begun has no
    summary. Raises DateInFuture, DateTooOld or DateNotUnderstood (handlers.common.when).
    """
    if not text.strip():
        return today - timedelta(days=1)
    return parse_incident_date(text, today, max_age_days=MAX_AGE_DAYS)
