"""/arsip KODE: the evidence archive (originals and manifest) to an evidence custodian, in private only.

The real Application against the fake Bot API: the ZIP a custodian receives hashes to the SHA-256 the
group's PDF packet names, its manifest matches the stored originals byte for byte, the release is in the
audit log before the file leaves, and nobody else (the group, a supervisor who is no custodian) gets it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest

from handlers.handoff.archive import MANIFEST_NAME
from tests.fakes.bot_api import FakeBotApi
from tests.handoff.test_e2e_handoff import pdf_text
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot, text_of
from tests.triage.helpers import Supervisors, add_report
from tests.triage.test_e2e_triage import file_report

ALICE, CARLA = 9101, 9103


def releases(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return [tuple(r) for r in conn.execute("SELECT actor, detail FROM events WHERE action = 'evidence_released'")]


def group_with_custodian(api: FakeBotApi) -> Supervisors:
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    group.add(CARLA, "Carla Penjaga")
    return group


async def test_a_custodian_gets_the_archive_the_packet_names_and_only_in_private(
    api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(api, tmp_path, evidence_custodian_ids=f"{CARLA}")
    group = group_with_custodian(api)
    photo = make_jpeg(900, 700, seed=21, gps=(-7.7, 110.6), exif_datetime="2023:11:18 09:30:00")
    async with running_bot(settings):
        code, _ = await file_report(api, Citizen(api, 5401), photo)
        mark = len(api.calls)
        group.command(ALICE, "paket", code)
        packet = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark)
        named = re.search(r"SHA-256 arsip: ([0-9a-f]{64})", pdf_text(next(iter(packet.files.values()))))
        assert named is not None
        assert "/arsip" in str(packet.params["caption"])

        # Alice is a supervisor, not a custodian: told where the archive goes, nothing leaves.
        mark = len(api.calls)
        group.command(ALICE, "arsip", code)
        refused = await api.wait_for(lambda c: c.chat_id == GROUP and "penjaga bukti" in text_of(c), since=mark)
        assert f"/paket {code}" in text_of(refused)
        assert releases(settings.database_path) == []

        mark = len(api.calls)
        group.command(CARLA, "arsip", code.lower())
        sent = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == CARLA, since=mark)
        said = await api.wait_for(lambda c: c.chat_id == GROUP and "Pelepasan ini tercatat" in text_of(c), since=mark)
    [data] = list(sent.files.values())
    assert hashlib.sha256(data).hexdigest() == named.group(1)  # the archive the PDF names, byte for byte
    assert named.group(1) in str(sent.params["caption"]) and named.group(1) in text_of(said)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        [row] = list(csv.DictReader(io.StringIO(zf.read(MANIFEST_NAME).decode())))
        assert zf.read(row["file_name"]) == photo  # the original as the reporter sent it
        assert row["sha256"] == hashlib.sha256(photo).hexdigest() and int(row["size_bytes"]) == len(photo)
        assert row["captured_at"].startswith("2023-11-18")
    [(actor, detail)] = releases(settings.database_path)
    assert actor == f"supervisor:{CARLA}" and detail == "originals:1"
    group_files = [f for c in api.calls_to("sendDocument") if c.chat_id == GROUP for f in c.files.values()]
    assert data not in group_files and photo not in group_files


async def test_the_release_is_recorded_before_the_archive_leaves(api: FakeBotApi, tmp_path: Path) -> None:
    """A custodian who never started the bot: Telegram refuses the send (403), and the release was already
    in the audit log, since a file that did leave cannot be unsent. They are told how to get it."""
    settings = make_settings(api, tmp_path, evidence_custodian_ids=f"{CARLA}")
    group = group_with_custodian(api)
    async with running_bot(settings):
        code, _ = await file_report(api, Citizen(api, 5403), make_jpeg(seed=23))
        api.set_blocked(CARLA)
        mark = len(api.calls)
        group.command(CARLA, "arsip", code)
        said = await api.wait_for(lambda c: c.chat_id == GROUP and "/start" in text_of(c), since=mark)
    assert "/arsip" in text_of(said)
    assert [c.chat_id for c in api.failed_calls if c.method == "sendDocument"] == [CARLA]  # tried, refused
    assert releases(settings.database_path) == [(f"supervisor:{CARLA}", "originals:1")]


async def test_no_photos_no_code_and_unknown_codes_get_an_answer(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, evidence_custodian_ids=f"{CARLA}")
    group = group_with_custodian(api)
    async with running_bot(settings) as app:
        report = await add_report(app.services.store, address="5404", links=("https://x.com/a/status/1",))
        for args, expected in (
            (report.code, "tidak memiliki foto"),
            ("", "/arsip KODE"),
            ("LN-ZZZZZZ", "LN-ZZZZZZ"),
        ):
            mark = len(api.calls)
            group.command(CARLA, "arsip", args)
            await api.wait_for(lambda c, e=expected: c.chat_id == GROUP and e in text_of(c), since=mark)
    assert releases(settings.database_path) == []
    assert not api.calls_to("sendDocument")


async def test_an_archive_larger_than_telegram_takes_points_to_the_command_line(
    api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telegram's 50 MB, lowered so that one photo passes it: the same path as ten 20 MB originals.
    monkeypatch.setattr("bot.telegram.triage.handoff.TELEGRAM_UPLOAD_LIMIT", 10_000)
    settings = make_settings(api, tmp_path, evidence_custodian_ids=f"{CARLA}")
    group = group_with_custodian(api)
    async with running_bot(settings):
        code, _ = await file_report(api, Citizen(api, 5405), make_jpeg(seed=24))
        mark = len(api.calls)
        group.command(CARLA, "arsip", code)
        said = await api.wait_for(lambda c: c.chat_id == GROUP and "50 MB" in text_of(c), since=mark)
    assert f"python -m bot paket {code} --out" in text_of(said)
    assert releases(settings.database_path) == []  # nothing left, so nothing was released
    assert not [c for c in api.calls_to("sendDocument") if c.chat_id == CARLA]
