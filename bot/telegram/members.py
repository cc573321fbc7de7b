"""Membership of the supervisors' groups and the office chat, asked with getChatMember and cached briefly.

One cache for every door that asks (the group's guard, bot/telegram/triage/guard.py, and the Mini App), so a
`chat_member` update drops an entry everywhere at once. Only members, administrators and the owner count:
`left`, `kicked` and `restricted` users are refused. An answer Telegram could not give is a no for now, never
cached, so the next request asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from telegram import Bot, ChatMember, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

CACHE_SECONDS: Final = 60.0
CACHE_MAX: Final = 5000
_MEMBER: Final = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


class Memberships:
    def __init__(self, bot: Bot, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._bot = bot
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[int, int], tuple[bool, float]] = {}

    async def is_member(self, chat_id: int, user_id: int, *, fresh: bool = False) -> bool:
        """Whether the user belongs to the chat; `fresh` asks Telegram even when the cache knows."""
        now = self._clock()
        cached = self._cache.get((chat_id, user_id))
        if cached is not None and cached[1] > now and not fresh:
            return cached[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden):
            allowed = False  # "user not found", or the bot is not in that chat: not a member we can vouch for
        except TelegramError as exc:
            log.warning("membership check failed: %s", type(exc).__name__)
            return False
        else:
            allowed = member.status in _MEMBER
        if len(self._cache) >= CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[(chat_id, user_id)] = (allowed, now + self._ttl)
        return allowed

    def forget(self, chat_id: int, user_id: int) -> None:
        self._cache.pop((chat_id, user_id), None)

    async def on_member_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `chat_member` update: whoever joined or left is asked about afresh on their next request."""
        changed = update.chat_member
        if changed is not None:
            self.forget(changed.chat.id, changed.new_chat_member.user.id)
