from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import itertools
import random
import struct
import warnings
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from PIL import Image, ImageCms, ImageFile, ImageStat
from PIL.JpegImagePlugin import JpegImageFile
from PIL.TiffImagePlugin import IFDRational

from handlers.report.images import (
    JAKARTA,
    ImageRejected,
    InspectedImage,
    RejectReason,
    hamming,
    inspect_image,
)
from tests.images import (
    build_exif,
    corrupt_exif_jpeg,
    corrupt_jpeg_header,
    decompression_bomb_png,
    header_only_png,
    heic_stub,
    huge_gif_header,
    huge_webp_header,
    jpeg_declaring,
    make_bmp,
    make_gif,
    make_jpeg,
    make_png,
    make_tiff,
    make_webp,
    mp4_stub,
    photo_like,
    text_as_jpg,
    truncated_jpeg,
    truncated_png,
    zero_bytes,
)

MAX_BYTES = 20_000_000
SEMARANG = (-6.966667, 110.416664)


def inspect(data: bytes, **kwargs: Any) -> InspectedImage:
    return inspect_image(data, max_bytes=kwargs.pop("max_bytes", MAX_BYTES), **kwargs)


def rejection(data: bytes, **kwargs: Any) -> RejectReason:
    with pytest.raises(ImageRejected) as info:
        inspect(data, **kwargs)
    return info.value.reason


def open_preview(result: InspectedImage) -> Image.Image:
    preview = Image.open(BytesIO(result.preview_jpeg))
    preview.load()
    return preview


@pytest.fixture(scope="module")
def photo_12mp() -> bytes:
    return make_jpeg(4000, 3000, quality=92, exif_datetime="2024:02:10 09:30:00", gps=SEMARANG)


# --------------------------------------------------------------------------- accepted formats


@pytest.mark.parametrize(
    ("data", "fmt", "mime", "size"),
    [
        (make_jpeg(800, 600), "jpeg", "image/jpeg", (800, 600)),
        (make_png(640, 480), "png", "image/png", (640, 480)),
        (make_webp(640, 480), "webp", "image/webp", (640, 480)),
        (make_gif(320, 240), "gif", "image/gif", (320, 240)),
    ],
    ids=["jpeg", "png", "webp", "gif"],
)
def test_accepts_supported_formats(data: bytes, fmt: str, mime: str, size: tuple[int, int]) -> None:
    result = inspect(data)
    assert (result.format, result.mime, (result.width, result.height)) == (fmt, mime, size)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size_bytes == len(data)
    preview = open_preview(result)
    assert preview.format == "JPEG"
    assert preview.mode == "RGB"
    assert preview.size == size


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "I;16", "1", "LA"])
def test_png_modes_become_rgb_previews(mode: str) -> None:
    preview = open_preview(inspect(make_png(320, 240, mode=mode)))
    assert preview.mode == "RGB"
    assert preview.size == (320, 240)


def test_transparent_areas_are_flattened_onto_white() -> None:
    # make_png's RGBA alpha runs from 0 at the top to 255 at the bottom.
    preview = open_preview(inspect(make_png(320, 240, mode="RGBA")))
    top = preview.getpixel((160, 0))
    assert isinstance(top, tuple)
    assert min(top) > 240


def test_16_bit_png_is_scaled_not_clipped() -> None:
    eight_bit = open_preview(inspect(make_png(320, 240, mode="L"))).convert("L")
    sixteen_bit = open_preview(inspect(make_png(320, 240, mode="I;16"))).convert("L")
    assert ImageStat.Stat(sixteen_bit).mean[0] == pytest.approx(ImageStat.Stat(eight_bit).mean[0], abs=3)


def test_animated_gif_uses_first_frame() -> None:
    animated = inspect(make_gif(seed=1, frames=3))
    still = inspect(make_gif(seed=1, frames=1))
    other = inspect(make_gif(seed=2, frames=1))
    assert hamming(animated.dhash, still.dhash) <= 4
    assert hamming(animated.dhash, other.dhash) > 10


# --------------------------------------------------------------------------- rejections


def test_empty() -> None:
    assert rejection(zero_bytes()) is RejectReason.EMPTY


