"""Telegram updates through the durable inbox: stored before Telegram forgets them, replayed after a crash.

python-telegram-bot's Updater confirms a batch (the `offset` of its next getUpdates) right after queueing
it, while the handlers may still be downloading a photo: a SIGKILL then would lose the update for good.
`InboxRequest` is the getUpdates transport (PTB's `BaseRequest` seam) and writes every batch to
storage/inbox.py before PTB even parses it, so confirmation always comes after a durable write. At start,
`replay` queues what was stored but never handled. `InboxUpdateProcessor` (PTB's concurrency seam) sees
each update finish, after every handler group, and the handled ids leave the inbox in batches.

Duplicates stay harmless: an update Telegram redelivers while the inbox replays it is handled once per
process (the processor remembers ids), and once across processes through `processed_updates`
(handlers/report/intake.py). The webhook mode answers Telegram as soon as PTB queued an update, so it keeps
PTB's window; long polling, the default, does not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from http import HTTPStatus
from typing import Any, Final

from telegram import Update
from telegram._utils.types import JSONDict, ODVInput  # PTB's own names for post()'s signature
from telegram.ext import Application, SimpleUpdateProcessor
from telegram.request import BaseRequest, RequestData

from bot.telegram.transport import AiohttpRequest
from handlers.report.intake import KeyedLocks
from storage.inbox import Inbox
from storage.models import Channel

log = logging.getLogger(__name__)

MAX_REMEMBERED: Final = 50_000  # update ids handled in this process; redeliveries come within minutes
FLUSH_DELAY: Final = 0.5


class InboxRequest(AiohttpRequest):
    """PTB's getUpdates transport, which hands each non-empty batch to the inbox before returning it.

    The payload is parsed twice (here and by PTB): a few microseconds per batch, for keeping the exact
    JSON Telegram sent, which `Update.de_json` turns back into the same update at replay.
    """

    def __init__(self, inbox: TelegramInbox) -> None:
        super().__init__(connection_pool_size=1)  # what PTB builds for getUpdates by default
        self._inbox = inbox

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == HTTPStatus.OK and url.endswith("/getUpdates"):
            body = json.loads(payload)
            updates = body.get("result") if isinstance(body, dict) else None
            if isinstance(updates, list) and updates:
                # Should this raise, PTB logs it and asks again with the same offset: nothing is confirmed.
                await self._inbox.received(updates)
        return code, payload


class InboxUpdateProcessor(SimpleUpdateProcessor):
    """Runs each update at most once per process, one sender's in order, and tells the inbox when done.

    Updates of one (chat, user) wait for each other here, as they would at the report service's lock
    anyway: so an update counts as started (for the poison rule) only once it is really being handled,
    not while it queues behind the sender's previous one.
    """

    def __init__(self, inbox: TelegramInbox, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._inbox = inbox
        self._senders = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update) and not self._inbox.first_time(update.update_id):
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to undo
            return
        if not isinstance(update, Update):
            await coroutine
            return
        chat, user = update.effective_chat, update.effective_user
        key = f"{chat.id if chat else '-'}:{user.id if user else '-'}"
        async with self._senders.hold(key):
            await self._inbox.starting(update.update_id)
            # Cancelled (a stop mid-update) leaves it stored for the next start. An error inside a handler
            # never gets here: PTB hands it to the error handler, and replaying it would not do better.
            await coroutine
        self._inbox.handled(update.update_id)


class TelegramInbox:
    """Wires storage's inbox into a PTB `Application`: the transport, the processor, replay and release."""

    def __init__(self, inbox: Inbox, *, channel: str = Channel.TELEGRAM, flush_delay: float = FLUSH_DELAY) -> None:
        self._inbox = inbox
        self._channel = channel
        self._flush_delay = flush_delay
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._replayed: set[int] = set()
        self._handled: list[str] = []
        self._flush_task: asyncio.Task[None] | None = None

    def request(self) -> InboxRequest:
        return InboxRequest(self)

    def processor(self, max_concurrent_updates: int) -> InboxUpdateProcessor:
        return InboxUpdateProcessor(self, max_concurrent_updates)

    async def received(self, updates: Sequence[JSONDict]) -> None:
        """A getUpdates batch, stored durably in one statement."""
        rows = [(str(u["update_id"]), json.dumps(u, ensure_ascii=False, separators=(",", ":"))) for u in updates]
        await self._inbox.receive(self._channel, rows)

    async def replay(self, app: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """Queue the updates stored but never handled before the last stop; call before polling starts."""
        unhandled = await self._inbox.unhandled(self._channel)
        if unhandled.given_up:
            log.warning("gave up %d stored updates replayed too often (they may crash the bot)", unhandled.given_up)
        for payload in unhandled.payloads:
            update = Update.de_json(json.loads(payload), app.bot)
            if update is not None:
                self._replayed.add(update.update_id)
                await app.update_queue.put(update)
        if unhandled.payloads:
            log.info("replaying %d updates received before the last stop", len(unhandled.payloads))
        return len(unhandled.payloads)

    async def flush(self) -> None:
        """Release the handled ids now (at shutdown, or a moment after handling)."""
        handled, self._handled = self._handled, []
        if handled:
            try:
                await self._inbox.forget(self._channel, handled)
            except BaseException:
                self._handled.extend(handled)
                raise

    async def stop(self) -> None:
        if self._flush_task is not None:
            self._flush_task.cancel()
            self._flush_task = None
        await self.flush()

    def first_time(self, update_id: int) -> bool:
        """Remember an update id; False if this process already took the update."""
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > MAX_REMEMBERED:
            self._seen.popitem(last=False)
        return True

    async def starting(self, update_id: int) -> None:
        """Count an attempt for a replayed update, durably, before its handlers run."""
        if update_id in self._replayed:
            self._replayed.discard(update_id)
            await self._inbox.started(self._channel, str(update_id))

    def handled(self, update_id: int) -> None:
        """Every handler has run: the stored copy may go, a moment later with the others handled meanwhile."""
        self._handled.append(str(update_id))
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_later(), name="inbox-flush")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_delay)
        try:
            await self.flush()
        except Exception:
            log.warning("could not release handled updates; they are skipped when replayed", exc_info=True)
