"""The supervisors' card: every field, escaped, and always within one Telegram message."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from handlers.common.text import esc_within
from handlers.report.reading import MESSAGE_LIMIT, card_text
from storage.models import Category, Channel, Contact, Evidence, PhotoEvidence, Report, ReportState, SubjectStatus

NOW = datetime(2023, 11, 16, 2, 30, tzinfo=UTC)


def report(**changes: object) -> Report:
    base = Report(
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
        latitude=-7.7,
        longitude=110.6,
        incident_date=date(2023, 11, 15),
        description="Berfoto dengan pose dua jari.",
        contact_shared=False,
        locale="id",
        created_at=NOW,
        updated_at=NOW,
        card_chat_id=None,
        card_message_id=None,
    )
    return base.model_copy(update=changes)


def photo(**changes: object) -> Evidence:
    return Evidence(
        kind="photo",
        position=0,
        added_at=NOW,
        photo=PhotoEvidence(sha256="a" * 64, mime="image/jpeg", size_bytes=1, width=1, height=1, **changes),
    )


def card(r: Report, evidence: list[Evidence] | None = None, contact: Contact | None = None) -> str:
    return card_text(r, evidence or [], contact, "7F3K", RegionCatalog.load(), "id", ZoneInfo("Asia/Jakarta"))


def test_card_shows_every_field_in_indonesian() -> None:
    text = card(report(), [photo(captured_at=NOW, latitude=-7.56, longitude=110.81)])
    for expected in (
        "LN-ABC234",
        "Foto / simbol dukungan",
        "Budi",
        "Dinas PU",
        "PNS",
        "Kab. Klaten",
        "Balai desa",
        "Rabu, 15 November 2023",
        "Kamis, 16 November 2023, 09.30 WIB",
        "Pelapor 7F3K</b> (anonim)",
        "GPS -7.56000, 110.81000",
        "pose dua jari",
    ):
        assert expected in text


def test_shared_contact_appears_only_when_shared() -> None:
    shared = card(report(contact_shared=True), contact=Contact(name="Ani", phone="+628123"))
    assert "Ani" in shared and "+628123" in shared
    assert "+628123" not in card(report())


def test_hostile_text_is_escaped_and_the_card_fits_one_message() -> None:
    nasty = "<b>&" * 1000
    links = [Evidence(kind="link", position=i, url="https://x.example/" + "<" * 400, added_at=NOW) for i in range(10)]
    text = card(
        report(subject_name=nasty[:120], subject_agency=nasty[:200], place=nasty[:200], description=nasty * 3), links
    )
    assert len(text) <= MESSAGE_LIMIT
    assert "<b>&" not in text
    # Every tag that remains is one of ours, and balanced.
    assert set(re.findall(r"</?(\w+)", text)) <= {"b", "a"}
    assert text.count("<b>") == text.count("</b>")
    assert "Kronologi" in text


def test_escaping_never_cuts_an_entity() -> None:
    for limit in range(1, 40):
        cut = esc_within("a&b<c>d" * 5, limit)
        assert len(cut) <= limit
        assert not re.search(r"&[a-z]*$", cut.rstrip("…"))
