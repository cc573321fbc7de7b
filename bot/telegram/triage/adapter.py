"""Triage in the supervisors' Telegram group: card buttons, force-reply prompts, and the wiring.

Who may triage: a press, reply or command counts only from the configured group, by a user who is a
member of it (getChatMember, cached for a minute) and on SUPERVISOR_IDS when that list is set. Anything
else is refused with a short alert and logged without names or ids. Button data is decoded and checked
against the state table and the report's current state before anything moves (handlers/triage/machine.py).
"""

from __future__ import annotations

import logging
from datetime import time

from telegram import Bot, CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.calls import answer_query, tolerate_not_modified
from bot.telegram.render import markup_for
from bot.telegram.triage.commands import TriageCommands
from bot.telegram.triage.delivery import TriageCard
from bot.telegram.triage.guard import SupervisorGuard, supervisor_of
from handlers.common import owed
from handlers.common.callbacks import TRIAGE_MOVE, TRIAGE_PAGE, TRIAGE_PHOTOS, number
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
    reject_menu,
)
from handlers.triage.regional import RegionalTriage, move_menu
from handlers.triage.replies import PromptReplies, refusal_key
from handlers.triage.service import MoveResult, Outcome, TriageService
from locales import t, tn
from storage.models import Report

log = logging.getLogger(__name__)


def inline(buttons: tuple[tuple[Button, ...], ...], locale: str) -> InlineKeyboardMarkup | None:
    markup = markup_for(Reply("-", buttons), locale)
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


