"""What the fake records: every call the bot made, the updates waiting for it, and the wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any

from tests.fakes.bot_api.faults import JSON, ChatId, Fault, fault_to_json

# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One Bot API request as the server saw it.

    ``params`` are JSON-decoded (reply_markup, media, commands, ints, bools) except free-text
    fields such as ``text``/``caption`` which stay strings. ``time`` is ``time.monotonic()``
    (system-wide on Linux, so comparable with a bot subprocess). ``fault``/``error`` are set
    only on entries of ``FakeBotApi.failed_calls``.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    chat_id: ChatId | None
    time: float
    fault: Fault | None = None
    error: str | None = None

    def to_json(self) -> JSON:
        return {
            "method": self.method,
            "params": self.params,
            "files": {
                name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                for name, data in self.files.items()
            },
            "chat_id": self.chat_id,
            "time": self.time,
            "fault": fault_to_json(self.fault) if self.fault else None,
            "error": self.error,
        }


@dataclass
class _Pending:
    update: JSON
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class _Notifier:
    """Wake every waiter on change; waiters re-check their own condition (no lost wake-ups
    because state is only mutated from the event loop thread)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify_all(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, timeout: float) -> None:
        if timeout <= 0:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):  # asyncio.timeout: see transport.py's _sleep
                async with asyncio.timeout(timeout):
                    await waiter
        finally:
            self._waiters.discard(waiter)