def test_too_large_is_checked_before_anything_else() -> None:
    data = make_jpeg(320, 240)
    assert rejection(data, max_bytes=len(data) - 1) is RejectReason.TOO_LARGE
    assert inspect(data, max_bytes=len(data)).size_bytes == len(data)
    assert rejection(text_as_jpg(), max_bytes=10) is RejectReason.TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [
        text_as_jpg(),
        b"\x00" * 100,
        random.Random(7).randbytes(5000),
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100,
        mp4_stub(),
        b"%PDF-1.7\n" + b"x" * 100,
        b"BM but actually a sentence that starts with BM",
    ],
    ids=["text", "zeros", "random", "wav", "mp4", "pdf", "bm-text"],
)
def test_not_an_image(data: bytes) -> None:
    assert rejection(data) is RejectReason.NOT_AN_IMAGE


@pytest.mark.parametrize("data", [make_bmp(), make_tiff(), heic_stub()], ids=["bmp", "tiff", "heic"])
def test_unsupported_format(data: bytes) -> None:
    assert rejection(data) is RejectReason.UNSUPPORTED_FORMAT


@pytest.mark.parametrize(
    "data",
    [
        decompression_bomb_png(),
        header_only_png(100_000, 100_000),
        huge_gif_header(),
        huge_webp_header(),
        jpeg_declaring(20_000, 20_000),
    ],
    ids=["png-bomb", "png-header", "gif-header", "webp-header", "jpeg-header"],
)
def test_too_many_pixels_from_header(data: bytes) -> None:
    assert rejection(data) is RejectReason.TOO_MANY_PIXELS


def test_bomb_png_is_tiny_and_rejected_without_decoding() -> None:
    bomb = decompression_bomb_png()
    assert len(bomb) < 200_000  # 900 megapixels of zeros
    assert rejection(bomb, max_pixels=899_999_999) is RejectReason.TOO_MANY_PIXELS


def test_max_pixels_is_ours_not_pillows() -> None:
    data = make_jpeg(400, 300)
    assert rejection(data, max_pixels=400 * 300 - 1) is RejectReason.TOO_MANY_PIXELS
    assert inspect(data, max_pixels=400 * 300).width == 400


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (10_000, 10_000)],
    ids=["pillow-error", "pillow-warning"],
)
def test_pillow_bomb_signals_map_to_too_many_pixels(width: int, height: int) -> None:
    # max_pixels above Pillow's own limit: Pillow's DecompressionBombError (> 2x limit) and
    # DecompressionBombWarning (> limit) are the backstop and must not escape.
    assert rejection(jpeg_declaring(width, height), max_pixels=10**9) is RejectReason.TOO_MANY_PIXELS


@pytest.mark.parametrize(
    "data",
    [
        truncated_jpeg(),
        truncated_jpeg(keep=0.1),
        truncated_jpeg(keep=0.9),
        truncated_jpeg(keep=0.999),
        truncated_png(),
        truncated_png(keep=0.95),
        make_gif(320, 240)[:5000],
        make_webp(640, 480)[:3000],
        corrupt_jpeg_header(),
        header_only_png(100, 100),
        b"\xff\xd8\xff",
        b"\x89PNG\r\n\x1a\n",
        b"GIF89a",
        b"RIFF\x00\x00\x00\x00WEBP",
    ],
    ids=[
        "jpeg-half",
        "jpeg-10pc",
        "jpeg-90pc",
        "jpeg-no-eoi",
        "png-half",
        "png-95pc",
        "gif-cut",
        "webp-cut",
        "jpeg-garbage",
        "png-no-idat",
        "jpeg-magic-only",
        "png-magic-only",
        "gif-magic-only",
        "webp-magic-only",
    ],
)
def test_broken(data: bytes) -> None:
    assert rejection(data) is RejectReason.BROKEN


def test_truncation_is_detected_in_draft_mode(photo_12mp: bytes) -> None:
    # The fast path decodes large JPEGs at reduced scale; it must still read every byte.
    for keep in (0.5, 0.98):
        assert rejection(photo_12mp[: int(len(photo_12mp) * keep)]) is RejectReason.BROKEN


