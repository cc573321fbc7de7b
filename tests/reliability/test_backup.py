"""`python -m bot backup PATH` while the bot writes, and the README's way of restoring it."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import Citizen, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report

ROOT = Path(__file__).resolve().parents[2]


async def run_backup(database: Path, target: Path) -> tuple[int, str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DATABASE_PATH": str(database)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "backup",
        str(target),
        cwd=target.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return await proc.wait(), out.decode()


async def test_online_backup_is_consistent_and_restores(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    backups = tmp_path / "backups"
    backups.mkdir()
    async with running_bot(settings):
        first = Citizen(api, 8101)
        await fill_until_evidence(first)
        await first.send_photos([make_jpeg(640, 480, seed=91)])
        code = await finish_report(first)
        # The copy is made while another citizen is writing their draft, turn after turn.
        busy = Citizen(api, 8102)
        writing = asyncio.create_task(fill_until_evidence(busy))
        await asyncio.sleep(0.5)
        status, output = await run_backup(settings.database_path, backups / "copy.sqlite3")
        await writing

    assert status == 0, output
    copy = backups / "copy.sqlite3"
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT code FROM reports").fetchall() == [(code,)]
        assert db.execute("SELECT COUNT(*) FROM evidence").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (1,)
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 5

    # README: stop the bot, copy the backup over DATABASE_PATH, delete -wal/-shm beside it, start the bot.
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(copy, restored)
    for suffix in ("-wal", "-shm"):
        Path(f"{restored}{suffix}").unlink(missing_ok=True)
    async with running_bot(make_settings(api, tmp_path, database_path=restored)):
        listing = text_of((await first.say("/status"))[0])
    assert code in listing
