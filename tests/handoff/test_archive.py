"""The evidence archive: originals byte for byte, a manifest that checks them, the same bytes every time."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from handlers.handoff.archive import MANIFEST_NAME, ArchiveMismatch, Original, write_archive
from tests.handoff.packets import archive_of, originals


def test_the_archive_holds_every_original_and_a_manifest_that_verifies_it(tmp_path: Path) -> None:
    files = originals(3, tmp_path)
    archive, data = archive_of("LN-7F3K9Q", files)
    assert archive.name == "bukti-LN-7F3K9Q.zip"
    assert archive.sha256 == hashlib.sha256(data).hexdigest()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # every entry's CRC checks
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = list(csv.DictReader(io.StringIO(zf.read(MANIFEST_NAME).decode())))
        assert len(manifest) == 3
        for row, original in zip(manifest, files, strict=True):
            held = zf.read(row["file_name"])
            assert held == original.path.read_bytes()
            assert hashlib.sha256(held).hexdigest() == row["sha256"] == original.sha256
            assert int(row["size_bytes"]) == len(held)
            assert row["captured_at"] == original.captured_at.isoformat()  # type: ignore[union-attr]


def test_the_same_evidence_makes_the_same_archive(tmp_path: Path) -> None:
    files = originals(2, tmp_path)
    first, first_data = archive_of("LN-7F3K9Q", files)
    again, again_data = archive_of("LN-7F3K9Q", files[::-1])
    assert first.sha256 == again.sha256 and first_data == again_data


def test_a_file_or_a_memory_buffer_holds_the_same_archive(tmp_path: Path) -> None:
    """The group's packet hashes a scratch file, the command line writes a file, tests use memory: one archive."""
    files = originals(2, tmp_path)
    archive, data = archive_of("LN-7F3K9Q", files)
    with (tmp_path / "out.zip").open("w+b") as out:
        assert write_archive("LN-7F3K9Q", files, out) == archive
    assert (tmp_path / "out.zip").read_bytes() == data


def test_a_damaged_original_is_never_handed_over(tmp_path: Path) -> None:
    files = originals(2, tmp_path)
    with files[1].path.open("ab") as damaged:
        damaged.write(b"x")
    with pytest.raises(ArchiveMismatch):
        archive_of("LN-7F3K9Q", files)


def test_an_archive_without_photos_still_has_its_manifest() -> None:
    _, data = archive_of("LN-7F3K9Q", [])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [MANIFEST_NAME]


def test_writing_the_archive_holds_a_chunk_not_the_evidence(tmp_path: Path) -> None:
    """Ten 20 MB originals make a 200 MB archive: it is streamed, so memory stays at one chunk's worth."""
    files = []
    for n in range(1, 5):
        data = os.urandom(4 * 1024 * 1024)
        sha256 = hashlib.sha256(data).hexdigest()
        (tmp_path / sha256).write_bytes(data)
        files.append(Original(n, sha256, "image/jpeg", tmp_path / sha256))
    with tempfile.TemporaryFile(dir=tmp_path) as out:
        tracemalloc.start()
        try:
            archive = write_archive("LN-7F3K9Q", files, out)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(archive.manifest) == 4
        assert peak < 3 * 1024 * 1024, peak  # 16 MB of evidence went through