def test_rejection_carries_reason_and_detail() -> None:
    with pytest.raises(ImageRejected) as info:
        inspect(truncated_jpeg())
    assert info.value.reason == "broken"  # StrEnum: usable as a message-catalogue key
    assert "truncated" in info.value.detail


def test_pillow_globals_are_left_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    for data in (decompression_bomb_png(), truncated_jpeg(), make_jpeg(200, 100)):
        with contextlib.suppress(ImageRejected):
            inspect(data)
    assert before == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_fuzzed_inputs_only_ever_raise_image_rejected() -> None:
    rng = random.Random(1234)
    seeds = [
        make_jpeg(96, 64, exif_datetime="2024:01:01 10:00:00", gps=SEMARANG),
        make_png(96, 64),
        make_gif(64, 48),
        make_webp(96, 64),
        make_png(64, 48, mode="P"),
    ]
    outcomes: set[str] = set()
    for _ in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)) :]
        try:
            inspect(bytes(data))
            outcomes.add("ok")
        except ImageRejected as exc:
            outcomes.add(exc.reason)
    assert "ok" in outcomes
    assert RejectReason.BROKEN in outcomes


def test_corrupt_exif_is_ignored_silently() -> None:
    data = corrupt_exif_jpeg()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = inspect(data)
    assert caught == []
    assert (result.captured_at, result.gps, result.width) == (None, None, 320)


# --------------------------------------------------------------------------- orientation & preview


def _marked_picture() -> Image.Image:
    """A photo with a pure red block in its stored top-left corner."""
    picture = photo_like(400, 300, seed=3)
    picture.paste((255, 0, 0), (0, 0, 80, 60))
    return picture


def _is_red(pixel: Any) -> bool:
    r, g, b = pixel
    return bool(r > 200 and g < 60 and b < 60)


@pytest.mark.parametrize(
    ("orientation", "size", "red_corner"),
    [
        (1, (400, 300), (5, 5)),
        (3, (400, 300), (394, 294)),
        (6, (300, 400), (294, 5)),  # stored top-left ends up top-right after 90° clockwise
        (8, (300, 400), (5, 394)),
    ],
)
def test_exif_orientation_is_applied(orientation: int, size: tuple[int, int], red_corner: tuple[int, int]) -> None:
    result = inspect(make_jpeg(image=_marked_picture(), orientation=orientation))
    assert (result.width, result.height) == size
    preview = open_preview(result)
    assert preview.size == size
    assert _is_red(preview.getpixel(red_corner))


def test_orientation_6_swaps_dimensions_of_large_photo() -> None:
    result = inspect(make_jpeg(4000, 3000, orientation=6))
    assert (result.width, result.height) == (3000, 4000)
    assert open_preview(result).size == (750, 1000)


@pytest.mark.parametrize(
    ("size", "edge", "expected"),
    [
        ((4000, 3000), 1280, (1000, 750)),  # draft 1/4: already within the edge, no resize
        ((2600, 1950), 1280, (1280, 960)),  # draft 1/2 gives 1300 px, resized down
        ((1200, 900), 1280, (1200, 900)),  # small enough: full decode, untouched
        ((4000, 3000), 512, (512, 384)),
        ((3000, 4000), 1280, (750, 1000)),
    ],
)
def test_preview_size(size: tuple[int, int], edge: int, expected: tuple[int, int]) -> None:
    result = inspect(make_jpeg(*size), preview_edge=edge)
    assert (result.width, result.height) == size
    preview = open_preview(result)
    assert preview.size == expected
    assert max(preview.size) <= edge


def test_large_png_preview_is_bounded() -> None:
    preview = open_preview(inspect(make_png(3000, 1000)))
    assert preview.size == (1280, 427)


def test_preview_has_no_metadata_at_all() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = make_jpeg(
        640,
        480,
        exif_datetime="2024:02:10 09:30:00",
        gps=SEMARANG,
        orientation=6,
        icc_profile=icc,
        comment=b"uploaded by someone@example.org",
    )
    original = Image.open(BytesIO(data))
    assert {"exif", "icc_profile", "comment"} <= set(original.info)  # the test input does carry it all

    result = inspect(data)
    preview = open_preview(result)
    assert not preview.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(preview.info)
    assert isinstance(preview, JpegImageFile)
    assert [segment for segment, _ in preview.applist] == ["APP0"]  # JFIF only
    assert b"Exif" not in result.preview_jpeg
    assert b"someone@example.org" not in result.preview_jpeg


