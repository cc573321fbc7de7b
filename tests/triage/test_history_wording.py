"""The history reads without saying a thing twice (the text review, issue 12 item 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from handlers.triage.card import note_text
from handlers.triage.machine import Action, ForwardTarget
from storage.models import Event, ReportState
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


def _rejected(detail: str, note: str | None) -> Event:
    return Event(
        id=1,
        report_id=1,
        at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        actor="7001",
        actor_name="Alice",
        action=Action.REJECT,
        from_state=ReportState.BARU,
        to_state=ReportState.DITOLAK,
        note=note,
        detail=detail,
    )


def test_a_duplicate_names_the_report_it_repeats_and_other_reasons_stay_as_they_were() -> None:
    # The Mini App's bulk "reject as duplicate of" keeps the original's code in the note: the card shows it.
    assert note_text(_rejected("reason:duplicate", "LN-7F3K9Q"), "id") == "Alasan: Laporan ganda (LN-7F3K9Q)"
    assert note_text(_rejected("reason:duplicate", "<b>x</b>"), "id") == "Alasan: Laporan ganda (&lt;b&gt;x&lt;/b&gt;)"
    assert note_text(_rejected("reason:duplicate", None), "id") == "Alasan: Laporan ganda"
    assert note_text(_rejected("reason:spam", "LN-7F3K9Q"), "id") == "Alasan: Spam / tidak serius"
    assert note_text(_rejected("reason:nonsense", None), "id") is None
