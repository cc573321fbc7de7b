"""Outbox deliverers of triage's group messages: card edits, reporters' answers, the morning reminder.

They follow the forwarder's retry rules (bot/telegram/calls.py): Telegram's 429 becomes
`RetryLater(retry_after)`, a group the bot cannot write to is retried loudly every five minutes, and
network errors fall to the worker's exponential backoff. A card edit renders the card as it is *now*,
so an older edit that is superseded by a pending newer one is skipped, and "message is not modified"
counts as done. It looks again once its group's budget lets it go (the pacer's `turn`): in a saturated
group it may have waited minutes, and a move made meanwhile owes a newer edit that shows everything.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Final, TypeVar

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.render import markup_for
from handlers.common.events import Reply
from handlers.common.owed import EDIT_CARD
from handlers.common.text import esc, esc_within
from handlers.report.intake import PREVIEW_KIND
from handlers.triage.machine import main_buttons
from handlers.triage.regional import RegionalTriage, card_rows
from handlers.triage.service import TriageService
from locales import t
from storage.models import OutboxItem, Report

log = logging.getLogger(__name__)

_CARD_NOT_POSTED: Final = 30.0
CAPTION_MAX: Final = 1024
CARD_TEXT: Final = "text"
CARD_CAPTION: Final = "caption"
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
# Waits until a chat's budget allows one message, and holds it for the block (bot/telegram/pacer.py).
Turn = Callable[[int], AbstractAsyncContextManager[None]]


def no_wait(chat: int) -> AbstractAsyncContextManager[None]:
    """The turn without a pacer (tests and benchmarks that run without one): at once."""
    return contextlib.nullcontext()


def text_refused(exc: BadRequest) -> bool:
    return any(refusal in exc.message.lower() for refusal in _TEXT_REFUSALS)


def plain_text(text: str) -> str:
    """The card without markup, for the last resort of sending it with no parse mode."""
    return html.unescape(_TAG_RE.sub("", text))[:_PLAIN_MAX]


def group_unwritable(exc: TelegramError) -> RetryLater:
    """A wrong SUPERVISOR_CHAT_ID or a bot removed from the group: retried, loudly, until it is fixed,
    because what was owed must reach the supervisors then."""
    return RetryLater(_GROUP_UNWRITABLE, type(exc).__name__)


def caption_fits(card_html: str) -> bool:
    """Whether a card fits a photo's caption: 1,024 characters (code points, as Telegram counts a caption's
    length; an astral emoji is one) of text once the entities are parsed."""
    return len(html.unescape(_TAG_RE.sub("", card_html))) <= CAPTION_MAX


def caption_cut(card_html: str) -> str:
    """A card grown past the caption limit (answers, history): plain text cut to fit, with a mark."""
    plain = html.unescape(_TAG_RE.sub("", card_html))
    return plain if len(plain) <= CAPTION_MAX else plain[: CAPTION_MAX - 1] + "…"


class TriageCard:
    """The report's card as the group sees it: the first post, every edit and /laporan.

    A card is a message ("text") or, for a report with photos whose card fits, the first photo's caption
    ("caption"): one message in the group instead of an album plus a card."""

    def __init__(self, service: TriageService, regional: RegionalTriage | None = None) -> None:
        self._service = service
        self._regional = regional

    async def text(self, report: Report, *, short: bool = False) -> str:
        return (await self._service.card(report, short=short)).text

    async def caption(self, report: Report, *, shortened: bool = True) -> str | None:
        """The card as a caption, or None when it does not fit. `shortened`: the short card may stand in
        (an edit of a photo card that has grown); the first post never cuts the chronology, it falls back
        to the photo and a text card instead."""
        for short in (False, True) if shortened else (False,):
            text = await self.text(report, short=short)
            if caption_fits(text):
                return text
        return None

    async def post(self, report: Report, send: Callable[[str, bool], Awaitable[T]], *, caption: bool = False) -> T:
        """Send (or edit) the card with `send(text, html)`; a text Telegram refuses is sent shortened,
        then as plain text: a card is never stuck on its own length or markup. Each refusal is logged as
        an error, because it means a limit is counted wrongly somewhere."""
        if caption:
            fitting = await self.caption(report)
            if fitting is None:
                return await send(caption_cut(await self.text(report, short=True)), False)
            try:
                return await send(fitting, True)
            except BadRequest as exc:
                if not text_refused(exc):
                    raise
                log.error(
                    "caption card of %s refused by Telegram (%s); sending it as plain text", report.code, exc.message
                )
            return await send(caption_cut(fitting), False)
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

    def markup(self, report: Report, photos: int = 0) -> InlineKeyboardMarkup | None:
        """The keyboard of the report's state, and below it "📷 Bukti (n)" and "Pindah wilayah"."""
        locale = self._service.locale
        rows = main_buttons(report.id, report.state, locale)
        rows += card_rows(
            report.id, photos, movable=self._regional is not None and self._regional.routing.regional, locale=locale
        )
        markup = markup_for(Reply("-", rows), locale)
        return markup if isinstance(markup, InlineKeyboardMarkup) else None

    async def keyboard(self, report: Report) -> InlineKeyboardMarkup | None:
        """`markup` with the report's photo count read from storage."""
        evidence = await self._service.store.reports.evidence(report.id)
        return self.markup(report, sum(1 for e in evidence if e.photo is not None))


