"""Scheduled housekeeping that privacy and reliability need: the contact purge and the inbox's old rows.

Runs daily at PURGE_AT in the configured time zone (PTB's `run_daily` takes the zone from the time's
tzinfo; without one it would run at 03:00 UTC), and once shortly after start, so a bot that happens to
be down at that hour every day still purges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from telegram.ext import ContextTypes, JobQueue

from storage.db import utcnow
from storage.retention import purge_contacts
from storage.store import Store

log = logging.getLogger(__name__)

PURGE_AT: Final = time(3, 0)  # local night: after the day's triage, before the morning summary
FIRST_RUN_AFTER: Final = 90.0  # seconds after start: not in the way of a restart's replay
INBOX_KEEP: Final = timedelta(days=2)  # Telegram redelivers for 24 hours; older rows are leftovers


@dataclass(frozen=True, slots=True)
class Purged:
    contacts: int
    inbox_rows: int


class Maintenance:
    def __init__(
        self, store: Store, retention_days: int, tz: ZoneInfo, *, clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._retention_days = retention_days
        self._tz = tz
        self._clock = clock

    def schedule(self, job_queue: JobQueue[Any]) -> None:
        job_queue.run_daily(self._job, time=PURGE_AT.replace(tzinfo=self._tz), name="purge-contacts")
        job_queue.run_once(self._job, when=FIRST_RUN_AFTER, name="purge-contacts-at-start")

    async def run(self) -> Purged:
        """Delete contacts past retention and inbox rows past any redelivery; counts for the log."""
        now = self._clock()
        contacts = await purge_contacts(self._store.db, now, self._retention_days)
        inbox_rows = await self._store.inbox.prune(now - INBOX_KEEP)
        # Counts only: the log never names whose contact went.
        log.info("purged %d contacts past %d days of retention, %d old inbox rows",
                 contacts, self._retention_days, inbox_rows)
        return Purged(contacts, inbox_rows)

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.run()
