"""The reporter's answers to a supervisor's question: which events are claimed, and what they record."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.common.events import Choice, Command, Event, Image, Location, Text, Unsupported, UnsupportedKind
from handlers.common.owed import EDIT_CARD, NOTIFY_REPORTER, POST_ANSWER
from handlers.report.images import inspect_image
from handlers.report.intake import Intake, IntakeConfig
from handlers.triage.answers import TriageAnswers
from handlers.triage.machine import Action, RejectReason
from handlers.triage.service import TriageService
from storage.models import OutboxItem, PhotoEvidence, Reporter
from storage.models import ReportState as S
from storage.store import Store
from tests.images import make_jpeg
from tests.triage.helpers import ALICE, NOW, REGIONS, TZ, add_report, open_store, outbox, rows, service_for


def image(data: bytes, group: str | None = None) -> Image:
    async def fetch() -> bytes:
        return data

    return Image(fetch=fetch, size=len(data), group_id=group)


def answers_for(store: Store, service: TriageService) -> TriageAnswers:
    async def store_image(reporter_id: int, data: bytes, source_id: str | None = None) -> PhotoEvidence:
        inspected = inspect_image(data, max_bytes=10_000_000)
        store.files.keep(data, inspected.sha256, {})
        return PhotoEvidence(
            sha256=inspected.sha256,
            mime=inspected.mime,
            size_bytes=inspected.size_bytes,
            width=inspected.width,
            height=inspected.height,
            dhash=inspected.dhash,
        )

    return TriageAnswers(store, service.triage, store_image, clock=lambda: NOW)


async def asked(
    store: Store, service: TriageService, answers: TriageAnswers, address: str = "5001", message_id: str = "42"
) -> tuple[Reporter, int]:
    """A claimed report with a question relayed to its reporter as message `message_id`."""
    report = await add_report(store, address=address)
    await service.move(report.id, Action.CLAIM, S.BARU, ALICE)
    await service.move(report.id, Action.REQUEST_INFO, S.DIPROSES, ALICE, note="Siapa saksinya?")
    notice = outbox(store.db.path, NOTIFY_REPORTER)[-1]
    item = OutboxItem(id=1, kind=NOTIFY_REPORTER, payload=notice, attempts=0, progress={})
    reporter = await store.reporters.get(report.reporter_id)
    assert reporter is not None
    await answers.on_notice_sent(item, reporter, message_id)
    return reporter, report.id


async def test_a_reply_to_the_question_is_the_answer(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        reporter, report_id = await asked(store, service, answers)
        replies = await answers.route(reporter, "id", Text("Pak RT dan dua warga, lihat https://x.example/v"), "42")
        assert replies is not None and "sudah kami teruskan" in replies[0].text
        report = await store.reports.get(report_id)
        assert report is not None and report.state is S.DIPROSES  # handed back to the supervisors
        # Not a reply, or a reply to something else: the report conversation gets it.
        assert await answers.route(reporter, "id", Text("laporan baru"), None) is None
        assert await answers.route(reporter, "id", Text("laporan baru"), "41") is None
        # A second round: another question, another reply.
        await service.move(report_id, Action.REQUEST_INFO, S.DIPROSES, ALICE, note="Jam berapa?")
        notice = outbox(store.db.path, NOTIFY_REPORTER)[-1]
        await answers.on_notice_sent(
            OutboxItem(id=2, kind=NOTIFY_REPORTER, payload=notice, attempts=0, progress={}), reporter, "57"
        )
        assert await answers.route(reporter, "id", Text("Sekitar jam 9 pagi"), "57") is not None
        # Someone else replying to that message id in their own chat claims nothing.
        other = await store.reporters.get_or_create(reporter.channel, "6006")
        assert await answers.route(other, "id", Text("halo"), "57") is None
    db = tmp_path / "db.sqlite3"
    events = rows(db, "SELECT actor, action, from_state, to_state, note FROM events WHERE action = 'info_received'")
    assert events == [
        ("reporter", "info_received", "butuh_info", "diproses", "Pak RT dan dua warga, lihat https://x.example/v"),
        ("reporter", "info_received", "butuh_info", "diproses", "Sekitar jam 9 pagi"),
    ]
    assert rows(db, "SELECT url FROM evidence WHERE kind = 'link'") == [("https://x.example/v",)]
    assert len(outbox(db, POST_ANSWER)) == 2
    assert rows(db, "SELECT COUNT(*) FROM triage_info_requests WHERE answered_at IS NOT NULL") == [(2,)]


async def test_the_answer_button_opens_answer_mode_until_done(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        reporter, report_id = await asked(store, service, answers)
        prompt = await answers.route(reporter, "id", Choice(f"ans:{report_id}"), None)
        assert prompt is not None and [b.data for b in prompt[0].choices()] == [f"ansdone:{report_id}"]
        first = await answers.route(reporter, "id", Text("Saksinya tetangga saya."), None)
        assert first is not None and first[0].choices()  # the Done button again
        photos = await answers.route(reporter, "id", image(make_jpeg(640, 480, seed=5)), None)
        assert photos is not None and photos[0].coalesce_key  # one acknowledgement per album
        sticker = await answers.route(reporter, "id", Unsupported(UnsupportedKind.STICKER), None)
        assert sticker is not None and "teks atau foto" in sticker[0].text
        location: Event = Location(-7.5, 110.8)
        assert await answers.route(reporter, "id", location, None) is None  # the conversation's
        done = await answers.route(reporter, "id", Choice(f"ansdone:{report_id}"), None)
        assert done is not None
        assert await answers.route(reporter, "id", Text("ini untuk laporan baru"), None) is None
        # A command also leaves answer mode, and goes on to the conversation.
        await answers.route(reporter, "id", Choice(f"ans:{report_id}"), None)
        assert await answers.route(reporter, "id", Command("lapor"), None) is None
        assert await answers.route(reporter, "id", Text("kategori"), None) is None
        evidence = await store.reports.evidence(report_id)
    assert [e.kind for e in evidence] == ["photo"]
    db = tmp_path / "db.sqlite3"
    assert rows(db, "SELECT COUNT(*) FROM events WHERE action = 'info_received'") == [(2,)]
    details = rows(db, "SELECT COALESCE(detail, '') FROM events WHERE action = 'info_received' ORDER BY id")
    assert [d.startswith("photo:") for (d,) in details] == [False, True]
    # The first answer moved the report back to diproses; the photo then changed no state.
    assert rows(db, "SELECT to_state FROM events WHERE action = 'info_received' ORDER BY id") == [
        ("diproses",),
        (None,),
    ]
    assert len(outbox(db, EDIT_CARD)) == 4  # claim, question, and one per answer


async def test_album_siblings_follow_the_first_reply(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        reporter, report_id = await asked(store, service, answers)
        first = await answers.route(reporter, "id", image(make_jpeg(640, 480, seed=1), "ALB"), "42")
        second = await answers.route(reporter, "id", image(make_jpeg(640, 480, seed=2), "ALB"), None)
        unrelated = await answers.route(reporter, "id", image(make_jpeg(640, 480, seed=3), "OTHER"), None)
        assert first is not None and second is not None and unrelated is None
        assert len(await store.reports.evidence(report_id)) == 2


async def test_forged_foreign_and_closed_answers(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        reporter, report_id = await asked(store, service, answers)
        stranger = await store.reporters.get_or_create(reporter.channel, "7007")
        for data in (f"ans:{report_id}", "ans:999", "ans:abc", "ans:"):
            replies = await answers.route(stranger, "id", Choice(data), None)
            assert replies is not None and "tidak ditemukan" in replies[0].text
        never_asked = await add_report(store, address="7007")
        replies = await answers.route(stranger, "en", Choice(f"ans:{never_asked.id}"), None)
        assert replies is not None and "not found" in replies[0].text
        await service.move(report_id, Action.REJECT, S.BUTUH_INFO, ALICE, reason=RejectReason.SPAM)
        closed = await answers.route(reporter, "id", Text("jawaban terlambat"), "42")
        assert closed is not None and "sudah ditutup" in closed[0].text
        assert await answers.route(reporter, "id", Choice("cat:medsos"), None) is None
    assert rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM events WHERE action = 'info_received'") == [(0,)]


async def test_answer_modes_are_mirrored_in_memory_and_survive_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.triage
    from storage.triage import TriageStore

    monkeypatch.setattr(storage.triage, "ANSWER_MODES_REMEMBERED", 2)
    async with open_store(tmp_path) as store:
        report = await add_report(store, address="1")
        triage = store.triage
        until = NOW + timedelta(minutes=15)
        await triage.set_answer_mode(report.reporter_id, report.id, until)
        assert await triage.answer_mode(report.reporter_id, NOW) == report.id
        assert await triage.answer_mode(report.reporter_id, until) is None  # expired, by the clock alone
        assert await triage.answer_mode(999, NOW) is None  # nobody: remembered as nobody

        restarted = TriageStore(store.db)  # a new process reads what the old one wrote
        assert await restarted.answer_mode(report.reporter_id, NOW) == report.id
        await restarted.clear_answer_mode(report.reporter_id)
        assert await restarted.answer_mode(report.reporter_id, NOW) is None
        assert await TriageStore(store.db).answer_mode(report.reporter_id, NOW) is None

        # Only the most recent reporters stay in memory; the forgotten are read again, correctly.
        await restarted.set_answer_mode(report.reporter_id, report.id, until)
        for other in (1001, 1002, 1003):
            assert await restarted.answer_mode(other, NOW) is None
        assert len(restarted._modes) == 2 and report.reporter_id not in restarted._modes
        assert await restarted.answer_mode(report.reporter_id, NOW) == report.id


async def test_answer_photos_count_against_the_senders_daily_evidence_quota(tmp_path: Path) -> None:
    first, second = make_jpeg(1200, 900, seed=91), make_jpeg(1200, 900, seed=92)
    async with open_store(tmp_path) as store:
        service = service_for(store)
        config = IntakeConfig(
            default_locale="id", tz=TZ, max_image_bytes=5_000_000, evidence_bytes_per_day=2 * len(first) + 100
        )
        intake = Intake(store, REGIONS, config, clock=lambda: NOW)
        answers = TriageAnswers(store, service.triage, intake.store_sender_image, clock=lambda: NOW)
        reporter, report_id = await asked(store, service, answers)
        kept = await answers.route(reporter, "id", image(first), "42")
        assert kept is not None and "batas penyimpanan" not in kept[0].text
        refused = await answers.route(reporter, "id", image(second), "42")
        assert refused is not None and "Batas penyimpanan bukti untuk hari ini sudah tercapai" in refused[0].text
        photos = [e for e in await store.reports.evidence(report_id) if e.photo is not None]
    assert [p.photo.sha256 for p in photos if p.photo] == [hashlib.sha256(first).hexdigest()]
    assert not any(hashlib.sha256(second).hexdigest() in p.name for p in (tmp_path / "evidence").rglob("*"))
