"""Outbox deliverers of triage's group messages: card edits, reporters' answers, the morning reminder.

They follow the forwarder's retry rules: Telegram's 429 becomes `RetryLater(retry_after)`, a group the
bot cannot write to is retried loudly every five minutes, and anything unexpected falls to the worker's
exponential backoff. A card edit renders the card as it is *now*, so an older edit that is superseded
by a pending newer one is skipped, and "message is not modified" counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.outbox import GiveUp, RetryLater
from bot.telegram.render import NO_PREVIEW, flood_control, markup_for
from handlers.common.events import Reply
from handlers.common.owed import EDIT_CARD
from handlers.common.text import esc_within
from handlers.report.intake import PREVIEW_KIND
from handlers.triage.machine import main_buttons
from handlers.triage.service import TriageService
from locales import t
from storage.models import OutboxItem, Report

log = logging.getLogger(__name__)

NOT_MODIFIED: Final = "message is not modified"
_CARD_NOT_POSTED: Final = 30.0
_GROUP_UNWRITABLE: Final = 300.0
ANSWER_TEXT_MAX: Final = 3500


def card_markup(service: TriageService, report: Report) -> InlineKeyboardMarkup | None:
    """The keyboard of the report's state, as the first card and every edit carry it."""
    markup = markup_for(Reply("-", main_buttons(report.id, report.state, service.locale)), service.locale)
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


async def _telegram(call: Callable[[], Awaitable[object]], what: str) -> None:
    """Run one Bot API call, turning Telegram's answers into the outbox's retry decisions."""
    try:
        await call()
    except RetryAfter as exc:
        raise flood_control(exc) from exc
    except Forbidden as exc:
        log.error("cannot write to the supervisors' group (%s): %s", what, exc.message)
        raise RetryLater(_GROUP_UNWRITABLE, "Forbidden") from exc


class CardEditor:
    """`triage_edit_card`: the card edited in place to the report's current state and buttons."""

    def __init__(self, bot: Bot, service: TriageService) -> None:
        self._bot = bot
        self._service = service

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
        view = await service.card(report)
        chat_id, message_id = report.card_chat_id, report.card_message_id

        async def edit() -> None:
            await self._bot.edit_message_text(
                view.text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                reply_markup=card_markup(service, report), link_preview_options=NO_PREVIEW,
            )

        try:
            await _telegram(edit, "card edit")
        except BadRequest as exc:
            if NOT_MODIFIED in exc.message:
                return
            # A deleted card or a rejected text: retrying the same edit cannot succeed.
            log.error("card of %s not edited: %s", report.code, exc.message)
            raise GiveUp(exc.message) from exc


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

        async def post() -> None:
            if detail.startswith("photo:"):
                # The metadata-free preview, like the first album: originals stay with /bukti.
                preview = await service.store.files.get_derived(detail[6:], PREVIEW_KIND)
                await self._bot.send_photo(
                    chat_id, preview, caption=t(locale, "triage.answer_post_photo", code=report.code,
                                                pseudonym=pseudonym),
                    parse_mode=ParseMode.HTML, reply_parameters=reply,
                )
            else:
                await self._bot.send_message(
                    chat_id, t(locale, "triage.answer_post_text", code=report.code, pseudonym=pseudonym,
                               text=esc_within(event.note or "", ANSWER_TEXT_MAX)),
                    parse_mode=ParseMode.HTML, reply_parameters=reply, link_preview_options=NO_PREVIEW,
                )

        try:
            await _telegram(post, "answer")
        except BadRequest as exc:
            log.error("answer for %s not posted: %s", report.code, exc.message)
            raise RetryLater(_GROUP_UNWRITABLE, "BadRequest") from exc


class GroupPoster:
    """`triage_group_post`: a ready-made message to the group (the morning reminder)."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id

    async def __call__(self, item: OutboxItem) -> None:
        text = str(item.payload["text"])

        async def post() -> None:
            await self._bot.send_message(self._chat_id, text, parse_mode=ParseMode.HTML,
                                         link_preview_options=NO_PREVIEW)

        try:
            await _telegram(post, "group post")
        except BadRequest as exc:
            log.error("group post not sent: %s", exc.message)
            raise RetryLater(_GROUP_UNWRITABLE, "BadRequest") from exc
