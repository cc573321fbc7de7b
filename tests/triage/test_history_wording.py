"""The history reads without saying a thing twice (the text review, issue 12 item 13)."""

from __future__ import annotations

from pathlib import Path

from handlers.triage.machine import Action, ForwardTarget
from storage.models import ReportState
from tests.triage.helpers import ALICE, add_report, open_store, service_for


async def test_a_move_whose_state_reads_like_its_action_shows_no_arrow(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store, address="1")
        await service.move(report.id, Action.CLAIM, ReportState.BARU, ALICE)
        await service.move(report.id, Action.VERIFY, ReportState.DIPROSES, ALICE)
        await service.move(report.id, Action.FORWARD, ReportState.TERVERIFIKASI, ALICE, target=ForwardTarget.BKN)
        history = "\n".join(await service.history(report))
    assert "Diteruskan → Diteruskan" not in history and "<b>Diteruskan</b> — Alice" in history
    assert "<b>Diverifikasi</b> → Terverifikasi" in history  # a different word still shows the state
    assert "<b>Diambil</b> → Diproses" in history
