"""Triage across regional groups: whose report a group may act on, moving a report to another region's
group, and the provincial group's periodic digest.

Each group triages its own reports; the provincial group (SUPERVISOR_CHAT_ID) may act on every one. A move
is audited (an event with the two groups in its detail) and owes the outbox the card in the new group and
the old card's "moved" edit, all in one transaction. The digest replaces mirroring every card in the
provincial group, which would put the 20-messages-a-minute bottleneck back there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from handlers.common import owed
from handlers.common.callbacks import TRIAGE_MOVE, TRIAGE_PHOTOS
from handlers.common.events import Button
from handlers.common.routing import Routing
from handlers.common.text import esc
from handlers.report.reading import MESSAGE_LIMIT, format_moment
from handlers.triage.machine import Supervisor, encode
from handlers.triage.service import MoveResult, Outcome, TriageService
from locales import t, tn
from storage.models import NewEvent, Owed, Report, ReportState
from storage.triage import GroupFigures

log = logging.getLogger(__name__)

MOVE_ACTION: Final = "move_group"  # the audit log's action of a move between groups
# Room kept in each part of a long digest for its header's "(2/3)".
_PART_MARK_ROOM: Final = 16


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One group's figures, for the digest and the daily summary."""

    chat_id: int
    name: str
    figures: GroupFigures


def move_detail(from_chat: int | None, to_chat: int) -> str:
    return f"group:{from_chat}>{to_chat}"


def card_rows(report_id: int, photos: int, *, movable: bool, locale: str) -> tuple[tuple[Button, ...], ...]:
    """The card's second row: its other photos on demand (when it has more than the one it shows) and
    "Pindah wilayah" (when there are regional groups to move to)."""
    row: list[Button] = []
    if photos > 1:
        row.append(Button(tn(locale, "triage.button_photos", photos, count=photos), TRIAGE_PHOTOS.pack(report_id)))
    if movable:
        row.append(Button(t(locale, "triage.button_move"), TRIAGE_MOVE.pack(report_id)))
    return (tuple(row),) if row else ()


def move_menu(
    report_id: int, state: ReportState, here: int, targets: list[tuple[int, str]], locale: str
) -> tuple[tuple[Button, ...], ...]:
    """The groups a report can go to (`targets`: routing index and name), then "back" to the card."""
    rows: list[tuple[Button, ...]] = [
        (Button(name, TRIAGE_MOVE.pack(report_id, here, index)),) for index, name in targets
    ]
    rows.append((Button(t(locale, "triage.button_back"), encode(report_id, None, state)),))
    return tuple(rows)


