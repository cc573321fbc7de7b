"""Who may see what in the Mini App: the one place that decides.

- A member of the provincial supervisors' group (SUPERVISOR_CHAT_ID, and on SUPERVISOR_IDS when that
  list is set) sees and triages every report.
- A member of a regional supervisors' group (REGION_GROUPS_FILE) sees and triages that group's share: the
  reports forwarded or moved to it, and those not yet forwarded whose kabupaten/kota it covers — the same
  share as the group's own /antrian and /cari (storage/triage.py `GroupScope`). Several groups, their
  shares together.
- A member of the office chat (SUMMARY_CHAT_ID) sees the dashboard, read-only.
- The dashboard's figures are the province's for the provincial group and the office chat; a member of
  regional groups only sees them counted over those groups' shares (`figure_scopes`), so the codes in its
  deadline list are reports they may open.
- Anyone else sees nothing.

Membership is asked through `is_member`, which the caller backs with getChatMember and a brief cache.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from storage.models import Report
from storage.triage import GroupScope

IsMember = Callable[[int], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Audience:
    """The chats whose members may open the Mini App, from the settings and the routing table."""

    provincial_chat_id: int
    office_chat_id: int | None = None
    region_groups: Mapping[int, GroupScope] = field(default_factory=dict)  # chat id → that group's share
    allow_list: frozenset[int] = frozenset()


def in_scope(scope: GroupScope, report: Report) -> bool:
    """Whether a report is in a group's share: what `storage.triage.scope_sql` selects, for one report."""
    if report.group_chat_id is not None:
        return report.group_chat_id == scope.chat_id
    return (report.region_id in scope.region_ids) != scope.except_regions


@dataclass(frozen=True, slots=True)
class Access:
    """What one signed-in user may do; `scopes` None means every report."""

    triage: bool
    dashboard: bool
    scopes: tuple[GroupScope, ...] | None
    # The shares the dashboard's figures count; None: the whole province (the provincial group, the office).
    figure_scopes: tuple[GroupScope, ...] | None = None

    @property
    def regions(self) -> frozenset[str] | None:
        """The kabupaten/kota the user's groups cover (what the region filter offers); None: every one."""
        if self.scopes is None:
            return None
        return frozenset(r for scope in self.scopes for r in scope.region_ids)

    def sees(self, report: Report) -> bool:
        return self.triage and (self.scopes is None or any(in_scope(scope, report) for scope in self.scopes))


async def access_for(user_id: int, audience: Audience, is_member: IsMember) -> Access | None:
    """The user's access, or None when they belong to none of the chats (or are off the allow-list)."""
    supervisor_allowed = not audience.allow_list or user_id in audience.allow_list
    if supervisor_allowed and await is_member(audience.provincial_chat_id):
        return Access(triage=True, dashboard=True, scopes=None)
    scopes: list[GroupScope] = []
    if supervisor_allowed:
        for chat_id, scope in audience.region_groups.items():
            if chat_id != audience.provincial_chat_id and await is_member(chat_id):
                scopes.append(scope)
    if scopes:
        # Also in the office chat: the office's whole-province dashboard, with the groups' share to triage.
        office = audience.office_chat_id is not None and await is_member(audience.office_chat_id)
        return Access(
            triage=True, dashboard=True, scopes=tuple(scopes), figure_scopes=None if office else tuple(scopes)
        )
    if audience.office_chat_id is not None and await is_member(audience.office_chat_id):
        return Access(triage=False, dashboard=True, scopes=())
    return None
