"""Which supervisors' group a report belongs to: the routing table of REGION_GROUPS_FILE.

A report belongs to the Bawaslu of the kabupaten/kota where it happened (Perbawaslu 7/2022 Art. 10), and
one Telegram group absorbs only about 20 bot messages a minute: so each region group's Telegram chat
receives the cards of the regions it covers. The file, validated at start-up:

    {"groups": [{"chat_id": -1001234567890, "name": "Bawaslu Surakarta", "covers": ["surakarta"]},
                {"chat_id": -100222, "name": "Kota Semarang", "covers": ["kota-semarang", "kab-semarang"]}]}

A `covers` entry is a karesidenan id (the catalog's group id, "surakarta": all its kabupaten/kota) or one
kabupaten/kota id ("kab-klaten"). Everything not covered, and a report whose region is UNKNOWN_REGION_ID,
goes to the provincial group (SUPERVISOR_CHAT_ID), whose members may act on every report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from handlers.common.errors import LaporNetralError
from handlers.common.regions import RegionCatalog
from storage.triage import GroupScope

__all__ = ["NAME_MAX", "GroupScope", "RegionGroupChat", "Routing", "RoutingError", "RoutingFile"]

NAME_MAX: Final = 64


class RoutingError(LaporNetralError, ValueError):
    """The routing table cannot be used as written; the message says which entry and why."""


class RegionGroupChat(BaseModel):
    """One regional supervisors' group and the regions whose reports it triages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chat_id: int = Field(lt=0)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    covers: tuple[str, ...] = Field(min_length=1)


class RoutingFile(BaseModel):
    """The file as written (shape only; `Routing.build` checks it against the catalog)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: tuple[RegionGroupChat, ...] = ()


class Routing:
    """The routing table checked against the region catalog: region id -> group chat id."""

    def __init__(self, provincial: int, groups: tuple[RegionGroupChat, ...], by_region: dict[str, int]) -> None:
        self.provincial = provincial
        self.groups = groups
        self._by_region = by_region
        self._by_chat = {g.chat_id: g for g in groups}

    @classmethod
    def single(cls, provincial: int) -> Routing:
        """No file: every report goes to the provincial group (the behaviour before regional groups)."""
        return cls(provincial, (), {})

    @classmethod
    def build(cls, table: RoutingFile, catalog: RegionCatalog, provincial: int) -> Routing:
        by_region: dict[str, int] = {}
        seen_chats: set[int] = set()
        for group in table.groups:
            if group.chat_id == provincial:
                raise RoutingError(
                    f"group {group.name!r} uses SUPERVISOR_CHAT_ID, the provincial group, which already receives"
                    " every region nobody covers"
                )
            if group.chat_id in seen_chats:
                raise RoutingError(f"chat {group.chat_id} is listed twice; merge its covers into one entry")
            seen_chats.add(group.chat_id)
            for entry in group.covers:
                karesidenan = catalog.group(entry)
                if karesidenan is not None:
                    ids = [r.id for r in karesidenan.regions]
                elif catalog.region(entry) is not None:
                    ids = [entry]
                else:
                    raise RoutingError(
                        f"group {group.name!r} covers {entry!r}, which is neither a karesidenan nor a"
                        " kabupaten/kota id of the region list"
                    )
                for region_id in ids:
                    if region_id in by_region:
                        raise RoutingError(f"{region_id!r} is covered twice (in group {group.name!r} again)")
                    by_region[region_id] = group.chat_id
        return cls(provincial, table.groups, by_region)

    @classmethod
    def load(cls, path: Path | None, catalog: RegionCatalog, provincial: int) -> Routing:
        """The file at `path` (None: no regional groups); RoutingError names what is wrong, on one line."""
        if path is None:
            return cls.single(provincial)
        try:
            table = RoutingFile.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RoutingError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise RoutingError(f"{where}: {first['msg']}" if where else str(first["msg"])) from None
        return cls.build(table, catalog, provincial)

    # ---------------------------------------------------------------- lookups

    @property
    def regional(self) -> bool:
        """Whether any region has a group of its own (else the provincial group is the only one)."""
        return bool(self.groups)

    @property
    def chats(self) -> tuple[int, ...]:
        """Every supervisors' chat, the provincial group first."""
        return (self.provincial, *(g.chat_id for g in self.groups))

    def group_for(self, region_id: str) -> int:
        """The chat a new report of `region_id` goes to (UNKNOWN_REGION_ID is never covered)."""
        return self._by_region.get(region_id, self.provincial)

    def group(self, chat_id: int) -> RegionGroupChat | None:
        return self._by_chat.get(chat_id)

    def name(self, chat_id: int, provincial_name: str) -> str:
        group = self._by_chat.get(chat_id)
        return group.name if group is not None else provincial_name

    def scope(self, chat_id: int) -> GroupScope | None:
        """What `chat_id`'s lists show; None means every report (the provincial group)."""
        if chat_id == self.provincial or chat_id not in self._by_chat:
            return None
        return GroupScope(
            chat_id=chat_id, region_ids=tuple(sorted(r for r, c in self._by_region.items() if c == chat_id))
        )

    def provincial_scope(self) -> GroupScope:
        """The reports the provincial group triages itself: those routed to it (unmapped, "tidak tahu")."""
        return GroupScope(chat_id=self.provincial, region_ids=tuple(sorted(self._by_region)), except_regions=True)

    def own_scope(self, chat_id: int) -> GroupScope:
        """The reports a group triages itself (the provincial group: those nobody else covers)."""
        return self.scope(chat_id) or self.provincial_scope()
