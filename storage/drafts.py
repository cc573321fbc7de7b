"""Conversation drafts and processed update ids, saved together so a turn is all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database, iso, utcnow
from storage.models import Channel, Reporter
from storage.reporters import row_to_reporter


@dataclass(frozen=True, slots=True)
class TurnStart:
    """What a conversation turn needs to know before it runs, read in one query."""

    processed: bool  # the update was handled before (a redelivery)
    reporter: Reporter | None  # None: nobody has written from this address yet
    draft: str | None


class Drafts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def turn_start(self, channel: Channel, address: str, update_id: str | None) -> TurnStart:
        """The redelivery check, the reporter and their draft together: every turn reads all three."""
        row = await self._db.fetchone(
            "SELECT EXISTS (SELECT 1 FROM processed_updates WHERE channel = ? AND update_id = ?) AS processed,"
            " r.id, r.channel, r.address, r.locale, r.pseudonym, d.data AS draft"
            " FROM (SELECT 1) LEFT JOIN reporters r ON r.channel = ? AND r.address = ?"
            " LEFT JOIN drafts d ON d.reporter_id = r.id",
            (channel, update_id, channel, address),
        )
        assert row is not None  # the FROM (SELECT 1) always yields one row
        reporter = row_to_reporter(row) if row["id"] is not None else None
        return TurnStart(bool(row["processed"]), reporter, str(row["draft"]) if row["draft"] is not None else None)

    async def prune(self, processed_before: datetime, drafts_before: datetime) -> tuple[int, int]:
        """Forget update ids Telegram can no longer redeliver, and drafts abandoned long ago.

        Abandoned drafts may hold a phone number someone typed: they are not kept forever.
        """
        async with self._db.transaction() as conn:
            updates = await conn.execute("DELETE FROM processed_updates WHERE at < ?", (iso(processed_before),))
            drafts = await conn.execute("DELETE FROM drafts WHERE updated_at < ?", (iso(drafts_before),))
            # The quota looks one day back; the update ids' horizon (days) is more than enough to keep.
            await conn.execute("DELETE FROM evidence_uploads WHERE at < ?", (iso(processed_before),))
            return updates.rowcount, drafts.rowcount

    async def save_turn(self, channel: str, update_id: str | None, reporter_id: int, data: str | None) -> None:
        """Record the update as processed and store (or, with None, drop) the draft: atomically, in one
        statement (the `turn_saves` view's trigger, migration 0006)."""
        await self._db.execute(
            "INSERT INTO turn_saves (channel, update_id, reporter_id, draft, at) VALUES (?, ?, ?, ?, ?)",
            (channel, update_id, reporter_id, data, iso(utcnow())),
        )

    async def record_upload(self, reporter_id: int, size: int, at: datetime) -> None:
        """Count `size` bytes of evidence written to disk for this sender (the daily quota)."""
        await self._db.execute(
            "INSERT INTO evidence_uploads (reporter_id, bytes, at) VALUES (?, ?, ?)", (reporter_id, size, iso(at))
        )

    async def uploaded_since(self, reporter_id: int, since: datetime) -> int:
        """Bytes of evidence this sender had written to disk since `since`."""
        row = await self._db.fetchone(
            "SELECT COALESCE(SUM(bytes), 0) FROM evidence_uploads WHERE reporter_id = ? AND at >= ?",
            (reporter_id, iso(since)),
        )
        return int(row[0]) if row else 0

    async def mark_processed(self, channel: str, update_id: str) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
            (channel, update_id, iso(utcnow())),
        )


async def save_draft_in(conn: aiosqlite.Connection, reporter_id: int, data: str | None) -> None:
    """Store (or, with None, drop) the draft inside the caller's transaction."""
    if data is None:
        await conn.execute("DELETE FROM drafts WHERE reporter_id = ?", (reporter_id,))
    else:
        await conn.execute(
            "INSERT INTO drafts (reporter_id, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (reporter_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            (reporter_id, data, iso(utcnow())),
        )


async def mark_processed_in(conn: aiosqlite.Connection, channel: str, update_id: str) -> bool:
    """Record an update id inside the caller's transaction; False when it was already there (a redelivery)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO processed_updates (channel, update_id, at) VALUES (?, ?, ?)",
        (channel, update_id, iso(utcnow())),
    )
    return cur.rowcount == 1
