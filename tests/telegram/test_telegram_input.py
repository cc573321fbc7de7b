"""Unexpected input over the real transport: a polite answer every time, nothing crashes or is lost."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.images import decompression_bomb_png, make_jpeg, make_png, text_as_jpg, truncated_jpeg
from tests.telegram.harness import Citizen, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report


async def send(citizen: Citizen, update: dict[str, object]) -> list[str]:
    mark = len(citizen.api.calls)
    citizen.api.push_update(update)
    await citizen.api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == citizen.user_id, since=mark)
    return [text_of(c) for c in await citizen.settle(mark)]


async def test_wrong_media_and_broken_images_are_explained(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 6001)
        await fill_until_evidence(citizen)
        uid = citizen.user_id
        assert "Stiker" in (await send(citizen, api.private_sticker(uid)))[0]
        voice = api.add_file(b"OggS" + b"\x00" * 100)
        assert "Pesan suara" in (await send(citizen, api.private_voice(uid, voice)))[0]
        pdf = api.add_file(b"%PDF-1.4 fake", file_name="surat.pdf", mime_type="application/pdf")
        assert "bukan gambar" in (await send(citizen, api.private_document(uid, pdf)))[0]
        fake = api.add_file(text_as_jpg(), file_name="foto.jpg", mime_type="image/jpeg")
        assert "bukan gambar" in (await send(citizen, api.private_document(uid, fake, "image/jpeg", "foto.jpg")))[0]
        broken = api.add_file(truncated_jpeg())
        assert "rusak" in (await send(citizen, api.private_photo(uid, broken)))[0]
        bomb = api.add_file(decompression_bomb_png(), file_name="bom.png", mime_type="image/png")
        assert "terlalu besar" in (await send(citizen, api.private_document(uid, bomb, "image/png", "bom.png")))[0]
        # Larger than Telegram lets a bot download: refused before any download is tried.
        huge = api.add_file(make_jpeg(64, 64))
        downloads = len(api.calls_to("getFile"))
        assert "terlalu besar" in (await send(citizen, api.private_photo(uid, huge, file_size=25 * 1024 * 1024)))[0]
        assert len(api.calls_to("getFile")) == downloads
        # An image sent as a file is evidence like a photo.
        png = api.add_file(make_png(900, 700), file_name="layar.png", mime_type="image/png")
        assert "1 foto diterima" in (await send(citizen, api.private_document(uid, png, "image/png", "layar.png")))[0]
        code = await finish_report(citizen)
    assert code.startswith("LN-")


async def test_commands_buttons_and_text_out_of_place(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 6002)
        await citizen.say("/start")
        await citizen.press("go:start")
        replies = await citizen.say("/hapus_semua")
        assert "tidak dikenal" in text_of(replies[0])
        replies = await citizen.say("apa ini?")  # text where a category button is expected
        assert "pilih salah satu tombol" in text_of(replies[0])
        message_id, _ = citizen.last_buttons()
        mark = len(api.calls)
        api.push_update(api.callback_query(6002, 6002, message_id, "st:admin"))  # forged data
        await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 6002, since=mark)
        assert "tidak berlaku" in text_of((await citizen.settle(mark))[0])
        loc = await send(citizen, api.private_location(6002, -7.0, 110.4))
        assert "langkah Tempat" in loc[0]


async def test_language_commands_and_status(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        assert {c["command"] for c in api.commands({"type": "all_private_chats"})} >= {"lapor", "status", "bahasa"}
        english = api.commands({"type": "all_private_chats"}, "en")
        assert any(c["description"] == "Make a new report" for c in english)

        visitor = Citizen(api, 6003, language="en")
        assert "Welcome" in text_of((await visitor.say("/start"))[0])
        assert "Bahasa Indonesia" in text_of((await visitor.say("/bahasa"))[0])
        assert "Selamat datang" in text_of((await visitor.say("/start"))[0])  # remembered

        citizen = Citizen(api, 6004)
        assert "belum pernah" in text_of((await citizen.say("/status"))[0])
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(640, 480)])
        code = await finish_report(citizen)
        listing = text_of((await citizen.say("/status"))[0])
        assert code in listing and "Baru" in listing
        detail = text_of((await citizen.say(f"/status {code.lower()}"))[0])
        assert code in detail and "Kota Surakarta" in detail
        # Someone else's code reveals nothing.
        assert "tidak ditemukan" in text_of((await visitor.say(f"/status {code}"))[0])


async def test_a_failed_download_is_explained_and_the_draft_kept(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 6005)
        await fill_until_evidence(citizen)
        photo = api.add_file(make_jpeg(640, 480))
        api.fail("getFile", times=3)  # a single blip is retried; three in a row are a real failure
        assert "gagal diunduh" in (await send(citizen, api.private_photo(6005, photo)))[0]
        acks = await citizen.send_photos([make_jpeg(640, 480, seed=3)])
        assert "1 foto diterima" in text_of(acks[0])
