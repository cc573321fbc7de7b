"""The fake Bot API against the real python-telegram-bot. Files: registered files download; a download can be failed."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from tests.fake_bot_api.common import TOKEN
from tests.fakes.bot_api import (
    FakeBotApi,
    ServerError,
)


async def test_download_registered_file(bot: Bot, api: FakeBotApi) -> None:
    data = b"%PDF-1.7 laporan" * 100
    file_id = api.add_file(data, file_name="laporan.pdf")

    tg_file = await bot.get_file(file_id)
    assert tg_file.file_size == len(data)
    assert tg_file.file_path is not None
    assert tg_file.file_path.startswith(f"{api.base_file_url}{TOKEN}/")
    assert bytes(await tg_file.download_as_bytearray()) == data

    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_download_fault(bot: Bot, api: FakeBotApi) -> None:
    tg_file = await bot.get_file(api.add_file(b"abc"))
    api.fail("download", times=1, mode=ServerError(503, "Service Unavailable"))
    with pytest.raises(NetworkError):
        await tg_file.download_as_bytearray()
    assert bytes(await tg_file.download_as_bytearray()) == b"abc"
