"""Turning the core's replies into Telegram messages, and sending them politely."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram.calls import retry_after_seconds
from handlers.common.events import Reply, RequestKeyboard
from locales import t

log = logging.getLogger(__name__)

NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
MAX_INTERACTIVE_WAIT: Final = 10.0


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


async def _send(bot: Bot, chat_id: int, reply: Reply, locale: str) -> Message:
    document = reply.document
    if document is None:
        return await bot.send_message(chat_id, reply.text, reply_markup=markup_for(reply, locale))
    return await bot.send_document(
        chat_id,
        InputFile(document.data, filename=document.filename),
        caption=reply.text or None,
        disable_content_type_detection=True,
    )


async def send_reply(bot: Bot, chat_id: int, reply: Reply, locale: str) -> Message | None:
    """Send one reply; a short 429 or a network blip is retried, anything else is logged."""
    for attempt in range(3):
        try:
            return await _send(bot, chat_id, reply, locale)
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > MAX_INTERACTIVE_WAIT:
                log.warning("reply dropped: flood wait %.0fs too long", wait)
                return None
            await asyncio.sleep(wait)
        except BadRequest as exc:  # a NetworkError to PTB, but the same request cannot succeed
            log.error("reply refused by Telegram: %s", exc.message)
            return None
        except (TimedOut, NetworkError) as exc:
            if attempt == 2:
                log.warning("reply failed after retries: %s", type(exc).__name__)
                return None
            await asyncio.sleep(0.5 * (attempt + 1))
    return None
