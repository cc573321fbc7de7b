"""A citizen's whole report over the real PTB Application, the fake Bot API server and real SQLite."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path

from tests.fakes.bot_api import ApiError, Call, FakeBotApi, RetryAfter, ServerError
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, card_of, is_card, make_settings, running_bot, shown, text_of
from tests.triage.helpers import Supervisors

DESCRIPTION = "Kepala dinas berfoto dengan pose dua jari bersama calon bupati di acara kantor."


async def fill_until_evidence(citizen: Citizen, description: str = DESCRIPTION) -> None:
    replies = await citizen.say("/start")
    assert "Lapor Netral" in text_of(replies[0])
    await citizen.press("go:start")
    await citizen.press("cat:foto")
    await citizen.say("Budi <Santoso>")
    await citizen.say("Dinas Pendidikan Kab. Klaten")
    await citizen.press("st:pns")
    replies = await citizen.say("solo")  # typed and fuzzy-matched
    assert "Kota Surakarta" in text_of(replies[0])
    await citizen.say("Balai Kota Surakarta")
    await citizen.say("Lewati lokasi")  # the reply keyboard's label, typed back
    await citizen.press("when:yesterday")
    await citizen.press("known:same")
    await citizen.say(description)
    await citizen.press("desc:done")


async def finish_report(citizen: Citizen) -> str:
    await citizen.press("ev:done")
    await citizen.press("wit:none")
    await citizen.say("Lewati (tetap anonim)")
    replies = await citizen.press("rv:send")
    ticket = text_of(replies[-1])
    assert "Terima kasih atas laporan Anda" in ticket
    return ticket.split("<code>")[1].split("</code>")[0]


async def photos_on_demand(api: FakeBotApi, code: str, card: int, supervisor: int = 9101) -> list[Call]:
    """A supervisor presses the card's "📷 Bukti (n)" twice: the other photos are posted once, replying to it."""
    group = Supervisors(api)
    group.add(supervisor, "Pengawas")
    label = next(label for label in group.buttons(card) if label.startswith("📷 Bukti"))
    mark = len(api.calls)
    group.press(supervisor, card, group.buttons(card)[label])
    await api.wait_for(lambda c: c.method in ("sendMediaGroup", "sendPhoto") and c.chat_id == GROUP, since=mark)
    again = len(api.calls)
    group.press(supervisor, card, group.buttons(card)[label])
    pointed = await api.wait_for(lambda c: c.method == "answerCallbackQuery", since=again)
    assert code in str(pointed.params["text"]) and "sudah dikirim" in str(pointed.params["text"])
    return [c for c in api.calls[mark:] if c.method in ("sendMediaGroup", "sendPhoto") and c.chat_id == GROUP]


