"""Reports, their evidence, contacts and the append-only event log."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final

import aiosqlite

from storage.db import Database, fetchone_in, from_iso, iso, utcnow
from storage.drafts import mark_processed_in, save_draft_in
from storage.models import (
    Category,
    Channel,
    Contact,
    Event,
    Evidence,
    NewEvent,
    NewReport,
    Owed,
    PhotoEvidence,
    Record,
    Report,
    ReportState,
    SubjectStatus,
    Witness,
)
from storage.outbox import enqueue_in

_CODE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read over the phone
CODE_PREFIX: Final = "LN-"
CODE_LENGTH: Final = 6


def new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """Accept what people type: lower case, spaces, a missing prefix."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if cleaned.startswith("LN"):
        cleaned = cleaned[2:]
    return CODE_PREFIX + cleaned


def _opt_dt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def row_to_report(row: sqlite3.Row) -> Report:
    return Report(
        id=row["id"],
        code=row["code"],
        reporter_id=row["reporter_id"],
        channel=Channel(row["channel"]),
        state=ReportState(row["state"]),
        category=Category(row["category"]),
        subject_name=row["subject_name"],
        subject_agency=row["subject_agency"],
        subject_status=SubjectStatus(row["subject_status"]),
        region_id=row["region_id"],
        place=row["place"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        incident_date=date.fromisoformat(row["incident_date"]),
        description=row["description"],
        contact_shared=bool(row["contact_shared"]),
        locale=row["locale"],
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
        card_chat_id=row["card_chat_id"],
        card_message_id=row["card_message_id"],
        known_date=date.fromisoformat(row["known_date"]) if row["known_date"] else None,
        workplace=row["workplace"],
        group_chat_id=row["group_chat_id"],
        card_kind=row["card_kind"],
    )


def _row_to_evidence(row: sqlite3.Row) -> Evidence:
    photo = None
    if row["kind"] == "photo":
        photo = PhotoEvidence(
            sha256=row["sha256"],
            mime=row["mime"] or "image/jpeg",
            size_bytes=row["size_bytes"] or 0,
            width=row["width"] or 0,
            height=row["height"] or 0,
            captured_at=_opt_dt(row["captured_at"]),
            latitude=row["latitude"],
            longitude=row["longitude"],
            dhash=row["dhash"],
            source_id=row["source_id"],
        )
    return Evidence(
        kind=row["kind"],
        position=row["position"],
        photo=photo,
        url=row["url"],
        added_at=from_iso(row["added_at"]),
    )


async def insert_evidence_in(
    conn: aiosqlite.Connection, report_id: int, photos: tuple[PhotoEvidence, ...], links: tuple[str, ...]
) -> None:
    """Append evidence after what the report already holds (a reporter may add more later)."""
    row = await fetchone_in(conn, "SELECT COALESCE(MAX(position), -1) FROM evidence WHERE report_id = ?", (report_id,))
    position = int(row[0]) + 1 if row else 0
    now = iso(utcnow())
    for photo in photos:
        await conn.execute(
            "INSERT INTO evidence (report_id, position, kind, sha256, mime, size_bytes, width, height,"
            " captured_at, latitude, longitude, dhash, source_id, added_at)"
            " VALUES (?, ?, 'photo', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report_id,
                position,
                photo.sha256,
                photo.mime,
                photo.size_bytes,
                photo.width,
                photo.height,
                iso(photo.captured_at) if photo.captured_at else None,
                photo.latitude,
                photo.longitude,
                photo.dhash,
                photo.source_id,
                now,
            ),
        )
        position += 1
    for url in links:
        await conn.execute(
            "INSERT INTO evidence (report_id, position, kind, url, added_at) VALUES (?, ?, 'link', ?, ?)",
            (report_id, position, url, now),
        )
        position += 1


def row_to_event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        report_id=row["report_id"],
        at=from_iso(row["at"]),
        actor=row["actor"],
        actor_name=row["actor_name"],
        action=row["action"],
        from_state=ReportState(row["from_state"]) if row["from_state"] else None,
        to_state=ReportState(row["to_state"]) if row["to_state"] else None,
        note=row["note"],
        detail=row["detail"],
    )


