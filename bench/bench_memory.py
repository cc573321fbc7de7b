"""Peak memory of the evidence pipeline on hostile images, each case in a fresh process.

Goal (issue 11 item 2): no input within MAX_IMAGE_MB, alone or three at once, takes the process's
peak memory above 450 MB. Each case runs ``inspect_image`` (through ``in_decode_worker``, as
intake does) in a subprocess that has already imported the pipeline and Pillow, and reads its
high-water mark (VmHWM in /proc/self/status) before and after; the table gives both, and the
"bot" column adds the work's growth to the bot's own idle-to-busy RSS (BOT_RSS_MB, measured by
bench/bench_intake.py), which is what the 450 MB goal is about.

    python bench/bench_memory.py [--only CASE ...]
    python bench/bench_memory.py --bot [--only CASE ...]

With ``--bot`` each case runs through the real bot instead: a fresh bot process (as bench_intake.py
starts it, against the standalone fake Bot API), as many citizens as the case has copies each typing a
report up to the evidence step, then all sending the file at once as a document; the figure is the bot
process's own high-water mark (VmHWM in /proc/<pid>/status) once every citizen has had the answer.

The files are generated in the parent process (bench/out/memory/), never inside the measured one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image

from tests.images import photo_like

MAX_BYTES: Final = 20 * 1024 * 1024  # MAX_IMAGE_MB's default
EDGE: Final = 6324  # 40.0 MP: just inside the 40-megapixel cap
BOT_RSS_MB: Final = 150  # bench/bench_intake.py: the bot's peak RSS under 100 citizens, without these images
GOAL_MB: Final = 450
OUT: Final = Path(__file__).resolve().parent / "out" / "memory"


def _smooth(mode: str, edge: int = EDGE) -> Image.Image:
    """A big picture that compresses to almost nothing, as the attacker's did (165 kB for 40 MP RGBA)."""
    ramp = Image.linear_gradient("L")
    bands = [ramp, ramp.rotate(90), Image.radial_gradient("L")]
    return Image.merge("RGB", [band.resize((edge, edge), Image.Resampling.BILINEAR) for band in bands]).convert(mode)


def rgba_png(edge: int = EDGE) -> bytes:
    picture = _smooth("RGB", edge)
    picture.putalpha(Image.linear_gradient("L").resize(picture.size))
    return _save(picture, "PNG", optimize=False, compress_level=9)


def png_16bit() -> bytes:
    grey = _smooth("L").point(lambda v: v * 257, "I").convert("I;16")
    return _save(grey, "PNG", compress_level=9)


def palette_png() -> bytes:
    picture = _smooth("RGB").quantize(64)
    picture.info["transparency"] = 0
    return _save(picture, "PNG", compress_level=9)


def progressive_jpeg_444() -> bytes:
    return _save(_smooth("RGB"), "JPEG", quality=60, progressive=True, subsampling=0)


def progressive_jpeg_420() -> bytes:
    return _save(_smooth("RGB"), "JPEG", quality=60, progressive=True, subsampling=2)


def palette_gif() -> bytes:
    return _save(_smooth("RGB").quantize(64), "GIF")


def lossless_webp(edge: int = EDGE) -> bytes:
    return _save(_smooth("RGBA", edge), "WEBP", lossless=True, quality=0, method=0)


def rgba_png_within() -> bytes:
    """The largest RGBA PNG the default budget takes (about 28 MP)."""
    return rgba_png(5300)


def lossless_webp_within() -> bytes:
    """The largest WebP the default budget takes (about 6.8 MP)."""
    return lossless_webp(2600)


def exif_rationals_png() -> bytes:
    """A small PNG whose eXIf chunk holds a GPS latitude of two million rationals (16 MB)."""
    count = 2_000_000
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 26) + struct.pack("<I", 0)  # GPS IFD at 26
    gps_ifd = struct.pack("<H", 1) + struct.pack("<HHII", 2, 5, count, 44) + struct.pack("<I", 0)  # data at 44
    exif = b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps_ifd + struct.pack("<II", 1, 1) * count
    png = _save(photo_like(640, 480, seed=3), "PNG")
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    return png[:-12] + chunk + png[-12:]


