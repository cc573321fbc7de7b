"""Triage in the supervisors' Telegram group: card buttons, force-reply prompts, and the wiring.

Who may triage: a press, reply or command counts only from the configured group, by a user who is a
member of it (getChatMember, cached for a minute) and on SUPERVISOR_IDS when that list is set. Anything
else is refused with a short alert and logged without names or ids. Button data is decoded and checked
against the state table and the report's current state before anything moves (handlers/triage/machine.py).
"""

from __future__ import annotations

import logging
from datetime import time

from telegram import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from bot.telegram.calls import answer_query, tolerate_not_modified
from bot.telegram.render import markup_for
from bot.telegram.triage.commands import TriageCommands
from bot.telegram.triage.guard import SupervisorGuard, supervisor_of
from handlers.common.callbacks import TRIAGE_PAGE
from handlers.common.events import Button, Reply
from handlers.common.text import esc
from handlers.triage.machine import (
    TYPED_REASON,
    Action,
    ForwardTarget,
    Press,
    RejectReason,
    Supervisor,
    action_key,
    decode,
    forward_menu,
    main_buttons,
    reject_menu,
)
from handlers.triage.replies import PromptReplies, refusal_key
from handlers.triage.service import MoveResult, Outcome, TriageService
from locales import t, tn

log = logging.getLogger(__name__)


def inline(buttons: tuple[tuple[Button, ...], ...], locale: str) -> InlineKeyboardMarkup | None:
    markup = markup_for(Reply("-", buttons), locale)
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


