"""Election-day benchmark: reports from all 35 kabupaten/kota, triaged in 1, 6 or 35 supervisors' groups,
against the fake Bot API that enforces Telegram's limits (20 messages a minute per group, edits included).

Separate processes on loopback: the fake Bot API (tests/fakes/bot_api/, standalone, limits on), the real bot
(bot.app.App with its pacer, real SQLite and evidence files in a temp dir) and this driver. Real time, no
compressed clock: the limits are Telegram's own, so the run is short and the rate is what it would be.

- Exactly `--rate` × `--minutes` / 60 reports arrive, one at a random moment inside each equal slice of the
  run (so the offered rate is the rate asked for, not a Poisson draw that may fall short; seeded per
  configuration); each comes from a kabupaten/kota
  drawn by population (bench/data/jawa_tengah_population.json, BPS Jawa Tengah 2023, approximate) and is
  typed by its own citizen at a person's pace (1–4 s a step), with 1–3 photos.
- Each card gets three triage moves (Ambil, Verifikasi, Selesai: each edits the card and notifies the
  reporter) by a member of its group, the first 5–40 s after the card appears and the next 5–40 s apart:
  faster than real supervisors, so that the short run carries its edits.
- Groups: 1 (everything in SUPERVISOR_CHAT_ID), 6 (one per karesidenan) or 35 (one per kabupaten/kota),
  through REGION_GROUPS_FILE (the regions routing table).

Printed per configuration: card latency (Kirim pushed → card in its group) p50/p99, edit latency (button
pressed → the card edited) p50/p99, presses whose edit never came and moves a supervisor could not make
(the card's buttons not there yet), 429s the fake returned, group messages per report (an album counts one
per photo), reports lost (acknowledged but not in the database, or their card given up), group messages
(cards and edits) still owed or given up when the drain time ran out, and the busiest group's demand
against its 20 a minute.

    .venv/bin/python bench/bench_election_day.py                       # 1, 6, 35 groups, 2 minutes each
    .venv/bin/python bench/bench_election_day.py --groups 6 --rate 1000 --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_intake import Fake, start, stop, wait_ready  # noqa: E402
from conversation import CODE_RE, PHOTOS, REGION, steps  # noqa: E402

from handlers.common.owed import CARD_MOVED, EDIT_CARD  # noqa: E402
from tests.fakes.bot_api.limits import message_count  # noqa: E402  (what the fake counts, the bench counts)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
PROVINCE_GROUP = -1001000000000
SUPERVISOR_BASE = 8_000_000_000
CITIZEN_BASE = 1_000_000
REGIONS = json.loads((ROOT / "handlers/common/data/jawa_tengah.json").read_text(encoding="utf-8"))
POPULATION = json.loads((ROOT / "bench/data/jawa_tengah_population.json").read_text(encoding="utf-8"))
MOVES = ("claim", "verify", "close")

STEPS: Sequence[str] = steps()


# --------------------------------------------------------------------------- configuration


def regions() -> list[tuple[str, str, str]]:
    """(karesidenan id, kabupaten/kota id, its name) for the 35."""
    return [(g["id"], r["id"], r["name"]) for g in REGIONS["groups"] for r in g["regions"]]


def routing(groups: int) -> dict[str, Any] | None:
    """The REGION_GROUPS_FILE for 6 or 35 groups (None: one group, SUPERVISOR_CHAT_ID)."""
    if groups == 1:
        return None
    if groups == 6:
        return {
            "groups": [
                {"chat_id": PROVINCE_GROUP - 1 - n, "name": f"Karesidenan {g['name']}", "covers": [g["id"]]}
                for n, g in enumerate(REGIONS["groups"])
            ]
        }
    if groups == 35:
        return {
            "groups": [
                {"chat_id": PROVINCE_GROUP - 100 - n, "name": name, "covers": [region]}
                for n, (_, region, name) in enumerate(regions())
            ]
        }
    raise SystemExit("--groups is 1, 6 or 35")


def group_chats(groups: int) -> list[int]:
    table = routing(groups)
    return [PROVINCE_GROUP] + ([g["chat_id"] for g in table["groups"]] if table else [])


def serve_bot(api_url: str, workdir: Path, groups: int) -> None:
    """The product as `python -m bot` builds it, its pacer on, routing as configured."""
    from bot.app import App, Tuning
    from bot.logs import setup_logging
    from bot.settings import Settings

    table = routing(groups)
    extra: dict[str, Any] = {}
    if table is not None:
        path = workdir / "groups.json"
        path.write_text(json.dumps(table), encoding="utf-8")
        extra["region_groups_file"] = path
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_url=api_url,
        supervisor_chat_id=PROVINCE_GROUP,
        database_path=workdir / "db.sqlite3",
        evidence_dir=workdir / "evidence",
        messages_per_minute=10_000,
        reports_per_day=10_000,
        http_port=0,
        **extra,
    )
    setup_logging("ERROR", [TOKEN])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = loop.run_until_complete(App.open(settings, Tuning()))
    try:
        app.run()
    finally:
        loop.run_until_complete(app.close())


# --------------------------------------------------------------------------- the driver


@dataclass
class Report:
    user_id: int
    region: str
    photos: int
    kirim_at: float = 0.0
    code: str | None = None
    chat: int | None = None
    card_id: int | None = None
    card_at: float | None = None
    presses: list[float] = field(default_factory=list)
    skipped: int = 0  # moves not made: the card did not show the button (an edit still on its way)


@dataclass
class Watch:
    """Every call the bot made to a group, read from the fake as it goes."""

    seen: int = 0
    cards: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # code -> (chat, message id, time)
    edits: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    messages: dict[int, list[float]] = field(default_factory=dict)  # chat -> times of every counted message

    def take(self, calls: list[dict[str, Any]]) -> None:
        self.seen += len(calls)
        for call in calls:
            chat = call["chat_id"]
            params = call["params"]
            cost = message_count(call["method"], params)
            if not isinstance(chat, int) or chat >= 0 or not cost:
                continue
            self.messages.setdefault(chat, []).extend([call["time"]] * cost)
            if call["method"].startswith("edit"):
                self.edits.setdefault((chat, int(params.get("message_id", 0))), []).append(call["time"])
            elif call["method"] in ("sendMessage", "sendPhoto"):
                # The card: a text, or a photo whose caption is the card (the lighter card).
                first_line = str(params.get("text") or params.get("caption") or "").split("\n", 1)[0]
                match = CODE_RE.search(first_line)
                if match and match.group(0) not in self.cards:
                    self.cards[match.group(0)] = (chat, -1, call["time"])


async def watch_calls(fake: Fake, watch: Watch, stop_at: asyncio.Event) -> None:
    while not stop_at.is_set():
        calls = await fake.get("calls", since=str(watch.seen))
        if calls:
            watch.take(calls)
        await asyncio.sleep(0.25)


def card_of(database: Path, code: str) -> tuple[int, int] | None:
    """The card's (chat, message id) as the bot recorded it after posting it."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute("SELECT card_chat_id, card_message_id FROM reports WHERE code = ?", (code,)).fetchone()
    return (int(row[0]), int(row[1])) if row and row[1] is not None else None


