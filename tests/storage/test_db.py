"""The database: migrations, append-only events, the outbox's bookkeeping, backups."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from storage.db import Database, from_iso, iso
from storage.models import Category, Channel, NewReport, Owed, ReportState, SubjectStatus
from storage.outbox import Outbox
from storage.reporters import Reporters
from storage.reports import Reports, normalize_code


async def new_report(db: Database) -> int:
    reporter = await Reporters(db).get_or_create(Channel.TELEGRAM, "42")
    new = NewReport(
        reporter_id=reporter.id,
        channel=Channel.TELEGRAM,
        category=Category.MEDSOS,
        subject_name=None,
        subject_agency=None,
        subject_status=SubjectStatus.UNKNOWN,
        region_id="kab-klaten",
        place="x",
        latitude=None,
        longitude=None,
        incident_date=date(2023, 11, 15),
        description="d" * 30,
        locale="id",
        photos=(),
        links=("https://a.example/1",),
        contact=None,
    )
    return (await Reports(db).submit(new)).id


async def test_migrations_run_once_and_set_the_version(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    await db.close()
    db = await Database.open(path)  # a second start applies nothing twice
    row = await db.fetchone("PRAGMA user_version")
    mode = await db.fetchone("PRAGMA journal_mode")
    await db.close()
    assert row is not None and row[0] >= 1
    assert mode is not None and mode[0] == "wal"


async def test_events_are_append_only(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        report_id = await new_report(db)
        events = await Reports(db).events(report_id)
        assert [(e.action, e.to_state) for e in events] == [("created", ReportState.BARU)]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.execute("UPDATE events SET note = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.execute("DELETE FROM events")
    finally:
        await db.close()


async def test_outbox_dedupes_retries_and_records_progress(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    outbox = Outbox(db)
    try:
        await outbox.enqueue(Owed(kind="k", dedupe_key="same", payload={"n": 1}))
        await outbox.enqueue(Owed(kind="k", dedupe_key="same", payload={"n": 2}))
        now = datetime.now(UTC)
        [item] = await outbox.due(now)
        assert item.payload == {"n": 1}
        await outbox.save_progress(item.id, {"album": 7})
        await outbox.retry_later(item.id, timedelta(seconds=30), "RetryAfter")
        assert await outbox.due(now) == []
        [again] = await outbox.due(now + timedelta(seconds=31))
        assert again.attempts == 1 and again.progress == {"album": 7}
        await outbox.mark_sent(again.id)
        assert await outbox.due(now + timedelta(days=1)) == [] and await outbox.pending_count() == 0
    finally:
        await db.close()


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        await new_report(db)
        await db.backup(tmp_path / "copy" / "backup.sqlite3")
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy" / "backup.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM reports").fetchone() == (1,)


def test_instants_round_trip_and_naive_ones_are_refused() -> None:
    moment = datetime(2023, 11, 15, 3, 4, 5, 6, tzinfo=UTC)
    assert from_iso(iso(moment)) == moment
    with pytest.raises(ValueError, match="naive"):
        iso(datetime(2023, 11, 15))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("typed", ["LN-ABC234", "ln-abc234", "abc234", "LN ABC 234", " ln abc234 "])
def test_codes_are_read_as_people_type_them(typed: str) -> None:
    assert normalize_code(typed) == "LN-ABC234"


async def test_pseudonyms_are_stable_and_distinct(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        reporters = Reporters(db)
        first = await reporters.get_or_create(Channel.TELEGRAM, "1001")
        again = await reporters.get_or_create(Channel.TELEGRAM, "1001")
        other = await reporters.get_or_create(Channel.WHATSAPP, "1001")
        assert first.pseudonym == again.pseudonym != other.pseudonym
        assert len(first.pseudonym) == 4 and "1001" not in first.pseudonym
    finally:
        await db.close()


async def test_prune_forgets_old_update_ids_and_abandoned_drafts(tmp_path: Path) -> None:
    from storage.drafts import Drafts

    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        drafts = Drafts(db)
        reporter = await Reporters(db).get_or_create(Channel.TELEGRAM, "1")
        await drafts.save_turn("telegram", "1", reporter.id, '{"step":"category"}')
        future = datetime.now(UTC) + timedelta(days=1)
        assert await drafts.prune(future, datetime.now(UTC) - timedelta(days=1)) == (1, 0)
        assert await drafts.prune(future, future) == (0, 1)
        assert (await drafts.turn_start(Channel.TELEGRAM, "1", None)).draft is None
    finally:
        await db.close()


async def test_turn_start_reads_redelivery_reporter_and_draft_in_one_query(tmp_path: Path) -> None:
    from storage.drafts import Drafts

    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        drafts = Drafts(db)
        unknown = await drafts.turn_start(Channel.TELEGRAM, "7", "100")
        assert unknown.processed is False and unknown.reporter is None and unknown.draft is None

        reporter = await Reporters(db).get_or_create(Channel.TELEGRAM, "7")
        known = await drafts.turn_start(Channel.TELEGRAM, "7", "100")
        assert known.reporter == reporter and known.draft is None and known.processed is False

        await drafts.save_turn("telegram", "100", reporter.id, '{"step":"category"}')
        again = await drafts.turn_start(Channel.TELEGRAM, "7", "100")
        assert again.processed is True and again.draft == '{"step":"category"}'
        # The same update id on another channel, and no update id at all, are not redeliveries.
        assert (await drafts.turn_start(Channel.WHATSAPP, "7", "100")).processed is False
        assert (await drafts.turn_start(Channel.TELEGRAM, "7", None)).processed is False
        # Another address sees neither this reporter nor their draft.
        other = await drafts.turn_start(Channel.TELEGRAM, "8", "101")
        assert other.reporter is None and other.draft is None
    finally:
        await db.close()


async def test_a_turn_is_saved_in_one_atomic_statement(tmp_path: Path) -> None:
    from storage.drafts import Drafts

    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        drafts = Drafts(db)
        reporter = await Reporters(db).get_or_create(Channel.TELEGRAM, "7")
        await drafts.save_turn("telegram", "100", reporter.id, '{"step":"category"}')
        start = await drafts.turn_start(Channel.TELEGRAM, "7", "100")
        assert start.processed and start.draft == '{"step":"category"}'

        await drafts.save_turn("telegram", "101", reporter.id, '{"step":"subject"}')  # replaces the draft
        await drafts.save_turn("telegram", None, reporter.id, '{"step":"region"}')  # no update id to record
        assert (await drafts.turn_start(Channel.TELEGRAM, "7", None)).draft == '{"step":"region"}'
        await drafts.save_turn("telegram", "102", reporter.id, None)  # a finished or cancelled draft goes
        assert (await drafts.turn_start(Channel.TELEGRAM, "7", None)).draft is None
        assert (await drafts.turn_start(Channel.TELEGRAM, "7", "102")).processed

        # All or nothing: a draft for an unknown reporter fails the foreign key, and the update id
        # it came with is not recorded either.
        with pytest.raises(sqlite3.IntegrityError):
            await drafts.save_turn("telegram", "103", 999_999, '{"step":"category"}')
        assert not (await drafts.turn_start(Channel.TELEGRAM, "7", "103")).processed
        rows = await db.fetchall("SELECT * FROM turn_saves")
        assert rows == []  # the view never holds anything
    finally:
        await db.close()
