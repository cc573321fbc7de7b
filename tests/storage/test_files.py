from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from handlers.report.images import inspect_image
from storage.files import EvidenceStore
from tests.images import make_jpeg

DATA = b"bukti foto pelanggaran netralitas ASN" * 100
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def put(store: EvidenceStore, data: bytes, derived: dict[str, bytes] | None = None) -> str:
    """As the image pipeline calls it: hashed by the caller, stored in a worker thread."""
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(store.keep, data, digest, derived or {})
    return digest


async def test_put_returns_sha256_and_lays_out_by_prefix(store: EvidenceStore) -> None:
    digest = await put(store, DATA)
    assert digest == SHA
    expected = store.root / SHA[:2] / SHA[2:4] / SHA
    assert store.path(SHA) == expected
    assert expected.read_bytes() == DATA
    assert store.exists(SHA)
    assert await store.get(SHA) == DATA
    assert store.verify(SHA)


async def test_second_put_is_a_no_op(store: EvidenceStore) -> None:
    await put(store, DATA)
    before = store.path(SHA).stat()
    assert await put(store, DATA) == SHA
    after = store.path(SHA).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _all_files(store.root) == [store.path(SHA)]


async def test_concurrent_puts_of_same_bytes_leave_one_file(store: EvidenceStore) -> None:
    digests = await asyncio.gather(*(put(store, DATA) for _ in range(16)))
    assert set(digests) == {SHA}
    assert _all_files(store.root) == [store.path(SHA)]
    assert store.verify(SHA)


async def test_write_is_atomic_when_rename_fails(store: EvidenceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src: str, dst: str) -> None:
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk pulled out"):
        await put(store, DATA)
    assert not store.exists(SHA)
    assert _all_files(store.root) == []  # the temp file is cleaned up too


async def test_data_is_fsynced_before_it_becomes_visible(store: EvidenceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        assert Path(src).parent == Path(dst).parent  # same directory: rename is atomic
        assert Path(src).read_bytes() == DATA
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    await put(store, DATA)
    first_replace = events.index("replace")
    assert "fsync" in events[:first_replace]
    assert events[-1] == "fsync"  # the directory entry, after the rename


async def test_damaged_file_is_healed_by_put(store: EvidenceStore) -> None:
    await put(store, DATA)
    store.path(SHA).write_bytes(DATA[:10])
    assert not store.verify(SHA)
    await put(store, DATA)
    assert store.verify(SHA)


async def test_verify_detects_tampering_and_absence(store: EvidenceStore) -> None:
    assert not store.verify(SHA)
    await put(store, DATA)
    tampered = bytearray(DATA)
    tampered[5] ^= 0xFF
    store.path(SHA).write_bytes(bytes(tampered))
    assert not store.verify(SHA)


async def test_get_missing_raises(store: EvidenceStore) -> None:
    with pytest.raises(FileNotFoundError):
        await store.get(SHA)
    with pytest.raises(FileNotFoundError):
        await store.get_derived(SHA, "preview")
    assert not store.exists(SHA)


async def test_uppercase_digest_is_the_same_file(store: EvidenceStore) -> None:
    await put(store, DATA)
    assert store.path(SHA.upper()) == store.path(SHA)
    assert await store.get(SHA.upper()) == DATA


async def test_derived_copies(store: EvidenceStore) -> None:
    digest = await put(store, DATA, {"preview": b"jpeg v1"})
    target = store.derived_path(digest, "preview")
    assert target == store.root / "derived" / "preview" / SHA[:2] / f"{SHA}.jpg"
    assert await store.get_derived(digest, "preview") == b"jpeg v1"
    await put(store, DATA, {"preview": b"jpeg v2"})  # regenerated, e.g. new settings
    assert await store.get_derived(digest, "preview") == b"jpeg v2"
    assert [p.name for p in _all_files(target.parent)] == [f"{SHA}.jpg"]
    assert await store.get(digest) == DATA  # the original is untouched


BAD_DIGESTS = [
    "../../etc/passwd",
    "../" + SHA[3:],
    SHA[:63],
    SHA + "0",
    SHA + "\n",
    "g" * 64,
    " " + SHA[1:],
    SHA[:32] + "/" + SHA[33:],
    "",
]


@pytest.mark.parametrize("bad", BAD_DIGESTS)
async def test_rejects_non_digests(store: EvidenceStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.path(bad)
    with pytest.raises(ValueError):
        await store.get(bad)
    with pytest.raises(ValueError):
        await store.get_derived(bad, "preview")
    with pytest.raises(ValueError):
        store.keep(b"x", bad, {"preview": b"x"})
    with pytest.raises(ValueError):
        store.exists(bad)
    with pytest.raises(ValueError):
        store.verify(bad)
    assert not (store.root.exists() and _all_files(store.root))


@pytest.mark.parametrize("kind", ["../x", "a/b", "", ".", "..", "Preview", "x" * 40, "pre view"])
async def test_rejects_bad_kinds(store: EvidenceStore, kind: str) -> None:
    with pytest.raises(ValueError):
        store.keep(DATA, SHA, {kind: b"x"})
    with pytest.raises(ValueError):
        await store.get_derived(SHA, kind)


async def test_stores_an_inspected_photo_end_to_end(store: EvidenceStore) -> None:
    photo = make_jpeg(1600, 1200, exif_datetime="2024:02:14 08:00:00")
    inspected = inspect_image(photo, max_bytes=10_000_000)
    assert await put(store, photo, {"preview": inspected.preview_jpeg}) == inspected.sha256
    assert await store.get(inspected.sha256) == photo
    assert await store.get_derived(inspected.sha256, "preview") == inspected.preview_jpeg
    assert store.verify(inspected.sha256)


async def test_keep_links_a_preview_identical_to_the_original(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    bare = b"\xff\xd8 a photo that needed no cleaning \xff\xd9"
    digest = hashlib.sha256(bare).hexdigest()
    store.keep(bare, digest, {"preview": bare})
    original, preview = store.path(digest), store.derived_path(digest, "preview")
    assert original.read_bytes() == bare and preview.read_bytes() == bare
    assert os.path.samefile(original, preview)  # one copy on disk, two names
    assert store.verify(digest)

    cleaned = b"\xff\xd8 re-encoded without metadata \xff\xd9"
    store.keep(bare, digest, {"preview": cleaned})  # the preview is replaced, the original untouched
    assert store.derived_path(digest, "preview").read_bytes() == cleaned
    assert original.read_bytes() == bare and store.verify(digest)
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary names left behind


def test_shred_overwrites_the_original_and_its_copies_before_deleting_them(
    store: EvidenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleting alone would leave a cancelled photo's GPS readable on the disk's free blocks."""
    store.keep(DATA, SHA, {"preview": b"metadata-free copy" * 50})
    seen: dict[str, bytes] = {}
    unlink = Path.unlink

    def peek(path: Path, missing_ok: bool = False) -> None:
        seen[path.name] = path.read_bytes()  # what is left on disk when the name goes
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", peek)
    assert store.shred(SHA) is True
    assert len(seen) == 2 and all(data and set(data) == {0} for data in seen.values())
    assert _all_files(store.root) == [] and store.shred(SHA) is False
