"""Hostile images (issue 11 items 2, 3, 14): bounded memory, a group copy proven clean, too-small images."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from handlers.report import images
from handlers.report.images import (
    DECODE_SLOTS,
    DEFAULT_DECODE_BUDGET,
    JAKARTA,
    ImageRejected,
    InspectedImage,
    RejectReason,
    inspect_image,
)
from locales import t
from tests.images import (
    between_scans,
    decompression_bomb_png,
    exif_with_owner,
    jpeg_segment,
    make_jpeg,
    make_png,
    photo_like,
    progressive_jpeg,
    zip_archive,
)
from tests.report.test_intake import open_intake

MAX_BYTES = 20 * 1024 * 1024
SEMARANG = (-6.966667, 110.416664)
SECRET_GPS = (-7.25, 110.5)


def inspect(data: bytes, **kwargs: Any) -> InspectedImage:
    return inspect_image(data, max_bytes=MAX_BYTES, **kwargs)


def rejection(data: bytes, **kwargs: Any) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        inspect(data, **kwargs)
    return info.value


def owner_jpeg() -> bytes:
    exif = exif_with_owner(artist="Budi Santoso", serial="SN-4471-XK", gps=SECRET_GPS)
    return make_jpeg(320, 240, seed=5, exif=exif)


# --------------------------------------------------------------------------- item 3: the group copy


def assert_clean_copy(result: InspectedImage, original: bytes) -> None:
    assert result.preview_jpeg != original
    preview = result.preview_jpeg
    for secret in (b"Budi", b"SN-4471", b"PK\x03\x04", b"Exif", b"rahasia"):
        assert secret not in preview
    assert preview.endswith(b"\xff\xd9") and preview.count(b"\xff\xd8") == 1


@pytest.mark.parametrize(
    "trailer",
    [zip_archive(), owner_jpeg(), b"rahasia" * 10, b"\x00"],
    ids=["zip", "second-jpeg-with-owner-exif", "text", "one-zero-byte"],
)
def test_data_after_the_end_of_a_bare_jpeg_is_never_kept(trailer: bytes) -> None:
    bare = make_jpeg(1280, 960, seed=21)
    assert inspect(bare).preview_jpeg == bare  # the shortcut itself still works
    hidden = bare + trailer
    result = inspect(hidden)
    assert_clean_copy(result, hidden)
    # The card shows the original's own metadata, never the appended JPEG's.
    assert (result.gps, result.captured_at) == (None, None)


@pytest.mark.parametrize(
    "segment",
    [
        jpeg_segment(0xFE, b"rahasia: Budi 0812"),
        jpeg_segment(0xE1, b"Exif\x00\x00" + exif_with_owner(artist="Budi", serial="SN-4471", gps=SEMARANG).tobytes()),
        jpeg_segment(0xE2, b"rahasia" * 20),
        jpeg_segment(0xEF, b"rahasia"),
    ],
    ids=["comment", "exif", "app2", "app15"],
)
def test_a_segment_between_progressive_scans_is_never_kept(segment: bytes) -> None:
    bare = progressive_jpeg(800, 600, seed=22)
    # Not even the bare one is kept: a refinement scan's unread tail cannot be proven absent from pixels.
    assert_clean_copy(inspect(bare), bare)
    hidden = between_scans(bare, segment)
    assert_clean_copy(inspect(hidden), hidden)


@pytest.mark.parametrize("where", ["before-the-scan", "after-the-scan"])
def test_a_number_of_lines_segment_carrying_data_is_never_kept(where: str) -> None:
    """libjpeg skips a DNL segment whatever its length, so it could carry anything past the marker walk."""
    bare = make_jpeg(1280, 960, seed=29)
    at = bare.index(b"\xff\xda") if where == "before-the-scan" else len(bare) - 2
    hidden = bare[:at] + jpeg_segment(0xDC, b"rahasia: Budi Santoso SN-4471 " * 10) + bare[at:]
    assert_clean_copy(inspect(hidden), hidden)


def _entropy_end(data: bytes) -> int:
    """Where a baseline JPEG's only scan ends: the EOI marker (Pillow writes nothing after it)."""
    assert data.endswith(b"\xff\xd9")
    return len(data) - 2


