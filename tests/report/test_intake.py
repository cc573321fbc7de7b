"""The report service with a real SQLite file: drafts survive, reports commit before the reply."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.housekeeping import Housekeeping
from handlers.common.events import Choice, Command, Event, Image, Text
from handlers.common.limits import FloodGuard
from handlers.common.regions import RegionCatalog
from handlers.report.intake import Intake, IntakeConfig, KeyedLocks
from storage.db import iso
from storage.models import Channel
from storage.store import Store
from tests.images import make_jpeg

NOW = datetime(2023, 11, 20, 3, 0, tzinfo=UTC)


def photo(data: bytes) -> Image:
    async def fetch() -> bytes:
        return data

    return Image(fetch=fetch, size=len(data))


REPORT: list[Event] = [
    Choice("go:start"),
    Choice("cat:kampanye"),
    Text("Tidak tahu namanya"),
    Text("Camat Tengaran"),
    Choice("st:pns"),
    Text("kab semarang"),
    Text("Lapangan Tengaran"),
    Choice("loc:skip"),
    Choice("when:today"),
    Choice("known:same"),
    Text("Camat berorasi di atas panggung kampanye calon bupati."),
    photo(make_jpeg(640, 480)),
    Choice("ev:done"),
    Choice("wit:none"),
    Choice("ct:skip"),
    Choice("rv:send"),
]


async def open_intake(tmp_path: Path, **config: int) -> tuple[Store, Intake]:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    settings = IntakeConfig(default_locale="id", tz=ZoneInfo("Asia/Jakarta"), max_image_bytes=5_000_000, **config)
    return store, Intake(store, RegionCatalog.load(), settings, clock=lambda: NOW)


async def test_a_report_is_committed_with_its_outbox_entry_before_the_ticket(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        for number, event in enumerate(REPORT):
            answer = await intake.handle(Channel.TELEGRAM, "77", event, update_id=str(number))
        ticket = answer.replies[0].text
        code = ticket.split("<code>")[1].split("</code>")[0]
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            assert db.execute("SELECT region_id, state FROM reports WHERE code = ?", (code,)).fetchone() == (
                "kab-semarang",
                "baru",
            )
            assert db.execute("SELECT kind, state FROM outbox").fetchall() == [("forward_report", "pending")]
            assert db.execute("SELECT COUNT(*) FROM drafts").fetchone() == (0,)
    finally:
        await store.close()


async def test_the_draft_survives_a_restart_and_redelivery_is_ignored(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    for number, event in enumerate(REPORT[:5]):
        await intake.handle(Channel.TELEGRAM, "77", event, update_id=str(number))
    await store.close()
    store, intake = await open_intake(tmp_path)
    try:
        again = await intake.handle(Channel.TELEGRAM, "77", REPORT[4], update_id="4")
        assert again.replies == []
        resumed = await intake.handle(Channel.TELEGRAM, "77", Command("lapor"), update_id="5")
        assert "Melanjutkan" in resumed.replies[0].text and "3/8" in resumed.replies[0].text
    finally:
        await store.close()


async def test_one_sender_is_handled_in_order_and_others_in_parallel(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        senders = [str(n) for n in range(5)]
        await asyncio.gather(*(intake.handle(Channel.TELEGRAM, s, e) for s in senders for e in REPORT[:3]))
        for sender in senders:
            draft = (await store.drafts.turn_start(Channel.TELEGRAM, sender, None)).draft
            assert draft is not None and '"step":"subject_agency"' in draft
    finally:
        await store.close()


async def test_flooding_is_refused_once_politely_and_then_silently(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path, messages_per_minute=3)
    try:
        answers = [await intake.handle(Channel.TELEGRAM, "9", Text("halo")) for _ in range(6)]
        assert [len(a.replies) for a in answers[3:]] == [1, 0, 0]
        assert "terlalu banyak pesan" in answers[3].replies[0].text
        other = await intake.handle(Channel.TELEGRAM, "10", Text("halo"))
        assert "terlalu banyak" not in other.replies[0].text
    finally:
        await store.close()


async def test_reports_per_day_are_limited(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path, reports_per_day=1)
    try:
        for event in REPORT:
            await intake.handle(Channel.TELEGRAM, "5", event)
        refused = await intake.handle(Channel.TELEGRAM, "5", Choice("go:start"))
        assert "1 laporan dalam 24 jam" in refused.replies[0].text
    finally:
        await store.close()


def test_flood_guard_window_slides() -> None:
    guard = FloodGuard(per_minute=2)
    assert [guard.check("a", t) for t in (0, 1, 2, 3)] == ["ok", "ok", "warn", "drop"]
    assert guard.check("a", 61) == "ok"
    assert guard.check("b", 3) == "ok"


async def test_keyed_locks_forget_idle_keys() -> None:
    locks = KeyedLocks()
    async with locks.hold("a"):
        pass
    assert locks._locks == {}


def evidence_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_cancelled_drafts_photo_is_shredded_from_disk(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        picture = make_jpeg(640, 480, seed=41, gps=(-7.3, 110.5))
        for number, event in enumerate(REPORT[:12]):  # up to and including the photo
            await intake.handle(Channel.TELEGRAM, "88", event, update_id=str(number))
        kept = evidence_files(tmp_path / "evidence")
        assert kept  # the original and its clean copy
        await intake.handle(Channel.TELEGRAM, "88", photo(picture), update_id="p")
        # Another citizen sends the very same picture: it must outlive the first citizen's cancelling.
        for number, event in enumerate([*REPORT[:11], photo(picture)]):
            await intake.handle(Channel.TELEGRAM, "99", event, update_id=f"o{number}")
        await intake.handle(Channel.TELEGRAM, "88", Command("batal"), update_id="c1")
        await intake.handle(Channel.TELEGRAM, "88", Choice("nav:cancel_yes"), update_id="c2")
        left = {p.name for p in evidence_files(tmp_path / "evidence")}
        shared = hashlib.sha256(picture).hexdigest()
        first = hashlib.sha256(make_jpeg(640, 480)).hexdigest()
        assert shared in left  # still in the other citizen's draft
        assert first not in left and not any(first in name for name in left)  # original and copy gone
        raw = b"".join(p.read_bytes() for p in evidence_files(tmp_path / "evidence"))
        assert make_jpeg(640, 480) not in raw
    finally:
        await store.close()


async def test_housekeeping_sweeps_files_nothing_refers_to(tmp_path: Path) -> None:
    store, _ = await open_intake(tmp_path)
    try:
        data = make_jpeg(320, 240, seed=7)
        digest = hashlib.sha256(data).hexdigest()
        store.files.keep(data, digest, {"preview": data})  # a crash between storing and saving the turn
        assert await store.sweep_evidence(datetime.now(UTC) - timedelta(days=1)) == 0  # too young to judge
        assert await store.sweep_evidence(datetime.now(UTC) + timedelta(minutes=1)) == 1
        assert not store.files.exists(digest) and evidence_files(tmp_path / "evidence") == []
    finally:
        await store.close()


async def test_a_pruned_drafts_photo_is_shredded_by_the_housekeeping_job(tmp_path: Path) -> None:
    """A draft abandoned for a month is pruned, and its photo (original and clean copy) shredded with it; the
    photos of a live draft and of a submitted report stay."""
    store, intake = await open_intake(tmp_path)
    try:
        abandoned = make_jpeg(640, 480, seed=51, gps=(-7.3, 110.5))
        live = make_jpeg(640, 480, seed=52)
        for number, event in enumerate([*REPORT[:11], photo(abandoned)]):
            await intake.handle(Channel.TELEGRAM, "61", event, update_id=f"a{number}")
        for number, event in enumerate([*REPORT[:11], photo(live)]):
            await intake.handle(Channel.TELEGRAM, "62", event, update_id=f"l{number}")
        for number, event in enumerate(REPORT):  # a submitted report's photo: make_jpeg(640, 480)
            await intake.handle(Channel.TELEGRAM, "63", event, update_id=f"s{number}")
        # The first citizen never came back: their draft was last touched 40 days ago.
        await store.db.execute(
            "UPDATE drafts SET updated_at = ? WHERE reporter_id = (SELECT id FROM reporters WHERE address = '61')",
            (iso(datetime.now(UTC) - timedelta(days=40)),),
        )
        # Two days on: every file is past the grace that protects a turn in progress.
        later = datetime.now(UTC) + timedelta(days=2)
        purged = await Housekeeping(store, 180, ZoneInfo("Asia/Jakarta"), clock=lambda: later).run()
        assert purged.drafts == 1 and purged.evidence_files == 1
        left = {p.name for p in evidence_files(tmp_path / "evidence")}
        gone = hashlib.sha256(abandoned).hexdigest()
        assert not any(gone in name for name in left)  # the original and its clean copy
        assert hashlib.sha256(live).hexdigest() in left
        assert hashlib.sha256(make_jpeg(640, 480)).hexdigest() in left
        raw = b"".join(p.read_bytes() for p in evidence_files(tmp_path / "evidence"))
        assert abandoned not in raw
        assert (await store.drafts.turn_start(Channel.TELEGRAM, "62", None)).draft is not None
    finally:
        await store.close()
