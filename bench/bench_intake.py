"""Intake benchmark: many citizens filing reports at once, against a bare echo bot's floor.

Separate processes on loopback, so each one's CPU is its own: two fake Bot API servers
(tests/fakes/bot_api/, standalone), the bot under test (the real PTB Application built by
bot.app.App, real SQLite and evidence files in a temp dir), the echo bots, and this
driver. Each simulated citizen types a whole report (typed answers, which the core accepts wherever it
offers buttons) with two photos, waiting for the bot's answers before the next step, as a person would.

After each round of reports, a bare python-telegram-bot echo bot (one MessageHandler that replies) gets the
same number of updates from the same number of users, on PTB's default transport (the floor) and on the
bot's own (bot/telegram/transport.py). Rounds alternate bot and echo, and the medians are reported: the
machine's speed drifts, and each round's ratio compares runs a few seconds apart.

    .venv/bin/python bench/bench_intake.py                  # 100 citizens, 5 rounds, rate limiter off
    .venv/bin/python bench/bench_intake.py --citizens 20 --rate-limit

Prints one line. Latency is from the moment an update is pushed to the fake server (its long poll
answers at once) to the bot's first reply to that chat, both on the system-wide monotonic clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conversation import CODE_RE, PHOTO, steps  # noqa: E402  (bench/, this script's own folder)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
GROUP = -1001234567890
TICKS = os.sysconf("SC_CLK_TCK")

STEPS: Sequence[str] = steps(region="klaten", evidence=(PHOTO, PHOTO))


def cpu_seconds_of(stat: Path) -> float:
    user, system = cpu_split_of(stat)
    return user + system


def cpu_split_of(stat: Path) -> tuple[float, float]:
    """(user, system) CPU seconds of a process or thread from its /proc stat line."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- the bots under test


def serve_bot(api_url: str, workdir: Path, rate_limit: bool) -> None:
    """The product, as `python -m bot` builds it, with the rate limiter as asked."""
    from bot.app import App, Tuning
    from bot.logs import setup_logging
    from bot.settings import Settings

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_url=api_url,
        supervisor_chat_id=GROUP,
        database_path=workdir / "db.sqlite3",
        evidence_dir=workdir / "evidence",
        http_port=0,
        messages_per_minute=10_000,
        reports_per_day=10_000,
    )
    setup_logging("WARNING", [TOKEN])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = loop.run_until_complete(App.open(settings, Tuning(rate_limit=rate_limit)))
    profile_to = os.environ.get("LAPOR_BENCH_PROFILE")
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        app.run()
    finally:
        loop.run_until_complete(app.close())
        if profiler is not None and profile_to:
            profiler.disable()
            profiler.dump_stats(profile_to)


def serve_echo(api_url: str, transport: str) -> None:
    """The floor: the least a python-telegram-bot bot can do per update, on PTB's transport or the bot's."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.telegram.transport import AiohttpRequest

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text("ok")

    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(64)
    )
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


# --------------------------------------------------------------------------- the driver


class Fake:
    """The standalone fake Bot API server and its control API."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def post(self, path: str, body: Any, **params: str) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(f"{self.url}/_control/{path}", data=data, params=params) as response:
            return await response.json()

    async def get(self, path: str, **params: str) -> Any:
        async with self.session.get(f"{self.url}/_control/{path}", params=params) as response:
            return await response.json() if response.status == 200 else None


def photo_bytes(seed: int) -> bytes:
    from tests.images import make_jpeg

    return make_jpeg(1280, 960, seed=seed)


async def citizen(
    fake: Fake, user_id: int, photos: list[bytes], latencies: list[float], replies: dict[int, int]
) -> int:
    """One person typing a whole report; returns the number of updates sent."""
    seen = 0
    sent = 0
    for number, step in enumerate(STEPS):
        pushed = time.monotonic()
        if step == PHOTO:
            file_id = (await fake.post("file", photos[number % len(photos)]))["file_id"]
            await fake.post("build/private_photo", {"user_id": user_id, "file_id": file_id})
        elif step.startswith("/"):
            await fake.post("build/private_command", {"user_id": user_id, "command": step[1:]})
        else:
            await fake.post("build/private_text", {"user_id": user_id, "text": step})
        sent += 1
        expected = seen + replies.get(number, 1)
        waited = await fake.get("wait", method="sendMessage", chat_id=str(user_id), count=str(expected), timeout="60")
        if waited is None:
            raise RuntimeError(f"citizen {user_id} got no answer at step {number} ({step!r})")
        calls = await fake.get("calls", method="sendMessage", chat_id=str(user_id))
        latencies.append(calls[seen]["time"] - pushed)
        seen = len(calls)
    if not CODE_RE.search(str(calls[-1]["params"].get("text", ""))):  # a report, not replies to a stray script
        raise RuntimeError(f"citizen {user_id}: no ticket after Kirim: {calls[-1]['params'].get('text', '')[:200]!r}")
    return sent