@pytest.mark.parametrize(
    "slack",
    [b"rahasia: Budi Santoso SN-4471 " * 40, zip_archive().replace(b"\xff", b"\xff\x00"), b"\x00", b"\xff\xff"],
    ids=["text", "stuffed-zip", "one-zero-byte", "fill-bytes"],
)
def test_bytes_the_decoder_skips_at_the_end_of_a_scan_are_never_kept(slack: bytes) -> None:
    """libjpeg skips (and Pillow silences the warning) whatever follows a scan's last block: same pixels."""
    bare = make_jpeg(1280, 960, seed=27)
    end = _entropy_end(bare)
    hidden = bare[:end] + slack + bare[end:]
    with Image.open(BytesIO(hidden)) as decoded, Image.open(BytesIO(bare)) as reference:
        assert decoded.tobytes() == reference.tobytes()  # the walk over the markers cannot tell them apart
    assert_clean_copy(inspect(hidden), hidden)


def test_bytes_hidden_before_a_restart_marker_are_never_kept() -> None:
    picture = photo_like(640, 480, seed=28)
    buf = BytesIO()
    picture.save(buf, "JPEG", quality=85, restart_marker_blocks=4)
    bare = buf.getvalue()
    first = bare.index(b"\xff\xd0")
    hidden = bare[:first] + b"rahasia Budi" + bare[first:]
    assert_clean_copy(inspect(hidden), hidden)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("quality", [60, 85, 95])
def test_ordinary_bare_baseline_jpegs_are_still_kept(seed: int, quality: int) -> None:
    """The slack test must not cost the shortcut for what encoders really write (Telegram's photos)."""
    bare = make_jpeg(1280, 960, seed=seed, quality=quality)
    assert inspect(bare).preview_jpeg == bare


def test_exif_between_scans_still_reaches_the_card() -> None:
    exif = exif_with_owner(artist="Budi", serial="SN-4471", gps=SEMARANG)
    exif[0x0132] = "2024:02:14 08:00:00"
    hidden = between_scans(progressive_jpeg(seed=23), jpeg_segment(0xE1, b"Exif\x00\x00" + exif.tobytes()))
    result = inspect(hidden)
    assert result.gps == pytest.approx(SEMARANG, abs=1e-4)
    assert result.captured_at == datetime(2024, 2, 14, 8, 0, tzinfo=JAKARTA)


def test_the_originals_own_exif_is_read_when_data_is_appended() -> None:
    tagged = make_jpeg(640, 480, seed=24, gps=SEMARANG, exif_datetime="2024:02:10 09:30:00")
    result = inspect(tagged + owner_jpeg())
    assert result.gps == pytest.approx(SEMARANG, abs=1e-4)
    assert_clean_copy(result, tagged)


def test_a_jfif_header_with_extra_bytes_is_not_bare() -> None:
    bare = make_jpeg(640, 480, seed=25)
    jfif_end = 2 + 2 + struct.unpack(">H", bare[4:6])[0]
    padded = bare[:2] + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00SN4471") + bare[jfif_end:]
    assert inspect(padded).preview_jpeg != padded


@pytest.mark.parametrize(
    "jfif",
    [
        b"JFIF\x00SN\x01\x00\x01\x00\x01\x00\x00",
        b"JFIF\x00\x01\x01SN447\x00\x00",
        b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01SN",
    ],
    ids=["version", "units-and-densities", "thumbnail-size"],
)
def test_a_jfif_header_with_odd_fields_is_not_bare(jfif: bytes) -> None:
    """A 16-byte JFIF header has room for a short serial number in fields no encoder writes that way."""
    bare = make_jpeg(640, 480, seed=25)
    assert len(jfif) == 14
    jfif_end = 2 + 2 + struct.unpack(">H", bare[4:6])[0]
    odd = bare[:2] + jpeg_segment(0xE0, jfif) + bare[jfif_end:]
    assert inspect(odd).preview_jpeg != odd


async def test_the_file_id_shortcut_needs_a_whole_clean_file(tmp_path: Path) -> None:
    """A Telegram photo goes to the group by its file_id only when the original is proven clean."""
    store, intake = await open_intake(tmp_path)
    try:
        bare = make_jpeg(1280, 960, seed=26)
        kept = await intake.store_image(bare, "AgACAgUAAx0-clean")
        assert kept.source_id == "AgACAgUAAx0-clean"
        hidden = bare + zip_archive()
        stripped = await intake.store_image(hidden, "AgACAgUAAx0-hidden")
        assert stripped.source_id is None
        copy = await store.files.get_derived(stripped.sha256, "preview")
        assert b"PK\x03\x04" not in copy and copy != hidden
        assert await store.files.get(stripped.sha256) == hidden  # the original is kept as evidence
        slack = bare[:-2] + b"rahasia Budi Santoso" + bare[-2:]
        assert (await intake.store_image(slack, "AgACAgUAAx0-slack")).source_id is None
    finally:
        await store.close()


# --------------------------------------------------------------------------- item 14: too small, DateTime


