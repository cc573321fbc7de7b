"""The conversation core without any transport: every step, back/cancel/edit, and bad input."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from handlers.common.events import (
    Choice,
    Command,
    Event,
    Image,
    Location,
    SharedContact,
    Text,
    Unsupported,
    UnsupportedKind,
    parse_command,
)
from handlers.common.regions import RegionCatalog
from handlers.report import conversation
from handlers.report.conversation import Context, Turn
from handlers.report.draft import Draft, Step
from handlers.report.images import ImageRejected, RejectReason
from handlers.report.prompts import View, prompt
from storage.models import Category, PhotoEvidence, SubjectStatus

TODAY = date(2023, 11, 20)
REGIONS = RegionCatalog.load()


async def fake_store(data: bytes, source_id: str | None = None) -> PhotoEvidence:
    if data == b"broken":
        raise ImageRejected(RejectReason.BROKEN)
    return PhotoEvidence(
        sha256=hashlib.sha256(data).hexdigest(),
        mime="image/jpeg",
        size_bytes=len(data),
        width=800,
        height=600,
        source_id=source_id,
    )


def ctx(locale: str = "id") -> Context:
    return Context(View(locale, TODAY, REGIONS, max_photos=10), fake_store, max_image_bytes=1000)


def image(data: bytes, group: str | None = None, size: int | None = None) -> Image:
    async def fetch() -> bytes:
        return data

    return Image(fetch=fetch, size=size if size is not None else len(data), group_id=group)


async def run(events: list[Event], draft: Draft | None = None, locale: str = "id") -> Turn:
    turn = Turn(draft=draft or Draft())
    for event in events:
        turn = await conversation.handle(event, turn.draft, ctx(locale))
    return turn


HAPPY: list[Event] = [
    Choice("go:start"),
    Choice("cat:medsos"),
    Text("Budi Santoso"),
    Text("Dinas Pendidikan Kab. Klaten, guru"),
    Choice("st:pns"),
    Choice("grp:surakarta"),
    Choice("reg:kab-klaten"),
    Text("Balai Desa Karanganom"),
    Choice("loc:skip"),
    Text("15/11/2023"),
    Choice("known:same"),
    Text("Ia membagikan poster calon bupati di grup WhatsApp dinas."),
    Choice("desc:done"),
    image(b"photo-1"),
    Text("lihat https://instagram.com/p/abc123 ya"),
    Choice("ev:done"),
    Choice("wit:none"),
    Choice("ct:skip"),
]


async def test_a_whole_report_reaches_review_then_submits() -> None:
    turn = await run(HAPPY)
    draft = turn.draft
    assert draft.step is Step.REVIEW
    assert draft.category is Category.MEDSOS
    assert draft.subject_name == "Budi Santoso"
    assert draft.subject_status is SubjectStatus.PNS
    assert draft.region_id == "kab-klaten"
    assert draft.incident_date == date(2023, 11, 15)
    assert draft.links == ["https://instagram.com/p/abc123"]
    assert len(draft.photos) == 1
    review = turn.replies[-1].text
    assert "Budi Santoso" in review and "Kab. Klaten" in review and "Rabu, 15 November 2023" in review
    assert [b.data for b in turn.replies[-1].choices()] == ["rv:send", "rv:edit", "nav:cancel"]
    sent = await conversation.handle(Choice("rv:send"), draft, ctx())
    assert sent.submit


async def test_typed_answers_work_where_buttons_are_offered() -> None:
    turn = await run(
        [
            Choice("go:start"),
            Text("media sosial"),
            Text("tidak tahu namanya"),
            Text("Tidak tahu instansinya"),
            Text("2"),
        ]
    )
    assert turn.draft.category is Category.MEDSOS
    assert turn.draft.subject_name is None
    assert turn.draft.subject_agency is None
    assert turn.draft.subject_status is SubjectStatus.PPPK
    assert turn.draft.step is Step.REGION_GROUP


@pytest.mark.parametrize("typed", ["፩", "𐩀", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠", "9" * 5000])
async def test_digits_int_refuses_get_a_polite_answer_at_a_choice_step(typed: str) -> None:
    """ "፩".isdigit() is true and int("፩") raises: a typed "number" must never crash the turn."""
    turn = await run([Choice("go:start"), Text("media sosial"), Text("Budi"), Text("Dinas"), Text(typed)])
    assert turn.draft.step is Step.SUBJECT_STATUS and turn.draft.subject_status is None
    assert turn.replies and turn.replies[-1].choices()  # asked again, with its buttons


async def test_a_number_in_another_script_still_picks_its_option() -> None:
    turn = await run([Choice("go:start"), Text("media sosial"), Text("Budi"), Text("Dinas"), Text("٢")])
    assert turn.draft.subject_status is SubjectStatus.PPPK  # Arabic-Indic 2, as int() reads it


@pytest.mark.parametrize(
    ("typed", "region"), [("solo", "kota-surakarta"), ("kab semarang", "kab-semarang"), ("Surakrta", "kota-surakarta")]
)
async def test_region_can_be_typed_with_fuzzy_matching(typed: str, region: str) -> None:
    turn = await run(HAPPY[:5] + [Text(typed)])
    assert turn.draft.region_id == region
    assert turn.draft.step is Step.PLACE


async def test_ambiguous_region_offers_candidates() -> None:
    turn = await run(HAPPY[:5] + [Text("semarang")])
    assert turn.draft.step is Step.REGION
    assert [b.data for b in turn.replies[-1].choices()][:2] == ["reg:kota-semarang", "reg:kab-semarang"]
    turn = await run([Choice("reg:kab-semarang")], turn.draft)
    assert turn.draft.region_id == "kab-semarang"


async def test_unknown_region_is_explained() -> None:
    turn = await run(HAPPY[:5] + [Text("Jakarta")])
    assert turn.draft.step is Step.REGION_GROUP
    assert '"Jakarta" tidak ditemukan di Jawa Tengah. Periksa ejaannya' in turn.replies[0].text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1/1/2030", "belum terjadi"),
        ("besok", "belum terjadi"),
        ("kapan-kapan", "tidak kami pahami"),
    ],
)
async def test_bad_dates_are_refused_politely(typed: str, message: str) -> None:
    turn = await run(HAPPY[:9] + [Text(typed)])
    assert turn.draft.step is Step.WHEN
    assert message in turn.replies[0].text


async def test_today_and_yesterday_buttons() -> None:
    turn = await run(HAPPY[:9] + [Choice("when:yesterday")])
    assert turn.draft.incident_date == date(2023, 11, 19)


@pytest.mark.parametrize(("text", "message"), [("pendek", "terlalu singkat"), ("x" * 3001, "terlalu panjang")])
async def test_description_length_is_checked(text: str, message: str) -> None:
    turn = await run(HAPPY[:11] + [Text(text)])
    assert turn.draft.step is Step.DESCRIPTION
    assert message in turn.replies[0].text


async def test_evidence_needs_a_photo_or_link_before_done() -> None:
    turn = await run(HAPPY[:13])
    assert turn.draft.step is Step.EVIDENCE
    assert "ev:done" not in [b.data for b in turn.replies[-1].choices()]
    forged = await run([Choice("ev:done")], turn.draft)
    assert forged.draft.step is Step.EVIDENCE
    assert "tidak berlaku" in forged.replies[0].text
    words = await run([Text("ada fotonya nanti")], turn.draft)
    assert "bukan tautan" in words.replies[0].text and "Tambahkan ke kronologi" in words.replies[0].text


async def test_album_photos_share_one_coalesced_acknowledgement() -> None:
    turn = await run(HAPPY[:13] + [image(b"a", "album1"), image(b"b", "album1"), image(b"c", "album1")])
    assert len(turn.draft.photos) == 3
    last = turn.replies[-1]
    assert last.coalesce_key == "album1"
    assert "3 foto diterima (total 3/10)" in last.text


async def test_the_channels_id_for_a_photo_is_handed_to_the_store() -> None:
    base = await run(HAPPY[:13])

    async def fetch() -> bytes:
        return b"tg"

    turn = await run([Image(fetch=fetch, size=2, source_id="AgACAgUAAx0")], base.draft)
    assert [p.source_id for p in turn.draft.photos] == ["AgACAgUAAx0"]
    plain = await run([image(b"wa")], base.draft)  # a channel without such an id
    assert [p.source_id for p in plain.draft.photos] == [None]


async def test_photo_problems_are_explained() -> None:
    base = await run(HAPPY[:13])
    broken = await run([image(b"broken")], base.draft)
    assert "rusak" in broken.replies[0].text and not broken.draft.photos
    big = await run([image(b"x", size=5000)], base.draft)
    assert "terlalu besar" in big.replies[0].text
    twice = await run([image(b"same"), image(b"same")], base.draft)
    assert len(twice.draft.photos) == 1 and "sudah Anda kirim" in twice.replies[0].text
    early = await run([Choice("go:start"), image(b"early")])
    assert early.draft.step is Step.CATEGORY and "langkah bukti" in early.replies[0].text


async def test_at_most_ten_photos() -> None:
    turn = await run(HAPPY[:13] + [image(bytes([i])) for i in range(11)])
    assert len(turn.draft.photos) == 10
    assert "Batas 10 foto" in turn.replies[0].text


@pytest.mark.parametrize("kind", list(UnsupportedKind))
async def test_unsupported_messages_get_an_explanation_and_the_question_again(kind: UnsupportedKind) -> None:
    base = await run(HAPPY[:3])
    turn = await run([Unsupported(kind)], base.draft)
    assert turn.draft.step is base.draft.step
    # One message: the explanation first, then the same question again with its buttons.
    [reply] = turn.replies
    question = (await run([Command("bantuan")], base.draft)).replies[0].text.split("\n\n")[-1]
    assert reply.text.endswith(question) and not reply.text.startswith(question)
    assert reply.buttons


async def test_back_returns_to_the_previous_question_keeping_answers() -> None:
    turn = await run(HAPPY[:5] + [Choice("nav:back")])
    assert turn.draft.step is Step.SUBJECT_STATUS
    assert turn.draft.subject_name == "Budi Santoso"
    first = await run([Choice("go:start"), Choice("nav:back")])
    assert first.draft.step is Step.CATEGORY and "langkah pertama" in first.replies[0].text


async def test_cancel_asks_first_then_deletes_the_draft() -> None:
    turn = await run(HAPPY[:4] + [Choice("nav:cancel")])
    assert turn.draft.step is Step.CONFIRM_CANCEL
    kept = await run([Choice("nav:cancel_no")], turn.draft)
    assert kept.draft.step is Step.SUBJECT_STATUS
    gone = await run([Text("Ya, batalkan")], turn.draft)
    assert not gone.draft.active and gone.draft.dump() is None


async def test_edit_one_field_from_review_then_back_to_review() -> None:
    review = await run(HAPPY)
    turn = await run(
        [Choice("rv:edit"), Choice("ed:subject"), Text("Siti Aminah"), Choice("agency:unknown"), Choice("st:pppk")],
        review.draft,
    )
    assert turn.draft.step is Step.REVIEW
    assert turn.draft.subject_name == "Siti Aminah" and turn.draft.subject_status is SubjectStatus.PPPK
    assert turn.draft.category is Category.MEDSOS  # untouched
    when = await run([Choice("rv:edit"), Choice("ed:when"), Text("kemarin"), Choice("known:same")], review.draft)
    assert when.draft.step is Step.REVIEW and when.draft.incident_date == date(2023, 11, 19)


async def test_location_and_contact() -> None:
    turn = await run(HAPPY[:7] + [Location(-7.7, 110.6), Text("Pasar Klaten")])
    assert (turn.draft.latitude, turn.draft.place) == (-7.7, "Pasar Klaten")
    turn = await run([Location(-7.71, 110.61)], turn.draft)
    assert turn.draft.step is Step.WHEN and turn.replies[0].remove_keyboard
    contact = await run(HAPPY[:17] + [SharedContact("0812-3456-7890", "Ani")])
    assert contact.draft.contact is not None and contact.draft.contact.phone == "+6281234567890"
    typed = await run(HAPPY[:17] + [Text("+62 812 3456 7890")])
    assert typed.draft.contact is not None and typed.draft.step is Step.REVIEW


async def test_forged_and_stale_buttons_are_refused() -> None:
    base = await run(HAPPY[:2])
    for data in ("cat:medsos", "st:hacker", "reg:kab-klaten", "rv:send", "x" * 64, ""):
        turn = await run([Choice(data)], base.draft.model_copy(deep=True))
        assert turn.draft.step is Step.SUBJECT_NAME, data
        assert "tidak berlaku" in turn.replies[0].text


async def test_commands_during_a_report() -> None:
    base = await run(HAPPY[:3])
    unknown = await run([Command("hapus")], base.draft)
    assert "tidak dikenal" in unknown.replies[0].text and unknown.draft.step is base.draft.step
    start = await run([Command("start")], base.draft)
    assert "belum selesai" in start.replies[0].text and start.replies[0].buttons
    idle = await run([Text("halo")])
    assert idle.replies[0].choices()[0].data == "go:start"


async def test_user_text_is_escaped_in_the_review() -> None:
    events = list(HAPPY)
    events[2] = Text("<b>Budi</b> & co\u202e\x00")
    turn = await run(events)
    review = turn.replies[-1].text
    assert "&lt;b&gt;Budi&lt;/b&gt; &amp; co" in review
    assert "\u202e" not in review and "\x00" not in review


async def test_english_locale() -> None:
    turn = await run([Choice("go:start")], locale="en")
    assert "1/8 · Type of violation" in turn.replies[-1].text


@pytest.mark.parametrize(
    ("typed", "name", "args"),
    [
        ("/status LN-ABC234", "status", "LN-ABC234"),
        ("/Lapor", "lapor", ""),
        ("/start@LaporNetralBot", "start", ""),
        ("  /cari  wilayah:klaten ", "cari", "wilayah:klaten"),
        ("/help", "bantuan", ""),  # every name of a command arrives under its menu name
        ("/Form LN-ABC234", "formulir", "LN-ABC234"),
        ("/cek", "status", ""),
    ],
)
def test_commands_are_parsed_the_same_for_every_channel(typed: str, name: str, args: str) -> None:
    assert parse_command(typed) == Command(name, args)


@pytest.mark.parametrize("step", list(Step))
def test_every_step_has_a_question_with_a_way_on(step: Step) -> None:
    """The prompt table covers every step; each question offers at least one button."""
    reply = prompt(Draft(step=step, history=[Step.CATEGORY]), View("id", TODAY, REGIONS, max_photos=5))
    assert reply.text and any(reply.buttons)


@pytest.mark.parametrize("locale", ["id", "en"])
async def test_help_on_whatsapp_lists_commands_as_typed_words(locale: str) -> None:
    typed = Context(View(locale, TODAY, REGIONS, max_photos=10, typed_commands=True), fake_store, max_image_bytes=1000)
    whatsapp = await conversation.handle(Command("bantuan", ""), Draft(), typed)
    telegram = await conversation.handle(Command("bantuan", ""), Draft(), ctx(locale))
    said = whatsapp.replies[0].text
    assert "status" in said and not any(f"/{name}" in said for name in ("lapor", "status", "batal", "bahasa"))
    assert "/status" in telegram.replies[0].text


# Issue 12 item 1: a story in pieces; nothing typed is silently lost.
async def test_a_story_in_pieces_is_collected_until_selesai() -> None:
    turn = await run(HAPPY[:11] + [Text("Pak Budi membagikan poster,"), Text("lalu mengajak guru memilih.")])
    assert turn.draft.step is Step.DESCRIPTION
    assert "Bagian ke-2 diterima" in turn.replies[-1].text
    assert "desc:done" in [b.data for b in turn.replies[-1].choices()]
    done = await run([Text("Selesai")], turn.draft)  # typed label works like the button
    assert done.draft.step is Step.EVIDENCE
    assert done.draft.description == "Pak Budi membagikan poster,\nlalu mengajak guru memilih."


async def test_the_length_limit_holds_over_the_whole_story() -> None:
    turn = await run(HAPPY[:11] + [Text("x" * 2000), Text("y" * 1001)])
    assert "terlalu panjang (3002 karakter)" in turn.replies[-1].text
    assert turn.draft.story == ["x" * 2000]
    short = await run(HAPPY[:11] + [Text("pendek")])
    assert "desc:done" not in [b.data for b in short.replies[-1].choices()]


async def test_a_photo_or_a_bare_link_after_the_story_moves_on() -> None:
    story = HAPPY[:12]
    photo = await run([*story, image(b"p")])
    assert photo.draft.step is Step.EVIDENCE and len(photo.draft.photos) == 1
    assert photo.draft.description == "Ia membagikan poster calon bupati di grup WhatsApp dinas."
    link = await run([*story, Text("https://instagram.com/p/abc123")])
    assert link.draft.step is Step.EVIDENCE and link.draft.links == ["https://instagram.com/p/abc123"]


async def test_words_at_the_evidence_step_are_offered_for_the_chronology() -> None:
    turn = await run(HAPPY[:13] + [Text("Saya lihat sendiri di kantor.")])
    assert "Tambahkan ke kronologi" in turn.replies[-1].text
    added = await run([Choice("ev:chrono")], turn.draft)
    assert added.draft.description is not None and added.draft.description.endswith("Saya lihat sendiri di kantor.")
    assert added.draft.pending_text is None and added.draft.step is Step.EVIDENCE


async def test_editing_the_story_rewrites_it_or_keeps_it() -> None:
    review = await run(HAPPY)
    kept = await run([Choice("rv:edit"), Choice("ed:description"), Choice("desc:done")], review.draft)
    assert kept.draft.step is Step.REVIEW and kept.draft.description == review.draft.description
    rewritten = await run(
        [Choice("rv:edit"), Choice("ed:description"), Text("Cerita yang baru dan lengkap."), Choice("desc:done")],
        review.draft,
    )
    assert rewritten.draft.description == "Cerita yang baru dan lengkap."