class RegionalTriage:
    """What depends on the routing table: scopes, moves between groups, the digest."""

    def __init__(self, service: TriageService, routing: Routing) -> None:
        self.service = service
        self.routing = routing
        self.locale = service.locale

    # ---------------------------------------------------------------- whose report

    def group_of(self, report: Report) -> int:
        """The report's group: the one it was forwarded (or moved) to, else where it would be routed now."""
        return report.group_chat_id if report.group_chat_id is not None else self.routing.group_for(report.region_id)

    def covers(self, chat_id: int, report: Report) -> bool:
        """Whether a group may act on the report: its own group, or the provincial group."""
        return chat_id == self.routing.provincial or chat_id == self.group_of(report)

    def name(self, chat_id: int) -> str:
        return self.routing.name(chat_id, t(self.locale, "triage.group_provincial"))

    def targets(self, report: Report) -> list[tuple[int, str]]:
        """The groups a report can be moved to (every one but its own) by routing index, provincial first."""
        here = self.group_of(report)
        return [(i, self.name(chat)) for i, chat in enumerate(self.routing.chats) if chat != here]

    def index(self, chat_id: int) -> int:
        return self.routing.chats.index(chat_id)

    def chat_at(self, index: int) -> int | None:
        chats = self.routing.chats
        return chats[index] if 0 <= index < len(chats) else None

    def find_group(self, text: str) -> int | None:
        """A group named by a supervisor: its name, a region or karesidenan it covers, or "provinsi"."""
        wanted = " ".join(text.casefold().split())
        if not wanted:
            return None
        if wanted in ("provinsi", "province", self.name(self.routing.provincial).casefold()):
            return self.routing.provincial
        for group in self.routing.groups:
            if wanted == group.name.casefold() or wanted in group.covers:
                return group.chat_id
        regions = self.service.regions
        region = regions.region(wanted)
        if region is None:
            matches = regions.match(wanted)
            region = matches[0] if len(matches) == 1 else None
        return self.routing.group_for(region.id) if region is not None else None

    # ---------------------------------------------------------------- moving a report

    async def move(self, report_id: int, to_chat: int, supervisor: Supervisor, *, from_chat: int) -> Outcome:
        """Move the report to `to_chat`'s group, if it is still in `from_chat`'s (the group the button or
        command saw); of two concurrent moves exactly one is DONE."""
        service = self.service
        report = await service.store.reports.get(report_id)
        if report is None:
            return Outcome(MoveResult.UNKNOWN)
        if to_chat not in self.routing.chats or to_chat == self.group_of(report):
            return Outcome(MoveResult.INVALID, report)
        if self.group_of(report) != from_chat:
            return Outcome(MoveResult.CHANGED, report)
        old_card = (report.card_chat_id, report.card_message_id, report.card_kind)
        event = NewEvent(
            actor=supervisor.actor,
            actor_name=supervisor.name,
            action=MOVE_ACTION,
            at=service.now(),
            note=t(self.locale, "triage.moved_note", source=self.name(from_chat), target=self.name(to_chat)),
            detail=move_detail(report.group_chat_id, to_chat),
        )

        def owes(event_id: int) -> list[Owed]:
            items = [owed.forward_moved(report.id, event_id, to_chat)]
            chat, message, kind = old_card
            if chat is not None and message is not None:
                items.append(owed.card_moved(report.id, event_id, chat, message, kind))
            return items

        event_id = await service.triage.move_group(report.id, report.group_chat_id, to_chat, event, owed=owes)
        if event_id is None:
            return Outcome(MoveResult.CHANGED, report)
        log.info("report %s moved to another region's group", report.code)
        service.wake()
        return Outcome(MoveResult.DONE, await service.store.reports.get(report.id), event_id)

    # ---------------------------------------------------------------- figures per group

    async def lines(self, since: datetime) -> list[GroupLine]:
        """Each group's received-since, backlog and oldest unclaimed, provincial group last."""
        triage = self.service.triage
        result = [
            GroupLine(g.chat_id, g.name, await triage.group_figures(self.routing.own_scope(g.chat_id), since))
            for g in self.routing.groups
        ]
        provincial = self.routing.provincial
        result.append(
            GroupLine(
                provincial, self.name(provincial), await triage.group_figures(self.routing.own_scope(provincial), since)
            )
        )
        return result

    def line_text(self, line: GroupLine, now: datetime, key: str) -> str:
        figures = line.figures
        oldest = (
            t(
                self.locale,
                "triage.digest_oldest",
                moment=format_moment(figures.oldest_waiting, self.locale, self.service.tz),
                minutes=max(0, int((now - figures.oldest_waiting).total_seconds() // 60)),
            )
            if figures.oldest_waiting is not None
            else t(self.locale, "triage.digest_oldest_none")
        )
        return tn(
            self.locale,
            key,
            figures.backlog,
            name=esc(line.name),
            received=figures.received,
            backlog=figures.backlog,
            oldest=oldest,
        )

    # ---------------------------------------------------------------- the provincial digest

    def period_start(self, now: datetime, minutes: int) -> datetime:
        """The start of the period `now` ends (periods are aligned on the hour's multiples of `minutes`)."""
        step = minutes * 60
        aligned = int(now.timestamp()) // step * step
        return datetime.fromtimestamp(aligned, tz=now.tzinfo) - timedelta(seconds=step)

    async def digest_texts(self, start: datetime, end: datetime) -> list[str]:
        """The digest of [start, end), in as many messages as it needs to fit Telegram's 4,096 characters
        (one line per group: 35 groups with long names do not fit one); none when nothing changed in it
        (no report received, none moved). Each part after the first carries the header too, all marked
        "(n/m)", so a part read alone still says what it is."""
        lines = await self.lines(start)
        moves = await self.service.triage.group_events_since(MOVE_ACTION, start)
        received = sum(line.figures.received for line in lines)
        if received == 0 and moves == 0:
            return []
        header = t(
            self.locale,
            "triage.digest_header",
            start=format_moment(start, self.locale, self.service.tz),
            end=format_moment(end, self.locale, self.service.tz),
        )
        body = [self.line_text(line, end, "triage.digest_line") for line in lines]
        if moves:
            body.append(tn(self.locale, "triage.digest_moves", moves, count=moves))
        whole = "\n".join([header, *body])
        if len(whole) <= MESSAGE_LIMIT:
            return [whole]
        # A line is short (a group's name is at most 64 characters, handlers/common/routing.py): parts fill
        # by whole lines.
        room = MESSAGE_LIMIT - len(header) - _PART_MARK_ROOM
        parts: list[list[str]] = [[]]
        for text in body:
            if parts[-1] and len("\n".join([*parts[-1], text])) + 1 > room:
                parts.append([])
            parts[-1].append(text)
        count = len(parts)
        return [
            "\n".join([header + " " + t(self.locale, "triage.digest_part", part=n, parts=count), *part])
            for n, part in enumerate(parts, start=1)
        ]

    async def enqueue_digest(self, now: datetime, minutes: int) -> bool:
        """Owe the provincial group the digest of the period just ended, once however often the job runs."""
        if not self.routing.regional:
            return False
        start = self.period_start(now, minutes)
        end = start + timedelta(minutes=minutes)
        texts = await self.digest_texts(start, end)
        if not texts:
            return False
        for part, text in enumerate(texts):
            await self.service.store.outbox.enqueue(owed.digest(start, text, self.routing.provincial, part))
        self.service.wake()
        return True
