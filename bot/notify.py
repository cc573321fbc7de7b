"""Notices to reporters (ticket follow-ups, triage moves, supervisors' questions), through the outbox.

The notice is rendered when it is sent, in the reporter's language then, and routed by the reporter's
channel to that channel's sender; the reporter's address never leaves this module and the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from bot.outbox import RetryLater
from handlers.common.events import Reply, typed_commands
from handlers.common.notices import render_notice
from storage.models import Channel, OutboxItem, Reporter
from storage.store import Store

log = logging.getLogger(__name__)

# A sender delivers one reply to one reporter and returns the channel's id of the sent message
# (Telegram message_id, WhatsApp wamid), so that a reporter's reply to it can be recognised.
Sender = Callable[[Reporter, Reply, str], Awaitable[str | None]]
SentHook = Callable[[OutboxItem, Reporter, str | None], Awaitable[None]]

__all__ = ["ReporterNotifier"]
_NO_CHANNEL_RETRY: Final = 600.0


class ReporterNotifier:
    """The outbox deliverer of `notify_reporter`."""

    def __init__(self, store: Store, default_locale: str) -> None:
        self._store = store
        self._default_locale = default_locale
        self._senders: dict[Channel, Sender] = {}
        self._hooks: list[SentHook] = []

    def register(self, channel: Channel, sender: Sender) -> None:
        self._senders[channel] = sender

    def on_sent(self, hook: SentHook) -> None:
        self._hooks.append(hook)

    async def __call__(self, item: OutboxItem) -> None:
        reporter = await self._store.reporters.get(int(str(item.payload["reporter_id"])))
        if reporter is None:
            log.warning("notice #%d for an unknown reporter dropped", item.id)
            return
        sender = self._senders.get(reporter.channel)
        if sender is None:
            raise RetryLater(_NO_CHANNEL_RETRY, f"channel {reporter.channel} is not running")
        locale = reporter.locale or self._default_locale
        notice = render_notice(item.payload, locale, typed=typed_commands(reporter.channel))
        message_id = await sender(reporter, notice, locale)
        for hook in self._hooks:
            await hook(item, reporter, message_id)
