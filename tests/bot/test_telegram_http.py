"""The aiohttp transport's own edges; tests/test_fake_bot_api.py runs the Bot API suite through it too."""

from __future__ import annotations

import json
import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest
from tests.fakes.bot_api import FakeBotApi

TOKEN = "123456789:TEST-fake-token"


async def test_it_must_be_initialized_and_can_be_restarted(api: FakeBotApi) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{api.base_url}{TOKEN}/getMe", "POST")
    for _ in range(2):  # PTB may initialize again after a shutdown (Application restarts)
        await request.initialize()
        status, body = await request.do_request(f"{api.base_url}{TOKEN}/getMe", "POST")
        assert status == 200 and json.loads(body)["result"]["is_bot"] is True
        await request.shutdown()
    await request.shutdown()  # a second shutdown is harmless


async def test_a_refused_connection_is_a_network_error_not_a_timeout() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError) as info:
        await bot.initialize()  # getMe
    await bot.shutdown()
    assert not isinstance(info.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in info.value.message


async def test_a_short_connect_and_pool_budget_still_bounds_a_slow_answer(api: FakeBotApi) -> None:
    from tests.fakes.bot_api import Timeout

    api.fail("sendMessage", mode=Timeout(seconds=2))
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(1, "halo")  # the transport's own default read timeout applies


async def test_errors_that_quote_the_url_do_not_carry_the_token() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        # A URL aiohttp refuses to parse is quoted in its error message.
        with pytest.raises(NetworkError) as info:
            await request.do_request(f"http://127.0.0.1:99999/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert TOKEN not in info.value.message and "<token>" in info.value.message
