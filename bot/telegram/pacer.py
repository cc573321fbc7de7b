"""The pacer: python-telegram-bot's rate limiter (`telegram.ext.BaseRateLimiter`) on our own budgets.

Every send and edit waits in one queue (bot/telegram/pacing.py) until its chat's budget allows it: 20 a
minute per group, ~1 a second per private chat, ~30 a second overall, best priority first. The priority
comes from the caller's context (`paced(Priority.CARD)`, set by the composition root around each outbox
deliverer); a request without one is a reply to a user, or an edit if it edits. Edits of one message made
side by side are coalesced: an edit still waiting when a newer edit of the same message comes is answered
`True` (what Telegram answers an edit it need not report) without being sent, and the newer one goes in its
place.

The outbox edits a card one move at a time (one delivery per report's lane), so its edits never wait side by
side: a card edit instead waits for its `turn` first, and only then reads the report and builds its text
(bot/telegram/triage/delivery.py CardEditor). A turn is one message of the chat's budget granted ahead: the
request made inside it spends it instead of queueing again, and a turn left unused (a newer edit was owed
meanwhile) is given back unspent.

In normal operation Telegram never answers 429. If it does, that chat alone is held for exactly the
`retry_after` it gave, and the request goes again once (in its place in the queue); a second 429 is raised
to the caller (the outbox reschedules it).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any, TypeVar

from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.pacing import EDITS, Budget, ChatId, PaceQueue, Priority, Ticket, cost

log = logging.getLogger(__name__)

_priority: contextvars.ContextVar[Priority | None] = contextvars.ContextVar("pacer_priority", default=None)
# The turn granted to the task that holds it (Pacer.turn): its next request to that chat spends it.
_turn: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("pacer_turn", default=None)
Result = bool | dict[str, Any] | list[dict[str, Any]]
T = TypeVar("T")
# Telegram's refusals: it answered, and sent nothing. A network error or a 5xx keeps its spend: the
# message may have gone out.
REFUSED = (BadRequest, Forbidden, InvalidToken, ChatMigrated)


@contextlib.contextmanager
def paced(priority: Priority) -> Iterator[None]:
    """Requests made inside (in this task and what it awaits) wait with this priority."""
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


def paced_deliverer(priority: Priority, deliverer: Callable[[T], Awaitable[None]]) -> Callable[[T], Awaitable[None]]:
    """An outbox deliverer whose requests wait with `priority` (the composition root gives each kind one)."""

    async def deliver(item: T) -> None:
        with paced(priority):
            await deliverer(item)

    return deliver


class Pacer(BaseRateLimiter[int]):
    """Holds each request until its chat's budget allows it; counts the 429s Telegram still sends."""

    def __init__(
        self,
        budget: Budget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        retries: int = 1,
    ) -> None:
        self._queue = PaceQueue(budget)
        self._clock = clock
        self._retries = retries
        self._futures: dict[Ticket, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self.floods = 0  # 429s received
        self.floods_by_chat: dict[ChatId | None, int] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def waiting(self) -> dict[ChatId | None, int]:
        """Requests held back now, by chat (for /metrics)."""
        return self._queue.waiting()

    def recall(self, chat: ChatId, seconds_ago: float, count: int) -> None:
        """Count messages sent `seconds_ago` by the bot's previous run: Telegram still counts them."""
        self._queue.recall(chat, self._clock() - seconds_ago, count)

    @contextlib.asynccontextmanager
    async def turn(self, chat: ChatId) -> AsyncIterator[None]:
        """Wait until `chat`'s budget allows one more message (at the caller's priority, EDIT if none), then
        hold it: a request to `chat` made inside spends it without waiting again, and if none is made it
        is given back unspent when the block ends. For work that must decide at the last moment whether,
        and what, to send."""
        priority = _priority.get()
        ticket = self._queue.push(chat, 1, Priority.EDIT if priority is None else priority)[0]
        await self._wait_turn(ticket)
        token = _turn.set(ticket)
        try:
            yield
        finally:
            _turn.reset(token)
            if ticket.granted:
                self._settle(ticket, sent=False)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        count = cost(endpoint, data)
        if count == 0:
            return await callback(*args, **kwargs)
        chat: ChatId | None = data.get("chat_id")
        priority = self._priority(endpoint, rate_limit_args)
        key = None
        if endpoint in EDITS and priority == Priority.EDIT and data.get("message_id") is not None:
            key = (endpoint, chat, data.get("message_id"))
        held = _turn.get()
        if held is not None and held.granted and held.chat == chat and held.count == count:
            ticket, replaced = held, []  # its turn came already (Pacer.turn): no second wait
        else:
            ticket, *replaced = self._queue.push(chat, count, priority, key)
        for old in replaced:
            self._grant(old)  # wakes the older edit, which sees it was superseded
        for attempt in range(self._retries + 1):
            await self._wait_turn(ticket)
            if ticket.superseded:
                return True
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # Hold the chat first: settling releases what waits, and nothing of that chat may go now.
                self._flooded(chat, exc)
                self._settle(ticket, sent=False)
                if attempt == self._retries:
                    raise
                self._queue.requeue(ticket)
            except REFUSED:
                self._settle(ticket, sent=False)
                raise
            finally:
                if ticket.granted:
                    self._settle(ticket)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- internals

    @staticmethod
    def _priority(endpoint: str, given: int | None) -> int:
        if given is not None:
            return given
        chosen = _priority.get()
        if chosen is not None:
            return chosen
        return Priority.EDIT if endpoint in EDITS else Priority.REPLY

    async def _wait_turn(self, ticket: Ticket) -> None:
        self._release()
        if ticket.granted or ticket.superseded:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures[ticket] = future
        try:
            await future
        except asyncio.CancelledError:
            self._futures.pop(ticket, None)
            self._queue.drop(ticket, self._clock())
            self._release()
            raise

    def _settle(self, ticket: Ticket, *, sent: bool = True) -> None:
        """Its answer came back: its messages count from now (or not at all: refused), and whatever it held
        back may go."""
        self._queue.done(ticket, self._clock(), sent=sent)
        ticket.granted = False
        self._release()

    def _grant(self, ticket: Ticket) -> None:
        future = self._futures.pop(ticket, None)
        if future is not None and not future.done():
            future.set_result(None)

    def _release(self) -> None:
        granted, next_at = self._queue.release(self._clock())
        for ticket in granted:
            self._grant(ticket)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if next_at is not None:
            delay = max(0.0, next_at - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._release)

    def _flooded(self, chat: ChatId | None, exc: RetryAfter) -> None:
        value = exc.retry_after
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
        self.floods += 1
        self.floods_by_chat[chat] = self.floods_by_chat.get(chat, 0) + 1
        self._queue.hold(chat, seconds, self._clock())
        # No chat id in the log: a private chat's id is a reporter's identity.
        kind = "a group" if isinstance(chat, int) and chat < 0 else "a private chat"
        log.warning("Telegram answered 429 for %s: holding that chat %.0f s", kind, seconds)
