"""The steps issue 12 added to the conversation core: a kab/kota nobody can name, removing evidence, the day
the violation became known, witnesses, and words left at the evidence step (no transport)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.common.events import Choice, Event, Text
from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.report.draft import Draft, Step
from handlers.report.prompts import (
    MAX_DESCRIPTION,
    MAX_WITNESSES,
    View,
    link_token,
    photo_token,
    prompt,
    review_text,
)
from storage.models import Witness
from tests.report.test_conversation import HAPPY, REGIONS, TODAY, image, run

# HAPPY up to the region step, and up to the evidence step (the photo and the link sent).
TO_REGION = HAPPY[:5]
TO_EVIDENCE = HAPPY[:15]


def buttons(turn_draft: Draft, locale: str = "id") -> list[str]:
    return [b.data for b in prompt(turn_draft, View(locale, TODAY, REGIONS, max_photos=10)).choices()]


# ---------------------------------------------------------------- item 3: "tidak tahu" at the region step


async def test_the_karesidenan_step_says_which_kab_kota_each_holds_and_offers_tidak_tahu() -> None:
    turn = await run(TO_REGION)
    assert turn.draft.step is Step.REGION_GROUP
    text = turn.replies[-1].text
    assert "<b>Banyumas</b>: Kab. Banyumas, Kab. Cilacap, Kab. Purbalingga, Kab. Banjarnegara" in text
    assert "Kota Salatiga" in text and "Kab. Blora" in text
    assert "reg:tidak-tahu" in [b.data for b in turn.replies[-1].choices()]


async def test_choosing_a_karesidenan_lists_its_kab_kota_with_kembali() -> None:
    turn = await run([*TO_REGION, Choice("grp:kedu")])
    assert turn.draft.step is Step.REGION
    data = [b.data for b in turn.replies[-1].choices()]
    assert [d for d in data if d.startswith("reg:") and d != "reg:tidak-tahu"] == [
        "reg:kab-magelang",
        "reg:kota-magelang",
        "reg:kab-temanggung",
        "reg:kab-wonosobo",
        "reg:kab-purworejo",
        "reg:kab-kebumen",
    ]
    assert "nav:back" in data and "nav:cancel" in data and "reg:tidak-tahu" in data
    back = await run([Choice("nav:back")], turn.draft)
    assert back.draft.step is Step.REGION_GROUP


@pytest.mark.parametrize(
    "answer",
    [
        Choice("reg:tidak-tahu"),
        Text("tidak tahu"),
        Text("Gak tau"),
        Text("medsos"),
        Text("online"),
        Text("di media sosial"),
        Text("Tidak tahu / di media sosial"),
        Text("I don't know"),
        Text("-"),
    ],
)
async def test_tidak_tahu_asks_where_the_asn_works_instead(answer: Event) -> None:
    turn = await run([*TO_REGION, answer])
    assert turn.draft.region_id == UNKNOWN_REGION_ID
    assert turn.draft.step is Step.WORKPLACE
    assert "tim pengawas provinsi" in turn.replies[-1].text
    assert "Di mana ASN itu bekerja" in turn.replies[-1].text
    worked = await run([Text("SDN 2 Wonosari, Kab. Klaten")], turn.draft)
    assert worked.draft.workplace == "SDN 2 Wonosari, Kab. Klaten"
    assert worked.draft.step is Step.PLACE


async def test_tidak_tahu_from_the_kab_kota_list_and_kembali_from_the_workplace() -> None:
    turn = await run([*TO_REGION, Choice("grp:pati"), Choice("reg:tidak-tahu")])
    assert turn.draft.step is Step.WORKPLACE
    back = await run([Choice("nav:back")], turn.draft)
    assert back.draft.step is Step.REGION
    skipped = await run([Choice("reg:tidak-tahu"), Choice("wp:unknown")], back.draft)
    assert skipped.draft.step is Step.PLACE and skipped.draft.workplace is None
    assert skipped.draft.region_id == UNKNOWN_REGION_ID


async def test_the_review_shows_the_unknown_region_with_the_workplace_and_an_edit_can_name_it() -> None:
    events = [*TO_REGION, Text("medsos"), Text("Kantor Kecamatan Tengaran"), *HAPPY[7:]]
    review = await run(events)
    assert review.draft.step is Step.REVIEW
    text = review.replies[-1].text
    assert "<b>Kabupaten/kota:</b> Tidak tahu / di media sosial — ASN bekerja di: Kantor Kecamatan Tengaran" in text
    # Ubah → Kabupaten/kota: naming it drops the workplace question and the workplace.
    named = await run(
        [Choice("rv:edit"), Choice("ed:region"), Choice("grp:surakarta"), Choice("reg:kab-klaten")], review.draft
    )
    assert named.draft.step is Step.REVIEW
    assert named.draft.region_id == "kab-klaten" and named.draft.workplace is None
    # And back to "tidak tahu" through the edit: the workplace is asked again.
    unknown = await run([Choice("rv:edit"), Choice("ed:region"), Text("tidak tahu")], named.draft)
    assert unknown.draft.step is Step.WORKPLACE
    done = await run([Text("Dinas PU Kab. Sragen")], unknown.draft)
    assert done.draft.step is Step.REVIEW and done.draft.workplace == "Dinas PU Kab. Sragen"


async def test_tidak_tahu_in_english() -> None:
    turn = await run([*TO_REGION, Text("on social media")], locale="en")
    assert turn.draft.step is Step.WORKPLACE
    assert "Where does the civil servant work" in turn.replies[-1].text


# ---------------------------------------------------------------- item 5: the known-day


async def test_the_known_day_is_one_tap_the_incident_day() -> None:
    turn = await run(HAPPY[:10])
    assert turn.draft.step is Step.KNOWN
    text = turn.replies[-1].text
    assert "mengetahui" in text and "15 November 2023" in text
    assert "known:same" in [b.data for b in turn.replies[-1].choices()]
    same = await run([Choice("known:same")], turn.draft)
    assert same.draft.known_date == date(2023, 11, 15) and same.draft.step is Step.DESCRIPTION


@pytest.mark.parametrize(
    ("typed", "known"),
    [("18/11/2023", date(2023, 11, 18)), ("kemarin", date(2023, 11, 19)), ("sama", date(2023, 11, 15))],
)
async def test_the_known_day_may_be_typed(typed: str, known: date) -> None:
    turn = await run([*HAPPY[:10], Text(typed)])
    assert turn.draft.known_date == known and turn.draft.step is Step.DESCRIPTION


@pytest.mark.parametrize(
    ("typed", "says"), [("10/11/2023", "tidak bisa sebelum hari kejadian"), ("25/11/2023", "belum terjadi")]
)
async def test_a_known_day_before_the_incident_or_in_the_future_is_refused(typed: str, says: str) -> None:
    turn = await run([*HAPPY[:10], Text(typed)])
    assert turn.draft.step is Step.KNOWN and turn.draft.known_date is None
    assert says in turn.replies[0].text


async def test_kembali_from_the_known_day_and_an_edit_of_the_date_asks_it_again() -> None:
    back = await run([*HAPPY[:10], Choice("nav:back")])
    assert back.draft.step is Step.WHEN
    review = await run(HAPPY)
    assert "<b>Diketahui:</b> Rabu, 15 November 2023" in review.replies[-1].text
    edited = await run([Choice("rv:edit"), Choice("ed:when"), Text("16/11/2023")], review.draft)
    assert edited.draft.step is Step.KNOWN
    known = await run([Choice("known:today")], edited.draft)
    assert known.draft.step is Step.REVIEW and known.draft.known_date == TODAY
    assert "<b>Diketahui:</b> Senin, 20 November 2023" in known.replies[-1].text


# ---------------------------------------------------------------- item 5: witnesses


async def test_witnesses_one_a_line_with_how_to_reach_them() -> None:
    turn = await run(HAPPY[:16])
    assert turn.draft.step is Step.WITNESSES
    assert "wit:none" in [b.data for b in turn.replies[-1].choices()]
    noted = await run([Text("Budi Santoso, 0812 3456 7890\nSiti (guru kelas 3)\nPak Darto")], turn.draft)
    assert noted.draft.witnesses == [
        Witness(name="Budi Santoso", reach="0812 3456 7890"),
        Witness(name="Siti", reach="guru kelas 3"),
        Witness(name="Pak Darto", reach=None),
    ]
    assert noted.draft.step is Step.WITNESSES
    assert "3 saksi dicatat" in noted.replies[0].text and "Budi Santoso — 0812 3456 7890" in noted.replies[0].text
    assert {"wit:done", "wit:clear"} <= set(buttons(noted.draft))
    done = await run([Choice("wit:done"), Choice("ct:skip")], noted.draft)
    assert done.draft.step is Step.REVIEW
    assert "Budi Santoso — 0812 3456 7890" in done.replies[-1].text


async def test_witnesses_are_bounded_cleared_and_a_bare_symbol_is_refused() -> None:
    turn = await run(HAPPY[:16])
    for typed in ("-", "https://instagram.com/p/abc"):
        refused = await run([Text(typed)], turn.draft)
        assert refused.draft.witnesses == [] and "Mohon tulis nama saksi" in refused.replies[0].text
    many = await run([Text("\n".join(f"Saksi {n}, 08{n}" for n in range(9)))], turn.draft)
    assert len(many.draft.witnesses) == MAX_WITNESSES
    full = await run([Text("Satu lagi")], many.draft)
    assert len(full.draft.witnesses) == MAX_WITNESSES and "Batas 5 saksi" in full.replies[0].text
    cleared = await run([Choice("wit:clear")], many.draft)
    assert cleared.draft.witnesses == [] and cleared.draft.step is Step.WITNESSES
    back = await run([Choice("nav:back")], many.draft)
    assert back.draft.step is Step.EVIDENCE and len(back.draft.witnesses) == MAX_WITNESSES  # kept for later
    cancel = await run([Choice("nav:cancel"), Choice("nav:cancel_no")], many.draft)
    assert cancel.draft.step is Step.WITNESSES


async def test_no_witnesses_reads_so_on_the_review_and_the_edit_menu_offers_them() -> None:
    review = await run(HAPPY)
    assert "<b>Saksi:</b> tidak ada" in review.replies[-1].text
    menu = await run([Choice("rv:edit")], review.draft)
    assert "ed:witnesses" in [b.data for b in menu.replies[-1].choices()]
    edited = await run([Choice("ed:witnesses"), Text("Ani, ani@example.org"), Choice("wit:done")], menu.draft)
    assert edited.draft.step is Step.REVIEW and edited.draft.witnesses == [Witness(name="Ani", reach="ani@example.org")]


# ---------------------------------------------------------------- item 4: removing a photo or a link


async def test_ubah_bukti_removes_one_photo_and_one_link() -> None:
    review = await run([*HAPPY[:14], image(b"photo-2"), *HAPPY[14:]])
    assert len(review.draft.photos) == 2 and review.draft.links == ["https://instagram.com/p/abc123"]
    evidence = await run([Choice("rv:edit"), Choice("ed:evidence")], review.draft)
    assert evidence.draft.step is Step.EVIDENCE and "ev:remove" in buttons(evidence.draft)
    listing = await run([Choice("ev:remove")], evidence.draft)
    assert listing.draft.step is Step.EVIDENCE_REMOVE
    labels = [(b.label, b.data) for b in listing.replies[-1].choices()]
    first, second = listing.draft.photos
    assert ("🗑 Foto 1 (800×600)", f"rm:p:{photo_token(first)}") in labels
    assert ("🗑 Foto 2 (800×600)", f"rm:p:{photo_token(second)}") in labels
    link = "https://instagram.com/p/abc123"
    assert ("🗑 instagram.com/p/abc123", f"rm:l:{link_token(link)}") in labels
    assert all(len(data.encode()) <= 64 for _, data in labels)
    gone = await run([Choice(f"rm:p:{photo_token(first)}")], listing.draft)
    assert gone.draft.photos == [second] and "Foto 1 (800×600) dihapus" in gone.replies[0].text
    # A stale button of the photo already removed is not acted upon.
    stale = await run([Choice(f"rm:p:{photo_token(first)}")], gone.draft)
    assert stale.draft.photos == [second] and "tombol" in stale.replies[0].text.lower()
    unlinked = await run([Choice(f"rm:l:{link_token(link)}"), Choice("rm:done")], gone.draft)
    assert unlinked.draft.links == [] and unlinked.draft.step is Step.EVIDENCE
    back = await run([Choice("ev:done")], unlinked.draft)
    assert back.draft.step is Step.REVIEW
    assert "1 foto, 0 tautan" in back.replies[-1].text


async def test_removing_the_last_piece_returns_to_the_evidence_step_and_kembali_leaves_the_list() -> None:
    at_evidence = await run([*HAPPY[:14]])
    listing = await run([Choice("ev:remove")], at_evidence.draft)
    back = await run([Choice("nav:back")], listing.draft)
    assert back.draft.step is Step.EVIDENCE and back.draft.history[-1] is Step.DESCRIPTION
    only = listing.draft.photos[0]
    empty = await run([Choice(f"rm:p:{photo_token(only)}")], listing.draft)
    assert empty.draft.photos == [] and empty.draft.step is Step.EVIDENCE
    assert "ev:done" not in buttons(empty.draft) and "ev:remove" not in buttons(empty.draft)


async def test_a_review_whose_evidence_was_all_removed_asks_for_evidence_before_sending() -> None:
    review = await run(HAPPY)
    listing = await run([Choice("rv:edit"), Choice("ed:evidence"), Choice("ev:remove")], review.draft)
    photo, link = listing.draft.photos[0], listing.draft.links[0]
    emptied = await run([Choice(f"rm:p:{photo_token(photo)}"), Choice(f"rm:l:{link_token(link)}")], listing.draft)
    back = await run([Choice("nav:back")], emptied.draft)
    assert back.draft.step is Step.REVIEW and "0 foto, 0 tautan" in back.replies[-1].text
    refused = await run([Choice("rv:send")], back.draft)
    assert not refused.submit and refused.draft.step is Step.EVIDENCE
    assert "minimal satu foto atau tautan" in refused.replies[0].text
    sent = await run([image(b"photo-3"), Choice("ev:done"), Choice("rv:send")], refused.draft)
    assert sent.submit


async def test_a_photo_with_a_capture_time_is_named_by_it() -> None:
    turn = await run([*HAPPY[:14]])
    draft = turn.draft
    # Stored in UTC, shown in the reporter's time zone (02.41 UTC is 09.41 in Jakarta).
    draft.photos[0] = draft.photos[0].model_copy(update={"captured_at": datetime(2023, 11, 15, 2, 41, tzinfo=UTC)})
    draft.step = Step.EVIDENCE_REMOVE
    view = View("id", TODAY, REGIONS, max_photos=10, tz=ZoneInfo("Asia/Jakarta"))
    assert "🗑 Foto 1 · diambil 15/11 09.41" in [b.label for b in prompt(draft, view).choices()]


# ---------------------------------------------------------------- item 1's gap: words left at the evidence step


async def test_words_left_at_the_evidence_step_reach_the_chronology_at_selesai() -> None:
    turn = await run([*TO_EVIDENCE, Text("Saya lihat sendiri di kantor.")])
    assert turn.draft.pending_text == "Saya lihat sendiri di kantor."
    done = await run([Choice("ev:done")], turn.draft)
    assert done.draft.pending_text is None
    assert done.draft.description is not None and done.draft.description.endswith("\nSaya lihat sendiri di kantor.")
    assert "ditambahkan ke kronologi" in done.replies[0].text
    assert done.draft.step is Step.WITNESSES


async def test_words_that_do_not_fit_are_not_dropped_silently() -> None:
    turn = await run([*TO_EVIDENCE, Text("kata " * 700)])
    draft = turn.draft
    draft.description = "x" * (MAX_DESCRIPTION - 100)
    done = await run([Choice("ev:done")], draft)
    assert done.draft.description == "x" * (MAX_DESCRIPTION - 100)
    assert "tidak muat di kronologi" in done.replies[0].text and "kata kata" in done.replies[0].text


# ---------------------------------------------------------------- the whole draft


async def test_a_draft_at_each_new_step_survives_its_stored_form() -> None:
    for events in (
        [*TO_REGION, Text("medsos")],
        HAPPY[:10],
        [*HAPPY[:14], Choice("ev:remove")],
        [*HAPPY[:16], Text("Budi, 0812")],
    ):
        turn = await run(events)
        stored = turn.draft.dump()
        assert Draft.load(stored) == turn.draft


def test_an_old_stored_draft_with_subject_known_still_loads() -> None:
    assert Draft.load('{"step": "place", "subject_known": false}').step is Step.PLACE


async def test_the_english_review_of_the_new_fields() -> None:
    events = [*TO_REGION, Text("dont know"), Text("Dinas PU"), *HAPPY[7:16], Text("Budi, 0812"), Choice("wit:done")]
    review = await run([*events, Choice("ct:skip")], locale="en")
    text = review_text(review.draft, View("en", TODAY, REGIONS, max_photos=10))
    assert "Don't know / on social media — the civil servant works at: Dinas PU" in text
    assert "<b>Became known:</b>" in text and "Budi — 0812" in text