@pytest.mark.parametrize("size", [(1, 1), (1, 4000), (4000, 1), (40, 40), (23, 800), (63, 63)])
def test_images_too_small_to_show_anything_are_refused(size: tuple[int, int]) -> None:
    assert rejection(make_png(*size)).reason is RejectReason.TOO_SMALL
    assert rejection(make_jpeg(*size)).reason is RejectReason.TOO_SMALL


@pytest.mark.parametrize("size", [(64, 64), (600, 28), (24, 400)])
def test_small_but_readable_images_pass(size: tuple[int, int]) -> None:
    assert (inspect(make_png(*size)).width, inspect(make_jpeg(*size)).height) == size


def _exif_with_bad_exif_pointer() -> bytes:
    """IFD0 holds DateTime and an Exif IFD pointer typed SLONG and negative (Pillow raises on it)."""
    when = b"2024:03:01 12:00:00\x00"
    entries = struct.pack("<HHII", 0x0132, 2, len(when), 8 + 2 + 24 + 4) + struct.pack("<HHIi", 0x8769, 9, 1, -8)
    ifd0 = struct.pack("<H", 2) + entries + struct.pack("<I", 0)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd0 + when


def test_ifd0_date_time_is_read_when_the_exif_ifd_is_broken() -> None:
    result = inspect(make_jpeg(320, 240, exif=_exif_with_bad_exif_pointer()))
    assert result.captured_at == datetime(2024, 3, 1, 12, 0, tzinfo=JAKARTA)


def test_ifd0_date_time_alone_is_read() -> None:
    exif = Image.Exif()
    exif[0x0132] = "2023:11:15 10:20:30"
    for data in (make_jpeg(320, 240, exif=exif), _png_with_exif(exif.tobytes())):
        assert inspect(data).captured_at == datetime(2023, 11, 15, 10, 20, 30, tzinfo=JAKARTA)


def _png_with_exif(exif: bytes) -> bytes:
    buf = BytesIO()
    photo_like(320, 240, seed=6).save(buf, "PNG", exif=exif)
    return buf.getvalue()


def test_new_reasons_are_phrased_in_both_catalogs() -> None:
    for locale in ("id", "en"):
        for reason in (RejectReason.TOO_SMALL, RejectReason.TOO_COSTLY):
            key = f"image.{reason.value}"
            assert t(locale, key) != key


# --------------------------------------------------------------------------- item 2: bounded memory


def test_the_attackers_rgba_png_is_refused_from_its_header() -> None:
    """6324x6324 RGBA in 160 kB: 160 MB decoded, 806 MB with the old flattening; now refused undecoded."""
    bomb = decompression_bomb_png(6324, 6324, colour_type=6)
    assert len(bomb) < 400_000
    start = time.perf_counter()
    refused = rejection(bomb)
    assert refused.reason is RejectReason.TOO_COSTLY
    assert time.perf_counter() - start < 0.5  # nothing was decoded


def test_the_budget_is_what_decides() -> None:
    png = make_png(1000, 1000, mode="RGBA")  # ~4 MB decoded, plus the preview's working set
    assert inspect(png).format == "png"
    assert rejection(png, max_decode_bytes=4_000_000).reason is RejectReason.TOO_COSTLY
    assert inspect(png, max_decode_bytes=DEFAULT_DECODE_BUDGET).width == 1000


def test_a_progressive_jpeg_pays_for_its_coefficient_buffer() -> None:
    """Draft mode shrinks a baseline JPEG's decode, not a progressive one's full-size coefficients."""
    picture = photo_like(3000, 3000, seed=8)
    baseline, progressive = BytesIO(), BytesIO()
    picture.save(baseline, "JPEG", quality=60, subsampling=0)
    picture.save(progressive, "JPEG", quality=60, subsampling=0, progressive=True)
    budget = 40_000_000  # 3000x3000 4:4:4 coefficients alone are 54 MB
    assert inspect(baseline.getvalue(), max_decode_bytes=budget).width == 3000
    assert rejection(progressive.getvalue(), max_decode_bytes=budget).reason is RejectReason.TOO_COSTLY
    assert inspect(progressive.getvalue()).width == 3000  # within the default budget


