"""How triage reads in the group: the card's extra lines, its history, and list items.

All text here is for the supervisors' group (settings.default_locale); user text is escaped. The
reporter appears only by pseudonym; supervisors by the display name the group already knows them by.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.events import Button
from handlers.common.regions import RegionCatalog
from handlers.common.text import esc, esc_within
from handlers.common.when import format_short_date
from handlers.handoff.referral import outcome_key, outcome_of, reference_of
from handlers.report.prompts import category_label, region_text
from handlers.report.reading import MESSAGE_LIMIT, card_text, format_moment
from handlers.triage.duplicates import Duplicate, find_duplicates
from handlers.triage.machine import (
    REPORTER_ACTOR,
    Action,
    ForwardTarget,
    RejectReason,
    action_key,
    main_buttons,
    reason_key,
    target_key,
)
from handlers.triage.rules import Checklist, DeadlineStatus, bawaslu_deadline, requirements
from locales import catalog, t, tn
from storage.models import CLOSED_STATES, Event, Evidence, Report, ReportState
from storage.reports import CardData
from storage.triage import TriageStore

NOTE_MAX: Final = 300
# After forwarding, the Bawaslu clock is the other institution's business: the card stops counting.
_DEADLINE_STATES: Final = frozenset(
    {
        ReportState.BARU,
        ReportState.DIPROSES,
        ReportState.BUTUH_INFO,
        ReportState.TERVERIFIKASI,
    }
)


def actor_label(event: Event, locale: str) -> str:
    if event.actor == REPORTER_ACTOR:
        return t(locale, "triage.actor_reporter")
    return esc(event.actor_name or t(locale, "triage.actor_unknown"))


def action_label(action: str, locale: str) -> str:
    try:
        return t(locale, action_key(Action(action)))
    except ValueError:  # "created", the referral's events, or an action a later version added
        key = f"triage.action_{action}"
        return t(locale, key) if key in catalog(locale) else esc(action)


def note_text(event: Event, locale: str) -> str | None:
    """What an event adds in words: the reason, the target, the question, the answer."""
    detail = event.detail or ""
    if detail.startswith("reason:"):
        try:
            reason = RejectReason(detail[7:])
        except ValueError:
            return None
        said = t(locale, reason_key(reason))
        if reason == RejectReason.DUPLICATE and event.note:
            said += f" ({esc_within(event.note, NOTE_MAX)})"  # the code of the report it repeats
        return t(locale, "triage.note_reason", reason=said)
    if detail.startswith("target:"):
        try:
            return t(locale, "triage.note_target", target=t(locale, target_key(ForwardTarget(detail[7:]))))
        except ValueError:
            return None
    if detail.startswith("photo:"):
        return t(locale, "triage.note_photo")
    if not event.note:
        return None
    text = esc_within(event.note, NOTE_MAX)
    if event.action == Action.REQUEST_INFO:
        return t(locale, "triage.note_question", text=text)
    if event.action == Action.INFO_RECEIVED:
        return t(locale, "triage.note_answer", text=text)
    if event.action == Action.REJECT:
        return t(locale, "triage.note_reason", reason=text)
    return text


def deadline_line(report: Report, today: date, locale: str) -> str | None:
    if report.state not in _DEADLINE_STATES:
        return None
    deadline = bawaslu_deadline(report.known_day, today)
    closes = format_short_date(deadline.closes_on, locale)
    if deadline.status is DeadlineStatus.PAST:
        return tn(locale, "triage.deadline_past", -deadline.days_left, date=closes, days=-deadline.days_left)
    if deadline.days_left == 0:
        return t(locale, "triage.deadline_today", date=closes)
    key = "triage.deadline_near" if deadline.status is DeadlineStatus.NEAR else "triage.deadline_open"
    return tn(locale, key, deadline.days_left, date=closes, days=deadline.days_left)


def requirement_lines(checklist: Checklist, locale: str) -> list[str]:
    if checklist.complete:
        return [t(locale, "triage.requirements_complete")]
    lines = []
    if checklist.met:
        lines.append(
            t(
                locale,
                "triage.requirements_met",
                items=", ".join(t(locale, f"triage.req_{r.value}") for r in checklist.met),
            )
        )
    lines.append(
        t(
            locale,
            "triage.requirements_missing",
            items=", ".join(t(locale, f"triage.req_{r.value}") for r in checklist.missing),
        )
    )
    return lines


def duplicate_lines(duplicates: list[Duplicate], locale: str) -> list[str]:
    return [t(locale, f"triage.dup_{d.kind.value}", code=d.code) for d in duplicates]


def extra_lines(
    report: Report,
    evidence: list[Evidence],
    events: list[Event],
    duplicates: list[Duplicate],
    locale: str,
    tz: ZoneInfo,
    today: date,
) -> tuple[str, ...]:
    """The lines triage adds under the card's state: who and when, the last note, the Bawaslu clock and
    checklist, and duplicate warnings."""
    lines: list[str] = []
    moves = [e for e in events if e.to_state is not None and e.action != "created"]
    if moves:
        last = moves[-1]
        lines.append(
            t(
                locale,
                "triage.card_by",
                action=action_label(last.action, locale),
                actor=actor_label(last, locale),
                moment=format_moment(last.at, locale, tz),
            )
        )
    noted = [n for n in (note_text(e, locale) for e in events) if n]
    if noted:
        lines.append(t(locale, "triage.card_note", note=noted[-1]))
    deadline = deadline_line(report, today, locale)
    if deadline:
        lines.append(deadline)
    lines += referral_lines(events, locale)
    lines += requirement_lines(requirements(report, evidence), locale)
    lines += duplicate_lines(duplicates, locale)
    return tuple(lines)


def referral_lines(events: list[Event], locale: str) -> list[str]:
    """The receiving office's latest reference number and outcome, as recorded by /rujukan and /hasil."""
    lines: list[str] = []
    references = [r for r in (reference_of(e.detail) for e in events) if r]
    if references:
        lines.append(t(locale, "triage.card_referral", number=esc(references[-1])))
    outcomes = [(o, e) for e, o in ((e, outcome_of(e.detail)) for e in events) if o]
    if outcomes:
        outcome, event = outcomes[-1]
        note = t(locale, "triage.card_outcome_note", note=esc(event.note)) if event.note else ""
        lines.append(t(locale, "triage.card_outcome", outcome=t(locale, outcome_key(outcome)), note=note))
    return lines