def test_webp_and_png_metadata_does_not_leak_either() -> None:
    result = inspect(make_webp(exif_datetime="2024:02:10 09:30:00", gps=SEMARANG))
    assert result.gps is not None
    preview = open_preview(result)
    assert not preview.getexif()
    assert "exif" not in preview.info


# --------------------------------------------------------------------------- EXIF


def test_capture_time_is_aware_jakarta_time() -> None:
    taken = datetime(2024, 2, 14, 8, 15, 30, tzinfo=JAKARTA)
    result = inspect(make_jpeg(exif_datetime=taken))  # written as wall-clock time, like a camera
    assert result.captured_at == taken
    assert result.captured_at is not None
    assert result.captured_at.utcoffset() == timedelta(hours=7)
    assert str(result.captured_at.tzinfo) == "Asia/Jakarta"


def test_capture_time_honours_recorded_offset() -> None:
    # A phone set to WITA (Bali, +08:00): 09:15 there is 08:15 in Jakarta.
    result = inspect(make_jpeg(exif_datetime="2024:02:14 09:15:00", offset_time="+08:00"))
    assert result.captured_at == datetime(2024, 2, 14, 8, 15, tzinfo=JAKARTA)
    assert result.captured_at is not None
    assert result.captured_at.utcoffset() == timedelta(hours=7)


def test_date_time_original_wins_over_date_time() -> None:
    exif = build_exif(exif_datetime="2024:02:14 08:00:00")
    exif[0x0132] = "2024:03:01 12:00:00"  # edited later
    result = inspect(make_jpeg(exif=exif))
    assert result.captured_at == datetime(2024, 2, 14, 8, 0, tzinfo=JAKARTA)


def test_date_time_is_the_fallback() -> None:
    exif = Image.Exif()
    exif[0x0132] = "2024:03:01 12:00:00"
    result = inspect(make_jpeg(exif=exif))
    assert result.captured_at == datetime(2024, 3, 1, 12, 0, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    "value",
    ["0000:00:00 00:00:00", "", "    :  :     :  :  ", "kemarin sore", "2024:13:45 25:61:00"],
)
def test_bad_capture_time_is_none(value: str) -> None:
    assert inspect(make_jpeg(exif_datetime=value)).captured_at is None


def test_no_exif_means_no_time_and_no_place() -> None:
    result = inspect(make_jpeg())
    assert (result.captured_at, result.gps) == (None, None)


@pytest.mark.parametrize(
    "position",
    [SEMARANG, (40.712800, -74.006000), (-33.868800, -151.209300), (51.5, 0.1275)],
    ids=["S-E", "N-W", "S-W", "N-E"],
)
def test_gps_with_hemisphere_refs(position: tuple[float, float]) -> None:
    result = inspect(make_jpeg(gps=position))
    assert result.gps is not None
    assert result.gps == pytest.approx(position, abs=1e-5)


def test_gps_from_webp() -> None:
    result = inspect(make_webp(gps=SEMARANG))
    assert result.gps == pytest.approx(SEMARANG, abs=1e-5)


def _r(numerator: int, denominator: int = 1) -> IFDRational:
    return IFDRational(numerator, denominator)


def test_gps_single_decimal_degrees_value() -> None:
    gps_ifd = {1: "S", 2: _r(70_000, 10_000), 3: "E", 4: _r(1_104_000, 10_000)}
    assert inspect(make_jpeg(gps_ifd=gps_ifd)).gps == pytest.approx((-7.0, 110.4))


