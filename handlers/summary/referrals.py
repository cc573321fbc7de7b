"""The referrals in the daily summary: what was handed over in the last 7 days, and what never came back.

After Teruskan the case is the receiving office's (Bawaslu, BKN's task force, the ASN's agency,
SP4N-LAPOR!); the governor's office wants to see that hand-offs happen, that the offices register them
(a reference number, /rujukan) and decide them (/hasil), and which ones have gone quiet. Pure: from what
storage/referrals.py returns to `ReferralFigures`, which the outbox keeps with the other figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from handlers.handoff.referral import OUTCOME_ACTION, REFERRAL_ACTION, ReferralOutcome, outcome_of, target_of
from handlers.triage.machine import Action, ForwardTarget
from storage.models import Record
from storage.referrals import ForwardedReport, ReferralActions, ReferralData, ReferralQuery

WINDOW_DAYS: Final = 7
ACTIONS: Final = ReferralActions(forward=Action.FORWARD.value, reference=REFERRAL_ACTION, outcome=OUTCOME_ACTION)
OVERDUE_LIST_MAX: Final = 10


class OverdueReferral(Record):
    code: str
    region_id: str
    target: ForwardTarget | None
    forwarded_on: date  # local day
    days: int  # whole days from the forward to the snapshot
    referenced: bool  # the office gave a reference number, but no outcome yet


class ReferralFigures(Record):
    first_day: date  # the window: first_day … the summary's day, WINDOW_DAYS local days
    overdue_days: int
    forwarded: dict[ForwardTarget, int]  # reports forwarded in the window, by target
    references: int  # reports whose reference number was recorded in the window
    outcomes: dict[ReferralOutcome, int]  # reports whose outcome came in the window, by outcome
    overdue_count: int  # forwarded more than overdue_days ago and still without an outcome
    overdue: tuple[OverdueReferral, ...]

    @property
    def forwarded_total(self) -> int:
        return sum(self.forwarded.values())

    @property
    def outcomes_total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def anything(self) -> bool:
        return bool(self.forwarded_total or self.references or self.outcomes_total or self.overdue_count)


def _start_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def referral_query(day: date, tz: ZoneInfo, as_of: datetime, overdue_days: int) -> ReferralQuery:
    """The last WINDOW_DAYS local days up to `day`'s end (or `as_of`, while it lasts), and the overdue bound."""
    start = _start_of(day - timedelta(days=WINDOW_DAYS - 1), tz)
    end = min(_start_of(day + timedelta(days=1), tz), as_of.astimezone(UTC))
    return ReferralQuery(
        window=(start, end),
        as_of=as_of,
        stale_before=as_of - timedelta(days=overdue_days),
        actions=ACTIONS,
        list_limit=OVERDUE_LIST_MAX,
    )


def _overdue(row: ForwardedReport, as_of: datetime, tz: ZoneInfo) -> OverdueReferral:
    return OverdueReferral(
        code=row.code,
        region_id=row.region_id,
        target=target_of(row.target),
        forwarded_on=row.forwarded_at.astimezone(tz).date(),
        days=(as_of - row.forwarded_at).days,
        referenced=row.reference is not None,
    )


def build_referrals(day: date, as_of: datetime, data: ReferralData, tz: ZoneInfo, overdue_days: int) -> ReferralFigures:
    forwarded = dict.fromkeys(ForwardTarget, 0)
    outcomes = dict.fromkeys(ReferralOutcome, 0)
    references = 0
    for count in data.counts:
        if count.action == ACTIONS.forward:
            target = target_of(count.detail)
            if target is not None:
                forwarded[target] += count.reports
        elif count.action == ACTIONS.reference:
            references += count.reports
        elif count.action == ACTIONS.outcome:
            outcome = outcome_of(count.detail)
            if outcome is not None:
                outcomes[outcome] += count.reports
    return ReferralFigures(
        first_day=day - timedelta(days=WINDOW_DAYS - 1),
        overdue_days=overdue_days,
        forwarded=forwarded,
        references=references,
        outcomes=outcomes,
        overdue_count=data.overdue_count,
        overdue=tuple(_overdue(row, as_of, tz) for row in data.overdue),
    )
