"""Evidence originals carry the reporter's device identity (issue 11, item 5): supervisors get the
metadata-free copies, custodians the originals in private, the command line writes them, and every
release is an event in the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence
from tests.triage.helpers import Supervisors
from tests.triage.test_e2e_triage import file_report

ALICE, CARLA = 9101, 9103


def releases(db: Path) -> list[tuple[str, str | None, str | None]]:
    with sqlite3.connect(db) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT actor, actor_name, detail FROM events WHERE action = 'evidence_released' ORDER BY id"
            )
        ]


async def test_supervisors_get_copies_and_only_a_custodian_the_originals(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, evidence_custodian_ids=f"{CARLA}")
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    group.add(CARLA, "Carla Penjaga")
    photo = make_jpeg(900, 700, seed=11, gps=(-7.7, 110.6))
    digest = hashlib.sha256(photo).hexdigest()
    async with running_bot(settings):
        code, _ = await file_report(api, Citizen(api, 5301), photo)
        mark = len(api.calls)
        group.command(ALICE, "bukti", code)
        copy = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark)
        assert digest in str(copy.params["caption"]) and list(copy.files.values()) != [photo]
        assert releases(settings.database_path) == []  # a copy is no release

        mark = len(api.calls)
        group.command(CARLA, "bukti", code)
        original = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == CARLA, since=mark)
        assert list(original.files.values()) == [photo]  # byte for byte, in Carla's private chat
        said = await api.wait_for(lambda c: c.chat_id == GROUP and "penjaga bukti" in text_of(c), since=mark)
        assert "1 berkas asli" in text_of(said)
    group_files = [f for c in api.calls_to("sendDocument") if c.chat_id == GROUP for f in c.files.values()]
    assert photo not in group_files
    [(actor, name, detail)] = releases(settings.database_path)
    assert str(CARLA) in actor and (name, detail) == ("Carla Penjaga", "originals:1")


async def test_the_command_line_writes_the_originals_and_logs_the_release(
    api: FakeBotApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(api, tmp_path)
    photo = make_jpeg(900, 700, seed=12, gps=(-7.7, 110.6))
    async with running_bot(settings):
        code, _ = await file_report(api, Citizen(api, 5302), photo)
    monkeypatch.setenv("DATABASE_PATH", str(settings.database_path))
    monkeypatch.setenv("EVIDENCE_DIR", str(settings.evidence_dir))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert await asyncio.to_thread(main, ["bukti", code, "--out", str(out)]) == 0
    assert [p.read_bytes() for p in sorted(out.iterdir())] == [photo]
    assert [(actor, detail) for actor, _, detail in releases(settings.database_path)] == [("cli", "originals:1")]
    assert await asyncio.to_thread(main, ["bukti", "LN-NONE00", "--out", str(out)]) == 1


async def test_the_reporter_is_told_originals_are_sealed(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 5303)
        await fill_until_evidence(citizen)
        prompt = [text_of(c) for c in api.calls_to("sendMessage") if c.chat_id == 5303][-1]
    assert "6/8" in prompt and "tersegel untuk Bawaslu" in prompt
