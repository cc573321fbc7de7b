"""The referrals in the daily summary, counted from hand-offs recorded the way supervisors record them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from openpyxl import load_workbook

from handlers.handoff.referral import ReferralOutcome, parse_outcome
from handlers.summary.figures import plain_text
from handlers.summary.referrals import WINDOW_DAYS
from handlers.summary.service import SummaryConfig, SummaryService
from handlers.triage.machine import Action, ForwardTarget
from handlers.triage.service import MoveResult, TriageService
from storage.models import Report, ReportState
from storage.store import Store
from storage.triage import GroupScope
from tests.triage.helpers import ALICE, REGIONS, TZ, add_report, open_store

DAY = date(2023, 11, 20)  # the summary's day (Monday); its window is 14–20 November
AS_OF = datetime.combine(DAY + timedelta(days=1), time(7), TZ)  # read the next morning at 07.00 WIB
OVERDUE_DAYS = 30


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


async def forward(store: Store, clock: Clock, report: Report, target: ForwardTarget, at: datetime) -> TriageService:
    clock.now = at
    service = TriageService(store, REGIONS, "id", TZ, clock=clock)
    steps = (
        (Action.CLAIM, ReportState.BARU, None),
        (Action.VERIFY, ReportState.DIPROSES, None),
        (Action.FORWARD, ReportState.TERVERIFIKASI, target),
    )
    for action, state, chosen in steps:
        assert (await service.move(report.id, action, state, ALICE, target=chosen)).result is MoveResult.DONE
    return service


async def seeded(store: Store) -> dict[str, Report]:
    """Six hand-offs over two months, with references and outcomes at known moments."""
    clock = Clock(local(DAY))
    made: dict[str, Report] = {}
    plan = [
        # name, target, forwarded on, reference on, outcome (on, text)
        ("bawaslu_new", ForwardTarget.BAWASLU, DAY - timedelta(days=1), DAY, None),
        (
            "bawaslu_decided",
            ForwardTarget.BAWASLU,
            DAY - timedelta(days=5),
            DAY - timedelta(days=4),
            (DAY, "tidak terbukti"),
        ),
        ("bkn_week", ForwardTarget.BKN, DAY - timedelta(days=6), None, None),
        ("agency_before", ForwardTarget.AGENCY, DAY - timedelta(days=7), None, None),  # a day before the window
        ("sp4n_overdue", ForwardTarget.SP4N_LAPOR, DAY - timedelta(days=40), DAY - timedelta(days=38), None),
        (
            "bkn_old_decided",
            ForwardTarget.BKN,
            DAY - timedelta(days=45),
            None,
            (DAY - timedelta(days=2), "terbukti sanksi teguran"),
        ),
        ("bawaslu_overdue", ForwardTarget.BAWASLU, DAY - timedelta(days=35), None, None),
    ]
    for number, (name, target, on, reference_on, outcome) in enumerate(plan):
        report = await add_report(store, address=str(6000 + number), now=local(on, 8))
        service = await forward(store, clock, report, target, local(on))
        if reference_on is not None:
            clock.now = local(reference_on, 11)
            assert (await service.record_referral(report.id, ALICE, reference=f"00{number}/LP/XI/2023")).result is (
                MoveResult.DONE
            )
        if outcome is not None:
            clock.now = local(outcome[0], 12)
            entry = parse_outcome(outcome[1])
            assert (await service.record_referral(report.id, ALICE, outcome=entry)).result is MoveResult.DONE
        made[name] = report
    # After the snapshot: an outcome logged the next afternoon must not count in this morning's figures.
    clock.now = AS_OF + timedelta(hours=6)
    service = TriageService(store, REGIONS, "id", TZ, clock=clock)
    assert (
        await service.record_referral(made["bawaslu_overdue"].id, ALICE, outcome=parse_outcome("dihentikan"))
    ).result is MoveResult.DONE
    return made


def summary_service(store: Store, locale: str = "id") -> SummaryService:
    config = SummaryConfig(locale=locale, tz=TZ, summary_time=time(7), referral_overdue_days=OVERDUE_DAYS)
    return SummaryService(store.summary, REGIONS, config, clock=Clock(AS_OF))


async def test_the_referral_figures_count_what_was_recorded(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        made = await seeded(store)
        figures = await summary_service(store).figures(DAY, AS_OF)
    referrals = figures.referrals
    assert referrals is not None
    assert referrals.first_day == DAY - timedelta(days=WINDOW_DAYS - 1)
    # Forwarded within 14–20 November: two to Bawaslu, one to BKN; the agency's on the 13th is outside.
    assert referrals.forwarded == {
        ForwardTarget.BAWASLU: 2,
        ForwardTarget.BKN: 1,
        ForwardTarget.AGENCY: 0,
        ForwardTarget.SP4N_LAPOR: 0,
    }
    assert referrals.references == 2  # the 16th and the 20th; the one of 13 October is long before
    assert referrals.outcomes[ReferralOutcome.NOT_PROVEN] == 1
    assert referrals.outcomes[ReferralOutcome.PROVEN_SANCTION] == 1
    assert referrals.outcomes_total == 2  # the stop recorded after the snapshot is not among them
    # More than 30 days after Teruskan without an outcome as of the snapshot: SP4N-LAPOR!'s and Bawaslu's.
    assert referrals.overdue_count == 2
    assert [item.code for item in referrals.overdue] == [made["sp4n_overdue"].code, made["bawaslu_overdue"].code]
    oldest, newer = referrals.overdue  # the longest waiting first
    assert (oldest.target, oldest.referenced, oldest.days) == (ForwardTarget.SP4N_LAPOR, True, 40)
    assert (newer.target, newer.referenced, newer.forwarded_on) == (
        ForwardTarget.BAWASLU,
        False,
        DAY - timedelta(days=35),
    )


async def test_the_text_and_the_sheet_show_the_referrals_in_both_languages(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        made = await seeded(store)
        indonesian = await summary_service(store).compose(DAY)
        english = await summary_service(store, "en").compose(DAY)
    text = plain_text(indonesian.text)
    assert "Rujukan 14 Nov 2023 – 20 Nov 2023" in text
    assert "Diteruskan: 3 laporan (Bawaslu: 2; Satgas Netralitas BKN: 1)" in text
    assert "Nomor rujukan dicatat: 2 laporan" in text
    assert "Hasil diterima: 2 laporan (terbukti, sanksi dijatuhkan: 1; tidak terbukti: 1)" in text
    assert "Belum ada hasil setelah 30 hari: 2 laporan" in text
    assert f"{made['sp4n_overdue'].code} · Kab. Klaten · SP4N-LAPOR! · diteruskan 11 Okt 2023 (40 hari lalu)" in text
    assert "sudah bernomor rujukan" in text and "belum bernomor rujukan" in text
    text_en = plain_text(english.text)
    assert "Forwarded: 3 reports (Bawaslu: 2; BKN's Neutrality Task Force: 1)" in text_en
    assert "Outcomes received: 2 reports" in text_en and "No outcome after 30 days: 2 reports" in text_en

    assert indonesian.sheet is not None
    workbook = load_workbook(io.BytesIO(indonesian.sheet))
    assert workbook.sheetnames[-1] == "Rujukan"
    rows = list(workbook["Rujukan"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Kode", "Kabupaten/kota", "Diteruskan ke")
    by_code = {row[0]: row for row in rows[1:]}
    # The window's three forwards and the two overdue ones; not the agency's (outside, no outcome due yet)
    # and not the old decided one.
    assert set(by_code) == {
        made[name].code for name in ("bawaslu_new", "bawaslu_decided", "bkn_week", "sp4n_overdue", "bawaslu_overdue")
    }
    decided = by_code[made["bawaslu_decided"].code]
    assert decided[2] == "Bawaslu" and decided[5] == "001/LP/XI/2023" and decided[6] == "tidak terbukti"
    assert decided[8] is None
    overdue = by_code[made["sp4n_overdue"].code]
    assert overdue[4] == 40 and overdue[5] == "004/LP/XI/2023" and overdue[6] is None and overdue[8] == "ya"


async def test_a_day_without_any_referral_says_nothing_of_them(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        await add_report(store, now=local(DAY))
        rendered = await summary_service(store).compose(DAY)
    assert "Rujukan" not in rendered.text
    assert rendered.sheet is not None
    assert "Rujukan" not in load_workbook(io.BytesIO(rendered.sheet)).sheetnames


async def test_a_groups_share_counts_only_its_referrals(tmp_path: Path) -> None:
    """The Mini App's dashboard of a regional group: the same referral figures, over its share only."""
    async with open_store(tmp_path) as store:
        await seeded(store)  # every one in Klaten
        brebes = await add_report(store, address="6100", region="kab-brebes", now=local(DAY - timedelta(days=2), 8))
        await forward(store, Clock(local(DAY)), brebes, ForwardTarget.BKN, local(DAY - timedelta(days=2)))
        service = summary_service(store)
        province = (await service.figures(DAY, AS_OF)).referrals
        solo = GroupScope(chat_id=-1007770000002, region_ids=("kab-brebes",))
        share = (await service.figures(DAY, AS_OF, scopes=(solo,))).referrals
        klaten = GroupScope(chat_id=-1007770000003, region_ids=("kab-klaten",))
        others = (await service.figures(DAY, AS_OF, scopes=(klaten,))).referrals
    assert province is not None and share is not None and others is not None
    assert province.forwarded_total == 4 and province.forwarded[ForwardTarget.BKN] == 2
    assert share.forwarded == {
        ForwardTarget.BAWASLU: 0,
        ForwardTarget.BKN: 1,
        ForwardTarget.AGENCY: 0,
        ForwardTarget.SP4N_LAPOR: 0,
    }
    assert (share.references, share.outcomes_total, share.overdue_count, share.overdue) == (0, 0, 0, ())
    assert others.forwarded_total == 3 and others.outcomes_total == 2 and others.overdue_count == 2
