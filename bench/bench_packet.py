"""The hand-off packet's cost at its worst: a report holding ten photos of the largest size a reporter may send.

A Teruskan press, `/paket` and the Mini App's (bulk) forward each build the packet: the PDF, and the evidence
archive's SHA-256 that the PDF names. This measures, in a fresh process per run so the figures are the
packet's alone:

- wall time of one build (`handlers.handoff.assemble.assemble`),
- the longest the event loop was held (a 5 ms ticker's worst lateness): every other update waits that long,
- the process's peak memory growth over the build (VmHWM minus the resident size before it).

    python bench/bench_packet.py [--photos 10] [--mb 19]

Photos are noise JPEGs (noise does not compress, so each is as large as asked) kept as intake keeps them:
the original and its metadata-free preview.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from handlers.handoff.assemble import assemble
from tests.handoff.test_assemble import keep_photo
from tests.triage.helpers import REGIONS, TZ, add_report, open_store

_TICK = 0.005


def noise_jpeg(megabytes: float) -> bytes:
    """A JPEG of about `megabytes` (random pixels at quality 95 take ~1.2 bytes each), unlike any other."""
    pixels = int(megabytes * 1e6 / 1.18)
    width = int((pixels * 4 / 3) ** 0.5)
    height = pixels // width
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


async def prepare(root: Path, photos: int, megabytes: float) -> tuple[str, int]:
    async with open_store(root) as store:
        kept = tuple(keep_photo(store, noise_jpeg(megabytes)) for _ in range(photos))
        report = await add_report(store, photos=kept)
        return report.code, sum(p.size_bytes for p in kept)


def _memory() -> tuple[int, int]:
    """(resident now, peak resident) of this process in bytes, from /proc."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


async def measure(root: Path) -> dict[str, float]:
    async with open_store(root) as store:
        report = await store.reports.by_code((root / "code").read_text())
        assert report is not None
        # Resets the peak to the current size (Linux >= 4.0), so VmHWM afterwards is the build's own.
        Path("/proc/self/clear_refs").write_text("5")
        before, _ = _memory()
        worst = 0.0
        running = True

        async def ticker() -> None:
            nonlocal worst
            while running:
                asked = time.perf_counter()
                await asyncio.sleep(_TICK)
                worst = max(worst, time.perf_counter() - asked - _TICK)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(_TICK * 2)
        started = time.perf_counter()
        handoff = await assemble(store, store.triage, REGIONS, report, tz=TZ, now=datetime.now(UTC))
        wall = time.perf_counter() - started
        running = False
        await tick
        _, peak = _memory()
        return {
            "wall_s": wall,
            "loop_held_s": worst,
            "peak_growth_mb": (peak - before) / 1e6,
            "pdf_mb": len(handoff.pdf) / 1e6,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--mb", type=float, default=19.0, help="size of each original (the intake's limit is 20)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.measure))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        code, total = asyncio.run(prepare(root, args.photos, args.mb))
        (root / "code").write_text(code)
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--measure", str(root)], check=True, capture_output=True, text=True
                ).stdout
            )
            for _ in range(args.runs)
        ]
    print(f"packet of {args.photos} photos, {total / 1e6:.0f} MB of originals, {args.runs} fresh processes:")
    for key in ("wall_s", "loop_held_s", "peak_growth_mb", "pdf_mb"):
        values = sorted(run[key] for run in runs)
        print(f"  {key:15} median {values[len(values) // 2]:8.2f}   worst {values[-1]:8.2f}")


if __name__ == "__main__":
    main()
