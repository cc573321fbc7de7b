"""The persistent outbox: every message the bot owes someone, until it has been delivered.

Rows are enqueued inside the transaction that creates the reason for them (a report, a triage move), so
a crash can lose neither. A unique `dedupe_key` makes enqueueing idempotent; `progress` records the
sub-steps of a multi-call delivery (album, then card) so a retry resumes instead of repeating them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Final

import aiosqlite

from storage.db import Database, iso, utcnow
from storage.models import OutboxItem, Owed

_ENQUEUE: Final = (
    "INSERT OR IGNORE INTO outbox (kind, dedupe_key, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)"
)


def _row(owed: Owed) -> tuple[str, str, str, str, str]:
    now = iso(utcnow())
    return owed.kind, owed.dedupe_key, json.dumps(owed.payload, ensure_ascii=False), now, now


async def enqueue_in(conn: aiosqlite.Connection, owed: Iterable[Owed]) -> None:
    """Owe these messages inside the caller's transaction (storage's own: no connection leaves storage/)."""
    for item in owed:
        await conn.execute(_ENQUEUE, _row(item))


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, owed: Owed) -> None:
        """Owe one message on its own; once only, however often it is asked for (its dedupe key)."""
        await self._db.execute(_ENQUEUE, _row(owed))

    async def due(self, now: datetime, limit: int = 50, exclude: Collection[int] = ()) -> list[OutboxItem]:
        """What is due, oldest first, leaving out `exclude` (the deliveries already under way)."""
        rows = await self._db.fetchall(
            "SELECT id, kind, payload, attempts, progress FROM outbox"
            " WHERE state = 'pending' AND next_attempt_at <= ?"
            " AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?",
            (iso(now), json.dumps(list(exclude)), limit),
        )
        return [
            OutboxItem(
                id=r["id"],
                kind=r["kind"],
                payload=json.loads(r["payload"]),
                attempts=r["attempts"],
                progress=json.loads(r["progress"]),
            )
            for r in rows
        ]

    async def next_due_at(self) -> str | None:
        row = await self._db.fetchone("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        return str(row[0]) if row and row[0] else None

    async def save_progress(self, item_id: int, progress: dict[str, object]) -> None:
        await self._db.execute("UPDATE outbox SET progress = ? WHERE id = ?", (json.dumps(progress), item_id))

    async def mark_sent(self, item_id: int) -> None:
        await self._db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
            (iso(utcnow()), item_id),
        )

    async def retry_later(self, item_id: int, delay: timedelta, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
            (iso(utcnow() + delay), error[:500], item_id),
        )

    async def give_up(self, item_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
            (error[:500], item_id),
        )

    async def pending_count(self) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row else 0