async def test_report_with_album_and_link_reaches_the_group(api: FakeBotApi, tmp_path: Path) -> None:
    """The lighter card: the first photo with the card as its caption, the other photos on demand."""
    settings = make_settings(api, tmp_path)
    photos = [
        make_jpeg(1600, 1200, gps=(-7.5666, 110.8166)),
        make_jpeg(1024, 768),
        make_jpeg(900, 700, gps=(-7.5, 110.8)),
    ]
    async with running_bot(settings):
        citizen = Citizen(api, 5001)
        await fill_until_evidence(citizen)
        acks = await citizen.send_photos(photos, album="ALBUM-1")
        assert len(acks) == 1, [text_of(a) for a in acks]  # one acknowledgement for the whole album
        assert "3 foto diterima (total 3/10)" in text_of(acks[0])
        await citizen.say("https://www.instagram.com/p/XYZ123/")
        code = await finish_report(citizen)

        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
        await asyncio.sleep(0.3)
        # One message in the group for the whole report.
        assert [c.method for c in api.calls if c.chat_id == GROUP] == ["sendPhoto"]
        card_id = next(m["message_id"] for m in api.messages(GROUP) if code in shown(m))
        posted = await photos_on_demand(api, code, card_id)
    text = card_of(card)
    assert card.method == "sendPhoto" and card.params["parse_mode"] == "HTML"
    assert code in text and "Kota Surakarta" in text and "instagram.com/p/XYZ123" in text
    assert "Budi &lt;Santoso&gt;" in text  # escaped user text
    assert "GPS -7.56660, 110.81660" in text
    assert "5001" not in text and "Warga5001" not in text and "warga5001" not in text
    # The card's photo has GPS in its EXIF: its cleaned preview is uploaded, never the original.
    assert len(card.files) == 1 and b"Exif\x00\x00" not in next(iter(card.files.values()))

    with sqlite3.connect(settings.database_path) as db:
        row = db.execute("SELECT id, state, region_id, subject_name FROM reports WHERE code = ?", (code,)).fetchone()
        assert row[1:] == ("baru", "kota-surakarta", "Budi <Santoso>")
        assert db.execute("SELECT card_kind FROM reports WHERE id = ?", (row[0],)).fetchone() == ("caption",)
        stored = db.execute(
            "SELECT sha256 FROM evidence WHERE report_id = ? AND kind = 'photo' ORDER BY position", (row[0],)
        ).fetchall()
        links = db.execute("SELECT url FROM evidence WHERE kind = 'link'").fetchall()
    assert [s for (s,) in stored] == [hashlib.sha256(p).hexdigest() for p in photos]
    assert links == [("https://www.instagram.com/p/XYZ123/",)]
    for photo in photos:
        digest = hashlib.sha256(photo).hexdigest()
        original = settings.evidence_dir / digest[:2] / digest[2:4] / digest
        assert original.read_bytes() == photo  # byte for byte
    # The other two, pressed for twice, posted once: an album replying to the card. The group's copies carry
    # no metadata: the photo with GPS goes as its cleaned preview, uploaded; the bare one (as Telegram's own
    # photos are) goes by the file_id it already has, with no upload.
    assert [c.method for c in posted] == ["sendMediaGroup"]
    album = posted[0]
    assert album.params["reply_parameters"]["message_id"] == card_id and len(album.params["media"]) == 2
    uploads = [m["media"] for m in album.params["media"] if m["media"].startswith("attach://")]
    reused = [m["media"] for m in album.params["media"] if not m["media"].startswith("attach://")]
    assert len(uploads) == 1 and len(album.files) == 1
    for data in album.files.values():
        assert b"Exif\x00\x00" not in data
    assert len(reused) == 1 and api.file_data(reused[0]) == photos[1]


async def test_an_album_by_file_id_that_telegram_refuses_is_uploaded_instead(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    # As after a change of bot token: the file_ids the citizen's photos have are not this bot's.
    refusal = ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
    api.fail("sendPhoto", times=1, mode=refusal, chat_id=GROUP)
    api.fail("sendMediaGroup", times=1, mode=refusal, chat_id=GROUP)
    photos = [make_jpeg(800, 600, seed=1), make_jpeg(800, 600, seed=2), make_jpeg(800, 600, seed=3)]
    async with running_bot(settings):
        citizen = Citizen(api, 5005)
        await fill_until_evidence(citizen)
        await citizen.send_photos(photos, album="ALBUM-2")
        code = await finish_report(citizen)
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
        card_id = next(m["message_id"] for m in api.messages(GROUP) if code in shown(m))
        await photos_on_demand(api, code, card_id)
    assert code in card_of(card) and list(card.files.values()) == [photos[0]]  # uploaded, once
    albums = [c for c in api.calls if c.method == "sendMediaGroup" and c.chat_id == GROUP]
    assert len(albums) == 1 and sorted(albums[0].files.values()) == sorted(photos[1:])  # uploaded, once
    refused = [c for c in api.failed_calls if c.method in ("sendPhoto", "sendMediaGroup")]
    assert [c.method for c in refused] == ["sendPhoto", "sendMediaGroup"]
    assert not any(c.files for c in refused)  # the first tries carried file_ids only


async def test_a_restart_mid_conversation_resumes_the_draft(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    citizen = Citizen(api, 5002)
    async with running_bot(settings):
        await fill_until_evidence(citizen)
    async with running_bot(settings):
        replies = await citizen.say("/lapor")
        assert "Melanjutkan laporan" in text_of(replies[0]) and "6/8" in text_of(replies[0])
        await citizen.send_photos([make_jpeg(800, 600)])
        code = await finish_report(citizen)
        await api.wait_for(lambda c: is_card(c, GROUP, code))


async def test_group_failures_are_retried_and_delivered_exactly_once(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    api.fail("sendPhoto", times=1, mode=RetryAfter(1), chat_id=GROUP)
    async with running_bot(settings):
        citizen = Citizen(api, 5003)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(800, 600)])
        code = await finish_report(citizen)
        card = await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=15)
        await asyncio.sleep(1.0)
    assert code in card_of(card)
    group_calls = [c for c in api.calls if c.chat_id == GROUP]
    assert [c.method for c in group_calls] == ["sendPhoto"]  # the photo card, once
    failed = [(c.method, type(c.fault).__name__) for c in api.failed_calls if c.chat_id == GROUP]
    assert failed == [("sendPhoto", "RetryAfter")]


