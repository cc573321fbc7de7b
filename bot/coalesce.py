"""Merging bursts of replies: an album of photos gets one acknowledgement that counts them all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Coalescer:
    """Runs only the last action submitted under a key, `delay` seconds after the burst goes quiet."""

    def __init__(self, delay: float) -> None:
        self._delay = delay
        self._pending: dict[str, tuple[asyncio.Task[None], Callable[[], Awaitable[None]]]] = {}

    def submit(self, key: str, action: Callable[[], Awaitable[None]]) -> None:
        previous = self._pending.pop(key, None)
        if previous is not None:
            previous[0].cancel()
        task = asyncio.create_task(self._later(key, action))
        self._pending[key] = (task, action)

    async def _later(self, key: str, action: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(self._delay)
        self._pending.pop(key, None)
        try:
            await action()
        except Exception:
            log.exception("coalesced reply failed")

    async def flush(self) -> None:
        """Send everything pending now (at shutdown)."""
        pending = list(self._pending.values())
        self._pending.clear()
        for task, action in pending:
            task.cancel()
            try:
                await action()
            except Exception:
                log.exception("coalesced reply failed at flush")
