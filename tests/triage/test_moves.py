"""Moves as transactions against real SQLite: the event, the notice, the card edit, and concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from handlers.common.notices import render_notice
from handlers.common.owed import EDIT_CARD, GROUP_POST, NOTIFY_REPORTER
from handlers.triage.machine import Action, ForwardTarget, RejectReason
from handlers.triage.service import MoveResult
from storage.models import ReportState as S
from tests.triage.helpers import ALICE, BOB, NOW, add_report, open_store, outbox, rows, service_for


async def test_a_report_through_its_whole_life(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        steps = [
            (Action.CLAIM, S.BARU, {}, S.DIPROSES),
            (Action.REQUEST_INFO, S.DIPROSES, {"note": "Kapan tepatnya <acara> itu?"}, S.BUTUH_INFO),
            (Action.REQUEST_INFO, S.BUTUH_INFO, {"note": "Ada foto lain?"}, S.BUTUH_INFO),
            (Action.VERIFY, S.BUTUH_INFO, {}, S.TERVERIFIKASI),
            (Action.FORWARD, S.TERVERIFIKASI, {"target": ForwardTarget.BAWASLU}, S.DITERUSKAN),
            (Action.CLOSE, S.DITERUSKAN, {}, S.SELESAI),
            (Action.REOPEN, S.SELESAI, {}, S.DIPROSES),
            (Action.REJECT, S.DIPROSES, {"reason": RejectReason.DUPLICATE}, S.DITOLAK),
            (Action.REOPEN, S.DITOLAK, {}, S.DIPROSES),
            (Action.VERIFY, S.DIPROSES, {}, S.TERVERIFIKASI),
            (Action.CLOSE, S.TERVERIFIKASI, {}, S.SELESAI),
        ]
        for action, expected, extra, to_state in steps:
            outcome = await service.move(report.id, action, expected, ALICE, **extra)  # type: ignore[arg-type]
            assert outcome.result is MoveResult.DONE, (action, expected)
            assert outcome.report is not None and outcome.report.state is to_state
    events = rows(db, "SELECT actor, actor_name, action, from_state, to_state, note, detail FROM events ORDER BY id")
    assert events[0] == ("reporter", None, "created", None, "baru", None, None)
    assert [e[2:5] for e in events[1:]] == [(a.value, e.value, t.value) for a, e, _, t in steps]
    assert {e[:2] for e in events[1:]} == {("supervisor:9101", "Alice Pengawas")}
    assert events[2][5] == "Kapan tepatnya <acara> itu?"
    assert events[5][6] == "target:bawaslu" and events[8][6] == "reason:duplicate"
    notices = outbox(db, NOTIFY_REPORTER)
    assert [n["key"] for n in notices] == [
        "triage.notice_claimed",
        "triage.notice_question",
        "triage.notice_question",
        "triage.notice_verified",
        "triage.notice_forwarded",
        "triage.notice_closed",
        "triage.notice_reopened",
        "triage.notice_rejected",
        "triage.notice_reopened",
        "triage.notice_verified",
        "triage.notice_closed",
    ]
    # The reporter is never told who: no supervisor name or id in anything owed to them.
    for notice in notices:
        assert "Alice" not in str(notice) and "9101" not in str(notice)
    question = render_notice(notices[1], "en")
    assert "Kapan tepatnya &lt;acara&gt; itu?" in question.text and report.code in question.text
    assert [b.data for row in question.buttons for b in row] == [f"ans:{report.id}"]
    assert "BKN" not in render_notice(notices[4], "id").text and "Bawaslu" in render_notice(notices[4], "id").text
    assert "Laporan ganda" in render_notice(notices[7], "id").text
    assert "Duplicate report" in render_notice(notices[7], "en").text
    edits = outbox(db, EDIT_CARD)
    assert len(edits) == len(steps) and all(e["report_id"] == report.id for e in edits)
    dedupe = rows(db, "SELECT dedupe_key FROM outbox WHERE kind = ? ORDER BY id", (NOTIFY_REPORTER,))
    assert len(set(dedupe)) == len(dedupe)


@pytest.mark.parametrize(
    ("action", "expected", "result"),
    [
        (Action.CLAIM, S.DIPROSES, MoveResult.ILLEGAL),  # claim from diproses is not in the table
        (Action.FORWARD, S.BARU, MoveResult.ILLEGAL),
        (Action.REOPEN, S.BARU, MoveResult.ILLEGAL),
        (Action.VERIFY, S.DIPROSES, MoveResult.CHANGED),  # a legal move, but the report is still baru
        (Action.REJECT, S.BARU, MoveResult.INVALID),  # no reason given
    ],
)
async def test_refused_moves_change_nothing(tmp_path: Path, action: Action, expected: S, result: MoveResult) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        outcome = await service.move(report.id, action, expected, ALICE)
        assert outcome.result is result
        assert (await store.reports.get(report.id)).state is S.BARU  # type: ignore[union-attr]
        assert (await service.move(999, Action.CLAIM, S.BARU, ALICE)).result is MoveResult.UNKNOWN
    assert rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM events") == [(1,)]
    assert rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM outbox WHERE kind != 'forward_report'") == [(0,)]


async def test_forward_needs_a_target_and_a_question_needs_text(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        assert (await service.move(report.id, Action.CLAIM, S.BARU, ALICE)).result is MoveResult.DONE
        assert (await service.move(report.id, Action.REQUEST_INFO, S.DIPROSES, ALICE)).result is MoveResult.INVALID
        assert (await service.move(report.id, Action.VERIFY, S.DIPROSES, ALICE)).result is MoveResult.DONE
        assert (await service.move(report.id, Action.FORWARD, S.TERVERIFIKASI, ALICE)).result is MoveResult.INVALID
        typed = await service.move(report.id, Action.REJECT, S.TERVERIFIKASI, BOB, note="Terlapor <b>honorer</b>")
        assert typed.result is MoveResult.DONE
    notice = outbox(tmp_path / "db.sqlite3", NOTIFY_REPORTER)[-1]
    assert "Terlapor &lt;b&gt;honorer&lt;/b&gt;" in render_notice(notice, "id").text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((Action.CLAIM, {}), (Action.CLAIM, {})),
        ((Action.CLAIM, {}), (Action.REJECT, {"reason": RejectReason.SPAM})),
    ],
)
async def test_two_supervisors_at_once_make_exactly_one_move(
    tmp_path: Path,
    first: tuple[Action, dict[str, object]],
    second: tuple[Action, dict[str, object]],
) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        outcomes = await asyncio.gather(
            service.move(report.id, first[0], S.BARU, ALICE, **first[1]),  # type: ignore[arg-type]
            service.move(report.id, second[0], S.BARU, BOB, **second[1]),  # type: ignore[arg-type]
        )
        results = sorted(o.result for o in outcomes)
        assert results == sorted([MoveResult.DONE, MoveResult.CHANGED])
    db = tmp_path / "db.sqlite3"
    assert rows(db, "SELECT COUNT(*) FROM events WHERE action != 'created'") == [(1,)]
    assert len(outbox(db, NOTIFY_REPORTER)) == 1 and len(outbox(db, EDIT_CARD)) == 1


async def test_many_concurrent_presses_still_one_move(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        outcomes = await asyncio.gather(*(service.move(report.id, Action.CLAIM, S.BARU, ALICE) for _ in range(12)))
        assert [o.result for o in outcomes].count(MoveResult.DONE) == 1


async def test_events_stay_append_only_with_the_new_columns(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store)
        await service.move(report.id, Action.CLAIM, S.BARU, ALICE)
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE events SET actor_name = 'Mallory'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM events")


async def test_a_long_reminder_lists_what_fits_then_says_how_many_more(tmp_path: Path) -> None:
    today = date(2023, 11, 20)
    async with open_store(tmp_path) as store:
        service = service_for(store)
        for n in range(83):
            await add_report(
                store,
                address=str(1000 + n),
                subject=f"Terlapor dengan nama yang panjang {n}",
                incident=today - timedelta(days=5 + n % 3),
            )
        text = await service.reminder_text(today)
    assert text is not None and len(text) <= 4096
    assert "83 laporan" in text
    listed = text.count("\n") - 1  # the header's line and the closing line are not items
    more = int(text.rsplit("… dan ", 1)[1].split(" ", 1)[0])
    assert listed + more == 83 and more > 0 and text.rstrip().endswith("/antrian")


async def test_the_morning_reminder_lists_what_closes_within_two_days(tmp_path: Path) -> None:
    today = date(2023, 11, 20)
    async with open_store(tmp_path) as store:
        service = service_for(store)
        codes = {}
        for days_ago in (4, 5, 6, 7, 8):
            report = await add_report(
                store, address=str(days_ago), subject=f"Terlapor {days_ago}", incident=today - timedelta(days=days_ago)
            )
            codes[days_ago] = report.code
        claimed = await add_report(store, address="99", subject="Sudah diambil", incident=today - timedelta(days=6))
        await service.move(claimed.id, Action.CLAIM, S.BARU, ALICE)
        text = await service.reminder_text(today)
        assert text is not None
        listed = [days for days, code in codes.items() if code in text]
        assert listed == [5, 6, 7]  # 2, 1 and 0 days left; 3 left is not yet, -1 is already past
        assert claimed.code not in text and "batasnya <b>hari ini</b>" in text and "sisa 0 hari" not in text
        assert await service.enqueue_reminder(today)
        assert await service.enqueue_reminder(today)  # the job ran twice (a restart): still one post
        assert await service.reminder_text(today + timedelta(days=30)) is None
    posts = rows(tmp_path / "db.sqlite3", "SELECT dedupe_key FROM outbox WHERE kind = ?", (GROUP_POST,))
    assert posts == [("reminder:2023-11-20",)]


async def test_the_queue_is_paged_oldest_first(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        made = [
            await add_report(store, address=str(i), subject=f"Orang {i}", now=NOW + timedelta(minutes=i))
            for i in range(23)
        ]
        first = await service.queue(0)
        assert (first.page, first.pages, first.total) == (0, 3, 23)
        assert first.text.index(made[0].code) < first.text.index(made[9].code) and made[10].code not in first.text
        last = await service.queue(2)
        assert made[22].code in last.text and "Halaman 3 dari 3" in last.text
        beyond = await service.queue(7)  # a page past the end shows the last one
        assert beyond.page == 2
        for report in made:
            await service.move(report.id, Action.CLAIM, S.BARU, ALICE)
        empty = await service.queue(0)
        assert empty.total == 0 and "Antrian kosong" in empty.text
