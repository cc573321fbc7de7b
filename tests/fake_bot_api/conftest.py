"""The fake's tests run a real python-telegram-bot `Bot` on PTB's transport and on the bot's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.telegram.transport import AiohttpRequest
from tests.fake_bot_api.common import TOKEN
from tests.fakes.bot_api import FakeBotApi


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(api: FakeBotApi, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """PTB's own transport and the bot's (bot/telegram/transport.py): the fake must tell them apart in nothing."""
    transport = AiohttpRequest() if request.param == "aiohttp" else None
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, request=transport) as client:
        yield client
