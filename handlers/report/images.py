"""Inspection of untrusted evidence photos: validate, fingerprint, extract EXIF, make a clean preview.

Channel-agnostic: callers hand in the raw bytes a citizen uploaded and get back either an
``InspectedImage`` or an ``ImageRejected`` carrying a ``RejectReason`` to phrase a reply with.
No other exception escapes ``inspect_image`` for any input.

Threat model: the bytes are hostile. Pixel counts are checked from the header before any
decode, every Pillow call sits behind an exception mapping, and the preview handed to
moderators is re-encoded from pixels only, so nothing the uploader embedded (GPS, comments,
ICC profiles, maker notes) leaks through it. The original bytes are kept separately, by hash,
as the legal evidence.

Memory is bounded per image and per process: the cost of decoding (decoded pixels, a progressive
JPEG's coefficient buffer, WebP's extra canvases) is estimated from the headers and refused above
``DEFAULT_DECODE_BUDGET``; the preview is made a strip at a time, so the decoded image is the only
full-size buffer; and at most ``DECODE_SLOTS`` images are decoded at once in the whole process.
Measured in bench/bench_memory.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import functools
import hashlib
import math
import numbers
import re
import struct
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from io import BytesIO
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

from PIL import Image

from handlers.common.errors import LaporNetralError

__all__ = [
    "DECODE_SLOTS",
    "DEFAULT_DECODE_BUDGET",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_PREVIEW_EDGE",
    "JAKARTA",
    "MIN_PIXELS",
    "MIN_SHORT_EDGE",
    "ImageRejected",
    "InspectedImage",
    "RejectReason",
    "hamming",
    "in_decode_worker",
    "inspect_image",
]

DEFAULT_MAX_PIXELS: Final = 40_000_000
DEFAULT_PREVIEW_EDGE: Final = 1280
PREVIEW_QUALITY: Final = 85

# The goal is a bot process that stays under 450 MB with three hostile images at once. It runs at
# ~150 MB under load (bench/bench_intake.py), so two decode slots of 128 MiB each leave room for the
# waiting uploads' bytes (measured worst: 404 MB, bench/bench_memory.py). 128 MiB still takes every
# phone photo (a 40 MP baseline JPEG decodes in draft mode at 1/4 scale, ~10 MB), a 40 MP progressive
# 4:2:0 JPEG, a 40 MP 8-bit or 16-bit grey or palette PNG and a 28 MP RGB(A) PNG; it refuses a 40 MP
# RGBA PNG (160 MB decoded), a progressive 4:4:4 JPEG above ~20 MP and a WebP above ~7 MP, which
# Telegram and WhatsApp photos never are.
DEFAULT_DECODE_BUDGET: Final = 128 * 1024 * 1024
# Two cores on the target machine, and Pillow releases the GIL while decoding: a third concurrent
# decode would only add memory, not speed.
DECODE_SLOTS: Final = 2

# Smaller than this shows nothing a supervisor could judge. 24 px is about one line of text on a
# phone screenshot, so a crop of a single message line (e.g. 600x28) still passes; 4096 pixels is
# a 64x64 square, smaller than Telegram's sticker thumbnails. A 1x1 tracking pixel, a 1x4000 strip
# or a 40x40 icon do not.
MIN_SHORT_EDGE: Final = 24
MIN_PIXELS: Final = 64 * 64

# Reporters are in Jawa Tengah; EXIF wall-clock times without an offset are WIB.
JAKARTA: Final = ZoneInfo("Asia/Jakarta")

# JPEG draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale in the DCT domain. Measured
# on a 12 MP, 3.5 MB, q92 photo (bench/bench_evidence.py): full decode ~75 ms; draft 1/2
# ~40 ms, but the 2000->1280 px Lanczos resize it then needs costs another ~45 ms (22 ms
# even bilinear), which loses the race against a full decode; draft 1/4 ~37 ms and needs
# no resize at all. Entropy decoding dominates, so 1/8 would save only ~5 ms more while
# halving the preview. Hence: the coarsest scale whose long edge still reaches ~1000 px
# (4000/4032 px phone photos land on 1000/1008 px), resizing only when the draft overshoots
# preview_edge. Whole inspect ~45 ms, i.e. ~0.6 of one full decode.
_DRAFT_MIN_LONG_EDGE: Final = 1000
_DRAFT_SCALES: Final = (8, 4, 2, 1)

_MIME: Final[Mapping[str, str]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
}
_PILLOW_FORMAT: Final[Mapping[str, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}

_TAG_ORIENTATION: Final = 0x0112
_TAG_DATETIME: Final = 0x0132
_TAG_EXIF_IFD: Final = 0x8769
_TAG_GPS_IFD: Final = 0x8825
_TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_DATETIME_DIGITIZED: Final = 0x9004
_TAG_OFFSET_TIME: Final = 0x9010
_TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011
_TAG_OFFSET_TIME_DIGITIZED: Final = 0x9012
_GPS_LAT_REF: Final = 1
_GPS_LAT: Final = 2
_GPS_LON_REF: Final = 3
_GPS_LON: Final = 4
_DMS_UNITS: Final = (1.0, 60.0, 3600.0)

# Same mapping as ImageOps.exif_transpose; done by hand because the EXIF is already parsed
# (under the warnings lock) and exif_transpose would parse and rewrite it again.
_ORIENTATION_TRANSPOSE: Final[Mapping[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES: Final = frozenset({5, 6, 7, 8})

_EXIF_DATETIME_FORMATS: Final = (
    "%Y:%m:%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",  # some editors ignore the spec's colons
    "%Y-%m-%dT%H:%M:%S",
    "%Y:%m:%d %H:%M",
)
_EXIF_OFFSET: Final = re.compile(r"([+-])(\d{2}):(\d{2})")
_HEX64: Final = re.compile(r"[0-9a-fA-F]{16}")

# The preview is made from horizontal strips of about this many pixels: each strip's conversions
# (flattening alpha, 16-bit scaling) make ~5 copies of it, i.e. ~10 MB, instead of 5 full-size ones.
_STRIP_PIXELS: Final = 1 << 19
_STRIP_WORKING_SET: Final = 5 * 4 * _STRIP_PIXELS
# Bytes per pixel of Pillow's decoded storage: every mode but these uses 32-bit pixels (RGB too).
_BYTES_PER_PIXEL: Final[Mapping[str, int]] = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# Pillow's WebP plugin decodes through libwebp's animation decoder, which keeps two RGBA canvases of
# its own, then hands Pillow a bytes copy of the frame, which Pillow unpacks into the image: 4 canvases.
_WEBP_CANVASES: Final = 4
# A JPEG APP1 segment cannot hold more; a PNG eXIf or WebP EXIF chunk can (Pillow unpacks every entry
# of an IFD into Python objects: 16 MB of GPS rationals cost 350 MB), and no camera writes more.
_MAX_EXIF_BYTES: Final = 65_535
_EXIF_INFO_KEYS: Final = ("exif", "Raw profile type exif")

# Since the module is imported once per process, this bounds every caller (report intake, answers).
# A threading semaphore, not an asyncio one: the decode runs in to_thread workers.
_DECODE_SLOTS: Final = threading.BoundedSemaphore(DECODE_SLOTS)

# Inspections wait for their slot in threads of their own. Waiting in asyncio.to_thread's default pool
# held its few workers (min(32, cores + 4): six on the target machine), so a burst of uploads queued every
# other to_thread call of the bot (evidence reads, /bukti's checks, the summary's chart) behind it. Twice
# the slots, so that two workers can store (fsync) their files while two others decode.
_DECODE_WORKERS: Final = ThreadPoolExecutor(max_workers=2 * DECODE_SLOTS, thread_name_prefix="image-decode")

# glibc's mmap threshold (M_MMAP_THRESHOLD) for buffers of 1 MiB and more.
_M_MMAP_THRESHOLD: Final = -3
_MMAP_THRESHOLD: Final = 1 << 20


def _return_big_buffers_to_the_os() -> None:
    """Make glibc hand every buffer of 1 MiB or more back to the kernel as soon as it is freed.

    By default glibc raises its mmap threshold to the size of the last big buffer freed (up to 32 MB),
    so Pillow's 16 MB image blocks then come from per-thread arenas, which keep them after free: six
    28 MP PNGs decoded two at a time in six to_thread workers left 540 MB resident instead of 260 MB
    (bench/bench_memory.py). A fixed threshold costs an mmap and page faults per big buffer, which is
    noise next to decoding it. Process-wide, hence done once, here, where the memory bound is kept.
    Other C libraries (musl, macOS) have no mallopt and return big blocks on their own.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


