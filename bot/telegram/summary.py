"""The daily summary on Telegram: the daily job, the start-up catch-up, `/ringkasan`, and the delivery.

Wired by bot/app.py (the command, the job, the deliverer, the catch-up in post_init). Delivery goes
through the outbox (kind `summary`): text, then chart, then spreadsheet, each step recorded in the
item's progress so a retry after Telegram's flood control resumes instead of repeating.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

from telegram import Bot, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from handlers.common.when import DateError, DateInFuture, DateTooOld, format_long_date
from handlers.summary.schedule import MAX_AGE_DAYS, requested_day
from handlers.summary.service import OwedSummary, RenderedSummary, SummaryService
from locales import normalize_locale, t
from storage.models import OutboxItem
from storage.outbox import Outbox

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

Progress = dict[str, object]
SaveProgress = Callable[[Progress], Awaitable[None]]


async def send_summary(
    bot: Bot,
    chat_id: int,
    rendered: RenderedSummary,
    locale: str,
    *,
    progress: Progress | None = None,
    save: SaveProgress | None = None,
) -> None:
    """Text, chart, spreadsheet, in that order; steps already in `progress` are skipped."""
    done: Progress = dict(progress or {})

    async def mark(step: str, message_id: int) -> None:
        done[step] = message_id
        if save is not None:
            await save(done)  # at once: a retry after the next step fails must not repeat this one

    day = format_long_date(rendered.day, locale)
    if "text" not in done:
        message = await bot.send_message(chat_id, rendered.text)
        await mark("text", message.message_id)
    if rendered.chart is not None and "chart" not in done:
        message = await bot.send_photo(
            chat_id,
            rendered.chart,
            filename=f"{rendered.stem}.png",
            caption=t(locale, "summary.chart_caption", date=day),
        )
        await mark("chart", message.message_id)
    if rendered.sheet is not None and "sheet" not in done:
        message = await bot.send_document(
            chat_id,
            rendered.sheet,
            filename=f"{rendered.stem}.xlsx",
            caption=t(locale, "summary.sheet_caption", date=day),
        )
        await mark("sheet", message.message_id)


class TelegramSummary:
    """The summary on Telegram: /ringkasan, the daily job's callback, the start-up catch-up, the delivery."""

    def __init__(
        self,
        bot: Bot,
        service: SummaryService,
        outbox: Outbox,
        *,
        summary_chat_id: int | None,
        supervisor_chat_id: int | None,
        default_locale: str,
    ) -> None:
        self._bot = bot
        self.service = service
        self._outbox = outbox
        self.summary_chat_id = summary_chat_id
        self.supervisor_chat_id = supervisor_chat_id
        self.default_locale = default_locale

    @property
    def chats(self) -> frozenset[int]:
        """Where /ringkasan answers: the governor's office chat and the supervisors' group."""
        return frozenset(c for c in (self.summary_chat_id, self.supervisor_chat_id) if c is not None)

    async def catch_up(self) -> None:
        """In post_init: queue what downtime left owed."""
        if self.summary_chat_id is None:
            log.info("daily summary is off: SUMMARY_CHAT_ID is not set")
            return
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
        chat_id = self.summary_chat_id
        if chat_id is None:
            raise GiveUp("SUMMARY_CHAT_ID is not set")
        owed = OwedSummary.from_payload(item.payload)
        service = self.service
        progress = dict(item.progress)
        rendered = RenderedSummary(
            owed.figures.day,
            service.text(owed),
            await service.chart(owed.figures) if "chart" not in progress else None,
            await service.sheet(owed.figures) if "sheet" not in progress else None,
            service.stem(owed.figures.day),
        )

        async def save(done: Progress) -> None:
            await self._outbox.save_progress(item.id, done)

        def refused(exc: TelegramError) -> GiveUp | RetryLater:
            # A wrong SUMMARY_CHAT_ID or a bot removed from the chat: loud, retried until fixed, for a day.
            if item.attempts >= MAX_BAD_CHAT_ATTEMPTS:
                return GiveUp(type(exc).__name__)
            return RetryLater(RETRY_BAD_CHAT, type(exc).__name__)

        await for_outbox(
            send_summary(self._bot, chat_id, rendered, service.locale, progress=progress, save=save),
            "the daily summary",
            refused=refused,
        )
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
            locale = normalize_locale(user.language_code if user else None, self.default_locale)
            await message.reply_text(t(locale, "summary.not_here"))
            raise ApplicationHandlerStop
        locale = service.locale
        today = service.today()
        argument = " ".join(context.args or ())
        try:
            day = requested_day(argument, today)
        except DateInFuture:
            await message.reply_text(t(locale, "summary.future"))
            raise ApplicationHandlerStop from None
        except DateTooOld:
            await message.reply_text(t(locale, "summary.too_old", days=MAX_AGE_DAYS))
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
