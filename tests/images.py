"""Reusable, deterministic image corpus for tests (generated in code, never checked in).

Pictures are "photo-like": smooth low-frequency structure (so a difference hash has
something to latch onto) plus seeded pixel noise (so JPEG sizes look like a camera's).
Everything is derived from ``seed``; the same arguments always give the same bytes.
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from io import BytesIO
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFilter
from PIL.TiffImagePlugin import IFDRational

_TAG_ORIENTATION: Final = 0x0112
_TAG_DATETIME: Final = 0x0132
_TAG_EXIF_IFD: Final = 0x8769
_TAG_GPS_IFD: Final = 0x8825
_TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_OFFSET_TIME_ORIGINAL: Final = 0x9011

# Coarse canvas that random shapes are painted on before upscaling: upscaling is what
# makes the structure smooth, like out-of-focus background in a real photo.
_SKETCH_EDGE: Final = 96
_NOISE_ALPHA: Final = 0.10


def photo_like(width: int, height: int, *, seed: int = 0, mode: str = "RGB") -> Image.Image:
    """A deterministic photo-like picture: gradients + blurred shapes + fine noise."""
    rng = random.Random(seed)
    sketch_size = _sketch_size(width, height)
    sketch = Image.new("RGB", sketch_size)
    sketch.paste(_gradient(sketch_size, rng))
    draw = ImageDraw.Draw(sketch)
    for _ in range(rng.randint(6, 12)):
        _random_shape(draw, sketch_size, rng)
    sketch = sketch.filter(ImageFilter.GaussianBlur(1.5))
    picture = sketch.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    picture = Image.blend(picture, noise, _NOISE_ALPHA)
    return picture if mode == "RGB" else picture.convert(mode)


def _sketch_size(width: int, height: int) -> tuple[int, int]:
    scale = _SKETCH_EDGE / max(width, height)
    return max(2, round(width * scale)), max(2, round(height * scale))


def _gradient(size: tuple[int, int], rng: random.Random) -> Image.Image:
    bands = []
    for _ in range(3):
        band = Image.linear_gradient("L").rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR)
        bands.append(band.crop((64, 64, 192, 192)).resize(size))
    return Image.merge("RGB", bands)


def _random_shape(draw: ImageDraw.ImageDraw, size: tuple[int, int], rng: random.Random) -> None:
    w, h = size
    x0, y0 = rng.randrange(w), rng.randrange(h)
    x1, y1 = x0 + rng.randint(w // 8, w // 2), y0 + rng.randint(h // 8, h // 2)
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    if rng.random() < 0.5:
        draw.ellipse((x0, y0, x1, y1), fill=colour)
    else:
        draw.rectangle((x0, y0, x1, y1), fill=colour)


# --------------------------------------------------------------------------- EXIF


def build_exif(
    *,
    exif_datetime: datetime | str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    offset_time: str | None = None,
    gps_ifd: Mapping[int, Any] | None = None,
) -> Image.Exif:
    """EXIF as a camera writes it. ``gps_ifd`` overrides the GPS IFD verbatim (for malformed cases)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[_TAG_ORIENTATION] = orientation
    if exif_datetime is not None:
        text = exif_datetime
        if isinstance(exif_datetime, datetime):
            text = exif_datetime.strftime("%Y:%m:%d %H:%M:%S")
        exif[_TAG_DATETIME] = text
        exif_ifd: dict[int, Any] = {_TAG_DATETIME_ORIGINAL: text}
        if offset_time is not None:
            exif_ifd[_TAG_OFFSET_TIME_ORIGINAL] = offset_time
        exif[_TAG_EXIF_IFD] = exif_ifd
    if gps_ifd is not None:
        exif[_TAG_GPS_IFD] = dict(gps_ifd)
    elif gps is not None:
        exif[_TAG_GPS_IFD] = gps_to_ifd(*gps)
    return exif


def gps_to_ifd(lat: float, lon: float) -> dict[int, Any]:
    """Degrees/minutes/seconds as three rationals plus N/S and E/W refs, as phones store them."""
    return {
        0: b"\x02\x02\x00\x00",
        1: "N" if lat >= 0 else "S",
        2: _dms(abs(lat)),
        3: "E" if lon >= 0 else "W",
        4: _dms(abs(lon)),
    }


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction((value - degrees - minutes / 60) * 3600).limit_denominator(10_000)
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(seconds.numerator, seconds.denominator),
    )