async def citizen(fake: Fake, report: Report, name: str, photos: list[bytes], rng: random.Random) -> None:
    """One person typing a whole report at a person's pace."""
    seen = 0
    uid = report.user_id
    for step in STEPS:
        await asyncio.sleep(rng.uniform(1.0, 4.0))
        if step == "Kirim":
            report.kirim_at = time.monotonic()
        if step == PHOTOS:
            for n in range(report.photos):
                file_id = (await fake.post("file", photos[(uid + n) % len(photos)]))["file_id"]
                await fake.post("build/private_photo", {"user_id": uid, "file_id": file_id})
        elif step.startswith("/"):
            await fake.post("build/private_command", {"user_id": uid, "command": step[1:]})
        else:
            text = name if step == REGION else step
            await fake.post("build/private_text", {"user_id": uid, "text": text})
        waited = await fake.get("wait", method="sendMessage", chat_id=str(uid), count=str(seen + 1), timeout="120")
        if waited is None:
            raise RuntimeError(f"citizen {uid} got no answer to {step!r}")
        await asyncio.sleep(0.8 if step == PHOTOS else 0.3)  # the album's answer is debounced
        calls = await fake.get("calls", method="sendMessage", chat_id=str(uid))
        seen = len(calls)
        if step == "Kirim":
            for call in reversed(calls):
                match = CODE_RE.search(str(call["params"].get("text", "")))
                if match:
                    report.code = match.group(0)
                    break
            if report.code is None:  # the conversation went astray: say where, rather than count a silent zero
                last = str(calls[-1]["params"].get("text", "")) if calls else ""
                raise RuntimeError(f"citizen {uid}: no ticket after Kirim; the bot last said {last[:200]!r}")


