"""The terminal demo prints the very card the supervisors' group receives, buttons included."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Tuning, open_services
from bot.demo import console_group, plain
from bot.settings import load_settings
from storage.models import OutboxItem
from tests.triage.helpers import add_report


async def test_the_demo_prints_the_groups_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "demo.sqlite3"))
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    services = await open_services(load_settings(None), Tuning())
    try:
        deliver = console_group(services)
        report = await add_report(services.store)
        await deliver(
            OutboxItem(id=1, kind="forward_report", payload={"report_id": report.id}, attempts=0, progress={})
        )
        group_card = await services.triage.card(report)
    finally:
        await services.close()
    printed = capsys.readouterr().out
    assert plain(group_card.text) in printed
    assert "Syarat Bawaslu" in printed and "[🙋 Ambil]" in printed  # the triage part the group reads too