_return_big_buffers_to_the_os()

_WHITE: Final = (255, 255, 255, 255)
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


class RejectReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_SMALL = "too_small"
    TOO_COSTLY = "too_costly"  # within the pixel cap, but decoding it would exceed the memory budget
    BROKEN = "broken"
    QUOTA = "quota"  # the sender's evidence of the last 24 hours would pass MAX_EVIDENCE_MB_PER_DAY


class ImageRejected(LaporNetralError):
    """The upload is not acceptable evidence. ``detail`` is for logs, never for users."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason: Final = reason
        self.detail: Final = detail


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectedImage:
    sha256: str
    size_bytes: int
    format: str
    width: int
    height: int
    mime: str
    captured_at: datetime | None
    gps: tuple[float, float] | None
    # Megabytes of JPEG in a log line help nobody.
    preview_jpeg: bytes = field(repr=False)
    dhash: str


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _JpegLayout:
    """What a walk over every marker segment of a JPEG found, from SOI to EOI."""

    # Only what the pixels need, from start to end, and nothing after the end: safe to show as is.
    clean: bool
    # A progressive (or multi-scan) JPEG is decoded into a full-size coefficient buffer, at any draft scale.
    buffered: bool
    # (horizontal, vertical) sampling factors of each component, from the frame header.
    sampling: tuple[tuple[int, int], ...]
    # The first EXIF APP1 payload before EOI, wherever it sits (Pillow reads only up to the first scan).
    exif: bytes | None
    # (start, end) of every entropy-coded segment (each scan, split at its restart markers).
    entropy: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class _Metadata:
    orientation: int = 1
    captured_at: datetime | None = None
    gps: tuple[float, float] | None = None


# --------------------------------------------------------------------------- public API


def inspect_image(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    preview_edge: int = DEFAULT_PREVIEW_EDGE,
    max_decode_bytes: int = DEFAULT_DECODE_BUDGET,
) -> InspectedImage:
    """Validate ``data`` and describe it, or raise ``ImageRejected``. CPU bound: run it through ``in_decode_worker``.

    ``max_pixels`` is enforced by us from the header. Pillow's own global
    ``Image.MAX_IMAGE_PIXELS`` is deliberately left alone (it protects the rest of the
    process too) and acts as a backstop; a ``max_pixels`` above it is effectively capped.
    ``max_decode_bytes`` bounds the memory one decode may take; it waits for one of the
    process's ``DECODE_SLOTS``.
    """
    _check_byte_size(data, max_bytes)
    fmt = _sniff_format(data)
    declared = _declared_size(fmt, data)
    if declared is not None:
        _check_pixels(declared, max_pixels)
        _check_not_tiny(declared)
        if fmt == "webp":
            # Pillow's WebP plugin allocates its canvases while merely opening: refuse before that.
            _check_cost(_webp_cost(declared), max_decode_bytes)
    layout = _walk_jpeg(data) if fmt == "jpeg" else None
    # Opening is inside the slot too: a PNG's text chunks are inflated while opening (up to 64 MB).
    with _DECODE_SLOTS, _open(data, fmt) as img:
        _check_pixels(img.size, max_pixels)
        _check_not_tiny(img.size)
        width, height = img.size  # before draft mode shrinks it
        # Kept byte for byte only when the whole file is proven to hold nothing but pixels (every segment to
        # EOI, nothing after it, and no bytes the decoder skips inside the scan): Telegram's own photos are
        # like that (baseline, no metadata, <= 1280 px), so the group may see the reporter's copy.
        candidate = (
            layout is not None
            and layout.clean
            and max(width, height) <= preview_edge
            and len(layout.entropy) <= _MAX_PROVEN_SEGMENTS
        )
        if fmt == "jpeg" and not candidate:
            _draft_jpeg(img, preview_edge)
        cost = _decode_cost(img, fmt, (width, height), layout, preview_edge)
        # The slack test holds a second decoded copy, one at a time.
        _check_cost(cost + width * height * 4 if candidate else cost, max_decode_bytes)
        _decode(img, fmt)
        bare = candidate and layout is not None and _no_slack(data, layout.entropy, img)
        if bare:
            meta = _Metadata()
            with _quiet_pillow():
                # At about the 1/8 scale the draft decode gave before the slack test needed a full decode.
                dhash = _dhash(_to_rgb(img.reduce(8) if min(img.size) >= 8 else img))
            preview_jpeg = data
        else:
            meta = _read_metadata(img, layout)
            # Still inside the block: the preview may be img itself, unusable once closed.
            preview = _make_preview(img, fmt, meta.orientation, preview_edge)
            dhash = _dhash(preview)
            preview_jpeg = _encode_jpeg(preview)
    if meta.orientation in _SWAPS_AXES:
        width, height = height, width
    return InspectedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        format=fmt,
        width=width,
        height=height,
        mime=_MIME[fmt],
        captured_at=meta.captured_at,
        gps=meta.gps,
        preview_jpeg=preview_jpeg,
        dhash=dhash,
    )


async def in_decode_worker(work: Callable[[], _T]) -> _T:
    """Run ``work`` (an inspection, with whatever goes with it) in the image workers, as to_thread would."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_DECODE_WORKERS, functools.partial(context.run, work))


