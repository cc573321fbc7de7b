"""The durable inbox: channel updates written down before they are confirmed, replayed after a crash.

Telegram forgets an update once the next getUpdates confirms it, and python-telegram-bot confirms a batch
as soon as it has queued it, long before the handlers ran. Writing the batch here first (one transaction)
turns "confirmed" into "stored": a SIGKILL between the two loses nothing, and the next start replays what
was stored but never handled. Handling stays idempotent through `processed_updates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from storage.db import Database, iso, marks, utcnow

# Replays that may begin handling one update before it is given up. Counted only once its handling began
# (see `started`), so only crashes in the middle of it count; five tolerates bad luck with unrelated kills.
MAX_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class Unhandled:
    """What a restart has to replay, and what it gave up on."""

    payloads: list[str]  # oldest first
    given_up: int  # updates replayed `max_attempts` times already: probably the ones that crashed us


class Inbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    # A batch is one statement with a row per update (at most 100 in a getUpdates batch): atomic and
    # durable on its own, and one round trip to the database thread, on the path of every update.

    async def receive(self, channel: str, updates: Sequence[tuple[str, str]]) -> None:
        """Store (update_id, JSON payload) pairs, durably, in one statement."""
        if not updates:
            return
        now = iso(utcnow())
        rows = ", ".join(["(?, ?, ?, ?)"] * len(updates))
        await self._db.execute(
            f"INSERT OR IGNORE INTO inbox (channel, update_id, payload, received_at) VALUES {rows}",
            [value for update_id, payload in updates for value in (channel, update_id, payload, now)],
        )

    async def forget(self, channel: str, handled: Sequence[str]) -> None:
        """Drop the stored copies of handled updates, a statement per 500 (SQLite caps bound values)."""
        for start in range(0, len(handled), 500):
            chunk = handled[start : start + 500]
            await self._db.execute(
                f"DELETE FROM inbox WHERE channel = ? AND update_id IN ({marks(chunk)})", [channel, *chunk]
            )

    async def unhandled(self, channel: str, max_attempts: int = MAX_ATTEMPTS) -> Unhandled:
        """The stored updates never handled, oldest first, minus those that crashed us `max_attempts` times."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM inbox WHERE channel = ? AND EXISTS (SELECT 1 FROM processed_updates p"
                " WHERE p.channel = inbox.channel AND p.update_id = inbox.update_id)",
                (channel,),
            )
            cur = await conn.execute("DELETE FROM inbox WHERE channel = ? AND attempts >= ?", (channel, max_attempts))
            given_up = cur.rowcount
            async with conn.execute("SELECT payload FROM inbox WHERE channel = ? ORDER BY id", (channel,)) as rows:
                payloads = [str(row[0]) async for row in rows]
        return Unhandled(payloads, given_up)

    async def started(self, channel: str, update_id: str) -> None:
        """A replayed update is being handled again: one more attempt, counted before it may crash us.

        Only replays count: an update merely waiting in the queue when the process died is innocent.
        """
        await self._db.execute(
            "UPDATE inbox SET attempts = attempts + 1 WHERE channel = ? AND update_id = ?", (channel, update_id)
        )

    async def pending_count(self, channel: str) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM inbox WHERE channel = ?", (channel,))
        return int(row[0]) if row else 0

    async def prune(self, before: datetime) -> int:
        """Drop rows older than `before`: the channel stopped redelivering them long ago."""
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM inbox WHERE received_at < ?", (iso(before),))
            return cur.rowcount
