"""The referrals' SQL for the daily summary: forwards, reference numbers and outcomes, read from the event log.

A referral is not a table: Teruskan logs a `forward` event (its detail names the target), /rujukan a
reference event and /hasil an outcome event (handlers/handoff/referral.py). The action names arrive as
parameters (`ReferralActions`), so storage counts rows without knowing what they mean; the index of
migration 0011 finds each action's events by time. Every figure is as of the summary's instant: an
event logged after it does not count, so a late summary reads as the on-time one would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from storage.db import Database, from_iso, iso
from storage.models import Record
from storage.triage import GroupScope, within_shares


class ReferralActions(Record):
    """The event actions of a referral, as triage logs them."""

    forward: str
    reference: str
    outcome: str


class ReferralQuery(Record):
    window: tuple[datetime, datetime]  # [start, end) of the days counted (the last 7, the summary's day last)
    as_of: datetime
    stale_before: datetime  # forwarded before this and still without an outcome at `as_of`: overdue
    actions: ReferralActions
    list_limit: int = 10
    sheet_limit: int = 1000


class ReferralCount(Record):
    """Reports with an event of `action` in the window, by its detail (the target or the outcome)."""

    action: str
    detail: str | None
    reports: int


class ForwardedReport(Record):
    """A report's latest forward as of the instant, with the reference and outcome recorded since."""

    code: str
    region_id: str
    forwarded_at: datetime
    target: str | None  # the forward's detail
    reference: str | None  # the newest reference event's detail
    outcome: str | None  # the newest outcome event's detail
    outcome_at: datetime | None


class ReferralData(Record):
    counts: tuple[ReferralCount, ...]
    overdue_count: int
    overdue: tuple[ForwardedReport, ...]  # the oldest first, at most list_limit


# Reference events carry the office's own number in their detail: counted together, never grouped by it.
COUNTS_SQL: Final = (
    "SELECT action, CASE WHEN action = ? THEN NULL ELSE detail END AS detail, COUNT(DISTINCT report_id) AS n"
    " FROM events WHERE action IN (?, ?, ?) AND at >= ? AND at < ? GROUP BY 1, 2"
)
# The newest event of one action on f's report since f and before the instant (parameters: action, instant).
# Here and in the other lookups of f's report, the unary + keeps `action` out of index selection: the
# report's few events (events_by_report) beat every outcome ever logged (events_by_action_at).
_SINCE_FORWARD: Final = (
    "SELECT {column} FROM events AS x WHERE x.report_id = f.report_id AND +x.action = ?"
    " AND x.at >= f.at AND x.at < ? ORDER BY x.at DESC, x.id DESC LIMIT 1"
)
# f is the report's latest forward before the instant (a reopened report forwarded again counts once, anew).
_LATEST: Final = (
    "NOT EXISTS (SELECT 1 FROM events AS l WHERE l.report_id = f.report_id AND +l.action = ? AND l.at < ?"
    " AND (l.at > f.at OR (l.at = f.at AND l.id > f.id)))"
)
_NO_OUTCOME: Final = (
    "NOT EXISTS (SELECT 1 FROM events AS o WHERE o.report_id = f.report_id AND +o.action = ?"
    " AND o.at >= f.at AND o.at < ?)"
)
_COLUMNS: Final = (
    "r.code, r.region_id, f.at, f.detail,"
    f" ({_SINCE_FORWARD.format(column='x.detail')}) AS reference,"
    f" ({_SINCE_FORWARD.format(column='x.detail')}) AS outcome,"
    f" ({_SINCE_FORWARD.format(column='x.at')}) AS outcome_at"
)
OVERDUE_COUNT_SQL: Final = (
    f"SELECT COUNT(*) FROM events AS f WHERE f.action = ? AND f.at < ? AND {_LATEST} AND {_NO_OUTCOME}"
)
OVERDUE_LIST_SQL: Final = (
    f"SELECT {_COLUMNS} FROM events AS f JOIN reports AS r ON r.id = f.report_id"
    f" WHERE f.action = ? AND f.at < ? AND {_LATEST} AND {_NO_OUTCOME} ORDER BY f.at, f.id LIMIT ?"
)
# The sheet: every report forwarded in the window, and every overdue one, oldest forward first.
SHEET_SQL: Final = (
    f"SELECT {_COLUMNS} FROM events AS f JOIN reports AS r ON r.id = f.report_id"
    f" WHERE f.action = ? AND f.at < ? AND {_LATEST}"
    f" AND (f.at >= ? OR (f.at < ? AND {_NO_OUTCOME})) ORDER BY f.at, f.id LIMIT ?"
)


