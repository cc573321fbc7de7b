"""Every outbox kind with its dedupe key: what the bot can owe someone, built in one place.

A producer asks a builder here for the `Owed` value and hands it to the storage method that commits it
with its reason; a deliverer in bot/ registers under the same kind. The dedupe key makes enqueueing
idempotent, so each key names the one reason for the message (a report, an event, a day): a retried
transaction or a second instance then owes it once. The formats are stored in the outbox: changing one
lets a message pending across an upgrade be owed twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Final

from storage.models import Owed

FORWARD_REPORT: Final = "forward_report"  # a committed report: album and card to the supervisors' group
NOTIFY_REPORTER: Final = "notify_reporter"  # a notice to the reporter, rendered in their language at send time
EDIT_CARD: Final = "triage_edit_card"  # the group's card edited to the report's current state
POST_ANSWER: Final = "triage_post_answer"  # the reporter's answer posted under the card
GROUP_POST: Final = "triage_group_post"  # a plain text for the group (the morning reminder)
SUMMARY: Final = "summary"  # the daily summary: text, chart, spreadsheet
HANDOFF_PACKET: Final = "handoff_packet"  # the case packet PDF posted under the card after Teruskan
CARD_MOVED: Final = "triage_card_moved"  # a moved report's old card, edited to say where it went
EVIDENCE_ALBUM: Final = "triage_evidence_album"  # the report's other photos, posted under its card on demand
OPS_WARNING: Final = "ops_warning"  # an operator's warning in the provincial group (a group's cards wait too long)

KINDS: Final = frozenset(
    {
        FORWARD_REPORT,
        NOTIFY_REPORTER,
        EDIT_CARD,
        POST_ANSWER,
        GROUP_POST,
        SUMMARY,
        HANDOFF_PACKET,
        CARD_MOVED,
        EVIDENCE_ALBUM,
        OPS_WARNING,
    }
)


def forward_report(report_id: int) -> Owed:
    return Owed(kind=FORWARD_REPORT, dedupe_key=f"forward:{report_id}", payload={"report_id": report_id})


def notice(
    event_id: int,
    reporter_id: int,
    key: str,
    values: Mapping[str, object],
    *,
    buttons: tuple[tuple[str, str], ...] = (),
    extra: Mapping[str, object] | None = None,
) -> Owed:
    """The reporter's notice of a move (one per event).

    A value given as {"key": "..."} is itself translated in the reporter's language (a rejection reason, a
    state name); `buttons` are (label key, data) pairs. Rendered by handlers/common/notices.py.
    """
    payload: dict[str, object] = {
        "reporter_id": reporter_id,
        "key": key,
        "values": dict(values),
        "buttons": [list(b) for b in buttons],
        **(extra or {}),
    }
    return Owed(kind=NOTIFY_REPORTER, dedupe_key=f"notice:{event_id}", payload=payload)


def _report_event(report_id: int, event_id: int) -> dict[str, object]:
    return {"report_id": report_id, "event_id": event_id}


def edit_card(report_id: int, event_id: int) -> Owed:
    return Owed(kind=EDIT_CARD, dedupe_key=f"card:{event_id}", payload=_report_event(report_id, event_id))


def post_answer(report_id: int, event_id: int) -> Owed:
    return Owed(kind=POST_ANSWER, dedupe_key=f"answer:{event_id}", payload=_report_event(report_id, event_id))


def reminder(day: date, text: str, chat_id: int | None = None) -> Owed:
    """A group's morning reminder, once a day however often the job runs (no chat: the provincial group,
    whose key is the one used before regional groups)."""
    key = f"reminder:{day.isoformat()}" if chat_id is None else f"reminder:{day.isoformat()}:{chat_id}"
    payload: dict[str, object] = {"text": text} if chat_id is None else {"text": text, "chat_id": chat_id}
    return Owed(kind=GROUP_POST, dedupe_key=key, payload=payload)


def digest(period_start: datetime, text: str, chat_id: int, part: int = 0) -> Owed:
    """The provincial group's digest of one period (`part` of it, when it is too long for one message),
    once however often the job runs; the first part keeps the key a whole digest had."""
    key = f"digest:{period_start.isoformat()}" + (f":{part}" if part else "")
    return Owed(kind=GROUP_POST, dedupe_key=key, payload={"text": text, "chat_id": chat_id})


def forward_moved(report_id: int, event_id: int, chat_id: int) -> Owed:
    """A moved report's card in its new group `chat_id`: one per move (a report moved back and forth gets
    each; one moved again before its card was posted skips it)."""
    payload = {**_report_event(report_id, event_id), "chat_id": chat_id}
    return Owed(kind=FORWARD_REPORT, dedupe_key=f"forward:{report_id}:{event_id}", payload=payload)


def card_moved(report_id: int, event_id: int, chat_id: int, message_id: int, card_kind: str) -> Owed:
    """The old card of a moved report, edited once to say where the report went (and without buttons)."""
    payload = {**_report_event(report_id, event_id), "chat_id": chat_id, "message_id": message_id, "kind": card_kind}
    return Owed(kind=CARD_MOVED, dedupe_key=f"moved:{event_id}", payload=payload)


def evidence_album(report_id: int, chat_id: int, card_message_id: int) -> Owed:
    """The report's photos under one card, once per card however often "📷 Bukti" is pressed."""
    return Owed(
        kind=EVIDENCE_ALBUM,
        dedupe_key=f"evidence:{chat_id}:{card_message_id}",
        payload={"report_id": report_id, "chat_id": chat_id, "message_id": card_message_id},
    )


def summary(day: date, payload: dict[str, object]) -> Owed:
    return Owed(kind=SUMMARY, dedupe_key=f"{SUMMARY}:{day.isoformat()}", payload=payload)


def handoff_packet(report_id: int, event_id: int) -> Owed:
    """One packet per forwarding move: a report forwarded again after reopening gets a new one."""
    return Owed(
        kind=HANDOFF_PACKET, dedupe_key=f"packet:{report_id}:{event_id}", payload=_report_event(report_id, event_id)
    )


def lane(kind: str, payload: Mapping[str, object]) -> str:
    """The outbox delivers one lane's items one after another, in the order they were owed, and the lanes
    side by side: a report's album, card, edits and posts under it stay in order (an edit needs its card);
    a reporter's notices arrive in the order of the moves; everything else keeps to its kind."""
    if kind == NOTIFY_REPORTER and "reporter_id" in payload:
        return f"reporter:{payload['reporter_id']}"
    if "report_id" in payload and kind in _REPORT_KINDS:
        return f"report:{payload['report_id']}"
    return kind


_REPORT_KINDS: Final = frozenset({FORWARD_REPORT, EDIT_CARD, POST_ANSWER, HANDOFF_PACKET, CARD_MOVED, EVIDENCE_ALBUM})


def stale_warning(chat: str, episode: datetime, text: str) -> Owed:
    """The provincial group's warning that a group's cards wait too long: once per group and stale episode
    (`episode`: when the watch first found it late), however often the watch looks while it lasts and
    however many of its cards are delivered meanwhile."""
    return Owed(kind=OPS_WARNING, dedupe_key=f"stale:{chat}:{episode.isoformat()}", payload={"text": text})