def hamming(a_hex: str, b_hex: str) -> int:
    """Differing bits between two 64-bit dHashes: <= ~5 is the same picture re-encoded,
    resized or re-sent; unrelated pictures are typically 20-40 apart."""
    for value in (a_hex, b_hex):
        if not _HEX64.fullmatch(value):
            raise ValueError(f"not a 16-digit hex dhash: {value!r}")
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()


# --------------------------------------------------------------------------- warnings


# catch_warnings() swaps the process-global filter list and is not thread-safe: two
# overlapping uses from to_thread workers can restore each other's state and leave
# "ignore" installed for the whole process. So every Pillow call that can warn on hostile
# input runs under this lock. JPEG decoding has no warning paths and runs outside it, so
# concurrent photo inspections still use every core.
_PILLOW_WARNINGS_LOCK: Final = threading.Lock()


@contextmanager
def _quiet_pillow() -> Iterator[None]:
    with _PILLOW_WARNINGS_LOCK, warnings.catch_warnings():
        # Pillow warns about corrupt EXIF, malformed MPO/APNG and the like: for an upload
        # that is noise, not a reason to reject. A bomb warning, though, must stop us.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


# --------------------------------------------------------------------------- validation


def _check_byte_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise ImageRejected(RejectReason.EMPTY)
    if len(data) > max_bytes:
        raise ImageRejected(RejectReason.TOO_LARGE, f"{len(data)} bytes > {max_bytes}")


