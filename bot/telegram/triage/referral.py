"""/rujukan and /hasil in the supervisors' group: the receiving office's reference number and its outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.telegram.triage.guard import SupervisorGuard
from handlers.common.text import esc_within
from handlers.handoff.referral import ReferralError, parse_outcome, parse_reference
from handlers.triage.machine import Supervisor
from handlers.triage.service import MoveResult, TriageService
from locales import t
from storage.models import Report

log = logging.getLogger(__name__)


class ReferralCommands:
    def __init__(self, service: TriageService, guard: SupervisorGuard) -> None:
        self._service = service
        self._guard = guard
        self._locale = service.locale

    async def _start(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str
    ) -> tuple[Message, Supervisor, Report, str] | None:
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return None
        refusal = await self._guard.refusal(message.chat_id, user)
        if refusal is not None:
            log.warning("triage command refused (%s)", refusal.removeprefix("triage."))
            await message.reply_text(t(self._locale, refusal))
            return None
        code, _, rest = (message.text or "").partition(" ")[2].strip().partition(" ")
        if not code or not rest.strip():
            await message.reply_text(t(self._locale, usage))
            return None
        report = await self._service.store.reports.by_code(code)
        if report is None:
            await message.reply_text(t(self._locale, "triage.not_found", value=esc_within(code, 30)))
            return None
        if not self._guard.covers(message.chat_id, report):
            log.warning("triage command refused (another region's report)")
            await message.reply_text(t(self._locale, "triage.refused_region", code=report.code))
            return None
        return message, Supervisor(user.id, user.full_name), report, rest

    async def _finish(self, message: Message, report: Report, result: MoveResult) -> None:
        key = "triage.referral_saved" if result is MoveResult.DONE else "triage.referral_not_forwarded"
        await message.reply_text(t(self._locale, key, code=report.code))

    async def record_reference(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/rujukan KODE NOMOR: the office's registration number, told to the reporter and shown on the card."""
        await self._record(update, context, "triage.usage_rujukan", lambda rest: {"reference": parse_reference(rest)})

    async def record_outcome(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/hasil KODE HASIL [catatan]: how the office decided, told to the reporter and shown on the card."""
        await self._record(update, context, "triage.usage_hasil", lambda rest: {"outcome": parse_outcome(rest)})

    async def _record(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, parse: Callable[[str], dict[str, Any]]
    ) -> None:
        started = await self._start(update, context, usage)
        if started is None:
            return
        message, supervisor, report, rest = started
        try:
            entry = parse(rest)
        except ReferralError as exc:
            await message.reply_text(t(self._locale, exc.key))
            return
        done = await self._service.record_referral(report.id, supervisor, **entry)
        await self._finish(message, report, done.result)
