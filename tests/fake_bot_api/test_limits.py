"""The fake Bot API enforces Telegram's flood limits: a real PTB `Bot` (no rate limiter) runs into them.

The fake's clock is replaced, so a minute passes in no time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputMediaPhoto
from telegram.error import RetryAfter

from bot.telegram.calls import retry_after_seconds
from tests.fakes.bot_api import FakeBotApi, Limits
from tests.images import make_jpeg

TOKEN = "123456789:TEST-limits"
GROUP = -1001234567890


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def limited() -> AsyncIterator[tuple[FakeBotApi, Bot, Clock]]:
    clock = Clock()
    async with FakeBotApi() as server:
        server.flood.clock = clock
        bot = Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url)
        async with bot:
            yield server, bot, clock


async def test_twenty_a_minute_per_group_sends_and_edits_alike(limited: tuple[FakeBotApi, Bot, Clock]) -> None:
    api, bot, clock = limited
    first = await bot.send_message(GROUP, "kartu")
    for n in range(19):
        await bot.edit_message_text(f"kartu {n}", chat_id=GROUP, message_id=first.message_id)
        clock.now += 1.0
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "satu lagi")
    # 19 s have passed since the first message: it leaves the window in 41 s.
    assert retry_after_seconds(caught.value) == 41
    refused = api.throttled[-1]
    assert refused.method == "sendMessage" and refused.error == "flood limit"
    assert api.too_many_requests == 1
    await bot.send_message(-100777, "grup lain")  # another group has its own minute
    clock.now += 41.0
    await bot.send_message(GROUP, "satu lagi")
    api.throttled.clear()  # this test's 429 was the point


async def test_the_429_is_telegrams_answer_word_for_word(limited: tuple[FakeBotApi, Bot, Clock]) -> None:
    api, bot, _clock = limited
    import aiohttp

    for n in range(20):
        await bot.send_message(GROUP, f"kartu {n}")
    url = f"{api.base_url}{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session, session.post(url, json={"chat_id": GROUP, "text": "x"}) as reply:
        body = await reply.json()
        assert reply.status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 60",
        "parameters": {"retry_after": 60},
    }
    api.throttled.clear()


async def test_an_album_counts_one_message_per_photo(limited: tuple[FakeBotApi, Bot, Clock]) -> None:
    api, bot, _clock = limited
    photos = [InputMediaPhoto(make_jpeg(64, 48, seed=n)) for n in range(10)]
    await bot.send_media_group(GROUP, photos)
    await bot.send_media_group(GROUP, photos)
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "kartu")
    assert len(api.calls_to("sendMediaGroup")) == 2
    api.throttled.clear()


async def test_a_private_chat_takes_a_burst_then_about_one_a_second(limited: tuple[FakeBotApi, Bot, Clock]) -> None:
    api, bot, clock = limited
    for n in range(Limits().private_burst):
        await bot.send_message(4242, f"balasan {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(4242, "terlalu cepat")
    await bot.send_message(4343, "orang lain")  # another chat is not held
    clock.now += 1.0
    await bot.send_message(4242, "sekarang boleh")
    with pytest.raises(RetryAfter):
        await bot.send_message(4242, "belum")
    assert api.too_many_requests == 2
    api.throttled.clear()


async def test_thirty_a_second_overall(limited: tuple[FakeBotApi, Bot, Clock]) -> None:
    api, bot, clock = limited
    for n in range(30):
        await bot.send_message(5000 + n, "halo")
    with pytest.raises(RetryAfter):
        await bot.send_message(6000, "halo")
    clock.now += 1.0
    await bot.send_message(6000, "halo")
    # A refused call spends nothing, and calls that are not messages are never limited.
    await bot.get_me()
    assert api.too_many_requests == 1
    api.throttled.clear()


async def test_limits_can_be_read_and_set_over_the_control_api() -> None:
    import aiohttp

    async with FakeBotApi(control_api=True, limits=Limits(group_per_minute=1)) as api:
        bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
        async with bot:
            await bot.send_message(GROUP, "satu")
            with pytest.raises(RetryAfter):
                await bot.send_message(GROUP, "dua")
        async with aiohttp.ClientSession() as session, session.get(f"{api.url}/_control/limits") as reply:
            assert await reply.json() == {
                "too_many_requests": 1,
                "limits": {
                    "group_per_minute": 1,
                    "private_per_second": 1.0,
                    "private_burst": 20,
                    "overall_per_second": 30,
                    "group_window": 60.0,
                },
            }
