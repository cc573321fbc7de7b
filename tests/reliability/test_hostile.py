"""Hostile and broken input over the real transport: a polite answer each time, clean data, valid markup.

One citizen walks a whole report through the corpus (tests/images.py generates every file): text full
of HTML and Markdown, 10,000 characters, zero-width and right-to-left marks, NUL bytes; a decompression
bomb, a truncated JPEG, a zero-byte file, a text file named .jpg, a PNG declaring 10 gigapixels, a file
over the size limit; then a GIF, a WebP and a camera JPEG with a sideways orientation and GPS, which are
evidence. Forged button data follows, in the private chat and in a group. The fake server rejects
invalid HTML as Telegram does, so no failed call may carry a parse error; nothing may log an error.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from handlers.report.conversation import MAX_NAME
from locales import t, tn
from tests.fakes.bot_api import FakeBotApi
from tests.images import (
    decompression_bomb_png,
    header_only_png,
    make_gif,
    make_jpeg,
    make_webp,
    text_as_jpg,
    truncated_jpeg,
)
from tests.reliability.citizen import plain
from tests.telegram.harness import (
    GROUP,
    Citizen,
    card_of,
    group_posts,
    is_card,
    make_settings,
    running_bot,
    shown,
    text_of,
)
from tests.triage.helpers import Supervisors

USER = 6_660_001_234
MARKUP_NAME = "<b>Budi</b> & _Santoso_ *[klik](javascript:alert(1))* `x` </i> <"
SCRIPT_AGENCY = "Dinas <script>alert(1)</script> **tebal** ~~coret~~ ||rahasia||"
SNEAKY_PLACE = "Balai\u200b Desa \u202eLIAR\u202c Karang\u2066rejo\u2069\ufeff \u200f"
NUL_DESCRIPTION = "Camat\x00 ikut kampanye <b>calon</b> & *bupati* _di_ `lapangan`\x00 desa, <a href='x'>lihat</a>."
EXIF_GPS = (-7.56660, 110.81660)


async def send(citizen: Citizen, update: dict[str, Any]) -> list[str]:
    mark = len(citizen.api.calls)
    await citizen.push(update)
    await citizen.api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == citizen.user_id, since=mark)
    return [text_of(c) for c in await citizen.settle(mark)]


async def send_file(citizen: Citizen, data: bytes, name: str, mime: str) -> list[str]:
    file_id = citizen.api.add_file(data, file_name=name, mime_type=mime)
    return await send(citizen, citizen.api.private_document(citizen.user_id, file_id, mime, name))


async def test_hostile_text_files_and_buttons(
    api: FakeBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    # A corpus is many messages in a minute: flood control is tested on its own (test_flood.py).
    settings = make_settings(api, tmp_path, max_image_mb=1, messages_per_minute=1000)
    async with running_bot(settings):
        citizen = Citizen(api, USER)
        await citizen.say("/start")
        await citizen.press("go:start")
        await citizen.press("cat:foto")
        too_long = tn(
            "id",
            "report.bad_length",
            MAX_NAME,
            min=2,
            max=MAX_NAME,
            length=tn("id", "count.characters", 10_000, n=10_000),
        )
        assert too_long in text_of((await citizen.say("N" * 10_000))[0])
        await citizen.say(MARKUP_NAME)
        await citizen.say(SCRIPT_AGENCY)
        await citizen.press("st:pns")
        await citizen.say("solo")
        await citizen.say(SNEAKY_PLACE)
        await citizen.say(t("id", "report.skip_location"))
        await citizen.press("when:yesterday")
        await citizen.press("known:same")
        too_long = text_of((await citizen.say("kampanye-" * 1111 + "!"))[0])
        assert "terlalu panjang (10000 karakter)" in too_long and "5/8" in too_long
        await citizen.say(NUL_DESCRIPTION)
        await refuse_broken_files(api, citizen)
        for data, name, mime in (
            (make_gif(320, 240, seed=7), "gerak.gif", "image/gif"),
            (make_webp(640, 480, seed=8), "layar.webp", "image/webp"),
            (make_jpeg(800, 600, orientation=6, gps=EXIF_GPS, seed=9), "kamera.jpg", "image/jpeg"),
        ):
            assert "foto diterima" in (await send_file(citizen, data, name, mime))[0], name
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        await citizen.say(t("id", "report.skip_contact"))
        replies = await citizen.press("rv:send")
        code = text_of(replies[-1]).split("<code>")[1].split("</code>")[0]
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
        await asyncio.sleep(0.3)
        photos, _ = group_posts(api, GROUP, code)
        first = card if card.method == "sendPhoto" else photos[0]  # a photo card, or the photo before it
        # The other two, on demand: a supervisor presses "📷 Bukti (3)".
        supervisors = Supervisors(api)
        supervisors.add(9101, "Pengawas")
        card_id = next(m["message_id"] for m in api.messages(GROUP) if code in shown(m) and m.get("reply_markup"))
        supervisors.press(9101, card_id, supervisors.buttons(card_id)["📷 Bukti (3)"])
        album = await api.wait_for(lambda c: c.method == "sendMediaGroup" and c.chat_id == GROUP)
        files = {**first.files, **album.files}
        await forge_buttons(api, citizen, settings.database_path, code)
        assert "Selamat datang" in text_of((await citizen.say("/start"))[0])  # still up, still polite

    assert_group_copies_clean(files, card)
    assert_stored_clean(settings.database_path, code)
    parse_errors = [c for c in api.failed_calls if "parse" in (c.error or "")]
    assert parse_errors == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


async def refuse_broken_files(api: FakeBotApi, citizen: Citizen) -> None:
    """Each broken file gets its own explanation; none is downloaded when its size already says no."""
    cases = [
        (decompression_bomb_png(), "bom.png", "image/png", "image.too_many_pixels"),
        (header_only_png(100_000, 100_000), "raksasa.png", "image/png", "image.too_many_pixels"),
        (truncated_jpeg(), "putus.jpg", "image/jpeg", "image.broken"),
        (b"", "kosong.jpg", "image/jpeg", "image.empty"),
        (text_as_jpg(), "bukti.jpg", "image/jpeg", "image.not_an_image"),
    ]
    for data, name, mime, key in cases:
        replies = await send_file(citizen, data, name, mime)
        assert plain(key) in replies[0], (name, replies)
    downloads = len(api.calls_to("getFile"))
    over = make_jpeg(1400, 1000, quality=100, seed=11) * 2  # 1 MB is the limit in these settings
    assert len(over) > 1024 * 1024
    assert plain("image.too_large") in (await send_file(citizen, over, "besar.jpg", "image/jpeg"))[0]
    photo = api.add_file(over)
    assert plain("image.too_large") in (await send(citizen, api.private_photo(citizen.user_id, photo)))[0]
    assert len(api.calls_to("getFile")) == downloads  # refused from the declared size, never fetched


async def forge_buttons(api: FakeBotApi, citizen: Citizen, database: Path, code: str) -> None:
    """Forged data in the private chat, triage data from a citizen, a citizen's button in a group."""
    with sqlite3.connect(database) as db:
        report_id = db.execute("SELECT id FROM reports WHERE code = ?", (code,)).fetchone()[0]
    message_id, _ = citizen.last_buttons()
    for data in ("xx:yy", "cat:../../etc/passwd", "reg:atlantis", "rv:send", "<b>x</b>", "ä" * 32, "go:start"):
        mark = len(api.calls)
        await citizen.push(api.callback_query(USER, USER, message_id, data))
        await api.wait_for("answerCallbackQuery", since=mark)
        assert "tidak berlaku" in text_of((await citizen.settle(mark))[0]) or data == "go:start", data
    await citizen.say("/batal")  # the go:start above began a new draft: drop it
    await citizen.press("nav:cancel_yes")
    for data in (f"tr:{report_id}:claim:b", "tr:999999:claim:b", f"tr:{report_id}:reject:b:spam"):
        mark = len(api.calls)
        await citizen.push(api.callback_query(USER, USER, message_id, data))
        answer = await api.wait_for("answerCallbackQuery", since=mark)
        assert answer.params.get("show_alert") is True, data  # refused, out loud
    mark = len(api.calls)
    api.push_update(api.callback_query(USER, GROUP, 1, "cat:foto", chat_type="supergroup"))
    await api.wait_for("answerCallbackQuery", since=mark)
    await citizen.settle(mark, quiet=0.3)
    assert [c for c in api.calls[mark:] if c.method == "sendMessage" and c.chat_id == GROUP] == []
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT state FROM reports WHERE id = ?", (report_id,)).fetchone() == ("baru",)
        assert db.execute("SELECT COUNT(*) FROM reports").fetchone() == (1,)


