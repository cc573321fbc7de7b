"""The report service: one citizen's events in order, their draft kept in SQLite, reports committed.

For each event it takes the sender's lock, skips a redelivered update, loads the draft, lets the
conversation core answer, and saves the draft and the processed update id (on Kirim with the report and
its outbox entry, in one storage transaction: `Reports.submit`) before any reply leaves. A restart resumes
where the draft was.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.common import owed
from handlers.common.callbacks import FORM, GO_START
from handlers.common.events import Button, Choice, Command, Event, Reply, command_text, typed_commands
from handlers.common.limits import FloodGuard
from handlers.common.regions import RegionCatalog
from handlers.report import conversation
from handlers.report.draft import Draft
from handlers.report.images import ImageRejected, InspectedImage, RejectReason, in_decode_worker, inspect_image
from handlers.report.prompts import View, prompt
from handlers.report.reading import status_lines
from locales import LOCALES, normalize_locale, t, tn
from storage.models import Channel, NewReport, PhotoEvidence, Report, Reporter
from storage.store import Store

log = logging.getLogger(__name__)

PREVIEW_KIND = "preview"


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    default_locale: str
    tz: ZoneInfo
    max_image_bytes: int
    max_photos: int = 10
    messages_per_minute: int = 30
    reports_per_day: int = 10
    # Evidence bytes one sender may have written to disk in 24 hours (originals and clean copies); 0: no cap.
    evidence_bytes_per_day: int = 0


# A hook that may claim an event before the report conversation sees it: a reporter answering a
# supervisor's question (triage). It gets the reporter, the event, and the id of the message the event
# replies to (if the channel tells); it returns the replies when it handled the event, else None.
EventRouter = Callable[[Reporter, str, Event, str | None], Awaitable[list[Reply] | None]]
# The reporter's own pre-filled form of one of their reports, in their language (handlers/handoff/own_form.py,
# given by the composition root: the hand-off package builds on this one).
OwnForm = Callable[[Report, str], Awaitable[Reply]]
# A form is a PDF rendered anew (about 0.6 s of CPU with ten photos): a few a minute per reporter is plenty.
FORMS_PER_MINUTE = 3


@dataclass(frozen=True, slots=True)
class Answer:
    """The replies to one event, and the language they are in (for the transport's own labels)."""

    replies: list[Reply]
    locale: str


class KeyedLocks:
    """One asyncio.Lock per sender, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Intake:
    def __init__(
        self,
        store: Store,
        regions: RegionCatalog,
        config: IntakeConfig,
        clock: Callable[[], datetime],
        on_report: Callable[[], None] = lambda: None,
        own_form: OwnForm | None = None,
    ) -> None:
        self._on_report = on_report
        self._own_form = own_form
        self._routers: list[EventRouter] = []
        self._store = store
        self._regions = regions
        self._config = config
        self._clock = clock
        self._locks = KeyedLocks()
        self._flood = FloodGuard(config.messages_per_minute)
        self._forms = FloodGuard(FORMS_PER_MINUTE)

    def add_router(self, router: EventRouter) -> None:
        """Let another part of the bot (triage's answers) claim events first."""
        self._routers.append(router)

    async def handle(
        self,
        channel: Channel,
        address: str,
        event: Event,
        *,
        update_id: str | None = None,
        language_hint: str | None = None,
        reply_to: str | None = None,
    ) -> Answer:
        """Answer one event from one sender; an already-processed update answers nothing."""
        key = f"{channel}:{address}"
        async with self._locks.hold(key):
            store = self._store
            start = await store.drafts.turn_start(channel, address, update_id)
            if start.processed:
                log.info("skipping redelivered %s update", channel)
                return Answer([], self._config.default_locale)
            reporter = start.reporter or await store.reporters.get_or_create(channel, address)
            locale = reporter.locale or normalize_locale(language_hint, self._config.default_locale)
            verdict = self._flood.check(key, time.monotonic())
            if verdict != "ok":
                return Answer([Reply(t(locale, "flood.slow_down"))] if verdict == "warn" else [], locale)
            draft = Draft.load(start.draft)
            routed = await self._route(reporter, locale, event, reply_to)
            if routed is not None:
                if update_id is not None:
                    await store.drafts.mark_processed(channel, update_id)
                return Answer(routed, locale)
            if isinstance(event, Command) and event.name == "bahasa":
                # Switched first, so the answer (and the transport's own labels) are in the new language.
                locale = LOCALES[(LOCALES.index(locale) + 1) % len(LOCALES)]
                await store.reporters.set_locale(reporter.id, locale)
                replies, new_draft, report = self._language_changed(locale, draft, reporter.channel), draft, None
            else:
                replies, new_draft, report = await self._turn(reporter, locale, event, draft)
            if report is None:
                await store.drafts.save_turn(channel, update_id, reporter.id, new_draft.dump())
                # A cancelled draft's (or a removed) photo is shredded once nothing else refers to it: the
                # citizen was told their answers are deleted.
                dropped = {p.sha256 for p in draft.photos} - {p.sha256 for p in new_draft.photos}
                if dropped:
                    await store.release_evidence(dropped)
                return Answer(replies, locale)
            created = await store.reports.submit(
                report,
                owed=lambda new: [owed.forward_report(new.id)],
                draft=new_draft.dump(),
                processed=(channel, update_id) if update_id is not None else None,
                now=self._clock(),
            )
            log.info("report %s committed", created.code)
            self._on_report()
            return Answer(self._submitted(created, locale, reporter.channel), locale)

    async def _route(self, reporter: Reporter, locale: str, event: Event, reply_to: str | None) -> list[Reply] | None:
        for router in self._routers:
            replies = await router(reporter, locale, event, reply_to)
            if replies is not None:
                return replies
        return None

    async def _turn(
        self, reporter: Reporter, locale: str, event: Event, draft: Draft
    ) -> tuple[list[Reply], Draft, NewReport | None]:
        if isinstance(event, Command) and event.name == "status":
            return await self._status(reporter, locale, event.args, draft), draft, None
        if isinstance(event, Command) and event.name == "formulir":
            return await self._form(reporter, locale, event.args), draft, None
        if isinstance(event, Choice) and FORM.owns(event.data):
            # Whatever step the draft is at: the button is the status view's, not the conversation's.
            parts = FORM.unpack(event.data)
            return await self._form(reporter, locale, parts[0] if parts else ""), draft, None
        limit_reply = [
            Reply(tn(locale, "flood.daily_limit", self._config.reports_per_day, max=self._config.reports_per_day))
        ]
        starts = (isinstance(event, Command) and event.name == "lapor") or event == Choice(GO_START)
        if starts and not draft.active and await self._over_daily_limit(reporter):
            return limit_reply, draft, None
        turn = await conversation.handle(event, draft, self._context(locale, reporter.channel, reporter))
        if not turn.submit:
            return turn.replies, turn.draft, None
        # Checked again at Kirim: several drafts may have been started before the limit was reached.
        if await self._over_daily_limit(reporter):
            return limit_reply, turn.draft, None
        return [], Draft(), self._new_report(reporter, locale, turn.draft)

    def _context(
        self, locale: str, channel: Channel | None = None, reporter: Reporter | None = None
    ) -> conversation.Context:
        today = self._clock().astimezone(self._config.tz).date()
        view = View(
            locale=locale,
            today=today,
            regions=self._regions,
            max_photos=self._config.max_photos,
            typed_commands=typed_commands(channel),
            tz=self._config.tz,
        )
        store_image = self.store_image
        if reporter is not None:
            store_image = functools.partial(self.store_sender_image, reporter.id)
        return conversation.Context(
            view=view,
            store_image=store_image,
            max_image_bytes=self._config.max_image_bytes,
            daily_quota_mb=round(self._config.evidence_bytes_per_day / (1024 * 1024), 1),
        )

    async def store_sender_image(self, reporter_id: int, data: bytes, source_id: str | None = None) -> PhotoEvidence:
        """`store_image`, refused once this sender's evidence of the last 24 hours would pass the quota
        (MAX_EVIDENCE_MB_PER_DAY; 0: no quota): a draft's photos and answers to supervisors alike.

        Counted before anything is written, as twice the original's size (the original and its clean copy,
        an estimate for the copy: the cap is a bound, not a bill); the turn runs under the sender's lock, so
        two photos of one sender cannot both slip under it."""
        if self._config.evidence_bytes_per_day <= 0:
            return await self.store_image(data, source_id)
        drafts = self._store.drafts
        now = self._clock()
        used = await drafts.uploaded_since(reporter_id, now - timedelta(days=1))
        if used + 2 * len(data) > self._config.evidence_bytes_per_day:
            log.info("evidence quota reached for a sender")
            raise ImageRejected(RejectReason.QUOTA)
        photo = await self.store_image(data, source_id)
        await drafts.record_upload(reporter_id, 2 * len(data), now)
        return photo

    async def store_image(self, data: bytes, source_id: str | None = None) -> PhotoEvidence:
        """Validate, hash and keep an image: the original byte for byte, and a metadata-free preview.

        The channel's `source_id` is kept only when the preview is the original itself (nothing to strip):
        only then may the group be shown the channel's copy instead of an upload of the preview.
        """
        # One hop to an image worker for all of it (Pillow and file writes release the GIL).
        inspected = await in_decode_worker(lambda: self._inspect_and_keep(data))
        lat, lon = inspected.gps if inspected.gps else (None, None)
        return PhotoEvidence(
            sha256=inspected.sha256,
            mime=inspected.mime,
            size_bytes=inspected.size_bytes,
            width=inspected.width,
            height=inspected.height,
            captured_at=inspected.captured_at,
            latitude=lat,
            longitude=lon,
            dhash=inspected.dhash,
            source_id=source_id if inspected.preview_jpeg is data else None,
        )

    def _inspect_and_keep(self, data: bytes) -> InspectedImage:
        inspected = inspect_image(data, max_bytes=self._config.max_image_bytes)
        self._store.files.keep(data, inspected.sha256, {PREVIEW_KIND: inspected.preview_jpeg})
        return inspected

    async def _over_daily_limit(self, reporter: Reporter) -> bool:
        since = self._clock() - timedelta(days=1)
        return await self._store.reports.count_since(reporter.id, since) >= self._config.reports_per_day

    @staticmethod
    def _new_report(reporter: Reporter, locale: str, draft: Draft) -> NewReport:
        assert draft.category and draft.subject_status and draft.region_id and draft.place
        assert draft.incident_date and draft.description
        return NewReport(
            reporter_id=reporter.id,
            channel=reporter.channel,
            category=draft.category,
            subject_name=draft.subject_name,
            subject_agency=draft.subject_agency,
            subject_status=draft.subject_status,
            region_id=draft.region_id,
            place=draft.place,
            latitude=draft.latitude,
            longitude=draft.longitude,
            incident_date=draft.incident_date,
            description=draft.description,
            locale=locale,
            photos=tuple(draft.photos),
            links=tuple(draft.links),
            contact=draft.contact,
            known_date=draft.known_date,
            workplace=draft.workplace if draft.region_unknown else None,
            witnesses=tuple(draft.witnesses),
        )

    def _submitted(self, report: Report, locale: str, channel: Channel) -> list[Reply]:
        return [
            Reply(
                t(locale, command_text("report.submitted", typed=typed_commands(channel)), code=report.code),
                ((Button(t(locale, "report.another"), GO_START),),),
            )
        ]

    async def _status(self, reporter: Reporter, locale: str, args: str, draft: Draft) -> list[Reply]:
        reports = self._store.reports
        if args.strip():
            report = await reports.by_code(args.strip())
            # The same answer for someone else's code and a code that does not exist: nothing to probe.
            if report is None or report.reporter_id != reporter.id:
                return [Reply(t(locale, "status.not_found"))]
            events = await reports.events(report.id)
            buttons: tuple[tuple[Button, ...], ...] = ()
            if self._own_form is not None:
                buttons = ((Button(t(locale, "status.form_button"), FORM.pack(report.code)),),)
            return [Reply(status_lines(report, events, locale, self._config.tz, self._regions), buttons)]
        mine = await reports.by_reporter(reporter.id, limit=10)
        if not mine:
            return [Reply(t(locale, "status.none"), ((Button(t(locale, "start.button"), GO_START),),))]
        lines = [t(locale, "status.list_header")]
        lines += [
            t(
                locale,
                "status.list_item",
                code=r.code,
                date=r.created_at.astimezone(self._config.tz).strftime("%d/%m/%Y"),
                state=t(locale, f"state.{r.state}"),
            )
            for r in mine
        ]
        lines.append(t(locale, command_text("status.list_footer", typed=typed_commands(reporter.channel))))
        return [Reply("\n".join(lines))]

    async def _form(self, reporter: Reporter, locale: str, code: str) -> list[Reply]:
        """The reporter's own form, to their own chat only: someone else's code reads as no such report."""
        if not code.strip():
            return [Reply(t(locale, command_text("status.form_usage", typed=typed_commands(reporter.channel))))]
        report = await self._store.reports.by_code(code.strip())
        if self._own_form is None or report is None or report.reporter_id != reporter.id:
            return [Reply(t(locale, "status.not_found"))]
        if self._forms.check(str(reporter.id), time.monotonic()) != "ok":
            return [Reply(t(locale, "status.form_slow_down", code=report.code))]
        reply = await self._own_form(report, locale)
        log.info("own form of %s sent to its reporter", report.code)
        return [reply]

    def _language_changed(self, locale: str, draft: Draft, channel: Channel) -> list[Reply]:
        """The confirmation, with the current question again, in the new language."""
        changed = Reply(t(locale, "language.changed"))
        return conversation.merge_notices([changed, prompt(draft, self._context(locale, channel).view)])
