"""What operators watch: the outbox's backlog by destination, and the hour's reports and triage moves.

Read-only figures for /healthz, /metrics and the stale-card warning (bot/web/ops.py, bot/watch.py), and
the stale-card watch's one piece of memory, its open episodes (StaleEpisodes). An
item's destination is the group its report's card is in, or, for a card not posted yet, the report's
region (the composition root maps a region to its group); a reporter's notice is counted as one lane of
"reporters", never by chat: a private chat id is a reporter's identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, from_iso, iso
from storage.models import Owed
from storage.outbox import enqueue_in

# Triage logs every supervisor move with actor 'supervisor:<id>' (storage/summary.py uses the same term).
_SUPERVISOR_ACTOR = "e.actor GLOB 'supervisor:*'"


@dataclass(frozen=True, slots=True)
class Backlog:
    """Pending outbox items of one kind toward one destination."""

    kind: str
    card_chat_id: int | None  # the item's chat, or its report's card's group (None: not posted yet)
    region_id: str | None  # the report's region (None: not a report's item)
    pending: int
    oldest_created: datetime
    oldest_id: int


@dataclass(frozen=True, slots=True)
class RecentSend:
    """An outbox item delivered lately: its kind, its card's group, when, and the report's photos."""

    kind: str
    card_chat_id: int | None
    sent_at: datetime
    photos: int


@dataclass(frozen=True, slots=True)
class HourFigures:
    """Reports received and supervisor moves made in the last hour, by the report's channel."""

    reports: dict[str, int]
    moves: dict[str, int]


class OpsFigures:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ping(self) -> bool:
        """Whether the database answers (a read of one row)."""
        try:
            row = await self._db.fetchone("SELECT 1")
        except Exception:
            return False
        return row is not None

    async def backlog(self) -> list[Backlog]:
        rows = await self._db.fetchall(
            "SELECT o.kind, COALESCE(json_extract(o.payload, '$.chat_id'), r.card_chat_id) AS card_chat_id,"
            " r.region_id, COUNT(*) AS pending, MIN(o.created_at) AS oldest, MIN(o.id) AS oldest_id"
            " FROM outbox o LEFT JOIN reports r ON r.id = json_extract(o.payload, '$.report_id')"
            " WHERE o.state = 'pending' GROUP BY 1, 2, 3"
        )
        return [
            Backlog(
                kind=row["kind"],
                card_chat_id=row["card_chat_id"],
                region_id=row["region_id"],
                pending=int(row["pending"]),
                oldest_created=from_iso(row["oldest"]),
                oldest_id=int(row["oldest_id"]),
            )
            for row in rows
        ]

    async def last_hour(self, now: datetime) -> HourFigures:
        since = iso(now - timedelta(hours=1))
        reports = await self._db.fetchall(
            "SELECT channel, COUNT(*) FROM reports WHERE created_at >= ? GROUP BY channel", (since,)
        )
        moves = await self._db.fetchall(
            "SELECT r.channel, COUNT(*) FROM events e JOIN reports r ON r.id = e.report_id"
            f" WHERE e.at >= ? AND {_SUPERVISOR_ACTOR} GROUP BY r.channel",
            (since,),
        )
        return HourFigures(
            reports={str(row[0]): int(row[1]) for row in reports},
            moves={str(row[0]): int(row[1]) for row in moves},
        )

    async def recent_sends(self, since: datetime) -> list[RecentSend]:
        """What the outbox delivered since `since`: a restarted pacer's memory of the last minute."""
        rows = await self._db.fetchall(
            "SELECT o.kind, o.sent_at, COALESCE(json_extract(o.payload, '$.chat_id'), r.card_chat_id) AS card_chat_id,"
            " (SELECT COUNT(*) FROM evidence e WHERE e.report_id = r.id AND e.kind = 'photo') AS photos"
            " FROM outbox o LEFT JOIN reports r ON r.id = json_extract(o.payload, '$.report_id')"
            " WHERE o.state = 'sent' AND o.sent_at >= ?",
            (iso(since),),
        )
        return [
            RecentSend(row["kind"], row["card_chat_id"], from_iso(row["sent_at"]), int(row["photos"] or 0))
            for row in rows
        ]


class StaleEpisodes:
    """The groups the stale-card watch found late and has warned about, since when: an episode outlives
    a restart, so a group still late after one is not announced again."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self) -> set[str]:
        """The groups whose episode is open (its start is kept for whoever reads the table)."""
        return {row["chat"] for row in await self._db.fetchall("SELECT chat FROM stale_episodes")}

    async def begin(self, chat: str, started_at: datetime, warning: Owed) -> None:
        """The episode and its warning in one transaction: a crash leaves both or neither (neither: the
        next look begins it again)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO stale_episodes (chat, started_at) VALUES (?, ?)", (chat, iso(started_at))
            )
            await enqueue_in(conn, [warning])

    async def end(self, chat: str) -> None:
        await self._db.execute("DELETE FROM stale_episodes WHERE chat = ?", (chat,))
