"""The composition root: every service built once, every handler, deliverer, hook and job registered once.

Read top to bottom, this is the whole program's wiring (the shape of python-telegram-bot's rules-bot
`main()`). No other module builds a service or patches another's object; the channels are started and
stopped from the hooks here. `python -m bot` (bot/__main__.py) parses arguments and calls `main` below.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.housekeeping import Housekeeping
from bot.notify import ReporterNotifier
from bot.outbox import Deliverer, OutboxWorker
from bot.services import Services
from bot.settings import Settings, load_routing
from bot.telegram import channel as telegram
from bot.telegram.citizen import CitizenChat
from bot.telegram.group import EvidencePoster, GroupForwarder
from bot.telegram.inbox import TelegramInbox
from bot.telegram.members import Memberships
from bot.telegram.menus import set_menus
from bot.telegram.miniapp import COMMAND as MINIAPP_COMMAND
from bot.telegram.miniapp import MiniAppLink
from bot.telegram.pacer import Pacer, paced_deliverer
from bot.telegram.pacing import Budget, Priority
from bot.telegram.summary import COMMAND, COMMAND_GROUP, EVERY_DAY, JOB_NAME, MISFIRE_GRACE_SECONDS, TelegramSummary
from bot.telegram.triage.adapter import TelegramTriage
from bot.telegram.triage.commands import TriageCommands
from bot.telegram.triage.delivery import AnswerPoster, CardEditor, CardMovedEditor, GroupPoster, TriageCard, no_wait
from bot.telegram.triage.guard import SupervisorGuard
from bot.telegram.triage.handoff import ArchiveCommand, PacketCommand, PacketPoster, Packets
from bot.telegram.triage.referral import ReferralCommands
from bot.watch import StaleWatch, recall_last_minute
from bot.web.miniapp.site import MiniAppConfig, MiniAppSite
from bot.web.ops import Destinations, OpsSources, ops_routes
from bot.web.server import HttpServer
from handlers.common import owed
from handlers.common.callbacks import CITIZEN_PATTERN, TRIAGE
from handlers.common.regions import RegionCatalog
from handlers.handoff.own_form import OwnForms
from handlers.miniapp.dashboard import Dashboard
from handlers.miniapp.service import MiniAppService
from handlers.miniapp.visibility import Audience
from handlers.report.intake import Intake, IntakeConfig
from handlers.summary.service import SummaryConfig, SummaryService
from handlers.triage.answers import TriageAnswers
from handlers.triage.regional import RegionalTriage
from handlers.triage.service import TriageService
from locales import t
from storage.db import utcnow
from storage.models import Channel
from storage.store import Store

if TYPE_CHECKING:
    from bot.whatsapp.channel import WhatsAppChannel

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CLOUD_DOWNLOAD_MAX = 20 * 1024 * 1024  # the cloud Bot API downloads at most 20 MB
# The morning reminder may wake late (a busy loop, a suspended VM): it still posts, deduped by day.
REMINDER_GRACE_SECONDS = 3 * 3600
MINIAPP_PREFIX = "/app"
# The digest runs just after its period ends, so that the period it reports is the one just closed.
DIGEST_LAG_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Tuning:
    """What tests and benchmarks turn; production runs the defaults."""

    rate_limit: bool = True
    budget: Budget | None = None  # the pacer's budgets (None: Telegram's); a test saturates a group with a small one
    album_delay: float = 1.2
    outbox_base_delay: float = 2.0
    burst_gap: float = 3.0
    summary_clock: Clock = utcnow
    whatsapp_clock: Clock = utcnow


def intake_config(settings: Settings) -> IntakeConfig:
    max_bytes = settings.max_image_bytes
    if not settings.custom_api_server:
        max_bytes = min(max_bytes, CLOUD_DOWNLOAD_MAX)
    return IntakeConfig(
        default_locale=settings.default_locale,
        tz=settings.tz,
        max_image_bytes=max_bytes,
        max_photos=settings.max_photos,
        messages_per_minute=settings.messages_per_minute,
        reports_per_day=settings.reports_per_day,
        evidence_bytes_per_day=settings.evidence_bytes_per_day,
    )


def summary_config(settings: Settings) -> SummaryConfig:
    return SummaryConfig(
        locale=settings.default_locale,
        tz=settings.tz,
        summary_time=settings.summary_time,
        referral_overdue_days=settings.summary_referral_overdue_days,
    )


async def open_services(settings: Settings, tuning: Tuning) -> Services:
    """Storage and every channel-neutral service, each built once (the terminal demo uses them too)."""
    store = await Store.open(settings.database_path, settings.evidence_dir)
    regions = RegionCatalog.load(settings.region_file)
    worker = OutboxWorker(
        store.outbox, {}, base_delay=tuning.outbox_base_delay, lane=lambda item: owed.lane(item.kind, item.payload)
    )
    own_forms = OwnForms(store, regions, settings.tz)
    intake = Intake(store, regions, intake_config(settings), utcnow, on_report=worker.wake, own_form=own_forms)
    triage = TriageService(store, regions, settings.default_locale, settings.tz, on_enqueue=worker.wake)
    answers = TriageAnswers(
        store,
        triage.triage,
        intake.store_sender_image,
        clock=utcnow,
        on_enqueue=worker.wake,
        max_photos=settings.max_photos,
    )
    # Regional groups give the summary a line each (REGION_GROUPS_FILE; the demo has no supervisors' group).
    routing = load_routing(settings) if settings.supervisor_chat_id is not None else None
    summary = SummaryService(
        store.summary, regions, summary_config(settings), clock=tuning.summary_clock, wake=worker.wake, routing=routing
    )
    notifier = ReporterNotifier(store, settings.default_locale)
    return Services(settings, store, regions, intake, worker, notifier, triage, answers, summary)


class App:
    """The running program: Telegram (always: it carries the supervisors' group) and WhatsApp when set."""

    def __init__(self, services: Services, tuning: Tuning, *, whatsapp: bool) -> None:
        settings = services.settings
        assert settings.supervisor_chat_id is not None  # settings.require_telegram(), in bot/__main__.py
        self.services = services
        self.settings = settings
        store, outbox, notifier = services.store, services.outbox, services.notifier

        # ------------------------------------------------------------ the Telegram application
        self.inbox = TelegramInbox(store.inbox)  # updates written down before Telegram forgets them
        # Telegram's budgets, counted per chat; the priorities are the outbox kinds' (deliverers below).
        self.pacer = Pacer(tuning.budget) if tuning.rate_limit else None
        self.application = telegram.build_application(
            settings,
            self.inbox,
            post_init=self._post_init,
            post_shutdown=self._post_shutdown,
            pacer=self.pacer,
        )
        bot = self.application.bot
        group = settings.supervisor_chat_id
        # The provincial group and the regional ones (REGION_GROUPS_FILE, checked by bot/__main__.py).
        self.routing = load_routing(settings)
        regional = RegionalTriage(services.triage, self.routing)
        card = TriageCard(services.triage, regional)
        self.citizen = CitizenChat(services.intake, settings.default_locale, album_delay=tuning.album_delay)
        self.forwarder = GroupForwarder(bot, store, card, self.routing.group_for, settings.default_locale)
        # One membership cache for the groups' guard and the Mini App: a chat_member update drops it for both.
        self.members = Memberships(bot)
        guard = SupervisorGuard(
            self.members, self.routing.chats, settings.supervisor_allow_list, covers=regional.covers
        )
        self.commands = TriageCommands(services.triage, guard, card, settings.evidence_custodians, regional=regional)
        packets = Packets(bot, services.triage, services.regions)
        archives = ArchiveCommand(services.triage, guard, settings.evidence_custodians)
        referrals = ReferralCommands(services.triage, guard)
        self.triage = TelegramTriage(
            services.triage,
            guard,
            self.commands,
            settings.triage_reminder_time.replace(tzinfo=settings.tz),
            regional=regional,
            card=card,
            digest_minutes=settings.digest_minutes,
        )
        self.summary = TelegramSummary(
            bot,
            services.summary,
            store.outbox,
            summary_chat_id=settings.summary_chat_id,
            supervisor_chat_id=group,
            default_locale=settings.default_locale,
        )

        # ------------------------------------------------------------ the bot's HTTP server: one port, every web door
        self.http = HttpServer(settings.http_listen, settings.http_port)

        # ------------------------------------------------------------ the Mini App (served under /app)
        assert settings.telegram_bot_token is not None
        self.miniapp = MiniAppSite(
            MiniAppConfig(
                bot_token=settings.telegram_bot_token.get_secret_value(),
                audience=Audience(
                    group,
                    settings.summary_chat_id,
                    region_groups={g.chat_id: self.routing.own_scope(g.chat_id) for g in self.routing.groups},
                    allow_list=settings.supervisor_allow_list,
                ),
                default_locale=settings.default_locale,
                secure_cookie=settings.miniapp_url.startswith("https://"),
            ),
            MiniAppService(services.triage, regional),
            Dashboard(services.summary, store.miniapp),
            self.members,
        )
        self.http.mount(MINIAPP_PREFIX, self.miniapp.application())
        office = {settings.summary_chat_id} if settings.summary_chat_id is not None else set()
        miniapp_chats = frozenset({*self.routing.chats, *office})
        miniapp_link = MiniAppLink(miniapp_chats, bool(settings.miniapp_url), settings.default_locale)
        # ------------------------------------------------------------ operators: /healthz, /metrics, stale cards
        self.ops = figures = store.ops
        destinations = Destinations(self.routing.group_for, group)
        self.http.add_routes(
            ops_routes(
                OpsSources(
                    figures,
                    destinations,
                    in_flight=outbox.in_flight,
                    pacer=self.pacer,
                    last_contact=lambda: telegram.seconds_since_answer(bot),
                    clock=utcnow,
                    groups=self.routing.chats,
                    channels=tuple(c.value for c in (Channel.TELEGRAM, *([Channel.WHATSAPP] if whatsapp else []))),
                )
            )
        )
        self.stale_watch = StaleWatch(
            figures,
            store.stale_episodes,
            minutes=settings.stale_card_minutes,
            destination=destinations,
            group_name=lambda chat: self.routing.name(int(chat), t(settings.default_locale, "triage.group_provincial")),
            locale=settings.default_locale,
            clock=utcnow,
            wake=outbox.wake,
        )

        # ------------------------------------------------------------ WhatsApp, a second door for citizens
        self.whatsapp: WhatsAppChannel | None = None
        if whatsapp:
            from bot.whatsapp.channel import WhatsAppChannel  # pywa is imported only when WhatsApp runs

            self.whatsapp = WhatsAppChannel(
                services,
                self.http,
                clock=tuning.whatsapp_clock,
                album_delay=tuning.album_delay,
                burst_gap=tuning.burst_gap,
            )
        self.housekeeping = Housekeeping(
            store,
            settings.contact_retention_days,
            settings.tz,
            whatsapp=self.whatsapp.records if self.whatsapp else None,
        )

        # ------------------------------------------------------------ Telegram handlers. Order matters!
        groups = filters.ChatType.GROUPS
        handlers: list[tuple[BaseHandler[Any, Any, Any], int]] = [
            # Group -1 and first: "/ringkasan" in a private chat is refused there, never read as an
            # answer in a citizen's draft (it raises ApplicationHandlerStop).
            (CommandHandler(COMMAND, self.summary.on_command, filters=filters.UpdateType.MESSAGE), COMMAND_GROUP),
            # Group 0, first match wins: every private message is the citizen's (commands included) ...
            (MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, self.citizen.receive_message), 0),
            # ... every button that is not triage's too ...
            (CallbackQueryHandler(self.citizen.receive_button, pattern=CITIZEN_PATTERN), 0),
            # ... triage's buttons (cards, menus, list pages), and replies to its prompts in the group ...
            (CallbackQueryHandler(self.triage.on_button, pattern=TRIAGE.pattern), 0),
            (MessageHandler(groups & filters.REPLY & filters.TEXT & ~filters.COMMAND, self.triage.on_reply), 0),
            # ... and the group's commands, only from groups.
            (CommandHandler("laporan", self.commands.show_report, filters=groups), 0),
            (CommandHandler("antrian", self.commands.show_queue, filters=groups), 0),
            (CommandHandler("cari", self.commands.search, filters=groups), 0),
            (CommandHandler("bukti", self.commands.send_evidence, filters=groups), 0),
            (CommandHandler("ekspor", self.commands.export, filters=groups), 0),
            (CommandHandler("paket", PacketCommand(packets, services.triage, guard), filters=groups), 0),
            (CommandHandler("arsip", archives, filters=groups), 0),
            (CommandHandler("rujukan", referrals.record_reference, filters=groups), 0),
            (CommandHandler("hasil", referrals.record_outcome, filters=groups), 0),
            (CommandHandler("pindah", self.commands.move_report, filters=groups), 0),
            (CommandHandler(MINIAPP_COMMAND, miniapp_link.on_command, filters=groups), 0),
            # A member who leaves (or joins) a group is asked about afresh, by its buttons, its commands and the
            # Mini App alike: no minute of stale access.
            (ChatMemberHandler(self.members.on_member_update, ChatMemberHandler.CHAT_MEMBER), COMMAND_GROUP),
        ]
        for handler, handler_group in handlers:
            self.application.add_handler(handler, group=handler_group)
        self.application.add_error_handler(telegram.error_handler(settings.default_locale))

        # ------------------------------------------------------------ outbox kinds, their pacing priority, deliverers
        turn = self.pacer.turn if self.pacer is not None else no_wait
        deliverers: list[tuple[str, Priority, Deliverer]] = [
            (owed.FORWARD_REPORT, Priority.CARD, self.forwarder),  # the report's album and first card
            (owed.NOTIFY_REPORTER, Priority.NOTICE, notifier),  # notices to reporters, by their channel
            # A card edit waits for its group's budget before it renders (and drops itself if a newer one is owed).
            (owed.EDIT_CARD, Priority.EDIT, CardEditor(bot, services.triage, card, turn=turn)),
            (owed.POST_ANSWER, Priority.POST, AnswerPoster(bot, services.triage)),
            (owed.GROUP_POST, Priority.BULK, GroupPoster(bot, group)),  # the morning reminders, the provincial digest
            (owed.HANDOFF_PACKET, Priority.POST, PacketPoster(packets, services.triage)),  # the PDF under the card
            (owed.SUMMARY, Priority.BULK, self.summary.deliver),
            # Ahead of cards: one message per stale episode, saying why the cards are late (bot/watch.py).
            (owed.OPS_WARNING, Priority.NOTICE, GroupPoster(bot, group)),
            (
                owed.CARD_MOVED,
                Priority.EDIT,
                CardMovedEditor(bot, services.triage, regional),
            ),  # a moved report's old card
            (owed.EVIDENCE_ALBUM, Priority.POST, EvidencePoster(bot, store, settings.default_locale)),  # "📷 Bukti (n)"
        ]
        for kind, priority, deliverer in deliverers:
            outbox.register(kind, paced_deliverer(priority, deliverer))
        notifier.register(Channel.TELEGRAM, telegram.reporter_sender(bot))
        if self.whatsapp is not None:
            notifier.register(Channel.WHATSAPP, self.whatsapp.notices.send)

        # ------------------------------------------------------------ hooks into the core
        # A reporter's answer to a supervisor's question is claimed before the report conversation.
        services.intake.add_router(services.answers.route)
        # After a notice is sent: which message asked (so a reply to it is an answer), then WhatsApp's
        # record of the notice (for its 24-hour window).
        notifier.on_sent(services.answers.on_notice_sent)
        if self.whatsapp is not None:
            notifier.on_sent(self.whatsapp.notices.remember)

    # ---------------------------------------------------------------- building and running

    @classmethod
    async def open(cls, settings: Settings, tuning: Tuning | None = None, *, whatsapp: bool | None = None) -> App:
        """Open storage and build everything; nothing is started yet (settings checked by bot/__main__.py)."""
        assert settings.telegram_bot_token is not None and settings.supervisor_chat_id is not None
        tuning = tuning or Tuning()
        services = await open_services(settings, tuning)
        return cls(services, tuning, whatsapp=settings.whatsapp_enabled if whatsapp is None else whatsapp)

    async def _post_init(self, application: telegram.TelegramApp) -> None:
        """Start-up, in order: menus, the updates a crash left, the outbox, the jobs, then the doors."""
        settings = self.settings
        assert settings.supervisor_chat_id is not None
        await set_menus(
            application.bot,
            supervisor_chat_id=settings.supervisor_chat_id,
            summary_chat_id=settings.summary_chat_id,
            default_locale=settings.default_locale,
            region_chats=tuple(g.chat_id for g in self.routing.groups),
        )
        await self.inbox.replay(application)
        if self.pacer is not None:  # before the outbox sends: Telegram still counts the last run's minute
            await recall_last_minute(
                self.pacer,
                self.ops,
                provincial=settings.supervisor_chat_id,
                clock=utcnow,
                summary_chat=settings.summary_chat_id,
            )
        self.services.outbox.start()
        jobs = application.job_queue
        if jobs is not None:
            # run_daily runs in UTC unless the time carries its zone (STYLE §8).
            jobs.run_daily(
                self.triage.morning_reminder,
                time=self.triage.reminder_time,
                name="triage-reminder",
                job_kwargs={"misfire_grace_time": REMINDER_GRACE_SECONDS, "coalesce": True},
            )
            if self.routing.regional:
                period = settings.digest_minutes * 60
                jobs.run_repeating(
                    self.triage.digest,
                    interval=period,
                    first=period - utcnow().timestamp() % period + DIGEST_LAG_SECONDS,  # on the period's boundary
                    name="triage-digest",
                    job_kwargs={"misfire_grace_time": period, "coalesce": True},
                )
            if settings.summary_chat_id is not None:
                jobs.run_daily(
                    self.summary.on_schedule,
                    time=settings.summary_time.replace(tzinfo=settings.tz),
                    days=EVERY_DAY,
                    name=JOB_NAME,
                    job_kwargs={"misfire_grace_time": MISFIRE_GRACE_SECONDS, "coalesce": True},
                )
            self.housekeeping.schedule(jobs)
            self.stale_watch.schedule(jobs)
        await self.summary.catch_up()
        await self.http.start()

    async def _post_shutdown(self, application: telegram.TelegramApp) -> None:
        """Shut-down, in order: no new updates, the replies held back, the outbox, then the sessions."""
        await self.http.stop()
        if self.whatsapp is not None:
            await self.whatsapp.stop_receiving()
        await self.citizen.flush()
        await self.services.outbox.stop()
        await self.inbox.stop()
        if self.whatsapp is not None:
            await self.whatsapp.close()  # after the outbox, which may still send WhatsApp notices

    def run(self) -> None:
        """Production: polling or webhook until SIGINT/SIGTERM (the hooks above run inside)."""
        telegram.run(self.application, self.settings)

    @asynccontextmanager
    async def serve(self, *, telegram_too: bool = True) -> AsyncIterator[App]:
        """Run inside an existing event loop (tests, benchmarks); without Telegram, WhatsApp alone."""
        if telegram_too:
            async with telegram.polling(self.application, self._post_init, self._post_shutdown):
                yield self
            return
        assert self.whatsapp is not None
        await self.http.start()
        try:
            yield self
        finally:
            await self.http.stop()
            await self.whatsapp.stop_receiving()
            await self.whatsapp.close()

    async def close(self) -> None:
        await self.services.close()

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        settings: Settings,
        tuning: Tuning | None = None,
        *,
        telegram_too: bool = True,
        whatsapp: bool | None = None,
    ) -> AsyncIterator[App]:
        """`async with App.running(settings) as app`: built, started, and always stopped and closed."""
        app = await cls.open(settings, tuning, whatsapp=whatsapp)
        try:
            async with app.serve(telegram_too=telegram_too):
                yield app
        finally:
            await app.close()


