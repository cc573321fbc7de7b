"""Forwarding a committed report to the supervisors' group: its photos as an album, then its card."""

from __future__ import annotations

import logging
import time

from telegram import Bot, InputMediaPhoto, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TimedOut

from bot.outbox import RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.triage.delivery import GROUP_SEND_TIMEOUT, TriageCard, group_unwritable
from handlers.report.intake import PREVIEW_KIND
from locales import t
from storage.models import Channel, OutboxItem, PhotoEvidence, Report
from storage.store import Store

log = logging.getLogger(__name__)

# The Bot API has no idempotency key: a send whose answer the bot never hears may have happened, and
# sending it again makes a second album or card. So the group's sends wait for a slow Telegram (PTB's
# default is 5 s; GROUP_SEND_TIMEOUT), and when even this wait runs out the retry comes after as long
# again, not at once.


class GroupForwarder:
    """The outbox deliverer of `forward_report`: exactly once per report, resumable between its calls."""

    def __init__(self, bot: Bot, store: Store, card: TriageCard, chat_id: int, locale: str) -> None:
        self._bot = bot
        self._store = store
        # The first card is triage's card (state, Bawaslu clock, duplicates, buttons), as its edits are.
        self._card = card
        self._chat_id = chat_id
        self._locale = locale
        # After a 429 the group is left alone for retry_after: the outbox would otherwise go straight on
        # to the next report's album, into the same flood wait.
        self._quiet_until = 0.0

    async def __call__(self, item: OutboxItem) -> None:
        report_id = int(str(item.payload["report_id"]))
        store = self._store
        report = await store.reports.get(report_id)
        if report is None:
            raise RetryLater(60, "report not visible yet")
        quiet = self._quiet_until - time.monotonic()
        if quiet > 0:
            raise RetryLater(quiet, "telegram flood control (waiting)")
        try:
            await for_outbox(self._deliver(item, report), "post to the supervisors' group", refused=group_unwritable)
        except RetryLater as retry:
            if isinstance(retry.__cause__, RetryAfter):
                self._quiet_until = time.monotonic() + retry.delay
            raise
        except TimedOut as exc:
            log.warning(
                "report %s: no answer from Telegram within %.0f s; its last post may appear twice",
                report.code,
                GROUP_SEND_TIMEOUT,
            )
            raise RetryLater(GROUP_SEND_TIMEOUT, "outcome unknown (timed out)") from exc

    async def _deliver(self, item: OutboxItem, report: Report) -> None:
        store = self._store
        progress = dict(item.progress)
        data = await store.reports.card_data(report)  # read once: the album and the card both show it
        photos = [e.photo for e in data.evidence if e.photo is not None]
        if photos and "album" not in progress:
            caption = t(self._locale, "card.album_caption", code=report.code)
            try:
                sent = await self._send_album(report, photos[:10], caption, reuse=True)
            except BadRequest as exc:
                if not any(p.source_id for p in photos[:10]):
                    raise
                # A file_id this bot cannot use (a new bot token, say): the previews are uploaded instead.
                log.warning("album by file id refused (%s); uploading the previews", exc.message)
                sent = await self._send_album(report, photos[:10], caption, reuse=False)
            progress["album"] = sent
            # Recorded at once: a retry after a failed card must not post the album twice.
            await store.outbox.save_progress(item.id, progress)
        album = progress.get("album")
        reply = ReplyParameters(int(str(album)), allow_sending_without_reply=True) if album is not None else None
        markup = self._card.markup(report)

        async def send(text: str, as_html: bool) -> Message:
            return await self._bot.send_message(
                self._chat_id,
                text,
                reply_markup=markup,
                reply_parameters=reply,
                parse_mode=ParseMode.HTML if as_html else None,
                read_timeout=GROUP_SEND_TIMEOUT,
                write_timeout=GROUP_SEND_TIMEOUT,
            )

        card = await self._card.post(report, send)
        await store.reports.set_card(report.id, self._chat_id, card.message_id)
        log.info("report %s forwarded to the supervisors' group", report.code)

    async def _send_album(self, report: Report, photos: list[PhotoEvidence], caption: str, *, reuse: bool) -> int:
        """Post the photos (one, or an album) and return the first message's id.

        With `reuse`, a Telegram photo that needed no cleaning goes by the file_id the reporter's copy
        already has on Telegram: no upload (about 300 kB a photo), and nothing the group may not see,
        because only such photos keep a source id (handlers/report/intake.py).
        """
        media: list[str | bytes] = []
        for photo in photos:
            if reuse and photo.source_id is not None and report.channel is Channel.TELEGRAM:
                media.append(photo.source_id)
            else:
                media.append(await self._store.files.get_derived(photo.sha256, PREVIEW_KIND))
        if len(media) == 1:
            return (
                await self._bot.send_photo(
                    self._chat_id,
                    media[0],
                    caption=caption,
                    read_timeout=GROUP_SEND_TIMEOUT,
                    write_timeout=GROUP_SEND_TIMEOUT,
                )
            ).message_id
        album = [InputMediaPhoto(item, caption=caption if i == 0 else None) for i, item in enumerate(media)]
        sent = await self._bot.send_media_group(
            self._chat_id, album, read_timeout=GROUP_SEND_TIMEOUT, write_timeout=GROUP_SEND_TIMEOUT
        )
        return sent[0].message_id
