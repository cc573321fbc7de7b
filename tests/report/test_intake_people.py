"""The report service with a real SQLite file and real images, for issue 12's new steps: a removed photo
shredded from disk, the daily evidence quota, a restart in the middle of a new step, and the committed
report carrying the known-day, the workplace and the witnesses."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from handlers.common.events import Choice, Event, Text
from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.report.draft import Draft
from handlers.report.prompts import photo_token
from storage.models import Channel
from tests.images import make_jpeg
from tests.report.test_intake import evidence_files, open_intake, photo

UNTIL_EVIDENCE: list[Event] = [
    Choice("go:start"),
    Choice("cat:medsos"),
    Text("Budi Santoso"),
    Choice("agency:unknown"),
    Choice("st:pns"),
    Text("medsos"),  # tidak tahu / di media sosial
    Text("Dinas Pendidikan Kab. Sragen"),
    Text("Grup Facebook warga"),
    Choice("loc:skip"),
    Text("kemarin"),
    Choice("known:today"),
    Text("Ia mengunggah ajakan memilih calon bupati di grup Facebook warga."),
    Choice("desc:done"),
]


async def draft_of(tmp_path: Path, address: str) -> Draft:
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        row = db.execute(
            "SELECT d.data FROM drafts d JOIN reporters r ON r.id = d.reporter_id WHERE r.address = ?", (address,)
        ).fetchone()
    return Draft.load(row[0] if row else None)


async def test_a_photo_removed_at_the_review_is_shredded_and_the_report_carries_the_new_fields(
    tmp_path: Path,
) -> None:
    keep, mistake = make_jpeg(800, 600, seed=51), make_jpeg(640, 480, seed=52, gps=(-7.4, 110.9))
    store, intake = await open_intake(tmp_path)
    try:
        events = [*UNTIL_EVIDENCE, photo(keep), photo(mistake), Choice("ev:done")]
        events += [Text("Rina Lestari, 0812 3456 7890"), Choice("wit:done"), Choice("ct:skip")]
        for number, event in enumerate(events):
            await intake.handle(Channel.TELEGRAM, "61", event, update_id=str(number))
        wrong = hashlib.sha256(mistake).hexdigest()
        assert any(wrong in p.name for p in evidence_files(tmp_path / "evidence"))
        draft = await draft_of(tmp_path, "61")
        token = photo_token(next(p for p in draft.photos if p.sha256 == wrong))
        for number, event in enumerate(
            [Choice("rv:edit"), Choice("ed:evidence"), Choice("ev:remove"), Choice(f"rm:p:{token}")], 100
        ):
            answer = await intake.handle(Channel.TELEGRAM, "61", event, update_id=str(number))
        assert "Foto 2 (640×480) dihapus" in answer.replies[0].text
        left = {p.name for p in evidence_files(tmp_path / "evidence")}
        assert not any(wrong in name for name in left)  # original and clean copy gone at once
        assert any(hashlib.sha256(keep).hexdigest() in name for name in left)
        for number, event in enumerate([Choice("rm:done"), Choice("ev:done"), Choice("rv:send")], 200):
            answer = await intake.handle(Channel.TELEGRAM, "61", event, update_id=str(number))
        assert "Terima kasih" in answer.replies[0].text
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        region, workplace, incident, known = db.execute(
            "SELECT region_id, workplace, incident_date, known_date FROM reports"
        ).fetchone()
        assert (region, workplace) == (UNKNOWN_REGION_ID, "Dinas Pendidikan Kab. Sragen")
        assert (incident, known) == ("2023-11-19", "2023-11-20")
        assert db.execute("SELECT name, reach FROM witnesses").fetchall() == [("Rina Lestari", "0812 3456 7890")]
        assert db.execute("SELECT COUNT(*) FROM evidence").fetchone() == (1,)


async def test_a_restart_resumes_the_new_steps(tmp_path: Path) -> None:
    store, intake = await open_intake(tmp_path)
    try:
        for number, event in enumerate(UNTIL_EVIDENCE[:6]):
            await intake.handle(Channel.TELEGRAM, "62", event, update_id=str(number))
    finally:
        await store.close()
    store, intake = await open_intake(tmp_path)  # the process restarted
    try:
        resumed = await intake.handle(Channel.TELEGRAM, "62", Choice("go:start"), update_id="r1")
        assert "Di mana ASN itu bekerja" in resumed.replies[-1].text
        await intake.handle(Channel.TELEGRAM, "62", Text("Kantor Camat"), update_id="r2")
        assert (await draft_of(tmp_path, "62")).workplace == "Kantor Camat"
    finally:
        await store.close()


async def test_the_daily_evidence_quota_refuses_politely_and_writes_nothing(tmp_path: Path) -> None:
    first, second = make_jpeg(1600, 1200, seed=61), make_jpeg(1600, 1200, seed=62)
    quota = 2 * len(first) + len(second)  # room for one photo (counted twice: original and clean copy)
    store, intake = await open_intake(tmp_path, evidence_bytes_per_day=quota)
    try:
        for number, event in enumerate([*UNTIL_EVIDENCE, photo(first)]):
            answer = await intake.handle(Channel.TELEGRAM, "63", event, update_id=str(number))
        assert "foto diterima" in answer.replies[0].text
        before = {p.name for p in evidence_files(tmp_path / "evidence")}
        refused = await intake.handle(Channel.TELEGRAM, "63", photo(second), update_id="q")
        shown = f"{round(quota / (1024 * 1024), 1):g} MB"
        assert "batas penyimpanan bukti untuk hari ini" in refused.replies[0].text and shown in refused.replies[0].text
        assert {p.name for p in evidence_files(tmp_path / "evidence")} == before
        assert len((await draft_of(tmp_path, "63")).photos) == 1
        # Another sender has their own quota.
        for number, event in enumerate([*UNTIL_EVIDENCE, photo(second)]):
            other = await intake.handle(Channel.TELEGRAM, "64", event, update_id=f"o{number}")
        assert "foto diterima" in other.replies[0].text
        # A link is still accepted: the quota bounds disk, not evidence.
        link = await intake.handle(Channel.TELEGRAM, "63", Text("https://facebook.com/x/posts/1"), update_id="l")
        assert "tautan diterima" in link.replies[0].text
    finally:
        await store.close()
