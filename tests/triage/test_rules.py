"""Bawaslu's 7-day clock and its checklist."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.triage.rules import (
    DeadlineStatus,
    Requirement,
    bawaslu_deadline,
    checklist,
    closes_soon,
    requirements,
)
from storage.models import Contact, Evidence
from tests.triage.helpers import NOW, add_report, open_store, photo

TODAY = date(2023, 11, 20)


@pytest.mark.parametrize(
    ("incident", "left", "status"),
    [
        (date(2023, 11, 20), 7, DeadlineStatus.OPEN),  # today: the whole week ahead
        (date(2023, 11, 16), 3, DeadlineStatus.OPEN),
        (date(2023, 11, 15), 2, DeadlineStatus.NEAR),
        (date(2023, 11, 14), 1, DeadlineStatus.NEAR),
        (date(2023, 11, 13), 0, DeadlineStatus.NEAR),  # the last day
        (date(2023, 11, 12), -1, DeadlineStatus.PAST),
        (date(2023, 10, 1), -43, DeadlineStatus.PAST),
    ],
)
def test_days_left_of_the_seven_day_window(incident: date, left: int, status: DeadlineStatus) -> None:
    deadline = bawaslu_deadline(incident, TODAY)
    assert deadline.days_left == left
    assert deadline.status is status
    assert deadline.closes_on == date.fromordinal(incident.toordinal() + 7)


def test_the_window_crosses_months_and_years() -> None:
    assert bawaslu_deadline(date(2023, 12, 28), date(2024, 1, 1)).closes_on == date(2024, 1, 4)
    assert bawaslu_deadline(date(2024, 2, 25), date(2024, 2, 29)).days_left == 3  # leap year


@pytest.mark.parametrize(
    ("incident", "soon"),
    [
        (date(2023, 11, 12), False),
        (date(2023, 11, 13), True),
        (date(2023, 11, 15), True),
        (date(2023, 11, 16), False),
    ],
)
def test_the_reminder_horizon_is_two_days_and_still_open(incident: date, soon: bool) -> None:
    assert closes_soon(incident, TODAY) is soon


async def test_requirements_of_an_anonymous_report_with_evidence(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        report = await add_report(store, photos=(photo("a" * 64),))
        evidence = await store.reports.evidence(report.id)
    result = requirements(report, evidence)
    assert result.missing == (Requirement.REPORTER,)
    assert not result.complete
    assert Requirement.EVIDENCE in result.met and Requirement.SUBJECT in result.met


async def test_requirements_without_name_or_evidence(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        report = await add_report(store, subject=None, contact=Contact(name="Sri", phone="+62812"))
    result = requirements(report, [])
    assert result.missing == (Requirement.SUBJECT, Requirement.EVIDENCE)
    assert Requirement.REPORTER in result.met
    links = [Evidence(kind="link", position=0, url="https://x.example/p", added_at=NOW)]
    assert Requirement.EVIDENCE in requirements(report, links).met
    assert checklist(report, has_evidence=True).missing == (Requirement.SUBJECT,)
