"""Storage benchmark: reports committed per second, each with its evidence rows and outbox entry.

The same transaction the bot runs at Kirim (handlers/report/intake.py): the processed update id, the report
with two photos and a link, its `created` event, its `forward_report` outbox row and the draft's
removal, on a fresh SQLite file with the production PRAGMAs (WAL, synchronous=FULL: an fsync per
commit, so the figure depends on the disk). Senders commit concurrently, as many citizens would.

    .venv/bin/python bench/bench_storage.py                   # 2000 reports from 20 concurrent senders
    .venv/bin/python bench/bench_storage.py --reports 500 --senders 1

Prints one line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.common import owed  # noqa: E402 - after the path set-up above
from storage.db import Database  # noqa: E402
from storage.models import Category, Channel, NewReport, PhotoEvidence, SubjectStatus  # noqa: E402
from storage.reporters import Reporters  # noqa: E402
from storage.reports import Reports  # noqa: E402


def report_for(reporter_id: int, number: int) -> NewReport:
    photos = tuple(
        PhotoEvidence(
            sha256=hashlib.sha256(f"{reporter_id}-{number}-{i}".encode()).hexdigest(),
            mime="image/jpeg",
            size_bytes=3_500_000,
            width=4000,
            height=3000,
            dhash="0f0f0f0f0f0f0f0f",
        )
        for i in range(2)
    )
    return NewReport(
        reporter_id=reporter_id,
        channel=Channel.TELEGRAM,
        category=Category.MEDSOS,
        subject_name="Budi",
        subject_agency="Dinas Pendidikan",
        subject_status=SubjectStatus.PNS,
        region_id="kab-klaten",
        place="Pasar Klaten",
        latitude=None,
        longitude=None,
        incident_date=date(2024, 2, 10),
        description="Membagikan poster calon di grup WhatsApp dinas." * 3,
        locale="id",
        photos=photos,
        links=("https://instagram.com/p/abc",),
        contact=None,
    )


async def sender(db: Database, reporter_id: int, count: int, latencies: list[float]) -> None:
    reports = Reports(db)
    for number in range(count):
        started = time.perf_counter()
        await reports.submit(
            report_for(reporter_id, number),
            owed=lambda report: [owed.forward_report(report.id)],
            draft=None,
            processed=(Channel.TELEGRAM, f"{reporter_id}:{number}"),
        )
        latencies.append(time.perf_counter() - started)


async def run(reports: int, senders: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.sqlite3")
        try:
            reporters = [await Reporters(db).get_or_create(Channel.TELEGRAM, str(n)) for n in range(senders)]
            latencies: list[float] = []
            began = time.perf_counter()
            await asyncio.gather(*(sender(db, r.id, reports // senders, latencies) for r in reporters))
            elapsed = time.perf_counter() - began
            row = await db.fetchone("SELECT COUNT(*) FROM outbox")
        finally:
            await db.close()
    latencies.sort()
    committed = len(latencies)
    assert row is not None and row[0] == committed
    p50 = latencies[committed // 2] * 1000
    p99 = latencies[min(committed - 1, int(committed * 0.99))] * 1000
    return (
        f"storage: {committed} reports (2 photos + 1 link, event, outbox row) from {senders} senders, "
        f"WAL synchronous=FULL: {committed / elapsed:.0f} reports/s, commit p50={p50:.1f} ms p99={p99:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=20)
    args = parser.parse_args()
    print(asyncio.run(run(args.reports, args.senders)))


if __name__ == "__main__":
    main()
