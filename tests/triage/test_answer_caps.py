"""Answers add evidence only up to a cap, and the card stays within Telegram's limit however many come
(issue 11, item 9)."""

from __future__ import annotations

from pathlib import Path

from handlers.common.events import Reply, Text
from handlers.report.conversation import MAX_LINKS
from handlers.report.reading import CARD_LINKS_SHOWN, MESSAGE_LIMIT
from handlers.triage.answers import EVIDENCE_FACTOR
from tests.images import make_jpeg
from tests.triage.helpers import open_store, rows, service_for
from tests.triage.test_answers import answers_for, asked, image


async def test_answers_add_links_and_photos_up_to_the_cap_and_say_so(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        answers = answers_for(store, service)
        reporter, report_id = await asked(store, service, answers)
        replies: list[Reply] | None = None
        for batch in range(3):
            links = " ".join(f"https://x.example/{batch}/{n}" for n in range(200))
            replies = await answers.route(reporter, "id", Text(links[:3000]), "42")
            assert replies is not None
        assert replies is not None and "Batas bukti tambahan" in replies[-1].text
        cap = MAX_LINKS * EVIDENCE_FACTOR
        assert rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM evidence WHERE kind = 'link'") == [(cap,)]
        for n in range(10 * EVIDENCE_FACTOR + 1):
            replies = await answers.route(reporter, "id", image(make_jpeg(64 + n, 64, seed=n)), "42")
            assert replies is not None
        assert replies is not None and "Batas bukti tambahan" in replies[-1].text
        assert rows(tmp_path / "db.sqlite3", "SELECT COUNT(*) FROM evidence WHERE kind = 'photo'") == [
            (10 * EVIDENCE_FACTOR,)
        ]
        report = await store.reports.get(report_id)
        assert report is not None
        card = (await service.card(report)).text
        assert len(card) <= MESSAGE_LIMIT
        assert card.count("https://x.example/") == CARD_LINKS_SHOWN
        assert f"dan {cap - CARD_LINKS_SHOWN} tautan lainnya" in card
