"""A stored report's hand-off: the packet from the database and evidence store, and `python -m bot paket`."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

from pypdf import PdfReader

from handlers.handoff.archive import MANIFEST_NAME
from handlers.handoff.assemble import assemble
from handlers.report.images import inspect_image
from handlers.report.intake import PREVIEW_KIND
from storage.models import Channel, Contact, PhotoEvidence
from storage.store import Store
from tests.images import make_jpeg
from tests.triage.helpers import NOW, REGIONS, TZ, add_report, open_store

ROOT = Path(__file__).resolve().parents[2]


def keep_photo(store: Store, data: bytes) -> PhotoEvidence:
    """As intake keeps a photo: the original byte for byte, its metadata-free preview beside it."""
    seen = inspect_image(data, max_bytes=20 * 1024 * 1024)
    store.files.keep(data, seen.sha256, {PREVIEW_KIND: seen.preview_jpeg})
    lat, lon = seen.gps if seen.gps else (None, None)
    return PhotoEvidence(
        sha256=seen.sha256,
        mime=seen.mime,
        size_bytes=seen.size_bytes,
        width=seen.width,
        height=seen.height,
        captured_at=seen.captured_at,
        latitude=lat,
        longitude=lon,
    )


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_packet_of_a_stored_report_matches_its_originals(tmp_path: Path) -> None:
    original = make_jpeg(exif_datetime="2023:11:18 09:30:00", gps=(-7.7056, 110.6061), seed=3)
    async with open_store(tmp_path) as store:
        photo = keep_photo(store, original)
        report = await add_report(store, photos=(photo,), links=("https://www.instagram.com/p/abc123",))
        out = io.BytesIO()
        handoff = await assemble(store, store.triage, REGIONS, report, tz=TZ, now=NOW, archive_to=out)
        # Without a place for the archive, only its hash is kept (from a scratch file): the same one.
        assert (await assemble(store, store.triage, REGIONS, report, tz=TZ, now=NOW)).archive == handoff.archive
        assert not [p for p in (tmp_path / "evidence").iterdir() if p.name.startswith(".scratch")]
    text = pdf_text(handoff.pdf).replace(" ", "")
    assert hashlib.sha256(original).hexdigest() in text
    assert handoff.packet.photos[0].original_sha256 == hashlib.sha256(original).hexdigest()
    assert hashlib.sha256(out.getvalue()).hexdigest() == handoff.archive.sha256
    with zipfile.ZipFile(out) as zf:
        names = [n for n in zf.namelist() if n != MANIFEST_NAME]
        assert [zf.read(n) for n in names] == [original]  # the original, byte for byte
        assert hashlib.sha256(original).hexdigest() in zf.read(MANIFEST_NAME).decode()
    assert handoff.archive.sha256 in text
    assert "INFORMASIAWAL" in text  # no contact shared
    assert "Kab.Klaten" in text and "BudiSantoso" in text


async def test_a_shared_contact_makes_a_laporan_and_only_then_shows_the_reporter(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        named = await add_report(store, address="5002", contact=Contact(name="Ani Wijaya", phone="+6281234567890"))
        anonymous = await add_report(store, address="5003")
        triage = store.triage
        formal = pdf_text((await assemble(store, triage, REGIONS, named, tz=TZ, now=NOW)).pdf)
        informal = pdf_text((await assemble(store, triage, REGIONS, anonymous, tz=TZ, now=NOW)).pdf)
    assert formal.startswith("LAPORAN") and "Ani Wijaya" in formal and "+6281234567890" in formal
    assert informal.startswith("INFORMASI AWAL") and "+62" not in informal and "5003" not in informal


def run_paket(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "SUMMARY_", "DATABASE_", "SUPERVISOR_", "EVIDENCE_", "WEBHOOK_"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "paket", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_command_line_writes_the_pdf_and_the_archive(tmp_path: Path) -> None:
    original = make_jpeg(seed=5)
    async with open_store(tmp_path) as store:
        report = await add_report(store, photos=(keep_photo(store, original),))
    out = tmp_path / "out"
    done = run_paket(tmp_path, report.code.lower(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    pdf, archive = (out / f"paket-{report.code}.pdf", out / f"bukti-{report.code}.zip")
    assert done.stdout.split() == [str(pdf), str(archive)]
    assert report.code in pdf_text(pdf.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        assert original in [zf.read(n) for n in zf.namelist()]
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:  # the archive of originals is an audited release
        assert db.execute("SELECT actor, detail FROM events WHERE action = 'evidence_released'").fetchall() == [
            ("cli", "originals:1")
        ]
    missing = run_paket(tmp_path, "LN-ZZZZZZ")
    assert missing.returncode == 1 and "LN-ZZZZZZ" in missing.stderr and "Traceback" not in missing.stderr


async def test_two_packets_of_one_reporter_share_nothing_a_strangers_packet_does_not(tmp_path: Path) -> None:
    """Bawaslu may get a reporter's anonymous packet and, later, their named one: nothing may tie the two.

    Differentially: any word the two packets share must also be in a packet of the same content from
    another reporter, so it is the content's, not the person's."""
    async with open_store(tmp_path) as store:
        triage = store.triage
        anonymous = await add_report(store, address="5004")
        named = await add_report(store, address="5004", contact=Contact(name="Ani Wijaya", phone="+6281234567890"))
        stranger = await add_report(store, address="5005")
        first, second, third = [
            pdf_text((await assemble(store, triage, REGIONS, r, tz=TZ, now=NOW)).pdf)
            for r in (anonymous, named, stranger)
        ]
        pseudonym = (await store.reporters.get(anonymous.reporter_id)).pseudonym  # type: ignore[union-attr]
        alias = await store.reporters.report_alias(anonymous.id)
    assert pseudonym not in first + second  # the groups' per-reporter label stays in the groups
    assert alias in first and alias not in second

    def words(text: str) -> set[str]:
        # Report codes are left out: the three are likely duplicates of one another (same content), and
        # the officer's part names each other's codes for that reason, identity or not.
        codes = {r.code for r in (anonymous, named, stranger)}
        return {w for w in text.split() if w.strip(",.") not in codes}

    shared = words(first) & words(second)
    assert shared - words(third) == set(), shared - words(third)


async def test_the_packet_says_when_and_how_lapor_netral_received_the_report(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        report = await add_report(store, channel=Channel.WHATSAPP, now=NOW)
        text = pdf_text((await assemble(store, store.triage, REGIONS, report, tz=TZ, now=NOW)).pdf)
    received = text[text.index("VII. Penerimaan") : text.index("VIII. Untuk Petugas")]
    local = NOW.astimezone(TZ)
    assert "Lapor Netral, lewat WhatsApp" in received
    assert f"{local:%H.%M} WIB" in received and str(local.year) in received
