"""Lint, layout and types are part of the test command: ruff check and ruff format over the tree, mypy --strict
over the product."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_ruff_is_clean() -> None:
    done = _run("ruff", "check", "--no-cache", "bot", "handlers", "storage", "locales", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_clean() -> None:
    # One layout for every file, so a diff shows what changed rather than who wrote it.
    done = _run("ruff", "format", "--check", "--no-cache", "bot", "handlers", "storage", "locales", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