async def append_event_in(
    conn: aiosqlite.Connection,
    report_id: int,
    event: NewEvent,
    *,
    from_state: ReportState | None = None,
    to_state: ReportState | None = None,
) -> int:
    """The one writer of the event log; returns the event's id."""
    cur = await conn.execute(
        "INSERT INTO events (report_id, at, actor, actor_name, action, from_state, to_state, note, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            report_id,
            iso(event.at),
            event.actor,
            event.actor_name,
            event.action,
            from_state,
            to_state,
            event.note,
            event.detail,
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def _nothing_owed(report: Report) -> Sequence[Owed]:
    return ()


class CardData(Record):
    """Everything the supervisors' card shows, read together: the forwarder, the card's edits, /laporan
    and the demo all start from this one load."""

    report: Report
    evidence: tuple[Evidence, ...]
    contact: Contact | None  # only when the reporter chose to share it
    pseudonym: str | None  # None: the reporter row is gone
    events: tuple[Event, ...]
    witnesses: tuple[Witness, ...] = ()  # the card names them only beside a shared contact


async def _create_in(conn: aiosqlite.Connection, new: NewReport, now: datetime) -> Report:
    """Insert a report with its evidence, contact and first event; the code is unique."""
    moment = iso(now)
    for _ in range(20):
        code = new_code()
        try:
            cur = await conn.execute(
                "INSERT INTO reports (code, reporter_id, channel, state, category, subject_name,"
                " subject_agency, subject_status, region_id, place, latitude, longitude, incident_date,"
                " description, contact_shared, locale, created_at, updated_at, known_date, workplace)"
                " VALUES (?, ?, ?, 'baru', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    new.reporter_id,
                    new.channel,
                    new.category,
                    new.subject_name,
                    new.subject_agency,
                    new.subject_status,
                    new.region_id,
                    new.place,
                    new.latitude,
                    new.longitude,
                    new.incident_date.isoformat(),
                    new.description,
                    int(new.contact is not None),
                    new.locale,
                    moment,
                    moment,
                    (new.known_date or new.incident_date).isoformat(),
                    new.workplace,
                ),
            )
        except sqlite3.IntegrityError:
            continue  # the rare code collision: draw again
        break
    else:  # pragma: no cover - 31^6 codes make this practically unreachable
        raise RuntimeError("could not draw a unique report code")
    report_id = cur.lastrowid
    assert report_id is not None
    await insert_evidence_in(conn, report_id, new.photos, new.links)
    if new.contact is not None:
        await conn.execute(
            "INSERT INTO contacts (report_id, name, phone, created_at) VALUES (?, ?, ?, ?)",
            (report_id, new.contact.name, new.contact.phone, moment),
        )
    for position, witness in enumerate(new.witnesses):
        await conn.execute(
            "INSERT INTO witnesses (report_id, position, name, reach, created_at) VALUES (?, ?, ?, ?, ?)",
            (report_id, position, witness.name, witness.reach, moment),
        )
    await append_event_in(
        conn, report_id, NewEvent(actor="reporter", action="created", at=from_iso(moment)), to_state=ReportState.BARU
    )
    row = await fetchone_in(conn, "SELECT * FROM reports WHERE id = ?", (report_id,))
    assert row is not None
    return row_to_report(row)


