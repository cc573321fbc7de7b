"""Exactly one summary per day: recorded with its outbox item, never twice, missed days sent late once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot.app import summary_config
from bot.settings import Settings
from handlers.common.owed import SUMMARY
from handlers.common.regions import RegionCatalog
from handlers.summary.service import OwedSummary, SummaryService
from storage.db import Database
from storage.summary import SummaryStore
from tests.summary.conftest import Clock
from tests.summary.seed import AS_OF, DAY, Seed, expected


async def _summary_items(db: Database) -> list[OwedSummary]:
    rows = await db.fetchall("SELECT dedupe_key, payload, state FROM outbox WHERE kind = ? ORDER BY id", (SUMMARY,))
    owed = [OwedSummary.from_payload(json.loads(row["payload"])) for row in rows]
    assert [row["dedupe_key"] for row in rows] == [f"summary:{o.figures.day.isoformat()}" for o in owed]
    assert {row["state"] for row in rows} <= {"pending"}
    return owed


async def test_the_job_queues_yesterday_once(
    service: SummaryService, db: Database, seeds: list[Seed], regions: RegionCatalog, settings: Settings, clock: Clock
) -> None:
    woken: list[bool] = []
    service = SummaryService(
        SummaryStore(db), regions, summary_config(settings), clock=clock, wake=lambda: woken.append(True)
    )
    assert await service.record_owed() == [DAY]
    assert woken == [True]
    assert await service.store.runs() == [(DAY, False)]
    [owed] = await _summary_items(db)
    assert owed.late is False and owed.figures.day == DAY
    # The figures travel with the item, so a retry sends exactly what was counted.
    assert owed.figures == await service.figures(DAY, AS_OF)
    assert owed.figures.new_reports == expected(seeds).new
    assert await service.record_owed() == []


async def test_a_restart_after_the_job_ran_queues_nothing(
    service: SummaryService, db: Database, regions: RegionCatalog, settings: Settings, clock: Clock
) -> None:
    assert await service.record_owed() == [DAY]
    clock.now = AS_OF + timedelta(hours=5)
    restarted = SummaryService(SummaryStore(db), regions, summary_config(settings), clock=clock)
    assert await restarted.record_owed() == []
    assert len(await _summary_items(db)) == 1


async def test_missed_days_are_queued_late_once(
    service: SummaryService, db: Database, regions: RegionCatalog, settings: Settings, clock: Clock
) -> None:
    assert await service.record_owed() == [DAY]
    # Down from Thursday morning to Saturday 08:00: Thursday's and Friday's summaries are owed.
    clock.now = AS_OF + timedelta(days=2, hours=1)
    restarted = SummaryService(SummaryStore(db), regions, summary_config(settings), clock=clock)
    assert await restarted.record_owed() == [DAY + timedelta(days=1), DAY + timedelta(days=2)]
    assert await restarted.store.runs() == [
        (DAY, False),
        (DAY + timedelta(days=1), True),
        (DAY + timedelta(days=2), True),
    ]
    assert [o.late for o in await _summary_items(db)] == [False, True, True]
    again = SummaryService(SummaryStore(db), regions, summary_config(settings), clock=clock)
    assert await again.record_owed() == []
    assert len(await _summary_items(db)) == 3


async def test_the_job_and_the_start_up_at_once_queue_one(
    db: Database, regions: RegionCatalog, settings: Settings, clock: Clock
) -> None:
    first = SummaryService(SummaryStore(db), regions, summary_config(settings), clock=clock)
    second = SummaryService(
        SummaryStore(db), regions, summary_config(settings), clock=clock
    )  # another instance: no shared lock
    results = await asyncio.gather(first.record_owed(), second.record_owed(), first.record_owed())
    assert sorted(day for days in results for day in days) == [DAY]
    assert len(await _summary_items(db)) == 1
