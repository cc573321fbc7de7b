"""Contact retention: shared contacts go CONTACT_RETENTION_DAYS after their report closed, nothing else does."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.housekeeping import PURGE_AT, Housekeeping
from handlers.common.regions import RegionCatalog
from handlers.triage.card import build_card
from storage.models import Category, Channel, Contact, NewEvent, NewReport, ReportState, SubjectStatus
from storage.store import Store

NOW = datetime(2024, 12, 1, 2, 0, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")


async def file_report(store: Store, address: str, created: datetime) -> int:
    reporter = await store.reporters.get_or_create(Channel.TELEGRAM, address)
    new = NewReport(
        reporter_id=reporter.id,
        channel=Channel.TELEGRAM,
        category=Category.KAMPANYE,
        subject_name=None,
        subject_agency=None,
        subject_status=SubjectStatus.PNS,
        region_id="kab-klaten",
        place="Alun-alun",
        latitude=None,
        longitude=None,
        incident_date=date(2024, 2, 10),
        description="Camat ikut kampanye terbuka.",
        locale="id",
        photos=(),
        links=(),
        contact=Contact(name="Sutarmi", phone="+6281234567890"),
    )
    return (await store.reports.submit(new, now=created)).id


async def move(store: Store, report_id: int, path: list[tuple[ReportState, ReportState]], at: datetime) -> None:
    for step, (old, new) in enumerate(path):
        event = NewEvent(actor="supervisor:1", action="move", at=at + timedelta(minutes=step))
        assert await store.triage.apply_move(report_id, old, new, event, owed=lambda moved: ()) is not None


async def test_contacts_are_purged_only_after_retention_from_closing(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        long_ago = NOW - timedelta(days=400)
        done_old = await file_report(store, "1", long_ago)
        rejected_old = await file_report(store, "2", long_ago)
        done_recent = await file_report(store, "3", long_ago)
        reopened = await file_report(store, "4", long_ago)
        still_open = await file_report(store, "5", long_ago)
        b, d, s, r = ReportState.BARU, ReportState.DIPROSES, ReportState.SELESAI, ReportState.DITOLAK
        await move(store, done_old, [(b, d), (d, s)], NOW - timedelta(days=181))
        await move(store, rejected_old, [(b, r)], NOW - timedelta(days=200))
        # Closed a year ago, but the closing that counts is the latest one: 179 days ago.
        await move(store, done_recent, [(b, s), (s, d), (d, s)], NOW - timedelta(days=179, minutes=5))
        await move(store, reopened, [(b, r), (r, d)], NOW - timedelta(days=300))

        assert await store.retention.contacts_due(NOW, 180) == 2
        purged = await Housekeeping(store, 180, JAKARTA, clock=lambda: NOW).run()
        assert purged.contacts == 2
        kept = {
            report_id
            for report_id in (done_old, rejected_old, done_recent, reopened, still_open)
            if await store.reports.contact(report_id) is not None
        }
        assert kept == {done_recent, reopened, still_open}

        # History stays: the report still says a contact was shared, and its card renders without one.
        report = await store.reports.get(done_old)
        assert report is not None and report.contact_shared
        card = await build_card(
            store.triage, RegionCatalog.load(), await store.reports.card_data(report), "id", JAKARTA, NOW
        )
        assert "Sutarmi" not in card.text and "6281234567890" not in card.text and report.code in card.text

        # A week later the 179-day one is due too; a second run finds nothing new.
        later = NOW + timedelta(days=7)
        assert (await Housekeeping(store, 180, JAKARTA, clock=lambda: later).run()).contacts == 1
        assert (await Housekeeping(store, 180, JAKARTA, clock=lambda: later).run()).contacts == 0
    finally:
        await store.close()


class RecordingJobQueue:
    def __init__(self) -> None:
        self.daily: list[dict[str, Any]] = []
        self.once: list[dict[str, Any]] = []

    def run_daily(self, callback: object, **kwargs: Any) -> None:
        self.daily.append(kwargs)

    def run_once(self, callback: object, **kwargs: Any) -> None:
        self.once.append(kwargs)


def test_the_purge_runs_daily_at_night_in_the_configured_zone(tmp_path: Path) -> None:
    queue = RecordingJobQueue()
    Housekeeping(object(), 180, JAKARTA).schedule(queue)  # type: ignore[arg-type]
    (daily,) = queue.daily
    when: time = daily["time"]
    # PTB would run a naive time at 03:00 UTC (10:00 WIB): the zone must ride on the time.
    assert (when.hour, when.minute, when.tzinfo) == (PURGE_AT.hour, PURGE_AT.minute, JAKARTA)
    assert len(queue.once) == 1  # and once after start, for a bot that is never up at that hour


async def test_a_purged_contact_is_gone_from_the_database_files_at_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path, tmp_path / "evidence")
    try:
        assert (await store.db.fetchone("PRAGMA secure_delete"))[0] == 1  # type: ignore[index]
        closed = await file_report(store, "1", NOW - timedelta(days=400))
        kept = await file_report(store, "2", NOW - timedelta(days=400))
        await move(store, closed, [(ReportState.BARU, ReportState.DITOLAK)], NOW - timedelta(days=200))
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]

        def raw() -> bytes:
            return b"".join(f.read_bytes() for f in files if f.exists())

        assert raw().count(b"+6281234567890") >= 2  # both contacts are written down
        assert (await Housekeeping(store, 180, JAKARTA, clock=lambda: NOW).run()).contacts == 1
        # Read while the bot still runs: no shutdown checkpoint helps. Only the kept report's contact is left.
        assert raw().count(b"+6281234567890") == 1 and raw().count(b"Sutarmi") == 1
        assert await store.reports.contact(kept) is not None and await store.reports.contact(closed) is None
    finally:
        await store.close()
