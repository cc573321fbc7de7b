"""The fake Bot API against the real python-telegram-bot. Faults a test injects, and what PTB makes of them."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, TimedOut
from telegram.error import RetryAfter as PtbRetryAfter

from tests.fake_bot_api.common import USER
from tests.fakes.bot_api import (
    ApiError,
    Drop,
    FakeBotApi,
    RetryAfter,
    ServerError,
    SlowAnswer,
    Timeout,
    fault_from_json,
    fault_to_json,
)


async def test_retry_after_raises_ptb_retry_after(bot: Bot, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # opt in, else .retry_after emits a deprecation warning
    api.fail("sendMessage", times=1, mode=RetryAfter(1))

    with pytest.raises(PtbRetryAfter) as info:
        await bot.send_message(USER, "flood")
    assert info.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    assert api.calls_to("sendMessage") == []
    assert [(c.method, c.fault) for c in api.failed_calls] == [("sendMessage", RetryAfter(1))]

    await bot.send_message(USER, "flood")  # the fault was used up
    assert len(api.calls_to("sendMessage")) == 1


async def test_server_error_raises_network_error(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", times=2, mode=ServerError())
    for _ in range(2):
        with pytest.raises(NetworkError) as info:
            await bot.send_message(USER, "x")
        assert type(info.value) is NetworkError
    assert len(api.failed_calls) == 2 and api.calls_to("sendMessage") == []
    await bot.send_message(USER, "x")


async def test_api_error_mode(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=ApiError(403, "Forbidden: bot was blocked by the user"))
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "x")


async def test_timeout_and_drop(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=Timeout(0.5))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lambat", read_timeout=0.1)

    # deliver=True: Telegram sent it but the client never heard back -> duplicate risk.
    api.fail("sendMessage", mode=Timeout(0.3, deliver=True))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "terkirim diam-diam", read_timeout=0.1)
    delivered = await api.wait_for(lambda c: c.params.get("text") == "terkirim diam-diam", timeout=2)
    assert delivered.chat_id == USER

    api.fail("sendMessage", mode=Drop())
    with pytest.raises(NetworkError) as info:
        await bot.send_message(USER, "hilang")
    assert not isinstance(info.value, TimedOut)  # a dropped connection, not a timeout
    assert [c.fault for c in api.failed_calls] == [Timeout(0.5), Timeout(0.3, deliver=True), Drop()]
    await bot.send_message(USER, "normal lagi")
    assert api.calls_to("sendMessage")[-1].params["text"] == "normal lagi"


async def test_fail_rate_is_seeded(bot: Bot, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB's RetryAfter.__init__ warns otherwise

    async def run() -> list[bool]:
        api.fail_rate("sendMessage", 0.5, [ServerError(), RetryAfter(1)], seed=7)
        outcomes: list[bool] = []
        for i in range(12):
            try:
                await bot.send_message(USER, f"pesan {i}")
                outcomes.append(False)
            except (NetworkError, PtbRetryAfter):
                outcomes.append(True)
        return outcomes

    first = await run()
    second = await run()  # re-arming with the same seed replays the same pattern
    assert first == second and any(first) and not all(first)
    assert len(api.failed_calls) == 2 * sum(first)
    assert len(api.calls_to("sendMessage")) == 2 * (12 - sum(first))
    assert {type(c.fault) for c in api.failed_calls} <= {ServerError, RetryAfter}

    api.fail_rate("sendMessage", 0, [])
    await bot.send_message(USER, "tanpa gangguan")


async def test_wait_for_times_out(api: FakeBotApi) -> None:
    with pytest.raises(TimeoutError, match="no matching call"):
        await api.wait_for("sendMessage", timeout=0.05)


async def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeBotApi(host="0.0.0.0")


async def test_slow_answer_is_done_at_once_and_answered_late(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=SlowAnswer(0.5))
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "diterima, dijawab lambat", read_timeout=0.1)
    # Recorded (and visible) before the answer was due, as on Telegram; not a failed call.
    assert api.calls_to("sendMessage")[-1].params["text"] == "diterima, dijawab lambat"
    assert asyncio.get_running_loop().time() - started < 0.5 and api.failed_calls == []
    api.fail("sendMessage", mode=SlowAnswer(0.3))
    sent = await bot.send_message(USER, "sabar", read_timeout=2)
    assert sent.text == "sabar"
    assert fault_from_json(fault_to_json(SlowAnswer(2.5))) == SlowAnswer(2.5)
