"""The daily summary over the real PTB Application, the fake Bot API server and a real SQLite file.

The clock is injected before start-up, so "07:00 tomorrow" and "three days of downtime" take no time.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.app import App, Tuning, summary_config
from bot.settings import Settings
from bot.telegram.summary import JOB_NAME
from handlers.common.regions import default_catalog
from handlers.summary.service import SummaryService
from storage.db import Database
from storage.summary import SummaryStore
from tests.fakes.bot_api import Call, FakeBotApi, RetryAfter
from tests.summary.conftest import OFFICE_CHAT, Clock
from tests.summary.seed import AS_OF, DAY
from tests.telegram.harness import GROUP, make_settings, text_of

OFFICE = OFFICE_CHAT
OTHER_GROUP = -1005555555555
OFFICIAL = 4242


@asynccontextmanager
async def summary_bot(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[App]:
    """Like the e2e harness's running_bot, with the summary's clock set before post_init runs."""
    async with App.running(settings, Tuning(outbox_base_delay=0.2, summary_clock=clock)) as app:
        yield app


def office_calls(api: FakeBotApi, since: int = 0) -> list[Call]:
    return [c for c in api.calls[since:] if c.chat_id == OFFICE and c.method.startswith("send")]


async def wait_for_summary(api: FakeBotApi, chat_id: int = OFFICE, since: int = 0) -> list[Call]:
    """The text, the chart and the spreadsheet, in that order."""
    await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == chat_id, 15, since=since)
    calls = [c for c in api.calls[since:] if c.chat_id == chat_id and c.method.startswith("send")]
    assert [c.method for c in calls] == ["sendMessage", "sendPhoto", "sendDocument"]
    return calls


async def quiet(api: FakeBotApi, since: int, seconds: float = 0.8) -> list[Call]:
    """What the office got after `since`, once the outbox had time to deliver anything it held."""
    await asyncio.sleep(seconds)
    return office_calls(api, since)


def runs(settings: Settings) -> list[tuple[str, int]]:
    with sqlite3.connect(settings.database_path) as db:
        return db.execute("SELECT day, late FROM summary_runs ORDER BY day").fetchall()


def record_day(settings: Settings, day: str) -> None:
    """As if that day's summary had been sent before this test's start-up."""
    with sqlite3.connect(settings.database_path) as db:
        db.execute(
            "INSERT INTO summary_runs (day, late, recorded_at) VALUES (?, 0, '2024-01-01T00:00:00.000000Z')", (day,)
        )


async def test_the_daily_job_is_scheduled_at_the_configured_time_and_zone(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, summary_chat_id=OFFICE, summary_time=time(6, 30), timezone="Asia/Makassar")
    async with summary_bot(settings, Clock(AS_OF)) as channel:
        job_queue = channel.application.job_queue
        assert job_queue is not None
        [job] = job_queue.get_jobs_by_name(JOB_NAME)
        trigger = job.job.trigger
        assert trigger.timezone == ZoneInfo("Asia/Makassar")  # type: ignore[attr-defined]
        assert "day_of_week='sun,mon,tue,wed,thu,fri,sat'" in str(trigger)
        assert "hour='6', minute='30', second='0'" in str(trigger)
        assert job.next_t is not None
        local = job.next_t.astimezone(ZoneInfo("Asia/Makassar"))
        assert (local.hour, local.minute) == (6, 30)
        assert job.callback == channel.summary.on_schedule


async def test_the_job_at_seven_sends_text_chart_and_spreadsheet(api: FakeBotApi, office_settings: Settings) -> None:
    record_day(office_settings, (DAY - timedelta(days=1)).isoformat())
    clock = Clock(AS_OF - timedelta(minutes=10))  # started at 06:50: yesterday's summary is not due yet
    async with summary_bot(office_settings, clock) as channel:
        assert await quiet(api, 0, 0.3) == []
        clock.now = AS_OF  # 07:00 WIB: the scheduler fires
        [job] = channel.application.job_queue.get_jobs_by_name(JOB_NAME)  # type: ignore[union-attr]
        await job.run(channel.application)
        text, photo, document = await wait_for_summary(api)
    assert "Rabu, 10 Januari 2024" in text_of(text) and "(terlambat)" not in text_of(text)
    assert runs(office_settings) == [("2024-01-09", 0), ("2024-01-10", 0)]
    image = Image.open(io.BytesIO(next(iter(photo.files.values()))))
    assert image.format == "PNG" and image.width >= 800
    assert "10 Januari 2024" in str(photo.params.get("caption"))
    [sheet_bytes] = document.files.values()
    workbook = load_workbook(io.BytesIO(sheet_bytes))
    assert workbook.sheetnames == ["Laporan", "Per kabupaten-kota"]
    message = api.message(OFFICE, document_message_id(api))
    assert message["document"]["file_name"] == "ringkasan-2024-01-10.xlsx"


def document_message_id(api: FakeBotApi) -> int:
    return max(m["message_id"] for m in api.messages(OFFICE) if "document" in m)


async def test_a_restart_after_the_job_ran_sends_nothing(api: FakeBotApi, office_settings: Settings) -> None:
    async with summary_bot(office_settings, Clock(AS_OF + timedelta(seconds=5))):
        await wait_for_summary(api)
    mark = len(api.calls)
    async with summary_bot(office_settings, Clock(AS_OF + timedelta(hours=3))):
        assert await quiet(api, mark) == []
    assert runs(office_settings) == [("2024-01-10", 0)]


async def test_a_restart_after_a_missed_day_sends_the_late_one_once(api: FakeBotApi, office_settings: Settings) -> None:
    async with summary_bot(office_settings, Clock(AS_OF)):
        await wait_for_summary(api)
    # Down all Thursday, back on Friday at 09:00: Thursday's summary was due at 07:00 and is owed.
    later = Clock(AS_OF + timedelta(days=1, hours=2))
    mark = len(api.calls)
    async with summary_bot(office_settings, later):
        text, _, _ = await wait_for_summary(api, since=mark)
        assert await quiet(api, mark) == office_calls(api, mark)  # nothing more arrives
    assert "(terlambat)" in text_of(text) and "Kamis, 11 Januari 2024" in text_of(text)
    assert runs(office_settings) == [("2024-01-10", 0), ("2024-01-11", 1)]
    mark = len(api.calls)
    async with summary_bot(office_settings, later):
        assert await quiet(api, mark) == []


async def test_a_crash_after_recording_loses_nothing(api: FakeBotApi, office_settings: Settings) -> None:
    # Recorded and queued, then the process died before the outbox sent anything.
    db = await Database.open(office_settings.database_path)
    try:
        service = SummaryService(
            SummaryStore(db), default_catalog(), summary_config(office_settings), clock=Clock(AS_OF)
        )
        assert await service.record_owed() == [DAY]
    finally:
        await db.close()
    async with summary_bot(office_settings, Clock(AS_OF + timedelta(minutes=30))):
        await wait_for_summary(api)
        assert len(await quiet(api, 0)) == 3


async def test_flood_control_resumes_without_repeating(api: FakeBotApi, office_settings: Settings) -> None:
    api.fail("sendPhoto", times=1, mode=RetryAfter(1))
    async with summary_bot(office_settings, Clock(AS_OF)):
        await wait_for_summary(api)
        assert len(await quiet(api, 0, 0.3)) == 3
    assert [c.method for c in api.failed_calls] == ["sendPhoto"]


# ------------------------------------------------------------------------------------ /ringkasan


def command(api: FakeBotApi, chat_id: int, args: str = "") -> int:
    mark = len(api.calls)
    if chat_id > 0:
        api.push_update(api.private_command(chat_id, "ringkasan", args))
    else:
        api.push_update(api.group_command(chat_id, OFFICIAL, "ringkasan", args))
    return mark


async def replies(api: FakeBotApi, chat_id: int, since: int, settle: float = 0.5) -> list[Call]:
    await api.wait_for(lambda c: c.method.startswith("send") and c.chat_id == chat_id, 10, since=since)
    await asyncio.sleep(settle)
    return [c for c in api.calls[since:] if c.chat_id == chat_id and c.method.startswith("send")]


async def test_ringkasan_in_the_office_chat_with_a_date(api: FakeBotApi, office_settings: Settings) -> None:
    record_day(office_settings, DAY.isoformat())  # keep the daily sending out of this test
    async with summary_bot(office_settings, Clock(AS_OF + timedelta(hours=3))):
        # The office chat's command menu offers exactly this command (and the Mini App's), in both languages.
        assert [c["command"] for c in api.commands({"type": "chat", "chat_id": OFFICE})] == ["ringkasan", "aplikasi"]
        assert api.commands({"type": "chat", "chat_id": OFFICE}, "en")[0]["description"].startswith("Daily")
        mark = command(api, OFFICE, "2024-01-09")
        text, _, _ = await wait_for_summary(api, since=mark)
    assert "Selasa, 9 Januari 2024" in text_of(text) and "(terlambat)" not in text_of(text)
    assert runs(office_settings) == [("2024-01-10", 0)]  # on demand is not a day's recorded summary


async def test_ringkasan_in_the_supervisors_group_defaults_to_yesterday(
    api: FakeBotApi, office_settings: Settings
) -> None:
    record_day(office_settings, DAY.isoformat())
    async with summary_bot(office_settings, Clock(AS_OF)):
        mark = command(api, GROUP)
        text, _, _ = await wait_for_summary(api, GROUP, since=mark)
    assert "Rabu, 10 Januari 2024" in text_of(text)


@pytest.mark.parametrize(
    ("chat_id", "args", "expected"),
    [
        (OTHER_GROUP, "", "hanya tersedia di grup pengawas"),
        (777, "", "hanya tersedia di grup pengawas"),  # a citizen's private chat: refused, not read as a draft answer
        (GROUP, "kapan-kapan", "/ringkasan tahun-bulan-tanggal untuk tanggal lain"),
        (GROUP, "2024-02-01", "hari yang sudah lewat"),
    ],
)
async def test_ringkasan_refused_politely(
    api: FakeBotApi, office_settings: Settings, chat_id: int, args: str, expected: str
) -> None:
    record_day(office_settings, DAY.isoformat())
    async with summary_bot(office_settings, Clock(AS_OF)):
        mark = command(api, chat_id, args)
        answer = await replies(api, chat_id, mark)
    assert [c.method for c in answer] == ["sendMessage"]
    assert expected in text_of(answer[0])


async def test_without_an_office_chat_the_job_is_off(
    api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(api, tmp_path)
    caplog.set_level(logging.INFO, logger="bot.telegram.summary")
    async with summary_bot(settings, Clock(AS_OF)) as channel:
        assert channel.application.job_queue.get_jobs_by_name(JOB_NAME) == ()  # type: ignore[union-attr]
        mark = command(api, GROUP, "2024-01-10")
        answer = await replies(api, GROUP, mark)  # a day without reports: the short text only
    assert [c.method for c in answer] == ["sendMessage"] and "Tidak ada laporan baru" in text_of(answer[0])
    assert sum("daily summary is off" in r.getMessage() for r in caplog.records) == 1
    assert runs(settings) == []
