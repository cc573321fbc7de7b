"""Daily summary over 1,000,000 synthetic reports: time and peak memory of building one day's summary.

    python bench/bench_summary.py [--reports N] [--repeat N] [--plans] [--fresh]

The database is built once under bench/out/ (gitignored) with the product's own migrations, then reused;
--fresh rebuilds it. Building the summary means what the bot does at 07:00: every aggregate query, the
figures and the text, the chart (PNG) and the spreadsheet (XLSX) of the day's reports. One line is
printed; --plans adds SQLite's EXPLAIN QUERY PLAN of every summary query.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time as clock
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import summary_config  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.common.regions import default_catalog  # noqa: E402
from handlers.summary.figures import summary_query  # noqa: E402
from handlers.summary.service import OwedSummary, SummaryService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.summary import SummaryStore, summary_statements  # noqa: E402

OUT = ROOT / "bench" / "out"
TZ = ZoneInfo("Asia/Jakarta")
DAYS = 365
LAST_DAY = date(2024, 2, 20)  # the data runs up to here; the summarized day is a week before
BENCH_DAY = date(2024, 2, 13)  # the eve of Pemilu 2024
REPORTERS = 100_000
STATES = ("baru", "diproses", "butuh_info", "terverifikasi", "diteruskan", "selesai", "ditolak")
OLD_STATE_WEIGHTS = (2, 4, 3, 8, 25, 40, 18)  # weeks later most reports are closed or forwarded
NEW_STATE_WEIGHTS = (45, 25, 10, 10, 5, 3, 2)  # in their first days most still wait
CATEGORIES = ("medsos", "foto", "kampanye", "alat_peraga", "fasilitas", "keputusan", "partai", "lainnya")
STATUSES = ("pns", "pppk", "non_asn", "unknown")
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def code(number: int) -> str:
    digits = []
    for _ in range(6):
        number, rest = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return "LN-" + "".join(reversed(digits))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def synthetic(count: int, seed: int = 2024) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]], int]]:
    """(report row, its events, photo count) for `count` reports spread over DAYS days, in time order."""
    rng = random.Random(seed)
    regions = [r.id for r in default_catalog().regions]
    weights = [rng.uniform(0.3, 3.0) for _ in regions]  # some regions report far more than others
    end = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), TZ).astimezone(UTC)
    start = end - timedelta(days=DAYS)
    span = (end - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    for number, offset in enumerate(offsets, 1):
        created = start + timedelta(seconds=offset)
        recent = (end - created).days < 3
        state = rng.choices(STATES, NEW_STATE_WEIGHTS if recent else OLD_STATE_WEIGHTS)[0]
        incident = created.astimezone(TZ).date() - timedelta(days=rng.randint(0, 6))
        stamp = iso(created)
        row = (
            number,
            code(number),
            rng.randrange(1, REPORTERS + 1),
            state,
            rng.choice(CATEGORIES),
            rng.choice(("Budi", "Sri", None)),
            "Dinas Pendidikan",
            rng.choice(STATUSES),
            rng.choices(regions, weights)[0],
            "Balai desa",
            incident.isoformat(),
            "Uraian sintetis.",
            stamp,
            stamp,
        )
        events: list[tuple[object, ...]] = [(number, stamp, "reporter", "created")]
        if state != "baru":
            moment = created + timedelta(seconds=rng.expovariate(1 / 21600))  # first move: 6 h on average
            for _ in range(rng.randint(1, 3)):
                events.append((number, iso(moment), f"supervisor:{rng.randint(1, 40)}", "move"))
                moment += timedelta(seconds=rng.expovariate(1 / 86400))
        yield row, events, rng.choice((0, 0, 1, 2))


def generate(path: Path, count: int) -> None:
    """Migrate with the product's code, then bulk-load in one transaction with indexes built afterwards."""
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    started = clock.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    # Loading into bare tables and indexing once at the end is several times faster than keeping
    # every index up to date row by row; the same CREATE INDEX statements give the same schema.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('reports', 'events', 'evidence')"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    now = iso(datetime(2024, 1, 1, tzinfo=UTC))
    conn.executemany(
        "INSERT INTO reporters (id, channel, address, locale, pseudonym, created_at, last_seen_at)"
        " VALUES (?, 'telegram', ?, 'id', ?, ?, ?)",
        ((n, str(10_000_000 + n), f"Warga-{n}", now, now) for n in range(1, REPORTERS + 1)),
    )
    reports: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    evidence: list[tuple[object, ...]] = []

    def flush() -> None:
        conn.executemany(
            "INSERT INTO reports (id, code, reporter_id, channel, state, category, subject_name, subject_agency,"
            " subject_status, region_id, place, incident_date, description, locale, created_at, updated_at)"
            " VALUES (?, ?, ?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'id', ?, ?)",
            reports,
        )
        conn.executemany("INSERT INTO events (report_id, at, actor, action) VALUES (?, ?, ?, ?)", events)
        conn.executemany(
            "INSERT INTO evidence (report_id, position, kind, sha256, added_at) VALUES (?, ?, 'photo', ?, ?)", evidence
        )
        reports.clear()
        events.clear()
        evidence.clear()

    for row, row_events, photos in synthetic(count):
        reports.append(row)
        events.extend(row_events)
        evidence.extend((row[0], p, f"{row[0]:060d}{p:04d}", row[12]) for p in range(photos))
        if len(reports) >= 50_000:
            flush()
    flush()
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    # No ANALYZE: the bot never runs it, so the plans here are the planner's choice without statistics.
    totals = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("reports", "events", "evidence")}
    conn.close()
    sys.stderr.write(f"generated {path.name}: {totals} in {clock.perf_counter() - started:.1f}s\n")