@pytest.mark.parametrize(
    "gps_ifd",
    [
        {1: "S", 2: (_r(7, 0), _r(0), _r(0)), 3: "E", 4: (_r(110), _r(0), _r(0))},  # zero denominator
        {2: (_r(7), _r(0), _r(0)), 4: (_r(110), _r(0), _r(0))},  # no refs: hemisphere unknown
        {1: "X", 2: (_r(7), _r(0), _r(0)), 3: "E", 4: (_r(110), _r(0), _r(0))},  # bogus ref
        {1: "S", 2: (_r(97), _r(0), _r(0)), 3: "E", 4: (_r(110), _r(0), _r(0))},  # latitude > 90
        {1: "S", 2: (_r(7), _r(0), _r(0)), 3: "E", 4: (_r(190), _r(0), _r(0))},  # longitude > 180
        {1: "S", 2: (_r(7), _r(1), _r(2), _r(3)), 3: "E", 4: (_r(110), _r(0), _r(0))},  # 4 parts
        {1: "S", 3: "E", 4: (_r(110), _r(0), _r(0))},  # latitude missing
        {1: "N", 2: (_r(0), _r(0), _r(0)), 3: "E", 4: (_r(0), _r(0), _r(0))},  # null island: no fix
        {0: b"\x02\x02\x00\x00"},  # version only
    ],
    ids=["zero-den", "no-refs", "bad-ref", "lat-range", "lon-range", "4-parts", "no-lat", "null-island", "empty"],
)
def test_malformed_gps_is_none(gps_ifd: dict[int, Any]) -> None:
    result = inspect(make_jpeg(gps_ifd=gps_ifd, exif_datetime="2024:02:14 08:00:00"))
    assert result.gps is None
    assert result.captured_at is not None  # the rest of the EXIF still counts


def _raw_gps_exif(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """Little-endian EXIF with a GPS IFD of (tag, type, count, 4-byte value) entries, written
    by hand because Pillow's writer refuses to put the wrong types in GPS tags."""
    gps_offset = 8 + 2 + 12 + 4
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, gps_offset) + struct.pack("<I", 0)
    gps = struct.pack("<H", len(entries))
    gps += b"".join(struct.pack("<HHI", tag, kind, count) + value for tag, kind, count, value in entries)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps + struct.pack("<I", 0)


@pytest.mark.parametrize(
    "entries",
    [
        [(1, 2, 2, b"S\x00\x00\x00"), (2, 2, 4, b"7.5\x00"), (3, 2, 2, b"E\x00\x00\x00"), (4, 2, 4, b"110\x00")],
        [(1, 3, 1, b"\x53\x00\x00\x00"), (2, 4, 1, b"\x07\x00\x00\x00"), (3, 2, 2, b"E\x00\x00\x00")],
        [(2, 5, 3, b"\xff\xff\xff\x7f"), (4, 5, 3, b"\x00\x00\x00\x00")],  # rationals out of bounds
    ],
    ids=["ascii-numbers", "numeric-ref", "dangling-offsets"],
)
def test_wrongly_typed_gps_is_none(entries: list[tuple[int, int, int, bytes]]) -> None:
    result = inspect(make_jpeg(exif=_raw_gps_exif(entries)))
    assert result.gps is None
    assert result.width == 800


def test_raw_gps_helper_writes_readable_exif() -> None:
    entries = [(1, 2, 2, b"S\x00\x00\x00"), (3, 2, 2, b"E\x00\x00\x00")]
    exif = Image.open(BytesIO(make_jpeg(exif=_raw_gps_exif(entries)))).getexif()
    assert exif.get_ifd(0x8825) == {1: "S", 3: "E"}


def test_bytes_refs_are_understood() -> None:
    gps_ifd = {1: b"S\x00", 2: (_r(7), _r(0), _r(0)), 3: b"E\x00", 4: (_r(110), _r(24), _r(0))}
    assert inspect(make_jpeg(gps_ifd=gps_ifd)).gps == pytest.approx((-7.0, 110.4))


# --------------------------------------------------------------------------- dHash


def test_dhash_shape() -> None:
    result = inspect(make_jpeg())
    assert len(result.dhash) == 16
    int(result.dhash, 16)


def test_dhash_survives_reencoding_and_resizing() -> None:
    picture = photo_like(800, 600, seed=11)
    reference = inspect(make_jpeg(image=picture, quality=95)).dhash
    variants = [
        make_jpeg(image=picture, quality=40),
        make_jpeg(image=picture.resize((400, 300)), quality=70),
        make_jpeg(image=photo_like(4000, 3000, seed=11), quality=85),  # same scene, camera size
    ]
    for data in variants:
        assert hamming(reference, inspect(data).dhash) <= 6