def test_a_normal_12_megapixel_photo_is_well_within_the_budget() -> None:
    """A phone's 4000x3000 photo, baseline or progressive (4:2:0, as phones write), is never refused."""
    picture = photo_like(4000, 3000, seed=12)
    baseline, progressive = BytesIO(), BytesIO()
    picture.save(baseline, "JPEG", quality=92)
    picture.save(progressive, "JPEG", quality=92, progressive=True)
    # Draft mode decodes a baseline one at 1/4 scale: a few MB, whatever the budget's headroom.
    assert inspect(baseline.getvalue(), max_decode_bytes=16 * 1024 * 1024).width == 4000
    # A progressive one pays for its full-size coefficients (36 MB), still under half the default budget.
    assert inspect(progressive.getvalue(), max_decode_bytes=DEFAULT_DECODE_BUDGET // 2).width == 4000


def test_a_webp_is_refused_before_pillow_opens_it() -> None:
    buf = BytesIO()
    photo_like(2000, 2000, seed=9).save(buf, "WEBP", quality=10, method=0)
    assert rejection(buf.getvalue(), max_decode_bytes=60_000_000).reason is RejectReason.TOO_COSTLY


def test_a_huge_exif_chunk_costs_the_metadata_not_the_memory() -> None:
    """16 MB of GPS rationals in a PNG eXIf chunk made Pillow build 2 million objects (350 MB)."""
    count = 2_000_000
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 26) + struct.pack("<I", 0)
    gps_ifd = struct.pack("<H", 1) + struct.pack("<HHII", 2, 5, count, 44) + struct.pack("<I", 0)
    exif = b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps_ifd + struct.pack("<II", 1, 1) * count
    start = time.perf_counter()
    result = inspect(_png_with_exif(exif))
    assert result.gps is None
    assert time.perf_counter() - start < 1.0


@pytest.fixture
def decode_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Wraps the real decode to record how many run at once (and holds each a moment, to overlap)."""
    real = images._decode
    lock = threading.Lock()
    running, peak = [0], [0]

    def counted(img: Image.Image, fmt: str) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            real(img, fmt)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(images, "_decode", counted)
    yield peak


def test_no_more_than_the_slots_decode_at_once(decode_counter: list[int]) -> None:
    data = make_png(640, 480, mode="RGBA")
    results: list[InspectedImage] = []
    workers = [threading.Thread(target=lambda: results.append(inspect(data))) for _ in range(3 * DECODE_SLOTS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert len(results) == 3 * DECODE_SLOTS
    assert decode_counter[0] == DECODE_SLOTS


@pytest.fixture
def slow_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every decode holds its slot for a moment, as a 40-megapixel PNG does for a second."""
    real = images._decode

    def slow(img: Image.Image, fmt: str) -> None:
        time.sleep(0.3)
        real(img, fmt)

    monkeypatch.setattr(images, "_decode", slow)


@pytest.mark.usefixtures("slow_decodes")
async def test_uploads_waiting_for_a_slot_leave_the_default_thread_pool_free(tmp_path: Path) -> None:
    """Images queue in their own workers, so the bot's other to_thread calls (file reads) are not held up."""
    pool = ThreadPoolExecutor(max_workers=4)  # fewer than the uploads, as on a small machine
    asyncio.get_running_loop().set_default_executor(pool)  # this test's own loop
    store, intake = await open_intake(tmp_path)
    try:
        uploads = [asyncio.create_task(intake.store_image(make_png(320, 240, seed=n))) for n in range(8)]
        await asyncio.sleep(0.05)
        start = time.perf_counter()
        await asyncio.to_thread(lambda: None)
        waited = time.perf_counter() - start
        stored = await asyncio.gather(*uploads)
        assert len({photo.sha256 for photo in stored}) == 8
        assert waited < 0.2  # behind the uploads it would be at least one slow decode (0.3 s)
    finally:
        await store.close()
        pool.shutdown(wait=True)


def test_a_refusal_gives_its_slot_back(decode_counter: list[int]) -> None:
    bomb = decompression_bomb_png(6324, 6324, colour_type=6)
    for _ in range(DECODE_SLOTS + 1):
        assert rejection(bomb).reason is RejectReason.TOO_COSTLY
    assert inspect(make_png(320, 240)).width == 320


def test_strip_preview_matches_a_whole_image_flattening() -> None:
    """The preview made strip by strip is the picture flattened whole, then reduced."""
    picture = photo_like(2600, 1400, seed=10)
    picture.putalpha(Image.linear_gradient("L").resize(picture.size))
    buf = BytesIO()
    picture.save(buf, "PNG")
    preview = Image.open(BytesIO(inspect(buf.getvalue(), preview_edge=1000).preview_jpeg)).convert("RGB")
    white = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    expected = Image.alpha_composite(white, picture).convert("RGB").resize(preview.size, Image.Resampling.LANCZOS)
    difference = sum(abs(a - b) for a, b in zip(preview.tobytes(), expected.tobytes(), strict=True))
    assert difference / len(expected.tobytes()) < 3  # JPEG rounding, not a wrong picture