async def calibrate(fake: Fake, photos: list[bytes]) -> dict[int, int]:
    """How many messages the bot answers each step with (an album ack is debounced: count once)."""
    counts: dict[int, int] = {}
    user_id = 900_000_000
    before = 0
    for number, step in enumerate(STEPS):
        if step == PHOTO:
            file_id = (await fake.post("file", photos[0 if number % 2 else 1]))["file_id"]
            await fake.post("build/private_photo", {"user_id": user_id, "file_id": file_id})
        elif step.startswith("/"):
            await fake.post("build/private_command", {"user_id": user_id, "command": step[1:]})
        else:
            await fake.post("build/private_text", {"user_id": user_id, "text": step})
        await fake.get("wait", method="sendMessage", chat_id=str(user_id), count=str(before + 1), timeout="30")
        await asyncio.sleep(0.6)  # quiet: every answer to this step is out
        total = len(await fake.get("calls", method="sendMessage", chat_id=str(user_id)))
        counts[number] = total - before
        before = total
    return counts


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_ready(fake: Fake, method: str, timeout: float = 30) -> None:
    waited = await fake.get("wait", method=method, count="1", timeout=str(timeout))
    if waited is None:
        raise RuntimeError(f"the bot did not start (no {method})")


@dataclass
class Round:
    """One round: the bot's run of reports, then the two echo bots on as many updates."""

    updates: int
    elapsed: float
    bot_cpu: float
    bot_kernel: float
    echo_cpu: float
    echo_kernel: float
    same_cpu: float  # the echo bot on the bot's own transport

    def per_update(self, seconds: float) -> float:
        return seconds / self.updates * 1000


async def bot_round(
    fake: Fake,
    bot: subprocess.Popen[str],
    first_user: int,
    citizens: int,
    photos: list[bytes],
    latencies: list[float],
    replies: dict[int, int],
) -> tuple[int, float, float, float]:
    """(updates, seconds, CPU seconds, kernel seconds) of `citizens` people filing a report each."""
    stat = Path(f"/proc/{bot.pid}/stat")
    user, system = cpu_split_of(stat)
    began = time.monotonic()
    sent = await asyncio.gather(*(citizen(fake, first_user + n, photos, latencies, replies) for n in range(citizens)))
    elapsed = time.monotonic() - began
    user_after, system_after = cpu_split_of(stat)
    return sum(sent), elapsed, user_after + system_after - user - system, system_after - system


async def run(citizens: int, rate_limit: bool, rounds: int) -> str:
    # Two fake servers: the bot keeps polling its own while the echo bots are measured on the other.
    # Telegram's limits in the fake only when the bot paces itself: otherwise the bot alone is measured.
    limits = [] if rate_limit else ["--no-limits"]
    fake_process = start(["-m", "tests.fakes.bot_api", "--port", "0", "--max-poll", "1", *limits])
    echo_process = start(["-m", "tests.fakes.bot_api", "--port", "0", "--max-poll", "1", "--no-limits"])
    assert fake_process.stdout is not None and echo_process.stdout is not None
    url = fake_process.stdout.readline().split()[-1]
    echo_url = echo_process.stdout.readline().split()[-1]
    photos = [photo_bytes(1), photo_bytes(2)]
    results: list[Round] = []
    latencies: list[float] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            fake, echo_fake = Fake(session, url), Fake(session, echo_url)
            with tempfile.TemporaryDirectory() as workdir:
                bot = start([__file__, "--serve-bot", url, workdir, "1" if rate_limit else "0"])
                try:
                    await wait_ready(fake, "getUpdates")
                    replies = await calibrate(fake, photos)
                    for number in range(rounds):
                        updates, elapsed, bot_cpu, bot_kernel = await bot_round(
                            fake, bot, 1000 + number * citizens, citizens, photos, latencies, replies
                        )
                        echo_cpu, echo_kernel = await measure_echo(echo_fake, echo_url, "httpx", citizens, updates)
                        same_cpu, _ = await measure_echo(echo_fake, echo_url, "aiohttp", citizens, updates)
                        results.append(Round(updates, elapsed, bot_cpu, bot_kernel, echo_cpu, echo_kernel, same_cpu))
                    bot_rss = peak_rss_mib(bot.pid)
                    if os.environ.get("LAPOR_BENCH_THREADS"):
                        for task in sorted(Path(f"/proc/{bot.pid}/task").iterdir()):
                            name = (task / "comm").read_text().strip()
                            sys.stderr.write(f"thread {task.name} {name}: {cpu_seconds_of(task / 'stat'):.2f}s\n")
                finally:
                    stop(bot)
    finally:
        stop(fake_process)
        stop(echo_process)
    return summary_line(citizens, rate_limit, results, latencies, bot_rss)


