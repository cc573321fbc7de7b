"""The daily summary's service: what is owed when, recorded exactly once, and rendered for any channel.

Exactly once: `record_owed` writes the day's row in `summary_runs` and the summary's outbox item in one
transaction, so a crash after recording loses nothing (the outbox retries) and a restart, a second
firing or the start-up catch-up never queue a day twice. The outbox item carries the figures, so a
retry sends the same numbers the first attempt would have. The Telegram side is bot/telegram/summary.py.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.common.owed import summary as owed_summary
from handlers.common.regions import RegionCatalog
from handlers.common.routing import Routing
from handlers.common.when import DateInFuture, DateTooOld
from handlers.summary.chart import chart_png
from handlers.summary.figures import (
    GroupFigure,
    SummaryFigures,
    build_figures,
    file_stem,
    plain_text,
    snapshot_at,
    summary_query,
    summary_text,
)
from handlers.summary.schedule import MAX_AGE_DAYS, days_owed, is_late, requested_day
from handlers.summary.sheet import sheet_xlsx
from locales import t
from storage.db import utcnow
from storage.store import Store
from storage.summary import SummaryStore
from storage.triage import GroupScope

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SummaryConfig:
    """What the summary needs of the settings, built by the composition root (bot/app.py)."""

    locale: str
    tz: ZoneInfo
    summary_time: time  # the daily summary's local time (SUMMARY_TIME)
    referral_overdue_days: int = 30  # SUMMARY_REFERRAL_OVERDUE_DAYS


@dataclass(frozen=True, slots=True)
class OwedSummary:
    """What an outbox item of kind `summary` carries."""

    figures: SummaryFigures
    late: bool

    def payload(self) -> dict[str, object]:
        return {"day": self.figures.day.isoformat(), "late": self.late, "figures": self.figures.model_dump(mode="json")}

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> OwedSummary:
        return cls(SummaryFigures.model_validate(payload["figures"]), bool(payload["late"]))


@dataclass(frozen=True, slots=True)
class RenderedSummary:
    """The three parts sent in order; a day without reports has no chart, and no spreadsheet unless there are
    referrals to list."""

    day: date
    text: str
    chart: bytes | None
    sheet: bytes | None
    stem: str


class SummaryService:
    """Composes summaries and records the daily ones; `clock` is injected so tests never wait."""

    def __init__(
        self,
        store: SummaryStore,
        regions: RegionCatalog,
        config: SummaryConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
        wake: Callable[[], None] = lambda: None,
        routing: Routing | None = None,
    ) -> None:
        self.store = store
        self.routing = routing
        self.regions = regions
        self.config = config
        self.locale = config.locale
        self.tz = config.tz
        self.clock = clock
        self._wake = wake
        self._recording = asyncio.Lock()

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    async def figures(
        self, day: date, now: datetime, *, scopes: tuple[GroupScope, ...] | None = None
    ) -> SummaryFigures:
        """The figures of `day` as they stood at its end (or at `now`, for today so far); with `scopes`, of
        those groups' shares only (a regional group's dashboard), counted by the same queries."""
        as_of = snapshot_at(day, self.tz, now)
        overdue = self.config.referral_overdue_days
        data = await self.store.collect(summary_query(day, self.tz, as_of, overdue, scopes))
        figures = build_figures(day, as_of, data, self.regions, self.tz, overdue)
        if self.routing is None or not self.routing.regional:
            return figures
        by_group = await self._by_group(as_of, None if scopes is None else {s.chat_id for s in scopes})
        return figures.model_copy(update={"by_group": by_group})

    async def _by_group(self, as_of: datetime, chats: set[int] | None = None) -> tuple[GroupFigure, ...]:
        """Each group's backlog at the snapshot (of `chats` only, if given): a report not yet forwarded counts
        where it would go."""
        routing = self.routing
        assert routing is not None
        counts: dict[int, tuple[int, datetime | None]] = dict.fromkeys(routing.chats, (0, None))
        for row in await self.store.backlog_by_group(as_of):
            chat = row.group_chat_id if row.group_chat_id is not None else routing.group_for(row.region_id)
            count, oldest = counts.get(chat, (0, None))
            counts[chat] = (count + row.count, row.oldest if oldest is None else min(oldest, row.oldest))
        provincial = t(self.locale, "triage.group_provincial")
        order = [*(g.chat_id for g in routing.groups), routing.provincial]
        return tuple(
            GroupFigure(name=routing.name(chat, provincial), backlog=counts[chat][0], oldest=counts[chat][1])
            for chat in order
            if chats is None or chat in chats
        )

    def text(self, owed: OwedSummary) -> str:
        return summary_text(owed.figures, self.regions, self.locale, self.tz, late=owed.late)

    async def chart(self, figures: SummaryFigures) -> bytes | None:
        if not figures.new_reports:
            return None  # an empty chart tells a busy reader nothing the text does not
        # Drawing takes a few hundred milliseconds: off the event loop, so updates keep flowing.
        return await asyncio.to_thread(chart_png, figures, self.regions, self.locale)

    async def sheet(self, figures: SummaryFigures) -> bytes | None:
        # A quiet day still has its sheet when hand-offs are to be listed: the text points to it.
        referring = figures.referrals is not None and figures.referrals.anything
        if not figures.new_reports and not referring:
            return None
        overdue = figures.referrals.overdue_days if figures.referrals else self.config.referral_overdue_days
        query = summary_query(figures.day, self.tz, figures.as_of, overdue)
        rows = await self.store.sheet_rows(query.day, figures.as_of)
        referrals = await self.store.referral_rows(query.referrals) if referring else []
        return await asyncio.to_thread(sheet_xlsx, figures, rows, self.regions, self.locale, self.tz, referrals)

    def stem(self, day: date) -> str:
        return file_stem(day, self.locale)

    async def compose(self, day: date, *, late: bool = False) -> RenderedSummary:
        """A whole summary as of the day's end, for on-demand requests and the command line; nothing is recorded."""
        owed = OwedSummary(await self.figures(day, self.clock()), late)
        chart, sheet = await self.chart(owed.figures), await self.sheet(owed.figures)
        return RenderedSummary(day, self.text(owed), chart, sheet, self.stem(day))

    async def record_owed(self) -> list[date]:
        """Queue every daily summary that is due and not yet recorded; returns the days queued.

        Called by the daily job and at start-up: both may run at once, and the lock plus the table's
        primary key make the second one a no-op.
        """
        at, tz = self.config.summary_time, self.tz
        queued: list[date] = []
        async with self._recording:
            now = self.clock()
            last = await self.store.last_recorded()
            for day in days_owed(now, last, at, tz):
                if await self.store.is_recorded(day):
                    continue
                # A new installation owes its first summary, but nothing stopped: it is not "late".
                late = last is not None and is_late(day, now, at, tz)
                owed = OwedSummary(await self.figures(day, now), late)
                if await self.store.record(day, late=owed.late, at=now, owed=owed_summary(day, owed.payload())):
                    log.info("daily summary of %s queued%s", day.isoformat(), " (late)" if owed.late else "")
                    queued.append(day)
        if queued:
            self._wake()
        return queued