async def build_once(service: SummaryService, day: date) -> tuple[float, dict[str, float], int]:
    """One summary as the 07:00 job plus its delivery build it; returns total seconds and the parts."""
    parts: dict[str, float] = {}
    started = clock.perf_counter()
    figures = await service.figures(day, datetime.combine(day + timedelta(days=1), time(7), TZ))
    parts["queries"] = clock.perf_counter() - started
    mark = clock.perf_counter()
    text = service.text(OwedSummary(figures, late=False))
    parts["text"] = clock.perf_counter() - mark
    mark = clock.perf_counter()
    chart = await service.chart(figures)
    parts["chart"] = clock.perf_counter() - mark
    mark = clock.perf_counter()
    sheet = await service.sheet(figures)
    parts["sheet"] = clock.perf_counter() - mark
    assert text and chart and sheet
    return clock.perf_counter() - started, parts, figures.new_reports


async def measure(path: Path, repeat: int, plans: bool) -> None:
    db = await Database.open(path)
    try:
        settings = Settings(_env_file=None, database_path=path)
        service = SummaryService(SummaryStore(db), default_catalog(), summary_config(settings))
        runs = [await build_once(service, BENCH_DAY) for _ in range(repeat)]
        tracemalloc.start()
        await build_once(service, BENCH_DAY)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        counts = {t: (await db.fetchone(f"SELECT COUNT(*) FROM {t}") or [0])[0] for t in ("reports", "events")}
        cold_total, cold_parts, new = runs[0]
        warm = statistics.median(r[0] for r in runs[1:]) if len(runs) > 1 else cold_total
        maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        parts = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in cold_parts.items())
        print(
            f"summary of {BENCH_DAY} over {counts['reports']:,} reports / {counts['events']:,} events"
            f" ({new:,} new that day): first {cold_total * 1000:.0f} ms ({parts}),"
            f" median of next {len(runs) - 1} {warm * 1000:.0f} ms;"
            f" peak Python memory {peak / 2**20:.1f} MiB, max RSS {maxrss_mib:.0f} MiB"
        )
        if plans:
            query = summary_query(BENCH_DAY, TZ, datetime.now(UTC))
            for name, sql, params in summary_statements(query):
                print(f"\n-- {name}")
                for row in await db.fetchall(f"EXPLAIN QUERY PLAN {sql}", params):
                    print(f"   {row['detail']}")
    finally:
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=4, help="timed builds (the first counts as cold)")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN of each summary query")
    parser.add_argument("--fresh", action="store_true", help="rebuild the synthetic database")
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = OUT / f"summary-{args.reports}.sqlite3"
    if args.generate_only:
        generate(path, args.reports)
        return 0
    if args.fresh or not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        # In a child process, so that the memory it takes is not counted as the summary's.
        subprocess.run([sys.executable, __file__, "--generate-only", "--reports", str(args.reports)], check=True)
    asyncio.run(measure(path, max(1, args.repeat), args.plans))
    return 0


if __name__ == "__main__":
    sys.exit(main())
