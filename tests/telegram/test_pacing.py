"""The pacer's core on a fake clock: budgets per group, per private chat and overall, priority, 429 holds,
coalesced edits. Every `now` is given, so each test walks time second by second."""

from __future__ import annotations

import asyncio
import contextlib

from telegram.error import RetryAfter

from bot.telegram.pacer import Pacer
from bot.telegram.pacing import EDITS, SENDS, Budget, PaceQueue, Priority, cost
from tests.fakes.bot_api.limits import COUNTED, message_count

GROUP = -1001
OTHER_GROUP = -1002


def drain(queue: PaceQueue, now: float) -> list[int]:
    """Grant what fits at `now`, settle it at once (an answer in no time); the granted tickets' seq numbers."""
    granted, _ = queue.release(now)
    for ticket in granted:
        queue.done(ticket, now)
    return [t.seq for t in granted]


def test_a_group_takes_twenty_a_minute_in_a_sliding_window() -> None:
    queue = PaceQueue()
    for _ in range(25):
        queue.push(GROUP, 1, Priority.CARD)
    assert len(drain(queue, 0.0)) == 20
    granted, next_at = queue.release(30.0)
    assert granted == [] and next_at == 60.0  # the first minute's messages age out at 60 s
    assert len(drain(queue, 60.0)) == 5


def test_an_album_spends_one_message_per_photo() -> None:
    queue = PaceQueue()
    queue.push(GROUP, 10, Priority.CARD)
    queue.push(GROUP, 10, Priority.CARD)
    queue.push(GROUP, 1, Priority.CARD)
    assert len(drain(queue, 0.0)) == 2
    assert drain(queue, 59.9) == []
    assert len(drain(queue, 60.0)) == 1
    assert cost("sendMediaGroup", {"media": [1, 2, 3]}) == 3
    assert cost("editMessageText", {}) == 1 and cost("answerCallbackQuery", {}) == 0


def test_a_message_counts_from_its_answer_while_it_is_in_flight() -> None:
    queue = PaceQueue(Budget(group_per_minute=2))
    for _ in range(4):
        queue.push(GROUP, 1, Priority.CARD)
    granted, _ = queue.release(0.0)
    assert len(granted) == 2
    assert queue.release(100.0)[0] == []  # no answer yet: both still count
    queue.done(granted[0], 100.0)
    queue.done(granted[1], 105.0)  # a slow answer: Telegram may have counted it as late as this
    assert drain(queue, 159.9) == []
    assert len(drain(queue, 160.0)) == 1
    _, next_at = queue.release(160.0)
    assert next_at == 165.0
    assert len(drain(queue, 165.0)) == 1


def test_new_cards_go_before_edits_and_notices_before_reminders() -> None:
    queue = PaceQueue(Budget(group_per_minute=2))
    edit = queue.push(GROUP, 1, Priority.EDIT)[0].seq
    reminder = queue.push(GROUP, 1, Priority.BULK)[0].seq
    card = queue.push(GROUP, 1, Priority.CARD)[0].seq
    answer = queue.push(GROUP, 1, Priority.POST)[0].seq
    assert drain(queue, 0.0) == [card, answer]
    assert drain(queue, 60.0) == [edit, reminder]


def test_one_saturated_group_holds_back_no_other_chat() -> None:
    queue = PaceQueue(Budget(group_per_minute=1))
    queue.push(GROUP, 1, Priority.CARD)
    queue.push(GROUP, 1, Priority.CARD)
    other = queue.push(OTHER_GROUP, 1, Priority.EDIT)[0].seq
    private = queue.push(42, 1, Priority.NOTICE)[0].seq
    granted = drain(queue, 0.0)
    assert other in granted and private in granted and len(granted) == 3


def test_a_private_chat_takes_a_burst_then_one_a_second() -> None:
    queue = PaceQueue(Budget(private_burst=3, private_per_second=1.0))
    for _ in range(6):
        queue.push(42, 1, Priority.REPLY)
    assert len(drain(queue, 0.0)) == 3
    assert drain(queue, 0.5) == []
    assert len(drain(queue, 1.0)) == 1
    assert len(drain(queue, 2.0)) == 1
    _, next_at = queue.release(2.2)
    assert next_at == 3.0


def test_thirty_a_second_overall() -> None:
    queue = PaceQueue()
    for user in range(45):
        queue.push(1000 + user, 1, Priority.REPLY)
    assert len(drain(queue, 0.0)) == 30
    assert drain(queue, 0.99) == []
    assert len(drain(queue, 1.0)) == 15


