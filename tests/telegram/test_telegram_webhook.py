"""Webhook mode: no start without WEBHOOK_SECRET, and forged updates answered 403 before anything is done.

The end-to-end test runs `python -m bot` as a child process in webhook mode on 127.0.0.1, against the fake
Bot API, and posts to its `/telegram` what an attacker would: an update with no secret header, one with a
wrong secret, then Telegram's own with the right one.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import Application

from bot.settings import Settings, SettingsError, load_settings
from bot.telegram.webhook import WebhookSecret
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import GROUP, TOKEN

ROOT = Path(__file__).resolve().parents[2]
SECRET = "wH8k2-Qz_4pLr9TnVb6yXc1Jm3Gs7Ud0"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
FORGER = 5_550_042_001


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in Settings.model_fields:
        monkeypatch.delenv(key.upper(), raising=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_webhook_without_a_secret_is_refused_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://lapor.example.go.id")
    monkeypatch.setenv("WEBHOOK_SECRET", "")  # the .env.example default
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value).startswith("WEBHOOK_SECRET is missing")
    assert "secrets.token_urlsafe" in str(caught.value)


def test_a_guessable_secret_is_refused_and_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://lapor.example.go.id")
    monkeypatch.setenv("WEBHOOK_SECRET", "rahasia")
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value).startswith("WEBHOOK_SECRET") and "rahasia" not in str(caught.value)


def test_long_polling_needs_no_secret_and_a_good_one_is_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(None).webhook_secret is None
    monkeypatch.setenv("WEBHOOK_URL", "https://lapor.example.go.id")
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    settings = load_settings(None)
    assert settings.webhook_secret is not None and settings.webhook_secret.get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in repr(WebhookSecret(SECRET))


def test_the_run_command_refuses_a_webhook_without_secret_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SUPERVISOR_CHAT_ID": str(GROUP),
        "WEBHOOK_URL": "https://lapor.example.go.id",
        "WEBHOOK_SECRET": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "WEBHOOK_SECRET" in done.stderr
    assert TOKEN not in done.stderr + done.stdout


def test_the_secret_compares_in_constant_time_and_only_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    secret = WebhookSecret(SECRET)
    # PTB writes `token != self.secret_token`: the plain string is on the left.
    assert (SECRET[:-1] + "x") != secret
    assert (SECRET != secret) is False  # noqa: SIM300 - the order PTB writes, under test
    assert secret == SECRET and secret != 42 and hash(secret) == hash(SECRET)
    assert len(compared) == 3 and all(SECRET.encode() in pair for pair in compared)


async def test_ptb_s_own_server_checks_the_header_through_the_constant_time_compare(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    port = _free_port()
    async with FakeBotApi() as api:
        app = Application.builder().token(TOKEN).base_url(api.base_url).build()
        await app.initialize()
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url="https://lapor.example.go.id/telegram",
            secret_token=WebhookSecret(SECRET),
        )
        try:
            update = _update(api, 901)
            url = f"http://127.0.0.1:{port}/telegram"
            async with aiohttp.ClientSession() as session:
                async with session.post(url, json=update, headers={HEADER: "guess"}) as wrong:
                    assert wrong.status == 403
                assert compared == [b"guess"]
                async with session.post(url, json=update, headers={HEADER: SECRET}) as right:
                    assert right.status == 200
            assert (await asyncio.wait_for(app.update_queue.get(), 5)).update_id == update["update_id"]
            assert api.calls_to("setWebhook")[-1].params["secret_token"] == SECRET
        finally:
            await app.updater.stop()
            await app.shutdown()


def _update(api: FakeBotApi, update_id: int) -> dict[str, Any]:
    """A private /start as Telegram would post it (the fake builds it; nothing goes to its getUpdates queue)."""
    return {"update_id": update_id, **api.private_command(FORGER, "start")}


def _rows(db: Path, sql: str) -> list[Any]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


async def test_the_real_bot_in_webhook_mode_answers_forged_updates_403_and_handles_telegram_s(
    tmp_path: Path,
) -> None:
    port = _free_port()
    db = tmp_path / "bot.sqlite3"
    async with FakeBotApi() as api:
        api.add_user(FORGER, "Penyamar", username="penyamar", language_code="id")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "SUPERVISOR_CHAT_ID": str(GROUP),
            "DATABASE_PATH": str(db),
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "WEBHOOK_URL": "https://lapor.example.go.id",
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            "WEBHOOK_SECRET": SECRET,
            "LOG_LEVEL": "DEBUG",
        }
        log = tmp_path / "bot.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=out, stderr=out
            )
        try:
            await api.wait_for(lambda c: c.method == "setWebhook", timeout=30)
            registered = api.calls_to("setWebhook")[-1].params
            assert registered["url"] == "https://lapor.example.go.id/telegram"
            assert registered["secret_token"] == SECRET
            url = f"http://127.0.0.1:{port}/telegram"
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # setWebhook comes just after the server listens
                    try:
                        async with session.get(url):
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                forged = [_update(api, 901), _update(api, 902)]
                for update, headers in zip(forged, ({}, {HEADER: SECRET[:-1] + "A"}), strict=True):
                    async with session.post(url, json=update, headers=headers) as answer:
                        assert answer.status == 403
                await asyncio.sleep(1.0)
                assert api.sent_to(FORGER) == []
                assert _rows(db, "SELECT * FROM processed_updates") == []
                assert _rows(db, "SELECT * FROM reporters") == []
                # Telegram's secret on a body PTB cannot parse: PTB logs it at CRITICAL, payload withheld.
                broken = _update(api, 904)
                del broken["update_id"]
                async with session.post(url, json=broken, headers={HEADER: SECRET}) as answer:
                    assert answer.status == 400
                genuine = _update(api, 903)
                async with session.post(url, json=genuine, headers={HEADER: SECRET}) as answer:
                    assert answer.status == 200
                await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == FORGER, timeout=15)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    output = log.read_text(errors="replace")
    assert SECRET not in output and TOKEN not in output
    assert "Received data was" in output and "<dict withheld>" in output
    assert "Penyamar" not in output and "penyamar" not in output and str(FORGER) not in output
    assert len(_rows(db, "SELECT * FROM reporters")) == 1