class TelegramTriage:
    """The group's side of triage: card buttons, prompt replies and the morning reminder (wired by bot/app.py)."""

    def __init__(
        self, service: TriageService, guard: SupervisorGuard, commands: TriageCommands, reminder_time: time
    ) -> None:
        self.service = service
        self.guard = guard
        self.commands = commands
        self.chat_id = guard.chat_id
        self.locale = service.locale
        self.replies = PromptReplies(service)
        self.reminder_time = reminder_time

    async def morning_reminder(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Post the untriaged reports whose Bawaslu window closes within two days (once per day)."""
        if await self.service.enqueue_reminder(self.service.today()):
            log.info("morning reminder queued")

    # ---------------------------------------------------------------- buttons

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A card or list button: check who and where, then move, open a menu or ask for text."""
        query = update.callback_query
        if query is None:
            return
        message = query.message
        refusal = await self.guard.refusal(message.chat.id if message else None, query.from_user)
        if refusal is not None:
            log.warning("triage press refused (%s)", refusal.removeprefix("triage."))
            await self._alert(query, refusal)
            return
        data = query.data or ""
        if TRIAGE_PAGE.owns(data):
            await self.commands.on_page(query, data)
            return
        press = decode(data)
        if press is None or message is None:
            log.warning("triage press refused (malformed data)")
            await self._alert(query, "triage.refused_forged")
            return
        supervisor = supervisor_of(query.from_user)
        if press.action is None:
            await self._back(query, press)
        elif press.action in (Action.REJECT, Action.FORWARD) and press.choice is None:
            await self._menu(query, press)
        elif press.action is Action.REQUEST_INFO or press.choice == TYPED_REASON:
            await self._prompt(query, press, supervisor)
        else:
            await self._move(query, press, supervisor)

    async def _alert(self, query: CallbackQuery, key: str, **values: object) -> None:
        await answer_query(query, t(self.locale, key, **values), show_alert=True)

    async def _refuse(self, query: CallbackQuery, outcome: Outcome) -> None:
        code = outcome.report.code if outcome.report else ""
        log.info("triage press not executed (%s)", outcome.result)
        await self._alert(query, refusal_key(outcome.result), code=code)

    async def _set_keyboard(self, query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
        message = query.message
        assert message is not None
        await tolerate_not_modified(
            query.get_bot().edit_message_reply_markup(message.chat.id, message.message_id, reply_markup=markup)
        )

    async def _back(self, query: CallbackQuery, press: Press) -> None:
        report = await self.service.store.reports.get(press.report_id)
        if report is None:
            await self._alert(query, "triage.refused_unknown")
            return
        if report.state != press.expected:
            await self._alert(query, "triage.card_changed", code=report.code)
            return
        await answer_query(query)
        await self._set_keyboard(query, inline(main_buttons(report.id, report.state, self.locale), self.locale))

    async def _menu(self, query: CallbackQuery, press: Press) -> None:
        """Tolak and Teruskan first ask which reason or which institution, on the card itself."""
        assert press.action is not None
        outcome = await self.service.check(press.report_id, press.action, press.expected)
        if outcome.result is not MoveResult.DONE:
            await self._refuse(query, outcome)
            return
        builder = reject_menu if press.action is Action.REJECT else forward_menu
        await answer_query(query, t(self.locale, f"triage.menu_{press.action.value}"))
        await self._set_keyboard(query, inline(builder(press.report_id, press.expected, self.locale), self.locale))

    async def _prompt(self, query: CallbackQuery, press: Press, supervisor: Supervisor) -> None:
        """Minta info and a typed reason: a force-reply prompt whose reply carries the text."""
        assert press.action is not None and query.message is not None
        outcome = await self.service.check(press.report_id, press.action, press.expected)
        if outcome.result is not MoveResult.DONE or outcome.report is None:
            await self._refuse(query, outcome)
            return
        report = outcome.report
        kind = "question" if press.action is Action.REQUEST_INFO else "reason"
        await answer_query(query, t(self.locale, f"triage.prompt_{kind}_toast"))
        mention = f'<a href="tg://user?id={supervisor.user_id}">{esc(supervisor.name)}</a>'
        prompt = await query.get_bot().send_message(
            self.chat_id,
            t(self.locale, f"triage.prompt_{kind}", mention=mention, code=report.code),
            reply_parameters=ReplyParameters(query.message.message_id, allow_sending_without_reply=True),
            # Selective: only the mentioned supervisor's client opens the reply field.
            reply_markup=ForceReply(
                selective=True, input_field_placeholder=t(self.locale, f"triage.prompt_{kind}_placeholder")
            ),
        )
        await self.service.triage.add_prompt(
            self.chat_id, prompt.message_id, report.id, kind, supervisor.user_id, press.expected
        )
        if kind == "reason":
            await self._set_keyboard(query, inline(main_buttons(report.id, report.state, self.locale), self.locale))

    async def _move(self, query: CallbackQuery, press: Press, supervisor: Supervisor) -> None:
        assert press.action is not None
        reason = RejectReason(press.choice) if press.action is Action.REJECT and press.choice else None
        target = ForwardTarget(press.choice) if press.action is Action.FORWARD and press.choice else None
        outcome = await self.service.move(
            press.report_id, press.action, press.expected, supervisor, reason=reason, target=target
        )
        if outcome.result is not MoveResult.DONE or outcome.report is None:
            await self._refuse(query, outcome)
            return
        await answer_query(
            query,
            t(self.locale, "triage.done", action=t(self.locale, action_key(press.action)), code=outcome.report.code),
        )

    # ---------------------------------------------------------------- replies with a question or a reason

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to a prompt (or, by the prompt's supervisor, to the card): the question or the reason."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or message.text is None:
            return
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return  # supervisors talking among themselves
        if message.chat_id != self.chat_id:
            return
        prompt = await self.replies.prompt_for(message.chat_id, replied.message_id, user.id)
        if prompt is None:
            return  # a comment on the card, not an answer to a prompt
        refusal = await self.guard.refusal(message.chat_id, user)
        if refusal is not None:
            log.warning("triage reply refused (%s)", refusal.removeprefix("triage."))
            await self._say(message, refusal)
            return
        said = await self.replies.answer(prompt, message.text, supervisor_of(user))
        if said is None:
            return
        if said.refused is not None:
            log.info("triage reply not executed (%s)", said.refused)
        if said.count is not None:
            await message.reply_text(tn(self.locale, said.key, said.count, **said.values))
        else:
            await self._say(message, said.key, **said.values)

    async def _say(self, message: Message, key: str, **values: object) -> Message:
        return await message.reply_text(t(self.locale, key, **values))