# --------------------------------------------------------------------------- encoders


def make_jpeg(
    width: int = 800,
    height: int = 600,
    *,
    exif_datetime: datetime | str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    quality: int = 90,
    seed: int = 0,
    offset_time: str | None = None,
    gps_ifd: Mapping[int, Any] | None = None,
    icc_profile: bytes | None = None,
    comment: bytes | None = None,
    image: Image.Image | None = None,
    exif: Image.Exif | bytes | None = None,
) -> bytes:
    """A camera-like JPEG.

    ``image`` re-encodes a given picture (e.g. at another quality); ``exif`` replaces the
    EXIF built from the other arguments (raw bytes must start with ``b"Exif\\0\\0"``).
    """
    picture = image if image is not None else photo_like(width, height, seed=seed)
    if exif is None:
        exif = build_exif(
            exif_datetime=exif_datetime,
            gps=gps,
            orientation=orientation,
            offset_time=offset_time,
            gps_ifd=gps_ifd,
        )
    extra: dict[str, Any] = {}
    if isinstance(exif, bytes):
        extra["exif"] = exif
    elif len(exif):
        extra["exif"] = exif.tobytes()
    if icc_profile is not None:
        extra["icc_profile"] = icc_profile
    if comment is not None:
        extra["comment"] = comment
    buf = BytesIO()
    picture.save(buf, "JPEG", quality=quality, **extra)
    return buf.getvalue()


def make_png(width: int = 640, height: int = 480, *, seed: int = 0, mode: str = "RGB") -> bytes:
    """PNG in any Pillow-writable mode ("RGB", "RGBA", "P", "L", "I;16", ...)."""
    picture = photo_like(width, height, seed=seed)
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(picture.size))
    elif mode == "P":
        picture = picture.quantize(64)
        picture.info["transparency"] = 0
    elif mode == "I;16":
        picture = picture.convert("L").point(lambda v: v * 257, "I").convert("I;16")
    elif mode != "RGB":
        picture = picture.convert(mode)
    buf = BytesIO()
    picture.save(buf, "PNG")
    return buf.getvalue()


def make_webp(
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    quality: int = 80,
    exif_datetime: datetime | str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
) -> bytes:
    exif = build_exif(exif_datetime=exif_datetime, gps=gps, orientation=orientation)
    buf = BytesIO()
    extra: dict[str, Any] = {"exif": exif.tobytes()} if len(exif) else {}
    photo_like(width, height, seed=seed).save(buf, "WEBP", quality=quality, **extra)
    return buf.getvalue()


def make_gif(width: int = 320, height: int = 240, *, seed: int = 0, frames: int = 1) -> bytes:
    """(Possibly animated) GIF; frames after the first are different pictures."""
    pictures = [photo_like(width, height, seed=seed + i).quantize(128) for i in range(frames)]
    buf = BytesIO()
    pictures[0].save(buf, "GIF", save_all=frames > 1, append_images=pictures[1:], duration=100, loop=0)
    return buf.getvalue()


def make_bmp(width: int = 64, height: int = 48) -> bytes:
    buf = BytesIO()
    photo_like(width, height).save(buf, "BMP")
    return buf.getvalue()


def make_tiff(width: int = 64, height: int = 48) -> bytes:
    buf = BytesIO()
    photo_like(width, height).save(buf, "TIFF")
    return buf.getvalue()


