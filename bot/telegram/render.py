"""Turning the core's replies into Telegram messages, and sending them politely."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Final

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.outbox import RetryLater
from handlers.common.events import Reply, RequestKeyboard
from locales import t

log = logging.getLogger(__name__)

NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
MAX_INTERACTIVE_WAIT: Final = 10.0


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's flood wait in seconds, whichever form (int or timedelta) PTB gives it in."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def flood_control(exc: RetryAfter) -> RetryLater:
    """The outbox's answer to a 429: wait what Telegram asked, and a little more."""
    return RetryLater(retry_after_seconds(exc) + 0.1, "telegram flood control")


def markup_for(reply: Reply, locale: str) -> Markup:
    if reply.request is not None:
        # Telegram asks for a contact or location only from a reply keyboard; the other buttons
        # come back as typed text, which the core matches to their labels.
        key = "report.share_contact" if reply.request is RequestKeyboard.CONTACT else "report.share_location"
        ask = KeyboardButton(
            t(locale, key),
            request_contact=reply.request is RequestKeyboard.CONTACT,
            request_location=reply.request is RequestKeyboard.LOCATION,
        )
        rows = [[ask]] + [[KeyboardButton(b.label) for b in row] for row in reply.buttons]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True, is_persistent=False)
    if reply.buttons:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
        )
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


async def send_reply(bot: Bot, chat_id: int, reply: Reply, locale: str) -> Message | None:
    """Send one reply; a short 429 or a network blip is retried, anything else is logged."""
    for attempt in range(3):
        try:
            return await bot.send_message(
                chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=markup_for(reply, locale),
                link_preview_options=NO_PREVIEW,
            )
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > MAX_INTERACTIVE_WAIT:
                log.warning("reply dropped: flood wait %.0fs too long", wait)
                return None
            await asyncio.sleep(wait)
        except (TimedOut, NetworkError) as exc:
            if attempt == 2:
                log.warning("reply failed after retries: %s", type(exc).__name__)
                return None
            await asyncio.sleep(0.5 * (attempt + 1))
    return None