def phone_photo() -> bytes:
    return _save(photo_like(4000, 3000, seed=2024), "JPEG", quality=92)


def _save(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buf = BytesIO()
    picture.save(buf, fmt, **options)
    return buf.getvalue()


# name -> (maker, how many at once)
CASES: Final[dict[str, tuple[Callable[[], bytes], int]]] = {
    "phone photo 12 MP JPEG (reference)": (phone_photo, 1),
    "RGBA PNG 6324x6324": (rgba_png, 1),
    "16-bit grey PNG 6324x6324": (png_16bit, 1),
    "palette PNG 6324x6324 + tRNS": (palette_png, 1),
    "progressive JPEG 4:4:4 6324x6324": (progressive_jpeg_444, 1),
    "progressive JPEG 4:2:0 6324x6324": (progressive_jpeg_420, 1),
    "palette GIF 6324x6324": (palette_gif, 1),
    "lossless WebP 6324x6324": (lossless_webp, 1),
    "PNG with 16 MB of EXIF rationals": (exif_rationals_png, 1),
    "RGBA PNG 5300x5300 (within budget)": (rgba_png_within, 1),
    "lossless WebP 2600x2600 (within)": (lossless_webp_within, 1),
    "3 x RGBA PNG 6324x6324 at once": (rgba_png, 3),
    "3 x RGBA PNG 5300x5300 at once": (rgba_png_within, 3),
    "3 x 16-bit grey PNG at once": (png_16bit, 3),
    "3 x progressive JPEG 4:2:0 at once": (progressive_jpeg_420, 3),
    "3 x lossless WebP 2600x2600 at once": (lossless_webp_within, 3),
    "3 x PNG with EXIF rationals at once": (exif_rationals_png, 3),
    "3 x progressive JPEG 4:4:4 at once": (progressive_jpeg_444, 3),
    "6 x RGBA PNG 5300x5300 at once": (rgba_png_within, 6),
}


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(path: Path, copies: int) -> None:
    """The measured process: the pipeline already imported, then `copies` inspections at once."""
    from handlers.report.images import ImageRejected, in_decode_worker, inspect_image

    async def one(data: bytes) -> str:
        try:
            await in_decode_worker(lambda: inspect_image(data, max_bytes=MAX_BYTES))
        except ImageRejected as rejected:
            return f"refused: {rejected.reason}"
        return "accepted"

    async def run() -> list[str]:
        datas = [path.read_bytes() for _ in range(copies)]
        # A tiny image first: the executor's threads and Pillow's plugins exist before the baseline.
        tiny = _save(photo_like(64, 64), "PNG")
        for _ in range(4):
            await in_decode_worker(lambda: inspect_image(tiny, max_bytes=MAX_BYTES))
        return await asyncio.gather(*(one(d) for d in datas))

    baseline = _hwm_mb()
    start = time.perf_counter()
    outcomes = asyncio.run(run())
    seconds = time.perf_counter() - start
    print(json.dumps({"baseline": baseline, "peak": _hwm_mb(), "seconds": seconds, "outcomes": outcomes}))


@dataclass
class InBot:
    baseline: float  # the bot process's VmHWM (MB) once every citizen is at the evidence step
    peak: float  # ... once every citizen has had the answer to the file
    seconds: float
    outcomes: list[str]


async def in_bot(path: Path, copies: int) -> InBot:
    """One case through a fresh bot process: its VmHWM before the files are sent and after the answers."""
    import tempfile

    import aiohttp
    from bench_intake import Fake, peak_rss_mib, start, stop, wait_ready
    from conversation import PHOTO, steps

    fake_process = start(["-m", "tests.fakes.bot_api", "--port", "0", "--max-poll", "1", "--no-limits"])
    assert fake_process.stdout is not None
    url = fake_process.stdout.readline().split()[-1]
    before_evidence = steps(region="klaten", evidence=(PHOTO,))
    before_evidence = before_evidence[: before_evidence.index(PHOTO)]
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
            fake = Fake(session, url)
            with tempfile.TemporaryDirectory() as workdir:
                bot = start([str(Path(__file__).parent / "bench_intake.py"), "--serve-bot", url, workdir, "1"])
                try:
                    await wait_ready(fake, "getUpdates", timeout=60)
                    users = [700_000 + n for n in range(copies)]

                    async def answered(uid: int, count: int) -> None:
                        waited = await fake.get(
                            "wait", method="sendMessage", chat_id=str(uid), count=str(count), timeout="120"
                        )
                        if waited is None:
                            raise RuntimeError(f"citizen {uid} got no answer")

                    async def to_evidence(uid: int) -> int:
                        for n, step in enumerate(before_evidence, 1):
                            if step.startswith("/"):
                                await fake.post("build/private_command", {"user_id": uid, "command": step[1:]})
                            else:
                                await fake.post("build/private_text", {"user_id": uid, "text": step})
                            await answered(uid, n)
                        await asyncio.sleep(0.3)
                        return len(await fake.get("calls", method="sendMessage", chat_id=str(uid)))

                    seen = await asyncio.gather(*(to_evidence(uid) for uid in users))
                    data = path.read_bytes()
                    file_ids = [(await fake.post("file", data))["file_id"] for _ in users]
                    baseline = peak_rss_mib(bot.pid)
                    began = time.perf_counter()
                    for uid, file_id in zip(users, file_ids, strict=True):
                        document = {"user_id": uid, "file_id": file_id, "mime_type": "image/png", "file_name": "a.png"}
                        await fake.post("build/private_document", document)
                    await asyncio.gather(*(answered(uid, count + 1) for uid, count in zip(users, seen, strict=True)))
                    seconds = time.perf_counter() - began
                    await asyncio.sleep(0.5)
                    peak = peak_rss_mib(bot.pid)
                    replies = []
                    for uid, count in zip(users, seen, strict=True):
                        calls = await fake.get("calls", method="sendMessage", chat_id=str(uid))
                        replies.append(str(calls[count]["params"].get("text", "")))
                finally:
                    stop(bot)
    finally:
        stop(fake_process)
    outcomes = ["refused" if "foto diterima" not in text else "accepted" for text in replies]
    return InBot(baseline, peak, seconds, outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", help="substrings of case names")
    parser.add_argument("--bot", action="store_true", help="through the real bot process (its own VmHWM)")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "COPIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    if args.bot:
        in_the_bot(args.only)
        return
    print(f"{'case':<40} {'file':>8} {'base':>6} {'peak':>6} {'growth':>7} {'bot':>6} {'time':>6}  outcome")
    worst = 0.0
    for name, (make, copies) in CASES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        path = OUT / f"{make.__name__}.bin"
        if not path.exists():
            path.write_bytes(make())
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(path), str(copies)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        result = json.loads(done.stdout)
        growth = result["peak"] - result["baseline"]
        bot = BOT_RSS_MB + growth
        worst = max(worst, bot)
        outcome = ", ".join(sorted(set(result["outcomes"])))
        print(
            f"{name:<40} {path.stat().st_size / 1e6:>6.2f}MB {result['baseline']:>5.0f}M {result['peak']:>5.0f}M"
            f" {growth:>6.0f}M {bot:>5.0f}M {result['seconds']:>5.2f}s  {outcome}"
        )
    verdict = "met" if worst <= GOAL_MB else "NOT met"
    print(f"worst bot estimate {worst:.0f} MB against the goal of {GOAL_MB} MB: {verdict}")


def in_the_bot(only: list[str] | None) -> None:
    print(f"{'case':<40} {'file':>8} {'before':>7} {'peak':>6} {'time':>6}  outcome")
    worst = 0.0
    for name, (make, copies) in CASES.items():
        if only and not any(part in name for part in only):
            continue
        path = OUT / f"{make.__name__}.bin"
        if not path.exists():
            path.write_bytes(make())
        result = asyncio.run(in_bot(path, copies))
        worst = max(worst, result.peak)
        outcome = ", ".join(sorted(set(result.outcomes)))
        print(
            f"{name:<40} {path.stat().st_size / 1e6:>6.2f}MB {result.baseline:>6.0f}M {result.peak:>5.0f}M"
            f" {result.seconds:>5.2f}s  {outcome}",
            flush=True,
        )
    verdict = "met" if worst <= GOAL_MB else "NOT met"
    print(f"worst bot process peak {worst:.0f} MB against the goal of {GOAL_MB} MB: {verdict}")


if __name__ == "__main__":
    main()
