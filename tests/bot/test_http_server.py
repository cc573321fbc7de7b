"""The bot's one HTTP server: doors mounted under their prefix share one loopback port, and stop with it."""

from __future__ import annotations

import io

import aiohttp
import pytest
from aiohttp import web

from bot.web.server import MAX_BODY, HttpServer


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text=f"hello {request.match_info.get('name', '')}")


async def _size(request: web.Request) -> web.Response:
    return web.Response(text=str(len(await request.read())))


async def test_mounted_doors_and_root_routes_answer_on_one_port() -> None:
    server = HttpServer("127.0.0.1", 0)
    door = web.Application()
    door.router.add_get("/greet/{name}", _hello)
    server.mount("/app", door)
    server.add_routes([web.get("/healthz", _hello), web.post("/echo", _size)])
    await server.start()
    try:
        assert server.port > 0
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/app/greet/ani") as response:
                assert (response.status, await response.text()) == (200, "hello ani")
            async with session.get(f"{server.url}/healthz") as response:
                assert response.status == 200
            async with session.get(f"{server.url}/greet/ani") as response:
                assert response.status == 404  # a door's routes exist only under its prefix
            async with session.post(f"{server.url}/echo", data=io.BytesIO(b"x" * (MAX_BODY + 1))) as response:
                assert response.status == 413  # a body beyond the largest any door takes is refused unread
    finally:
        await server.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session, session.get(f"{server.url}/healthz"):
            pass