def _column_params(query: ReferralQuery) -> tuple[object, ...]:
    as_of, actions = iso(query.as_of), query.actions
    return (actions.reference, as_of, actions.outcome, as_of, actions.outcome, as_of)


def referral_statements(
    query: ReferralQuery, scopes: Sequence[GroupScope] | None = None
) -> list[tuple[str, str, tuple[object, ...]]]:
    """(name, SQL, parameters) of every referral statement, for `collect` and for EXPLAIN; with `scopes`, of
    the reports in those groups' shares only (storage/triage.py `within_shares`)."""
    actions, as_of = query.actions, iso(query.as_of)
    start, end = (iso(moment) for moment in query.window)
    stale = iso(query.stale_before)
    latest = (actions.forward, as_of)
    no_outcome = (actions.outcome, as_of)
    statements: list[tuple[str, str, tuple[object, ...]]] = [
        (
            "referral_counts",
            COUNTS_SQL,
            (actions.reference, actions.forward, actions.reference, actions.outcome, start, end),
        ),
        ("referral_overdue_count", OVERDUE_COUNT_SQL, (actions.forward, stale, *latest, *no_outcome)),
        (
            "referral_overdue_list",
            OVERDUE_LIST_SQL,
            (*_column_params(query), actions.forward, stale, *latest, *no_outcome, query.list_limit),
        ),
        (
            "referral_sheet",
            SHEET_SQL,
            (*_column_params(query), actions.forward, end, *latest, start, stale, *no_outcome, query.sheet_limit),
        ),
    ]
    return [within_shares(statement, scopes) for statement in statements]


def _forwarded(row: tuple[object, ...]) -> ForwardedReport:
    code, region, at, target, reference, outcome, outcome_at = row
    return ForwardedReport(
        code=str(code),
        region_id=str(region),
        forwarded_at=from_iso(str(at)),
        target=str(target) if target is not None else None,
        reference=str(reference) if reference is not None else None,
        outcome=str(outcome) if outcome is not None else None,
        outcome_at=from_iso(str(outcome_at)) if outcome_at is not None else None,
    )


async def collect_referrals(
    db: Database, query: ReferralQuery, scopes: Sequence[GroupScope] | None = None
) -> ReferralData:
    named = {name: (sql, params) for name, sql, params in referral_statements(query, scopes)}

    async def rows(name: str) -> list[tuple[object, ...]]:
        sql, params = named[name]
        return [tuple(r) for r in await db.fetchall(sql, params)]

    counted = await db.fetchone(*named["referral_overdue_count"])
    return ReferralData(
        counts=tuple(
            ReferralCount(action=str(action), detail=str(detail) if detail is not None else None, reports=int(str(n)))
            for action, detail, n in await rows("referral_counts")
        ),
        overdue_count=int(counted[0]) if counted else 0,
        overdue=tuple(_forwarded(row) for row in await rows("referral_overdue_list")),
    )


async def referral_sheet(db: Database, query: ReferralQuery) -> list[ForwardedReport]:
    sql, params = next((sql, params) for name, sql, params in referral_statements(query) if name == "referral_sheet")
    return [_forwarded(tuple(row)) for row in await db.fetchall(sql, params)]