# --------------------------------------------------------------------------- hostile inputs


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb_png(width: int = 30_000, height: int = 30_000, *, colour_type: int = 0) -> bytes:
    """A valid PNG declaring ``width``x``height`` pixels, all zero: 1-bit grey (~110 KB for 900 MP) or,
    with ``colour_type=6``, 8-bit RGBA (~160 kB for 40 MP, the attacker's 806 MB file).

    Deflating ~112 MB of zeros row by row would take a third of a second, so one chunk of
    rows is compressed once with a full flush (byte-aligned, dictionary reset) and its
    output repeated: the concatenation is still a single valid zlib stream.
    """
    bit_depth, row_bytes = (8, 4 * width) if colour_type == 6 else (1, (width + 7) // 8)
    row = b"\x00" * (1 + row_bytes)  # filter byte + pixels
    rows_per_chunk = 1024
    full_chunks, rest = divmod(height, rows_per_chunk)
    chunk_block = _deflate_flushed(row * rows_per_chunk)
    adler = 1
    raw_chunk = row * rows_per_chunk
    for _ in range(full_chunks):
        adler = zlib.adler32(raw_chunk, adler)
    adler = zlib.adler32(row * rest, adler)
    stream = (
        b"\x78\xda"
        + chunk_block * full_chunks
        + _deflate_flushed(row * rest)
        + zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # final, empty block
        + struct.pack(">I", adler)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", stream) + _png_chunk(b"IEND", b"")


def _deflate_flushed(raw: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH)


def header_only_png(width: int, height: int) -> bytes:
    """Just signature + IHDR: the cheapest possible 'huge' PNG (no pixel data at all)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def huge_gif_header(width: int = 65_535, height: int = 65_535) -> bytes:
    """GIF logical screen of the maximum size with a 1x1 frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b";"


def huge_webp_header(width: int = 16_383, height: int = 16_383) -> bytes:
    """Extended-format (VP8X) WebP header declaring a huge canvas, with no real bitstream."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def truncated_jpeg(width: int = 800, height: int = 600, *, keep: float = 0.5) -> bytes:
    """A real JPEG cut off after ``keep`` of its bytes (upload interrupted mid-way)."""
    data = make_jpeg(width, height)
    return data[: int(len(data) * keep)]


def truncated_png(width: int = 640, height: int = 480, *, keep: float = 0.5) -> bytes:
    data = make_png(width, height)
    return data[: int(len(data) * keep)]


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF marker is patched to claim ``width``x``height``."""
    data = bytearray(make_jpeg(64, 48))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def corrupt_exif_jpeg() -> bytes:
    """A fine picture whose EXIF IFD points far past its own end (Pillow warns on it)."""
    tiff = b"II*\x00" + struct.pack("<I", 8)
    entries = [
        struct.pack("<HHII", 0x010F, 2, 4000, 0xFFFF),  # Make: 4000 chars at a bogus offset
        struct.pack("<HHII", 0x8825, 4, 1, 0x7FFFFFF0),  # GPS IFD pointer into nowhere
        struct.pack("<HHII", 0x8769, 4, 1, 0xFFFFFF00),  # Exif IFD pointer into nowhere
    ]
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    return make_jpeg(320, 240, exif=b"Exif\x00\x00" + tiff + ifd)


def heic_stub() -> bytes:
    """The start of an iPhone HEIC: an ISO-BMFF ``ftyp`` box with brand ``heic``."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def mp4_stub() -> bytes:
    """An ISO-BMFF video header: a video is not an image at all."""
    return struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2" + b"\x00" * 200


def corrupt_jpeg_header() -> bytes:
    """JPEG magic followed by garbage: claims to be a JPEG, is not decodable."""
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def text_as_jpg() -> bytes:
    """What a user gets when they rename notes.txt to bukti.jpg."""
    return b"Laporan: camat ikut kampanye di lapangan desa.\nSaksi: Budi\n" * 20


def zero_bytes() -> bytes:
    return b""


# --------------------------------------------------------------------------- hidden data in JPEGs


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    """One marker segment (APPn, COM, ...): 0xFF, the marker, a two-byte length, the payload."""
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def progressive_jpeg(width: int = 800, height: int = 600, *, seed: int = 0) -> bytes:
    """A bare progressive JPEG (several scans, no metadata), as web exporters write."""
    buf = BytesIO()
    photo_like(width, height, seed=seed).save(buf, "JPEG", quality=85, progressive=True)
    return buf.getvalue()


def between_scans(data: bytes, segment: bytes) -> bytes:
    """``data`` with ``segment`` inserted just before its second scan (SOS)."""
    first = data.index(b"\xff\xda")
    second = data.index(b"\xff\xda", first + 2)
    return data[:second] + segment + data[second:]


def zip_archive(name: str = "kontak.txt", text: bytes = b"Budi 0812-3456-7890") -> bytes:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(name, text)
    return buf.getvalue()


def exif_with_owner(*, artist: str, serial: str, gps: tuple[float, float]) -> Image.Exif:
    """EXIF naming the device's owner and the camera's serial number, with a position."""
    exif = build_exif(gps=gps)
    exif[0x013B] = artist  # Artist
    exif[_TAG_EXIF_IFD] = {0xA431: serial}  # BodySerialNumber
    return exif
