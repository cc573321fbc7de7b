"""Evidence pipeline cost vs. one full Pillow decode of the same 12 MP phone photo.

Goal: inspect_image + EvidenceStore.keep (original and preview) must cost less than
``Image.open(...).load()`` alone (ratio < 1.0), which is what JPEG draft mode buys us.

    python bench/bench_evidence.py [--repeat N]

Prints one line; both sides are measured in the same run on the same bytes, so the ratio
is meaningful even on a noisy machine. Medians are reported (best-of is printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from handlers.report.images import inspect_image
from storage.files import EvidenceStore
from tests.images import make_jpeg

WIDTH, HEIGHT = 4000, 3000
# Telegram's largest photo size: 1280 px on the long edge, baseline, no metadata (kept byte for byte).
BARE_WIDTH, BARE_HEIGHT = 1280, 960
MAX_BYTES = 20 * 1024 * 1024


def make_photo() -> bytes:
    return make_jpeg(
        WIDTH,
        HEIGHT,
        quality=92,
        exif_datetime="2024:02:14 08:15:30",
        gps=(-6.966667, 110.416664),
        orientation=6,  # held upright, as most evidence photos are
        seed=2024,
    )


def full_decode(data: bytes) -> None:
    with Image.open(BytesIO(data)) as img:
        img.load()


def inspect_only(data: bytes) -> None:
    inspect_image(data, max_bytes=MAX_BYTES)


async def inspect_and_store(data: bytes, root: Path) -> None:
    # A fresh store per round: a repeated keep would be a no-op and flatter the numbers.
    # fsync'ing the 3.5 MB original is most of the storage cost and is kept on purpose.
    store = EvidenceStore(Path(tempfile.mkdtemp(dir=root)))
    inspected = inspect_image(data, max_bytes=MAX_BYTES)
    # As the report service does it, in one worker-thread hop.
    await asyncio.to_thread(store.keep, data, inspected.sha256, {"preview": inspected.preview_jpeg})


def timings_ms(func: Callable[[], None], repeat: int) -> list[float]:
    func()  # warm-up: imports, plugin registry, page cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def async_timings_ms(func: Callable[[], Awaitable[None]], repeat: int) -> list[float]:
    await func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await func()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def run(repeat: int) -> None:
    data = make_photo()
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        decode = timings_ms(lambda: full_decode(data), repeat)
        inspect = timings_ms(lambda: inspect_only(data), repeat)
        # One long-lived event loop, as in the bot: no per-round loop/executor start-up.
        pipeline = await async_timings_ms(lambda: inspect_and_store(data, Path(tmp)), repeat)

    decode_ms, inspect_ms, pipeline_ms = map(statistics.median, (decode, inspect, pipeline))
    print(
        f"evidence: {WIDTH * HEIGHT / 1e6:.0f}MP jpeg {len(data) / 1e6:.1f}MB"
        f" full_decode_ms={decode_ms:.1f} inspect_ms={inspect_ms:.1f} inspect_store_ms={pipeline_ms:.1f}"
        f" ratio={pipeline_ms / decode_ms:.2f} (goal < 1.0)"
        f" [median of {repeat}; best: decode={min(decode):.1f} inspect_store={min(pipeline):.1f}]"
    )
    # The shortcut's proof (issue 11 item 3): a full decode plus one or two more to show the scan's
    # last byte is read, so that nothing hides in bytes the decoder skips.
    bare = make_jpeg(BARE_WIDTH, BARE_HEIGHT, quality=87, seed=2024)
    kept = inspect_image(bare, max_bytes=MAX_BYTES).preview_jpeg == bare
    bare_decode = statistics.median(timings_ms(lambda: full_decode(bare), repeat))
    bare_inspect = statistics.median(timings_ms(lambda: inspect_only(bare), repeat))
    print(
        f"evidence: bare {BARE_WIDTH}x{BARE_HEIGHT} jpeg {len(bare) / 1e3:.0f}kB kept={kept}"
        f" full_decode_ms={bare_decode:.1f} inspect_ms={bare_inspect:.1f} [median of {repeat}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7)
    asyncio.run(run(parser.parse_args().repeat))


if __name__ == "__main__":
    main()
