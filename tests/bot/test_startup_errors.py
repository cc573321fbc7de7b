"""Start-up problems end in one line of our own words naming the key (exit 2), never a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import SettingsError, check_paths, load_settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQrr"


def start_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "SUPERVISOR_CHAT_ID": "-1001234567890",
        "DATABASE_PATH": str(tmp_path / "data" / "db.sqlite3"),
        "EVIDENCE_DIR": str(tmp_path / "data" / "evidence"),
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        **extra,
    }


def one_line_failure(tmp_path: Path, **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=start_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "pydantic" not in done.stderr and "Input should" not in done.stderr  # our words, not pydantic's
    assert TOKEN not in done.stderr + done.stdout
    return lines[0]


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("LOG_LEVEL", "verbose", "must be one of DEBUG, INFO"),
        ("SUPERVISOR_CHAT_ID", "5", "negative"),
        ("MAX_PHOTOS", "abc", "whole number"),
        ("MAX_PHOTOS", "50", "at most 10"),
        ("SUMMARY_TIME", "25:99", "time of day"),
        ("REGION_FILE", "/nonexistent/regions.json", "no readable file"),
    ],
)
def test_a_wrong_value_is_one_line_naming_its_key(tmp_path: Path, key: str, value: str, said: str) -> None:
    line = one_line_failure(tmp_path, **{key: value})
    assert key in line and said in line


def test_a_region_file_that_is_not_a_catalog(tmp_path: Path) -> None:
    (tmp_path / "notjson.json").write_text("hello")
    assert "REGION_FILE" in one_line_failure(tmp_path, REGION_FILE=str(tmp_path / "notjson.json"))
    (tmp_path / "partial.json").write_text('{"province": "Jawa Tengah"}')
    line = one_line_failure(tmp_path, REGION_FILE=str(tmp_path / "partial.json"))
    assert "REGION_FILE" in line and "groups" in line


def test_a_database_path_under_a_file_or_naming_a_folder(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    line = one_line_failure(tmp_path, DATABASE_PATH=str(tmp_path / "afile" / "db.sqlite3"))
    assert "DATABASE_PATH" in line and "in the way" in line
    line = one_line_failure(tmp_path, DATABASE_PATH=str(tmp_path))
    assert "DATABASE_PATH" in line and "folder" in line


def test_a_missing_parent_folder_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "new" / "deeper" / "db.sqlite3"))
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "ev"))
    check_paths(load_settings(None))
    assert (tmp_path / "new" / "deeper").is_dir() and (tmp_path / "ev").is_dir()


def test_an_unwritable_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As root (CI) every folder is writable, so the refusal of the OS is simulated for the one folder.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and real_access(p, mode))
    monkeypatch.setenv("DATABASE_PATH", str(locked / "db.sqlite3"))
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "ev"))
    with pytest.raises(SettingsError, match=r"DATABASE_PATH: the folder .* is not writable"):
        check_paths(load_settings(None))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on leaving: connections are refused there


def test_no_network_at_start_says_so_and_keeps_trying(tmp_path: Path) -> None:
    env = start_env(tmp_path, TELEGRAM_API_URL=f"http://127.0.0.1:{closed_port()}")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        while sum("cannot be reached" in line for line in lines) < 2 and time.monotonic() < deadline:
            lines.append(process.stderr.readline())
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    output = "".join(lines) + rest
    attempts = [line for line in output.splitlines() if "cannot be reached" in line]
    assert len(attempts) >= 2 and "retrying in 1 s" in attempts[0] and "retrying in 2 s" in attempts[1]
    assert "Traceback" not in output and "Unclosed" not in output and "Cannot connect" not in output
    assert process.returncode in (0, -signal.SIGINT)
