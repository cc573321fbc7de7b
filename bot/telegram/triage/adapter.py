"""Triage in the supervisors' Telegram group: card buttons, force-reply prompts, and the wiring.

Who may triage: a press, reply or command counts only from the configured group, by a user who is a
member of it (getChatMember, cached for a minute) and on SUPERVISOR_IDS when that list is set. Anything
else is refused with a short alert and logged without names or ids. Button data is decoded and checked
against the state table and the report's current state before anything moves (handlers/triage/machine.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMember,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.services import Services
from bot.telegram.group import GroupForwarder
from bot.telegram.render import NO_PREVIEW, markup_for
from bot.telegram.triage.commands import COMMANDS, PAGE_PREFIX, TriageCommands
from bot.telegram.triage.delivery import AnswerPoster, CardEditor, GroupPoster, card_markup
from handlers.common.events import Button, Reply
from handlers.common.owed import EDIT_CARD, GROUP_POST, POST_ANSWER
from handlers.common.text import esc
from handlers.triage.answers import TriageAnswers
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
from handlers.triage.service import (
    MAX_QUESTION,
    MAX_REASON,
    MoveResult,
    Outcome,
    TriageService,
    clean_note,
)
from locales import t
from storage.db import utcnow
from storage.reports import CardData

log = logging.getLogger(__name__)

MEMBER_CACHE_SECONDS: Final = 60.0
MEMBER_CACHE_MAX: Final = 2000
PROMPT_VALID: Final = timedelta(hours=2)
NAME_MAX: Final = 64
REMINDER_GRACE_SECONDS: Final = 3 * 3600
_MEMBER_STATUSES: Final = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})
_REFUSALS: Final[dict[MoveResult, str]] = {
    MoveResult.UNKNOWN: "triage.refused_unknown",
    MoveResult.ILLEGAL: "triage.refused_illegal",
    MoveResult.CHANGED: "triage.card_changed",
    MoveResult.INVALID: "triage.refused_forged",
}
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class SupervisorGuard:
    """Whether a chat and a user may triage; membership answers are cached briefly to spare the API."""

    def __init__(self, bot: Bot, chat_id: int, allow_list: frozenset[int], *,
                 ttl: float = MEMBER_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._bot = bot
        self.chat_id = chat_id
        self._allow = allow_list
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[int, tuple[bool, float]] = {}

    async def refusal(self, chat_id: int | None, user: User | None) -> str | None:
        """None when allowed, else the locale key of the short refusal."""
        if chat_id != self.chat_id:
            return "triage.refused_chat"
        if user is None or user.is_bot or (self._allow and user.id not in self._allow):
            return "triage.refused_member"
        if not await self._is_member(user.id):
            return "triage.refused_member"
        return None

    async def _is_member(self, user_id: int) -> bool:
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await self._bot.get_chat_member(self.chat_id, user_id)
        except BadRequest:
            allowed = False  # "user not found" and the like: not one of the group
        except TelegramError as exc:
            # Unknown is not yes: refuse this time, ask again next time (nothing cached).
            log.warning("membership check failed: %s", type(exc).__name__)
            return False
        else:
            allowed = member.status in _MEMBER_STATUSES
        if len(self._cache) >= MEMBER_CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[user_id] = (allowed, now + self._ttl)
        return allowed


def supervisor_of(user: User) -> Supervisor:
    name = user.full_name.strip() or (f"@{user.username}" if user.username else str(user.id))
    return Supervisor(user.id, name[:NAME_MAX])


def inline(buttons: tuple[tuple[Button, ...], ...], locale: str) -> InlineKeyboardMarkup | None:
    markup = markup_for(Reply("-", buttons), locale)
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


class TelegramTriage:
    """Installs triage into the Telegram channel: handlers, outbox deliverers, hooks and the daily job."""

    def __init__(self, services: Services, application: TelegramApp, forwarder: GroupForwarder) -> None:
        settings = services.settings
        assert settings.supervisor_chat_id is not None
        self._services = services
        self._app = application
        self._forwarder = forwarder
        self.chat_id = settings.supervisor_chat_id
        self.locale = settings.default_locale
        self.service = TriageService(services.store, services.regions, self.locale, settings.tz,
                                     on_enqueue=services.outbox.wake)
        self.answers = TriageAnswers(services.store, self.service.triage, services.intake.store_image,
                                     clock=utcnow, on_enqueue=services.outbox.wake)
        self.guard = SupervisorGuard(application.bot, self.chat_id, settings.supervisor_allow_list)
        self.commands = TriageCommands(self.service, self.guard, self.chat_id)
        self.reminder_time = settings.triage_reminder_time.replace(tzinfo=settings.tz)

    def install(self) -> None:
        services, app, service = self._services, self._app, self.service
        services.intake.add_router(self.answers.route)
        services.notifier.on_sent(self.answers.on_notice_sent)
        services.outbox.register(EDIT_CARD, CardEditor(app.bot, service))
        services.outbox.register(POST_ANSWER, AnswerPoster(app.bot, service))
        services.outbox.register(GROUP_POST, GroupPoster(app.bot, self.chat_id))
        # The first card already carries triage's lines and the buttons of `baru`.
        self._forwarder.card_markup = lambda report: card_markup(service, report)
        self._forwarder.card_render = self._render_card
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=r"^tr:"))
        replies = filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND
        app.add_handler(MessageHandler(replies, self.on_reply))
        self.commands.register(app)

    async def start(self) -> None:
        """At start-up: the group's command menu in both languages, and the morning reminder."""
        bot = self._app.bot
        scope = BotCommandScopeChat(self.chat_id)
        for language in ("id", "en"):
            commands = [BotCommand(name, t(language, f"triage.cmd_{name}")) for name in COMMANDS]
            # One menu per chat: the group also answers the summary's command, so it is listed here.
            commands.append(BotCommand("ringkasan", t(language, "summary.cmd_ringkasan")))
            default = language == self.locale
            await bot.set_my_commands(commands, scope=scope, language_code=None if default else language)
        if self._app.job_queue is not None:
            # run_daily runs in UTC unless the time carries its zone (STYLE §8).
            # A late wake (a busy loop, a suspended VM) still posts: the outbox dedupes by day anyway.
            self._app.job_queue.run_daily(self.morning_reminder, time=self.reminder_time, name="triage-reminder",
                                          job_kwargs={"misfire_grace_time": REMINDER_GRACE_SECONDS,
                                                      "coalesce": True})

    async def morning_reminder(self, context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        """Post the untriaged reports whose Bawaslu window closes within two days (once per day)."""
        if await self.service.enqueue_reminder(self.service.today()):
            log.info("morning reminder queued")

    async def _render_card(self, data: CardData) -> str:
        return (await self.service.card(data)).text

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
        if data.startswith(PAGE_PREFIX):
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
        await query.answer(t(self.locale, key, **values), show_alert=True)

    async def _refuse(self, query: CallbackQuery, outcome: Outcome) -> None:
        code = outcome.report.code if outcome.report else ""
        log.info("triage press not executed (%s)", outcome.result)
        await self._alert(query, _REFUSALS[outcome.result], code=code)

    async def _set_keyboard(self, query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
        message = query.message
        assert message is not None
        try:
            await self._app.bot.edit_message_reply_markup(message.chat.id, message.message_id, reply_markup=markup)
        except BadRequest as exc:
            if "message is not modified" not in exc.message:
                raise

    async def _back(self, query: CallbackQuery, press: Press) -> None:
        report = await self.service.store.reports.get(press.report_id)
        if report is None:
            await self._alert(query, "triage.refused_unknown")
            return
        if report.state != press.expected:
            await self._alert(query, "triage.card_changed", code=report.code)
            return
        await query.answer()
        await self._set_keyboard(query, inline(main_buttons(report.id, report.state, self.locale), self.locale))

    async def _menu(self, query: CallbackQuery, press: Press) -> None:
        """Tolak and Teruskan first ask which reason or which institution, on the card itself."""
        assert press.action is not None
        outcome = await self.service.check(press.report_id, press.action, press.expected)
        if outcome.result is not MoveResult.DONE:
            await self._refuse(query, outcome)
            return
        builder = reject_menu if press.action is Action.REJECT else forward_menu
        await query.answer(t(self.locale, f"triage.menu_{press.action.value}"))
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
        await query.answer(t(self.locale, f"triage.prompt_{kind}_toast"))
        mention = f'<a href="tg://user?id={supervisor.user_id}">{esc(supervisor.name)}</a>'
        prompt = await self._app.bot.send_message(
            self.chat_id, t(self.locale, f"triage.prompt_{kind}", mention=mention, code=report.code),
            parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
            reply_parameters=ReplyParameters(query.message.message_id, allow_sending_without_reply=True),
            # Selective: only the mentioned supervisor's client opens the reply field.
            reply_markup=ForceReply(selective=True,
                                    input_field_placeholder=t(self.locale, f"triage.prompt_{kind}_placeholder")),
        )
        await self.service.triage.add_prompt(self.chat_id, prompt.message_id, report.id, kind,
                                             supervisor.user_id, press.expected)
        if kind == "reason":
            await self._set_keyboard(query, inline(main_buttons(report.id, report.state, self.locale), self.locale))

    async def _move(self, query: CallbackQuery, press: Press, supervisor: Supervisor) -> None:
        assert press.action is not None
        reason = RejectReason(press.choice) if press.action is Action.REJECT and press.choice else None
        target = ForwardTarget(press.choice) if press.action is Action.FORWARD and press.choice else None
        outcome = await self.service.move(press.report_id, press.action, press.expected, supervisor,
                                          reason=reason, target=target)
        if outcome.result is not MoveResult.DONE or outcome.report is None:
            await self._refuse(query, outcome)
            return
        await query.answer(t(self.locale, "triage.done", action=t(self.locale, action_key(press.action)),
                             code=outcome.report.code))

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
        triage = self.service.triage
        prompt = await triage.prompt_at(message.chat_id, replied.message_id)
        if prompt is None:
            card_of = await triage.report_by_card(message.chat_id, replied.message_id)
            if card_of is None:
                return
            prompt = await triage.open_prompt(card_of.id, user.id, utcnow() - PROMPT_VALID)
            if prompt is None:
                return  # a comment on the card, not an answer to a prompt
        refusal = await self.guard.refusal(message.chat_id, user)
        if refusal is not None:
            log.warning("triage reply refused (%s)", refusal.removeprefix("triage."))
            await self._say(message, refusal)
            return
        if prompt.used_at is not None:
            return  # this prompt already carried its text (or the update was redelivered)
        question = prompt.kind == "question"
        limit = MAX_QUESTION if question else MAX_REASON
        text = clean_note(message.text, limit)
        if text is None:
            await self._say(message, "triage.text_too_long", max=limit)
            return
        if not await triage.use_prompt(prompt.chat_id, prompt.message_id, utcnow()):
            return
        action = Action.REQUEST_INFO if question else Action.REJECT
        outcome = await self.service.move(prompt.report_id, action, prompt.expected_state, supervisor_of(user),
                                          note=text)
        code = outcome.report.code if outcome.report else ""
        if outcome.result is MoveResult.DONE:
            await self._say(message, "triage.question_sent" if question else "triage.reason_done", code=code)
        else:
            log.info("triage reply not executed (%s)", outcome.result)
            await self._say(message, _REFUSALS[outcome.result], code=code)

    async def _say(self, message: Message, key: str, **values: object) -> Message:
        return await message.reply_text(t(self.locale, key, **values), parse_mode=ParseMode.HTML,
                                        link_preview_options=NO_PREVIEW)
