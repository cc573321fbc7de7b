"""The reporter's side of "Minta info": recognising an answer and attaching it to the report.

An event is an answer when it replies to a relayed question, when it follows a press of the question's
"Answer" button (answer mode, until "Done", a command, another button or 15 quiet minutes), or when it is
another photo of an album whose first photo was an answer. Everything else returns None and the report
conversation (a new report in progress) proceeds undisturbed. Works on any channel: Telegram replies
and WhatsApp reply contexts both arrive as `reply_to`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from handlers.common import owed
from handlers.common.callbacks import ANSWER, ANSWER_DONE, number
from handlers.common.events import (
    Button,
    Choice,
    Command,
    Event,
    FetchFailed,
    Image,
    Reply,
    Text,
    Unsupported,
    command_text,
    typed_commands,
)
from handlers.common.text import clean, find_links
from handlers.report.conversation import MAX_LINKS, StoreSenderImage
from handlers.report.images import ImageRejected, RejectReason
from handlers.triage.machine import REPORTER_ACTOR, Action
from locales import t, tn
from storage.models import CLOSED_STATES, NewEvent, OutboxItem, PhotoEvidence, Report, Reporter, ReportState
from storage.store import Store
from storage.triage import TriageStore

log = logging.getLogger(__name__)

ANSWER_PREFIX: Final = ANSWER.name + ":"
DONE_PREFIX: Final = ANSWER_DONE.name + ":"
ANSWER_MODE: Final = timedelta(minutes=15)
ALBUM_MEMORY: Final = 120.0  # seconds: album siblings arrive within a second or two
MAX_ANSWER: Final = 3000
# Answers may add as much evidence again as intake allows a report (max_photos photos, MAX_LINKS links),
# and no more: two answers once added 388 links, and the card could no longer be edited.
EVIDENCE_FACTOR: Final = 2


class TriageAnswers:
    """The Intake router for answers, and the notifier hook that remembers which message asked."""

    def __init__(
        self,
        store: Store,
        triage: TriageStore,
        store_image: StoreSenderImage,
        *,
        clock: Callable[[], datetime],
        on_enqueue: Callable[[], None] = lambda: None,
        max_photos: int = 10,
    ) -> None:
        self._max_photos = max_photos * EVIDENCE_FACTOR
        self._max_links = MAX_LINKS * EVIDENCE_FACTOR
        self._store = store
        self._triage = triage
        self._store_image = store_image
        self._clock = clock
        self._on_enqueue = on_enqueue
        self._albums: dict[tuple[int, str], tuple[int, float]] = {}

    async def on_notice_sent(self, item: OutboxItem, reporter: Reporter, message_id: str | None) -> None:
        """ReporterNotifier hook: a relayed question's message id, so that a reply to it is an answer."""
        request_id = item.payload.get("info_request_id")
        if request_id is not None and message_id is not None:
            await self._triage.set_info_message(int(str(request_id)), message_id)

    async def route(self, reporter: Reporter, locale: str, event: Event, reply_to: str | None) -> list[Reply] | None:
        """Claim the event if it is an answer (returning the replies), else None."""
        if isinstance(event, Choice):
            if event.data.startswith(ANSWER_PREFIX):
                return await self._start(reporter, locale, event.data[len(ANSWER_PREFIX) :])
            if event.data.startswith(DONE_PREFIX):
                await self._triage.clear_answer_mode(reporter.id)
                return [Reply(t(locale, command_text("triage.answer_done", typed=typed_commands(reporter.channel))))]
            await self._leave_mode(reporter)
            return None
        if isinstance(event, Command):
            await self._leave_mode(reporter)
            return None
        if not isinstance(event, Text | Image | Unsupported):
            return None  # a location or contact belongs to the report conversation
        report_id, in_mode = await self._target(reporter, event, reply_to)
        if report_id is None:
            return None
        report = await self._store.reports.get(report_id)
        if report is None or report.reporter_id != reporter.id:
            return None
        if report.state in CLOSED_STATES:
            await self._leave_mode(reporter)
            return [self._closed(reporter, report, locale)]
        if isinstance(event, Unsupported):
            return [Reply(t(locale, "triage.answer_text_or_photo"))]
        if in_mode:
            await self._triage.set_answer_mode(reporter.id, report.id, self._clock() + ANSWER_MODE)
        if isinstance(event, Text):
            return await self._answer_text(report, locale, event.text, in_mode)
        if event.group_id:
            self._remember_album(reporter.id, event.group_id, report.id)
        return await self._answer_photo(report, locale, event, in_mode)

    async def _target(self, reporter: Reporter, event: Event, reply_to: str | None) -> tuple[int | None, bool]:
        if reply_to is not None:
            request = await self._triage.info_request_by_message(reporter.id, reply_to)
            if request is not None:
                return request.report_id, False
        if isinstance(event, Image) and event.group_id:
            remembered = self._albums.get((reporter.id, event.group_id))
            if remembered is not None and remembered[1] > time.monotonic():
                return remembered[0], False
        mode = await self._triage.answer_mode(reporter.id, self._clock())
        return mode, mode is not None

    def _remember_album(self, reporter_id: int, group_id: str, report_id: int) -> None:
        now = time.monotonic()
        for key in [k for k, (_, until) in self._albums.items() if until <= now]:
            del self._albums[key]
        self._albums[(reporter_id, group_id)] = (report_id, now + ALBUM_MEMORY)

    async def _leave_mode(self, reporter: Reporter) -> None:
        if await self._triage.answer_mode(reporter.id, self._clock()) is not None:
            await self._triage.clear_answer_mode(reporter.id)

    async def _start(self, reporter: Reporter, locale: str, raw_id: str) -> list[Reply]:
        """The "Answer" button: what follows is the answer, until "Done"."""
        report_id = number(raw_id)
        report = await self._store.reports.get(report_id) if report_id is not None else None
        # Someone else's report and a forged id get the same answer: nothing to probe.
        if (
            report is None
            or report.reporter_id != reporter.id
            or await self._triage.latest_info_request(report.id) is None
        ):
            return [Reply(t(locale, "triage.answer_unknown"))]
        if report.state in CLOSED_STATES:
            return [self._closed(reporter, report, locale)]
        await self._triage.set_answer_mode(reporter.id, report.id, self._clock() + ANSWER_MODE)
        return [Reply(t(locale, "triage.answer_prompt", code=report.code), self._done_button(report, locale))]

    @staticmethod
    def _closed(reporter: Reporter, report: Report, locale: str) -> Reply:
        key = command_text("triage.answer_closed", typed=typed_commands(reporter.channel))
        return Reply(t(locale, key, code=report.code))

    @staticmethod
    def _done_button(report: Report, locale: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(t(locale, "triage.answer_done_button"), ANSWER_DONE.pack(report.id)),),)

    def _ack(self, report: Report, locale: str, key: str, in_mode: bool, coalesce: str | None = None) -> Reply:
        hint = t(locale, "triage.answer_more_mode" if in_mode else "triage.answer_more_reply")
        return Reply(
            t(locale, key, code=report.code, hint=hint),
            self._done_button(report, locale) if in_mode else (),
            coalesce_key=coalesce,
        )

    async def _answer_text(self, report: Report, locale: str, raw: str, in_mode: bool) -> list[Reply]:
        text = clean(raw)
        if not text:
            return [Reply(t(locale, "triage.answer_text_or_photo"))]
        if len(text) > MAX_ANSWER:
            return [Reply(tn(locale, "triage.answer_too_long", MAX_ANSWER, max=MAX_ANSWER))]
        _, links = await self._held(report)
        found = [link for link in dict.fromkeys(find_links(text)) if link not in links]
        kept = found[: max(0, self._max_links - len(links))]
        await self._record(report, note=text, links=tuple(kept))
        replies = [self._ack(report, locale, "triage.answer_received", in_mode)]
        if len(kept) < len(found):
            replies.append(self._full(report, locale))
        return replies

    async def _held(self, report: Report) -> tuple[int, list[str]]:
        """The report's photo count and links, all sources together."""
        evidence = await self._store.reports.evidence(report.id)
        return sum(e.photo is not None for e in evidence), [e.url for e in evidence if e.url]

    def _full(self, report: Report, locale: str) -> Reply:
        return Reply(
            t(locale, "triage.answer_evidence_full", code=report.code, photos=self._max_photos, links=self._max_links)
        )

    async def _answer_photo(self, report: Report, locale: str, event: Image, in_mode: bool) -> list[Reply]:
        photos, _ = await self._held(report)
        if photos >= self._max_photos:
            # Not even downloaded; one notice for an album, as for the acknowledgement.
            full = self._full(report, locale)
            return [Reply(full.text, coalesce_key=f"triage-answer-full:{report.id}")]
        try:
            photo = await self._store_image(report.reporter_id, await event.fetch(), event.source_id)
        except ImageRejected as exc:
            log.info("answer photo for %s rejected: %s", report.code, exc.reason)
            if exc.reason is RejectReason.QUOTA:
                return [Reply(t(locale, "triage.answer_photo_quota"))]
            return [Reply(t(locale, "triage.answer_photo_rejected"))]
        except FetchFailed as exc:
            log.warning("answer photo for %s not downloaded: %s", report.code, exc)
            return [Reply(t(locale, "triage.answer_photo_failed"))]
        await self._record(report, photo=photo)
        # One acknowledgement for an album: the transport keeps only the last of a burst.
        return [
            self._ack(report, locale, "triage.answer_photo_received", in_mode, coalesce=f"triage-answer:{report.id}")
        ]

    async def _record(
        self,
        report: Report,
        *,
        note: str | None = None,
        photo: PhotoEvidence | None = None,
        links: tuple[str, ...] = (),
    ) -> None:
        """The answer as an event (handing a report waiting for it back to the supervisors), its
        evidence, and the group post and card edit it owes, in one transaction."""
        event = NewEvent(
            actor=REPORTER_ACTOR,
            action=Action.INFO_RECEIVED,
            at=self._clock(),
            note=note,
            detail=f"photo:{photo.sha256}" if photo else None,
        )
        waiting = report.state is ReportState.BUTUH_INFO
        await self._triage.record_answer(
            report.id,
            event,
            hand_back=(ReportState.BUTUH_INFO, ReportState.DIPROSES) if waiting else None,
            photos=(photo,) if photo else (),
            links=links,
            owed=lambda event_id: [owed.post_answer(report.id, event_id), owed.edit_card(report.id, event_id)],
        )
        log.info("answer for report %s recorded", report.code)
        self._on_enqueue()
