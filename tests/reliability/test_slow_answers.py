"""A send Telegram accepted but answered after the client's timeout is not repeated (issue 11, item 7).

The fake's SlowAnswer fault performs the call at once and answers late, past PTB's 5 s default read
timeout; the group's sends wait long enough (bot/telegram/group.py, GROUP_SEND_TIMEOUT) to hear it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from tests.fakes.bot_api import FakeBotApi, SlowAnswer
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, group_posts, is_card, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report

LATE = 6.0  # past PTB's (and this bot's former) 5 s read timeout


async def test_a_slow_answer_makes_one_photo_card(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5401)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(800, 600, seed=1), make_jpeg(640, 480, seed=2)], album="a1")
        api.fail("sendPhoto", times=1, mode=SlowAnswer(LATE), chat_id=GROUP)
        code = await finish_report(citizen)
        await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=20)
        await asyncio.sleep(LATE + 1)  # long enough for a repeat after a timeout to show
    photos, cards = group_posts(api, GROUP, code)
    assert (len(photos), len(cards)) == (0, 1) and cards[0].method == "sendPhoto"
    # The late answer was heard: the card is recorded, so its edits will find it.
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT card_kind FROM reports WHERE card_message_id IS NOT NULL").fetchall() == [
            ("caption",)
        ]


async def test_two_slow_answers_make_one_photo_and_one_card(api: FakeBotApi, tmp_path: Path) -> None:
    """A card too long for a caption: its photo, then the card, each answered late, each sent once."""
    settings = make_settings(api, tmp_path)
    story = " ".join(["Kepala dinas mengarahkan pegawai memilih calon nomor dua saat apel pagi."] * 16)
    async with running_bot(settings):
        citizen = Citizen(api, 5402)
        await fill_until_evidence(citizen, story)
        await citizen.send_photos([make_jpeg(800, 600, seed=1), make_jpeg(640, 480, seed=2)], album="a1")
        api.fail("sendPhoto", times=1, mode=SlowAnswer(LATE), chat_id=GROUP)
        api.fail("sendMessage", times=1, mode=SlowAnswer(LATE), chat_id=GROUP)
        started = time.monotonic()
        code = await finish_report(citizen)
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and code in text_of(c), timeout=20
        )
        forwarded = time.monotonic() - started
        await asyncio.sleep(LATE + 1)  # long enough for a repeat after either timeout to show
    photos, cards = group_posts(api, GROUP, code)
    assert (len(photos), len(cards)) == (1, 1) and cards[0].method == "sendMessage"
    assert forwarded >= LATE  # the photo's late answer was waited for: the card came after it
