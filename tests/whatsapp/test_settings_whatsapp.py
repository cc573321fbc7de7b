"""WhatsApp settings: off without a token, one clear line for what is missing, secrets never shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
WA_TOKEN = "EAAGsecretWhatsAppToken0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in Settings.model_fields:
        monkeypatch.delenv(key.upper(), raising=False)


def test_whatsapp_is_off_without_a_token() -> None:
    settings = load_settings(ROOT / ".env.example")
    assert not settings.whatsapp_enabled
    settings.require_whatsapp()  # nothing to check


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("WHATSAPP_APP_SECRET", "WHATSAPP_APP_SECRET"),
        ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_PHONE_NUMBER_ID"),
        ("WHATSAPP_VERIFY_TOKEN", "WHATSAPP_VERIFY_TOKEN"),
        ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN"),  # the supervisors' group is on Telegram
    ],
)
def test_a_token_without_what_it_needs_is_refused(monkeypatch: pytest.MonkeyPatch, missing: str, named: str) -> None:
    values = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM,
        "WHATSAPP_TOKEN": WA_TOKEN,
        "WHATSAPP_APP_SECRET": "s3cret",
        "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
        "WHATSAPP_VERIFY_TOKEN": "vt",
    }
    values[missing] = ""
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(None)
    assert settings.whatsapp_enabled
    with pytest.raises(SettingsError) as caught:
        settings.require_whatsapp()
    assert str(caught.value).startswith(named)
    assert WA_TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("WHATSAPP_API_URL", "graph.facebook.com"),
        ("WHATSAPP_TEMPLATE_NOTICE", "Lapor Netral"),
        ("HTTP_PORT", "99999"),
    ],
)
def test_a_wrong_whatsapp_setting_names_its_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value).startswith(key)


def test_the_run_command_refuses_a_token_without_app_secret_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TELEGRAM,
        "SUPERVISOR_CHAT_ID": "-1001234567890",
        "WHATSAPP_TOKEN": WA_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": "1122334455667",
        "WHATSAPP_VERIFY_TOKEN": "vt",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "WHATSAPP_APP_SECRET" in done.stderr
    assert WA_TOKEN not in done.stderr + done.stdout and TELEGRAM not in done.stderr + done.stdout
