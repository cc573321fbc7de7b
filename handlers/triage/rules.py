"""Bawaslu's clock and checklist: how many days a formal report has left, and what it still lacks.

UU 7/2017 gives 7 days from the violation becoming known for a formal report to Bawaslu; the bot counts
from the known-day the reporter gave (B.1's "hari/tanggal diketahui"; one tap makes it the incident
day, and reports older than the question carry their incident day). A formal report needs the reporter's
identity (formal requirement) and the terlapor, time, place, an account of what happened and evidence
(material requirements).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from storage.models import Evidence, Report

BAWASLU_WINDOW_DAYS: Final = 7
NEAR_DAYS: Final = 2  # "close to the deadline", and the morning reminder's horizon
MIN_ACCOUNT_CHARS: Final = 20


class DeadlineStatus(StrEnum):
    OPEN = "open"
    NEAR = "near"
    PAST = "past"


@dataclass(frozen=True, slots=True)
class Deadline:
    closes_on: date  # the last day a formal report is still in time
    days_left: int  # 0 on the last day, negative once past

    @property
    def status(self) -> DeadlineStatus:
        if self.days_left < 0:
            return DeadlineStatus.PAST
        if self.days_left <= NEAR_DAYS:
            return DeadlineStatus.NEAR
        return DeadlineStatus.OPEN


def bawaslu_deadline(known_day: date, today: date) -> Deadline:
    """The window of a violation that became known on `known_day` (`Report.known_day`)."""
    closes_on = known_day + timedelta(days=BAWASLU_WINDOW_DAYS)
    return Deadline(closes_on, (closes_on - today).days)


def closes_soon(known_day: date, today: date, within: int = NEAR_DAYS) -> bool:
    """The window is still open and closes within `within` days (the morning reminder's list)."""
    return 0 <= bawaslu_deadline(known_day, today).days_left <= within


class Requirement(StrEnum):
    """In the order the card lists them; REPORTER is the formal one, the rest are material."""

    REPORTER = "reporter"
    SUBJECT = "subject"
    TIME = "time"
    PLACE = "place"
    ACCOUNT = "account"
    EVIDENCE = "evidence"


@dataclass(frozen=True, slots=True)
class Checklist:
    met: tuple[Requirement, ...]
    missing: tuple[Requirement, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def requirements(report: Report, evidence: list[Evidence]) -> Checklist:
    """Which of Bawaslu's requirements the report meets, from what the bot collected."""
    return checklist(report, has_evidence=any(e.photo is not None or e.url for e in evidence))


def checklist(report: Report, *, has_evidence: bool) -> Checklist:
    present = {
        # Anonymous reports can still be worked on, but Bawaslu needs a named reporter for a formal one.
        Requirement.REPORTER: report.contact_shared,
        # A name identifies the terlapor; an agency alone does not.
        Requirement.SUBJECT: bool(report.subject_name and report.subject_name.strip()),
        Requirement.TIME: report.incident_date is not None,
        Requirement.PLACE: bool(report.region_id and report.place.strip()),
        Requirement.ACCOUNT: len(report.description.strip()) >= MIN_ACCOUNT_CHARS,
        Requirement.EVIDENCE: has_evidence,
    }
    met = tuple(r for r in Requirement if present[r])
    missing = tuple(r for r in Requirement if not present[r])
    return Checklist(met, missing)