def assert_group_copies_clean(files: dict[str, bytes], card: Any) -> None:
    copies = list(files.values())
    assert len(copies) == 3
    for data in copies:
        assert b"Exif\x00\x00" not in data and b"GPS" not in data
    with Image.open(BytesIO(copies[2])) as upright:
        assert upright.height > upright.width  # orientation 6 applied: the phone was held upright
    text = card_of(card)
    assert f"GPS {EXIF_GPS[0]:.5f}, {EXIF_GPS[1]:.5f}" in text  # read from the original's EXIF
    assert "&lt;b&gt;Budi&lt;/b&gt; &amp; _Santoso_" in text and "&lt;script&gt;" in text
    # Markdown is not our parse mode: its link stays literal text, never an <a href>.
    assert "<script>" not in text and 'href="javascript' not in text


def assert_stored_clean(database: Path, code: str) -> None:
    with sqlite3.connect(database) as db:
        name, agency, place, description = db.execute(
            "SELECT subject_name, subject_agency, place, description FROM reports WHERE code = ?", (code,)
        ).fetchone()
    assert name == MARKUP_NAME and agency == SCRIPT_AGENCY  # kept as typed, escaped only when shown
    assert place == "Balai Desa LIAR Karangrejo"  # no zero-width, no bidi override, no BOM
    assert "\x00" not in description and description.startswith("Camat ikut kampanye <b>calon</b>")
