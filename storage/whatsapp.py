"""What the WhatsApp channel remembers: each reporter's service window, sent notices, delivery statuses."""

from __future__ import annotations

import json
from datetime import datetime

from storage.db import Database, fetchone_in, from_iso, iso
from storage.models import Owed, Record
from storage.outbox import enqueue_in


class ServiceWindow(Record):
    """When the reporter last wrote, and when WhatsApp last refused a free-form message to them."""

    last_inbound_at: datetime
    refused_at: datetime | None


class SentNotice(Record):
    message_id: str
    outbox_id: int
    reporter_id: int
    as_template: bool


class WhatsAppRecords:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_inbound(self, reporter_id: int, sent_at: datetime, now: datetime) -> bool:
        """Note a message from the reporter; True when it is the first one we ever had from them.

        Only a later timestamp moves the window: a retried, older delivery must not shorten it.
        """
        async with self._db.transaction() as conn:
            known = (
                await fetchone_in(conn, "SELECT 1 FROM whatsapp_windows WHERE reporter_id = ?", (reporter_id,))
                is not None
            )
            await conn.execute(
                "INSERT INTO whatsapp_windows (reporter_id, first_seen_at, last_inbound_at) VALUES (?, ?, ?)"
                " ON CONFLICT (reporter_id) DO UPDATE SET"
                " last_inbound_at = MAX(last_inbound_at, excluded.last_inbound_at)",
                (reporter_id, iso(now), iso(sent_at)),
            )
        return not known

    async def window(self, reporter_id: int) -> ServiceWindow | None:
        row = await self._db.fetchone(
            "SELECT last_inbound_at, refused_at FROM whatsapp_windows WHERE reporter_id = ?", (reporter_id,)
        )
        if row is None:
            return None
        refused = row["refused_at"]
        return ServiceWindow(
            last_inbound_at=from_iso(row["last_inbound_at"]), refused_at=from_iso(refused) if refused else None
        )

    async def refuse_window(self, reporter_id: int, at: datetime) -> None:
        """WhatsApp said the window is closed: believe it until the reporter writes again."""
        await self._db.execute(
            "UPDATE whatsapp_windows SET refused_at = ? WHERE reporter_id = ?", (iso(at), reporter_id)
        )

    async def record_notice(
        self,
        message_id: str,
        outbox_id: int,
        reporter_id: int,
        *,
        as_template: bool,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO whatsapp_notices (message_id, outbox_id, reporter_id, as_template, sent_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (message_id, outbox_id, reporter_id, int(as_template), iso(now)),
        )

    async def notice(self, message_id: str) -> SentNotice | None:
        row = await self._db.fetchone(
            "SELECT message_id, outbox_id, reporter_id, as_template FROM whatsapp_notices WHERE message_id = ?",
            (message_id,),
        )
        if row is None:
            return None
        return SentNotice(
            message_id=row["message_id"],
            outbox_id=row["outbox_id"],
            reporter_id=row["reporter_id"],
            as_template=bool(row["as_template"]),
        )

    async def requeue_notice(self, notice: SentNotice) -> bool:
        """Owe the notice again (once per refused message); False when its outbox entry is gone."""
        async with self._db.transaction() as conn:
            row = await fetchone_in(
                conn, "SELECT kind, dedupe_key, payload FROM outbox WHERE id = ?", (notice.outbox_id,)
            )
            if row is None:
                return False
            payload = json.loads(row["payload"])
            # The same message owed again under a key of its own: the refused row keeps the original key.
            again = f"{row['dedupe_key']}:refused:{notice.message_id}"
            await enqueue_in(conn, [Owed(kind=row["kind"], dedupe_key=again, payload=payload)])
        return True

    async def record_status(
        self,
        message_id: str,
        status: str,
        at: datetime,
        error_code: int | None,
        now: datetime,
    ) -> bool:
        """Keep one delivery status; False when WhatsApp had already told us (a redelivered callback)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO whatsapp_statuses (message_id, status, at, error_code, recorded_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (message_id, status, iso(at), error_code, iso(now)),
            )
            return cur.rowcount == 1

    async def statuses(self, message_id: str) -> list[tuple[str, int | None]]:
        rows = await self._db.fetchall(
            "SELECT status, error_code FROM whatsapp_statuses WHERE message_id = ? ORDER BY at, status",
            (message_id,),
        )
        return [(str(r["status"]), r["error_code"]) for r in rows]

    async def prune(self, before: datetime) -> int:
        """Forget statuses and notice ids older than `before`: they only matter for a few days."""
        async with self._db.transaction() as conn:
            statuses = await conn.execute("DELETE FROM whatsapp_statuses WHERE recorded_at < ?", (iso(before),))
            notices = await conn.execute("DELETE FROM whatsapp_notices WHERE sent_at < ?", (iso(before),))
            return statuses.rowcount + notices.rowcount
