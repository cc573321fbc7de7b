"""Triage's tables: moves and their events, questions to reporters, prompts, searches, and the queries
behind the card (duplicates), the group commands and the export.

A move is one transaction around a conditional UPDATE (`WHERE id = ? AND state = ?`): of two supervisors
pressing at once, exactly one UPDATE matches, and only its event, question and outbox rows are written.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final

import aiosqlite

from storage.db import Database, from_iso, iso, marks, utcnow
from storage.models import (
    Category,
    Contact,
    Event,
    NewEvent,
    Owed,
    PhotoEvidence,
    Record,
    Report,
    ReportState,
    Witness,
)
from storage.outbox import enqueue_in
from storage.reports import append_event_in, insert_evidence_in, row_to_event, row_to_report

PAGE_MAX: Final = 100


class Moved(Record):
    """What a committed move wrote: its event, and the question it asked (for "Minta info")."""

    event_id: int
    info_request_id: int | None


class InfoRequest(Record):
    id: int
    report_id: int
    reporter_id: int
    event_id: int
    question: str
    asked_at: datetime
    message_id: str | None
    answered_at: datetime | None


class Prompt(Record):
    chat_id: int
    message_id: int
    report_id: int
    kind: str
    user_id: int
    expected_state: ReportState
    created_at: datetime
    used_at: datetime | None


class PhotoMatch(Record):
    """A photo of another report: its ticket and the hashes to compare."""

    report_id: int
    code: str
    sha256: str
    dhash: str | None


class GroupScope(Record):
    """The reports of one supervisors' group: those routed to `chat_id`, and those not yet forwarded (their
    group is decided then) whose region is in `region_ids` (with `except_regions`: is not)."""

    chat_id: int
    region_ids: tuple[str, ...]
    except_regions: bool = False


def scope_sql(scope: GroupScope, prefix: str = "") -> tuple[str, list[object]]:
    """The WHERE clause of a group's share of reports (`prefix`: the reports table's alias, with its dot)."""
    regions = f"{prefix}region_id {'NOT ' if scope.except_regions else ''}IN ({marks(scope.region_ids)})"
    if not scope.region_ids:
        regions = "1" if scope.except_regions else "0"
    clause = f"({prefix}group_chat_id = ? OR ({prefix}group_chat_id IS NULL AND {regions}))"
    return clause, [scope.chat_id, *scope.region_ids]


def within_shares(
    statement: tuple[str, str, tuple[object, ...]], scopes: Sequence[GroupScope] | None
) -> tuple[str, str, tuple[object, ...]]:
    """A (name, SQL, parameters) statement over `reports` and `events`, counting only the reports in the shares
    of some groups (None: unchanged; none: no report).

    The statement is not rewritten: `reports` and `events` are shadowed for it by common table expressions of
    the same names over `main.`'s tables, so the daily summary's own SQL counts a regional group's share (the
    Mini App's dashboard) without a second copy of each query. NOT MATERIALIZED lets SQLite flatten them into
    the statement: every access stays an index SEARCH, but the share's (`reports_by_group`) may lead instead of
    the day's, so a scoped count reads one group's share rather than one day's reports. That is a dashboard
    asked for by one person at a time; the daily summary is never scoped and its plans are unchanged.
    """
    if scopes is None:
        return statement
    name, sql, params = statement
    shares = [scope_sql(scope) for scope in scopes]
    clause = " OR ".join(c for c, _ in shares) if shares else "0"
    prefix = (
        f"WITH reports AS NOT MATERIALIZED (SELECT * FROM main.reports WHERE {clause}),"
        " events AS NOT MATERIALIZED (SELECT * FROM main.events WHERE report_id IN (SELECT id FROM reports)) "
    )
    return name, prefix + sql, (*(v for _, shared in shares for v in shared), *params)


class GroupFigures(Record):
    """One group's share at a moment: reports received since a time, its backlog, its oldest unclaimed."""

    received: int
    backlog: int
    oldest_waiting: datetime | None