def test_dhash_tells_different_pictures_apart() -> None:
    hashes = [inspect(make_jpeg(seed=seed)).dhash for seed in range(1, 6)]
    for a, b in itertools.combinations(hashes, 2):
        assert hamming(a, b) >= 16


def test_dhash_does_not_depend_on_container() -> None:
    assert hamming(inspect(make_jpeg(640, 480, seed=4)).dhash, inspect(make_png(640, 480, seed=4)).dhash) <= 4


def test_hamming() -> None:
    assert hamming("0" * 16, "f" * 16) == 64
    assert hamming("0123456789abcdef", "0123456789ABCDEF") == 0
    assert hamming("8000000000000000", "0000000000000000") == 1
    for bad in ("", "0" * 15, "g" * 16, "0" * 17):
        with pytest.raises(ValueError):
            hamming(bad, "0" * 16)


# --------------------------------------------------------------------------- misc


def test_result_is_immutable_and_repr_hides_preview() -> None:
    result = inspect(make_jpeg(160, 120))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.width = 1  # type: ignore[misc]
    assert "preview_jpeg" not in repr(result)
    assert result.sha256 in repr(result)


def test_12mp_photo_end_to_end(photo_12mp: bytes) -> None:
    result = inspect(photo_12mp)
    assert (result.width, result.height) == (4000, 3000)
    assert result.captured_at == datetime(2024, 2, 10, 9, 30, tzinfo=JAKARTA)
    assert result.gps == pytest.approx(SEMARANG, abs=1e-5)
    assert 1000 <= max(open_preview(result).size) <= 1280
    assert len(result.preview_jpeg) < len(photo_12mp) // 5


async def test_concurrent_inspections_do_not_corrupt_warning_filters() -> None:
    # catch_warnings is not thread-safe; overlapping uses without the lock can leave the
    # process with "ignore" installed. Hammer it with inputs that make Pillow warn.
    filters_before = list(warnings.filters)
    inputs = [corrupt_exif_jpeg(), jpeg_declaring(10_000, 10_000), make_png(200, 150, mode="P")] * 8

    async def one(data: bytes) -> str:
        try:
            # Threads, as the report service runs it (handlers/report/intake.py).
            await asyncio.to_thread(inspect_image, data, max_bytes=MAX_BYTES, max_pixels=10**9)
            return "ok"
        except ImageRejected as exc:
            return str(exc.reason)

    outcomes = await asyncio.gather(*(one(data) for data in inputs))
    assert outcomes == ["ok", "too_many_pixels", "ok"] * 8
    assert warnings.filters == filters_before


def test_a_bare_small_jpeg_is_kept_byte_for_byte() -> None:
    """Telegram's own photos carry no metadata and fit the preview: nothing to strip or shrink."""
    bare = make_jpeg(1280, 960, seed=11)
    inspected = inspect_image(bare, max_bytes=10_000_000)
    assert inspected.preview_jpeg == bare
    assert (inspected.width, inspected.height) == (1280, 960)
    recoded = inspect_image(make_jpeg(1280, 960, seed=11, quality=70), max_bytes=10_000_000)
    assert hamming(inspected.dhash, recoded.dhash) <= 6  # near-duplicates still found


def test_a_small_jpeg_with_metadata_is_still_stripped() -> None:
    tagged = make_jpeg(1280, 960, seed=12, gps=(-7.5, 110.8), exif_datetime="2023:11:15 10:00:00")
    inspected = inspect_image(tagged, max_bytes=10_000_000)
    assert inspected.preview_jpeg != tagged and b"Exif\x00\x00" not in inspected.preview_jpeg
    assert inspected.gps is not None


def test_a_bare_small_jpeg_cut_short_is_still_refused() -> None:
    bare = make_jpeg(1280, 960, seed=13)
    with pytest.raises(ImageRejected) as caught:
        inspect_image(bare[: len(bare) * 2 // 3], max_bytes=10_000_000)
    assert caught.value.reason is RejectReason.BROKEN
