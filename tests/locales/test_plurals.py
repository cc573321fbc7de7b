"""Counts read right in both languages: every counting text rendered with 0, 1 and 2 (issue 12, item 7)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

import pytest

from handlers.common.events import Choice, Event, Image, Text
from handlers.common.regions import RegionCatalog
from handlers.report import conversation
from handlers.report.conversation import Context, Turn
from handlers.report.draft import Draft, Step
from handlers.report.prompts import View, review_text
from handlers.report.reading import card_text
from handlers.summary.figures import DeadlineFigure, RegionFigure, SummaryFigures, summary_text
from handlers.triage.card import deadline_line
from locales import LOCALES, catalog, placeholders, plural_catalog, tn
from storage.models import Category, Channel, Evidence, PhotoEvidence, Report, ReportState, SubjectStatus

TZ: Final = ZoneInfo("Asia/Jakarta")
NOW: Final = datetime(2023, 11, 16, 2, 30, tzinfo=UTC)
TODAY: Final = date(2023, 11, 20)
REGIONS: Final = RegionCatalog.load()
# English nouns a count is written with; "1 links" and "2 link" are what must never be read.
NOUNS: Final = {
    "photo": "photos",
    "link": "links",
    "report": "reports",
    "day": "days",
    "character": "characters",
    "region": "regions",
    "file": "files",
    "regency/city": "regencies/cities",
}


def wrong_number(text: str, n: int) -> list[str]:
    """The count-and-noun pairs in `text` whose noun disagrees with the count."""
    wrong = []
    for singular, plural in NOUNS.items():
        bad = plural if n == 1 else singular
        wrong += re.findall(rf"\b{n} (?:(?:more|other) )?{re.escape(bad)}(?![\w/])", text)
    return wrong


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", sorted(plural_catalog("id")))
def test_every_plural_entry_reads_right_for_0_1_and_2(key: str, locale: str, n: int) -> None:
    form = plural_catalog(locale)[key].forms[0]
    text = tn(locale, key, n, **{name: n for name in placeholders(form)})
    assert "(s)" not in text
    assert str(n) in text
    if locale == "en":
        assert wrong_number(text, n) == [], text


def test_english_has_a_singular_and_a_plural_and_indonesian_one_form() -> None:
    assert tn("en", "count.days", 1, n=1) == "1 day"
    assert tn("en", "count.days", 0, n=0) == "0 days"
    assert tn("en", "count.days", 2, n=2) == "2 days"
    assert {tn("id", "count.days", n, n="N") for n in (0, 1, 2)} == {"N hari"}
    # `n` picks the form; the shown number may be written the locale's way.
    assert tn("en", "count.reports", 1072, n="1,072") == "1,072 reports"


def test_no_singular_entry_counts_a_noun() -> None:
    """A count next to a noun must be a plural entry (or a `count.*` piece): the guard for new texts.

    English shows it; that the same keys are plural in Indonesian is the catalog test's business.
    """
    nouns = "|".join(re.escape(noun) for pair in NOUNS.items() for noun in pair)
    pattern = re.compile(rf"\{{\w+\}} (?:(?:more|other) )?(?:{nouns})(?![\w/])")
    assert {key: text for key, text in catalog("en").items() if pattern.search(text)} == {}
    for locale in LOCALES:
        assert [key for key, text in catalog(locale).items() if "(s)" in text] == []


# --- the call sites: texts that carry two counts take each one pluralised on its own


async def fake_store(data: bytes, source_id: str | None = None) -> PhotoEvidence:
    return PhotoEvidence(
        sha256=hashlib.sha256(data).hexdigest(),
        mime="image/jpeg",
        size_bytes=len(data),
        width=800,
        height=600,
        source_id=source_id,
    )


def image(data: bytes) -> Image:
    async def fetch() -> bytes:
        return data

    return Image(fetch=fetch, size=len(data))


async def at_evidence(locale: str, events: list[Event]) -> Turn:
    context = Context(View(locale, TODAY, REGIONS, max_photos=10), fake_store, max_image_bytes=1000)
    turn = Turn(draft=Draft())
    for event in [
        Choice("go:start"),
        Choice("cat:medsos"),
        Text("Budi Santoso"),
        Text("Dinas Pendidikan, guru"),
        Choice("st:pns"),
        Choice("grp:surakarta"),
        Choice("reg:kab-klaten"),
        Text("Balai Desa Karanganom"),
        Choice("loc:skip"),
        Text("15/11/2023"),
        Choice("known:same"),
        Text("Ia membagikan poster calon bupati di grup WhatsApp dinas."),
        *events,
    ]:
        turn = await conversation.handle(event, turn.draft, context)
    assert turn.draft.step is Step.EVIDENCE
    return turn


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([Text("https://x.com/a/1")], "🔗 1 link received (total: 0 photos, 1 link)."),
        ([image(b"p1"), Text("https://x.com/a/1")], "🔗 1 link received (total: 1 photo, 1 link)."),
        (
            [image(b"p1"), image(b"p2"), Text("https://x.com/a/1 https://x.com/a/2")],
            "🔗 2 links received (total: 2 photos, 2 links).",
        ),
    ],
)
async def test_the_evidence_step_counts_in_english(events: list[Event], expected: str) -> None:
    turn = await at_evidence("en", events)
    assert turn.replies[0].text.splitlines()[0] == expected


async def test_the_evidence_step_counts_in_indonesian() -> None:
    turn = await at_evidence("id", [image(b"p1"), Text("https://x.com/a/1")])
    assert turn.replies[0].text.splitlines()[0] == "🔗 1 tautan diterima (total: 1 foto, 1 tautan)."


@pytest.mark.parametrize(("photos", "expected"), [(0, "0 photos"), (1, "1 photo"), (2, "2 photos")])
async def test_photo_acknowledgements_count_in_english(photos: int, expected: str) -> None:
    turn = await at_evidence("en", [image(f"p{i}".encode()) for i in range(max(photos, 1))])
    if photos:
        assert turn.replies[0].text.startswith(f"📷 1 photo received (total {photos}/10).")
    draft = turn.draft
    draft.photos = draft.photos[:photos]
    draft.links = ["https://x.com/a/1"] * (2 - photos)
    view = View("en", TODAY, REGIONS, max_photos=10)
    links = {0: "2 links", 1: "1 link", 2: "0 links"}[photos]
    assert f"<b>Evidence:</b> {expected}, {links}" in review_text(draft, view)


def report(**changes: object) -> Report:
    return Report(
        id=1,
        code="LN-ABC234",
        reporter_id=1,
        channel=Channel.TELEGRAM,
        state=ReportState.BARU,
        category=Category.FOTO,
        subject_name="Budi",
        subject_agency="Dinas PU",
        subject_status=SubjectStatus.PNS,
        region_id="kab-klaten",
        place="Balai desa",
        latitude=None,
        longitude=None,
        incident_date=date(2023, 11, 15),
        description="Berfoto dengan pose dua jari.",
        contact_shared=False,
        locale="id",
        created_at=NOW,
        updated_at=NOW,
        card_chat_id=None,
        card_message_id=None,
    ).model_copy(update=changes)


@pytest.mark.parametrize(
    ("photos", "links", "expected"),
    [
        (0, 1, "0 photos, 1 link"),
        (1, 0, "1 photo, 0 links"),
        (2, 2, "2 photos, 2 links"),
    ],
)
def test_the_card_counts_evidence_in_english(photos: int, links: int, expected: str) -> None:
    evidence = [
        Evidence(
            kind="photo",
            position=i,
            added_at=NOW,
            photo=PhotoEvidence(sha256=f"{i}" * 64, mime="image/jpeg", size_bytes=1, width=1, height=1),
        )
        for i in range(photos)
    ]
    evidence += [
        Evidence(kind="link", position=photos + i, added_at=NOW, url=f"https://x.com/{i}") for i in range(links)
    ]
    text = card_text(report(), evidence, None, "7F3K", REGIONS, "en", TZ)
    assert f"<b>Evidence:</b> {expected}\n" in text


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 11, 18), "(3 days left)"),
        (date(2023, 11, 19), "only 2 days left!"),
        (date(2023, 11, 20), "only 1 day left!"),
        (date(2023, 11, 22), "passed</b> 1 day ago"),
        (date(2023, 11, 23), "passed</b> 2 days ago"),
    ],
)
def test_the_card_deadline_counts_days_in_english(today: date, expected: str) -> None:
    # Incident on 14 November: the window closes on the 21st.
    line = deadline_line(report(incident_date=date(2023, 11, 14), state=ReportState.DIPROSES), today, "en")
    assert line is not None and expected in line, line


def figures(**overrides: object) -> SummaryFigures:
    values: dict[str, object] = dict(
        day=date(2023, 11, 15),
        as_of=datetime(2023, 11, 16, tzinfo=UTC),
        new_reports=1,
        previous_day=1,
        week_before=2,
        by_category={c: (1 if c is Category.MEDSOS else 0) for c in Category},
        by_region=(
            RegionFigure(
                region_id="kab-klaten", total=1, by_state={s: (1 if s is ReportState.BARU else 0) for s in ReportState}
            ),
        ),
        states_now={s: 1 for s in ReportState},
        backlog=1,
        backlog_oldest=datetime(2023, 11, 15, tzinfo=UTC),
        first_actions=1,
        first_action_median=600.0,
        deadline_count=1,
        deadlines=(
            DeadlineFigure(
                code="LN-AAA222",
                region_id="kab-klaten",
                deadline=date(2023, 11, 17),
                days_left=1,
                state=ReportState.BARU,
            ),
        ),
    )
    values.update(overrides)
    return SummaryFigures.model_validate(values)


def test_the_summary_counts_in_english() -> None:
    text = summary_text(figures(), REGIONS, "en", TZ)
    for expected in (
        "against Tuesday, 14 November 2023: 1 report, the same",
        "(a week earlier): 2 reports, down 1",
        "Not yet claimed by a supervisor:</b> 1 report, waiting for",
        "over 1 report first handled that day",
        "window closes today or within 2 days:</b> 1 report",
        "due 17 Nov 2023 (1 day left)",
    ):
        assert expected in text, expected
    assert wrong_number(text, 1) == [] and wrong_number(text, 2) == []
    many = figures(
        deadline_count=12,
        deadlines=tuple(
            DeadlineFigure(
                code=f"LN-AAA{i:03d}",
                region_id="kab-klaten",
                deadline=date(2023, 11, 17),
                days_left=2,
                state=ReportState.BARU,
            )
            for i in range(11)
        ),
        by_region=tuple(
            RegionFigure(region_id=r.id, total=1, by_state={ReportState.BARU: 1}) for r in REGIONS.regions[:6]
        ),
    )
    text = summary_text(many, REGIONS, "en", TZ)
    assert "… and 1 more report (see" in text and "… and 1 more regency/city (see" in text
    assert "window closes today or within 2 days:</b> 12 reports" in text and "(2 days left)" in text


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en", "N", "Please write 2–120 characters (you wrote 1 character)."),
        ("en", "N" * 121, "Please write 2–120 characters (you wrote 121 characters)."),
        ("id", "N", "Mohon tulis 2–120 karakter (tulisan Anda 1 karakter)."),
    ],
)
async def test_a_bad_length_says_how_long_the_answer_was(locale: str, typed: str, expected: str) -> None:
    context = Context(View(locale, TODAY, REGIONS, max_photos=10), fake_store, max_image_bytes=1000)
    turn = Turn(draft=Draft())
    for event in (Choice("go:start"), Choice("cat:medsos"), Text(typed)):
        turn = await conversation.handle(event, turn.draft, context)
    assert turn.draft.step is Step.SUBJECT_NAME
    assert turn.replies[0].text.splitlines()[0] == expected
