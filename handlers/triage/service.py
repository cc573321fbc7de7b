"""Triage moves as transactions: the state change, its event, the reporter's notice and the card edit are
committed together, so a crash loses none of them and a retry repeats none of them.

It speaks in report ids, supervisors and outcomes; the Telegram layer (bot/telegram_triage*.py) turns
button presses and replies into calls here and outcomes into alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common import owed
from handlers.common.callbacks import ANSWER
from handlers.common.regions import RegionCatalog
from handlers.common.text import clean, esc
from handlers.handoff.referral import (
    OUTCOME_ACTION,
    REFERRABLE,
    REFERRAL_ACTION,
    OutcomeEntry,
    outcome_detail,
    outcome_key,
    referral_detail,
)
from handlers.report.reading import MESSAGE_LIMIT
from handlers.triage.card import CardView, build_card, chunk_lines, history_messages, list_item
from handlers.triage.machine import (
    Action,
    ForwardTarget,
    RejectReason,
    Supervisor,
    next_state,
    reason_key,
    target_key,
)
from handlers.triage.rules import BAWASLU_WINDOW_DAYS, NEAR_DAYS, bawaslu_deadline
from locales import t, tn
from storage.db import utcnow
from storage.models import NewEvent, Owed, Report, ReportState
from storage.reports import CardData
from storage.store import Store
from storage.triage import GroupScope, Moved, ReportFilter

log = logging.getLogger(__name__)

MAX_QUESTION: Final = 1000
MAX_REASON: Final = 500
PAGE_SIZE: Final = 10

_NOTICES: Final[dict[Action, str]] = {
    Action.CLAIM: "triage.notice_claimed",
    Action.REQUEST_INFO: "triage.notice_question",
    Action.VERIFY: "triage.notice_verified",
    Action.REJECT: "triage.notice_rejected",
    Action.FORWARD: "triage.notice_forwarded",
    Action.CLOSE: "triage.notice_closed",
    Action.REOPEN: "triage.notice_reopened",
}


class MoveResult(StrEnum):
    DONE = "done"
    CHANGED = "changed"  # the report is no longer in the state the button was drawn for
    ILLEGAL = "illegal"  # the state table does not allow this move (a forged button)
    UNKNOWN = "unknown"  # no such report
    INVALID = "invalid"  # a move without what it needs (a reason, a target, a question)


@dataclass(frozen=True, slots=True)
class Outcome:
    result: MoveResult
    report: Report | None = None
    event_id: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    text: str
    page: int
    pages: int
    total: int


def clean_note(text: str, limit: int) -> str | None:
    cleaned = clean(text)
    return cleaned if cleaned and len(cleaned) <= limit else None


class TriageService:
    def __init__(
        self,
        store: Store,
        regions: RegionCatalog,
        locale: str,
        tz: ZoneInfo,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_enqueue: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.triage = store.triage
        self.regions = regions
        self.locale = locale
        self.tz = tz
        self._clock = clock
        self._on_enqueue = on_enqueue

    def now(self) -> datetime:
        return self._clock()

    def wake(self) -> None:
        """Something was enqueued: the outbox worker need not wait for its next poll."""
        self._on_enqueue()

    def today(self) -> date:
        return self._clock().astimezone(self.tz).date()

    # ---------------------------------------------------------------- moves

    async def check(self, report_id: int, action: Action, expected: ReportState) -> Outcome:
        """Whether a press could move now, without moving: menus and prompts check before they open."""
        report = await self.store.reports.get(report_id)
        if report is None:
            return Outcome(MoveResult.UNKNOWN)
        if next_state(expected, action) is None:
            return Outcome(MoveResult.ILLEGAL, report)
        if report.state != expected:
            return Outcome(MoveResult.CHANGED, report)
        return Outcome(MoveResult.DONE, report)

    async def move(
        self,
        report_id: int,
        action: Action,
        expected: ReportState,
        supervisor: Supervisor,
        *,
        reason: RejectReason | None = None,
        target: ForwardTarget | None = None,
        note: str | None = None,
    ) -> Outcome:
        """One supervisor move, all or nothing; of concurrent moves from one state exactly one is DONE."""
        checked = await self.check(report_id, action, expected)
        if checked.result is not MoveResult.DONE:
            return checked
        report = checked.report
        assert report is not None
        to_state = next_state(expected, action)
        assert to_state is not None
        detail: str | None = None
        values: dict[str, object] = {"code": report.code}
        if action is Action.REJECT:
            if reason is not None:
                detail, values["reason"] = f"reason:{reason.value}", {"key": reason_key(reason)}
            elif note:
                values["reason"] = esc(note)
            else:
                return Outcome(MoveResult.INVALID, report)
        elif action is Action.FORWARD:
            if target is None:
                return Outcome(MoveResult.INVALID, report)
            detail, values["target"] = f"target:{target.value}", {"key": target_key(target)}
        elif action is Action.REQUEST_INFO:
            if not note:
                return Outcome(MoveResult.INVALID, report)
            values["question"] = esc(note)
        buttons: tuple[tuple[str, str], ...] = ()
        if action is Action.REQUEST_INFO:
            # The answer button and the request id: the sent hook records the message id it got.
            buttons = (("triage.answer_button", ANSWER.pack(report.id)),)

        def owes(moved: Moved) -> list[Owed]:
            extra = {"info_request_id": moved.info_request_id} if moved.info_request_id is not None else {}
            owes_now = [
                owed.notice(moved.event_id, report.reporter_id, _NOTICES[action], values, buttons=buttons, extra=extra),
                owed.edit_card(report.id, moved.event_id),
            ]
            if action is Action.FORWARD:
                # The hand-off packet, posted under the card after its edit (bot/telegram/triage/handoff.py).
                owes_now.append(owed.handoff_packet(report.id, moved.event_id))
            return owes_now

        event = NewEvent(
            actor=supervisor.actor,
            actor_name=supervisor.name,
            action=action,
            at=self._clock(),
            note=note,
            detail=detail,
        )
        moved = await self.triage.apply_move(
            report.id,
            expected,
            to_state,
            event,
            question=note if action is Action.REQUEST_INFO else None,
            owed=owes,
        )
        if moved is None:
            return Outcome(MoveResult.CHANGED, report)
        log.info("report %s: %s (%s -> %s)", report.code, action, expected, to_state)
        self._on_enqueue()
        return Outcome(MoveResult.DONE, await self.store.reports.get(report.id), moved.event_id)

    async def record_referral(
        self,
        report_id: int,
        supervisor: Supervisor,
        *,
        reference: str | None = None,
        outcome: OutcomeEntry | None = None,
    ) -> Outcome:
        """The receiving office's reference number, or its outcome: one audited event with the reporter's
        notice and the card edit, all or nothing. Only a forwarded (or since closed) report has either."""
        assert (reference is None) != (outcome is None)
        report = await self.store.reports.get(report_id)
        if report is None:
            return Outcome(MoveResult.UNKNOWN)
        if report.state not in REFERRABLE:
            return Outcome(MoveResult.ILLEGAL, report)
        values: dict[str, object] = {"code": report.code}
        if reference is not None:
            action, detail, note, key = REFERRAL_ACTION, referral_detail(reference), None, "triage.notice_referral"
            values["number"] = esc(reference)
        else:
            assert outcome is not None
            action, detail, note, key = (
                OUTCOME_ACTION,
                outcome_detail(outcome.outcome),
                outcome.note,
                "triage.notice_outcome",
            )
            values["outcome"] = {"key": outcome_key(outcome.outcome)}
        event = NewEvent(
            actor=supervisor.actor,
            actor_name=supervisor.name,
            action=action,
            at=self._clock(),
            note=note,
            detail=detail,
        )
        event_id = await self.triage.record_event(
            report.id,
            event,
            owed=lambda event_id: [
                owed.notice(event_id, report.reporter_id, key, values),
                owed.edit_card(report.id, event_id),
            ],
        )
        log.info("report %s: %s recorded", report.code, action)
        self._on_enqueue()
        return Outcome(MoveResult.DONE, await self.store.reports.get(report.id), event_id)

    # ---------------------------------------------------------------- views

    async def card(self, report: Report | CardData, *, short: bool = False) -> CardView:
        """The card of a report, or of what was loaded for it already (the forwarder's album read it)."""
        data = report if isinstance(report, CardData) else await self.store.reports.card_data(report)
        return await build_card(self.triage, self.regions, data, self.locale, self.tz, self._clock(), short=short)

    async def history(self, report: Report) -> list[str]:
        return history_messages(report, await self.store.reports.events(report.id), self.locale, self.tz)

    async def page(
        self, where: ReportFilter, page: int, *, header_key: str, empty_key: str, oldest_first: bool = False
    ) -> Page:
        """One page of a list; the header key (a plural entry) gets {total}, the footer shows where we are."""
        page = max(0, page)
        reports, total = await self.triage.search(
            where, limit=PAGE_SIZE, offset=page * PAGE_SIZE, oldest_first=oldest_first
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if total == 0:
            return Page(t(self.locale, empty_key), 0, 1, 0)
        if not reports and page > 0:  # a page past the end (the list shrank): show the last one
            return await self.page(
                where, pages - 1, header_key=header_key, empty_key=empty_key, oldest_first=oldest_first
            )
        today = self.today()
        lines = [
            tn(self.locale, header_key, total, total=total),
            *(list_item(r, self.regions, self.locale, self.tz, today) for r in reports),
        ]
        if pages > 1:
            lines.append(t(self.locale, "triage.page_footer", page=page + 1, pages=pages))
        return Page(chunk_lines(lines)[0], page, pages, total)

    async def queue(self, page: int, scope: GroupScope | None = None) -> Page:
        """Untriaged reports (of one group's share; None: all), oldest first: the ones waiting longest come up
        first."""
        return await self.page(
            ReportFilter(states=(ReportState.BARU,), scope=scope),
            page,
            oldest_first=True,
            header_key="triage.queue_header",
            empty_key="triage.queue_empty",
        )

    # ---------------------------------------------------------------- the morning reminder

    async def reminder_text(self, today: date, scope: GroupScope | None = None) -> str | None:
        """Untriaged reports (of one group's share) whose Bawaslu window closes within two days, or None when
        there are none."""
        # days_left = incident + 7 - today lies in [0, NEAR_DAYS]
        first = today - timedelta(days=BAWASLU_WINDOW_DAYS)
        reports = await self.triage.untriaged_incident_between(first, first + timedelta(days=NEAR_DAYS), scope)
        if not reports:
            return None
        header = tn(self.locale, "triage.reminder_header", len(reports), count=len(reports))
        items: list[str] = []
        for report in reports:
            left = bawaslu_deadline(report.incident_date, today).days_left
            item = list_item(report, self.regions, self.locale, self.tz, today)
            items.append(
                t(self.locale, "triage.reminder_item_today", item=item)
                if left == 0
                else tn(self.locale, "triage.reminder_item", left, item=item, days=left)
            )
        # One message: what fits, then how many more and where they are, never a silent cut.
        budget = MESSAGE_LIMIT - 200
        shown: list[str] = []
        used = len(header)
        for item in items:
            if used + 1 + len(item) > budget:
                break
            shown.append(item)
            used += 1 + len(item)
        lines = [header, *shown]
        if len(shown) < len(items):
            more = len(items) - len(shown)
            lines.append(tn(self.locale, "triage.reminder_more", more, count=more))
        return "\n".join(lines)

    async def enqueue_reminder(self, today: date, groups: Sequence[tuple[int, GroupScope | None]] = ()) -> bool:
        """Owe each group today's reminder once, however often the job runs (restarts, a second instance).
        `groups`: the regional groups and their shares; the provincial group's reminder lists every report."""
        owed_any = False
        text = await self.reminder_text(today)
        if text is not None:
            await self.store.outbox.enqueue(owed.reminder(today, text))
            owed_any = True
        for chat_id, scope in groups:
            text = await self.reminder_text(today, scope)
            if text is not None:
                await self.store.outbox.enqueue(owed.reminder(today, text, chat_id))
                owed_any = True
        if owed_any:
            self._on_enqueue()
        return owed_any
