"""Who may triage: the supervisors' groups (the provincial one and each regional one), the members of the
chat they act in (getChatMember per chat, cached for a minute in bot/telegram/members.py, which a member of
one region's group does not pass for another's), SUPERVISOR_IDS. Whether a group may act on
a given report (its own, or any from the provincial group) is RegionalTriage.covers.

The cache is for buttons and lists, pressed often. A member who leaves must lose access at once: the
`chat_member` updates Telegram sends about the group drop their entry (polling and the webhook ask for
all update types), and the commands that hand out evidence, exports or a full card ask afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from telegram import User

from bot.telegram.members import Memberships
from handlers.triage.machine import Supervisor
from storage.models import Report

log = logging.getLogger(__name__)

NAME_MAX: Final = 64


class SupervisorGuard:
    """Whether a chat and a user may triage; membership answers are cached briefly to spare the API."""

    def __init__(
        self,
        members: Memberships,
        chats: int | tuple[int, ...],
        allow_list: frozenset[int],
        *,
        covers: Callable[[int, Report], bool] | None = None,
    ) -> None:
        self._members = members
        # Whether a group may act on a report (RegionalTriage.covers); without regional groups, always.
        self.covers: Callable[[int, Report], bool] = covers or (lambda chat_id, report: True)
        self.chats = (chats,) if isinstance(chats, int) else chats
        self.chat_id = self.chats[0]  # the provincial group
        self._allow = allow_list

    async def refusal(self, chat_id: int | None, user: User | None, *, fresh: bool = False) -> str | None:
        """None when allowed, else the locale key of the short refusal; `fresh` skips the cache."""
        if chat_id is None or chat_id not in self.chats:
            return "triage.refused_chat"
        if user is None or user.is_bot or (self._allow and user.id not in self._allow):
            return "triage.refused_member"
        if not await self._members.is_member(chat_id, user.id, fresh=fresh):
            return "triage.refused_member"
        return None


def supervisor_of(user: User) -> Supervisor:
    name = user.full_name.strip() or (f"@{user.username}" if user.username else str(user.id))
    return Supervisor(user.id, name[:NAME_MAX])
