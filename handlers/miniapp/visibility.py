"""Who may see what in the Mini App: the one place that decides.

- A member of the provincial supervisors' group (SUPERVISOR_CHAT_ID, and on SUPERVISOR_IDS when that
  list is set) sees and triages every report.
- A member of a regional supervisors' group sees and triages the reports of that group's regions
  (the routing table; several groups, their regions together).
- A member of the office chat (SUMMARY_CHAT_ID) sees the dashboard, read-only.
- Anyone else sees nothing.

Membership is asked through `is_member`, which the caller backs with getChatMember and a brief cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from storage.models import Report

IsMember = Callable[[int], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Audience:
    """The chats whose members may open the Mini App, from the settings and the routing table."""

    provincial_chat_id: int
    office_chat_id: int | None = None
    region_groups: Mapping[int, frozenset[str]] = field(default_factory=dict)
    allow_list: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Access:
    """What one signed-in user may do; `regions` None means every region."""

    triage: bool
    dashboard: bool
    regions: frozenset[str] | None

    def sees(self, report: Report) -> bool:
        return self.triage and (self.regions is None or report.region_id in self.regions)

    def scope(self, wanted: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """The region ids a query may cover: what was asked for, within what this user may see."""
        if self.regions is None:
            return wanted
        if wanted is None:
            return tuple(sorted(self.regions))
        return tuple(r for r in wanted if r in self.regions)


async def access_for(user_id: int, audience: Audience, is_member: IsMember) -> Access | None:
    """The user's access, or None when they belong to none of the chats (or are off the allow-list)."""
    supervisor_allowed = not audience.allow_list or user_id in audience.allow_list
    if supervisor_allowed and await is_member(audience.provincial_chat_id):
        return Access(triage=True, dashboard=True, regions=None)
    regions: set[str] = set()
    if supervisor_allowed:
        for chat_id, chat_regions in audience.region_groups.items():
            if chat_id != audience.provincial_chat_id and chat_regions and await is_member(chat_id):
                regions |= chat_regions
    if regions:
        return Access(triage=True, dashboard=True, regions=frozenset(regions))
    if audience.office_chat_id is not None and await is_member(audience.office_chat_id):
        return Access(triage=False, dashboard=True, regions=frozenset())
    return None
