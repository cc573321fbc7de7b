"""Who may triage: the supervisors' groups (the provincial one and each regional one), the members of the
chat they act in (getChatMember per chat, cached for a minute), SUPERVISOR_IDS. Whether a group may act on
a given report (its own, or any from the provincial group) is RegionalTriage.covers.

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
from storage.models import Report

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
        chats: int | tuple[int, ...],
        allow_list: frozenset[int],
        *,
        ttl: float = MEMBER_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        covers: Callable[[int, Report], bool] | None = None,
    ) -> None:
        self._bot = bot
        # Whether a group may act on a report (RegionalTriage.covers); without regional groups, always.
        self.covers: Callable[[int, Report], bool] = covers or (lambda chat_id, report: True)
        self.chats = (chats,) if isinstance(chats, int) else chats
        self.chat_id = self.chats[0]  # the provincial group
        self._allow = allow_list
        self._ttl = ttl
        self._clock = clock
        # (chat, user) -> (member?, until): a member of one region's group is not thereby one of another's.
        self._cache: dict[tuple[int, int], tuple[bool, float]] = {}

    async def refusal(self, chat_id: int | None, user: User | None, *, fresh: bool = False) -> str | None:
        """None when allowed, else the locale key of the short refusal; `fresh` skips the cache."""
        if chat_id is None or chat_id not in self.chats:
            return "triage.refused_chat"
        if user is None or user.is_bot or (self._allow and user.id not in self._allow):
            return "triage.refused_member"
        if not await self._is_member(chat_id, user.id, fresh=fresh):
            return "triage.refused_member"
        return None

    async def on_member_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `chat_member` update about a group: whoever it concerns is asked about afresh next time."""
        changed = update.chat_member
        if changed is not None and changed.chat.id in self.chats:
            self.forget(changed.new_chat_member.user.id, changed.chat.id)

    def forget(self, user_id: int, chat_id: int | None = None) -> None:
        for chat in self.chats if chat_id is None else (chat_id,):
            self._cache.pop((chat, user_id), None)

    async def _is_member(self, chat_id: int, user_id: int, *, fresh: bool = False) -> bool:
        now = self._clock()
        key = (chat_id, user_id)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now and not fresh:
            return cached[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
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
        self._cache[key] = (allowed, now + self._ttl)
        return allowed


def supervisor_of(user: User) -> Supervisor:
    name = user.full_name.strip() or (f"@{user.username}" if user.username else str(user.id))
    return Supervisor(user.id, name[:NAME_MAX])
