"""The aiohttp transport's own edges; tests/fake_bot_api/ runs the Bot API suite through it too."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.telegram.transport import AiohttpRequest
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


async def test_an_egress_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like PTB's httpx transport, the bot reaches Telegram through HTTP(S)_PROXY when one is set."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n", 1)[0])
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
        )
        await reader.readexactly(length)
        body = b'{"ok":true,"result":true}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, body = await request.do_request(f"http://telegram.invalid/bot{TOKEN}/close", "POST")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    assert status == 200 and json.loads(body)["result"] is True
    # The proxy got the absolute URL: the bot never resolved or connected to telegram.invalid itself.
    assert seen == [f"POST http://telegram.invalid/bot{TOKEN}/close HTTP/1.1".encode()]


async def test_a_slow_but_flowing_download_is_not_cut_off() -> None:
    """The read timeout bounds each read, not the whole download (a 20 MB photo on a slow link)."""
    from aiohttp import web

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(6):
            await response.write(b"x" * 1000)
            await asyncio.sleep(0.1)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/file", trickle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest(read_timeout=0.3, connect_timeout=0.1, pool_timeout=0.1, write_timeout=0.1)
    await request.initialize()
    try:
        status, body = await request.do_request(f"http://127.0.0.1:{port}/file", "GET")
    finally:
        await request.shutdown()
        await runner.cleanup()
    assert status == 200 and len(body) == 6000  # 0.6 s in all, longer than every timeout summed


async def test_no_proxy_hosts_are_reached_directly(api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: a proxied call would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    request = AiohttpRequest()
    await request.initialize()
    try:
        status, _ = await request.do_request(f"{api.base_url}{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert status == 200
