"""The supervisors' group commands: /laporan, /antrian, /cari, /bukti, /ekspor, and list paging.

Each answers in the group, as a reply to the command, after the same who-and-where check as a button.
Lists show ten reports a page with ◀️ ▶️ buttons: "tr:pg:q:<page>" (the queue) and
"tr:pg:s:<search id>:<page>" (a saved /cari query), validated like every other button.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update, User
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.telegram.calls import answer_query, tolerate_not_modified
from bot.telegram.triage.delivery import TriageCard
from bot.telegram.triage.guard import SupervisorGuard, supervisor_of
from handlers.common.callbacks import TRIAGE_PAGE, number
from handlers.common.text import esc, esc_within
from handlers.common.when import format_short_date
from handlers.report.intake import PREVIEW_KIND
from handlers.triage.export import export_table, to_csv, to_xlsx
from handlers.triage.regional import RegionalTriage
from handlers.triage.replies import refusal_key
from handlers.triage.search import SearchError, parse_range, parse_search
from handlers.triage.service import MoveResult, Page, TriageService
from locales import t, tn
from storage.db import utcnow
from storage.models import PhotoEvidence, Report
from storage.triage import GroupScope

log = logging.getLogger(__name__)

COMMANDS: Final = ("laporan", "antrian", "cari", "bukti", "ekspor", "pindah")
MAX_PAGE: Final = 10_000
_EXTENSIONS: Final = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


def page_markup(page: Page, data_prefix: tuple[str, ...], locale: str) -> InlineKeyboardMarkup | None:
    if page.pages <= 1:
        return None
    row = []
    if page.page > 0:
        row.append(
            InlineKeyboardButton(
                t(locale, "triage.page_prev"), callback_data=TRIAGE_PAGE.pack(*data_prefix, page.page - 1)
            )
        )
    if page.page + 1 < page.pages:
        row.append(
            InlineKeyboardButton(
                t(locale, "triage.page_next"), callback_data=TRIAGE_PAGE.pack(*data_prefix, page.page + 1)
            )
        )
    return InlineKeyboardMarkup([row]) if row else None


class TriageCommands:
    def __init__(
        self,
        service: TriageService,
        guard: SupervisorGuard,
        card: TriageCard,
        custodians: frozenset[int] = frozenset(),
        *,
        regional: RegionalTriage,
    ) -> None:
        self._custodians = custodians
        self._service = service
        self._card = card
        self._guard = guard
        self._regional = regional
        self._locale = service.locale

    def _scope(self, chat_id: int) -> GroupScope | None:
        """A regional group's lists show its share; the provincial group's show every report."""
        return self._regional.routing.scope(chat_id)

    # ---------------------------------------------------------------- helpers

    async def _allowed(self, update: Update, *, fresh: bool = False) -> Message | None:
        """The command's message if its sender may triage; `fresh` for the commands that hand out
        evidence, exports or a whole card: membership is asked afresh, never from the cache."""
        message = update.effective_message
        if message is None:
            return None
        refusal = await self._guard.refusal(message.chat_id, update.effective_user, fresh=fresh)
        if refusal is not None:
            log.warning("triage command refused (%s)", refusal.removeprefix("triage."))
            await self._say(message, refusal)
            return None
        return message

    async def _say(
        self, message: Message, key: str, *, markup: InlineKeyboardMarkup | None = None, **values: object
    ) -> Message:
        return await message.reply_text(t(self._locale, key, **values), reply_markup=markup)

    async def _report_from_args(self, message: Message, args: list[str], usage: str) -> Report | None:
        if not args:
            await self._say(message, usage)
            return None
        report = await self._service.store.reports.by_code(args[0])
        if report is None:
            await self._say(message, "triage.not_found", value=esc_within(args[0], 30))
        elif not self._regional.covers(message.chat_id, report):
            log.warning("triage command refused (another region's report)")
            await self._say(message, "triage.refused_region", code=report.code)
            return None
        return report

    # ---------------------------------------------------------------- /laporan CODE

    async def show_report(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The card again, with its buttons, below it its history. In the report's own group the new card
        is the one kept current; elsewhere (the provincial group) it is a copy: moves made on it apply to
        the report, and the live card in the report's group is the one edited."""
        message = await self._allowed(update, fresh=True)
        if message is None:
            return
        report = await self._report_from_args(message, context.args or [], "triage.usage_laporan")
        if report is None:
            return
        view = await self._service.card(report)
        card = await message.reply_text(view.text, reply_markup=await self._card.keyboard(report))
        for text in await self._service.history(report):
            await card.reply_text(text)
        reports = self._service.store.reports
        if card.chat_id != self._regional.group_of(report):
            # Taking the card over here would strip the regional group's card of its buttons and send
            # every later edit to this group: the region's supervisors would lose their own report.
            await reports.add_copy(report.id, card.chat_id, card.message_id)
            return
        previous = (report.card_chat_id, report.card_message_id)
        await reports.set_card(report.id, card.chat_id, card.message_id)
        if previous[0] is not None and previous[1] is not None:
            # One card with live buttons per report: the old one keeps its text, loses its buttons.
            try:
                await context.bot.edit_message_reply_markup(previous[0], previous[1], reply_markup=None)
            except TelegramError as exc:
                log.info("old card keyboard not cleared: %s", type(exc).__name__)

    # ---------------------------------------------------------------- lists

    async def show_queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Untriaged reports, oldest first, ten a page."""
        message = await self._allowed(update)
        if message is None:
            return
        page = await self._service.queue(0, self._scope(message.chat_id))
        await self._say_page(message, page, ("q",))

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cari wilayah:… status:… kategori:… dari:… sampai:… nama:…"""
        message = await self._allowed(update, fresh=True)
        if message is None:
            return
        query = " ".join(context.args or [])
        if message.text:  # keep the quotes that context.args already split on
            query = message.text.partition(" ")[2].strip()
        try:
            where = parse_search(query, self._service.regions, self._service.tz)
        except SearchError as exc:
            await self._say(message, exc.key, value=exc.value)
            if exc.key != "triage.search_help":
                await self._say(message, "triage.search_help")
            return
        search_id = await self._service.triage.save_search(query)
        where = where.model_copy(update={"scope": self._scope(message.chat_id)})
        page = await self._service.page(where, 0, header_key="triage.search_header", empty_key="triage.search_empty")
        await self._say_page(message, page, ("s", str(search_id)))

    async def _say_page(self, message: Message, page: Page, prefix: tuple[str, ...]) -> None:
        await message.reply_text(page.text, reply_markup=page_markup(page, prefix, self._locale))

    async def on_page(self, query: CallbackQuery, data: str) -> None:
        """◀️ ▶️ under a list: the page asked for, edited in place."""
        parts = TRIAGE_PAGE.unpack(data) or []
        page: Page | None = None
        prefix: tuple[str, ...] = ()
        scope = self._scope(query.message.chat.id) if query.message is not None else None
        if len(parts) == 2 and parts[0] == "q" and (number_q := number(parts[1], limit=MAX_PAGE)) is not None:
            prefix, page = ("q",), await self._service.queue(number_q, scope)
        elif (
            len(parts) == 3
            and parts[0] == "s"
            and (search_id := number(parts[1], limit=10**11)) is not None
            and (number_s := number(parts[2], limit=MAX_PAGE)) is not None
        ):
            saved = await self._service.triage.search_query(search_id)
            if saved is not None:
                try:
                    where = parse_search(saved, self._service.regions, self._service.tz)
                except SearchError:
                    where = None
                if where is not None:
                    where = where.model_copy(update={"scope": scope})
                    prefix = ("s", parts[1])
                    page = await self._service.page(
                        where, number_s, header_key="triage.search_header", empty_key="triage.search_empty"
                    )
        if page is None or query.message is None:
            log.warning("triage page press refused (malformed data)")
            await answer_query(query, t(self._locale, "triage.refused_forged"), show_alert=True)
            return
        await answer_query(query)
        await tolerate_not_modified(
            query.get_bot().edit_message_text(
                page.text,
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                reply_markup=page_markup(page, prefix, self._locale),
            )
        )

    # ---------------------------------------------------------------- /bukti CODE

    async def send_evidence(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The metadata-free copies, each captioned with its original's SHA-256, and the links.

        The originals carry the reporter's device identity (EXIF owner, serial number, GPS): they go
        only to a custodian (EVIDENCE_CUSTODIAN_IDS), in their private chat, and each release is an
        event in the audit log.
        """
        message = await self._allowed(update, fresh=True)
        if message is None:
            return
        report = await self._report_from_args(message, context.args or [], "triage.usage_bukti")
        if report is None:
            return
        store = self._service.store
        evidence = await store.reports.evidence(report.id)
        photos = [e.photo for e in evidence if e.photo is not None]
        links = [e.url for e in evidence if e.url]
        if not photos and not links:
            await self._say(message, "triage.bukti_none", code=report.code)
            return
        for n, photo in enumerate(photos, 1):
            copy = await store.files.get_derived(photo.sha256, PREVIEW_KIND)
            caption = t(self._locale, "triage.bukti_copy_caption", code=report.code, number=n, sha256=photo.sha256)
            await message.reply_document(
                InputFile(copy, filename=f"{report.code}-{n}-salinan.jpg"),
                caption=caption,
                disable_content_type_detection=True,
            )
        user = update.effective_user
        if photos and user is not None and user.id in self._custodians:
            await self._send_originals(message, report, photos, user)
        if links:
            items = "\n".join(f"• {esc_within(url, 300)}" for url in links)
            await self._say(message, "triage.bukti_links", code=report.code, links=items)

    async def _send_originals(self, message: Message, report: Report, photos: list[PhotoEvidence], user: User) -> None:
        """The originals to the custodian's private chat, never the group; the release is audited first,
        because a file sent cannot be unsent."""
        store = self._service.store
        supervisor = supervisor_of(user)
        await self._service.triage.record_release(
            report.id, actor=supervisor.actor, actor_name=supervisor.name, at=utcnow(), files=len(photos)
        )
        log.info("evidence originals of %s released to a custodian", report.code)
        try:
            for n, photo in enumerate(photos, 1):
                data = await store.files.get(photo.sha256)
                intact = await asyncio.to_thread(store.files.verify, photo.sha256)
                name = f"{report.code}-{n}{_EXTENSIONS.get(photo.mime, '.bin')}"
                caption = t(
                    self._locale,
                    "triage.bukti_caption" if intact else "triage.bukti_caption_damaged",
                    code=report.code,
                    number=n,
                    sha256=photo.sha256,
                )
                await message.get_bot().send_document(
                    user.id, InputFile(data, filename=name), caption=caption, disable_content_type_detection=True
                )
        except Forbidden:
            await self._say(message, "triage.bukti_originals_blocked")
            return
        await self._say(message, "triage.bukti_originals_sent", code=report.code, count=len(photos))

    # ---------------------------------------------------------------- /ekspor [from] [to]

    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A spreadsheet (XLSX and CSV) of the reports received in a date range; no reporter identity
        unless they shared it."""
        message = await self._allowed(update, fresh=True)
        if message is None:
            return
        service = self._service
        try:
            days = parse_range(" ".join(context.args or []), service.today())
        except SearchError as exc:
            await self._say(message, exc.key, value=exc.value)
            return
        assert days.first is not None and days.last is not None
        start, end = days.instants(service.tz)
        assert start is not None and end is not None
        rows = await service.triage.export_rows(start, end, self._scope(message.chat_id))
        first, last = format_short_date(days.first, self._locale), format_short_date(days.last, self._locale)
        if not rows:
            await self._say(message, "triage.export_empty", first=first, last=last)
            return
        table = export_table(rows, service.regions, self._locale, service.tz, service.today())
        stem = f"lapor-netral-{days.first.isoformat()}-{days.last.isoformat()}"
        xlsx = await asyncio.to_thread(to_xlsx, table, t(self._locale, "triage.export_sheet"))
        caption = tn(self._locale, "triage.export_caption", len(rows), first=first, last=last, count=len(rows))
        await message.reply_document(
            InputFile(xlsx, filename=f"{stem}.xlsx"), caption=caption, disable_content_type_detection=True
        )
        await message.reply_document(
            InputFile(to_csv(table), filename=f"{stem}.csv"), disable_content_type_detection=True
        )
        log.info("export of %d reports sent", len(rows))

    # ---------------------------------------------------------------- /pindah CODE GROUP

    async def move_report(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Move a report to another region's group (by the group's name, a region it covers, or "provinsi")."""
        message = await self._allowed(update)
        if message is None:
            return
        args = context.args or []
        if len(args) < 2:
            await self._say(message, "triage.usage_pindah", groups=self._group_names())
            return
        report = await self._report_from_args(message, args, "triage.usage_pindah")
        if report is None:
            return
        regional = self._regional
        target = regional.find_group(" ".join(args[1:]))
        if target is None:
            await self._say(
                message,
                "triage.move_unknown_group",
                value=esc_within(" ".join(args[1:]), 40),
                groups=self._group_names(),
            )
            return
        user = update.effective_user
        assert user is not None  # _allowed refused a message without a sender
        outcome = await regional.move(report.id, target, supervisor_of(user), from_chat=regional.group_of(report))
        if outcome.result is MoveResult.INVALID:
            await self._say(message, "triage.move_same_group", code=report.code, target=esc(regional.name(target)))
            return
        if outcome.result is not MoveResult.DONE:
            await self._say(message, refusal_key(outcome.result), code=report.code)
            return
        await self._say(message, "triage.moved", code=report.code, target=esc(regional.name(target)))

    def _group_names(self) -> str:
        regional = self._regional
        return ", ".join(esc(regional.name(chat)) for chat in regional.routing.chats)