def day_refusal(text: str, today: date, locale: str) -> str | None:
    """The polite line refusing a day the command line was given, or None if it may be summarised."""
    try:
        requested_day(text, today)
    except DateInFuture:
        return t(locale, "summary.future")
    except DateTooOld:
        return t(locale, "summary.too_old", days=MAX_AGE_DAYS)
    return None


async def write_summary(
    database_path: Path, evidence_dir: Path, regions: RegionCatalog, config: SummaryConfig, day: date, out_dir: Path
) -> int:
    """`python -m bot summary --date …`: print the text, write the chart and the spreadsheet; no Telegram."""
    refusal = day_refusal(day.isoformat(), utcnow().astimezone(config.tz).date(), config.locale)
    if refusal is not None:
        sys.stderr.write(refusal + "\n")
        return 2
    if not database_path.exists():
        sys.stderr.write(f"No database at {database_path} (DATABASE_PATH).\n")
        return 2
    store = await Store.open(database_path, evidence_dir)
    try:
        rendered = await SummaryService(store.summary, regions, config).compose(day)
    finally:
        await store.close()
    sys.stdout.write(plain_text(rendered.text) + "\n")
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for data, suffix in ((rendered.chart, ".png"), (rendered.sheet, ".xlsx")):
        if data is not None:
            path = out_dir / f"{rendered.stem}{suffix}"
            path.write_bytes(data)
            written.append(str(path))
    sys.stderr.write(("Written: " + ", ".join(written) if written else "No reports that day: no files written.") + "\n")
    return 0
