"""The hand-off packet in the supervisors' group: posted under the card on Teruskan, and again by /paket.

The group receives the PDF only (thumbnails are the metadata-free copies; every original is named by its
SHA-256). The archive of originals is not posted: it goes to an evidence custodian's private chat
(/arsip) or is written by the command line (`python -m bot paket`), and the caption says so.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Final

from telegram import Bot, InputFile, Message, ReplyParameters, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.triage.delivery import group_unwritable
from bot.telegram.triage.guard import SupervisorGuard, supervisor_of
from handlers.common.regions import RegionCatalog
from handlers.common.text import esc_within
from handlers.handoff.archive import ArchiveMismatch
from handlers.handoff.assemble import Handoff, assemble, write_evidence
from handlers.handoff.packet import pdf_name
from handlers.triage.service import TriageService
from locales import t, tn
from storage.db import utcnow
from storage.models import OutboxItem, Report

log = logging.getLogger(__name__)

_CARD_NOT_POSTED: Final = 30.0
# What a bot may upload to Telegram (sendDocument: 50 MB); a larger archive is written on the server.
TELEGRAM_UPLOAD_LIMIT: Final = 50 * 1000 * 1000


class Packets:
    """Renders a report's packet and sends it to a chat, as a reply."""

    def __init__(self, bot: Bot, service: TriageService, regions: RegionCatalog) -> None:
        self._bot = bot
        self._service = service
        self._regions = regions

    async def build(self, report: Report, now: datetime) -> Handoff:
        service = self._service
        return await assemble(service.store, service.triage, self._regions, report, tz=service.tz, now=now)

    def caption(self, handoff: Handoff) -> str:
        archive = handoff.archive
        return t(
            self._service.locale,
            "triage.packet_caption",
            code=handoff.packet.code,
            archive=archive.name,
            files=len(archive.manifest),
            sha256=archive.sha256,
        )

    async def send(self, chat_id: int, reply_to: int, report: Report) -> Message:
        handoff = await self.build(report, utcnow())
        return await self._bot.send_document(
            chat_id,
            InputFile(handoff.pdf, filename=pdf_name(report.code)),
            caption=self.caption(handoff),
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True),
            disable_content_type_detection=True,
        )


class PacketPoster:
    """`handoff_packet`: the packet posted as a reply to the report's card, after a Teruskan move."""

    def __init__(self, packets: Packets, service: TriageService) -> None:
        self._packets = packets
        self._service = service

    async def __call__(self, item: OutboxItem) -> None:
        report = await self._service.store.reports.get(int(str(item.payload["report_id"])))
        if report is None:
            raise GiveUp("no such report")
        if report.card_chat_id is None or report.card_message_id is None:
            raise RetryLater(_CARD_NOT_POSTED, "card not posted yet")
        await for_outbox(
            self._packets.send(report.card_chat_id, report.card_message_id, report),
            f"packet of {report.code}",
            refused=group_unwritable,
        )


async def _asked_report(
    guard: SupervisorGuard, service: TriageService, update: Update, args: list[str], usage: str
) -> tuple[Message, Report] | None:
    """The report a group command names, once who asks and where are checked; None when refused (answered)."""
    message = update.effective_message
    if message is None:
        return None
    locale = service.locale
    refusal = await guard.refusal(message.chat_id, update.effective_user, fresh=True)
    if refusal is not None:
        log.warning("triage command refused (%s)", refusal.removeprefix("triage."))
        await message.reply_text(t(locale, refusal))
        return None
    if not args:
        await message.reply_text(t(locale, usage))
        return None
    report = await service.store.reports.by_code(args[0])
    if report is None:
        await message.reply_text(t(locale, "triage.not_found", value=esc_within(args[0], 30)))
        return None
    if not guard.covers(message.chat_id, report):
        log.warning("triage command refused (another region's report)")
        await message.reply_text(t(locale, "triage.refused_region", code=report.code))
        return None
    return message, report


class PacketCommand:
    """/paket KODE: the packet again, as a reply to the command."""

    def __init__(self, packets: Packets, service: TriageService, guard: SupervisorGuard) -> None:
        self._packets = packets
        self._service = service
        self._guard = guard

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Checks who asks and where, then posts the packet of the code given."""
        asked = await _asked_report(self._guard, self._service, update, context.args or [], "triage.usage_paket")
        if asked is not None:
            message, report = asked
            await self._packets.send(message.chat_id, message.message_id, report)


class ArchiveCommand:
    """/arsip KODE: the evidence archive (the originals and their manifest) to a custodian, in private.

    The archive is what goes on Bawaslu's storage medium; it holds the originals, device identity and all,
    so it goes only where /bukti sends originals: an evidence custodian's private chat, never the group.
    """

    def __init__(
        self,
        service: TriageService,
        guard: SupervisorGuard,
        custodians: frozenset[int],
        *,
        upload_limit: int | None = None,
    ) -> None:
        self._service = service
        self._guard = guard
        self._custodians = custodians
        self._upload_limit = upload_limit if upload_limit is not None else TELEGRAM_UPLOAD_LIMIT

    def _say(self, message: Message, key: str, **values: object) -> Awaitable[Message]:
        return message.reply_text(t(self._service.locale, key, **values))

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        asked = await _asked_report(self._guard, self._service, update, context.args or [], "triage.usage_arsip")
        if asked is None:
            return
        message, report = asked
        user = update.effective_user
        if user is None or user.id not in self._custodians:
            await self._say(message, "triage.arsip_custodians_only", code=report.code)
            return
        store = self._service.store
        with await asyncio.to_thread(store.files.scratch) as out:
            try:
                archive = await write_evidence(store, report, out)
            except ArchiveMismatch:
                log.error("evidence archive of %s refused: an original does not match its SHA-256", report.code)
                await self._say(message, "triage.arsip_damaged", code=report.code)
                return
            if not archive.manifest:
                await self._say(message, "triage.arsip_none", code=report.code)
                return
            size = out.seek(0, io.SEEK_END)
            if size > self._upload_limit:
                # Nothing leaves, so nothing is released: the command line writes archives of any size.
                await self._say(message, "triage.arsip_too_large", code=report.code, megabytes=round(size / 1e6))
                return
            out.seek(0)
            supervisor = supervisor_of(user)
            # Recorded first: a file sent cannot be unsent.
            await self._service.triage.record_release(
                report.id, actor=supervisor.actor, actor_name=supervisor.name, at=utcnow(), files=len(archive.manifest)
            )
            log.info("evidence archive of %s released to a custodian", report.code)
            caption = tn(
                self._service.locale,
                "triage.arsip_caption",
                len(archive.manifest),
                code=report.code,
                files=len(archive.manifest),
                sha256=archive.sha256,
            )
            try:
                await message.get_bot().send_document(
                    user.id,
                    InputFile(out, filename=archive.name),
                    caption=caption,
                    disable_content_type_detection=True,
                )
            except Forbidden:
                await self._say(message, "triage.arsip_blocked")
                return
        await self._say(message, "triage.arsip_sent", code=report.code, sha256=archive.sha256)