async def test_a_card_too_long_for_a_caption_follows_its_photo_exactly_once(api: FakeBotApi, tmp_path: Path) -> None:
    """A card past 1,024 UTF-16 units goes as the photo, then the card replying to it; the forward resumes
    between the two: a 500 on the card after the photo went through must not send the photo again."""
    settings = make_settings(api, tmp_path)
    api.fail("sendPhoto", times=1, mode=RetryAfter(1), chat_id=GROUP)
    api.fail("sendMessage", times=1, mode=ServerError(), chat_id=GROUP)
    story = " ".join(["Kepala dinas mengarahkan pegawai memilih calon nomor dua saat apel pagi 🙏."] * 20)
    async with running_bot(settings):
        citizen = Citizen(api, 5006)
        await fill_until_evidence(citizen, story)
        await citizen.send_photos([make_jpeg(800, 600)])
        code = await finish_report(citizen)
        card = await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=15)
        await asyncio.sleep(1.0)
    assert card.method == "sendMessage" and story[:200] in text_of(card)
    group_calls = [c for c in api.calls if c.chat_id == GROUP]
    assert [c.method for c in group_calls] == ["sendPhoto", "sendMessage"]
    photo = group_calls[0]
    assert code in str(photo.params["caption"]) and "reply_markup" not in photo.params
    assert card.params["reply_parameters"]["message_id"] > 0
    failed = [(c.method, type(c.fault).__name__) for c in api.failed_calls if c.chat_id == GROUP]
    assert failed == [("sendPhoto", "RetryAfter"), ("sendMessage", "ServerError")]


async def test_a_redelivered_update_is_ignored(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5004)
        await citizen.say("/start")
        await citizen.press("go:start")
        update = api.push_update(api.callback_query(5004, 5004, citizen.last_buttons()[0], "cat:medsos"))
        await citizen.settle(0)
        mark = len(api.calls)
        api.push_update(update)  # the same update_id again, as after a lost confirmation
        await asyncio.sleep(1.0)
        assert citizen.replies_since(mark) == []
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0] >= 3


async def test_the_longest_review_reaches_the_citizen_and_the_report_keeps_every_word(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """A 3,000-character story and five witnesses make a review past Telegram's 4,096 characters: it is
    shortened on screen (saying so), still offers Kirim, and the report stores the story whole."""
    story = ("Kepala dinas mengarahkan pegawai memilih calon nomor dua saat apel pagi & sore. " * 40)[:3000]
    witnesses = "\n".join(f"Saksi {n} {'W' * 110}, kantor kecamatan {'&' * 150} 0812{n}" for n in range(5))
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5007)
        await fill_until_evidence(citizen, story)
        await citizen.send_photos([make_jpeg(800, 600)])
        await citizen.press("ev:done")
        await citizen.say(witnesses)
        await citizen.press("wit:done")
        replies = await citizen.say("Lewati (tetap anonim)")
        review = replies[-1]
        assert "dipotong di layar ini" in text_of(review)
        assert "rv:send" in str(review.params["reply_markup"])
        replies = await citizen.press("rv:send")
        assert "Terima kasih atas laporan Anda" in text_of(replies[-1])
    with sqlite3.connect(settings.database_path) as db:
        (stored,) = db.execute("SELECT description FROM reports").fetchone()
        assert stored == story.strip()
        assert db.execute("SELECT COUNT(*) FROM witnesses").fetchone()[0] == 5
