"""The one scheduled housekeeping: what privacy and reliability need deleted, daily, in one job.

- contacts past CONTACT_RETENTION_DAYS (privacy);
- the inbox's rows past any redelivery (Telegram redelivers for 24 hours);
- processed update ids (kept a week) and drafts abandoned for a month;
- WhatsApp delivery statuses and notice ids past a week, when WhatsApp runs.

Runs daily at PURGE_AT in the configured time zone (PTB's `run_daily` takes the zone from the time's
tzinfo; without one it would run at 03:00 UTC), and once shortly after start, so a bot that happens to
be down at that hour every day still cleans up. Registered by the composition root (bot/app.py).
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
from storage.store import Store
from storage.whatsapp import WhatsAppRecords

log = logging.getLogger(__name__)

PURGE_AT: Final = time(3, 0)  # local night: after the day's triage, before the morning summary
FIRST_RUN_AFTER: Final = 90.0  # seconds after start: not in the way of a restart's replay
INBOX_KEEP: Final = timedelta(days=2)  # Telegram redelivers for 24 hours; older rows are leftovers
UPDATE_IDS_KEEP: Final = timedelta(days=7)
DRAFTS_KEEP: Final = timedelta(days=30)
WHATSAPP_STATUS_KEEP: Final = timedelta(days=7)
# An evidence file younger than this may belong to a turn still being handled (stored before its draft).
EVIDENCE_GRACE: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Purged:
    contacts: int
    inbox_rows: int
    update_ids: int = 0
    drafts: int = 0
    whatsapp_records: int = 0
    evidence_files: int = 0


class Housekeeping:
    def __init__(
        self,
        store: Store,
        retention_days: int,
        tz: ZoneInfo,
        *,
        whatsapp: WhatsAppRecords | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._retention_days = retention_days
        self._tz = tz
        self._whatsapp = whatsapp
        self._clock = clock

    def schedule(self, job_queue: JobQueue[Any]) -> None:
        job_queue.run_daily(self._job, time=PURGE_AT.replace(tzinfo=self._tz), name="housekeeping")
        job_queue.run_once(self._job, when=FIRST_RUN_AFTER, name="housekeeping-at-start")

    async def run(self) -> Purged:
        """Delete what is past its keeping; counts for the log (never whose rows went)."""
        now = self._clock()
        contacts = await self._store.retention.purge_contacts(now, self._retention_days)
        inbox_rows = await self._store.inbox.prune(now - INBOX_KEEP)
        update_ids, drafts = await self._store.drafts.prune(now - UPDATE_IDS_KEEP, now - DRAFTS_KEEP)
        whatsapp = await self._whatsapp.prune(now - WHATSAPP_STATUS_KEEP) if self._whatsapp is not None else 0
        # After the drafts: their photos are now referred to by nothing.
        files = await self._store.sweep_evidence(now - EVIDENCE_GRACE)
        log.info(
            "purged %d contacts past %d days of retention, %d old inbox rows, %d update ids, "
            "%d abandoned drafts, %d WhatsApp records, %d unreferenced evidence files",
            contacts,
            self._retention_days,
            inbox_rows,
            update_ids,
            drafts,
            whatsapp,
            files,
        )
        return Purged(contacts, inbox_rows, update_ids, drafts, whatsapp, files)

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.run()
        except Exception:
            log.exception("housekeeping failed; it runs again tomorrow")
