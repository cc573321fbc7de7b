"""The persistent outbox: every message the bot owes someone, until it has been delivered.

Rows are enqueued inside the transaction that creates the reason for them (a report, a triage move), so
a crash can lose neither. A unique `dedupe_key` makes enqueueing idempotent; `progress` records the
sub-steps of a multi-call delivery (album, then card) so a retry resumes instead of repeating them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import aiosqlite

from storage.db import Database, iso, utcnow
from storage.models import OutboxItem


async def enqueue_in(
    conn: aiosqlite.Connection, kind: str, dedupe_key: str, payload: dict[str, object],
    *, not_before: datetime | None = None,
) -> None:
    now = utcnow()
    await conn.execute(
        "INSERT OR IGNORE INTO outbox (kind, dedupe_key, payload, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (kind, dedupe_key, json.dumps(payload, ensure_ascii=False), iso(not_before or now), iso(now)),
    )


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, kind: str, dedupe_key: str, payload: dict[str, object]) -> None:
        async with self._db.transaction() as conn:
            await enqueue_in(conn, kind, dedupe_key, payload)

    async def due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        rows = await self._db.fetchall(
            "SELECT id, kind, payload, attempts, progress FROM outbox"
            " WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (iso(now), limit),
        )
        return [
            OutboxItem(id=r["id"], kind=r["kind"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                       progress=json.loads(r["progress"]))
            for r in rows
        ]

    async def next_due_at(self) -> str | None:
        row = await self._db.fetchone(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'"
        )
        return str(row[0]) if row and row[0] else None

    async def save_progress(self, item_id: int, progress: dict[str, object]) -> None:
        await self._db.execute(
            "UPDATE outbox SET progress = ? WHERE id = ?", (json.dumps(progress), item_id)
        )

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
