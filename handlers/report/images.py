"""Inspection of untrusted evidence photos: validate, fingerprint, extract EXIF, make a clean preview.

Channel-agnostic: callers hand in the raw bytes a citizen uploaded and get back either an
``InspectedImage`` or an ``ImageRejected`` carrying a ``RejectReason`` to phrase a reply with.
No other exception escapes ``inspect_image`` for any input.

Threat model: the bytes are hostile. Pixel counts are checked from the header before any
decode, every Pillow call sits behind an exception mapping, and the preview handed to
moderators is re-encoded from pixels only, so nothing the uploader embedded (GPS, comments,
ICC profiles, maker notes) leaks through it. The original bytes are kept separately, by hash,
as the legal evidence.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
import struct
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
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
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_PREVIEW_EDGE",
    "JAKARTA",
    "ImageRejected",
    "InspectedImage",
    "RejectReason",
    "hamming",
    "inspect_image",
]

DEFAULT_MAX_PIXELS: Final = 40_000_000
DEFAULT_PREVIEW_EDGE: Final = 1280
PREVIEW_QUALITY: Final = 85

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

_WHITE: Final = (255, 255, 255, 255)
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES: Final = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


class RejectReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_AN_IMAGE = "not_an_image"
    UNSUPPORTED_FORMAT = "unsupported_format"
    TOO_MANY_PIXELS = "too_many_pixels"
    BROKEN = "broken"


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
) -> InspectedImage:
    """Validate ``data`` and describe it, or raise ``ImageRejected``. CPU bound: run it in a worker thread.

    ``max_pixels`` is enforced by us from the header. Pillow's own global
    ``Image.MAX_IMAGE_PIXELS`` is deliberately left alone (it protects the rest of the
    process too) and acts as a backstop; a ``max_pixels`` above it is effectively capped.
    """
    _check_byte_size(data, max_bytes)
    fmt = _sniff_format(data)
    declared = _declared_size(fmt, data)
    if declared is not None:
        _check_pixels(declared, max_pixels)
    with _open(data, fmt) as img:
        _check_pixels(img.size, max_pixels)
        width, height = img.size  # before draft mode shrinks it
        if fmt == "jpeg" and max(width, height) <= preview_edge and _is_bare_jpeg(data):
            # Already what the group may see (Telegram's own photos are: no metadata, ≤ 1280 px), so it is
            # kept byte for byte; a 1/8-scale decode still reads every scan (truncation) and feeds the dHash.
            img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            _decode(img, fmt, preview_edge)
            meta = _Metadata()
            with _quiet_pillow():
                dhash = _dhash(_to_rgb(img))
            preview_jpeg = data
        else:
            _decode(img, fmt, preview_edge)
            meta = _read_metadata(img)
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


def _decode(img: Image.Image, fmt: str, preview_edge: int) -> None:
    """Decode pixels (JPEG at reduced scale); this is also what proves the data complete.

    ImageFile.LOAD_TRUNCATED_IMAGES stays False, so a file cut short raises here."""
    if fmt == "jpeg":
        _draft_jpeg(img, preview_edge)
    # PNG's load() parses trailing chunks and warns on e.g. a late APNG acTL; JPEG never warns.
    guard: AbstractContextManager[None] = nullcontext() if fmt == "jpeg" else _quiet_pillow()
    try:
        with guard:
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS, str(exc)) from None
    except Exception as exc:
        raise ImageRejected(RejectReason.BROKEN, f"{type(exc).__name__}: {exc}") from None


def _draft_jpeg(img: Image.Image, preview_edge: int) -> None:
    width, height = img.size
    target = min(preview_edge, _DRAFT_MIN_LONG_EDGE)
    scale = next(s for s in _DRAFT_SCALES if s == 1 or math.ceil(max(width, height) / s) >= target)
    if scale == 1:
        return
    # Pillow picks the largest scale <= min(w // rw, h // rh); asking for floor(w / s)
    # makes that exactly `scale` (asking for ceil would round down to scale / 2).
    img.draft("RGB", (max(1, width // scale), max(1, height // scale)))


def _is_bare_jpeg(data: bytes) -> bool:
    """True when the JPEG's headers hold nothing but what its pixels need.

    No APP1–APP15 segment (EXIF, XMP, ICC, Adobe, maker data), no comment, and at most a plain
    16-byte JFIF APP0 (a longer one may carry a thumbnail). Read up to the first scan.
    """
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the headers are over
            return True
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if 0xE1 <= marker <= 0xEF or marker == 0xFE or (marker == 0xE0 and length > 16):
            return False
        position += 2 + length
    return False


# --------------------------------------------------------------------------- metadata


def _read_metadata(img: Image.Image) -> _Metadata:
    """Best effort: malformed EXIF costs the metadata, never the evidence itself."""
    with _quiet_pillow():
        try:
            exif = img.getexif()
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


def _captured_at(exif: Image.Exif) -> datetime | None:
    exif_ifd = exif.get_ifd(_TAG_EXIF_IFD)
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
    gps_ifd = exif.get_ifd(_TAG_GPS_IFD)
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
        preview = _to_rgb(img)
    if max(preview.size) > preview_edge:
        # reducing_gap lets big PNGs shrink by fast integer box reduction before Lanczos.
        preview = preview.resize(_fit(preview.size, preview_edge), Image.Resampling.LANCZOS, reducing_gap=2.0)
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    if transpose is not None:
        preview = preview.transpose(transpose)
    return preview


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