class ReportFilter(Record):
    """What /cari narrows by; None means "any". Dates are instants (received time, UTC). `scope`: the
    asking group's share (None: every report, as the provincial group sees them)."""

    region_ids: tuple[str, ...] | None = None
    categories: tuple[Category, ...] | None = None
    states: tuple[ReportState, ...] | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    name: str | None = None
    scope: GroupScope | None = None


class ExportRow(Record):
    report: Report
    pseudonym: str
    photos: int
    links: tuple[str, ...]
    contact: Contact | None  # only when the reporter chose to share it
    last_move: Event | None
    witnesses: tuple[Witness, ...] = ()  # named by the reporter for Bawaslu; purged with the contact


def _opt_dt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def _row_to_info(row: sqlite3.Row) -> InfoRequest:
    return InfoRequest(
        id=row["id"],
        report_id=row["report_id"],
        reporter_id=row["reporter_id"],
        event_id=row["event_id"],
        question=row["question"],
        asked_at=from_iso(row["asked_at"]),
        message_id=row["message_id"],
        answered_at=_opt_dt(row["answered_at"]),
    )


def _row_to_prompt(row: sqlite3.Row) -> Prompt:
    return Prompt(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        report_id=row["report_id"],
        kind=row["kind"],
        user_id=row["user_id"],
        expected_state=ReportState(row["expected_state"]),
        created_at=from_iso(row["created_at"]),
        used_at=_opt_dt(row["used_at"]),
    )


async def move_in(
    conn: aiosqlite.Connection,
    report_id: int,
    expected: ReportState,
    to_state: ReportState,
    at: datetime,
) -> bool:
    """Move the report only if it is still in `expected`; False when someone else moved it first."""
    cur = await conn.execute(
        "UPDATE reports SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
        (to_state, iso(at), report_id, expected),
    )
    return cur.rowcount == 1


async def touch_in(conn: aiosqlite.Connection, report_id: int, at: datetime) -> None:
    await conn.execute("UPDATE reports SET updated_at = ? WHERE id = ?", (iso(at), report_id))


# The audit log's action for an original handed out (to a custodian, or written by the command line).
EVIDENCE_RELEASED = "evidence_released"