class TelegramTriage:
    """The group's side of triage: card buttons, prompt replies and the morning reminder (wired by bot/app.py)."""

    def __init__(
        self,
        service: TriageService,
        guard: SupervisorGuard,
        commands: TriageCommands,
        reminder_time: time,
        *,
        regional: RegionalTriage,
        card: TriageCard,
        digest_minutes: int = 60,
    ) -> None:
        self.service = service
        self.guard = guard
        self.commands = commands
        self.regional = regional
        self.card = card
        self.locale = service.locale
        self.replies = PromptReplies(service)
        self.reminder_time = reminder_time
        self.digest_minutes = digest_minutes

    async def morning_reminder(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Post each group the untriaged reports whose Bawaslu window closes within two days (once per day)."""
        routing = self.regional.routing
        groups = [(g.chat_id, routing.scope(g.chat_id)) for g in routing.groups]
        if await self.service.enqueue_reminder(self.service.today(), groups):
            log.info("morning reminder queued")

    async def digest(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """The provincial group's digest of the period just ended, when anything changed in it."""
        if await self.regional.enqueue_digest(self.service.now(), self.digest_minutes):
            log.info("provincial digest queued")

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
        if TRIAGE_MOVE.owns(data) or TRIAGE_PHOTOS.owns(data):
            await self._card_extra(query, data)
            return
        press = decode(data)
        if press is None or message is None:
            log.warning("triage press refused (malformed data)")
            await self._alert(query, "triage.refused_forged")
            return
        report = await self.service.store.reports.get(press.report_id)
        if report is not None and not self.regional.covers(message.chat.id, report):
            log.warning("triage press refused (another region's report)")
            await self._alert(query, "triage.refused_region", code=report.code)
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
        await self._set_keyboard(query, await self.card.keyboard(report))

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
        chat_id = query.message.chat.id
        prompt = await query.get_bot().send_message(
            chat_id,
            t(self.locale, f"triage.prompt_{kind}", mention=mention, code=report.code),
            reply_parameters=ReplyParameters(query.message.message_id, allow_sending_without_reply=True),
            # Selective: only the mentioned supervisor's client opens the reply field.
            reply_markup=ForceReply(
                selective=True, input_field_placeholder=t(self.locale, f"triage.prompt_{kind}_placeholder")
            ),
        )
        await self.service.triage.add_prompt(
            chat_id, prompt.message_id, report.id, kind, supervisor.user_id, press.expected
        )
        if kind == "reason":
            await self._set_keyboard(query, await self.card.keyboard(report))

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
        if query.message is not None:
            await self._refresh_copy(query.get_bot(), query.message.chat.id, query.message.message_id, outcome.report)

    async def _refresh_copy(self, bot: Bot, chat_id: int, message_id: int, report: Report) -> None:
        """A move made on a copy of the card (/laporan in the provincial group), by a press or a reply to
        a prompt: the outbox edits the live card in the report's group; the copy, the only other card with
        buttons, shows the new state at once, so its buttons are the state's and not a stale press waiting
        to be refused."""
        if (chat_id, message_id) == (report.card_chat_id, report.card_message_id):
            return
        markup = await self.card.keyboard(report)

        async def send(text: str, as_html: bool) -> None:
            mode = ParseMode.HTML if as_html else None
            await tolerate_not_modified(
                bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup, parse_mode=mode
                )
            )

        try:
            await self.card.post(report, send)
        except TelegramError as exc:
            log.info("card copy not refreshed: %s", type(exc).__name__)

    # ---------------------------------------------------------------- the card's second row

    async def _card_extra(self, query: CallbackQuery, data: str) -> None:
        """ "📷 Bukti (n)" and "Pindah wilayah": the report's other photos, the groups, a move."""
        message = query.message
        move = TRIAGE_MOVE.unpack(data)
        parts = move if move is not None else TRIAGE_PHOTOS.unpack(data)
        numbers = [number(p, limit=10**11) for p in parts or []]
        if message is None or not numbers or None in numbers or len(numbers) not in ((1, 3) if move else (1,)):
            log.warning("triage press refused (malformed data)")
            await self._alert(query, "triage.refused_forged")
            return
        report = await self.service.store.reports.get(int(numbers[0] or 0))
        if report is None:
            await self._alert(query, "triage.refused_unknown")
            return
        chat_id = message.chat.id
        if not self.regional.covers(chat_id, report):
            log.warning("triage press refused (another region's report)")
            await self._alert(query, "triage.refused_region", code=report.code)
            return
        if move is None:
            await self._photos(query, report, chat_id, message.message_id)
        elif len(numbers) == 1:
            here = self.regional.index(self.regional.group_of(report))
            menu = move_menu(report.id, report.state, here, self.regional.targets(report), self.locale)
            await answer_query(query, t(self.locale, "triage.menu_move"))
            await self._set_keyboard(query, inline(menu, self.locale))
        else:
            await self._move_group(query, report, int(numbers[1] or 0), int(numbers[2] or 0))

    async def _photos(self, query: CallbackQuery, report: Report, chat_id: int, card: int) -> None:
        store = self.service.store
        if await store.reports.evidence_message(chat_id, card) is not None:
            await self._alert(query, "triage.photos_posted", code=report.code)
            return
        # Once per card however often it is pressed (the outbox's dedupe key): a second press before the
        # album is up is told the same.
        await store.outbox.enqueue(owed.evidence_album(report.id, chat_id, card))
        self.service.wake()
        await answer_query(query, t(self.locale, "triage.photos_coming", code=report.code))

    async def _move_group(self, query: CallbackQuery, report: Report, here: int, there: int) -> None:
        source, target = self.regional.chat_at(here), self.regional.chat_at(there)
        if source is None or target is None:
            log.warning("triage press refused (malformed data)")
            await self._alert(query, "triage.refused_forged")
            return
        outcome = await self.regional.move(report.id, target, supervisor_of(query.from_user), from_chat=source)
        if outcome.result is not MoveResult.DONE:
            await self._refuse(query, outcome)
            return
        await answer_query(query, t(self.locale, "triage.moved", code=report.code, target=self.regional.name(target)))

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
        if message.chat_id not in self.guard.chats:
            return
        prompt = await self.replies.prompt_for(message.chat_id, replied.message_id, user.id)
        if prompt is None:
            return  # a comment on the card, not an answer to a prompt
        refusal = await self.guard.refusal(message.chat_id, user)
        report = await self.service.store.reports.get(prompt.report_id)
        if refusal is None and report is not None and not self.regional.covers(message.chat_id, report):
            refusal = "triage.refused_region"
        if refusal is not None:
            log.warning("triage reply refused (%s)", refusal.removeprefix("triage."))
            await self._say(message, refusal, code=report.code if report else "")
            return
        said = await self.replies.answer(prompt, message.text, supervisor_of(user))
        if said is None:
            return
        if said.refused is not None:
            log.info("triage reply not executed (%s)", said.refused)
        if said.moved is not None and message.chat_id != said.moved.card_chat_id:
            # Made from the copy in this chat: the copy shows the move, as after a press on it.
            copy = await self.service.store.reports.latest_card_in(said.moved.id, message.chat_id)
            if copy is not None:
                await self._refresh_copy(context.bot, message.chat_id, copy, said.moved)
        if said.count is not None:
            await message.reply_text(tn(self.locale, said.key, said.count, **said.values))
        else:
            await self._say(message, said.key, **said.values)

    async def _say(self, message: Message, key: str, **values: object) -> Message:
        return await message.reply_text(t(self.locale, key, **values))
