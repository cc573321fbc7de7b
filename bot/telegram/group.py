"""Forwarding a committed report to its supervisors' group, and its other photos on demand.

The group is the report's own (REGION_GROUPS_FILE; decided at the first forward and kept). The card is
one message where it fits: the first photo with the card as its caption (1,024 characters, in code
points of the caption after parsing, as Telegram counts them); a longer card goes as the photo, then the
card as a text replying to it; a report without photos as a text card. The other photos wait for
"📷 Bukti (n)" (EvidencePoster): before, every report cost its group an album (one message a photo) and
a card, which at about 20 messages a minute per group is the ceiling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TimedOut

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.triage.delivery import (
    CARD_CAPTION,
    CARD_TEXT,
    GROUP_SEND_TIMEOUT,
    TriageCard,
    group_unwritable,
    text_refused,
)
from handlers.report.intake import PREVIEW_KIND
from locales import t, tn
from storage.models import Channel, OutboxItem, PhotoEvidence, Report
from storage.store import Store

log = logging.getLogger(__name__)

# The Bot API has no idempotency key: a send whose answer the bot never hears may have happened, and
# sending it again makes a second album or card. So the group's sends wait for a slow Telegram (PTB's
# default is 5 s; GROUP_SEND_TIMEOUT), and when even this wait runs out the retry comes after as long
# again, not at once.


class GroupForwarder:
    """The outbox deliverer of `forward_report`: exactly once per report (and once per move to another
    group), resumable between its calls."""

    def __init__(self, bot: Bot, store: Store, card: TriageCard, route: Callable[[str], int], locale: str) -> None:
        self._bot = bot
        self._store = store
        # The first card is triage's card (state, Bawaslu clock, duplicates, buttons), as its edits are.
        self._card = card
        self._route = route  # region id -> the group a new report of it goes to
        self._locale = locale
        # After a 429 the group is left alone for retry_after: the outbox would otherwise go straight on
        # to the next report's card, into the same flood wait. Per group: one group's flood wait is not
        # another's.
        self._quiet_until: dict[int, float] = {}

    async def __call__(self, item: OutboxItem) -> None:
        report_id = int(str(item.payload["report_id"]))
        store = self._store
        report = await store.reports.get(report_id)
        if report is None:
            raise RetryLater(60, "report not visible yet")
        chat = item.progress.get("chat") or item.payload.get("chat_id") or report.group_chat_id
        chat = int(str(chat)) if chat is not None else self._route(report.region_id)
        quiet = self._quiet_until.get(chat, 0.0) - time.monotonic()
        if quiet > 0:
            raise RetryLater(quiet, "telegram flood control (waiting)")
        try:
            await for_outbox(self._deliver(item, report), "post to the supervisors' group", refused=group_unwritable)
        except RetryLater as retry:
            if isinstance(retry.__cause__, RetryAfter):
                self._quiet_until[chat] = time.monotonic() + retry.delay
            raise
        except TimedOut as exc:
            log.warning(
                "report %s: no answer from Telegram within %.0f s; its last post may appear twice",
                report.code,
                GROUP_SEND_TIMEOUT,
            )
            raise RetryLater(GROUP_SEND_TIMEOUT, "outcome unknown (timed out)") from exc

    async def _group(self, item: OutboxItem, report: Report, progress: dict[str, object]) -> int | None:
        """The chat this item posts to, or None when the report has left it (moved meanwhile: the move's
        own item posts the card there)."""
        store = self._store
        if "chat" not in progress:
            if "event_id" in item.payload:  # a move's card: the group the move chose
                progress["chat"] = int(str(item.payload["chat_id"]))
            else:
                progress["chat"] = await store.reports.assign_group(report.id, self._route(report.region_id))
            await store.outbox.save_progress(item.id, progress)
        chat = int(str(progress["chat"]))
        current = await store.reports.get(report.id)
        return chat if current is not None and current.group_chat_id == chat else None

    async def _deliver(self, item: OutboxItem, report: Report) -> None:
        store = self._store
        progress = dict(item.progress)
        chat = await self._group(item, report, progress)
        if chat is None:
            log.info("report %s moved before its card was posted; the move posts it", report.code)
            return
        data = await store.reports.card_data(report)  # read once: the photo and the card both show it
        photos = [e.photo for e in data.evidence if e.photo is not None]
        markup = self._card.markup(report, len(photos))
        if photos and "album" not in progress:
            caption = await self._card.caption(report, shortened=False) if "caption" not in progress else None
            if caption is not None:
                # The lighter card: one message, the first photo with the card as its caption.
                try:
                    posted = await self._send_photo(report, chat, photos[0], caption, markup)
                except BadRequest as exc:
                    if not text_refused(exc):
                        raise
                    # Telegram counted the caption longer than we did: a limit counted wrongly somewhere.
                    log.error("caption card of %s refused (%s); posting photo and card", report.code, exc.message)
                    progress["caption"] = False
                    await store.outbox.save_progress(item.id, progress)
                else:
                    await store.reports.set_card(report.id, chat, posted, CARD_CAPTION)
                    log.info("report %s forwarded to its group (a photo card)", report.code)
                    return
            sent = await self._send_photo(
                report, chat, photos[0], t(self._locale, "card.album_caption", code=report.code)
            )
            progress["album"] = sent
            # Recorded at once: a retry after a failed card must not post the photo twice.
            await store.outbox.save_progress(item.id, progress)
        album = progress.get("album")
        reply = ReplyParameters(int(str(album)), allow_sending_without_reply=True) if album is not None else None

        async def send(text: str, as_html: bool) -> Message:
            return await self._bot.send_message(
                chat,
                text,
                reply_markup=markup,
                reply_parameters=reply,
                parse_mode=ParseMode.HTML if as_html else None,
                read_timeout=GROUP_SEND_TIMEOUT,
                write_timeout=GROUP_SEND_TIMEOUT,
            )

        card = await self._card.post(report, send)
        await store.reports.set_card(report.id, chat, card.message_id, CARD_TEXT)
        log.info("report %s forwarded to its group", report.code)

    async def _send_photo(
        self,
        report: Report,
        chat: int,
        photo: PhotoEvidence,
        caption: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        """The first photo (by its file_id where it may be reused, else the preview); returns its message id."""
        try:
            return await send_photos(self._bot, self._store, report, chat, [photo], caption, reuse=True, markup=markup)
        except BadRequest as exc:
            if text_refused(exc) or photo.source_id is None:
                raise
            # A file_id this bot cannot use (a new bot token, say): the preview is uploaded instead.
            log.warning("photo by file id refused (%s); uploading the preview", exc.message)
            return await send_photos(self._bot, self._store, report, chat, [photo], caption, reuse=False, markup=markup)


async def send_photos(
    bot: Bot,
    store: Store,
    report: Report,
    chat: int,
    photos: list[PhotoEvidence],
    caption: str,
    *,
    reuse: bool,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> int:
    """Post the photos (one, or an album) and return the first message's id; a caption in HTML.

    With `reuse`, a Telegram photo that needed no cleaning goes by the file_id the reporter's copy
    already has on Telegram: no upload (about 300 kB a photo), and nothing the group may not see,
    because only such photos keep a source id (handlers/report/intake.py).
    """
    media: list[str | bytes] = []
    for photo in photos:
        if reuse and photo.source_id is not None and report.channel is Channel.TELEGRAM:
            media.append(photo.source_id)
        else:
            media.append(await store.files.get_derived(photo.sha256, PREVIEW_KIND))
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
    if len(media) == 1:
        return (
            await bot.send_photo(
                chat,
                media[0],
                caption=caption,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                reply_parameters=reply,
                read_timeout=GROUP_SEND_TIMEOUT,
                write_timeout=GROUP_SEND_TIMEOUT,
            )
        ).message_id
    album = [
        InputMediaPhoto(item, caption=caption if i == 0 else None, parse_mode=ParseMode.HTML if i == 0 else None)
        for i, item in enumerate(media)
    ]
    sent = await bot.send_media_group(
        chat, album, reply_parameters=reply, read_timeout=GROUP_SEND_TIMEOUT, write_timeout=GROUP_SEND_TIMEOUT
    )
    return sent[0].message_id


class EvidencePoster:
    """`triage_evidence_album`: the report's other photos as an album replying to its card, once per card
    (the outbox's dedupe key), then remembered so that "📷 Bukti" pressed again points to it."""

    def __init__(self, bot: Bot, store: Store, locale: str) -> None:
        self._bot = bot
        self._store = store
        self._locale = locale

    async def __call__(self, item: OutboxItem) -> None:
        store = self._store
        payload = item.payload
        report = await store.reports.get(int(str(payload["report_id"])))
        if report is None:
            raise GiveUp("no such report")
        chat, card = int(str(payload["chat_id"])), int(str(payload["message_id"]))
        if await store.reports.evidence_message(chat, card) is not None:
            return
        photos = [e.photo for e in await store.reports.evidence(report.id) if e.photo is not None]
        # A caption card shows the first photo already; a text card (after a photo, or a long one) too.
        rest = photos[1:] if len(photos) > 1 else photos
        if not rest:
            return
        caption = tn(self._locale, "triage.photos_caption", len(photos), code=report.code, count=len(photos))

        async def post() -> int:
            try:
                return await send_photos(self._bot, store, report, chat, rest[:10], caption, reuse=True, reply_to=card)
            except BadRequest as exc:
                if not any(p.source_id for p in rest[:10]):
                    raise
                log.warning("album by file id refused (%s); uploading the previews", exc.message)
                return await send_photos(self._bot, store, report, chat, rest[:10], caption, reuse=False, reply_to=card)

        try:
            first = await for_outbox(post(), f"photos of {report.code}", refused=group_unwritable)
        except TimedOut as exc:
            raise RetryLater(GROUP_SEND_TIMEOUT, "outcome unknown (timed out)") from exc
        assert first is not None  # not an edit: for_outbox returns the call's result
        await store.reports.set_evidence_message(chat, card, first)
