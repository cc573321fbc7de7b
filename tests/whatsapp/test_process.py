"""`python -m bot` with both channels configured: one process serves Telegram and WhatsApp."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp

from tests.fakes.bot_api import FakeBotApi
from tests.whatsapp.fake_graph import PHONE_ID, TOKEN, FakeGraphApi
from tests.whatsapp.harness import (
    APP_SECRET,
    GROUP,
    TELEGRAM_TOKEN,
    VERIFY_TOKEN,
    free_port,
    message_payload,
    post,
    sign,
)

ROOT = Path(__file__).resolve().parents[2]


async def _wait_until_listening(port: int, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"http://127.0.0.1:{port}/whatsapp",
                    params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
                ) as response,
            ):
                assert (response.status, await response.text()) == (200, "42")
                return
        except aiohttp.ClientConnectionError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_one_process_serves_telegram_and_whatsapp(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_URL": api.url,
        "SUPERVISOR_CHAT_ID": str(GROUP),
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "WHATSAPP_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": graph.url,
        "HTTP_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_until_listening(port)
        body = json.dumps(
            message_payload("text_message", "6281234509999", 1_732_000_000, text={"body": "/bantuan"})
        ).encode()
        assert (await post(port, body, {"X-Hub-Signature-256": sign(body)}))[0] == 200
        [reply] = await graph.wait_for(1, "6281234509999", timeout=15)
        assert "Bantuan" in reply.text
        await api.wait_for(lambda c: c.method == "getUpdates", timeout=15)  # Telegram polls meanwhile
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log and "6281234509999" not in log
    assert TOKEN not in log and APP_SECRET not in log
