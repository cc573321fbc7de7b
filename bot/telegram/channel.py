"""The Telegram channel's machinery: the PTB `Application` as bot/app.py builds it, and its life cycle.

What it handles, and in which order, is wired by the composition root; here are the builder (transport,
the inbox that writes updates down before Telegram forgets them, the pacer, `Defaults`), the sender of
reporters' notices, the error handler, and running (polling or webhook; or inside a test's loop).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.notify import Sender
from bot.outbox import GiveUp
from bot.settings import Settings
from bot.telegram.calls import for_outbox
from bot.telegram.citizen import internal_error_text
from bot.telegram.inbox import TelegramInbox
from bot.telegram.pacer import Pacer
from bot.telegram.render import NO_PREVIEW, markup_for
from bot.telegram.transport import AiohttpRequest
from bot.telegram.webhook import WebhookSecret
from handlers.common.events import Reply
from storage.models import Reporter

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Hook = Callable[[TelegramApp], Coroutine[Any, Any, None]]
# Every message the bot writes is HTML (the catalogs escape what they interpolate), and no link unfurls
# into a preview: a reporter's link is evidence for the supervisors, not an advertisement.
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)


def build_application(
    settings: Settings, inbox: TelegramInbox, *, post_init: Hook, post_shutdown: Hook, pacer: Pacer | None
) -> TelegramApp:
    assert settings.telegram_bot_token is not None  # settings.require_telegram(), in bot/__main__.py
    api = settings.telegram_api_url.rstrip("/")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(DEFAULTS)
        .request(AiohttpRequest())  # bot/telegram/transport.py: why not PTB's default httpx
        .concurrent_updates(inbox.processor(64))
        .get_updates_request(inbox.request())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if pacer is not None:
        # Telegram's limits (20 a minute per group, sends and edits alike; ~1/s per private chat; ~30/s
        # overall), kept by our own limiter: priorities and coalesced card edits (bot/telegram/pacer.py).
        builder = builder.rate_limiter(pacer)
    return builder.build()


async def reach_bot_api(
    bot: Bot,
    api_url: str,
    *,
    first_delay: float = 1.0,
    max_delay: float = 60.0,
    sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
) -> None:
    """Initialise the bot (its getMe), waiting with backoff while the Bot API cannot be reached.

    A server that boots before its network (or a Telegram outage) must not end in a traceback: it says so
    in one line per attempt and carries on by itself. A refused token or request is not a network problem
    and is raised at once.
    """
    delay = first_delay
    while True:
        try:
            await bot.initialize()
            return
        except BadRequest:  # PTB's BadRequest is a NetworkError: not ours to retry
            raise
        except NetworkError as exc:
            log.warning(
                "the Bot API at %s cannot be reached (%s); retrying in %.0f s", api_url, type(exc).__name__, delay
            )
        await sleep(delay)
        delay = min(delay * 2, max_delay)


def seconds_since_answer(bot: Bot) -> float | None:
    """Seconds since Telegram last answered one of the bot's calls (None: not yet, or another transport)."""
    request = bot.request
    if isinstance(request, AiohttpRequest) and request.last_answer is not None:
        return time.monotonic() - request.last_answer
    return None


def reporter_sender(bot: Bot) -> Sender:
    """Deliver an outbox notice to a Telegram reporter; failures become the outbox's retry decisions."""

    def blocked(exc: Exception) -> GiveUp:
        return GiveUp("the reporter blocked the bot" if isinstance(exc, Forbidden) else type(exc).__name__)

    async def send(reporter: Reporter, reply: Reply, locale: str) -> str | None:
        message = await for_outbox(
            bot.send_message(int(reporter.address), reply.text, reply_markup=markup_for(reply, locale)),
            "notice to a reporter",
            refused=blocked,
            quiet_forbidden=True,
        )
        return str(message.message_id) if message is not None else None

    return send


def error_handler(default_locale: str) -> Callable[[object, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the machine's error first, then tell the citizen their draft is safe."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
            user = update.effective_user
            text = internal_error_text(user.language_code if user else None, default_locale)
            try:
                await context.bot.send_message(update.effective_chat.id, text)
            except Exception:
                log.warning("could not send the error notice")

    return on_error


def run(application: TelegramApp, settings: Settings) -> None:
    """Long polling, or a webhook when WEBHOOK_URL is set; blocks until SIGINT/SIGTERM."""
    if settings.webhook_url:
        # Settings refuse WEBHOOK_URL without WEBHOOK_SECRET; PTB's server then answers 403 to any other,
        # comparing through WebhookSecret in constant time.
        assert settings.webhook_secret is not None
        secret = WebhookSecret(settings.webhook_secret.get_secret_value())
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            close_loop=False,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)


@asynccontextmanager
async def polling(
    application: TelegramApp, post_init: Hook, post_shutdown: Hook, *, poll_timeout: int = 1
) -> AsyncIterator[TelegramApp]:
    """Start polling inside an existing event loop (tests, benchmarks); stop on exit.

    PTB calls post_init/post_shutdown only from run_polling/run_webhook, so they are called here.
    """
    await application.initialize()
    await post_init(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await post_shutdown(application)
        await application.shutdown()
