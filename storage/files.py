"""Content-addressed evidence files: originals by SHA-256, plus derived copies (previews).

Layout under ``root``::

    ab/cd/<sha256>                       original bytes, exactly as uploaded
    derived/<kind>/ab/<sha256>.jpg       e.g. kind="preview": metadata-free JPEG for moderators

The hash is the identity, so a report can cite it and anyone can re-check the file later
(``verify``). Every write is atomic (temp file in the same directory, fsync, rename, fsync
of the directory): a crash leaves either the complete file or none, never a torn one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Final

__all__ = ["EvidenceStore"]

_SHA256: Final = re.compile(r"[0-9a-fA-F]{64}")
_KIND: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_DERIVED_DIR: Final = "derived"
_DERIVED_SUFFIX: Final = ".jpg"
_HASH_CHUNK: Final = 1 << 20


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root: Final = Path(root)

    # ----------------------------------------------------------------- paths

    def path(self, sha256: str) -> Path:
        digest = _checked_sha256(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def derived_path(self, sha256: str, kind: str) -> Path:
        digest = _checked_sha256(sha256)
        return self.root / _DERIVED_DIR / _checked_kind(kind) / digest[:2] / f"{digest}{_DERIVED_SUFFIX}"

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def originals(self) -> list[tuple[str, float]]:
        """Every original on disk, with its modification time: what the housekeeping sweep weighs."""
        found = []
        for path in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            if path.is_file() and len(path.name) == 64:
                found.append((path.name, path.stat().st_mtime))
        return found

    def shred(self, sha256: str) -> bool:
        """Overwrite an original and its derived copies with zeros, then delete them. Blocking.

        Deleting alone would leave the GPS and device identity of a cancelled draft's photo readable on the
        disk's free blocks for as long as nothing overwrites them. True if there was anything to shred.
        """
        digest = _checked_sha256(sha256)
        paths = [self.path(digest), *(self.root / _DERIVED_DIR).glob(f"*/{digest[:2]}/{digest}{_DERIVED_SUFFIX}")]
        shredded = False
        for path in paths:
            try:
                size = path.stat().st_size
                with path.open("r+b") as handle:
                    handle.write(bytes(size))
                    handle.flush()
                    os.fsync(handle.fileno())
                path.unlink()
                shredded = True
            except FileNotFoundError:
                continue
        return shredded

    # ----------------------------------------------------------------- writing

    def keep(self, data: bytes, sha256: str, derived: Mapping[str, bytes]) -> None:
        """Store an original whose hash the caller just computed, with its derived copies. Blocking.

        For a worker thread: the image pipeline validates, hashes and stores in one hop off the event
        loop. A derived copy identical to the original (a photo that needed no cleaning) becomes a hard
        link to it, not a second file: the same bytes are written and synced once.
        """
        original = self._store_original(data, _checked_sha256(sha256))
        for kind, copy in derived.items():
            target = self.derived_path(sha256, kind)
            if copy is data or copy == data:
                _atomic_link(original, target)
            else:
                _atomic_write(target, copy)

    def _store_original(self, data: bytes, digest: str) -> Path:
        target = self.path(digest)
        # Same name means same bytes; a size mismatch can only be damage, which we heal.
        with contextlib.suppress(FileNotFoundError):
            if target.stat().st_size == len(data):
                return target
        _atomic_write(target, data)
        return target

    def scratch(self) -> IO[bytes]:
        """An unnamed temporary file beside the evidence: for what is too large to hold in memory (an
        archive of originals), on the evidence's own disk rather than a /tmp that may live in RAM. It is
        gone when closed, or when the process dies. Blocking."""
        _make_dirs(self.root)
        return tempfile.TemporaryFile(dir=self.root, prefix=".scratch-")

    # ----------------------------------------------------------------- reading

    async def get(self, sha256: str) -> bytes:
        """Original bytes; FileNotFoundError if never stored."""
        return await asyncio.to_thread(self.path(sha256).read_bytes)

    async def get_derived(self, sha256: str, kind: str) -> bytes:
        return await asyncio.to_thread(self.derived_path(sha256, kind).read_bytes)

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored original. Blocking (reads the whole file): from async code
        call it through ``asyncio.to_thread``. False if missing or altered."""
        digest = _checked_sha256(sha256)
        hasher = hashlib.sha256()
        try:
            with self.path(digest).open("rb") as fh:
                while chunk := fh.read(_HASH_CHUNK):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hasher.hexdigest() == digest


def _checked_sha256(sha256: str) -> str:
    # fullmatch, not match with "$": "$" would also accept a trailing newline.
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a hex SHA-256 digest: {sha256!r}")
    return sha256.lower()


def _checked_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError(f"invalid derived kind: {kind!r}")
    return kind


def _atomic_write(target: Path, data: bytes) -> None:
    _make_dirs(target.parent)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    # The rename lives in the directory: without this a power cut can forget it.
    _fsync_dir(target.parent)


def _atomic_link(source: Path, target: Path) -> None:
    """`target` becomes another name for `source` (replacing what was there), crash-safe like a write."""
    _make_dirs(target.parent)
    tmp = target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp"
    try:
        os.link(source, tmp)
    except OSError:  # a file system without hard links: fall back to a copy
        _atomic_write(target, source.read_bytes())
        return
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _make_dirs(directory: Path) -> None:
    """mkdir -p that also fsyncs each new directory's parent, so new paths survive a crash."""
    if directory.is_dir():
        return
    _make_dirs(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        return  # a concurrent write created it
    _fsync_dir(directory.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
