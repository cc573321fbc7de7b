"""The evidence archive: originals byte for byte, a manifest that checks them, the same bytes every time."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import zipfile

import pytest

from handlers.handoff.archive import MANIFEST_NAME, ArchiveMismatch, build_archive
from tests.handoff.packets import originals


def test_the_archive_holds_every_original_and_a_manifest_that_verifies_it() -> None:
    files = originals(3)
    archive = build_archive("LN-7F3K9Q", files)
    assert archive.name == "bukti-LN-7F3K9Q.zip"
    assert archive.sha256 == hashlib.sha256(archive.data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        manifest = list(csv.DictReader(io.StringIO(zf.read(MANIFEST_NAME).decode())))
        assert len(manifest) == 3
        for row, original in zip(manifest, files, strict=True):
            data = zf.read(row["file_name"])
            assert data == original.data
            assert hashlib.sha256(data).hexdigest() == row["sha256"] == original.sha256
            assert int(row["size_bytes"]) == len(data)
            assert row["captured_at"] == original.captured_at.isoformat()  # type: ignore[union-attr]


def test_the_same_evidence_makes_the_same_archive() -> None:
    assert build_archive("LN-7F3K9Q", originals(2)).sha256 == build_archive("LN-7F3K9Q", originals(2)[::-1]).sha256


def test_a_damaged_original_is_never_handed_over() -> None:
    files = originals(2)
    files[1] = dataclasses.replace(files[1], data=files[1].data + b"x")
    with pytest.raises(ArchiveMismatch):
        build_archive("LN-7F3K9Q", files)


def test_an_archive_without_photos_still_has_its_manifest() -> None:
    archive = build_archive("LN-7F3K9Q", [])
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        assert zf.namelist() == [MANIFEST_NAME]
