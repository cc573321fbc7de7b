"""Delivers the outbox: every owed message, retried with backoff until it has gone out.

Channel-agnostic: a deliverer per outbox kind does the sending and says how a failure should be
treated by raising `RetryLater` (e.g. Telegram's 429 retry_after) or `GiveUp` (e.g. a reporter who
blocked the bot); anything else is retried with exponential backoff, so a report is never dropped.
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
    ) -> None:
        self._outbox = outbox
        self._deliverers = dict(deliverers)
        self._base = base_delay
        self._max = max_delay
        self._idle_poll = idle_poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                delivered = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=await self._until_next_due())

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
        """One pass over what is due; returns how many items were attempted."""
        items = await self._outbox.due(utcnow())
        for item in items:
            await self._deliver(item)
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
