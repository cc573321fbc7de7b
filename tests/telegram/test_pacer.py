"""The pacer inside the real Application, against the fake Bot API that enforces Telegram's limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import App, Tuning
from bot.telegram.pacer import paced
from bot.telegram.pacing import Priority
from tests.fakes.bot_api import FakeBotApi, RetryAfter
from tests.telegram.harness import GROUP, eventually, make_settings

OTHER_GROUP = -1009876543210


async def test_a_429_holds_that_chat_exactly_as_told_cards_go_first_and_edits_coalesce(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with App.running(make_settings(api, tmp_path), Tuning()) as app:
        bot = app.application.bot
        card = await bot.send_message(GROUP, "kartu 0")
        api.fail("sendMessage", 1, RetryAfter(2), chat_id=GROUP)
        mark = len(api.calls)
        flood = len(api.failed_calls)
        first = asyncio.ensure_future(bot.send_message(GROUP, "kartu 1"))  # answered 429, then sent again
        await api.wait_for(lambda c: c.chat_id == GROUP, failed=True, since=flood)
        # The bot has read the 429 (not only the fake sent it): what comes next is queued behind the hold.
        await eventually(lambda: app.pacer is not None and app.pacer.floods == 1)

        async def edit(n: int) -> object:
            with paced(Priority.EDIT):
                return await bot.edit_message_text(f"kartu 0, langkah {n}", chat_id=GROUP, message_id=card.message_id)

        async def new_card(n: int) -> object:
            with paced(Priority.CARD):
                return await bot.send_message(GROUP, f"kartu {n}")

        edits = [asyncio.ensure_future(edit(n)) for n in range(1, 6)]
        await asyncio.sleep(0)
        cards = [asyncio.ensure_future(new_card(n)) for n in (2, 3)]
        elsewhere = await bot.send_message(OTHER_GROUP, "kartu lain")
        results = await asyncio.gather(first, *edits, *cards)
        assert app.pacer is not None and app.pacer.floods == 1

    refused = api.failed_calls[flood]
    later = [c for c in api.calls[mark:] if c.chat_id == GROUP]
    # Nothing went to that group before the 2 s were up; the other group was not held at all.
    assert min(c.time for c in later) - refused.time >= 2.0
    other = next(c for c in api.calls[mark:] if c.chat_id == OTHER_GROUP)
    assert other.time - refused.time < 1.0 and elsewhere.message_id
    # The request that met the 429 goes first (its place kept), then the new cards, then one edit: the last.
    texts = [str(c.params.get("text")) for c in later]
    assert texts == ["kartu 1", "kartu 2", "kartu 3", "kartu 0, langkah 5"]
    assert results[1:5] == [True] * 4  # the superseded edits were never sent
    assert api.message(GROUP, card.message_id)["text"] == "kartu 0, langkah 5"
    assert api.too_many_requests == 0  # the only 429 was the one injected


async def test_a_private_chat_gets_its_burst_then_one_a_second_and_no_429(api: FakeBotApi, tmp_path: Path) -> None:
    async with App.running(make_settings(api, tmp_path), Tuning()) as app:
        bot = app.application.bot
        mark = len(api.calls)
        await asyncio.gather(*(bot.send_message(4242, f"balasan {n}") for n in range(22)))
        assert app.pacer is not None and app.pacer.floods == 0
    times = [c.time for c in api.calls[mark:] if c.chat_id == 4242]
    assert len(times) == 22
    assert times[18] - times[0] < 1.0  # the burst
    assert times[21] - times[18] >= 2.5  # then about one a second
    assert api.too_many_requests == 0