async def supervise(
    fake: Fake, database: Path, report: Report, watch: Watch, rng: random.Random, deadline: float
) -> None:
    """Three moves on the card once it is in its group, by a member of that group."""
    card = None
    while card is None:
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.5)
        if report.code is not None and report.code in watch.cards:
            card = card_of(database, report.code)
    assert report.code is not None
    chat, report.card_id = card
    report.chat, report.card_at = chat, watch.cards[report.code][2]
    supervisor = SUPERVISOR_BASE + abs(chat) % 1_000_000
    for action in MOVES:
        await asyncio.sleep(rng.uniform(5.0, 40.0))
        if time.monotonic() > deadline:
            return
        message = await fake.get("message", chat_id=str(chat), message_id=str(report.card_id))
        rows = (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
        data = next((b["callback_data"] for row in rows for b in row if f":{action}:" in b["callback_data"]), None)
        if data is None:
            report.skipped += len(MOVES) - MOVES.index(action)
            return  # an edit still on its way: this supervisor moves on (counted as moves not made)
        report.presses.append(time.monotonic())
        query = {"user_id": supervisor, "chat_id": chat, "message_id": report.card_id, "data": data,
                 "chat_type": "supergroup"}  # fmt: skip
        await fake.post("build/callback_query", query)
        # Wait for this press's edit before the next one: a supervisor presses what the card shows.
        pressed = report.presses[-1]
        while time.monotonic() < deadline:
            edits = watch.edits.get((chat, report.card_id), [])
            if any(t >= pressed for t in edits):
                break
            await asyncio.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@dataclass
class Outcome:
    groups: int
    rate: float
    minutes: float
    reports: list[Report]
    watch: Watch
    too_many_requests: int
    lost: int
    waiting: int
    owed_edits: tuple[int, int]
    busiest: tuple[int, float]

    def line(self) -> str:
        cards = [r.card_at - r.kirim_at for r in self.reports if r.card_at is not None and r.kirim_at]
        edit_latencies: list[float] = []
        unanswered = 0
        for r in self.reports:
            if r.chat is None or r.card_id is None:
                continue
            edits = sorted(self.watch.edits.get((r.chat, r.card_id), []))
            for pressed in r.presses:
                after = next((t for t in edits if t >= pressed), None)
                if after is not None:
                    edit_latencies.append(after - pressed)
                else:
                    unanswered += 1
        skipped = sum(r.skipped for r in self.reports)
        pending_edits, dead_edits = self.owed_edits
        messages = sum(len(v) for v in self.watch.messages.values())
        acked = sum(1 for r in self.reports if r.code)
        chat, per_minute = self.busiest
        return (
            f"election day: {self.groups} group(s), {self.rate:.0f} reports/h for {self.minutes:g} min "
            f"({len(self.reports)} reports, {acked} acknowledged): card p50={percentile(cards, 0.5):.2f} s "
            f"p99={percentile(cards, 0.99):.2f} s, edit p50={percentile(edit_latencies, 0.5):.2f} s "
            f"p99={percentile(edit_latencies, 0.99):.2f} s ({len(edit_latencies)} presses edited, "
            f"{unanswered} not edited, {skipped} moves not made), "
            f"429s={self.too_many_requests}, group messages/report={messages / max(1, acked):.2f}, "
            f"lost={self.lost}, cards still owed at the end={self.waiting}, edits still owed={pending_edits}, "
            f"edits given up={dead_edits}; busiest group {chat}: "
            f"{per_minute:.1f} messages/min demanded (budget 20)"
        )


def busiest_group(reports: list[Report], watch: Watch, minutes: float) -> tuple[int, float]:
    """The group with the most group messages per report arrival-minute: its demand against 20 a minute."""
    per_report: dict[int, int] = {}
    for chat, times in watch.messages.items():
        per_report[chat] = len(times)
    if not per_report:
        return 0, 0.0
    chat = max(per_report, key=lambda c: per_report[c])
    return chat, per_report[chat] / minutes


def lost_reports(database: Path, reports: list[Report]) -> tuple[int, int]:
    """(lost, still waiting): acknowledged reports missing from the database or whose card was given up;
    and those whose card is still owed."""
    with sqlite3.connect(database) as db:
        stored = {row[0] for row in db.execute("SELECT code FROM reports")}
        dead = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'dead' AND kind = 'forward_report'").fetchone()
        waiting = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind = 'forward_report'")
        still = int(waiting.fetchone()[0])
    missing = sum(1 for r in reports if r.code and r.code not in stored)
    return missing + int(dead[0]), still


def owed_edits(database: Path) -> tuple[int, int]:
    """(pending, given up) card edits in the outbox."""
    with sqlite3.connect(database) as db:
        rows = dict(
            db.execute(
                "SELECT state, COUNT(*) FROM outbox WHERE kind IN (?, ?) GROUP BY state", (EDIT_CARD, CARD_MOVED)
            ).fetchall()
        )
    return int(rows.get("pending", 0)), int(rows.get("dead", 0))


def arrivals(rate: float, minutes: float, rng: random.Random) -> list[float]:
    """Exactly rate × minutes / 60 arrival offsets (seconds): one at a random moment in each equal slice."""
    count = round(rate * minutes / 60)
    slice_ = minutes * 60 / max(1, count)
    return [(n + rng.random()) * slice_ for n in range(count)]


async def run_day(groups: int, rate: float, minutes: float, drain: float, seed: int) -> str:
    from tests.images import make_jpeg

    rng = random.Random(seed)
    fake_process = start(["-m", "tests.fakes.bot_api", "--port", "0", "--max-poll", "1"])
    assert fake_process.stdout is not None
    url = fake_process.stdout.readline().split()[-1]
    photos = [make_jpeg(1280, 960, seed=n) for n in range(6)]
    names = {region: name for _, region, name in regions()}
    weights = POPULATION["population"]
    population = list(weights)
    try:
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=200)) as session:
            fake = Fake(session, url)
            with tempfile.TemporaryDirectory() as workdir:
                for chat in group_chats(groups):
                    supervisor = SUPERVISOR_BASE + abs(chat) % 1_000_000
                    await fake.post("member", {"chat_id": chat, "user_id": supervisor, "status": "member"})
                bot = start([__file__, "--serve-bot", url, workdir, str(groups)])
                try:
                    await wait_ready(fake, "getUpdates", timeout=60)
                    watch = Watch()
                    done_watching = asyncio.Event()
                    watcher = asyncio.create_task(watch_calls(fake, watch, done_watching))
                    reports: list[Report] = []
                    tasks: list[asyncio.Task[None]] = []
                    began = time.monotonic()
                    end = began + minutes * 60
                    deadline = end + drain
                    for offset in arrivals(rate, minutes, rng):
                        await asyncio.sleep(max(0.0, began + offset - time.monotonic()))
                        region = rng.choices(population, weights=[weights[r] for r in population])[0]
                        report = Report(CITIZEN_BASE + len(reports), region, rng.randint(1, 3))
                        reports.append(report)
                        person = random.Random(rng.random())
                        tasks.append(asyncio.create_task(citizen(fake, report, names[region], photos, person)))
                        database = Path(workdir) / "db.sqlite3"
                        tasks.append(asyncio.create_task(supervise(fake, database, report, watch, person, deadline)))
                    results = await asyncio.gather(*tasks, return_exceptions=True)
                    failures = [r for r in results if isinstance(r, BaseException)]
                    for failure in failures[:3]:
                        sys.stderr.write(f"driver: {failure!r}\n")
                    # Drain: every card and edit owed goes out, within the drain time.
                    while time.monotonic() < deadline:
                        still = lost_reports(Path(workdir) / "db.sqlite3", reports)[1]
                        if still == 0 and owed_edits(Path(workdir) / "db.sqlite3")[0] == 0:
                            break
                        await asyncio.sleep(2.0)
                    await asyncio.sleep(1.0)
                    done_watching.set()
                    await watcher
                    watch.take(await fake.get("calls", since=str(watch.seen)) or [])
                    limits = await fake.get("limits")
                finally:
                    stop(bot)
                lost, waiting = lost_reports(Path(workdir) / "db.sqlite3", reports)
                edits_owed = owed_edits(Path(workdir) / "db.sqlite3")
    finally:
        stop(fake_process)
    outcome = Outcome(
        groups,
        rate,
        minutes,
        reports,
        watch,
        int(limits["too_many_requests"]),
        lost,
        waiting,
        edits_owed,
        busiest_group(reports, watch, minutes),
    )
    return outcome.line()


DEFAULT_RATES = {1: 200.0, 6: 1000.0, 35: 3000.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, nargs="*", default=[1, 6, 35], help="1, 6 and/or 35")
    parser.add_argument("--rate", type=float, default=None, help="reports an hour (default 200, 1000, 3000)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long reports arrive")
    parser.add_argument("--drain", type=float, default=240.0, help="seconds allowed after for what is owed")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--serve-bot", nargs=3, metavar=("URL", "DIR", "GROUPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        url, workdir, groups = args.serve_bot
        serve_bot(url, Path(workdir), int(groups))
        return
    for groups in args.groups:
        rate = args.rate if args.rate is not None else DEFAULT_RATES[groups]
        # A seed of its own per configuration: runs at different rates are separate draws, not one.
        seed = args.seed * 1_000_003 + groups * 10_007 + round(rate)
        print(asyncio.run(run_day(groups, rate, args.minutes, args.drain, seed)), flush=True)
    print(f"machine: {machine()}")


def machine() -> str:
    import os
    import platform

    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
