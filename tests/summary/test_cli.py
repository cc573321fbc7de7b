"""`python -m bot summary --date …`: the text on stdout, the chart and the spreadsheet in files, no Telegram."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from handlers.common.regions import default_catalog
from storage.db import Database
from tests.summary.seed import DAY, created_on, insert_seeds, make_seeds

ROOT = Path(__file__).resolve().parents[2]


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "SUMMARY_", "DATABASE_", "SUPERVISOR_"))
    }
    env |= {"PYTHONPATH": str(ROOT), "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "summary", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_prints_the_text_and_writes_both_files(tmp_path: Path) -> None:
    seeds = make_seeds(default_catalog())
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await insert_seeds(db, seeds)
    finally:
        await db.close()
    out = tmp_path / "out"
    done = run_cli(tmp_path, "--date", DAY.isoformat(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Ringkasan harian Lapor Netral" in done.stdout and "Rabu, 10 Januari 2024" in done.stdout
    assert "<b>" not in done.stdout  # plain text for a terminal
    assert f"Laporan baru: {len(created_on(seeds, DAY))}" in done.stdout
    with Image.open(out / "ringkasan-2024-01-10.png") as image:
        assert image.format == "PNG" and image.width >= 800
    workbook = load_workbook(io.BytesIO((out / "ringkasan-2024-01-10.xlsx").read_bytes()))
    assert workbook["Laporan"].max_row == len(created_on(seeds, DAY)) + 1


def test_cli_refuses_a_missing_database_and_a_bad_date(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "--date", "2024-01-10")
    assert done.returncode == 2 and "No database" in done.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # a typo in DATABASE_PATH must not create an empty one
    done = run_cli(tmp_path, "--date", "10/01/2024")
    assert done.returncode == 2 and "--date" in done.stderr


async def test_cli_reads_another_database_such_as_the_demos(tmp_path: Path) -> None:
    seeds = make_seeds(default_catalog())
    demo = tmp_path / "data" / "demo.sqlite3"
    demo.parent.mkdir()
    db = await Database.open(demo)
    try:
        await insert_seeds(db, seeds)
    finally:
        await db.close()
    done = run_cli(tmp_path, "--date", DAY.isoformat(), "--out", str(tmp_path / "out"), "--database", str(demo))
    assert done.returncode == 0, done.stderr
    assert f"{len(created_on(seeds, DAY))} laporan" in done.stdout or str(len(created_on(seeds, DAY))) in done.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # DATABASE_PATH was left alone
