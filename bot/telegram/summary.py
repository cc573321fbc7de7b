"""The daily summary on Telegram: the daily job, the start-up catch-up, `/ringkasan`, and the delivery.

Hooked into TelegramChannel with two lines (construct, then `start()` in post_init). Delivery goes
through the outbox (kind `summary`): text, then chart, then spreadsheet, each step recorded in the
item's progress so a retry after Telegram's flood control resumes instead of repeating.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, filters

from bot.outbox import GiveUp, RetryLater
from bot.services import Services
from bot.telegram.render import NO_PREVIEW, flood_control
from handlers.common.owed import SUMMARY
from handlers.common.when import DateError, DateInFuture, format_long_date, parse_incident_date
from handlers.summary.service import OwedSummary, RenderedSummary, SummaryService
from locales import normalize_locale, t
from storage.db import utcnow
from storage.models import OutboxItem

log = logging.getLogger(__name__)

COMMAND: Final = "ringkasan"
JOB_NAME: Final = "daily-summary"
# PTB counts run_daily's days from Sunday = 0; every day of the week is all seven either way.
EVERY_DAY: Final = (0, 1, 2, 3, 4, 5, 6)
# Handled before the citizen and triage handlers (group 0), and stops there: "/ringkasan" in a private
# chat must be refused, not read as an answer in a citizen's draft.
COMMAND_GROUP: Final = -1
# A busy event loop may wake the job late; it must still run rather than be skipped as a misfire.
MISFIRE_GRACE_SECONDS: Final = 3600
# A wrong SUMMARY_CHAT_ID is retried every RETRY_BAD_CHAT seconds for about a day, then given up.
RETRY_BAD_CHAT: Final = 300.0
MAX_BAD_CHAT_ATTEMPTS: Final = 288
MAX_AGE_DAYS: Final = 3650

Progress = dict[str, object]
SaveProgress = Callable[[Progress], Awaitable[None]]


async def send_summary(
    bot: Bot, chat_id: int, rendered: RenderedSummary, locale: str, *,
    progress: Progress | None = None, save: SaveProgress | None = None,
) -> None:
    """Text, chart, spreadsheet, in that order; steps already in `progress` are skipped."""
    done: Progress = dict(progress or {})

    async def mark(step: str, message_id: int) -> None:
        done[step] = message_id
        if save is not None:
            await save(done)  # at once: a retry after the next step fails must not repeat this one

    day = format_long_date(rendered.day, locale)
    if "text" not in done:
        message = await bot.send_message(chat_id, rendered.text, parse_mode=ParseMode.HTML,
                                          link_preview_options=NO_PREVIEW)
        await mark("text", message.message_id)
    if rendered.chart is not None and "chart" not in done:
        message = await bot.send_photo(chat_id, rendered.chart, filename=f"{rendered.stem}.png",
                                       caption=t(locale, "summary.chart_caption", date=day))
        await mark("chart", message.message_id)
    if rendered.sheet is not None and "sheet" not in done:
        message = await bot.send_document(chat_id, rendered.sheet, filename=f"{rendered.stem}.xlsx",
                                          caption=t(locale, "summary.sheet_caption", date=day))
        await mark("sheet", message.message_id)


class TelegramSummary:
    """Wires the summary service into one PTB Application."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], services: Services, *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.application = application
        self.settings = services.settings
        self._outbox = services.store.outbox
        self.service = SummaryService(services.store.db, services.regions, services.settings, clock=clock,
                                      wake=services.outbox.wake)
        services.outbox.register(SUMMARY, self.deliver)
        application.add_handler(
            CommandHandler(COMMAND, self.on_command, filters=filters.UpdateType.MESSAGE), group=COMMAND_GROUP,
        )

    @property
    def chats(self) -> frozenset[int]:
        """Where /ringkasan answers: the governor's office chat and the supervisors' group."""
        return frozenset(c for c in (self.settings.summary_chat_id, self.settings.supervisor_chat_id) if c is not None)

    async def start(self) -> None:
        """In post_init: schedule the daily job, then send what downtime left owed."""
        settings = self.settings
        if settings.summary_chat_id is None:
            log.info("daily summary is off: SUMMARY_CHAT_ID is not set")
            return
        job_queue = self.application.job_queue
        if job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
            log.error("daily summary is off: python-telegram-bot was installed without its job queue")
            return
        for language in ("id", "en"):
            menu = [BotCommand(COMMAND, t(language, "summary.cmd_ringkasan"))]
            await self.application.bot.set_my_commands(
                menu, scope=BotCommandScopeChat(settings.summary_chat_id),
                language_code=None if language == settings.default_locale else language,
            )
        job_queue.run_daily(
            self.on_schedule, time=settings.summary_time.replace(tzinfo=settings.tz), days=EVERY_DAY,
            name=JOB_NAME, job_kwargs={"misfire_grace_time": MISFIRE_GRACE_SECONDS, "coalesce": True},
        )
        try:
            await self.service.record_owed()
        except Exception:
            # The bot must start even if the catch-up fails; the next daily run catches up again.
            log.exception("could not queue the summaries owed at start-up")

    async def on_schedule(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The daily job: queue yesterday's summary (and any day missed before it)."""
        await self.service.record_owed()

    async def deliver(self, item: OutboxItem) -> None:
        """The outbox deliverer of `summary`: to the office chat configured now, resuming where it stopped."""
        chat_id = self.settings.summary_chat_id
        if chat_id is None:
            raise GiveUp("SUMMARY_CHAT_ID is not set")
        owed = OwedSummary.from_payload(item.payload)
        service = self.service
        progress = dict(item.progress)
        rendered = RenderedSummary(
            owed.figures.day, service.text(owed),
            await service.chart(owed.figures) if "chart" not in progress else None,
            await service.sheet(owed.figures) if "sheet" not in progress else None,
            service.stem(owed.figures.day),
        )

        async def save(done: Progress) -> None:
            await self._outbox.save_progress(item.id, done)

        try:
            await send_summary(self.application.bot, chat_id, rendered, service.locale, progress=progress,
                               save=save)
        except RetryAfter as exc:
            raise flood_control(exc) from exc
        except (BadRequest, Forbidden) as exc:
            # A wrong SUMMARY_CHAT_ID or a bot removed from the chat: loud, retried until fixed, for a day.
            log.error("cannot post the daily summary: %s", exc.message)
            if item.attempts >= MAX_BAD_CHAT_ATTEMPTS:
                raise GiveUp(type(exc).__name__) from exc
            raise RetryLater(RETRY_BAD_CHAT, type(exc).__name__) from exc
        log.info("daily summary of %s delivered", owed.figures.day.isoformat())

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ringkasan [date]: the summary of yesterday or of that date, in the two chats that may see it."""
        chat = update.effective_chat
        message = update.effective_message
        if chat is None or message is None:
            return
        service = self.service
        if chat.id not in self.chats:
            user = update.effective_user
            locale = normalize_locale(user.language_code if user else None, self.settings.default_locale)
            await message.reply_text(t(locale, "summary.not_here"))
            raise ApplicationHandlerStop
        locale = service.locale
        today = service.today()
        argument = " ".join(context.args or ())
        try:
            day = (parse_incident_date(argument, today, max_age_days=MAX_AGE_DAYS) if argument
                   else today - timedelta(days=1))
        except DateInFuture:
            await message.reply_text(t(locale, "summary.future"))
            raise ApplicationHandlerStop from None
        except DateError:
            await message.reply_text(t(locale, "summary.usage", example=(today - timedelta(days=1)).isoformat()))
            raise ApplicationHandlerStop from None
        rendered = await service.compose(day)
        try:
            await send_summary(context.bot, chat.id, rendered, locale)
        except RetryAfter:
            # On demand, nobody waits minutes for a retry: they can ask again.
            log.warning("/%s answer cut short by Telegram's flood control", COMMAND)
        raise ApplicationHandlerStop