def summary_line(citizens: int, rate_limit: bool, results: list[Round], latencies: list[float], bot_rss: float) -> str:
    """Medians over the rounds; the ratio is taken within each round (bot and floor measured minutes apart
    at most), so a machine that slows down for a while moves both sides of it."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    latencies.sort()
    p50 = median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    elapsed = sum(r.elapsed for r in results)
    updates = sum(r.updates for r in results)
    bot = median([r.per_update(r.bot_cpu) for r in results])
    echo = median([r.per_update(r.echo_cpu) for r in results])
    same = median([r.per_update(r.same_cpu) for r in results])
    ratios = sorted(r.bot_cpu / r.echo_cpu for r in results)
    same_ratios = sorted(r.bot_cpu / r.same_cpu for r in results)
    return (
        f"intake: {citizens} citizens x {len(STEPS)} updates (2 photos each) x {len(results)} rounds, "
        f"rate limiter {'on' if rate_limit else 'off'}: {citizens * len(results) / elapsed:.1f} reports/s, "
        f"{updates / elapsed:.0f} updates/s, reply p50={p50:.0f} ms p99={p99:.0f} ms, "
        f"bot CPU {bot:.2f} ms/update vs echo floor {echo:.2f} ms/update "
        f"(ratio {median(ratios):.2f} [{ratios[0]:.2f}-{ratios[-1]:.2f}], goal <= 2; kernel part "
        f"{median([r.per_update(r.bot_kernel) for r in results]):.2f} vs "
        f"{median([r.per_update(r.echo_kernel) for r in results]):.2f}), echo on the bot's aiohttp transport "
        f"{same:.2f} ms/update (ratio {median(same_ratios):.2f}), bot peak RSS {bot_rss:.0f} MiB"
    )


async def measure_echo(fake: Fake, url: str, transport: str, citizens: int, updates: int) -> tuple[float, float]:
    """CPU seconds (total, kernel) of an echo bot answering as many updates from as many users."""
    await fake.post("reset", {})
    echo = start([__file__, "--serve-echo", url, transport])
    try:
        await wait_ready(fake, "getUpdates")
        user, system = cpu_split_of(Path(f"/proc/{echo.pid}/stat"))
        await asyncio.gather(*(echo_user(fake, 5000 + n, updates // citizens) for n in range(citizens)))
        user_after, system_after = cpu_split_of(Path(f"/proc/{echo.pid}/stat"))
    finally:
        stop(echo)
    return user_after + system_after - user - system, system_after - system


async def echo_user(fake: Fake, user_id: int, count: int) -> None:
    for number in range(count):
        await fake.post("build/private_text", {"user_id": user_id, "text": f"halo {number}"})
        waited = await fake.get("wait", method="sendMessage", chat_id=str(user_id), count=str(number + 1), timeout="30")
        if waited is None:
            raise RuntimeError("the echo bot stopped answering")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--rate-limit", action="store_true", help="Telegram's limits on (~30 messages/s)")
    parser.add_argument("--rounds", type=int, default=5, help="bot and echo runs, alternated (medians reported)")
    parser.add_argument("--serve-bot", nargs=3, metavar=("URL", "DIR", "RATE"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-echo", nargs=2, metavar=("URL", "TRANSPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        url, workdir, rate = args.serve_bot
        serve_bot(url, Path(workdir), rate == "1")
    elif args.serve_echo:
        serve_echo(*args.serve_echo)
    else:
        print(asyncio.run(run(args.citizens, args.rate_limit, args.rounds)))


if __name__ == "__main__":
    main()
