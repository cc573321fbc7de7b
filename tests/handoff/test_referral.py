"""The referral after Teruskan: reference numbers and outcomes parsed, recorded, shown and told."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.handoff.referral import ReferralError, ReferralOutcome, parse_outcome, parse_reference
from handlers.triage.machine import Action, ForwardTarget
from handlers.triage.service import MoveResult
from storage.models import ReportState
from tests.triage.helpers import ALICE, add_report, open_store, outbox, service_for


@pytest.mark.parametrize(
    ("typed", "outcome", "note"),
    [
        ("terbukti sanksi teguran tertulis", ReferralOutcome.PROVEN_SANCTION, "teguran tertulis"),
        ("Tidak terbukti", ReferralOutcome.NOT_PROVEN, None),
        ("terbukti", ReferralOutcome.PROVEN, None),
        ("dihentikan — dicabut pelapor", ReferralOutcome.STOPPED, "dicabut pelapor"),
        ("not proven", ReferralOutcome.NOT_PROVEN, None),
    ],
)
def test_outcomes_as_supervisors_type_them(typed: str, outcome: ReferralOutcome, note: str | None) -> None:
    entry = parse_outcome(typed)
    assert (entry.outcome, entry.note) == (outcome, note)


@pytest.mark.parametrize("typed", ["mungkin", "", "terbuktilah"])
def test_an_unknown_outcome_is_refused(typed: str) -> None:
    with pytest.raises(ReferralError):
        parse_outcome(typed)


def test_reference_numbers() -> None:
    assert parse_reference("  001/LP/PL/Kab/14.10/XI/2023 ") == "001/LP/PL/Kab/14.10/XI/2023"
    for bad in ("<b>x</b>", "", "x" * 81, "; DROP TABLE"):
        with pytest.raises(ReferralError):
            parse_reference(bad)


async def test_recorded_only_after_forwarding_and_shown_and_told(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        early = await service.record_referral(report.id, ALICE, reference="001/LP")
        assert early.result is MoveResult.ILLEGAL
        for action, state in ((Action.CLAIM, ReportState.BARU), (Action.VERIFY, ReportState.DIPROSES)):
            assert (await service.move(report.id, action, state, ALICE)).result is MoveResult.DONE
        forwarded = await service.move(
            report.id, Action.FORWARD, ReportState.TERVERIFIKASI, ALICE, target=ForwardTarget.BAWASLU
        )
        assert forwarded.result is MoveResult.DONE
        assert (
            await service.record_referral(report.id, ALICE, reference="001/LP/PL/XI/2023")
        ).result is MoveResult.DONE
        outcome = parse_outcome("terbukti sanksi teguran tertulis")
        assert (await service.record_referral(report.id, ALICE, outcome=outcome)).result is MoveResult.DONE
        moved = await store.reports.get(report.id)
        assert moved is not None and moved.state is ReportState.DITERUSKAN  # a record, not a move
        card = (await service.card(moved)).text
        history = "\n".join(await service.history(moved))
    assert "Nomor rujukan:</b> 001/LP/PL/XI/2023" in card
    assert "terbukti, sanksi dijatuhkan — teguran tertulis" in card
    assert "Nomor rujukan dicatat" in history and "Hasil rujukan dicatat" in history
    notices = [n["key"] for n in outbox(tmp_path / "db.sqlite3", "notify_reporter")]
    assert notices[-2:] == ["triage.notice_referral", "triage.notice_outcome"]
