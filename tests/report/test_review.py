"""The review screen: every field the citizen typed, within one Telegram message, whatever they typed."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from handlers.common.regions import RegionCatalog
from handlers.report.draft import Draft, Step
from handlers.report.prompts import MAX_DESCRIPTION, MAX_WITNESSES, REVIEW_LIMIT, View, show_review
from storage.models import Category, Contact, SubjectStatus, Witness

TODAY = date(2026, 12, 2)
REGIONS = RegionCatalog.load()
NOTE = {"id": "dipotong di layar ini", "en": "shortened on this screen"}


def parsed(text: str) -> str:
    """What Telegram counts: the text after its HTML is parsed."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def longest_draft(fill: str) -> Draft:
    """Every typed field at the longest the conversation accepts, five witnesses, a shared contact."""
    return Draft(
        step=Step.REVIEW,
        category=Category.KAMPANYE,
        subject_name=fill * 120,
        subject_agency=fill * 200,
        subject_status=SubjectStatus.PNS,
        region_id="kab-klaten",
        place=fill * 200,
        incident_date=date(2026, 11, 30),
        known_date=date(2026, 12, 1),
        description=("Kronologi " + fill * MAX_DESCRIPTION)[:MAX_DESCRIPTION],
        witnesses=[Witness(name=fill * 120, reach=fill * 200) for _ in range(MAX_WITNESSES)],
        contact=Contact(phone="+6281234567890", name="Warga"),
    )


@pytest.mark.parametrize("locale", ["id", "en"])
@pytest.mark.parametrize("fill", ["a", "&", "😀"], ids=["letters", "escaped", "emoji"])
def test_the_longest_review_fits_one_message_and_says_what_it_shortened(locale: str, fill: str) -> None:
    reply = show_review(longest_draft(fill), View(locale, TODAY, REGIONS, max_photos=10))
    assert len(reply.text) <= REVIEW_LIMIT  # the HTML itself, the stricter count
    assert len(parsed(reply.text)) <= REVIEW_LIMIT
    assert NOTE[locale] in reply.text
    assert "Kronologi" in reply.text  # the chronology is shortened, not dropped
    assert [b.data for b in reply.choices()] == ["rv:send", "rv:edit", "nav:cancel"]
    assert reply.text.count("•") == MAX_WITNESSES  # every witness still listed


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_review_that_fits_is_shown_whole(locale: str) -> None:
    draft = longest_draft("a").model_copy(update={"witnesses": [], "description": "Ia membagikan poster. " * 40})
    reply = show_review(draft, View(locale, TODAY, REGIONS, max_photos=10))
    assert NOTE[locale] not in reply.text
    assert ("Ia membagikan poster. " * 40).strip() in reply.text
    assert "a" * 200 in reply.text
