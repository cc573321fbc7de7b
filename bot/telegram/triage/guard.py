"""Who may triage: the configured group, its members (getChatMember, cached for a minute), SUPERVISOR_IDS.

The cache is for buttons and lists, pressed often. A member who leaves must lose access at once: the
`chat_member` updates Telegram sends about the group drop their entry (polling and the webhook ask for
all update types), and the commands that hand out evidence, exports or a full card ask afresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from telegram import Bot, ChatMember, Update, User
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from handlers.triage.machine import Supervisor

log = logging.getLogger(__name__)

MEMBER_CACHE_SECONDS: Final = 60.0
MEMBER_CACHE_MAX: Final = 2000
NAME_MAX: Final = 64
_MEMBER_STATUSES: Final = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


class SupervisorGuard:
    """Whether a chat and a user may triage; membership answers are cached briefly to spare the API."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        allow_list: frozenset[int],
        *,
        ttl: float = MEMBER_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self.chat_id = chat_id
        self._allow = allow_list
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[int, tuple[bool, float]] = {}

    async def refusal(self, chat_id: int | None, user: User | None, *, fresh: bool = False) -> str | None:
        """None when allowed, else the locale key of the short refusal; `fresh` skips the cache."""
        if chat_id != self.chat_id:
            return "triage.refused_chat"
        if user is None or user.is_bot or (self._allow and user.id not in self._allow):
            return "triage.refused_member"
        if not await self._is_member(user.id, fresh=fresh):
            return "triage.refused_member"
        return None

    async def on_member_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `chat_member` update about the group: whoever it concerns is asked about afresh next time."""
        changed = update.chat_member
        if changed is not None and changed.chat.id == self.chat_id:
            self.forget(changed.new_chat_member.user.id)

    def forget(self, user_id: int) -> None:
        self._cache.pop(user_id, None)

    async def _is_member(self, user_id: int, *, fresh: bool = False) -> bool:
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now and not fresh:
            return cached[0]
        try:
            member = await self._bot.get_chat_member(self.chat_id, user_id)
        except BadRequest:
            allowed = False  # "user not found" and the like: not one of the group
        except TelegramError as exc:
            # Unknown is not yes: refuse this time, ask again next time (nothing cached).
            log.warning("membership check failed: %s", type(exc).__name__)
            return False
        else:
            allowed = member.status in _MEMBER_STATUSES
        if len(self._cache) >= MEMBER_CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[user_id] = (allowed, now + self._ttl)
        return allowed


def supervisor_of(user: User) -> Supervisor:
    name = user.full_name.strip() or (f"@{user.username}" if user.username else str(user.id))
    return Supervisor(user.id, name[:NAME_MAX])
