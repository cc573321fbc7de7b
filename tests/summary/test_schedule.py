"""When a summary is due, what downtime leaves owed, and what counts as late: time is pinned, never waited for."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from handlers.summary.figures import day_window
from handlers.summary.schedule import days_owed, due_at, is_late, latest_due_day

WIB = ZoneInfo("Asia/Jakarta")
SEVEN = time(7, 0)


def at(day: int, hour: int, minute: int = 0, second: int = 0, tz: ZoneInfo = WIB) -> datetime:
    return datetime(2024, 1, day, hour, minute, second, tzinfo=tz)


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (at(11, 7), date(2024, 1, 10)),  # on the dot
        (at(11, 6, 59, 30), date(2024, 1, 10)),  # a scheduler waking a moment early still counts
        (at(11, 6, 58), date(2024, 1, 9)),
        (at(11, 0, 5), date(2024, 1, 9)),
        (at(11, 23, 59), date(2024, 1, 10)),
    ],
)
def test_latest_due_day(now: datetime, day: date) -> None:
    assert latest_due_day(now, SEVEN, WIB) == day


def test_due_time_is_local() -> None:
    assert due_at(date(2024, 1, 10), SEVEN, WIB) == datetime(2024, 1, 11, 0, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("now", "last", "owed"),
    [
        (at(11, 7), date(2024, 1, 9), [date(2024, 1, 10)]),
        (at(11, 7), date(2024, 1, 10), []),  # already recorded: a restart owes nothing
        (at(11, 6), date(2024, 1, 9), []),  # before 07:00 the 10th is not due yet
        (at(13, 8), date(2024, 1, 9), [date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12)]),
        (at(11, 7), None, [date(2024, 1, 10)]),  # first start: the latest day only, not all history
        (at(31, 8), date(2024, 1, 1), [date(2024, 1, n) for n in range(24, 31)]),  # at most a week
    ],
)
def test_days_owed_after_downtime(now: datetime, last: date | None, owed: list[date]) -> None:
    assert days_owed(now, last, SEVEN, WIB) == owed


def test_late_after_a_quarter_hour() -> None:
    day = date(2024, 1, 10)
    assert not is_late(day, at(11, 7, 0, 1), SEVEN, WIB)
    assert not is_late(day, at(11, 7, 15), SEVEN, WIB)
    assert is_late(day, at(11, 7, 16), SEVEN, WIB)
    assert is_late(day, at(12, 7), SEVEN, WIB)


def test_other_zones_and_clock_changes() -> None:
    """Nothing assumes WIB: a zone with daylight saving has 23- and 25-hour days."""
    berlin = ZoneInfo("Europe/Berlin")
    spring = day_window(date(2024, 3, 31), berlin)
    assert (spring.end - spring.start).total_seconds() == 23 * 3600
    makassar = ZoneInfo("Asia/Makassar")
    assert latest_due_day(datetime(2024, 1, 11, 7, 0, tzinfo=makassar), SEVEN, makassar) == date(2024, 1, 10)
    assert latest_due_day(datetime(2024, 1, 11, 7, 0, tzinfo=makassar), SEVEN, WIB) == date(2024, 1, 9)
