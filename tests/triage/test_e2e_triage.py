"""Triage end to end: the real PTB Application, the fake Bot API server, real SQLite.

A citizen reports; supervisors in the group claim, ask, read the answer, verify and forward; the
reporter hears of each move; refusals (outsiders, other chats, forged and concurrent presses) hold.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import App
from handlers.common import owed
from storage.db import utcnow
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, is_card, make_settings, running_bot, shown, text_of
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report
from tests.triage.helpers import Supervisors, add_report

ALICE, BOB, STRANGER = 9101, 9102, 9666
OTHER_GROUP = -1009999999999


async def file_report(api: FakeBotApi, citizen: Citizen, photo: bytes | None = None) -> tuple[str, int]:
    """A citizen's report, up to its card in the group; returns the code and the card's message id."""
    await fill_until_evidence(citizen)
    await citizen.send_photos([photo or make_jpeg(800, 600, seed=citizen.user_id)])
    code = await finish_report(citizen)
    await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=10)
    return code, card_id(api, code)


def card_id(api: FakeBotApi, code: str, chat_id: int = GROUP) -> int:
    for message in api.messages(chat_id):
        if message.get("from", {}).get("is_bot") and code in shown(message) and message.get("reply_markup"):
            return int(message["message_id"])
    raise AssertionError(f"no card for {code}")


async def answer_of(api: FakeBotApi, mark: int, user_id: int) -> Call:
    """The callback answer the bot gave to `user_id`'s press after `mark`."""

    def mine(call: Call) -> bool:
        return call.method == "answerCallbackQuery" and str(call.params["callback_query_id"]).endswith(
            f"{user_id % 100000:05d}"
        )

    return await api.wait_for(mine, since=mark)


async def press(api: FakeBotApi, group: Supervisors, user_id: int, message_id: int, label: str) -> Call:
    data = group.buttons(message_id)[label]
    mark = len(api.calls)
    group.press(user_id, message_id, data)
    return await answer_of(api, mark, user_id)


async def card_shows(
    api: FakeBotApi, message_id: int, text: str, timeout: float = 10.0, *, chat_id: int = GROUP
) -> dict[str, Any]:
    """Wait until the card (edited through the outbox) contains `text` (a text card's, a photo card's caption)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = api.message(chat_id, message_id)
        if text in shown(message):
            return message
        if loop.time() > deadline:
            raise AssertionError(f"card never showed {text!r}: {shown(message)}")
        await asyncio.sleep(0.05)


async def keyboard_has(group: Supervisors, message_id: int, label: str, timeout: float = 5.0) -> None:
    """Menus replace the card's keyboard right after the press is answered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while label not in group.buttons(message_id):
        if loop.time() > deadline:
            raise AssertionError(f"{label!r} never appeared: {sorted(group.buttons(message_id))}")
        await asyncio.sleep(0.05)


async def notice(api: FakeBotApi, user_id: int, text: str, mark: int = 0) -> Call:
    return await api.wait_for(
        lambda c: c.method == "sendMessage" and c.chat_id == user_id and text in text_of(c), timeout=10, since=mark
    )


def db_rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]


