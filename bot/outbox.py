"""Delivers the outbox: every owed message, retried with backoff until it has gone out.

Channel-agnostic: a deliverer per outbox kind does the sending and says how a failure should be
treated by raising `RetryLater` (e.g. Telegram's 429 retry_after) or `GiveUp` (e.g. a reporter who
blocked the bot); anything else is retried with exponential backoff, so a report is never dropped.

Items are delivered side by side, one *lane* at a time each (handlers/common/owed.py `lane`: a report's
album, card and edits in order; a reporter's notices in order): a group whose budget is spent makes its
own cards wait in the pacer (bot/telegram/pacer.py), not another group's, nor a reporter's notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from handlers.common.errors import LaporNetralError
from storage.db import from_iso, utcnow
from storage.models import OutboxItem
from storage.outbox import Outbox

log = logging.getLogger(__name__)

Deliverer = Callable[[OutboxItem], Awaitable[None]]
Lane = Callable[[OutboxItem], str]
# Deliveries at once, per kind: enough for every group's next cards and the notices beside them (each one
# waiting in the pacer costs a task), and per kind so that a saturated group's cards can never hold back
# the reporters' notices. 128 cards waiting is already more than an hour of one group's budget.
MAX_IN_FLIGHT = 128


def one_lane(item: OutboxItem) -> str:
    return "outbox"


class DeliveryError(LaporNetralError):
    """Root of the delivery outcomes a deliverer may raise.

    DeliveryError
    ├── RetryLater  — try again after `delay` seconds (rate limits, a server asking us to wait)
    └── GiveUp      — the message can never be delivered; keep it as 'dead' for the record
    """


class RetryLater(DeliveryError):
    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class GiveUp(DeliveryError):
    pass


class OutboxWorker:
    def __init__(
        self,
        outbox: Outbox,
        deliverers: Mapping[str, Deliverer],
        *,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        idle_poll: float = 5.0,
        lane: Lane = one_lane,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._outbox = outbox
        self._deliverers = dict(deliverers)
        self._base = base_delay
        self._max = max_delay
        self._idle_poll = idle_poll
        self._lane = lane
        self._max_in_flight = max_in_flight
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy: dict[str, asyncio.Task[None]] = {}  # lane -> its delivery under way
        self._in_flight: dict[int, str] = {}  # item id -> kind

    def register(self, kind: str, deliverer: Deliverer) -> None:
        self._deliverers[kind] = deliverer

    def kinds(self) -> frozenset[str]:
        """The outbox kinds a deliverer is registered for."""
        return frozenset(self._deliverers)

    def wake(self) -> None:
        """Something was enqueued: deliver now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._busy.values()) if t is not None]
        for task in tasks:
            task.cancel()
        # gather, not `suppress(CancelledError)` around each await: that would swallow a cancellation of
        # stop() itself too.
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._busy.clear()
        self._in_flight.clear()

    def in_flight(self) -> int:
        """Deliveries under way now (some of them waiting in the pacer for their chat's budget)."""
        return len(self._in_flight)

    async def _run(self) -> None:
        while True:
            try:
                started, blocked = await self._start_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
                started, blocked = 0, False
            if started:
                continue
            self._wake.clear()
            # What is due but waits for its lane is woken by that lane's delivery ending, not by polling.
            timeout = self._idle_poll if blocked else await self._until_next_due()
            # asyncio.timeout, not wait_for: Python 3.11's wait_for returns a wake-up that lands in the
            # tick the task is cancelled and drops the cancellation, and stop() then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _start_due(self) -> tuple[int, bool]:
        """Start what is due whose lane is free; how many started, and whether some had to wait."""
        kinds: dict[str, int] = {}
        for kind in self._in_flight.values():
            kinds[kind] = kinds.get(kind, 0) + 1
        items = await self._outbox.due(utcnow(), limit=self._max_in_flight + 50, exclude=self._in_flight)
        started = 0
        blocked = False
        for item in items:
            lane = self._lane(item)
            if lane in self._busy or kinds.get(item.kind, 0) >= self._max_in_flight:
                blocked = True
                continue
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
            self._in_flight[item.id] = item.kind
            self._busy[lane] = asyncio.create_task(self._deliver_in(lane, item), name=f"outbox-{item.kind}")
            started += 1
        return started, blocked

    async def _deliver_in(self, lane: str, item: OutboxItem) -> None:
        try:
            await self._deliver(item)
        except Exception:
            log.exception("outbox %s #%d: delivery failed outside its deliverer", item.kind, item.id)
        finally:
            self._busy.pop(lane, None)
            self._in_flight.pop(item.id, None)
            self._wake.set()

    async def _until_next_due(self) -> float:
        """Sleep until the earliest retry is due (a 429's retry_after is kept to the tenth), at most idle_poll."""
        try:
            due = await self._outbox.next_due_at()
        except Exception:
            return self._idle_poll
        if due is None:
            return self._idle_poll
        wait = (from_iso(due) - utcnow()).total_seconds()
        return min(self._idle_poll, max(0.05, wait))

    async def deliver_due(self) -> int:
        """One pass over what is due, lanes side by side and each in order; returns how many were attempted."""
        items = await self._outbox.due(utcnow())
        lanes: dict[str, list[OutboxItem]] = {}
        for item in items:
            lanes.setdefault(self._lane(item), []).append(item)

        async def in_order(queue: list[OutboxItem]) -> None:
            for item in queue:
                await self._deliver(item)

        await asyncio.gather(*(in_order(queue) for queue in lanes.values()))
        return len(items)

    async def _deliver(self, item: OutboxItem) -> None:
        deliverer = self._deliverers.get(item.kind)
        if deliverer is None:
            await self._outbox.retry_later(item.id, timedelta(seconds=self._max), f"no deliverer for {item.kind}")
            return
        try:
            await deliverer(item)
        except RetryLater as wait:
            log.warning("outbox %s #%d: %s; retry in %.1fs", item.kind, item.id, wait, wait.delay)
            await self._outbox.retry_later(item.id, timedelta(seconds=wait.delay), str(wait))
        except GiveUp as final:
            log.warning("outbox %s #%d given up: %s", item.kind, item.id, final)
            await self._outbox.give_up(item.id, str(final))
        except Exception as exc:
            delay = min(self._max, self._base * 2 ** min(item.attempts, 16)) * random.uniform(0.8, 1.2)
            log.warning(
                "outbox %s #%d failed (%s); retry in %.1fs",
                item.kind,
                item.id,
                type(exc).__name__,
                delay,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            await self._outbox.retry_later(item.id, timedelta(seconds=delay), type(exc).__name__)
        else:
            await self._outbox.mark_sent(item.id)
