"""The crash window of a group send: from Telegram taking the message to the bot's record that it went.

The Bot API has no idempotency key: a bot that dies after Telegram accepted a message but before it
recorded the fact sends that message again on restart. This measures that window for the report's
forwarding (the photo card; or the photo, then a card too long for its caption), in the real bot
(bot.app.App) against the fake Bot API in this process, with a real SQLite file (WAL, synchronous=FULL:
one fsync a commit): for each group send, from the moment the fake received the request (so the
figure also holds the fake's own work and the answer's way back: an upper bound) to the moment the
bot's next durable record (the forwarding's progress, or the card's message id) was committed.

    .venv/bin/python bench/bench_window.py [--reports 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, is_card, make_settings, running_bot
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report

LONG_STORY = " ".join(["Kepala dinas mengarahkan pegawai memilih calon nomor dua saat apel pagi."] * 20)
SENDS = ("sendPhoto", "sendMessage", "sendMediaGroup")


async def measure(reports: int) -> tuple[list[float], int]:
    marks: list[float] = []
    with tempfile.TemporaryDirectory() as workdir:
        async with FakeBotApi() as api, running_bot(make_settings(api, Path(workdir))) as app:
            store = app.services.store
            save_progress, set_card = store.outbox.save_progress, store.reports.set_card

            async def progress_recorded(*args: Any, **kwargs: Any) -> None:
                await save_progress(*args, **kwargs)
                marks.append(time.monotonic())

            async def card_recorded(*args: Any, **kwargs: Any) -> None:
                await set_card(*args, **kwargs)
                marks.append(time.monotonic())

            store.outbox.save_progress = progress_recorded  # type: ignore[method-assign]
            store.reports.set_card = card_recorded  # type: ignore[method-assign]
            for n in range(reports):
                citizen = Citizen(api, 6000 + n)
                # Half the reports have a card too long for its photo's caption: two sends, two windows.
                await fill_until_evidence(citizen, LONG_STORY if n % 2 else "Ia membagikan poster calon. " * 3)
                await citizen.send_photos([make_jpeg(800, 600, seed=n)])
                code = await finish_report(citizen)
                # The group takes 20 messages a minute: a card may wait for its turn in the pacer.
                await api.wait_for(lambda c, code=code: is_card(c, GROUP, code), timeout=120)
                await asyncio.sleep(0.3)
            sends = [c for c in api.calls if c.chat_id == GROUP and c.method in SENDS and c.error is None]
    windows = []
    for call in sends:
        after = [m for m in marks if m >= call.time]
        if after:
            windows.append(min(after) - call.time)
    return windows, len(sends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=20)
    args = parser.parse_args()
    windows, sends = asyncio.run(measure(args.reports))
    ordered = sorted(windows)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"crash window: {args.reports} reports, {sends} group sends, {len(windows)} measured: "
        f"p50={statistics.median(windows) * 1000:.1f} ms p99={p99 * 1000:.1f} ms max={ordered[-1] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
