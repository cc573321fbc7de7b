"""The pacer inside the real Application, against the fake Bot API that enforces Telegram's limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import App, Tuning
from bot.telegram.pacer import Pacer, paced
from bot.telegram.pacing import Budget, Priority
from handlers.common import owed
from handlers.triage.machine import Action
from handlers.triage.service import MoveResult
from storage.db import utcnow
from storage.models import Report, ReportState
from tests.fakes.bot_api import FakeBotApi, Limits, RetryAfter
from tests.telegram.harness import GROUP, eventually, is_card, make_settings, running_bot
from tests.triage.helpers import ALICE, add_report

OTHER_GROUP = -1009876543210
# A group budget small enough to saturate in a test: 3 messages in a 6-second "minute", in the pacer and
# in the fake alike (the fake still answers 429 to anything beyond it, and the api fixture fails on one).
SMALL = 3
WINDOW = 6.0


async def forwarded(app: App, report: Report) -> None:
    await app.services.store.outbox.enqueue(owed.forward_report(report.id))
    app.services.outbox.wake()


async def test_a_429_holds_that_chat_exactly_as_told_cards_go_first_and_edits_coalesce(
    api: FakeBotApi, tmp_path: Path
) -> None:
    async with App.running(make_settings(api, tmp_path), Tuning()) as app:
        bot = app.application.bot
        card = await bot.send_message(GROUP, "kartu 0")
        api.fail("sendMessage", 1, RetryAfter(2), chat_id=GROUP)
        mark = len(api.calls)
        flood = len(api.failed_calls)
        first = asyncio.ensure_future(bot.send_message(GROUP, "kartu 1"))  # answered 429, then sent again
        await api.wait_for(lambda c: c.chat_id == GROUP, failed=True, since=flood)
        # The fake records the 429 before its answer reaches the bot: the chat is held once the pacer has it.
        await eventually(lambda: app.pacer is not None and app.pacer.floods == 1)

        async def edit(n: int) -> object:
            with paced(Priority.EDIT):
                return await bot.edit_message_text(f"kartu 0, langkah {n}", chat_id=GROUP, message_id=card.message_id)

        async def new_card(n: int) -> object:
            with paced(Priority.CARD):
                return await bot.send_message(GROUP, f"kartu {n}")

        edits = [asyncio.ensure_future(edit(n)) for n in range(1, 6)]
        await asyncio.sleep(0)
        cards = [asyncio.ensure_future(new_card(n)) for n in (2, 3)]
        elsewhere = await bot.send_message(OTHER_GROUP, "kartu lain")
        results = await asyncio.gather(first, *edits, *cards)
        assert app.pacer is not None and app.pacer.floods == 1

    refused = api.failed_calls[flood]
    later = [c for c in api.calls[mark:] if c.chat_id == GROUP]
    # Nothing went to that group before the 2 s were up; the other group was not held at all.
    assert min(c.time for c in later) - refused.time >= 2.0
    other = next(c for c in api.calls[mark:] if c.chat_id == OTHER_GROUP)
    assert other.time - refused.time < 1.0 and elsewhere.message_id
    # The request that met the 429 goes first (its place kept), then the new cards, then one edit: the last.
    texts = [str(c.params.get("text")) for c in later]
    assert texts == ["kartu 1", "kartu 2", "kartu 3", "kartu 0, langkah 5"]
    assert results[1:5] == [True] * 4  # the superseded edits were never sent
    assert api.message(GROUP, card.message_id)["text"] == "kartu 0, langkah 5"
    assert api.too_many_requests == 0  # the only 429 was the one injected


async def test_a_private_chat_gets_its_burst_then_one_a_second_and_no_429(api: FakeBotApi, tmp_path: Path) -> None:
    async with App.running(make_settings(api, tmp_path), Tuning()) as app:
        bot = app.application.bot
        mark = len(api.calls)
        await asyncio.gather(*(bot.send_message(4242, f"balasan {n}") for n in range(22)))
        assert app.pacer is not None and app.pacer.floods == 0
    times = [c.time for c in api.calls[mark:] if c.chat_id == 4242]
    assert len(times) == 22
    assert times[18] - times[0] < 1.0  # the burst
    assert times[21] - times[18] >= 2.5  # then about one a second
    assert api.too_many_requests == 0


async def test_moves_on_a_card_while_its_group_is_saturated_cost_one_edit_with_the_final_state(
    api: FakeBotApi, tmp_path: Path
) -> None:
    api.flood.limits = Limits(group_per_minute=SMALL, group_window=WINDOW)
    budget = Budget(group_per_minute=SMALL, group_window=WINDOW)
    async with running_bot(make_settings(api, tmp_path), budget=budget) as app:
        store, triage, bot = app.services.store, app.services.triage, app.application.bot
        assert app.pacer is not None
        first = await add_report(store, address="5101", now=utcnow())
        second = await add_report(store, address="5102", now=utcnow())
        await forwarded(app, first)
        await api.wait_for(lambda c: is_card(c, GROUP, first.code), timeout=10)
        with paced(Priority.BULK):  # two more messages: the group's budget is spent for the window
            for n in range(SMALL - 1):
                await bot.send_message(GROUP, f"pengumuman {n}")
        mark = len(api.calls)
        saturated = asyncio.get_running_loop().time()

        # Three moves on the first card while the group waits; the second report's card is owed meanwhile.
        claimed = await triage.move(first.id, Action.CLAIM, ReportState.BARU, ALICE)
        await eventually(lambda: app.pacer is not None and app.pacer.waiting().get(GROUP, 0) >= 1)
        await forwarded(app, second)
        verified = await triage.move(first.id, Action.VERIFY, ReportState.DIPROSES, ALICE)
        closed = await triage.move(first.id, Action.CLOSE, ReportState.TERVERIFIKASI, ALICE)
        assert [claimed.result, verified.result, closed.result] == [MoveResult.DONE] * 3
        assert asyncio.get_running_loop().time() - saturated < WINDOW  # all while the group was saturated

        await api.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == GROUP, WINDOW + 10, since=mark)
        await eventually(lambda: not app.services.outbox.in_flight(), timeout=WINDOW + 10)
        await asyncio.sleep(0.5)
        final = await store.reports.get(first.id)
        assert final is not None and final.state is ReportState.SELESAI
        expected = (await triage.card(final)).text
        pending = await store.db.fetchall("SELECT kind FROM outbox WHERE state = 'pending'")

    later = [c for c in api.calls[mark:] if c.chat_id == GROUP]
    edits = [c for c in later if c.method.startswith("edit")]
    # Exactly one edit for the three moves, showing the final state, and the new card went before it.
    assert len(edits) == 1 and edits[0].params["message_id"] == final.card_message_id, edits
    assert edits[0].params["text"] == expected
    assert [c.method for c in later] == ["sendMessage", "editMessageText"]
    assert is_card(later[0], GROUP, second.code)
    assert not [row for row in pending if row["kind"] == owed.EDIT_CARD]
    assert app.pacer.floods == 0  # and the api fixture fails on any 429 the fake answered


async def test_a_turn_is_spent_by_the_request_inside_it_and_given_back_when_unused() -> None:
    pacer = Pacer(Budget(group_per_minute=1))
    calls: list[str] = []

    async def send() -> bool:
        calls.append("sent")
        return True

    async with pacer.turn(GROUP):
        pass  # unused: given back, so the next turn need not wait a minute
    async with asyncio.timeout(1.0), pacer.turn(GROUP):
        assert pacer.waiting() == {}
        # The request inside spends the turn: it does not queue behind it (which would wait a minute).
        result = await pacer.process_request(send, (), {}, "editMessageText", {"chat_id": GROUP, "message_id": 1}, None)
    assert result is True and calls == ["sent"]
    with pytest.raises(TimeoutError):  # and now the group's one message a minute is spent
        async with asyncio.timeout(0.2), pacer.turn(GROUP):
            pass
    await pacer.shutdown()