class CardEditor:
    """`triage_edit_card`: the card edited in place to the report's current state and buttons."""

    def __init__(self, bot: Bot, service: TriageService, card: TriageCard, *, turn: Turn = no_wait) -> None:
        self._bot = bot
        self._service = service
        self._card = card
        self._turn = turn

    async def __call__(self, item: OutboxItem) -> None:
        service = self._service
        report_id = int(str(item.payload["report_id"]))
        if await service.triage.newer_pending(EDIT_CARD, item.id, report_id):
            return  # a newer edit of the same card will show everything this one would
        report = await self._current(report_id)
        # The outbox edits a card one move at a time, so a newer move's edit waits behind this one and can
        # never be coalesced with it in the pacer; this one therefore waits for its group's budget *before*
        # it reads the report and builds its text, and looks again when its turn comes.
        async with self._turn(self._card_chat(report)):
            if await service.triage.newer_pending(EDIT_CARD, item.id, report_id):
                return  # its turn is given back unspent: the newer edit goes in its place
            await self._edit(await self._current(report_id))

    async def _current(self, report_id: int) -> Report:
        report = await self._service.store.reports.get(report_id)
        if report is None:
            raise GiveUp("no such report")
        self._card_chat(report)
        return report

    @staticmethod
    def _card_chat(report: Report) -> int:
        if report.card_chat_id is None or report.card_message_id is None:
            raise RetryLater(_CARD_NOT_POSTED, "card not posted yet")
        return report.card_chat_id

    async def _edit(self, report: Report) -> None:
        assert report.card_chat_id is not None and report.card_message_id is not None
        chat_id, message_id, markup = report.card_chat_id, report.card_message_id, await self._card.keyboard(report)
        as_caption = report.card_kind == CARD_CAPTION

        async def send(text: str, as_html: bool) -> object:
            mode = ParseMode.HTML if as_html else None
            if as_caption:
                return await self._bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=text, reply_markup=markup, parse_mode=mode
                )
            return await self._bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup, parse_mode=mode
            )

        edit = self._card.post(report, send, caption=as_caption)

        def refused(exc: TelegramError) -> GiveUp | RetryLater:
            if isinstance(exc, BadRequest):
                # A deleted card or a rejected text: retrying the same edit cannot succeed.
                return GiveUp(exc.message)
            return group_unwritable(exc)

        await for_outbox(edit, f"card edit of {report.code}", refused=refused, edit=True)


class CardMovedEditor:
    """`triage_card_moved`: a moved report's old card says where the report went, and loses its buttons."""

    def __init__(self, bot: Bot, service: TriageService, regional: RegionalTriage) -> None:
        self._bot = bot
        self._service = service
        self._regional = regional

    async def __call__(self, item: OutboxItem) -> None:
        payload = item.payload
        report = await self._service.store.reports.get(int(str(payload["report_id"])))
        if report is None:
            raise GiveUp("no such report")
        chat_id, message_id = int(str(payload["chat_id"])), int(str(payload["message_id"]))
        target = self._regional.name(self._regional.group_of(report))
        text = t(self._service.locale, "triage.card_moved", code=report.code, target=esc(target))
        if payload.get("kind") == CARD_CAPTION:
            edit: Awaitable[object] = self._bot.edit_message_caption(
                chat_id=chat_id, message_id=message_id, caption=text, reply_markup=None, parse_mode=ParseMode.HTML
            )
        else:
            edit = self._bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=None, parse_mode=ParseMode.HTML
            )

        def refused(exc: TelegramError) -> GiveUp | RetryLater:
            return GiveUp(exc.message) if isinstance(exc, BadRequest) else group_unwritable(exc)

        await for_outbox(edit, f"moved card of {report.code}", refused=refused, edit=True)


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
    """`triage_group_post`: a ready-made message to a group (a morning reminder, the provincial digest);
    an item without a chat (owed before regional groups) is the provincial group's."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id

    async def __call__(self, item: OutboxItem) -> None:
        chat = item.payload.get("chat_id")
        await for_outbox(
            self._bot.send_message(
                int(str(chat)) if chat is not None else self._chat_id,
                str(item.payload["text"]),
                read_timeout=GROUP_SEND_TIMEOUT,
                write_timeout=GROUP_SEND_TIMEOUT,
            ),
            "group post",
            refused=group_unwritable,
        )
