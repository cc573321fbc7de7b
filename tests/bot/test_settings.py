"""Settings: one clear line naming a wrong key, and a token that never shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (
        "TELEGRAM_BOT_TOKEN",
        "SUPERVISOR_CHAT_ID",
        "DEFAULT_LOCALE",
        "TIMEZONE",
        "WEBHOOK_URL",
        "REGION_FILE",
        "SUMMARY_TIME",
    ):
        monkeypatch.delenv(key, raising=False)


def test_example_file_documents_every_setting() -> None:
    from bot.settings import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    assert documented == {name.upper() for name in Settings.model_fields}


def test_example_file_loads_as_is(tmp_path: Path) -> None:
    settings = load_settings(ROOT / ".env.example")
    assert settings.telegram_bot_token is None and settings.region_file is None
    assert settings.summary_time.hour == 7


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token-" + TOKEN[-20:], "TELEGRAM_BOT_TOKEN"),
        ("DEFAULT_LOCALE", "fr", "DEFAULT_LOCALE"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("WEBHOOK_URL", "http://insecure.example", "WEBHOOK_URL"),
        ("SUPERVISOR_CHAT_ID", "grup", "SUPERVISOR_CHAT_ID"),
    ],
)
def test_a_wrong_setting_names_its_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str, named: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value).startswith(named)
    assert value not in str(caught.value)


def test_token_without_group_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings(None)
    assert TOKEN not in repr(settings)
    with pytest.raises(SettingsError, match="SUPERVISOR_CHAT_ID"):
        settings.require_telegram()


def test_the_run_command_stops_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": TOKEN, "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "SUPERVISOR_CHAT_ID" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