def test_a_429_holds_that_chat_exactly_as_long_as_told_and_no_other() -> None:
    queue = PaceQueue()
    queue.hold(GROUP, 7.0, 10.0)
    queue.push(GROUP, 1, Priority.CARD)
    other = queue.push(OTHER_GROUP, 1, Priority.CARD)[0].seq
    assert drain(queue, 10.0) == [other]
    granted, next_at = queue.release(16.9)
    assert granted == [] and next_at == 17.0
    assert len(drain(queue, 17.0)) == 1


def test_a_requeued_request_keeps_its_place() -> None:
    queue = PaceQueue(Budget(group_per_minute=5))
    first = queue.push(GROUP, 1, Priority.EDIT)[0]
    granted, _ = queue.release(0.0)
    assert granted == [first]
    queue.done(first, 0.0)
    queue.hold(GROUP, 2.0, 0.0)
    queue.requeue(first)
    later = queue.push(GROUP, 1, Priority.EDIT)[0].seq
    assert drain(queue, 2.0) == [first.seq, later]


def test_a_newer_edit_of_a_card_replaces_the_waiting_one_and_never_overtakes_one_in_flight() -> None:
    queue = PaceQueue(Budget(group_per_minute=1))
    key = ("editMessageText", GROUP, 7)
    queue.push(GROUP, 1, Priority.CARD)
    first = queue.push(GROUP, 1, Priority.EDIT, key)[0]
    second, replaced = queue.push(GROUP, 1, Priority.EDIT, key)
    assert replaced == first and first.superseded
    assert len(queue) == 2
    drain(queue, 0.0)  # the card
    granted, _ = queue.release(60.0)
    assert granted == [second]
    third = queue.push(GROUP, 1, Priority.EDIT, key)[0]
    assert queue.release(200.0)[0] == []  # the second is still on its way
    queue.done(second, 200.0)
    assert queue.release(260.0)[0] == [third]


def test_chats_whose_budget_is_whole_again_are_forgotten() -> None:
    queue = PaceQueue()
    for user in range(1200):
        queue.push(5000 + user, 1, Priority.REPLY)
        drain(queue, float(user))
    assert len(queue._private) < 1000  # pruned, not one bucket per reporter forever


def test_messages_of_the_last_run_still_count_after_a_restart() -> None:
    queue = PaceQueue()
    queue.recall(GROUP, -30.0, 18)  # sent 30 s before this queue existed
    for _ in range(3):
        queue.push(GROUP, 1, Priority.CARD)
    assert len(drain(queue, 0.0)) == 2
    granted, next_at = queue.release(0.0)
    assert granted == [] and next_at == 30.0


async def test_a_429_holds_the_chat_before_anything_waiting_there_is_let_go() -> None:
    """The request that met the 429 frees its place; what waited behind it in that chat must still wait."""
    pacer = Pacer(Budget(group_per_minute=1), retries=0)
    group = -100777
    sent: list[tuple[str, float]] = []
    answered = asyncio.Event()

    async def refused() -> bool:
        await answered.wait()
        raise RetryAfter(3)

    async def accepted(name: str) -> bool:
        sent.append((name, asyncio.get_running_loop().time()))
        return True

    data = {"chat_id": group, "text": "x"}
    first = asyncio.ensure_future(pacer.process_request(refused, (), {}, "sendMessage", data, None))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(pacer.process_request(accepted, ("kartu 2",), {}, "sendMessage", data, None))
    await asyncio.sleep(0.01)
    answered.set()
    with contextlib.suppress(RetryAfter):
        await first
    await asyncio.sleep(0.5)
    assert sent == []  # held for the 3 s Telegram asked, although the refusal gave its message back
    assert pacer.floods == 1
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
    await pacer.shutdown()


def test_the_pacer_counts_exactly_what_the_fake_telegram_counts() -> None:
    assert SENDS | EDITS == COUNTED
    assert not SENDS & EDITS
    for method in sorted(COUNTED):
        assert cost(method, {"chat_id": -1}) == message_count(method, {"chat_id": -1}) == 1, method
    for method, params in [
        ("sendMediaGroup", {"media": [{"type": "photo"}] * 4}),
        ("forwardMessages", {"message_ids": [1, 2, 3]}),
        ("copyMessages", {"message_ids": [1, 2]}),
        ("answerCallbackQuery", {}),
        ("deleteMessage", {}),
        ("sendChatAction", {}),
    ]:
        assert cost(method, params) == message_count(method, params), method
    assert cost("editMessageMedia", {}) == message_count("sendVideo", {}) == 1  # the audit's two, counted by both
