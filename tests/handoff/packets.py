"""Case packets for the hand-off tests, with real JPEG copies."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.handoff.archive import Archive, Original, write_archive
from handlers.handoff.packet import ArchiveRef, CasePacket, Identity, Link, Photo, Step, Witness
from handlers.triage.rules import Checklist, Requirement, bawaslu_deadline
from storage.models import Category, Channel, SubjectStatus
from tests.images import photo_like

TZ = ZoneInfo("Asia/Jakarta")
MADE = datetime(2024, 2, 12, 3, 30, tzinfo=UTC)


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    photo_like(*size, seed=seed).save(out, "JPEG", quality=85)
    return out.getvalue()


def originals(count: int = 2, folder: Path | None = None) -> list[Original]:
    """`count` originals, written into `folder` for a test that reads them (the archive's); without a folder
    they are only described (a packet needs their hashes, not their bytes)."""
    made = []
    for n in range(1, count + 1):
        data = jpeg(n)
        sha256 = hashlib.sha256(data).hexdigest()
        path = (folder or Path("unwritten")) / sha256
        if folder is not None:
            path.write_bytes(data)
        made.append(Original(n, sha256, "image/jpeg", path, datetime(2024, 2, 10, 1, 15 + n, tzinfo=UTC)))
    return made


def archive_of(code: str, files: list[Original]) -> tuple[Archive, bytes]:
    """The archive of `files` and its bytes, written into memory."""
    out = io.BytesIO()
    archive = write_archive(code, files, out)
    return archive, out.getvalue()


def packet(
    *,
    identity: Identity | None = None,
    archive: ArchiveRef | None = None,
    files: list[Original] | None = None,
    description: str | None = None,
) -> CasePacket:
    files = files if files is not None else originals()
    photos = tuple(
        Photo(
            o.position,
            o.sha256,
            jpeg(o.position + 100),
            o.captured_at,
            -7.7056 if o.position == 1 else None,
            110.6061 if o.position == 1 else None,
        )
        for o in files
    )
    met = tuple(r for r in Requirement if r is not Requirement.REPORTER or identity is not None)
    missing = tuple(r for r in Requirement if r not in met)
    return CasePacket(
        code="LN-7F3K9Q",
        category=Category.KAMPANYE,
        subject_name="Budi Santoso",
        subject_agency="Dinas Pendidikan Kab. Klaten, guru",
        subject_status=SubjectStatus.PNS,
        region_name="Kab. Klaten",
        place="Lapangan Desa Jogonalan",
        incident_date=date(2024, 2, 10),
        known_date=date(2024, 2, 11),
        subject_nip="198001012005011001",
        description=description
        or (
            "Pada hari Sabtu pukul 08.00 terlapor hadir di kampanye pasangan calon "
            "nomor 2, memakai kaos partai dan berpidato mengajak warga memilih."
        ),
        reporter_alias="R7KQ2M",
        channel=Channel.WHATSAPP,
        received_at=datetime(2024, 2, 11, 2, 0, tzinfo=UTC),
        checklist=Checklist(met, missing),
        deadline=bawaslu_deadline(date(2024, 2, 11), MADE.date()),
        made_at=MADE,
        tz=TZ,
        latitude=-7.7056,
        longitude=110.6061,
        reporter=identity,
        witnesses=(Witness("Siti Aminah", "0812-3456-7890"),),
        photos=photos,
        links=(Link("https://www.instagram.com/p/abc123", MADE),),
        archive=archive,
        duplicates=("LN-2B8C4D",),
        timeline=(
            Step(datetime(2024, 2, 11, 2, 0, tzinfo=UTC), "created", "pelapor R7KQ2M"),
            Step(datetime(2024, 2, 11, 4, 0, tzinfo=UTC), "claim", "Rina (pengawas)"),
            Step(MADE, "forward", "Rina (pengawas)", "Bawaslu Kab. Klaten"),
        ),
    )
