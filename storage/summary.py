"""The daily summary's SQL: aggregates over reports and events, the day's rows, and the record of sendings.

Every query is bounded by an index (see migration 0004 and bench/bench_summary.py --plans): the day's
reports by `reports_by_created`, current states and the backlog by `reports_by_state`, deadlines by
`reports_by_incident`, first supervisor actions by the partial `events_supervisor_by_at`.
Nothing here decides what a figure means; handlers/summary/figures.py does, from what these return.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Final

from storage.db import Database, from_iso, iso, marks
from storage.models import Category, Owed, Record, ReportState, SubjectStatus
from storage.outbox import enqueue_in
from storage.referrals import (
    ForwardedReport,
    ReferralData,
    ReferralQuery,
    collect_referrals,
    referral_sheet,
    referral_statements,
)
from storage.triage import GroupScope, within_shares

# Triage logs every supervisor move with actor 'supervisor:<id>'; the partial index repeats this term.
_SUPERVISOR_ACTOR: Final = "actor GLOB 'supervisor:*'"


class Window(Record):
    """A half-open interval [start, end) of UTC instants."""

    start: datetime
    end: datetime


class SummaryQuery(Record):
    """What to count: the day, the two days it is compared with, and the instant the snapshot is taken."""

    day: Window
    previous_day: Window
    week_before: Window
    as_of: datetime
    deadline_first: date  # incident dates whose window ends soon: deadline_first … deadline_last
    deadline_last: date
    open_states: tuple[ReportState, ...]
    referrals: ReferralQuery
    deadline_limit: int = 10
    # The shares of some groups (the Mini App's dashboard for a regional group); None: the whole province.
    scopes: tuple[GroupScope, ...] | None = None


class GroupCount(Record):
    """The day's new reports of one region, state and category."""

    region_id: str
    state: ReportState
    category: Category
    count: int


class Backlog(Record):
    count: int
    oldest: datetime | None


class DeadlineReport(Record):
    code: str
    region_id: str
    known_date: date  # the day the violation became known: Bawaslu's window runs from it
    state: ReportState


class SummaryData(Record):
    """Raw aggregates for one summary, before any median, ranking or wording."""

    new_reports: int
    previous_day: int
    week_before: int
    groups: tuple[GroupCount, ...]
    states_now: dict[ReportState, int]  # every report existing at the snapshot, by its state then
    backlog: Backlog
    first_action_seconds: tuple[float, ...]
    deadline_count: int
    deadline_reports: tuple[DeadlineReport, ...]
    referrals: ReferralData


class GroupBacklog(Record):
    """Reports unclaimed at an instant, by the group they are in (None: not forwarded yet) and region."""

    group_chat_id: int | None
    region_id: str
    count: int
    oldest: datetime


class SheetRow(Record):
    """One of the day's reports as the spreadsheet shows it: no reporter and no contact.

    The description is the chronology the office needs; the sheet masks numbers typed into it.
    """

    code: str
    created_at: datetime
    category: Category
    subject_name: str | None
    subject_agency: str | None
    subject_status: SubjectStatus
    region_id: str
    place: str
    incident_date: date
    state: ReportState
    description: str  # the chronology the office reads; the reporter is never in the row
    known_date: date | None = None
    workplace: str | None = None
    photos: int
    links: int


