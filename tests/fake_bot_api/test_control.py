"""The fake Bot API against the real python-telegram-bot: the standalone process and its JSON control API."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot
from telegram.error import RetryAfter as PtbRetryAfter

from tests.fake_bot_api.common import TOKEN, USER, _image
from tests.fakes.bot_api import (
    RetryAfter,
    fault_to_json,
)


async def test_standalone_process_with_control_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB's RetryAfter warns otherwise
    root = Path(__file__).resolve().parents[2]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.bot_api", "--port", "0",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        url = match.group(0)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/_control/build/private_text", json={"user_id": USER, "text": "hai"}) as r:
                pushed = await r.json()
            async with http.post(f"{url}/_control/file?file_name=a.png", data=_image("PNG", "red")) as r:
                file_id = (await r.json())["file_id"]
            mode = fault_to_json(RetryAfter(3))
            async with http.post(f"{url}/_control/fail", json={"method": "sendMessage", "mode": mode}) as r:
                assert r.status == 200

            async with Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot") as bot:
                updates = await bot.get_updates(timeout=0)
                assert [u.update_id for u in updates] == [pushed["update_id"]]
                with pytest.raises(PtbRetryAfter):
                    await bot.send_message(USER, "x")
                await bot.send_message(USER, "y")
                assert await (await bot.get_file(file_id)).download_as_bytearray()

            async with http.get(f"{url}/_control/wait", params={"method": "sendMessage", "timeout": "2"}) as r:
                assert (await r.json())["ok"] is True
            async with http.get(f"{url}/_control/calls", params={"method": "sendMessage"}) as r:
                calls = await r.json()
            assert [c["params"]["text"] for c in calls] == ["y"]
            async with http.get(f"{url}/_control/calls", params={"failed": "1"}) as r:
                failed = await r.json()
            assert failed[0]["fault"] == {"type": "retry_after", "seconds": 3}
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0