@dataclass(frozen=True, slots=True)
class CardView:
    """Everything the card shows, loaded once: its text and the buttons of the report's state."""

    report: Report
    text: str
    buttons: tuple[tuple[Button, ...], ...]


async def build_card(
    triage: TriageStore,
    regions: RegionCatalog,
    data: CardData,
    locale: str,
    tz: ZoneInfo,
    now: datetime,
    *,
    short: bool = False,
) -> CardView:
    """The card from what storage loaded for it once (`Reports.card_data`), with its duplicate warnings."""
    report, evidence = data.report, list(data.evidence)
    duplicates = await find_duplicates(triage, report, evidence, now)
    extras = extra_lines(report, evidence, list(data.events), duplicates, locale, tz, now.astimezone(tz).date())
    text = card_text(
        report,
        evidence,
        data.contact,
        data.pseudonym or "?",
        regions,
        locale,
        tz,
        extra_lines=extras,
        short=short,
        witnesses=data.witnesses,
    )
    return CardView(report, text, main_buttons(report.id, report.state, locale))


def history_messages(report: Report, events: list[Event], locale: str, tz: ZoneInfo) -> list[str]:
    """The event log as one or more messages, each within Telegram's limit."""
    lines = [t(locale, "triage.history_header", code=report.code)]
    for event in events:
        what = action_label(event.action, locale)
        change = ""
        state = t(locale, f"state.{event.to_state}") if event.to_state is not None else None
        # "Diteruskan → Diteruskan" says nothing twice: the arrow only when the state reads differently.
        if state is not None and state != what:
            change = t(locale, "triage.history_change", to=state)
        lines.append(
            t(
                locale,
                "triage.history_item",
                moment=format_moment(event.at, locale, tz),
                what=what,
                change=change,
                actor=actor_label(event, locale),
            )
        )
        note = note_text(event, locale)
        if note:
            lines.append(t(locale, "triage.history_note", note=note))
    return chunk_lines(lines)


def chunk_lines(lines: list[str], limit: int = MESSAGE_LIMIT - 96) -> list[str]:
    """Join lines into messages no longer than `limit`, never splitting a line (whose tags stay whole)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[:limit]  # lines are short by construction; this only guards the message limit
        if current and len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages


def list_item(report: Report, regions: RegionCatalog, locale: str, tz: ZoneInfo, today: date) -> str:
    flag = ""
    if report.state in _DEADLINE_STATES and report.state not in CLOSED_STATES:
        status = bawaslu_deadline(report.known_day, today).status
        flag = {DeadlineStatus.NEAR: " ⚠️", DeadlineStatus.PAST: " ⛔", DeadlineStatus.OPEN: ""}[status]
    return t(
        locale,
        "triage.list_item",
        code=report.code,
        state=t(locale, f"state.{report.state}"),
        category=category_label(locale, report.category),
        region=esc(region_text(report.region_id, None, regions, locale)),
        subject=esc_within(report.subject_name, 60) if report.subject_name else t(locale, "report.unknown_name"),
        received=format_short_date(report.created_at.astimezone(tz).date(), locale),
        flag=flag,
    )
