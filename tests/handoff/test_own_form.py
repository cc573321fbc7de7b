"""The reporter's own pre-filled form, in the core: offered by /status, sent only to its reporter, bounded."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from handlers.common.events import (
    MAX_CAPTION,
    MAX_DOCUMENT_BYTES,
    Button,
    Choice,
    Command,
    Document,
    DocumentRefused,
    Event,
    Reply,
    SharedContact,
)
from handlers.common.regions import RegionCatalog
from handlers.handoff.own_form import OwnForms, form_name, render_reporter_form
from handlers.handoff.packet import Identity
from handlers.report.intake import FORMS_PER_MINUTE, Intake, IntakeConfig
from storage.models import Channel
from storage.store import Store
from tests.handoff.packets import packet
from tests.report.test_intake import REPORT

NOW = datetime(2023, 11, 20, 3, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Jakarta")


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


async def open_intake(tmp_path: Path, *, forms: bool = True) -> tuple[Store, Intake]:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    regions = RegionCatalog.load()
    config = IntakeConfig(default_locale="id", tz=TZ, max_image_bytes=5_000_000)
    own = OwnForms(store, regions, TZ, clock=lambda: NOW) if forms else None
    return store, Intake(store, regions, config, clock=lambda: NOW, own_form=own)


async def file(intake: Intake, address: str, events: list[Event]) -> str:
    for number, event in enumerate(events):
        answer = await intake.handle(Channel.TELEGRAM, address, event, update_id=f"{address}-{number}")
    return answer.replies[0].text.split("<code>")[1].split("</code>")[0]


def shared_report() -> list[Event]:
    """The test report, with the reporter sharing their name and number instead of staying anonymous."""
    events = list(REPORT)
    events[events.index(Choice("ct:skip"))] = SharedContact("+6281298765432", "Wulan Sari")
    return events


async def test_status_offers_the_form_and_the_form_is_the_reporters_own(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        code = await file(intake, "77", shared_report())
        status = await intake.handle(Channel.TELEGRAM, "77", Command("status", code.lower()), update_id="s1")
        assert status.replies[-1].buttons == ((Button("📄 Formulir Bawaslu", f"form:{code}"),),)
        pressed = await intake.handle(Channel.TELEGRAM, "77", Choice(f"form:{code}"), update_id="s2")
        again = await intake.handle(Channel.TELEGRAM, "77", Choice(f"form:{code}"), update_id="s2")
    finally:
        await store.close()
    assert again.replies == []  # a redelivered press sends nothing twice
    [reply] = pressed.replies
    assert reply.document is not None and reply.document.filename == form_name(code)
    assert reply.buttons == () and len(reply.text) <= MAX_CAPTION
    assert code in reply.text and "Bawaslu Kab. Semarang" in reply.text and "KTP" in reply.text
    text = text_of(reply.document.data)
    assert "Wulan Sari" in text and "+6281298765432" in text
    assert "Camat Tengaran" in text and "Kab. Semarang" in text
    assert "Nama samaran" not in text  # the pseudonym is the team's word for them, not the form's


async def test_someone_elses_code_reads_as_no_such_report(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        code = await file(intake, "77", list(REPORT))
        by_button = await intake.handle(Channel.TELEGRAM, "78", Choice(f"form:{code}"), update_id="x1")
        by_command = await intake.handle(Channel.TELEGRAM, "78", Command("formulir", code), update_id="x2")
        # Same address on another channel is another person.
        other_channel = await intake.handle(Channel.WHATSAPP, "77", Command("formulir", code), update_id="x3")
        forged = await intake.handle(Channel.TELEGRAM, "77", Choice("form:LN-ZZZZZZ"), update_id="x4")
        usage = await intake.handle(Channel.TELEGRAM, "77", Command("formulir"), update_id="x5")
    finally:
        await store.close()
    for answer in (by_button, by_command, other_channel, forged):
        [reply] = answer.replies
        assert reply.document is None and "tidak ditemukan" in reply.text
    assert "/formulir KODE" in usage.replies[0].text


async def test_an_anonymous_reporter_gets_blank_lines_and_english_words(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        code = await file(intake, "79", list(REPORT))
        await intake.handle(Channel.TELEGRAM, "79", Command("bahasa"), update_id="l1")
        answer = await intake.handle(Channel.TELEGRAM, "79", Command("formulir", code), update_id="l2")
    finally:
        await store.close()
    [reply] = answer.replies
    assert reply.document is not None
    assert "in Indonesian, as Bawaslu needs it" in reply.text and "Bawaslu Kab. Semarang" in reply.text
    text = text_of(reply.document.data)
    assert "FORMULIR LAPORAN (Model B.1)" in text  # the form itself stays in Bawaslu's language
    reporter_part = text.split("I. Identitas Pelapor")[1].split("II. Identitas Terlapor")[0]
    assert "Anonim" not in reporter_part and reporter_part.count("....") >= 8  # every field left to fill in


async def test_without_a_form_service_status_offers_no_button(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path, forms=False)
    try:
        code = await file(intake, "80", list(REPORT))
        status = await intake.handle(Channel.TELEGRAM, "80", Command("status", code), update_id="n1")
    finally:
        await store.close()
    assert status.replies[-1].buttons == ()


def test_the_form_names_an_unknown_region_generically_and_the_window_if_past() -> None:
    base = packet(identity=Identity("Sutarmi", "+628123"))
    late = dataclasses.replace(base, deadline=dataclasses.replace(base.deadline, days_left=-3))
    text = text_of(render_reporter_form(late, None))
    assert "Bawaslu kabupaten/kota tempat pelanggaran terjadi" in text
    assert "sudah lewat" in text
    # The witnesses and photos the office packet has are the reporter's own, and are kept.
    assert "Siti Aminah" in text and base.photos[0].original_sha256 in text.replace(" ", "")


@pytest.mark.parametrize(
    ("data", "name"),
    [(b"", "a.pdf"), (b"x" * (MAX_DOCUMENT_BYTES + 1), "a.pdf"), (b"%PDF", "../etc/passwd"), (b"%PDF", "a b.pdf")],
)
def test_a_document_the_channels_would_refuse_is_a_bug_found_at_once(data: bytes, name: str) -> None:
    with pytest.raises(DocumentRefused):
        Document(data, name)


def test_a_document_reply_has_a_short_caption_and_no_buttons() -> None:
    document = Document(b"%PDF-1.4", "formulir-LN-7F3K9Q.pdf")
    assert Reply("ok", document=document).document is document
    with pytest.raises(DocumentRefused):
        Reply("x" * (MAX_CAPTION + 1), document=document)
    with pytest.raises(DocumentRefused):
        Reply("ok", ((Button("a", "b"),),), document=document)


async def test_forms_asked_for_in_a_burst_are_refused_politely_after_a_few(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        code = await file(intake, "81", list(REPORT))
        answers = [
            await intake.handle(Channel.TELEGRAM, "81", Choice(f"form:{code}"), update_id=f"b{n}")
            for n in range(FORMS_PER_MINUTE + 2)
        ]
    finally:
        await store.close()
    documents = [a.replies[0].document is not None for a in answers]
    assert documents == [True] * FORMS_PER_MINUTE + [False, False]
    assert all("baru saja dikirim" in a.replies[0].text for a in answers[FORMS_PER_MINUTE:])
