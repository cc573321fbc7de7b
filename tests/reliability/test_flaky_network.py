"""A flaky Bot API: 429s, 500s, held and dropped connections on every send and download.

Citizens still get their tickets, every report reaches the group exactly once, and the bot waits as
long as Telegram's retry_after says before writing to that chat again.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tests.fakes.bot_api import DOWNLOAD, Call, Drop, FakeBotApi, RetryAfter, ServerError, Timeout
from tests.images import make_jpeg
from tests.reliability.citizen import BrainCitizen
from tests.telegram.harness import GROUP, group_posts, make_settings, running_bot, shows_its_photo

FAULTS = [RetryAfter(1), ServerError(), ServerError(502, "Bad Gateway"), Timeout(0.3), Drop()]
FLAKY = ("sendMessage", "sendPhoto", "sendMediaGroup", "getFile", DOWNLOAD, "editMessageReplyMarkup")
RATE = 0.2


def group_sends(api: FakeBotApi, code: str) -> tuple[list[Call], list[Call]]:
    """The photo posts and cards that reached the group for one report."""
    return group_posts(api, GROUP, code)


async def wait_forwarded(api: FakeBotApi, codes: list[str], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(group_sends(api, code)[1] for code in codes):
        assert loop.time() < deadline, "not every report reached the group"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(200)
async def test_reports_survive_a_flaky_network(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    for number, method in enumerate(FLAKY):
        api.fail_rate(method, RATE, FAULTS, seed=number)
    # Held past PTB's 5 s read timeout: a real TimedOut, once for the group and once for a citizen.
    api.fail("sendPhoto", 1, Timeout(6), chat_id=GROUP)  # the photo card
    api.fail("sendMessage", 1, Timeout(6), chat_id=7101)
    citizens = [
        BrainCitizen(
            api,
            7100 + i,
            [make_jpeg(480, 360, seed=100 * i + k) for k in range(3 if i % 2 else 2)],
            album=i % 2 == 1,
            patience=8.0,
        )
        for i in range(4)
    ]
    async with running_bot(settings):
        deadline = asyncio.get_running_loop().time() + 70
        await asyncio.gather(*(c.run(deadline) for c in citizens))
        codes = [c.code for c in citizens if c.code]
        # A request lost to the network may have reached the group, so the pacer counts it against the
        # group's 20 a minute: with one in five sends failing, a report may wait for the next minute.
        await wait_forwarded(api, codes, timeout=75)
        await asyncio.sleep(1.0)  # a duplicate would come now

    assert len(codes) == len(citizens)
    faults = {type(c.fault).__name__ for c in api.failed_calls if c.fault is not None}
    assert faults >= {"RetryAfter", "ServerError", "Timeout", "Drop"}, faults
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == len(citizens)
        for citizen in citizens:
            assert citizen.code is not None and not citizen.draft_lost
            stored = [
                row[0]
                for row in db.execute(
                    "SELECT e.sha256 FROM evidence e JOIN reports r ON r.id = e.report_id WHERE r.code = ?"
                    " AND e.kind = 'photo' ORDER BY e.position",
                    (citizen.code,),
                )
            ]
            # Every photo, none twice; one sent again after a failed download comes last.
            assert sorted(stored) == sorted(citizen.sent_photos)
        unsent = db.execute("SELECT kind, state, attempts, last_error FROM outbox WHERE state != 'sent'").fetchall()
        assert unsent == []
    for citizen in citizens:
        assert citizen.code is not None
        albums, cards = group_sends(api, citizen.code)
        assert len(albums) <= 1 and len(cards) == 1, (citizen.code, albums, cards)
        assert shows_its_photo(albums, cards, len(citizen.photos)), (citizen.code, albums, cards)
    assert_retry_after_respected(api)


def assert_retry_after_respected(api: FakeBotApi) -> None:
    """After a 429 for a chat, nothing more is sent to that chat before retry_after has passed."""
    sends = ("sendMessage", "sendPhoto", "sendMediaGroup")
    floods = [c for c in api.failed_calls if isinstance(c.fault, RetryAfter) and c.method in sends]
    assert floods, "the fault mix produced no 429 on a send"
    for flood in floods:
        assert isinstance(flood.fault, RetryAfter)
        too_early = [
            c
            for c in [*api.calls, *api.failed_calls]
            if c.chat_id == flood.chat_id
            and c.method in sends
            and flood.time < c.time < flood.time + flood.fault.seconds - 0.05
        ]
        assert not too_early, (flood.method, flood.chat_id, [(c.method, c.time - flood.time) for c in too_early])


async def test_the_production_pacer_paces_the_group_and_the_whole_bot(
    api: FakeBotApi,
    tmp_path: Path,
) -> None:
    """The production pacer (bot/telegram/pacer.py): ~30 messages/s overall, 20 a minute into one group,
    against a fake that answers 429 beyond either: none comes, and the 21st card waits its minute."""
    from bot.app import App, Tuning

    async with App.running(make_settings(api, tmp_path), Tuning(rate_limit=True)) as app:
        assert app.pacer is not None
        bot = app.application.bot
        mark = len(api.calls)
        cards = [asyncio.ensure_future(bot.send_message(GROUP, f"kartu {n}")) for n in range(21)]
        await asyncio.gather(*(bot.send_message(7200 + n, "halo") for n in range(40)))
        done, waiting = await asyncio.wait(cards, timeout=3.0)
        assert len(done) == 20 and len(waiting) == 1
        assert app.pacer.waiting() == {GROUP: 1}  # held by the pacer, not sent into a 429
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        assert app.pacer.waiting() == {}
    group = sorted(c.time for c in api.calls[mark:] if c.chat_id == GROUP)
    private = sorted(c.time for c in api.calls[mark:] if c.method == "sendMessage" and c.chat_id != GROUP)
    assert len(group) == 20 and len(private) == 40
    # 60 messages at ~30/s overall take more than a second.
    assert max(group[-1], private[-1]) - min(group[0], private[0]) >= 1.0
    assert api.too_many_requests == 0
