"""Storage's whole transactions: a report's submit, a triage move, an answer are all or nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers.common import owed
from storage.models import (
    Category,
    Channel,
    Contact,
    NewEvent,
    NewReport,
    Owed,
    PhotoEvidence,
    Report,
    ReportState,
    SubjectStatus,
)
from storage.store import Store
from storage.triage import Moved
from tests.triage.helpers import open_store

NOW = datetime(2024, 2, 12, 3, 0, tzinfo=UTC)
PHOTO = PhotoEvidence(sha256="a" * 64, mime="image/jpeg", size_bytes=10, width=4, height=3)


class Boom(Exception):
    """The failure in the middle: raised once every earlier statement of the transaction ran."""


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in (
                "reports",
                "evidence",
                "contacts",
                "events",
                "outbox",
                "drafts",
                "processed_updates",
                "triage_info_requests",
            )
        }


def row(path: Path, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    with sqlite3.connect(path) as db:
        return tuple(db.execute(sql, params).fetchone())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path) as opened:
        yield opened


async def new_report(store: Store, address: str = "42") -> NewReport:
    reporter = await store.reporters.get_or_create(Channel.TELEGRAM, address)
    return NewReport(
        reporter_id=reporter.id,
        channel=Channel.TELEGRAM,
        category=Category.FOTO,
        subject_name="Budi",
        subject_agency=None,
        subject_status=SubjectStatus.PNS,
        region_id="kab-klaten",
        place="Balai desa",
        latitude=None,
        longitude=None,
        incident_date=date(2024, 2, 10),
        description="d" * 30,
        locale="id",
        photos=(PHOTO,),
        links=("https://a.example/1",),
        contact=Contact(name="Sri", phone="+6281234567890"),
    )


def failing(*_: object) -> Sequence[Owed]:
    raise Boom


async def test_submit_commits_report_owed_draft_and_update_together(store: Store) -> None:
    new = await new_report(store)
    report = await store.reports.submit(
        new,
        owed=lambda created: [owed.forward_report(created.id)],
        draft='{"step":"category"}',
        processed=(Channel.TELEGRAM, "7"),
        now=NOW,
    )
    path = store.db.path
    assert counts(path) == {
        "reports": 1,
        "evidence": 2,
        "contacts": 1,
        "events": 1,
        "outbox": 1,
        "drafts": 1,
        "processed_updates": 1,
        "triage_info_requests": 0,
    }
    assert row(path, "SELECT kind, dedupe_key FROM outbox") == (owed.FORWARD_REPORT, f"forward:{report.id}")
    assert (await store.drafts.turn_start(Channel.TELEGRAM, "42", "7")).processed


@pytest.mark.parametrize("failure", ["owed", "payload"])
async def test_a_failure_in_the_middle_of_a_submit_leaves_nothing(store: Store, failure: str) -> None:
    new = await new_report(store)
    await store.drafts.save_turn("telegram", None, new.reporter_id, '{"step":"place"}')
    before = counts(store.db.path)
    choices: dict[str, Callable[[Report], Sequence[Owed]]] = {
        "owed": failing,
        # Not JSON: fails while the outbox row is written, after the report and its evidence were.
        "payload": lambda created: [Owed(kind="k", dedupe_key=f"k:{created.id}", payload={"x": object()})],
    }
    with pytest.raises((Boom, TypeError)):
        await store.reports.submit(
            new, owed=choices[failure], draft='{"step":"category"}', processed=(Channel.TELEGRAM, "8"), now=NOW
        )
    assert counts(store.db.path) == before
    start = await store.drafts.turn_start(Channel.TELEGRAM, "42", "8")
    assert not start.processed and start.draft == '{"step":"place"}'  # the update can be handled again


async def filed(store: Store, address: str = "42") -> Report:
    return await store.reports.submit(await new_report(store, address), now=NOW)


def question_owed(report: Report) -> Callable[[Moved], Sequence[Owed]]:
    def owes(moved: Moved) -> list[Owed]:
        return [
            owed.notice(
                moved.event_id,
                report.reporter_id,
                "triage.notice_question",
                {"code": report.code},
                extra={"info_request_id": moved.info_request_id},
            ),
            owed.edit_card(report.id, moved.event_id),
        ]

    return owes


async def test_a_move_writes_state_event_question_and_owed_together(store: Store) -> None:
    report = await filed(store)
    event = NewEvent(actor="supervisor:1", actor_name="Rina", action="request_info", at=NOW, note="Di mana?")
    moved = await store.triage.apply_move(
        report.id, ReportState.BARU, ReportState.BUTUH_INFO, event, question="Di mana?", owed=question_owed(report)
    )
    assert moved is not None and moved.info_request_id is not None
    path = store.db.path
    assert row(path, "SELECT state FROM reports") == ("butuh_info",)
    assert row(path, "SELECT reporter_id, event_id, question FROM triage_info_requests") == (
        report.reporter_id,
        moved.event_id,
        "Di mana?",
    )
    assert [e.to_state for e in await store.reports.events(report.id)] == [ReportState.BARU, ReportState.BUTUH_INFO]
    keys = {k for (k,) in sqlite3.connect(path).execute("SELECT dedupe_key FROM outbox")}
    assert keys == {f"notice:{moved.event_id}", f"card:{moved.event_id}"}


async def test_a_failure_in_the_middle_of_a_move_leaves_the_report_as_it_was(store: Store) -> None:
    report = await filed(store)
    before = counts(store.db.path)
    event = NewEvent(actor="supervisor:1", action="request_info", at=NOW + timedelta(minutes=1), note="Kapan?")
    with pytest.raises(Boom):
        await store.triage.apply_move(
            report.id, ReportState.BARU, ReportState.BUTUH_INFO, event, question="Kapan?", owed=failing
        )
    assert counts(store.db.path) == before
    assert await store.reports.get(report.id) == report  # state and updated_at untouched
    # And the move can be made afterwards: nothing half-done stands in its way.
    assert (
        await store.triage.apply_move(
            report.id, ReportState.BARU, ReportState.BUTUH_INFO, event, question="Kapan?", owed=question_owed(report)
        )
        is not None
    )


async def test_a_move_from_a_state_the_report_left_writes_nothing(store: Store) -> None:
    report = await filed(store)
    event = NewEvent(actor="supervisor:1", action="claim", at=NOW)
    first = await store.triage.apply_move(
        report.id,
        ReportState.BARU,
        ReportState.DIPROSES,
        event,
        owed=lambda moved: [owed.edit_card(report.id, moved.event_id)],
    )
    assert first is not None
    before = counts(store.db.path)
    built: list[Moved] = []

    def owes(moved: Moved) -> list[Owed]:
        built.append(moved)
        return [owed.edit_card(report.id, moved.event_id)]

    second = await store.triage.apply_move(report.id, ReportState.BARU, ReportState.DIPROSES, event, owed=owes)
    assert second is None and built == [] and counts(store.db.path) == before


async def asked(store: Store) -> Report:
    report = await filed(store)
    event = NewEvent(actor="supervisor:1", action="request_info", at=NOW, note="Fotonya?")
    assert (
        await store.triage.apply_move(
            report.id, ReportState.BARU, ReportState.BUTUH_INFO, event, question="Fotonya?", owed=question_owed(report)
        )
        is not None
    )
    moved = await store.reports.get(report.id)
    assert moved is not None
    return moved


async def test_an_answer_hands_the_report_back_with_its_evidence_and_owed(store: Store) -> None:
    report = await asked(store)
    at = NOW + timedelta(hours=1)
    event = NewEvent(actor="reporter", action="info_received", at=at, detail=f"photo:{PHOTO.sha256}")
    event_id = await store.triage.record_answer(
        report.id,
        event,
        hand_back=(ReportState.BUTUH_INFO, ReportState.DIPROSES),
        photos=(PHOTO,),
        owed=lambda eid: [owed.post_answer(report.id, eid), owed.edit_card(report.id, eid)],
    )
    path = store.db.path
    assert row(path, "SELECT state FROM reports") == ("diproses",)
    last = (await store.reports.events(report.id))[-1]
    assert (last.id, last.from_state, last.to_state) == (event_id, ReportState.BUTUH_INFO, ReportState.DIPROSES)
    assert row(path, "SELECT answered_at IS NOT NULL FROM triage_info_requests") == (1,)
    assert len(await store.reports.evidence(report.id)) == 3
    # A second answer finds the report handed back already: it is only touched, not moved.
    again = NewEvent(actor="reporter", action="info_received", at=at + timedelta(minutes=1), note="Dan ini.")
    await store.triage.record_answer(
        report.id,
        again,
        hand_back=(ReportState.BUTUH_INFO, ReportState.DIPROSES),
        owed=lambda eid: [owed.post_answer(report.id, eid)],
    )
    last = (await store.reports.events(report.id))[-1]
    assert last.to_state is None and last.note == "Dan ini."
    touched = await store.reports.get(report.id)
    assert touched is not None and touched.updated_at == at + timedelta(minutes=1)


async def test_a_failure_in_the_middle_of_an_answer_leaves_nothing(store: Store) -> None:
    report = await asked(store)
    before = counts(store.db.path)
    event = NewEvent(actor="reporter", action="info_received", at=NOW + timedelta(hours=1), note="Ini fotonya.")
    with pytest.raises(Boom):
        await store.triage.record_answer(
            report.id,
            event,
            hand_back=(ReportState.BUTUH_INFO, ReportState.DIPROSES),
            photos=(PHOTO,),
            links=("https://b.example/2",),
            owed=failing,
        )
    assert counts(store.db.path) == before
    assert await store.reports.get(report.id) == report  # still waiting for the answer
    assert row(store.db.path, "SELECT answered_at FROM triage_info_requests") == (None,)


async def test_card_data_reads_what_the_card_shows(store: Store) -> None:
    report = await filed(store)
    data = await store.reports.card_data(report)
    reporter = await store.reporters.get(report.reporter_id)
    assert reporter is not None
    assert data.report == report and len(data.evidence) == 2 and data.pseudonym == reporter.pseudonym
    assert data.contact == Contact(name="Sri", phone="+6281234567890")
    assert [e.action for e in data.events] == ["created"]