async def insert_info_request_in(
    conn: aiosqlite.Connection,
    report_id: int,
    event_id: int,
    question: str,
    at: datetime,
) -> int:
    """The question to the report's reporter, tied to the event that asked it."""
    cur = await conn.execute(
        "INSERT INTO triage_info_requests (report_id, reporter_id, event_id, question, asked_at)"
        " SELECT id, reporter_id, ?, ?, ? FROM reports WHERE id = ?",
        (event_id, question, iso(at), report_id),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def mark_answered_in(conn: aiosqlite.Connection, report_id: int, at: datetime) -> None:
    await conn.execute(
        "UPDATE triage_info_requests SET answered_at = ? WHERE report_id = ? AND answered_at IS NULL",
        (iso(at), report_id),
    )


async def use_prompt_in(conn: aiosqlite.Connection, chat_id: int, message_id: int, at: datetime) -> bool:
    """Consume a prompt once: a redelivered reply must not ask the reporter twice."""
    cur = await conn.execute(
        "UPDATE triage_prompts SET used_at = ? WHERE chat_id = ? AND message_id = ? AND used_at IS NULL",
        (iso(at), chat_id, message_id),
    )
    return cur.rowcount == 1


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({marks(values)})"


def filter_sql(where: ReportFilter, scopes: Sequence[GroupScope] | None = None) -> tuple[str, list[object]]:
    """The WHERE clause of a /cari filter (also the Mini App's queue), within the shares of some groups (None:
    every report; none: no report), empty when it narrows nothing, and its parameters."""
    clauses: list[str] = []
    params: list[object] = []
    for column, values in (("region_id", where.region_ids), ("category", where.categories), ("state", where.states)):
        if values is None:
            continue
        # An empty tuple is "none of them": nothing matches, rather than everything.
        clauses.append(_in(column, values) if values else "0")
        params += list(values)
    if where.received_from is not None:
        clauses.append("created_at >= ?")
        params.append(iso(where.received_from))
    if where.received_before is not None:
        clauses.append("created_at < ?")
        params.append(iso(where.received_before))
    if where.name:
        clauses.append("subject_name LIKE ? ESCAPE '\\'")
        params.append(_like(where.name))
    if where.scope is not None:
        clause, shared = scope_sql(where.scope)
        clauses.append(clause)
        params += shared
    if scopes is not None:
        shares = [scope_sql(scope) for scope in scopes]
        clauses.append("(" + " OR ".join(c for c, _ in shares) + ")" if shares else "0")
        params += [v for _, shared in shares for v in shared]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# Reporters whose answer mode (or its absence) is remembered in memory; the oldest are forgotten first.
ANSWER_MODES_REMEMBERED: Final = 10_000


class TriageStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Every message a reporter sends asks whether they are in answer mode, and almost nobody is: the
        # table is mirrored here (reporter id -> (report id, until) or None) to spare a database round
        # trip per message. This store is the table's only writer (one per database: `Store.triage`).
        self._modes: OrderedDict[int, tuple[int, datetime] | None] = OrderedDict()

    # ---------------------------------------------------------------- whole transactions

    async def apply_move(
        self,
        report_id: int,
        expected: ReportState,
        to_state: ReportState,
        event: NewEvent,
        *,
        question: str | None = None,
        owed: Callable[[Moved], Sequence[Owed]],
    ) -> Moved | None:
        """A supervisor's move, all or nothing: the state change, its event, the `question` to the report's
        reporter ("Minta info") and what it owes the outbox (built from the ids written).
        None when the report is no longer in `expected`: someone else moved it first, nothing is written."""
        async with self._db.transaction() as conn:
            if not await move_in(conn, report_id, expected, to_state, event.at):
                return None
            event_id = await append_event_in(conn, report_id, event, from_state=expected, to_state=to_state)
            request_id = None
            if question is not None:
                request_id = await insert_info_request_in(conn, report_id, event_id, question, event.at)
            moved = Moved(event_id=event_id, info_request_id=request_id)
            await enqueue_in(conn, owed(moved))
        return moved

    async def record_answer(
        self,
        report_id: int,
        event: NewEvent,
        *,
        hand_back: tuple[ReportState, ReportState] | None,
        photos: tuple[PhotoEvidence, ...] = (),
        links: tuple[str, ...] = (),
        owed: Callable[[int], Sequence[Owed]],
    ) -> int:
        """The reporter's answer, all or nothing: its event (moving the report by `hand_back`, (from, to),
        when it is still in `from`), its evidence, the questions marked answered, and what it owes the
        outbox (built from the event's id, which this returns)."""
        async with self._db.transaction() as conn:
            moved = hand_back is not None and await move_in(conn, report_id, *hand_back, event.at)
            if not moved:
                await touch_in(conn, report_id, event.at)
            states = hand_back if moved and hand_back is not None else (None, None)
            event_id = await append_event_in(conn, report_id, event, from_state=states[0], to_state=states[1])
            if photos or links:
                await insert_evidence_in(conn, report_id, photos, links)
            await mark_answered_in(conn, report_id, event.at)
            await enqueue_in(conn, owed(event_id))
        return event_id

    async def move_group(
        self,
        report_id: int,
        from_chat: int | None,
        to_chat: int,
        event: NewEvent,
        *,
        owed: Callable[[int], Sequence[Owed]],
    ) -> int | None:
        """A report moved to another region's group, all or nothing: its group, the audited event and what it
        owes the outbox (the card in the new group, the old card marked as moved), built from the event's
        id. The report has no current card until the new one is posted, so its edits wait for that one.
        None when the report is no longer in `from_chat` (someone moved it first): nothing is written."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE reports SET group_chat_id = ?, card_chat_id = NULL, card_message_id = NULL, updated_at = ?"
                " WHERE id = ? AND group_chat_id IS ?",
                (to_chat, iso(event.at), report_id, from_chat),
            )
            if cur.rowcount != 1:
                return None
            event_id = await append_event_in(conn, report_id, event)
            await enqueue_in(conn, owed(event_id))
        return event_id

    async def group_figures(self, scope: GroupScope, since: datetime) -> GroupFigures:
        """Received since `since`, still `baru` (the backlog), and the oldest of those, for one group."""
        clause, values = scope_sql(scope)
        row = await self._db.fetchone(
            "SELECT SUM(created_at >= ?), SUM(state = 'baru'), MIN(CASE WHEN state = 'baru' THEN created_at END)"
            f" FROM reports WHERE {clause}",
            (iso(since), *values),
        )
        if row is None:
            return GroupFigures(received=0, backlog=0, oldest_waiting=None)
        return GroupFigures(received=int(row[0] or 0), backlog=int(row[1] or 0), oldest_waiting=_opt_dt(row[2]))

    async def group_events_since(self, action: str, since: datetime) -> int:
        """How many events of `action` (a move between groups, say) happened since `since`."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM events WHERE action = ? AND at >= ?", (action, iso(since)))
        return int(row[0]) if row else 0

    async def record_event(self, report_id: int, event: NewEvent, *, owed: Callable[[int], Sequence[Owed]]) -> int:
        """An audited event that changes no state (a referral's number or outcome) with what it owes the
        outbox, all or nothing; returns the event's id."""
        async with self._db.transaction() as conn:
            await touch_in(conn, report_id, event.at)
            event_id = await append_event_in(conn, report_id, event)
            await enqueue_in(conn, owed(event_id))
        return event_id

    # ---------------------------------------------------------------- events

    async def event(self, event_id: int) -> Event | None:
        row = await self._db.fetchone("SELECT * FROM events WHERE id = ?", (event_id,))
        return row_to_event(row) if row else None

    async def last_move(self, report_id: int) -> Event | None:
        """The newest event that set a state (a supervisor's move, or the reporter's answer)."""
        row = await self._db.fetchone(
            "SELECT * FROM events WHERE report_id = ? AND to_state IS NOT NULL ORDER BY id DESC LIMIT 1",
            (report_id,),
        )
        return row_to_event(row) if row else None

    # ---------------------------------------------------------------- questions to reporters

    async def set_info_message(self, request_id: int, message_id: str) -> None:
        await self._db.execute("UPDATE triage_info_requests SET message_id = ? WHERE id = ?", (message_id, request_id))

    async def info_request_by_message(self, reporter_id: int, message_id: str) -> InfoRequest | None:
        row = await self._db.fetchone(
            "SELECT * FROM triage_info_requests WHERE reporter_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1",
            (reporter_id, message_id),
        )
        return _row_to_info(row) if row else None

    async def latest_info_request(self, report_id: int) -> InfoRequest | None:
        row = await self._db.fetchone(
            "SELECT * FROM triage_info_requests WHERE report_id = ? ORDER BY id DESC LIMIT 1", (report_id,)
        )
        return _row_to_info(row) if row else None

    # ---------------------------------------------------------------- prompts in the group

    async def add_prompt(
        self,
        chat_id: int,
        message_id: int,
        report_id: int,
        kind: str,
        user_id: int,
        expected: ReportState,
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO triage_prompts"
            " (chat_id, message_id, report_id, kind, user_id, expected_state, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (chat_id, message_id, report_id, kind, user_id, expected, iso(utcnow())),
        )

    async def prompt_at(self, chat_id: int, message_id: int) -> Prompt | None:
        row = await self._db.fetchone(
            "SELECT * FROM triage_prompts WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return _row_to_prompt(row) if row else None

    async def open_prompt(self, report_id: int, user_id: int, since: datetime) -> Prompt | None:
        """The user's newest unused prompt for this report: their reply to the card itself answers it."""
        row = await self._db.fetchone(
            "SELECT * FROM triage_prompts WHERE report_id = ? AND user_id = ? AND used_at IS NULL"
            " AND created_at >= ? ORDER BY created_at DESC LIMIT 1",
            (report_id, user_id, iso(since)),
        )
        return _row_to_prompt(row) if row else None

    async def use_prompt(self, chat_id: int, message_id: int, at: datetime) -> bool:
        async with self._db.transaction() as conn:
            return await use_prompt_in(conn, chat_id, message_id, at)

    async def report_by_card(self, chat_id: int, message_id: int) -> Report | None:
        row = await self._db.fetchone(
            "SELECT * FROM reports WHERE card_chat_id = ? AND card_message_id = ?", (chat_id, message_id)
        )
        return row_to_report(row) if row else None

    # ---------------------------------------------------------------- the reporter's answer mode

    async def set_answer_mode(self, reporter_id: int, report_id: int, until: datetime) -> None:
        await self._db.execute(
            "INSERT INTO triage_answer_modes (reporter_id, report_id, until) VALUES (?, ?, ?)"
            " ON CONFLICT (reporter_id) DO UPDATE SET report_id = excluded.report_id, until = excluded.until",
            (reporter_id, report_id, iso(until)),
        )
        self._remember_mode(reporter_id, (report_id, until))

    async def answer_mode(self, reporter_id: int, now: datetime) -> int | None:
        if reporter_id in self._modes:
            self._modes.move_to_end(reporter_id)
            mode = self._modes[reporter_id]
        else:
            row = await self._db.fetchone(
                "SELECT report_id, until FROM triage_answer_modes WHERE reporter_id = ?", (reporter_id,)
            )
            mode = (int(row[0]), from_iso(row[1])) if row else None
            self._remember_mode(reporter_id, mode)
        return mode[0] if mode is not None and mode[1] > now else None

    async def clear_answer_mode(self, reporter_id: int) -> None:
        await self._db.execute("DELETE FROM triage_answer_modes WHERE reporter_id = ?", (reporter_id,))
        self._remember_mode(reporter_id, None)

    def _remember_mode(self, reporter_id: int, mode: tuple[int, datetime] | None) -> None:
        self._modes[reporter_id] = mode
        self._modes.move_to_end(reporter_id)
        if len(self._modes) > ANSWER_MODES_REMEMBERED:
            self._modes.popitem(last=False)

    # ---------------------------------------------------------------- lists

    async def save_search(self, query: str) -> int:
        return await self._db.execute(
            "INSERT INTO triage_searches (query, created_at) VALUES (?, ?)", (query, iso(utcnow()))
        )

    async def search_query(self, search_id: int) -> str | None:
        row = await self._db.fetchone("SELECT query FROM triage_searches WHERE id = ?", (search_id,))
        return str(row[0]) if row else None

    async def search(
        self, where: ReportFilter, *, limit: int, offset: int, oldest_first: bool = False
    ) -> tuple[list[Report], int]:
        """One page of reports matching the filter, and how many match in all."""
        sql_where, params = filter_sql(where)
        order = "ASC" if oldest_first else "DESC"
        total_row = await self._db.fetchone(f"SELECT COUNT(*) FROM reports{sql_where}", params)
        rows = await self._db.fetchall(
            f"SELECT * FROM reports{sql_where} ORDER BY created_at {order}, id {order} LIMIT ? OFFSET ?",
            [*params, min(limit, PAGE_MAX), max(0, offset)],
        )
        return [row_to_report(r) for r in rows], int(total_row[0]) if total_row else 0

    async def untriaged_known_between(self, first: date, last: date, scope: GroupScope | None = None) -> list[Report]:
        """Reports still `baru` (of one group's share) whose known-day (Bawaslu's window starts there) lies in
        [first, last], the earliest first."""
        clause, values = scope_sql(scope) if scope is not None else ("1", [])
        rows = await self._db.fetchall(
            f"SELECT * FROM reports WHERE state = 'baru' AND known_date BETWEEN ? AND ? AND {clause}"
            " ORDER BY known_date, created_at",
            (first.isoformat(), last.isoformat(), *values),
        )
        return [row_to_report(r) for r in rows]

    # ---------------------------------------------------------------- duplicates

    async def photos_elsewhere(self, report_id: int, since: datetime) -> list[PhotoMatch]:
        """Photos of other reports received since `since` (or sharing a SHA-256 with this one at any time)."""
        rows = await self._db.fetchall(
            "SELECT e.report_id, r.code, e.sha256, e.dhash FROM evidence e JOIN reports r ON r.id = e.report_id"
            " WHERE e.kind = 'photo' AND e.report_id != ?"
            " AND (r.created_at >= ? OR e.sha256 IN"
            "      (SELECT sha256 FROM evidence WHERE report_id = ? AND kind = 'photo'))"
            " ORDER BY e.report_id, e.position",
            (report_id, iso(since), report_id),
        )
        return [PhotoMatch(report_id=r[0], code=r[1], sha256=r[2], dhash=r[3]) for r in rows]

    async def same_region_around(self, report: Report, first: date, last: date) -> list[Report]:
        """Other reports with a named terlapor in the same region and an incident date in [first, last]."""
        rows = await self._db.fetchall(
            "SELECT * FROM reports WHERE region_id = ? AND id != ? AND subject_name IS NOT NULL"
            " AND incident_date BETWEEN ? AND ? ORDER BY created_at",
            (report.region_id, report.id, first.isoformat(), last.isoformat()),
        )
        return [row_to_report(r) for r in rows]

    # ---------------------------------------------------------------- export

    async def export_rows(
        self, received_from: datetime, received_before: datetime, scope: GroupScope | None = None
    ) -> list[ExportRow]:
        clause, values = scope_sql(scope, "r.") if scope is not None else ("1", [])
        reports = await self._db.fetchall(
            "SELECT r.*, p.pseudonym AS reporter_pseudonym FROM reports r JOIN reporters p ON p.id = r.reporter_id"
            f" WHERE r.created_at >= ? AND r.created_at < ? AND {clause} ORDER BY r.created_at, r.id",
            (iso(received_from), iso(received_before), *values),
        )
        result: list[ExportRow] = []
        for row in reports:
            report = row_to_report(row)
            evidence = await self._db.fetchall(
                "SELECT kind, url FROM evidence WHERE report_id = ? ORDER BY position", (report.id,)
            )
            contact = None
            if report.contact_shared:
                found = await self._db.fetchone("SELECT name, phone FROM contacts WHERE report_id = ?", (report.id,))
                contact = Contact(name=found["name"], phone=found["phone"]) if found else None
            witnesses = await self._db.fetchall(
                "SELECT name, reach FROM witnesses WHERE report_id = ? ORDER BY position", (report.id,)
            )
            result.append(
                ExportRow(
                    report=report,
                    pseudonym=row["reporter_pseudonym"],
                    photos=sum(1 for e in evidence if e["kind"] == "photo"),
                    links=tuple(e["url"] for e in evidence if e["kind"] == "link"),
                    contact=contact,
                    witnesses=tuple(Witness(name=w["name"], reach=w["reach"]) for w in witnesses),
                    last_move=await self.last_move(report.id),
                )
            )
        return result

    # ---------------------------------------------------------------- outbox housekeeping

    async def newer_pending(self, kind: str, item_id: int, report_id: int) -> bool:
        """Whether a later outbox item of `kind` for the same report is still pending (it supersedes this one)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM outbox WHERE kind = ? AND state = 'pending' AND id > ?"
            " AND json_extract(payload, '$.report_id') = ? LIMIT 1",
            (kind, item_id, report_id),
        )
        return row is not None

    async def record_release(
        self, report_id: int, *, actor: str, actor_name: str | None, at: datetime, files: int
    ) -> None:
        """An original left the evidence store: the audit log says who took how many, and when."""
        event = NewEvent(
            actor=actor, actor_name=actor_name, action=EVIDENCE_RELEASED, at=at, detail=f"originals:{files}"
        )
        async with self._db.transaction() as conn:
            await append_event_in(conn, report_id, event)