async def test_claim_ask_answer_verify_forward(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice", "administrator")
    async with running_bot(settings):
        citizen = Citizen(api, 5001)
        code, card = await file_report(api, citizen)
        first = api.message(GROUP, card)
        assert set(group.buttons(card)) == {"🙋 Ambil", "🚫 Tolak"}
        assert "Batas lapor Bawaslu" in shown(first) and "Belum terpenuhi: identitas pelapor" in shown(first)
        assert "Pelapor " in shown(first) and "Warga5001" not in shown(first)

        answered = await press(api, group, ALICE, card, "🙋 Ambil")
        assert not answered.params.get("show_alert") and code in answered.params["text"]
        await card_shows(api, card, "Diambil oleh Alice")
        assert set(group.buttons(card)) == {"✅ Verifikasi", "❓ Minta info", "🚫 Tolak"}
        claimed = await notice(api, 5001, "sedang diperiksa tim pengawas")
        assert code in text_of(claimed) and "Alice" not in text_of(claimed)

        # Minta info: the button asks for a reply; the question is written as a reply to the card.
        await press(api, group, ALICE, card, "❓ Minta info")
        prompt = await api.wait_for(
            lambda c: (
                c.method == "sendMessage" and c.chat_id == GROUP and "force_reply" in str(c.params.get("reply_markup"))
            )
        )
        assert prompt.params["reply_parameters"]["message_id"] == card
        mark = len(api.calls)
        group.reply(ALICE, card, "Siapa saja yang hadir? <mohon> sebutkan")
        await api.wait_for(lambda c: c.chat_id == GROUP and "Pertanyaan dikirim" in text_of(c), since=mark)
        question = await notice(api, 5001, "Siapa saja yang hadir? &lt;mohon&gt;", mark)
        assert code in text_of(question) and "Alice" not in text_of(question) and "9101" not in text_of(question)
        await card_shows(api, card, "Status:</b> Butuh info".replace("</b>", ""))
        question_id = next(m["message_id"] for m in api.messages(5001) if "Siapa saja" in m.get("text", ""))

        # The reporter answers with a photo and a text, each a reply to the question.
        mark = len(api.calls)
        extra = make_jpeg(640, 480, seed=77)
        update = api.private_photo(5001, api.add_file(extra))
        update["message"]["reply_to_message"] = api.message(5001, question_id)
        api.push_update(update)
        update = api.private_text(5001, "Hadir kepala dinas dan dua camat.")
        update["message"]["reply_to_message"] = api.message(5001, question_id)
        api.push_update(update)
        photo_post = await api.wait_for(
            lambda c: c.method == "sendPhoto" and c.chat_id == GROUP, since=mark, timeout=10
        )
        text_post = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and "Hadir kepala dinas" in text_of(c),
            since=mark,
            timeout=10,
        )
        assert photo_post.params["reply_parameters"]["message_id"] == card
        assert text_post.params["reply_parameters"]["message_id"] == card
        assert code in str(photo_post.params.get("caption")) and "Warga5001" not in text_of(text_post)
        # The reporter's acknowledgement is held back a moment (photo and text together get one), so it may
        # come after the group's posts: waited for, not read at once.
        await api.wait_for(lambda c: c.chat_id == 5001 and "sudah kami teruskan" in text_of(c), since=mark, timeout=10)
        await card_shows(api, card, "Jawaban: ")

        # Verify, then forward to Bawaslu through the target menu.
        await press(api, group, ALICE, card, "✅ Verifikasi")
        await card_shows(api, card, "Terverifikasi")
        # The answer's photo is the report's second: the card now offers the others on demand.
        assert set(group.buttons(card)) == {"📤 Teruskan", "🏁 Selesai", "🚫 Tolak", "📷 Bukti (2)"}
        menu = await press(api, group, ALICE, card, "📤 Teruskan")
        assert "tujuan" in menu.params["text"]
        await keyboard_has(group, card, "Bawaslu")
        await press(api, group, ALICE, card, "Bawaslu")
        final = await card_shows(api, card, "Diteruskan ke: Bawaslu")
        assert "Status:</b> Diteruskan".replace("</b>", "") in shown(final)
        assert set(group.buttons(card)) == {"🏁 Selesai", "📷 Bukti (2)"}
        await notice(api, 5001, "telah diverifikasi")
        forwarded = await notice(api, 5001, "diteruskan kepada Bawaslu")
        assert code in text_of(forwarded)
        # Forwarding also owes the hand-off packet under the card: every owed item has gone out before stopping.
        await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, timeout=30)

    events = db_rows(settings.database_path, "SELECT actor, action, from_state, to_state FROM events ORDER BY id")
    assert events == [
        ("reporter", "created", None, "baru"),
        ("supervisor:9101", "claim", "baru", "diproses"),
        ("supervisor:9101", "request_info", "diproses", "butuh_info"),
        ("reporter", "info_received", "butuh_info", "diproses"),
        ("reporter", "info_received", None, None),
        ("supervisor:9101", "verify", "diproses", "terverifikasi"),
        ("supervisor:9101", "forward", "terverifikasi", "diteruskan"),
    ]
    assert db_rows(settings.database_path, "SELECT COUNT(*) FROM evidence WHERE kind = 'photo'") == [(2,)]
    # The reporter received each notice, and none of them names a supervisor.
    notices = [text_of(c) for c in api.calls if c.method == "sendMessage" and c.chat_id == 5001 and code in text_of(c)]
    assert all("Alice" not in n for n in notices)
    assert db_rows(settings.database_path, "SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == [(0,)]


async def test_outsiders_other_chats_and_forged_buttons_are_refused(
    api: FakeBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    api.add_user(STRANGER, "Orang Luar")  # not in the group: getChatMember says "left"
    async with running_bot(settings):
        code, card = await file_report(api, Citizen(api, 5002))
        report_id = db_rows(settings.database_path, "SELECT id FROM reports WHERE code = ?", (code,))[0][0]
        claim = group.buttons(card)["🙋 Ambil"]

        mark = len(api.calls)
        group.press(STRANGER, card, claim)
        refused = await answer_of(api, mark, STRANGER)
        assert refused.params["show_alert"] is True and "anggota tim pengawas" in refused.params["text"]

        mark = len(api.calls)
        api.push_update(api.callback_query(ALICE, OTHER_GROUP, 5, claim, chat_type="supergroup"))
        refused = await answer_of(api, mark, ALICE)
        assert refused.params["show_alert"] is True and "grup pengawas" in refused.params["text"]

        forged = {
            "tr:999999:claim:b": "tidak ditemukan",
            f"tr:{report_id}:forward:b:bawaslu": "tidak berlaku",
            f"tr:{report_id}:verify:p": "baru saja ditangani pengawas lain",
            "tr:garbage": "Tombol tidak dikenal",
            "tr:pg:s:424242:1": "Tombol tidak dikenal",
        }
        for data, expected in forged.items():
            mark = len(api.calls)
            group.press(ALICE, card, data)
            answer = await answer_of(api, mark, ALICE)
            assert answer.params["show_alert"] is True and expected in answer.params["text"], data

        # Commands: refused outside the group and for outsiders; no triage happened.
        mark = len(api.calls)
        group.command(ALICE, "antrian", chat_id=OTHER_GROUP)
        await api.wait_for(lambda c: c.chat_id == OTHER_GROUP and "grup pengawas" in text_of(c), since=mark)
        group.command(STRANGER, "ekspor")
        await api.wait_for(lambda c: c.chat_id == GROUP and "anggota tim pengawas" in text_of(c), since=mark)
        # A stranger replying to the card or a prompt moves nothing either.
        group.reply(STRANGER, card, "saya tolak saja")
        await asyncio.sleep(0.3)
    assert db_rows(settings.database_path, "SELECT state FROM reports") == [("baru",)]
    assert db_rows(settings.database_path, "SELECT COUNT(*) FROM events") == [(1,)]
    # Cached for presses: Alice and the stranger asked about once each; /ekspor asks afresh.
    assert len(api.calls_to("getChatMember")) == 3
    refusals = [r.getMessage() for r in caplog.records if r.name.startswith("bot.telegram.triage.")]
    assert len(refusals) >= 8 and all("refused" in m or "not executed" in m for m in refusals)
    ours = [r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("bot", "handlers", "storage")]
    for text in ours:  # logged without names or ids
        assert all(secret not in text for secret in ("9666", "9101", "Orang Luar", "Alice", "5002", "Warga"))


async def test_two_simultaneous_presses_make_one_move(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    group.add(BOB, "Bob")
    async with running_bot(settings):
        citizen = Citizen(api, 5003)
        code, card = await file_report(api, citizen)
        claim, reject = group.buttons(card)["🙋 Ambil"], group.buttons(card)["🚫 Tolak"]
        mark = len(api.calls)
        group.press(ALICE, card, claim)  # both pushed before the bot polls: one getUpdates batch
        group.press(BOB, card, claim)
        answers = [await answer_of(api, mark, ALICE), await answer_of(api, mark, BOB)]
        alerts = [a for a in answers if a.params.get("show_alert")]
        assert len(alerts) == 1 and "baru saja ditangani pengawas lain" in alerts[0].params["text"]
        # A stale menu press after the move is refused too.
        mark = len(api.calls)
        group.press(BOB, card, reject)
        assert "baru saja ditangani pengawas lain" in (await answer_of(api, mark, BOB)).params["text"]
        await card_shows(api, card, "Diambil oleh")
        await notice(api, 5003, "sedang diperiksa tim pengawas")
        await asyncio.sleep(0.3)
        claimed_notices = [c for c in api.calls if c.chat_id == 5003 and "sedang diperiksa tim pengawas" in text_of(c)]
        assert len(claimed_notices) == 1
    assert db_rows(settings.database_path, "SELECT action FROM events WHERE action != 'created'") == [("claim",)]
    assert (
        db_rows(settings.database_path, "SELECT actor FROM events WHERE action = 'claim'")[0][0]
        in ("supervisor:9101", "supervisor:9102")
        and code
    )


async def test_reject_with_a_typed_reason_and_reopen(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    async with running_bot(settings):
        citizen = Citizen(api, 5004)
        code, card = await file_report(api, citizen)
        await citizen.say("/bahasa")  # the reporter switches to English: notices follow their choice
        await press(api, group, ALICE, card, "🚫 Tolak")
        await keyboard_has(group, card, "Bukti kurang")
        await press(api, group, ALICE, card, "◀️ Kembali")
        await keyboard_has(group, card, "🙋 Ambil")
        await press(api, group, ALICE, card, "🚫 Tolak")
        await keyboard_has(group, card, "✍️ Alasan lain (ketik)")
        await press(api, group, ALICE, card, "✍️ Alasan lain (ketik)")
        prompt = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and "alasan penolakan" in text_of(c)
        )
        prompt_id = next(
            m["message_id"] for m in reversed(api.messages(GROUP)) if "alasan penolakan" in m.get("text", "")
        )
        assert prompt.params["reply_markup"]["force_reply"] is True
        group.reply(ALICE, prompt_id, "Kejadian di Jawa Timur, bukan wilayah kami.")
        await card_shows(api, card, "Alasan: Kejadian di Jawa Timur")
        rejected = await notice(api, 5004, "cannot be followed up")  # in the reporter's language
        assert "Kejadian di Jawa Timur" in text_of(rejected) and code in text_of(rejected)
        assert set(group.buttons(card)) == {"🔄 Buka lagi"}
        await press(api, group, ALICE, card, "🔄 Buka lagi")
        await card_shows(api, card, "Dibuka lagi oleh Alice")
        await notice(api, 5004, "has been reopened")
    assert db_rows(settings.database_path, "SELECT action, note FROM events WHERE action IN ('reject', 'reopen')") == [
        ("reject", "Kejadian di Jawa Timur, bukan wilayah kami."),
        ("reopen", None),
    ]


async def test_group_commands_and_an_export_without_reporter_identity(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    photo = make_jpeg(900, 700, seed=9, gps=(-7.7, 110.6))
    async with running_bot(settings) as channel:
        citizen = Citizen(api, 987654321)
        code, card = await file_report(api, citizen, photo)
        menus = {lang: api.commands({"type": "chat", "chat_id": GROUP}, lang) for lang in ("", "en")}
        assert [c["command"] for c in menus[""]] == [
            "laporan",
            "antrian",
            "cari",
            "bukti",
            "paket",
            "arsip",
            "rujukan",
            "hasil",
            "ekspor",
            "ringkasan",
            "aplikasi",
        ]
        assert menus["en"][0]["description"].startswith("A report's card")

        mark = len(api.calls)
        group.command(ALICE, "antrian")
        queue = await api.wait_for(lambda c: c.chat_id == GROUP and "Antrian" in text_of(c), since=mark)
        assert code in text_of(queue)
        group.command(ALICE, "cari", 'wilayah:solo nama:"budi" status:baru')
        found = await api.wait_for(lambda c: c.chat_id == GROUP and "ditemukan" in text_of(c), since=mark)
        assert code in text_of(found)
        group.command(ALICE, "cari", "wilayah:atlantis")
        await api.wait_for(lambda c: c.chat_id == GROUP and "Wilayah tidak dikenal" in text_of(c), since=mark)

        group.command(ALICE, "bukti", code.lower())
        document = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark)
        assert hashlib.sha256(photo).hexdigest() in str(document.params["caption"])
        # The metadata-free copy, never the original (its EXIF holds GPS); the caption names the original.
        assert list(document.files.values()) != [photo] and b"Exif" not in next(iter(document.files.values()))

        group.command(ALICE, "laporan", code)
        history = await api.wait_for(lambda c: c.chat_id == GROUP and "Riwayat" in text_of(c), since=mark)
        assert "Laporan masuk" in text_of(history)
        new_card = card_id_after(api, code, card)
        assert new_card != card
        for _ in range(100):  # the old card loses its buttons once the new one is recorded
            if not api.message(GROUP, card).get("reply_markup"):
                break
            await asyncio.sleep(0.05)
        assert not api.message(GROUP, card).get("reply_markup")
        await press(api, group, ALICE, new_card, "🙋 Ambil")
        await card_shows(api, new_card, "Diambil oleh Alice")

        # The morning reminder, run by hand: a report whose window closes tomorrow is listed.
        urgent = await add_report(
            channel.services.store,
            address="424242",
            subject="Siti Urgent",
            incident=(utcnow() + timedelta(hours=7)).date() - timedelta(days=6),
            now=utcnow(),
        )
        jobs = channel.application.job_queue.get_jobs_by_name("triage-reminder")  # type: ignore[union-attr]
        assert len(jobs) == 1
        await channel.triage.morning_reminder()
        reminder = await api.wait_for(lambda c: c.chat_id == GROUP and "Pengingat pagi" in text_of(c), since=mark)
        assert urgent.code in text_of(reminder) and code not in text_of(reminder)

        mark = len(api.calls)
        group.command(ALICE, "ekspor")
        xlsx = await api.wait_for(
            lambda c: (
                (c.method == "sendDocument" and ".xlsx" in str(c.files.keys()))
                or (c.method == "sendDocument" and "Ekspor" in str(c.params.get("caption")))
            ),
            since=mark,
        )
        csv_call = await api.wait_for(lambda c: c.method == "sendDocument" and c is not xlsx, since=mark)
    data = next(iter(xlsx.files.values()))
    workbook = load_workbook(io.BytesIO(data))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row if c.value is not None]  # type: ignore[union-attr]
    assert code in cells and urgent.code in cells and "Siti Urgent" in cells
    raw_csv = next(iter(csv_call.files.values())).decode("utf-8-sig")
    assert code in raw_csv and next(csv.reader(io.StringIO(raw_csv)))[0] == "Kode"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    for secret in ("987654321", "Warga987654321", "warga987654321"):
        assert secret not in xml and secret not in raw_csv and all(secret not in c for c in cells)


def card_id_after(api: FakeBotApi, code: str, old: int) -> int:
    ids = [
        int(m["message_id"])
        for m in api.messages(GROUP)
        if m.get("from", {}).get("is_bot")
        and code in m.get("text", "")
        and m.get("reply_markup")
        and int(m["message_id"]) > old
    ]
    assert ids, "no new card"
    return ids[0]


async def test_channel_is_wired(api: FakeBotApi, tmp_path: Path) -> None:
    """The composition root installs triage once: router, hooks, deliverers."""
    settings = make_settings(api, tmp_path)
    async with running_bot(settings) as channel:
        assert isinstance(channel, App)
        assert channel.services.outbox.kinds() == owed.KINDS


async def test_long_lists_are_paged(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    async with running_bot(settings) as channel:
        store = channel.services.store
        made = [
            await add_report(
                store, address=str(800 + i), subject=f"Orang {i}", now=utcnow() - timedelta(minutes=30 - i)
            )
            for i in range(12)
        ]
        mark = len(api.calls)
        group.command(ALICE, "antrian")
        first = await api.wait_for(lambda c: c.chat_id == GROUP and "Antrian" in text_of(c), since=mark)
        assert made[0].code in text_of(first) and made[11].code not in text_of(first)
        assert "Halaman 1 dari 2" in text_of(first)
        listing = max(m["message_id"] for m in api.messages(GROUP) if "Antrian" in m.get("text", ""))
        await press(api, group, ALICE, listing, "Berikutnya ▶️")
        second = await api.wait_for(
            lambda c: c.method == "editMessageText" and "Halaman 2 dari 2" in text_of(c), since=mark
        )
        assert made[11].code in text_of(second) and made[0].code not in text_of(second)
        assert set(group.buttons(listing)) == {"◀️ Sebelumnya"}
        group.command(ALICE, "cari", "nama:orang")
        found = await api.wait_for(lambda c: c.chat_id == GROUP and "12 laporan ditemukan" in text_of(c), since=mark)
        assert made[11].code in text_of(found)  # newest first
        results = max(m["message_id"] for m in api.messages(GROUP) if "ditemukan" in m.get("text", ""))
        await press(api, group, ALICE, results, "Berikutnya ▶️")
        await api.wait_for(lambda c: c.method == "editMessageText" and made[0].code in text_of(c), since=mark)


async def test_dates_out_of_range_are_answered_politely(api: FakeBotApi, tmp_path: Path) -> None:
    """Years 1 and 9999 once raised OverflowError inside /ekspor and /cari, and the group heard nothing."""
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    async with running_bot(settings):
        for command, args, shown in (
            ("ekspor", "0001-01-01 2024-01-01", "0001-01-01"),
            ("ekspor", "2024-01-01 9999-12-31", "9999-12-31"),
            ("cari", "sampai:9999-12-31", "9999-12-31"),
        ):
            mark = len(api.calls)
            group.command(ALICE, command, args)
            said = await api.wait_for(lambda c: c.chat_id == GROUP and "di luar rentang" in text_of(c), since=mark)
            assert shown in text_of(said), command


async def test_a_press_answered_too_late_still_moves_without_an_error(
    api: FakeBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram refuses answerCallbackQuery after ~15 s ("query is too old"): the move stands, no traceback."""
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    async with running_bot(settings):
        citizen = Citizen(api, 5009)
        code, card = await file_report(api, citizen)
        update = api.callback_query(ALICE, GROUP, card, group.buttons(card)["🙋 Ambil"], chat_type="supergroup")
        update["callback_query"]["id"] = "expired-query"  # an id the fake (like Telegram) no longer accepts
        api.push_update(update)
        await card_shows(api, card, "Diambil oleh Alice")
        await notice(api, 5009, "sedang diperiksa tim pengawas")
    assert code and not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_both_menus_survive_when_the_summary_chat_is_the_group(api: FakeBotApi, tmp_path: Path) -> None:
    """SUMMARY_CHAT_ID == SUPERVISOR_CHAT_ID: one merged menu, triage's commands and /ringkasan, both languages."""
    settings = make_settings(api, tmp_path, summary_chat_id=GROUP)
    async with running_bot(settings):
        scope = {"type": "chat", "chat_id": GROUP}
        for language in ("", "en"):
            names = [c["command"] for c in api.commands(scope, language)]
            assert names == [
                "laporan",
                "antrian",
                "cari",
                "bukti",
                "paket",
                "arsip",
                "rujukan",
                "hasil",
                "ekspor",
                "ringkasan",
                "aplikasi",
            ], (language, names)
        assert [c["command"] for c in api.commands({"type": "all_private_chats"})][:2] == ["start", "lapor"]


async def test_a_photo_card_that_outgrows_its_caption_is_edited_shortened(api: FakeBotApi, tmp_path: Path) -> None:
    """A card posted as a photo's caption (under 1,024 characters) that a long typed reason makes too long is
    edited to its short form with editMessageCaption, never refused and never stuck."""
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    story = "Kepala dinas mengarahkan pegawai memilih calon nomor dua saat apel pagi di halaman kantor. " * 5
    async with running_bot(settings):
        citizen = Citizen(api, 5010)
        await fill_until_evidence(citizen, story.strip())
        await citizen.send_photos([make_jpeg(800, 600, seed=10)])
        code = await finish_report(citizen)
        posted = await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=10)
        assert posted.method == "sendPhoto" and story.strip()[:300] in str(posted.params["caption"])
        card = card_id(api, code)
        await press(api, group, ALICE, card, "🚫 Tolak")
        await keyboard_has(group, card, "✍️ Alasan lain (ketik)")
        await press(api, group, ALICE, card, "✍️ Alasan lain (ketik)")
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and "alasan penolakan" in text_of(c)
        )
        prompt_id = next(
            m["message_id"] for m in reversed(api.messages(GROUP)) if "alasan penolakan" in m.get("text", "")
        )
        reason = "Terlapor bukan ASN menurut data kepegawaian; " * 10
        group.reply(ALICE, prompt_id, reason.strip())
        final = await card_shows(api, card, "Ditolak")
        await notice(api, 5010, "tidak dapat ditindaklanjuti")
    caption = shown(final)
    assert code in caption and len(caption) <= 1024  # code points, as Telegram counts a caption
    assert "dipersingkat" in caption or caption.endswith("…")  # it did outgrow the caption
    assert [c for c in api.failed_calls if c.method == "editMessageCaption"] == []
    edits = [c for c in api.calls if c.method == "editMessageCaption" and c.chat_id == GROUP]
    assert edits and not [c for c in api.calls if c.method == "editMessageText" and c.params.get("message_id") == card]
    assert db_rows(settings.database_path, "SELECT state FROM reports") == [("ditolak",)]
