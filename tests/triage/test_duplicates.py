"""Duplicate detection: identical files, near-identical pictures (dHash), the same terlapor nearby."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

from handlers.report.images import inspect_image
from handlers.triage.duplicates import (
    DuplicateKind,
    find_duplicates,
    photo_duplicates,
    same_person,
    subject_duplicates,
)
from storage.triage import PhotoMatch
from tests.images import make_jpeg
from tests.triage.helpers import NOW, add_report, open_store, photo

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64
MAX = 10_000_000


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Budi Santoso", "budi  santoso", True),
        ("Drs. Budi Santoso, M.Pd", "Budi Santoso", True),
        ("Bapak Budi Santoso", "BUDI SANTOSO S.Pd.", True),
        ("Budi Santoso Wibowo", "Budi Santoso", True),  # a full name inside a longer one
        ("Budi", "Budi Santoso", False),  # one word is too common to call it the same person
        ("Budi Santoso", "Budi Setiawan", False),
        ("Pak", "Bu", False),
    ],
)
def test_same_person(a: str, b: str, same: bool) -> None:
    assert same_person(a, b) is same


def test_identical_file_beats_a_look_alike() -> None:
    mine = [photo(SHA_A, "ffff0000ffff0000")]
    others = [
        PhotoMatch(report_id=2, code="LN-22", sha256=SHA_B, dhash="ffff0000ffff0001"),  # 1 bit apart
        PhotoMatch(report_id=2, code="LN-22", sha256=SHA_A, dhash="ffff0000ffff0000"),
        PhotoMatch(report_id=3, code="LN-33", sha256=SHA_C, dhash="ffff0000ffff003f"),  # 6 bits: still similar
        PhotoMatch(report_id=4, code="LN-44", sha256="d" * 64, dhash="ffff0000ffff007f"),  # 7 bits: not
        PhotoMatch(report_id=5, code="LN-55", sha256="e" * 64, dhash=None),
        PhotoMatch(report_id=6, code="LN-66", sha256="f" * 64, dhash="not-a-hash"),
    ]
    found = {d.code: d.kind for d in photo_duplicates(mine, others)}
    assert found == {"LN-22": DuplicateKind.SAME_FILE, "LN-33": DuplicateKind.SIMILAR_PHOTO}


def _resized(data: bytes, width: int) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        small = img.resize((width, width * img.height // img.width))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=70)
        return out.getvalue()


def test_a_resized_recompressed_copy_is_within_the_threshold() -> None:
    original = make_jpeg(1200, 900, seed=3)
    copy = _resized(original, 500)
    a, b = inspect_image(original, max_bytes=MAX), inspect_image(copy, max_bytes=MAX)
    other = inspect_image(make_jpeg(1200, 900, seed=11), max_bytes=MAX)
    assert a.sha256 != b.sha256
    found = photo_duplicates(
        [photo(a.sha256, a.dhash)],
        [
            PhotoMatch(report_id=2, code="LN-COPY", sha256=b.sha256, dhash=b.dhash),
            PhotoMatch(report_id=3, code="LN-OTHER", sha256=other.sha256, dhash=other.dhash),
        ],
    )
    assert [(d.code, d.kind) for d in found] == [("LN-COPY", DuplicateKind.SIMILAR_PHOTO)]


async def test_find_duplicates_in_the_database(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        first = await add_report(store, address="1", photos=(photo(SHA_A, "0123456789abcdef"),))
        same_subject = await add_report(store, address="2", subject="Drs. Budi Santoso", incident=date(2023, 11, 16))
        await add_report(store, address="3", subject="Budi Santoso", incident=date(2023, 11, 10))  # too far apart
        await add_report(store, address="4", subject="Budi Santoso", region="kota-surakarta")  # elsewhere
        look_alike = await add_report(store, address="5", subject=None, photos=(photo(SHA_B, "0123456789abcdee"),))
        mine = await add_report(store, address="6", photos=(photo(SHA_A, None), photo(SHA_C, "0123456789abcdef")))
        found = await find_duplicates(store.triage, mine, await store.reports.evidence(mine.id), NOW)
        assert [(d.code, d.kind) for d in found] == [
            (first.code, DuplicateKind.SAME_FILE),
            (same_subject.code, DuplicateKind.SAME_SUBJECT),
            (look_alike.code, DuplicateKind.SIMILAR_PHOTO),
        ]
        # A report is never its own duplicate, and one without photos or name has none to find.
        lone = await add_report(store, address="7", subject=None, region="kab-blora")
        assert await find_duplicates(store.triage, lone, [], NOW) == []


def test_subject_window_is_three_days() -> None:
    from storage.models import Report

    base = dict(
        code="LN-1",
        reporter_id=1,
        channel="telegram",
        state="baru",
        category="foto",
        subject_name="Budi Santoso",
        subject_agency=None,
        subject_status="pns",
        region_id="kab-klaten",
        place="x",
        latitude=None,
        longitude=None,
        incident_date=date(2023, 11, 18),
        description="d",
        contact_shared=False,
        locale="id",
        created_at=NOW,
        updated_at=NOW,
        card_chat_id=None,
        card_message_id=None,
    )
    report = Report.model_validate({**base, "id": 1})
    near = Report.model_validate({**base, "id": 2, "code": "LN-2", "incident_date": date(2023, 11, 21)})
    far = Report.model_validate(
        {**base, "id": 3, "code": "LN-3", "incident_date": date(2023, 11, 18) + timedelta(days=4)}
    )
    assert [d.code for d in subject_duplicates(report, [report, near, far])] == ["LN-2"]
