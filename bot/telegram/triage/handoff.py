"""The hand-off packet in the supervisors' group: posted under the card on Teruskan, and again by /paket.

The group receives the PDF only (thumbnails are the metadata-free copies; every original is named by its
SHA-256). The archive of originals is not posted: originals leave only to custodians or through the
command line (`python -m bot paket`), and the caption says where they are.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from telegram import Bot, InputFile, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from bot.outbox import GiveUp, RetryLater
from bot.telegram.calls import for_outbox
from bot.telegram.triage.delivery import group_unwritable
from bot.telegram.triage.guard import SupervisorGuard
from handlers.common.regions import RegionCatalog
from handlers.common.text import esc_within
from handlers.handoff.assemble import Handoff, assemble
from handlers.handoff.packet import pdf_name
from handlers.triage.service import TriageService
from locales import t
from storage.db import utcnow
from storage.models import OutboxItem, Report

log = logging.getLogger(__name__)

_CARD_NOT_POSTED: Final = 30.0


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


class PacketCommand:
    """/paket KODE: the packet again, as a reply to the command."""

    def __init__(self, packets: Packets, service: TriageService, guard: SupervisorGuard) -> None:
        self._packets = packets
        self._service = service
        self._guard = guard

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Checks who asks and where, then posts the packet of the code given."""
        message = update.effective_message
        if message is None:
            return
        locale = self._service.locale
        refusal = await self._guard.refusal(message.chat_id, update.effective_user, fresh=True)
        if refusal is not None:
            log.warning("triage command refused (%s)", refusal.removeprefix("triage."))
            await message.reply_text(t(locale, refusal))
            return
        args = context.args or []
        if not args:
            await message.reply_text(t(locale, "triage.usage_paket"))
            return
        report = await self._service.store.reports.by_code(args[0])
        if report is None:
            await message.reply_text(t(locale, "triage.not_found", value=esc_within(args[0], 30)))
            return
        if not self._guard.covers(message.chat_id, report):
            log.warning("triage command refused (another region's report)")
            await message.reply_text(t(locale, "triage.refused_region", code=report.code))
            return
        await self._packets.send(message.chat_id, message.message_id, report)
