"""Which move a supervisor's reply to a force-reply prompt makes: the rule, apart from any chat.

A reply carries text for one prompt: the prompt it replies to, or (by the prompt's supervisor, within
PROMPT_VALID) the card the prompt was asked on. A question prompt becomes *Minta info* with the text as
the question; a reason prompt becomes *Tolak* with the text as the reason. A prompt carries text once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from handlers.triage.machine import Action, Supervisor
from handlers.triage.service import MAX_QUESTION, MAX_REASON, MoveResult, TriageService, clean_note
from storage.db import utcnow
from storage.models import Report
from storage.triage import Prompt

PROMPT_VALID: Final = timedelta(hours=2)
_REFUSALS: Final[dict[MoveResult, str]] = {
    MoveResult.UNKNOWN: "triage.refused_unknown",
    MoveResult.ILLEGAL: "triage.refused_illegal",
    MoveResult.CHANGED: "triage.card_changed",
    MoveResult.INVALID: "triage.refused_forged",
}


def refusal_key(result: MoveResult) -> str:
    """The locale key of the short answer to a move that was not made."""
    return _REFUSALS[result]


@dataclass(frozen=True, slots=True)
class Said:
    """What the group is told after a reply: a locale key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)
    refused: MoveResult | None = None  # the move was not made, and why (for the log)
    count: int | None = None  # set when `key` is a plural entry: the number that picks its form
    moved: Report | None = None  # the report as the move left it, when the move was made


class PromptReplies:
    def __init__(self, service: TriageService, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._service = service
        self._clock = clock

    async def prompt_for(self, chat_id: int, replied_message_id: int, user_id: int) -> Prompt | None:
        """The prompt a reply answers, or None when it is a comment on the card (or on anything else)."""
        triage = self._service.triage
        prompt = await triage.prompt_at(chat_id, replied_message_id)
        if prompt is not None:
            return prompt
        card_of = await triage.report_by_card(chat_id, replied_message_id)
        if card_of is None:
            return None
        return await triage.open_prompt(card_of.id, user_id, self._clock() - PROMPT_VALID)

    async def answer(self, prompt: Prompt, text: str, supervisor: Supervisor) -> Said | None:
        """Make the prompt's move with the text; None when the prompt already carried its text."""
        if prompt.used_at is not None:
            return None  # this prompt already carried its text (or the update was redelivered)
        question = prompt.kind == "question"
        limit = MAX_QUESTION if question else MAX_REASON
        note = clean_note(text, limit)
        if note is None:
            return Said("triage.text_too_long", {"max": limit}, count=limit)
        if not await self._service.triage.use_prompt(prompt.chat_id, prompt.message_id, self._clock()):
            return None
        action = Action.REQUEST_INFO if question else Action.REJECT
        outcome = await self._service.move(prompt.report_id, action, prompt.expected_state, supervisor, note=note)
        code = outcome.report.code if outcome.report else ""
        if outcome.result is MoveResult.DONE:
            return Said(
                "triage.question_sent" if question else "triage.reason_done", {"code": code}, moved=outcome.report
            )
        return Said(refusal_key(outcome.result), {"code": code}, outcome.result)