class Reports:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def submit(
        self,
        new: NewReport,
        *,
        owed: Callable[[Report], Sequence[Owed]] = _nothing_owed,
        draft: str | None = None,
        processed: tuple[Channel, str] | None = None,
        now: datetime | None = None,
    ) -> Report:
        """A citizen's Kirim, all or nothing: the report with its evidence, contact and first event, what it
        owes the outbox (built from the new report: its id is the dedupe key), the reporter's draft (None
        drops it) and the (channel, update id) marked processed."""
        async with self._db.transaction() as conn:
            if processed is not None:
                await mark_processed_in(conn, *processed)
            report = await _create_in(conn, new, now or utcnow())
            await enqueue_in(conn, owed(report))
            await save_draft_in(conn, new.reporter_id, draft)
        return report

    async def get(self, report_id: int) -> Report | None:
        row = await self._db.fetchone("SELECT * FROM reports WHERE id = ?", (report_id,))
        return row_to_report(row) if row else None

    async def by_code(self, code: str) -> Report | None:
        row = await self._db.fetchone("SELECT * FROM reports WHERE code = ?", (normalize_code(code),))
        return row_to_report(row) if row else None

    async def by_reporter(self, reporter_id: int, limit: int = 20) -> list[Report]:
        rows = await self._db.fetchall(
            "SELECT * FROM reports WHERE reporter_id = ? ORDER BY created_at DESC LIMIT ?",
            (reporter_id, limit),
        )
        return [row_to_report(r) for r in rows]

    async def count_since(self, reporter_id: int, since: datetime) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM reports WHERE reporter_id = ? AND created_at >= ?", (reporter_id, iso(since))
        )
        return int(row[0]) if row else 0

    async def evidence(self, report_id: int) -> list[Evidence]:
        rows = await self._db.fetchall("SELECT * FROM evidence WHERE report_id = ? ORDER BY position", (report_id,))
        return [_row_to_evidence(r) for r in rows]

    async def contact(self, report_id: int) -> Contact | None:
        row = await self._db.fetchone("SELECT name, phone FROM contacts WHERE report_id = ?", (report_id,))
        return Contact(name=row["name"], phone=row["phone"]) if row else None

    async def witnesses(self, report_id: int) -> list[Witness]:
        rows = await self._db.fetchall(
            "SELECT name, reach FROM witnesses WHERE report_id = ? ORDER BY position", (report_id,)
        )
        return [Witness(name=r["name"], reach=r["reach"]) for r in rows]

    async def events(self, report_id: int) -> list[Event]:
        rows = await self._db.fetchall("SELECT * FROM events WHERE report_id = ? ORDER BY id", (report_id,))
        return [row_to_event(r) for r in rows]

    async def card_data(self, report: Report) -> CardData:
        """What the report's card shows besides the report: its evidence, the contact (when shared), the
        reporter's pseudonym and the event log."""
        pseudonym = await self._db.fetchone("SELECT pseudonym FROM reporters WHERE id = ?", (report.reporter_id,))
        return CardData(
            report=report,
            evidence=tuple(await self.evidence(report.id)),
            contact=await self.contact(report.id) if report.contact_shared else None,
            witnesses=tuple(await self.witnesses(report.id)),
            pseudonym=str(pseudonym[0]) if pseudonym else None,
            events=tuple(await self.events(report.id)),
        )

    async def set_card(self, report_id: int, chat_id: int, message_id: int, kind: str = "text") -> None:
        """The report's card from now on (the one edits go to), remembered among its cards per group."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE reports SET card_chat_id = ?, card_message_id = ?, card_kind = ? WHERE id = ?",
                (chat_id, message_id, kind, report_id),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO report_cards (report_id, chat_id, message_id, kind, posted_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (report_id, chat_id, message_id, kind, iso(utcnow())),
            )

    async def add_copy(self, report_id: int, chat_id: int, message_id: int) -> None:
        """A copy of the card posted elsewhere (/laporan in the provincial group): remembered among the
        report's cards (its "📷 Bukti" is answered once), but not the card edits go to."""
        await self._db.execute(
            "INSERT OR IGNORE INTO report_cards (report_id, chat_id, message_id, kind, posted_at)"
            " VALUES (?, ?, ?, 'text', ?)",
            (report_id, chat_id, message_id, iso(utcnow())),
        )

    async def latest_card_in(self, report_id: int, chat_id: int) -> int | None:
        """The message id of the report's newest card in `chat_id` (its live card, or a /laporan copy)."""
        row = await self._db.fetchone(
            "SELECT message_id FROM report_cards WHERE report_id = ? AND chat_id = ?"
            " ORDER BY posted_at DESC, message_id DESC LIMIT 1",
            (report_id, chat_id),
        )
        return int(row[0]) if row is not None else None

    async def assign_group(self, report_id: int, chat_id: int) -> int:
        """The report's group: `chat_id` if it has none yet, else the one decided before (a report keeps its
        group when the routing file changes; only a supervisor's move changes it)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE reports SET group_chat_id = ? WHERE id = ? AND group_chat_id IS NULL", (chat_id, report_id)
            )
            row = await fetchone_in(conn, "SELECT group_chat_id FROM reports WHERE id = ?", (report_id,))
        assert row is not None
        return int(row[0])

    async def evidence_message(self, chat_id: int, card_message_id: int) -> int | None:
        """The first message of the photos posted on demand under this card, if they were."""
        row = await self._db.fetchone(
            "SELECT evidence_message_id FROM report_cards WHERE chat_id = ? AND message_id = ?",
            (chat_id, card_message_id),
        )
        return int(row[0]) if row is not None and row[0] is not None else None

    async def set_evidence_message(self, chat_id: int, card_message_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE report_cards SET evidence_message_id = ? WHERE chat_id = ? AND message_id = ?",
            (message_id, chat_id, card_message_id),
        )

    async def report_of_card(self, chat_id: int, message_id: int) -> int | None:
        """Which report a card (current or older) in a group belongs to."""
        row = await self._db.fetchone(
            "SELECT report_id FROM report_cards WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return int(row[0]) if row is not None else None
