"""The durable inbox's rules, and what a replay after a restart looks like from Telegram's side."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from storage.db import utcnow
from storage.inbox import MAX_ATTEMPTS
from storage.store import Store
from tests.fakes.bot_api import ApiError, FakeBotApi
from tests.telegram.harness import Citizen, make_settings, running_bot, text_of

TOO_OLD = ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")


async def test_replays_skip_handled_updates_and_give_up_on_a_poison_one(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    inbox = store.inbox
    try:
        await inbox.receive("telegram", [("1", '{"update_id":1}'), ("2", '{"update_id":2}')])
        await store.drafts.mark_processed("telegram", "2")  # handled, its release not yet written
        # Replayed but killed again before its turn came: innocent, never given up for that.
        for _ in range(5):
            assert (await inbox.unhandled("telegram")).payloads == ['{"update_id":1}']
        # Replayed and started again and again, the process dying each time: given up, and said so.
        for _ in range(MAX_ATTEMPTS):
            await inbox.started("telegram", "1")
        unhandled = await inbox.unhandled("telegram")
        assert unhandled.payloads == [] and unhandled.given_up == 1

        await inbox.receive("telegram", [("3", "{}"), ("5", "{}"), ("6", "{}")])
        await inbox.receive("telegram", [("3", '{"again":1}')])  # a redelivery keeps the stored copy
        await inbox.forget("telegram", ["3", "5", "6", "99"])
        assert await inbox.pending_count("telegram") == 0
        # getUpdates batches are at most 100; a release may span many (here 600, over two statements).
        ids = [str(n) for n in range(1000, 1600)]
        for start in range(0, len(ids), 100):
            await inbox.receive("telegram", [(i, "{}") for i in ids[start : start + 100]])
        assert await inbox.pending_count("telegram") == 600
        await inbox.forget("telegram", ids)
        assert await inbox.pending_count("telegram") == 0
        await inbox.receive("telegram", [("4", "{}")])
        assert await inbox.prune(utcnow() - timedelta(days=2)) == 0
        assert await inbox.prune(utcnow() + timedelta(seconds=1)) == 1
    finally:
        await store.close()


async def test_a_stored_update_is_replayed_once_though_telegram_redelivers_it(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    citizen = Citizen(api, 6101)
    # As if the bot had stored this update and died before handling it: it is in the inbox, and Telegram,
    # never told, delivers it again too.
    update = api.private_command(6101, "start")
    update["update_id"] = 41
    store = await Store.open(settings.database_path, settings.evidence_dir)
    await store.inbox.receive("telegram", [("41", json.dumps(update))])
    await store.close()
    api.push_update(update)
    async with running_bot(settings):
        await citizen.settle(0, quiet=1.0)
    welcomes = [c for c in citizen.replies_since(0) if "Selamat datang" in text_of(c)]
    assert len(welcomes) == 1


async def test_a_button_pressed_before_a_restart_still_counts(api: FakeBotApi, tmp_path: Path) -> None:
    """Telegram refuses to answer a callback older than ~15 s; the press is handled all the same."""
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 6102)
        await citizen.say("/start")
        api.fail("answerCallbackQuery", 1, TOO_OLD)
        replies = await citizen.press("go:start")
        assert "1/8" in text_of(replies[-1])
    assert [c.error for c in api.failed_calls if c.method == "answerCallbackQuery"] == ["ApiError"]
