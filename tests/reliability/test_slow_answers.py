"""A send Telegram accepted but answered after the client's timeout is not repeated (issue 11, item 7).

The fake's SlowAnswer fault performs the call at once and answers late, past PTB's 5 s default read
timeout; the group's sends wait long enough (bot/telegram/group.py, GROUP_SEND_TIMEOUT) to hear it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.e2e.harness import GROUP, Citizen, make_settings, running_bot, text_of
from tests.e2e.test_telegram_report import fill_until_evidence, finish_report
from tests.fakes.bot_api import FakeBotApi, SlowAnswer
from tests.images import make_jpeg

LATE = 6.0  # past PTB's (and this bot's former) 5 s read timeout


async def test_two_slow_answers_make_one_album_and_one_card(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5401)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(800, 600, seed=1), make_jpeg(640, 480, seed=2)], album="a1")
        api.fail("sendMediaGroup", times=1, mode=SlowAnswer(LATE), chat_id=GROUP)
        api.fail("sendMessage", times=1, mode=SlowAnswer(LATE), chat_id=GROUP)
        started = time.monotonic()
        code = await finish_report(citizen)
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and code in text_of(c), timeout=20
        )
        forwarded = time.monotonic() - started
        await asyncio.sleep(LATE + 1)  # long enough for a repeat after either timeout to show
    albums = [c for c in api.calls_to("sendMediaGroup") if c.chat_id == GROUP]
    cards = [c for c in api.calls_to("sendMessage") if c.chat_id == GROUP and code in text_of(c)]
    assert (len(albums), len(cards)) == (1, 1)
    assert forwarded >= LATE  # the album's late answer was waited for: the card came after it