# A report's state at an instant, from the event log: the state its first move after that instant moved it
# from, or its present state when it has not moved since. Reports are created in "baru" and every state
# change logs from_state and to_state, so this needs no history before the instant; the partial index
# events_by_report_to_state finds a report's moves. The single parameter is the instant.
STATE_AT: Final = (
    "COALESCE((SELECT e.from_state FROM events AS e WHERE e.report_id = r.id AND e.to_state IS NOT NULL"
    " AND e.from_state IS NOT NULL AND e.at >= ? ORDER BY e.at, e.id LIMIT 1), r.state)"
)
# The queries, named so that the benchmark can print the plan of each one.
NEW_REPORTS_SQL: Final = "SELECT COUNT(*) FROM reports WHERE created_at >= ? AND created_at < ?"
GROUPS_SQL: Final = (
    f"SELECT r.region_id, {STATE_AT} AS state, r.category, COUNT(*) AS n FROM reports AS r"
    " WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2, 3"
)
# Every report that existed at the instant, by its state then; the oldest creation per state gives the
# backlog's age. One pass over the reports: a state then cannot be read from an index of states now.
STATES_SQL: Final = (
    f"SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest FROM (SELECT {STATE_AT} AS state, r.created_at"
    " FROM reports AS r WHERE r.created_at < ?) GROUP BY state"
)
# The backlog at the instant by group and region, for the summary's line per region group (issue 13).
BACKLOG_BY_GROUP_SQL: Final = (
    "SELECT r.group_chat_id, r.region_id, COUNT(*), MIN(r.created_at) FROM reports AS r"
    f" WHERE r.created_at < ? AND {STATE_AT} = 'baru' GROUP BY 1, 2"
)
# The first supervisor move of each report, kept when it falls within the day: a move that day with no
# earlier move on the same report (ties broken by id, the order they were logged in).
FIRST_ACTIONS_SQL: Final = (
    "SELECT r.created_at, e.at FROM events AS e JOIN reports AS r ON r.id = e.report_id"
    f" WHERE e.{_SUPERVISOR_ACTOR} AND e.at >= ? AND e.at < ?"
    " AND NOT EXISTS (SELECT 1 FROM events AS p WHERE p.report_id = e.report_id"
    f" AND p.{_SUPERVISOR_ACTOR} AND (p.at < e.at OR (p.at = e.at AND p.id < e.id)))"
)
# Bawaslu's window runs from the day the violation became known (migration 0009's known_date). Three days
# of known-days are a few thousand rows; the unary + keeps created_at out of index selection so the
# known-day range leads (reports_by_known; see bench/README.md), and the state then is read per row.
DEADLINE_COUNT_SQL: Final = (
    "SELECT COUNT(*) FROM reports AS r WHERE r.known_date >= ? AND r.known_date <= ?"
    f" AND +r.created_at < ? AND {STATE_AT} IN ({{states}})"
)
DEADLINE_LIST_SQL: Final = (
    f"SELECT r.code, r.region_id, r.known_date, {STATE_AT} AS state FROM reports AS r"
    " WHERE r.known_date >= ? AND r.known_date <= ? AND +r.created_at < ?"
    f" AND {STATE_AT} IN ({{states}})"
    " ORDER BY r.known_date, r.created_at, r.id LIMIT ?"
)
# Columns are listed one by one: reporter_id and contacts must never reach the sheet.
SHEET_SQL: Final = (
    "SELECT r.code, r.created_at, r.category, r.subject_name, r.subject_agency, r.subject_status,"
    f" r.region_id, r.workplace, r.place, r.incident_date, r.known_date, {STATE_AT} AS state, r.description,"
    " (SELECT COUNT(*) FROM evidence AS v WHERE v.report_id = r.id AND v.kind = 'photo') AS photos,"
    " (SELECT COUNT(*) FROM evidence AS v WHERE v.report_id = r.id AND v.kind = 'link') AS links"
    " FROM reports AS r WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at, r.id"
)


def summary_statements(query: SummaryQuery) -> list[tuple[str, str, tuple[object, ...]]]:
    """(name, SQL, parameters) of every statement `collect` and `sheet_rows` run, for EXPLAIN."""
    open_states = tuple(str(s) for s in query.open_states)
    day = (iso(query.day.start), iso(query.day.end))
    as_of = iso(query.as_of)
    deadline = (query.deadline_first.isoformat(), query.deadline_last.isoformat())
    statements: list[tuple[str, str, tuple[object, ...]]] = [
        ("new_reports", NEW_REPORTS_SQL, day),
        ("groups", GROUPS_SQL, (as_of, *day)),
        ("states", STATES_SQL, (as_of, as_of)),
        ("first_actions", FIRST_ACTIONS_SQL, day),
        (
            "deadline_count",
            DEADLINE_COUNT_SQL.format(states=marks(open_states)),
            (*deadline, as_of, as_of, *open_states),
        ),
        (
            "deadline_list",
            DEADLINE_LIST_SQL.format(states=marks(open_states)),
            (as_of, *deadline, as_of, as_of, *open_states, query.deadline_limit),
        ),
        ("sheet_rows", SHEET_SQL, (as_of, *day)),
        ("previous_day", NEW_REPORTS_SQL, (iso(query.previous_day.start), iso(query.previous_day.end))),
        ("week_before", NEW_REPORTS_SQL, (iso(query.week_before.start), iso(query.week_before.end))),
    ]
    return [
        *(within_shares(statement, query.scopes) for statement in statements),
        *referral_statements(query.referrals, query.scopes),
    ]


def _seconds_between(start: str, end: str) -> float:
    # A move logged before the report (clock skew between writers) counts as immediate, not negative.
    return max(0.0, (from_iso(end) - from_iso(start)).total_seconds())


