from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.common.when import (
    DEFAULT_MAX_AGE_DAYS,
    DateError,
    DateInFuture,
    DateNotUnderstood,
    DateTooOld,
    date_examples,
    format_long_date,
    format_short_date,
    parse_incident_date,
)

# A Sunday shortly after a leap day, so "29/02" and "a year ago" edge cases are reachable.
TODAY = date(2024, 3, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric, day first
        ("15/11/2023", date(2023, 11, 15)),
        ("15-11-2023", date(2023, 11, 15)),
        ("15.11.2023", date(2023, 11, 15)),
        ("15/11/23", date(2023, 11, 15)),
        ("15 11 2023", date(2023, 11, 15)),
        ("5/3/2024", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        (" 15 / 11 / 2023 ", date(2023, 11, 15)),
        ("15/11", date(2023, 11, 15)),
        ("1/3", date(2024, 3, 1)),
        # only reading that makes sense is month first
        ("11/15/2023", date(2023, 11, 15)),
        # ISO
        ("2023-11-15", date(2023, 11, 15)),
        ("2023/11/15", date(2023, 11, 15)),
        # month names, Indonesian (incl. old spellings and babel's own abbreviations)
        ("15 November 2023", date(2023, 11, 15)),
        ("15 november 2023", date(2023, 11, 15)),
        ("15 nov 2023", date(2023, 11, 15)),
        ("15 Nov 2023", date(2023, 11, 15)),
        ("15 nov. 2023", date(2023, 11, 15)),
        ("15 Nopember 2023", date(2023, 11, 15)),
        ("15-nov-2023", date(2023, 11, 15)),
        ("15nov2023", date(2023, 11, 15)),
        ("15 nov '23", date(2023, 11, 15)),
        ("15 nov 23", date(2023, 11, 15)),
        ("15 novemebr 2023", date(2023, 11, 15)),
        ("15 Agustus", date(2023, 8, 15)),
        ("15 agt 2023", date(2023, 8, 15)),
        ("15 Agu 2023", date(2023, 8, 15)),
        ("1 Okt 2023", date(2023, 10, 1)),
        ("24 Des 2023", date(2023, 12, 24)),
        ("1 Mei 2023", date(2023, 5, 1)),
        ("1 Mei", date(2023, 5, 1)),
        ("20 Januari", date(2024, 1, 20)),
        ("20 Januari 2024", date(2024, 1, 20)),
        ("14 Februari 2024", date(2024, 2, 14)),
        ("14 Pebruari 2024", date(2024, 2, 14)),
        ("1 Maret", date(2024, 3, 1)),
        ("10 Maret", date(2024, 3, 10)),
        ("11 Maret", date(2023, 3, 11)),
        ("17 April 2023", date(2023, 4, 17)),
        ("1 Juni 2023", date(2023, 6, 1)),
        ("17 Juli 2023", date(2023, 7, 17)),
        ("5 sept 2023", date(2023, 9, 5)),
        ("30 September 2023", date(2023, 9, 30)),
        ("28 Oktober 2023", date(2023, 10, 28)),
        ("25 Desember 2023", date(2023, 12, 25)),
        # English
        ("November 15, 2023", date(2023, 11, 15)),
        ("Nov 15 2023", date(2023, 11, 15)),
        ("Nov 15", date(2023, 11, 15)),
        ("15th November 2023", date(2023, 11, 15)),
        ("1 August 2023", date(2023, 8, 1)),
        ("3 May 2023", date(2023, 5, 3)),
        ("December 24, 2023", date(2023, 12, 24)),
        # leading filler, weekday and trailing time are ignored
        ("tgl 15/11/2023", date(2023, 11, 15)),
        ("tgl. 15/11/2023", date(2023, 11, 15)),
        ("tanggal 15 November 2023", date(2023, 11, 15)),
        ("pada 15 nov", date(2023, 11, 15)),
        ("Rabu, 15 November 2023", date(2023, 11, 15)),
        ("Wednesday, 15 November 2023", date(2023, 11, 15)),
        ("hari Jum'at, 8 Maret 2024", date(2024, 3, 8)),
        ("15/11/2023 pukul 14.30", date(2023, 11, 15)),
        ("15 nov 2023 jam 10", date(2023, 11, 15)),
        # relative
        ("hari ini", TODAY),
        ("Hari Ini", TODAY),
        ("today", TODAY),
        ("tadi", TODAY),
        ("kemarin", date(2024, 3, 9)),
        ("Kemarin", date(2024, 3, 9)),
        ("kemaren", date(2024, 3, 9)),
        ("kmrn", date(2024, 3, 9)),
        ("kemarin sore", date(2024, 3, 9)),
        ("yesterday", date(2024, 3, 9)),
        ("kemarin lusa", date(2024, 3, 8)),
        ("kemarin dulu", date(2024, 3, 8)),
        ("2 hari lalu", date(2024, 3, 8)),
        ("3 hari yang lalu", date(2024, 3, 7)),
        ("3 hari yg lalu", date(2024, 3, 7)),
        ("dua hari yang lalu", date(2024, 3, 8)),
        ("sehari yang lalu", date(2024, 3, 9)),
        ("seminggu lalu", date(2024, 3, 3)),
        ("2 minggu yang lalu", date(2024, 2, 25)),
        ("2 days ago", date(2024, 3, 8)),
        ("a week ago", date(2024, 3, 3)),
        ("0 hari lalu", TODAY),
        # leap day without year -> most recent 29 February
        ("29/02", date(2024, 2, 29)),
        ("29 Februari", date(2024, 2, 29)),
    ],
)
def test_parse(text: str, expected: date) -> None:
    assert parse_incident_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "xyz",
        "kapan-kapan",
        "minggu lalu",  # "last week": too vague for a report
        "Rabu",
        "15",
        "15 xyzzy 2023",
        "31/02/2023",
        "32/01/2024",
        "15/13/2023",
        "00/01/2024",
        "31 April",
        "2023-02-30",
        "15/11/2023/1",
        "jam 10",
    ],
)
def test_not_understood(text: str) -> None:
    with pytest.raises(DateNotUnderstood) as info:
        parse_incident_date(text, TODAY)
    assert info.value.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("besok", date(2024, 3, 11)),
        ("tomorrow", date(2024, 3, 11)),
        ("lusa", date(2024, 3, 12)),
        ("11/03/2024", date(2024, 3, 11)),
        ("2024-12-31", date(2024, 12, 31)),
        ("1 Januari 2025", date(2025, 1, 1)),
    ],
)
def test_in_future(text: str, expected: date) -> None:
    with pytest.raises(DateInFuture) as info:
        parse_incident_date(text, TODAY)
    assert info.value.date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/11/99", date(1999, 11, 15)),
        ("9 Maret 2023", date(2023, 3, 9)),
        ("1/1/2020", date(2020, 1, 1)),
        ("400 hari lalu", date(2023, 2, 4)),
    ],
)
def test_too_old(text: str, expected: date) -> None:
    with pytest.raises(DateTooOld) as info:
        parse_incident_date(text, TODAY)
    assert info.value.date == expected
    assert info.value.max_age_days == DEFAULT_MAX_AGE_DAYS


