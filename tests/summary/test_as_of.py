"""A past day's summary is that day as it ended (issue 12, item 9): states, backlog, deadlines and reports as
of its last instant, however much later it is asked for; future days refused everywhere; no "late" at first.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.app import summary_config
from bot.settings import Settings
from handlers.common import owed
from handlers.common.regions import RegionCatalog, default_catalog
from handlers.summary.service import OwedSummary, SummaryService
from locales import t
from storage.db import Database
from storage.summary import SummaryStore
from tests.fakes.bot_api import FakeBotApi
from tests.summary.conftest import Clock
from tests.summary.seed import AS_OF, DAY, STATES, TZ, Seed, expected, make_seeds, window
from tests.summary.test_cli import run_cli
from tests.summary.test_figures import duration_id
from tests.summary.test_telegram_summary import (
    command,
    record_day,
    replies,
    summary_bot,
    wait_for_summary,
)
from tests.telegram.harness import GROUP, text_of

# When the issue was found: the summary of 10 January 2024 asked for almost three years later.
MUCH_LATER = datetime.combine(DAY.replace(year=2026, month=12, day=2), time(10, 0), TZ).astimezone(UTC)


def test_the_seed_moves_reports_after_the_day() -> None:
    """Without moves after the day's end this file would prove nothing: then and now must differ."""
    seeds = make_seeds(default_catalog())
    end = window(DAY)[1]
    changed = [s for s in seeds if s.created_at < end and s.state_at(end) != s.state]
    assert len(changed) > 20
    assert expected(seeds).states_now != {st: sum(s.state == st for s in seeds if s.created_at < end) for st in STATES}


async def test_a_past_day_is_counted_as_of_its_end(
    db: Database, regions: RegionCatalog, settings: Settings, seeds: list[Seed]
) -> None:
    service = SummaryService(SummaryStore(db), regions, summary_config(settings), clock=Clock(MUCH_LATER))
    for day in (DAY, DAY - timedelta(days=3)):
        want = expected(seeds, day)
        got = await service.figures(day, MUCH_LATER)
        assert got.as_of == window(day)[1]
        assert got.new_reports == want.new
        assert {str(s): n for s, n in got.states_now.items()} == want.states_now
        assert (got.backlog, got.backlog_oldest) == (want.backlog, want.backlog_oldest)
        assert {r.region_id: {str(s): n for s, n in r.by_state.items()} for r in got.by_region} == want.by_region
        assert got.deadline_count == len(want.deadline)
        assert [d.code for d in got.deadlines] == [s.code for s in want.deadline[:10]]


async def test_today_so_far_is_counted_as_of_now(
    db: Database, regions: RegionCatalog, settings: Settings, seeds: list[Seed]
) -> None:
    noon = datetime.combine(DAY, time(12, 0), TZ).astimezone(UTC)
    got = await SummaryService(SummaryStore(db), regions, summary_config(settings), clock=Clock(noon)).figures(
        DAY, noon
    )
    want = expected(seeds, DAY, noon)
    assert got.as_of == noon and got.new_reports == want.new < expected(seeds).new
    assert {str(s): n for s, n in got.states_now.items()} == want.states_now


async def test_ringkasan_of_a_day_long_past(api: FakeBotApi, office_settings: Settings) -> None:
    """Through the running bot: the text of 10 January 2024 asked for on 2 December 2026."""
    seeds = make_seeds(default_catalog())
    want = expected(seeds)
    record_day(office_settings, "2026-12-01")  # keep the daily sending out of this test
    async with summary_bot(office_settings, Clock(MUCH_LATER)):
        mark = command(api, GROUP, DAY.isoformat())
        message, _, _ = await wait_for_summary(api, GROUP, since=mark)
    text = re.sub(r"<[^>]+>", "", text_of(message))
    assert "Rabu, 10 Januari 2024" in text and "2026" not in text
    assert f"Laporan baru: {want.new}\n" in text
    assert "(pada akhir hari itu, pukul 24.00 WIB)" in text
    for state in STATES:
        assert f"• {t('id', f'state.{state}')}: {want.states_now[state]}\n" in text
    assert want.backlog_oldest is not None
    age = duration_id((window(DAY)[1] - want.backlog_oldest).total_seconds())
    assert f"Belum diambil pengawas: {want.backlog} laporan; yang terlama sudah menunggu {age}\n" in text
    assert f"habis hari ini s.d. 2 hari lagi: {len(want.deadline)} laporan" in text


async def test_ringkasan_and_the_command_line_refuse_tomorrow_alike(
    api: FakeBotApi, office_settings: Settings, tmp_path: Path
) -> None:
    polite = t("id", "summary.future")
    record_day(office_settings, DAY.isoformat())
    async with summary_bot(office_settings, Clock(AS_OF)):
        mark = command(api, GROUP, "2099-01-01")
        [answer] = await replies(api, GROUP, mark)
    assert text_of(answer) == polite
    tomorrow = (datetime.now(TZ).date() + timedelta(days=1)).isoformat()
    done = run_cli(tmp_path, "--date", tomorrow, "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.strip() == polite
    assert not (tmp_path / "out").exists()


async def test_the_first_summary_of_a_new_installation_is_not_late(
    db: Database, regions: RegionCatalog, settings: Settings
) -> None:
    # Installed at 11:00, hours after the 07:00 sending time: nothing stopped, nothing is late.
    service = SummaryService(
        SummaryStore(db), regions, summary_config(settings), clock=Clock(AS_OF + timedelta(hours=4))
    )
    assert await service.record_owed() == [DAY]
    assert await service.store.runs() == [(DAY, False)]
    row = await db.fetchone("SELECT payload FROM outbox WHERE kind = ?", (owed.SUMMARY,))
    assert row is not None
    owed_summary = OwedSummary.from_payload(json.loads(row["payload"]))
    assert owed_summary.late is False
    text = service.text(owed_summary)
    assert "(terlambat)" not in text and t("id", "summary.late_note") not in text