class SummaryStore:
    """Aggregates for the daily summary and the per-day record that makes it exactly-once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _count(self, sql: str, params: Iterable[object]) -> int:
        row = await self._db.fetchone(sql, params)
        return int(row[0]) if row else 0

    async def backlog_by_group(self, as_of: datetime) -> list[GroupBacklog]:
        rows = await self._db.fetchall(BACKLOG_BY_GROUP_SQL, (iso(as_of), iso(as_of)))
        return [
            GroupBacklog(group_chat_id=r[0], region_id=str(r[1]), count=int(r[2]), oldest=from_iso(str(r[3])))
            for r in rows
        ]

    async def collect(self, query: SummaryQuery) -> SummaryData:
        """Run every aggregate of one summary. Statements run one by one so the bot stays responsive."""
        named = {name: (sql, params) for name, sql, params in summary_statements(query)}

        async def rows(name: str) -> list[tuple[object, ...]]:
            sql, params = named[name]
            return [tuple(r) for r in await self._db.fetchall(sql, params)]

        groups = tuple(
            GroupCount(
                region_id=str(region),
                state=ReportState(str(state)),
                category=Category(str(category)),
                count=int(str(n)),
            )
            for region, state, category, n in await rows("groups")
        )
        states: dict[ReportState, tuple[int, str | None]] = {
            ReportState(str(state)): (int(str(n)), str(oldest)) for state, n, oldest in await rows("states")
        }
        backlog_count, oldest = states.get(ReportState.BARU, (0, None))
        first_actions = tuple(_seconds_between(str(created), str(at)) for created, at in await rows("first_actions"))
        deadline_rows = await rows("deadline_list")
        return SummaryData(
            new_reports=await self._count(*named["new_reports"]),
            previous_day=await self._count(*named["previous_day"]),
            week_before=await self._count(*named["week_before"]),
            groups=groups,
            states_now={state: states.get(state, (0, None))[0] for state in ReportState},
            backlog=Backlog(count=backlog_count, oldest=from_iso(oldest) if oldest else None),
            first_action_seconds=first_actions,
            deadline_count=await self._count(*named["deadline_count"]),
            deadline_reports=tuple(
                DeadlineReport(
                    code=str(code),
                    region_id=str(region),
                    known_date=date.fromisoformat(str(day)),
                    state=ReportState(str(state)),
                )
                for code, region, day, state in deadline_rows
            ),
            referrals=await collect_referrals(self._db, query.referrals, query.scopes),
        )

    async def sheet_rows(self, window: Window, as_of: datetime) -> list[SheetRow]:
        """The window's reports in order of arrival, each in its state at `as_of`."""
        rows = await self._db.fetchall(SHEET_SQL, (iso(as_of), iso(window.start), iso(window.end)))
        return [
            SheetRow(
                code=r["code"],
                created_at=from_iso(r["created_at"]),
                category=Category(r["category"]),
                subject_name=r["subject_name"],
                subject_agency=r["subject_agency"],
                subject_status=SubjectStatus(r["subject_status"]),
                region_id=r["region_id"],
                place=r["place"],
                incident_date=date.fromisoformat(r["incident_date"]),
                known_date=date.fromisoformat(r["known_date"] or r["incident_date"]),
                workplace=r["workplace"],
                state=ReportState(r["state"]),
                description=r["description"],
                photos=int(r["photos"]),
                links=int(r["links"]),
            )
            for r in rows
        ]

    async def referral_rows(self, query: ReferralQuery) -> list[ForwardedReport]:
        """The reports forwarded in the window and those overdue, each with its reference and outcome."""
        return await referral_sheet(self._db, query)

    # ------------------------------------------------------------------ the record of sendings

    async def is_recorded(self, day: date) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM summary_runs WHERE day = ?", (day.isoformat(),))
        return row is not None

    async def last_recorded(self) -> date | None:
        row = await self._db.fetchone("SELECT MAX(day) FROM summary_runs")
        return date.fromisoformat(str(row[0])) if row and row[0] else None

    async def record(
        self,
        day: date,
        *,
        late: bool,
        at: datetime,
        owed: Owed,
    ) -> bool:
        """Record the day's summary and queue its delivery, atomically; False if the day was recorded already."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO summary_runs (day, late, recorded_at) VALUES (?, ?, ?)",
                (day.isoformat(), int(late), iso(at)),
            )
            if cur.rowcount != 1:
                return False
            await enqueue_in(conn, [owed])
        return True

    async def runs(self) -> list[tuple[date, bool]]:
        """Every recorded day with its late flag, oldest first (for tests and operators)."""
        rows = await self._db.fetchall("SELECT day, late FROM summary_runs ORDER BY day")
        return [(date.fromisoformat(r["day"]), bool(r["late"])) for r in rows]
