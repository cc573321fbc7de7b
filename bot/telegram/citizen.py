"""The citizen's side on Telegram: private-chat updates become core events, replies become messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from telegram import Bot, File, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.coalesce import Coalescer
from bot.telegram.calls import answer_query, retry_after_seconds
from bot.telegram.render import send_reply
from handlers.common.events import (
    Choice,
    Event,
    FetchFailed,
    Image,
    Location,
    Reply,
    SharedContact,
    Text,
    Unsupported,
    UnsupportedKind,
    parse_command,
)
from handlers.report.intake import Intake
from locales import normalize_locale, t
from storage.models import Channel

log = logging.getLogger(__name__)

IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".webp", ".gif")
DOWNLOAD_RETRY_WAITS: Final = (0.3, 1.0, None)  # three tries within ~1.5 s; the sender's lock is held
MAX_DOWNLOAD_FLOOD_WAIT: Final = 5.0


def _downloader(get_file: Callable[[], Awaitable[File]]) -> Callable[[], Awaitable[bytes]]:
    """Fetch the bytes only when the core asks: oversized files are refused before any download."""

    async def fetch() -> bytes:
        # A blip (5xx, a dropped connection, a short 429) is retried: "send it again" is for real failures.
        for wait in DOWNLOAD_RETRY_WAITS:
            try:
                telegram_file = await get_file()
                return bytes(await telegram_file.download_as_bytearray())
            except RetryAfter as exc:
                flood = retry_after_seconds(exc)
                if wait is None or flood > MAX_DOWNLOAD_FLOOD_WAIT:
                    raise FetchFailed(type(exc).__name__) from exc
                await asyncio.sleep(flood)
            except BadRequest as exc:  # a NetworkError too, but retrying cannot help it
                raise FetchFailed(type(exc).__name__) from exc
            except NetworkError as exc:  # TimedOut included
                if wait is None:
                    raise FetchFailed(type(exc).__name__) from exc
                await asyncio.sleep(wait)
            except TelegramError as exc:
                raise FetchFailed(type(exc).__name__) from exc
        raise AssertionError("unreachable: the last wait is None")  # pragma: no cover

    return fetch


def event_from_message(message: Message) -> Event:
    """Translate one private message into the core's vocabulary."""
    if message.text is not None:
        if message.text.startswith("/"):
            return parse_command(message.text)
        return Text(message.text)
    if message.photo:
        largest = message.photo[-1]
        return Image(
            fetch=_downloader(largest.get_file),
            size=largest.file_size,
            group_id=message.media_group_id,
            source_id=largest.file_id,
        )
    if message.animation is not None:
        return Unsupported(UnsupportedKind.ANIMATION)
    if message.document is not None:
        doc = message.document
        name = (doc.file_name or "").lower()
        if (doc.mime_type or "").startswith("image/") or name.endswith(IMAGE_SUFFIXES):
            return Image(fetch=_downloader(doc.get_file), size=doc.file_size, group_id=message.media_group_id)
        return Unsupported(UnsupportedKind.DOCUMENT)
    if message.location is not None:
        return Location(message.location.latitude, message.location.longitude)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        return SharedContact(phone=contact.phone_number, name=name or None)
    kinds = {
        "sticker": UnsupportedKind.STICKER,
        "voice": UnsupportedKind.VOICE,
        "audio": UnsupportedKind.AUDIO,
        "video": UnsupportedKind.VIDEO,
        "video_note": UnsupportedKind.VIDEO,
        "poll": UnsupportedKind.POLL,
    }
    for attribute, kind in kinds.items():
        if getattr(message, attribute, None) is not None:
            return Unsupported(kind)
    return Unsupported(UnsupportedKind.OTHER)


class CitizenChat:
    """PTB callbacks for private chats, all funnelled into the one report service."""

    def __init__(self, intake: Intake, default_locale: str, album_delay: float = 1.2) -> None:
        self._intake = intake
        self._default_locale = default_locale
        self._albums = Coalescer(album_delay)

    async def flush(self) -> None:
        await self._albums.flush()

    async def receive_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any private message: translate it, let the core answer, send the answer."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None:
            return
        replied = message.reply_to_message
        await self._dispatch(
            update,
            message.chat_id,
            event_from_message(message),
            context,
            language=user.language_code,
            reply_to=str(replied.message_id) if replied is not None else None,
        )

    async def receive_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A citizen's inline button: answer the query at once, then treat it as a choice."""
        query = update.callback_query
        if query is None:
            return
        # "query is too old": Telegram allows ~15 s, which a restart or a replay outlasts. The press
        # itself still counts; only the spinner on the button stops late.
        await answer_query(query)
        message = query.message
        if message is None or message.chat.type != "private":
            return
        await self._dispatch(
            update, message.chat.id, Choice(query.data or ""), context, language=query.from_user.language_code
        )

    async def _dispatch(
        self,
        update: Update,
        chat_id: int,
        event: Event,
        context: ContextTypes.DEFAULT_TYPE,
        *,
        language: str | None,
        reply_to: str | None = None,
    ) -> None:
        answer = await self._intake.handle(
            Channel.TELEGRAM,
            str(chat_id),
            event,
            update_id=str(update.update_id),
            language_hint=language,
            reply_to=reply_to,
        )
        bot = context.bot
        for reply in answer.replies:
            if reply.coalesce_key is not None:
                self._albums.submit(f"{chat_id}:{reply.coalesce_key}", self._sender(bot, chat_id, reply, answer.locale))
            else:
                await self._send(bot, chat_id, reply, answer.locale)

    def _sender(self, bot: Bot, chat_id: int, reply: Reply, locale: str) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            await self._send(bot, chat_id, reply, locale)

        return send

    async def _send(self, bot: Bot, chat_id: int, reply: Reply, locale: str) -> None:
        # Old keyboards are left in place: clearing them costs an API call per step out of Telegram's
        # ~30 messages/s for the whole bot (bench/bench_intake.py), and the core already answers a
        # stale button politely.
        await send_reply(bot, chat_id, reply, locale)


def internal_error_text(language: str | None, default_locale: str) -> str:
    return t(normalize_locale(language, default_locale), "error.internal")
