"""Outbox deliverers of triage's group messages: card edits, reporters' answers, the morning reminder.

They follow the forwarder's retry rules (bot/telegram/calls.py): Telegram's 429 becomes
`RetryLater(retry_after)`, a group the bot cannot write to is retried loudly every five minutes, and
network errors fall to the worker's exponential backoff. A card edit renders the card as it is *now*,
so an older edit that is superseded by a pending newer one is skipped, and "message is not modified"
counts as done.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.render import markup_for
from handlers.common.events import Reply
from handlers.common.owed import EDIT_CARD
from handlers.common.text import esc_within
from handlers.report.intake import PREVIEW_KIND
from handlers.triage.machine import main_buttons
from handlers.triage.service import TriageService
from locales import t
from storage.models import OutboxItem, Report

log = logging.getLogger(__name__)

_CARD_NOT_POSTED: Final = 30.0
_GROUP_UNWRITABLE: Final = 300.0
ANSWER_TEXT_MAX: Final = 3500
# As the forwarder's (bot/telegram/group.py): a send Telegram answered slowly must not be repeated.
GROUP_SEND_TIMEOUT: Final = 60.0
# Telegram's answers to a text it will not take as it is; any other BadRequest (a wrong chat) is not
# about the text, and a shorter text would not help.
_TEXT_REFUSALS: Final = ("too long", "can't parse entities", "text is empty")
_TAG_RE: Final = re.compile(r"<[^>]*>")
_PLAIN_MAX: Final = 4000
T = TypeVar("T")


def text_refused(exc: BadRequest) -> bool:
    return any(refusal in exc.message.lower() for refusal in _TEXT_REFUSALS)


def plain_text(text: str) -> str:
    """The card without markup, for the last resort of sending it with no parse mode."""
    return html.unescape(_TAG_RE.sub("", text))[:_PLAIN_MAX]


def group_unwritable(exc: TelegramError) -> RetryLater:
    """A wrong SUPERVISOR_CHAT_ID or a bot removed from the group: retried, loudly, until it is fixed,
    because what was owed must reach the supervisors then."""
    return RetryLater(_GROUP_UNWRITABLE, type(exc).__name__)


class TriageCard:
    """The report's card as the group sees it: the first post, every edit and /laporan."""

    def __init__(self, service: TriageService) -> None:
        self._service = service

    async def text(self, report: Report, *, short: bool = False) -> str:
        return (await self._service.card(report, short=short)).text

    async def post(self, report: Report, send: Callable[[str, bool], Awaitable[T]]) -> T:
        """Send (or edit) the card with `send(text, html)`; a text Telegram refuses is sent shortened,
        then as plain text: a card is never stuck on its own length or markup. Each refusal is logged as
        an error, because it means a limit is counted wrongly somewhere."""
        try:
            return await send(await self.text(report), True)
        except BadRequest as exc:
            if not text_refused(exc):
                raise
            log.error("card of %s refused by Telegram (%s); sending it shortened", report.code, exc.message)
        short = await self.text(report, short=True)
        try:
            return await send(short, True)
        except BadRequest as exc:
            if not text_refused(exc):
                raise
            log.error("short card of %s refused by Telegram (%s); sending it as plain text", report.code, exc.message)
        return await send(plain_text(short), False)

    def markup(self, report: Report) -> InlineKeyboardMarkup | None:
        """The keyboard of the report's state."""
        locale = self._service.locale
        markup = markup_for(Reply("-", main_buttons(report.id, report.state, locale)), locale)
        return markup if isinstance(markup, InlineKeyboardMarkup) else None


class CardEditor:
    """`triage_edit_card`: the card edited in place to the report's current state and buttons."""

    def __init__(self, bot: Bot, service: TriageService, card: TriageCard) -> None:
        self._bot = bot
        self._service = service
        self._card = card

    async def __call__(self, item: OutboxItem) -> None:
        service = self._service
        report_id = int(str(item.payload["report_id"]))
        if await service.triage.newer_pending(EDIT_CARD, item.id, report_id):
            return  # a newer edit of the same card will show everything this one would
        report = await service.store.reports.get(report_id)
        if report is None:
            raise GiveUp("no such report")
        if report.card_chat_id is None or report.card_message_id is None:
            raise RetryLater(_CARD_NOT_POSTED, "card not posted yet")
        chat_id, message_id, markup = report.card_chat_id, report.card_message_id, self._card.markup(report)

        async def send(text: str, as_html: bool) -> object:
            return await self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=markup,
                parse_mode=ParseMode.HTML if as_html else None,
            )

        edit = self._card.post(report, send)

        def refused(exc: TelegramError) -> GiveUp | RetryLater:
            if isinstance(exc, BadRequest):
                # A deleted card or a rejected text: retrying the same edit cannot succeed.
                return GiveUp(exc.message)
            return group_unwritable(exc)

        await for_outbox(edit, f"card edit of {report.code}", refused=refused, edit=True)


class AnswerPoster:
    """`triage_post_answer`: a reporter's answer (text or photo) posted as a reply to the card."""

    def __init__(self, bot: Bot, service: TriageService) -> None:
        self._bot = bot
        self._service = service

    async def __call__(self, item: OutboxItem) -> None:
        service = self._service
        event = await service.triage.event(int(str(item.payload["event_id"])))
        report = await service.store.reports.get(int(str(item.payload["report_id"])))
        if event is None or report is None:
            raise GiveUp("no such event")
        if report.card_chat_id is None or report.card_message_id is None:
            raise RetryLater(_CARD_NOT_POSTED, "card not posted yet")
        reporter = await service.store.reporters.get(report.reporter_id)
        pseudonym = reporter.pseudonym if reporter else "?"
        reply = ReplyParameters(report.card_message_id, allow_sending_without_reply=True)
        chat_id = report.card_chat_id
        locale = service.locale
        detail = event.detail or ""
        what = f"answer for {report.code}"
        if detail.startswith("photo:"):
            # The metadata-free preview, like the first album: originals stay with /bukti.
            preview = await service.store.files.get_derived(detail[6:], PREVIEW_KIND)
            caption = t(locale, "triage.answer_post_photo", code=report.code, pseudonym=pseudonym)
            await for_outbox(
                self._bot.send_photo(
                    chat_id,
                    preview,
                    caption=caption,
                    reply_parameters=reply,
                    read_timeout=GROUP_SEND_TIMEOUT,
                    write_timeout=GROUP_SEND_TIMEOUT,
                ),
                what,
                refused=group_unwritable,
            )
        else:
            text = t(
                locale,
                "triage.answer_post_text",
                code=report.code,
                pseudonym=pseudonym,
                text=esc_within(event.note or "", ANSWER_TEXT_MAX),
            )
            await for_outbox(
                self._bot.send_message(
                    chat_id,
                    text,
                    reply_parameters=reply,
                    read_timeout=GROUP_SEND_TIMEOUT,
                    write_timeout=GROUP_SEND_TIMEOUT,
                ),
                what,
                refused=group_unwritable,
            )


class GroupPoster:
    """`triage_group_post`: a ready-made message to the group (the morning reminder)."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id

    async def __call__(self, item: OutboxItem) -> None:
        await for_outbox(
            self._bot.send_message(
                self._chat_id,
                str(item.payload["text"]),
                read_timeout=GROUP_SEND_TIMEOUT,
                write_timeout=GROUP_SEND_TIMEOUT,
            ),
            "group post",
            refused=group_unwritable,
        )
