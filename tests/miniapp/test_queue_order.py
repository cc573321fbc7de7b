"""The Mini App's queue puts first the report whose Bawaslu window closes first: counted from the known-day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from storage.triage import ReportFilter
from tests.triage.helpers import add_report, open_store


async def test_the_queue_is_ordered_by_the_known_day_not_the_incident(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        # Happened long ago but learned of yesterday: its window closes last, though its incident is oldest.
        late_news = await add_report(store, address="1", incident=date(2023, 11, 1), known=date(2023, 11, 20))
        recent = await add_report(store, address="2", incident=date(2023, 11, 15))
        middle = await add_report(store, address="3", incident=date(2023, 11, 10), known=date(2023, 11, 17))
        reports, total = await store.miniapp.queue(ReportFilter(), None, limit=10, offset=0)
    assert total == 3
    assert [r.code for r in reports] == [recent.code, middle.code, late_news.code]
