"""The Telegram channel: the PTB `Application`, wired to the shared services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.housekeeping import Maintenance
from bot.outbox import GiveUp
from bot.services import Services
from bot.telegram.citizen import CitizenChat, internal_error_text
from bot.telegram.group import GroupForwarder
from bot.telegram.inbox import TelegramInbox
from bot.telegram.render import NO_PREVIEW, flood_control, markup_for
from bot.telegram.summary import TelegramSummary
from bot.telegram.transport import AiohttpRequest
from bot.telegram.triage.adapter import TelegramTriage
from handlers.common.events import Reply
from handlers.common.owed import FORWARD_REPORT
from locales import t
from storage.db import utcnow
from storage.models import Channel, Reporter

log = logging.getLogger(__name__)

CITIZEN_COMMANDS = ("start", "lapor", "status", "bahasa", "batal", "bantuan")
PRUNE_EVERY = timedelta(hours=24)
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramChannel:
    def __init__(self, services: Services, *, rate_limit: bool = True, album_delay: float = 1.2) -> None:
        settings = services.settings
        settings.require_telegram()
        assert settings.telegram_bot_token is not None and settings.supervisor_chat_id is not None
        self.services = services
        # Updates are written down before Telegram forgets them, and replayed after a crash.
        self.inbox = TelegramInbox(services.store.inbox)
        api = settings.telegram_api_url.rstrip("/")
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .request(AiohttpRequest())  # bot/telegram/transport.py: why not PTB's default httpx
            .concurrent_updates(self.inbox.processor(64))
            .get_updates_request(self.inbox.request())
            .post_init(self._post_init)
            .post_shutdown(self._post_shutdown)
        )
        if rate_limit:
            # Telegram's published limits: ~30 messages/s overall, 20/min to one group. Retries are
            # the outbox's job, so the limiter only paces (max_retries=0).
            builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=30, group_max_rate=20,
                                                          max_retries=0))
        self.application: TelegramApp = builder.build()
        self.citizen = CitizenChat(services.intake, settings.default_locale, album_delay=album_delay)
        self.citizen.register(self.application)
        self.forwarder = GroupForwarder(
            self.application.bot, services.store, services.regions, settings.supervisor_chat_id,
            settings.default_locale, settings.tz,
        )
        services.outbox.register(FORWARD_REPORT, self.forwarder)
        services.notifier.register(Channel.TELEGRAM, self._send_to_reporter)
        # Triage: card buttons and group commands, reporters' answers, card edits through the outbox.
        self.triage = TelegramTriage(services, self.application, self.forwarder)
        self.triage.install()
        self.summary = TelegramSummary(self.application, services)  # daily job, /ringkasan, delivery
        self.application.add_error_handler(self._on_error)

    async def _send_to_reporter(self, reporter: Reporter, reply: Reply, locale: str) -> str | None:
        """Deliver an outbox notice; failures become the outbox's retry decisions."""
        try:
            message = await self.application.bot.send_message(
                int(reporter.address), reply.text, parse_mode=ParseMode.HTML,
                reply_markup=markup_for(reply, locale), link_preview_options=NO_PREVIEW,
            )
        except RetryAfter as exc:
            raise flood_control(exc) from exc
        except Forbidden as exc:
            raise GiveUp("the reporter blocked the bot") from exc
        return str(message.message_id)

    async def _post_init(self, application: TelegramApp) -> None:
        await self._set_commands()
        await self.inbox.replay(application)
        self.services.outbox.start()
        await self.triage.start()
        await self.summary.start()
        if application.job_queue is not None:
            application.job_queue.run_repeating(self._prune, interval=PRUNE_EVERY, first=60, name="prune")
            settings = self.services.settings
            Maintenance(self.services.store, settings.contact_retention_days, settings.tz).schedule(
                application.job_queue)

    async def _prune(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Daily housekeeping: old update ids (Telegram redelivers for at most a day) and stale drafts."""
        now = utcnow()
        updates, drafts = await self.services.store.drafts.prune(now - timedelta(days=7), now - timedelta(days=30))
        log.info("pruned %d processed update ids and %d abandoned drafts", updates, drafts)

    async def _post_shutdown(self, application: TelegramApp) -> None:
        await self.citizen.flush()
        await self.services.outbox.stop()
        await self.inbox.stop()

    async def _set_commands(self) -> None:
        bot = self.application.bot
        scope = BotCommandScopeAllPrivateChats()
        for language in ("id", "en"):
            commands = [BotCommand(name, t(language, f"cmd.{name}")) for name in CITIZEN_COMMANDS]
            # Indonesian is the default menu; English users get theirs by language_code.
            await bot.set_my_commands(commands, scope=scope,
                                      language_code=None if language == "id" else language)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the machine's error first, then tell the citizen their draft is safe."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
            user = update.effective_user
            text = internal_error_text(user.language_code if user else None,
                                       self.services.settings.default_locale)
            try:
                await context.bot.send_message(update.effective_chat.id, text)
            except Exception:
                log.warning("could not send the error notice")

    def run(self) -> None:
        """Long polling, or a webhook when WEBHOOK_URL is set; blocks until SIGINT/SIGTERM."""
        settings = self.services.settings
        if settings.webhook_url:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            self.application.run_webhook(
                listen=settings.webhook_listen, port=settings.webhook_port, url_path="telegram",
                webhook_url=settings.webhook_url.rstrip("/") + "/telegram", secret_token=secret,
                allowed_updates=Update.ALL_TYPES, close_loop=False,
            )
        else:
            self.application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)

    @asynccontextmanager
    async def running(self, *, poll_timeout: int = 1) -> AsyncIterator[TelegramApp]:
        """Start polling inside an existing event loop (tests, benchmarks); stop on exit."""
        app = self.application
        await app.initialize()
        await self._post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout,
                                        allowed_updates=Update.ALL_TYPES)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            await self._post_shutdown(app)
            await app.shutdown()