def test_max_age_boundary() -> None:
    exactly = date(2023, 3, 11)  # 365 days before TODAY (2024 is a leap year)
    assert (TODAY - exactly).days == DEFAULT_MAX_AGE_DAYS
    assert parse_incident_date("11/03/2023", TODAY) == exactly
    with pytest.raises(DateTooOld):
        parse_incident_date("10/03/2023", TODAY)


def test_max_age_is_configurable() -> None:
    assert parse_incident_date("1/1/2020", TODAY, max_age_days=5000) == date(2020, 1, 1)
    with pytest.raises(DateTooOld) as info:
        parse_incident_date("2 hari lalu", TODAY, max_age_days=1)
    assert info.value.max_age_days == 1
    assert parse_incident_date("hari ini", TODAY, max_age_days=0) == TODAY
    with pytest.raises(ValueError):
        parse_incident_date("hari ini", TODAY, max_age_days=-1)


def test_year_less_date_uses_injected_today() -> None:
    assert parse_incident_date("15 Nov", date(2023, 11, 14)) == date(2022, 11, 15)
    assert parse_incident_date("15 Nov", date(2023, 11, 15)) == date(2023, 11, 15)
    assert parse_incident_date("kemarin", date(2024, 1, 1)) == date(2023, 12, 31)


@pytest.mark.parametrize("exc", [DateNotUnderstood("x"), DateInFuture(TODAY), DateTooOld(TODAY, 1)])
def test_exception_hierarchy(exc: DateError) -> None:
    assert isinstance(exc, DateError)
    assert isinstance(exc, ValueError)
    assert str(exc)


@pytest.mark.parametrize(
    ("d", "locale", "long", "short"),
    [
        (date(2023, 11, 15), "id", "Rabu, 15 November 2023", "15 Nov 2023"),
        (date(2023, 11, 15), "en", "Wednesday, 15 November 2023", "15 Nov 2023"),
        (date(2023, 8, 17), "id", "Kamis, 17 Agustus 2023", "17 Agu 2023"),
        (date(2024, 3, 1), "id", "Jumat, 1 Maret 2024", "1 Mar 2024"),
        (date(2024, 3, 1), "en", "Friday, 1 March 2024", "1 Mar 2024"),
    ],
)
def test_format(d: date, locale: str, long: str, short: str) -> None:
    assert format_long_date(d, locale) == long
    assert format_short_date(d, locale) == short


@pytest.mark.parametrize("d", [date(2023, 11, 15), date(2023, 8, 17), date(2024, 2, 29), date(2023, 5, 1)])
@pytest.mark.parametrize("locale", ["id", "en"])
def test_formatted_dates_parse_back(d: date, locale: str) -> None:
    # The bot echoes dates in these formats; a user copying one back must round-trip.
    assert parse_incident_date(format_long_date(d, locale), TODAY, max_age_days=5000) == d
    assert parse_incident_date(format_short_date(d, locale), TODAY, max_age_days=5000) == d


@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2027, 1, 1), date(2024, 3, 1), date(2024, 2, 29)])
@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_examples_the_bot_shows_are_accepted_that_day(today: date, locale: str) -> None:
    examples = date_examples(today, locale)
    for typed in (examples.short, examples.numeric, examples.long):
        assert parse_incident_date(typed, today) == today - timedelta(days=1), typed
    assert not any(day in examples.long for day in ("Senin", "Selasa", "Rabu", "Monday", "Tuesday"))


def test_the_prompt_and_the_error_show_recent_examples() -> None:
    from handlers.common.regions import RegionCatalog
    from handlers.report.draft import Draft, Step
    from handlers.report.prompts import View, prompt

    view = View("id", date(2026, 12, 2), RegionCatalog.load(), max_photos=10)
    asked = prompt(Draft(step=Step.WHEN), view).text
    assert "1/12" in asked and "1 Desember 2026" in asked and "2023" not in asked
