"""The Mini App's work, channel-neutral: the queue, a report's page, its moves and bulk moves.

A move here is the card button's move: the same `TriageService.move` (state machine, one transaction
with its audit event, the reporter's notice and the card's edit owed to the outbox), refused the same
way when the report has moved on since the page was drawn. Nothing here reads a request or a cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from handlers.common.text import clean
from handlers.miniapp.queue import QUEUE_PAGE, QueueQuery, queue_filter, queue_item
from handlers.miniapp.visibility import Access
from handlers.report.intake import PREVIEW_KIND
from handlers.triage.card import build_card, history_messages
from handlers.triage.machine import (
    BUTTONS,
    STATE_CODES,
    Action,
    ForwardTarget,
    RejectReason,
    Supervisor,
    action_key,
    reason_key,
    target_key,
)
from handlers.triage.regional import MOVE_ACTION, RegionalTriage
from handlers.triage.replies import refusal_key
from handlers.triage.service import MAX_QUESTION, MAX_REASON, MoveResult, TriageService, clean_note
from locales import t
from storage.models import Report, ReportState

BULK_MAX: Final = 50
CODE_MAX: Final = 20

# What a move needs besides the press, as the card's menus and prompts ask for it.
NEEDS: Final[dict[Action, str]] = {Action.REJECT: "reason", Action.FORWARD: "target", Action.REQUEST_INFO: "question"}


class BulkAction:
    CLAIM: Final = "claim"
    DUPLICATE: Final = "duplicate"
    FORWARD: Final = "forward"
    ALL: Final = frozenset({CLAIM, DUPLICATE, FORWARD})


@dataclass(frozen=True, slots=True)
class MoveRequest:
    action: Action
    expected: ReportState
    reason: RejectReason | None = None
    target: ForwardTarget | None = None
    text: str | None = None  # the question, or a typed reason


@dataclass(frozen=True, slots=True)
class MoveAnswer:
    """What the page is told: whether it moved, the sentence to show, and the report as it is now."""

    result: MoveResult
    message: str
    report_id: int | None = None
    state: ReportState | None = None


class MiniAppService:
    def __init__(self, triage: TriageService, regional: RegionalTriage | None = None) -> None:
        self.triage = triage
        self.regional = regional if regional is not None and regional.routing.regional else None
        self.store = triage.store
        self.regions = triage.regions
        self.tz = triage.tz

    # ---------------------------------------------------------------- reading

    async def visible(self, report_id: int, access: Access) -> Report | None:
        report = await self.store.reports.get(report_id)
        return report if report is not None and access.sees(report) else None

    async def queue(self, query: QueueQuery, access: Access, locale: str) -> dict[str, object]:
        """One page of the queue (raises SearchError for free text /cari would refuse too)."""
        where = queue_filter(query, self.regions, self.tz)
        reports, total = await self.store.miniapp.queue(
            where, access.scopes, limit=QUEUE_PAGE, offset=query.page * QUEUE_PAGE
        )
        today = self.triage.today()
        return {
            "items": [queue_item(r, self.regions, locale, self.tz, today) for r in reports],
            "total": total,
            "page": query.page,
            "pages": max(1, -(-total // QUEUE_PAGE)),
        }

    async def report(self, report: Report, locale: str) -> dict[str, object]:
        """The report's page: its card and history as the group reads them, its evidence, its moves."""
        data = await self.store.reports.card_data(report)
        view = await build_card(self.triage.triage, self.regions, data, locale, self.tz, self.triage.now())
        history = history_messages(report, await self.store.reports.events(report.id), locale, self.tz)
        photos = [e for e in data.evidence if e.photo is not None]
        moves: list[dict[str, object]] = [
            {"action": a.value, "label": t(locale, f"triage.button_{a.value}"), "needs": NEEDS.get(a)}
            for a in BUTTONS[report.state]
        ]
        groups: list[dict[str, object]] = []
        here: int | None = None
        if self.regional is not None:
            # The card's "Pindah wilayah": the report to another region's group (regions' own move).
            here = self.regional.index(self.regional.group_of(report))
            groups = [{"value": index, "label": name} for index, name in self.regional.targets(report)]
            moves.append({"action": MOVE_ACTION, "label": t(locale, "triage.button_move"), "needs": "group"})
        return {
            "id": report.id,
            "code": report.code,
            "state": report.state.value,
            "state_code": STATE_CODES[report.state],
            "state_label": t(locale, f"state.{report.state}"),
            "card_html": view.text,
            "history_html": history,
            "photos": [{"n": n, "sha256": e.photo.sha256} for n, e in enumerate(photos, 1) if e.photo],
            "links": [e.url for e in data.evidence if e.url],
            "moves": moves,
            "groups": groups,
            "group_here": here,
        }

    async def preview(self, report: Report, n: int) -> bytes | None:
        """The n-th photo's metadata-free copy (never the original: that carries the device identity)."""
        photos = [e.photo for e in await self.store.reports.evidence(report.id) if e.photo is not None]
        if not 1 <= n <= len(photos):
            return None
        try:
            return await self.store.files.get_derived(photos[n - 1].sha256, PREVIEW_KIND)
        except FileNotFoundError:
            return None

    # ---------------------------------------------------------------- moves

    def _answer(self, result: MoveResult, report: Report | None, action: Action, locale: str) -> MoveAnswer:
        code = report.code if report else ""
        if result is MoveResult.DONE:
            message = t(locale, "triage.done", action=t(locale, action_key(action)), code=code)
        else:
            message = t(locale, refusal_key(result), code=code)
        return MoveAnswer(result, message, report.id if report else None, report.state if report else None)

    async def move(
        self, report: Report, request: MoveRequest, supervisor: Supervisor, locale: str, *, note: str | None = None
    ) -> MoveAnswer:
        """One move from the report's page: only a move the card offers for the state the page showed."""
        action = request.action
        if action not in BUTTONS[request.expected]:
            return self._answer(MoveResult.ILLEGAL, report, action, locale)
        text: str | None = None
        if action is Action.REQUEST_INFO or (action is Action.REJECT and request.reason is None):
            limit = MAX_QUESTION if action is Action.REQUEST_INFO else MAX_REASON
            text = clean_note(request.text or "", limit)
            if text is None:
                return MoveAnswer(MoveResult.INVALID, t(locale, "miniapp.text_needed", max=limit), report.id)
        if action is Action.FORWARD and request.target is None:
            return self._answer(MoveResult.INVALID, report, action, locale)
        outcome = await self.triage.move(
            report.id,
            action,
            request.expected,
            supervisor,
            reason=request.reason if action is Action.REJECT else None,
            target=request.target if action is Action.FORWARD else None,
            note=text if text is not None else note,
        )
        return self._answer(outcome.result, outcome.report or report, action, locale)

    async def move_group(
        self, report: Report, to_index: int, from_index: int, supervisor: Supervisor, locale: str
    ) -> MoveAnswer:
        """The report to another region's group, if it is still in the group the page showed."""
        if self.regional is None:
            return MoveAnswer(MoveResult.ILLEGAL, t(locale, "triage.refused_illegal"), report.id)
        to_chat, from_chat = self.regional.chat_at(to_index), self.regional.chat_at(from_index)
        if to_chat is None or from_chat is None:
            return MoveAnswer(MoveResult.INVALID, t(locale, refusal_key(MoveResult.INVALID), code=report.code))
        outcome = await self.regional.move(report.id, to_chat, supervisor, from_chat=from_chat)
        if outcome.result is MoveResult.DONE:
            message = t(locale, "miniapp.moved_group", code=report.code, group=self.regional.name(to_chat))
        else:
            message = t(locale, refusal_key(outcome.result), code=report.code)
        return MoveAnswer(outcome.result, message, report.id)

    async def bulk(
        self,
        kind: str,
        items: list[tuple[int, ReportState]],
        access: Access,
        supervisor: Supervisor,
        locale: str,
        *,
        duplicate_of: str | None = None,
        target: ForwardTarget | None = None,
    ) -> dict[str, object]:
        """The same move on each selected report, each its own audited move; one answer per report."""
        if kind not in BulkAction.ALL or not items or len(items) > BULK_MAX:
            return {"error": t(locale, "miniapp.bulk_invalid", max=BULK_MAX)}
        note: str | None = None
        original: Report | None = None
        if kind == BulkAction.DUPLICATE:
            code = clean(duplicate_of or "").upper()[:CODE_MAX]
            original = await self.store.reports.by_code(code) if code else None
            if original is None or not access.sees(original):
                return {"error": t(locale, "miniapp.duplicate_unknown", code=code)}
            note = original.code  # the audit log keeps which report this one repeats
        if kind == BulkAction.FORWARD and target is None:
            return {"error": t(locale, "miniapp.bulk_invalid", max=BULK_MAX)}
        results: list[dict[str, object]] = []
        for report_id, expected in items:
            report = await self.visible(report_id, access)
            if report is None:
                results.append({"id": report_id, "result": MoveResult.UNKNOWN.value, "message": ""})
                continue
            if original is not None and report.id == original.id:
                results.append(
                    {
                        "id": report.id,
                        "result": MoveResult.INVALID.value,
                        "message": t(locale, "miniapp.duplicate_self"),
                    }
                )
                continue
            if kind == BulkAction.CLAIM:
                request = MoveRequest(Action.CLAIM, expected)
            elif kind == BulkAction.DUPLICATE:
                request = MoveRequest(Action.REJECT, expected, reason=RejectReason.DUPLICATE)
            else:
                request = MoveRequest(Action.FORWARD, expected, target=target)
            answer = await self.move(report, request, supervisor, locale, note=note)
            results.append({"id": report.id, "result": answer.result.value, "message": answer.message})
        done = sum(1 for r in results if r["result"] == MoveResult.DONE.value)
        return {
            "results": results,
            "done": done,
            "summary": t(locale, "miniapp.bulk_done", done=done, total=len(items)),
        }

    # ---------------------------------------------------------------- choices

    def choices(self, locale: str) -> dict[str, object]:
        """The menus' options: reasons and targets, as the card's menus label them."""
        return {
            "reasons": [{"value": r.value, "label": t(locale, reason_key(r))} for r in RejectReason],
            "targets": [{"value": f.value, "label": t(locale, target_key(f))} for f in ForwardTarget],
            "states": [{"value": s.value, "label": t(locale, f"state.{s}")} for s in ReportState],
        }
