"""The evidence archive: the original files, byte for byte, with a manifest that lets the receiver check them.

Bawaslu takes electronic evidence on a storage medium (Perbawaslu 7/2022 Art. 13). The archive is what goes
on it: every original under a name that carries its position and hash, and `MANIFEST.csv` (file name,
SHA-256, size, capture time) so the receiving officer can verify each file with `sha256sum` alone. It holds
originals, with whatever device identity their metadata carries, so only custodians may receive it.

The ZIP is deterministic (fixed timestamps, sorted order, stored without compression: photos do not
compress), so the same evidence always yields the same archive and the same SHA-256 the PDF names.

Ten originals of 20 MB make a 200 MB archive, and every packet needs its hash: the archive is streamed into
a file, one chunk of one original at a time, never held in memory. It is blocking work (reading and hashing
every original): async callers run it in a thread.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Final

# ZIP's epoch; a fixed stamp keeps the archive's bytes (and so its hash) independent of when it was made.
_STAMP: Final = (1980, 1, 1, 0, 0, 0)
MANIFEST_NAME: Final = "MANIFEST.csv"
_CHUNK: Final = 1 << 20
_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
}


@dataclass(frozen=True, slots=True)
class Original:
    """One original file as it was received, where the evidence store keeps it."""

    position: int
    sha256: str
    mime: str
    path: Path
    captured_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ManifestRow:
    file_name: str
    sha256: str
    size_bytes: int
    captured_at: datetime | None


@dataclass(frozen=True, slots=True)
class Archive:
    """An archive as written: its name, the SHA-256 of its bytes, what it holds. The bytes are in the file
    it was written to."""

    name: str
    sha256: str
    manifest: tuple[ManifestRow, ...]


class ArchiveMismatch(ValueError):
    """An original's bytes do not hash to the SHA-256 on record: the store is damaged, never hand it over."""


def archive_name(code: str) -> str:
    return f"bukti-{code}.zip"


def file_name(original: Original) -> str:
    extension = _EXTENSIONS.get(original.mime, "bin")
    return f"{original.position:02d}-{original.sha256[:16]}.{extension}"


def write_archive(code: str, originals: Sequence[Original], out: IO[bytes]) -> Archive:
    """The ZIP of `originals` with its manifest, written into `out` (seekable, empty), and its SHA-256.

    Each original is hashed as it is copied: a file whose bytes do not match its hash (damage on disk)
    stops the archive, which must then not be handed over (ArchiveMismatch)."""
    rows: list[ManifestRow] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for original in sorted(originals, key=lambda o: o.position):
            name = file_name(original)
            entry = zipfile.ZipInfo(name, _STAMP)
            digest, size = hashlib.sha256(), 0
            with original.path.open("rb") as source:
                entry.file_size = source.seek(0, io.SEEK_END)
                source.seek(0)
                with archive.open(entry, "w") as target:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        target.write(chunk)
                        size += len(chunk)
            if digest.hexdigest() != original.sha256:
                raise ArchiveMismatch(f"evidence {original.position} of {code} does not match its SHA-256")
            rows.append(ManifestRow(name, original.sha256, size, original.captured_at))
        archive.writestr(zipfile.ZipInfo(MANIFEST_NAME, _STAMP), _manifest_csv(rows))
    out.flush()
    out.seek(0)
    whole = hashlib.sha256()
    while chunk := out.read(_CHUNK):
        whole.update(chunk)
    return Archive(archive_name(code), whole.hexdigest(), tuple(rows))


def _manifest_csv(rows: Sequence[ManifestRow]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["file_name", "sha256", "size_bytes", "captured_at"])
    for row in rows:
        writer.writerow(
            [row.file_name, row.sha256, row.size_bytes, row.captured_at.isoformat() if row.captured_at else ""]
        )
    return text.getvalue().encode("utf-8")