# -------------------------------------------------------------------- the commands of `python -m bot`


def run(settings: Settings) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = loop.run_until_complete(App.open(settings))
    bot = app.application.bot
    try:
        try:
            loop.run_until_complete(telegram.reach_bot_api(bot, settings.telegram_api_url))
        except InvalidToken:
            sys.stderr.write(
                "Configuration error: TELEGRAM_BOT_TOKEN was refused by Telegram (revoked, or"
                " another bot's); copy it again from @BotFather.\n"
            )
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            return  # stopped while waiting for the network: nothing had started
        app.run()
    finally:
        # PTB shuts the bot's HTTP sessions down after run_polling; before it, they are ours to close.
        loop.run_until_complete(bot.shutdown())
        loop.run_until_complete(app.close())
        loop.close()


async def backup(settings: Settings, target: Path) -> None:
    from storage.db import Database

    db = await Database.open(settings.database_path)
    try:
        await db.backup(target)
    finally:
        await db.close()


async def write_summary(settings: Settings, day: date, out_dir: Path) -> int:
    from handlers.summary.service import write_summary as write

    return await write(
        settings.database_path,
        settings.evidence_dir,
        RegionCatalog.load(settings.region_file),
        summary_config(settings),
        day,
        out_dir,
    )


async def write_packet(settings: Settings, code: str, out_dir: Path) -> int:
    """The command line's hand-off: originals may leave only this way or to custodians, never to the group."""
    import getpass

    from handlers.handoff.assemble import write_packet as write
    from storage.store import Store

    store = await Store.open(settings.database_path, settings.evidence_dir)
    try:
        written = await write(
            store,
            store.triage,
            RegionCatalog.load(settings.region_file),
            code,
            out_dir,
            tz=settings.tz,
            now=utcnow(),
            released_by=(CLI_ACTOR, getpass.getuser()),
        )
    finally:
        await store.close()
    if written is None:
        sys.stderr.write(f"No report with the code {code}\n")
        return 1
    for path in written:
        sys.stdout.write(f"{path}\n")
    return 0


CLI_ACTOR = "cli"


async def write_originals(settings: Settings, code: str, out_dir: Path) -> int:
    """`python -m bot bukti KODE --out DIR`: the evidence originals, byte for byte, for a custodian at the
    server; the release is an event in the audit log (who: the system user running the command)."""
    import getpass

    store = await Store.open(settings.database_path, settings.evidence_dir)
    try:
        report = await store.reports.by_code(code)
        if report is None:
            sys.stderr.write(f"No report with the code {code}\n")
            return 1
        photos = [e.photo for e in await store.reports.evidence(report.id) if e.photo is not None]
        if not photos:
            sys.stderr.write(f"Report {report.code} has no evidence files\n")
            return 1
        await store.triage.record_release(
            report.id, actor=CLI_ACTOR, actor_name=getpass.getuser(), at=utcnow(), files=len(photos)
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        for n, photo in enumerate(photos, 1):
            suffix = {"image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}.get(photo.mime, ".jpg")
            path = out_dir / f"{report.code}-{n}{suffix}"
            path.write_bytes(await store.files.get(photo.sha256))
            sys.stdout.write(f"{path}  sha256 {photo.sha256}\n")
    finally:
        await store.close()
    return 0