def _sniff_format(data: bytes) -> str:
    """Decide the format from magic bytes ourselves, so hostile input only ever reaches the
    four Pillow parsers we accept, never the dozens of exotic ones Image.open would try."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if _is_known_unsupported(data):
        raise ImageRejected(RejectReason.UNSUPPORTED_FORMAT)
    raise ImageRejected(RejectReason.NOT_AN_IMAGE)


_UNSUPPORTED_MAGIC: Final = (
    b"II*\x00",  # TIFF (also many camera RAW files)
    b"MM\x00*",
    b"\x00\x00\x01\x00",  # ICO
    b"8BPS",  # Photoshop
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    b"\xff\x0a",  # JPEG XL codestream
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",  # JPEG XL container
    b"qoif",
)
# ISO-BMFF brands of still images; other brands (mp4, mov) are videos, i.e. not images.
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"})
_BMP_INFO_HEADER_SIZES: Final = frozenset({12, 40, 52, 56, 64, 108, 124})


def _is_known_unsupported(data: bytes) -> bool:
    """A real image in a format we don't take (HEIC from iPhones, BMP, TIFF...): the user
    deserves "send it as JPEG" rather than "that is not a picture"."""
    if data.startswith(_UNSUPPORTED_MAGIC):
        return True
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return True
    if not data.startswith(b"BM") or len(data) < 18:
        return False
    # "BM" alone would also match text starting with those letters; the DIB header size won't.
    return struct.unpack_from("<I", data, 14)[0] in _BMP_INFO_HEADER_SIZES


def _declared_size(fmt: str, data: bytes) -> tuple[int, int] | None:
    """Canvas size straight from the header bytes, before Pillow sees the file.

    Needed for WebP, whose Pillow plugin allocates the whole canvas while merely opening;
    cheap insurance for PNG and GIF. JPEG is left to Image.open, which reads only markers.
    """
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack_from(">II", data, 16)
            return int(width), int(height)
        if fmt == "gif":
            width, height = struct.unpack_from("<HH", data, 6)
            return int(width), int(height)
        if fmt == "webp":
            return _webp_size(data)
    except struct.error:
        return None  # too short to tell; Pillow will call it broken
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    return None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS, f"{width}x{height} > {max_pixels} pixels")


def _check_not_tiny(size: tuple[int, int]) -> None:
    width, height = size
    if min(width, height) < MIN_SHORT_EDGE or width * height < MIN_PIXELS:
        raise ImageRejected(RejectReason.TOO_SMALL, f"{width}x{height}")


# --------------------------------------------------------------------------- memory budget


def _check_cost(cost: int, max_decode_bytes: int) -> None:
    if cost > max_decode_bytes:
        raise ImageRejected(RejectReason.TOO_COSTLY, f"decoding needs ~{cost >> 20} MiB > {max_decode_bytes >> 20} MiB")


def _webp_cost(size: tuple[int, int]) -> int:
    width, height = size
    return width * height * 4 * _WEBP_CANVASES + _preview_cost(size, DEFAULT_PREVIEW_EDGE)


def _decode_cost(
    img: Image.Image, fmt: str, full_size: tuple[int, int], layout: _JpegLayout | None, preview_edge: int
) -> int:
    """Bytes that decoding ``img`` (already in draft mode, if any) and making its preview will hold at once."""
    width, height = img.size
    decoded = width * height * _BYTES_PER_PIXEL.get(img.mode, 4)
    if fmt == "webp":
        decoded *= _WEBP_CANVASES
    if layout is not None and layout.buffered:
        decoded += _coefficient_bytes(full_size, layout.sampling)
    return decoded + _preview_cost(img.size, preview_edge, img.mode)


def _preview_cost(size: tuple[int, int], preview_edge: int, mode: str = "") -> int:
    width, height = size
    factor = _reduction(size, preview_edge)
    if factor == 1 and mode == "RGB":
        return 0  # _reduced_rgb hands back the decoded image itself
    return _STRIP_WORKING_SET + -(-width // factor) * -(-height // factor) * 4


def _coefficient_bytes(size: tuple[int, int], sampling: tuple[tuple[int, int], ...]) -> int:
    """libjpeg's whole-image buffer: 64 two-byte coefficients per 8x8 block of every component, padded to MCUs."""
    if not sampling:
        return 0
    width, height = size
    h_max = max(h for h, _ in sampling) or 1
    v_max = max(v for _, v in sampling) or 1
    mcus = -(-width // (8 * h_max)) * -(-height // (8 * v_max))
    return mcus * sum(h * v for h, v in sampling) * 64 * 2


# --------------------------------------------------------------------------- decoding


@contextmanager
def _open(data: bytes, fmt: str) -> Iterator[Image.Image]:
    try:
        with _quiet_pillow():
            img = Image.open(BytesIO(data), formats=[_PILLOW_FORMAT[fmt]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS, str(exc)) from None
    except Exception as exc:
        # The magic said this format, yet its headers don't parse: damaged, not foreign.
        raise ImageRejected(RejectReason.BROKEN, f"{type(exc).__name__}: {exc}") from None
    with img:
        yield img


def _decode(img: Image.Image, fmt: str) -> None:
    """Decode pixels (a JPEG at the draft scale set before); this is also what proves the data complete.

    ImageFile.LOAD_TRUNCATED_IMAGES stays False, so a file cut short raises here."""
    # PNG's load() parses trailing chunks and warns on e.g. a late APNG acTL; JPEG never warns.
    guard: AbstractContextManager[None] = nullcontext() if fmt == "jpeg" else _quiet_pillow()
    try:
        with guard:
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS, str(exc)) from None
    except Exception as exc:
        raise ImageRejected(RejectReason.BROKEN, f"{type(exc).__name__}: {exc}") from None


def _no_slack(data: bytes, entropy: tuple[tuple[int, int], ...], decoded: Image.Image) -> bool:
    """True if the last byte of every entropy-coded segment is read by the decoder (``decoded`` is at full scale).

    libjpeg stops reading a segment once its last block is decoded and skips, with a warning Pillow
    silences, whatever follows up to the next marker: a kilobyte of text before EOI (or before a restart
    marker, or between progressive scans) decodes to the same pixels, so the marker walk alone cannot
    see it. An encoder pads only the last partial byte, so a segment whose last byte can be changed
    without changing a single pixel carries bytes nobody reads. A change that happens not to show merely
    costs the shortcut (the copy is re-encoded). Only the bottom rows are compared: the last byte of a
    single sequential scan codes at most a few blocks of the last MCUs, and a difference missed elsewhere
    would again only cost the shortcut.
    """
    width, height = decoded.size
    box = (0, max(0, height - _SLACK_ROWS), width, height)
    reference = decoded.crop(box).tobytes()
    for start, end in entropy:
        if end - start < 1 or data[end - 1] == 0xFF:
            return False  # an empty segment, or fill bytes before the marker
        if not any(_changes_pixels(data, start, end, flip, reference, box) for flip in _SLACK_FLIPS):
            return False
    return True


def _changes_pixels(
    data: bytes, start: int, end: int, flip: int, reference: bytes, box: tuple[int, int, int, int]
) -> bool:
    if end - start >= 2 and data[end - 2 : end] == b"\xff\x00":
        last, value = end - 2, 0xFF ^ flip  # a stuffed 0xFF data byte
    else:
        last, value = end - 1, data[end - 1] ^ flip
    variant = data[:last] + (b"\xff\x00" if value == 0xFF else bytes((value,))) + data[end:]
    try:
        with Image.open(BytesIO(variant), formats=["JPEG"]) as other:
            other.load()
            return other.size != box[2:] or other.crop(box).tobytes() != reference
    except Exception:
        return True  # the byte mattered enough to break the decode: it is read


def _draft_jpeg(img: Image.Image, preview_edge: int) -> None:
    width, height = img.size
    target = min(preview_edge, _DRAFT_MIN_LONG_EDGE)
    scale = next(s for s in _DRAFT_SCALES if s == 1 or math.ceil(max(width, height) / s) >= target)
    if scale == 1:
        return
    # Pillow picks the largest scale <= min(w // rw, h // rh); asking for floor(w / s)
    # makes that exactly `scale` (asking for ceil would round down to scale / 2).
    img.draft("RGB", (max(1, width // scale), max(1, height // scale)))


# The end of a scan's entropy-coded data: 0xFF followed by neither a stuffed zero, a restart marker
# nor another fill byte. One C-level search per scan instead of a Python loop over the bytes.
_SCAN_END: Final = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_RESTART: Final = re.compile(rb"\xff[\xd0-\xd7]")
# Frame headers (SOF0-SOF15), except DHT (0xC4), JPG (0xC8, reserved) and DAC (0xCC).
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PROGRESSIVE_SOF: Final = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
# What a decoder needs besides frame and scans: Huffman and arithmetic tables, quantisation tables,
# restart interval; libjpeg refuses any of these whose length is not exactly what it holds. Everything
# else (APPn, COM, JPGn, reserved) can carry data, and so can DNL (0xDC), which libjpeg skips whatever
# its length: no encoder we know writes one, so a file with one is re-encoded.
_PIXEL_MARKERS: Final = _SOF_MARKERS | {0xC4, 0xCC, 0xDA, 0xDB, 0xDD}
# Only a single entropy-coded segment (a baseline JPEG without restart markers) is proven to have no
# unread bytes (_no_slack). A progressive JPEG's refinement scans set coefficients' low bits, which
# often do not show in the pixels: the last byte of one of Pillow's ten scans changed no pixel under any
# single-bit flip, so pixels cannot prove such a scan free of slack. Those JPEGs are re-encoded.
_MAX_PROVEN_SEGMENTS: Final = 1
# The last byte is "read" if either change shows in the pixels: all bits, or only the first (an
# encoder pads the last byte's low bits with ones, so the first is the likeliest to be coded data).
_SLACK_FLIPS: Final = (0xFF, 0x80)
# Two MCU rows at the tallest sampling (4 x 8 px), and then some.
_SLACK_ROWS: Final = 64
# A JFIF APP0 without a thumbnail: "JFIF\0", version, units, densities, thumbnail 0x0.
_PLAIN_JFIF_LENGTH: Final = 16


def _is_plain_jfif(payload: bytes) -> bool:
    """JFIF 1.00-1.02, a known density unit, no thumbnail: only the two densities are free numbers."""
    return payload.startswith(b"JFIF\x00\x01") and payload[6] <= 2 and payload[7] <= 2 and payload[12:14] == b"\x00\x00"


def _walk_jpeg(data: bytes) -> _JpegLayout:
    """Walk every marker segment from SOI to EOI, through every scan, and say what was found.

    Clean means: one frame, at least one scan, nothing but pixel-coding segments and at most a plain
    JFIF header anywhere (also between progressive scans), and not one byte after EOI (where phones
    append videos and editors append whole second JPEGs with their own EXIF). Anything the walk cannot
    follow is not clean; whether it decodes is for Pillow to say.
    """
    position, frames, scans = 2, 0, 0
    clean, progressive = True, False
    sampling: tuple[tuple[int, int], ...] = ()
    exif: bytes | None = None

    entropy: list[tuple[int, int]] = []

    def layout(ended: bool) -> _JpegLayout:
        proven = ended and clean and frames == 1 and scans >= 1
        return _JpegLayout(
            clean=proven,
            buffered=progressive or scans != 1 or not ended,
            sampling=sampling,
            exif=exif,
            entropy=tuple(entropy),
        )

    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return layout(ended=False)
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:
            if position + 2 != len(data):
                clean = False
            return layout(ended=True)
        if position + 4 > len(data) or not 0xC0 <= marker <= 0xFE or marker == 0xD8 or 0xD0 <= marker <= 0xD7:
            return layout(ended=False)  # a standalone marker out of place, or a second image
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(data):
            return layout(ended=False)
        payload = data[position + 4 : end]
        if marker == 0xE1 and exif is None and payload.startswith(b"Exif\x00\x00"):
            exif = payload
        plain_jfif = marker == 0xE0 and length == _PLAIN_JFIF_LENGTH and _is_plain_jfif(payload)
        if marker not in _PIXEL_MARKERS and not plain_jfif:
            clean = False
        if marker in _SOF_MARKERS:
            frames += 1
            progressive = progressive or marker in _PROGRESSIVE_SOF
            components = payload[5] if len(payload) > 5 else 0
            sampling = tuple(
                (payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 0x0F)
                for i in range(components)
                if 8 + 3 * i < len(payload)
            )
        position = end
        if marker == 0xDA:
            scans += 1
            found = _SCAN_END.search(data, position)
            if found is None:
                return layout(ended=False)
            start = position
            for restart in _RESTART.finditer(data, position, found.start()):
                entropy.append((start, restart.start()))
                start = restart.end()
            entropy.append((start, found.start()))
            position = found.start()
    return layout(ended=False)


# --------------------------------------------------------------------------- metadata


def _read_metadata(img: Image.Image, layout: _JpegLayout | None) -> _Metadata:
    """Best effort: malformed EXIF costs the metadata, never the evidence itself."""
    if any(len(img.info.get(key) or b"") > 2 * _MAX_EXIF_BYTES for key in _EXIF_INFO_KEYS):
        return _Metadata()  # no camera wrote it; unpacking it could cost hundreds of MB
    with _quiet_pillow():
        try:
            exif = img.getexif()
            if not len(exif) and layout is not None and layout.exif is not None:
                # An EXIF segment after the first scan, which Pillow does not read: still the original's own.
                exif = Image.Exif()
                exif.load(layout.exif)
        except Exception:
            return _Metadata()
        return _Metadata(
            orientation=_safely(_orientation, exif) or 1,
            captured_at=_safely(_captured_at, exif),
            gps=_safely(_gps, exif),
        )


def _safely(extract: Callable[[Image.Exif], _T | None], exif: Image.Exif) -> _T | None:
    try:
        return extract(exif)
    except Exception:
        return None


def _orientation(exif: Image.Exif) -> int | None:
    value = exif.get(_TAG_ORIENTATION)
    return value if isinstance(value, int) and value in _ORIENTATION_TRANSPOSE else None


def _sub_ifd(exif: Image.Exif, tag: int) -> Mapping[int, object]:
    """A sub-IFD, or nothing if its pointer is bad: Pillow raises on a negative (SLONG) one."""
    try:
        return exif.get_ifd(tag)
    except Exception:
        return {}


def _captured_at(exif: Image.Exif) -> datetime | None:
    # A broken Exif IFD must not cost IFD0's DateTime, the fallback that editors and scanners write.
    exif_ifd = _sub_ifd(exif, _TAG_EXIF_IFD)
    candidates = (
        (exif_ifd.get(_TAG_DATETIME_ORIGINAL), exif_ifd.get(_TAG_OFFSET_TIME_ORIGINAL)),
        (exif_ifd.get(_TAG_DATETIME_DIGITIZED), exif_ifd.get(_TAG_OFFSET_TIME_DIGITIZED)),
        (exif.get(_TAG_DATETIME), exif_ifd.get(_TAG_OFFSET_TIME)),
    )
    for raw_time, raw_offset in candidates:
        moment = _parse_exif_datetime(raw_time, raw_offset)
        if moment is not None:
            return moment
    return None


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 \t\r\n") if isinstance(value, str) else None


def _parse_exif_datetime(raw_time: object, raw_offset: object) -> datetime | None:
    text = _exif_text(raw_time)
    if not text:
        return None
    for fmt in _EXIF_DATETIME_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is attached below
        except ValueError:
            continue
        offset = _parse_exif_offset(raw_offset)
        if offset is None:
            return naive.replace(tzinfo=JAKARTA)
        # EXIF 2.31 phones record their UTC offset (e.g. WITA +08:00 in Bali): honour it,
        # but always answer in Jakarta time so every report reads the same way.
        return naive.replace(tzinfo=offset).astimezone(JAKARTA)
    return None


def _parse_exif_offset(raw: object) -> timezone | None:
    text = _exif_text(raw)
    match = _EXIF_OFFSET.fullmatch(text) if text else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps_ifd = _sub_ifd(exif, _TAG_GPS_IFD)
    if not gps_ifd:
        return None
    lat = _coordinate(gps_ifd.get(_GPS_LAT), gps_ifd.get(_GPS_LAT_REF), "N", "S", 90.0)
    lon = _coordinate(gps_ifd.get(_GPS_LON), gps_ifd.get(_GPS_LON_REF), "E", "W", 180.0)
    if lat is None or lon is None:
        return None
    if lat == 0.0 and lon == 0.0:
        return None  # receivers write zeros before they have a fix ("null island")
    return lat, lon


def _coordinate(value: object, ref: object, positive: str, negative: str, limit: float) -> float | None:
    # Without a ref the hemisphere is a guess, and in Jawa Tengah (~7°S) guessing N puts
    # the evidence 1500 km away: better no location than a wrong one.
    hemisphere = (_exif_text(ref) or "")[:1].upper()
    if hemisphere not in (positive, negative):
        return None
    parts = value if isinstance(value, tuple | list) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    values = [_rational_to_float(part) for part in parts]
    if any(v is None or not math.isfinite(v) or v < 0 for v in values):
        return None
    # Degrees, minutes, seconds; a lone value is decimal degrees.
    degrees = sum(v / unit for v, unit in zip(values, _DMS_UNITS, strict=False) if v is not None)
    if degrees > limit:
        return None
    return -degrees if hemisphere == negative else degrees


def _rational_to_float(value: object) -> float | None:
    # Pillow hands back IFDRational (a numbers.Rational), plain ints, or - for odd
    # writers - (numerator, denominator) pairs; a zero denominator means "unknown".
    if isinstance(value, bool):
        return None
    if isinstance(value, tuple) and len(value) == 2:
        numerator, denominator = value
        if isinstance(numerator, int) and isinstance(denominator, int) and denominator:
            return numerator / denominator
        return None
    if isinstance(value, numbers.Real):
        return float(value)  # an IFDRational over zero is NaN, rejected by the caller
    return None


# --------------------------------------------------------------------------- preview


def _make_preview(img: Image.Image, fmt: str, orientation: int, preview_edge: int) -> Image.Image:
    guard: AbstractContextManager[None] = nullcontext() if fmt == "jpeg" else _quiet_pillow()
    with guard:
        preview = _reduced_rgb(img, preview_edge)
    if max(preview.size) > preview_edge:
        preview = preview.resize(_fit(preview.size, preview_edge), Image.Resampling.LANCZOS)
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    if transpose is not None:
        preview = preview.transpose(transpose)
    return preview


def _reduction(size: tuple[int, int], preview_edge: int) -> int:
    """Integer box-reduction factor that leaves the long edge between 1x and 2x the preview's, for Lanczos."""
    return max(1, max(size) // max(1, preview_edge))


def _reduced_rgb(img: Image.Image, preview_edge: int) -> Image.Image:
    """``img`` as RGB, box-reduced, made a strip at a time so that no second full-size image ever exists.

    Flattening an RGBA image whole made four full-size copies (806 MB for 6324x6324). Box reduction by
    an integer factor averages whole factor x factor blocks, so strips whose height is a multiple of the
    factor give exactly the result of reducing the whole image.
    """
    width, height = img.size
    factor = _reduction(img.size, preview_edge)
    if factor == 1 and img.mode == "RGB":
        return img
    rows = max(factor, _STRIP_PIXELS // width // factor * factor)
    reduced = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = _to_rgb(img.crop((0, top, width, min(height, top + rows))))
        reduced.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return reduced


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in _HIGH_DEPTH_MODES:
        # A plain convert clips 16-bit samples at 255, turning most of the picture white.
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    if img.mode in _ALPHA_MODES or "transparency" in img.info:
        # Flatten onto white: transparent regions of screenshots/stickers would be black.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE)
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    width, height = size
    scale = edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode_jpeg(preview: Image.Image) -> bytes:
    # Pillow's JPEG writer copies a "comment" from .info; everything else (EXIF, ICC, XMP)
    # is only written when passed explicitly. Empty the dict so nothing can ride along.
    preview.info = {}
    buf = BytesIO()
    preview.save(buf, "JPEG", quality=PREVIEW_QUALITY)
    return buf.getvalue()


def _dhash(preview: Image.Image) -> str:
    """64-bit difference hash: is each of 8x8 cells darker than its right neighbour?

    Same resampling, bit order and hex layout as the ``imagehash`` package's ``dhash``, so
    values stay comparable with that ecosystem without depending on numpy/scipy here."""
    small = preview.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left < right)
    return f"{bits:016x}"
