"""Notices to WhatsApp reporters (ticket follow-ups, triage moves, questions), inside or outside the window.

WhatsApp lets a business write freely only within 24 hours of the user's last message (the customer-
service window); after that only pre-approved templates. So a notice goes out as a normal message, with
its buttons, while the reporter's last message is younger than 24 hours less a safety margin, and as the
configured template (ticket code + notice text) otherwise. If WhatsApp still refuses the free-form
message as outside the window (error 131047, at once or later in a status callback), the window is
taken as closed and the notice is owed again, which sends it as the template.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from pywa import types as base_types
from pywa_async import WhatsApp, errors
from pywa_async.types.templates import TemplateLanguage

from bot.outbox import GiveUp, RetryLater
from bot.whatsapp.events import recipient
from bot.whatsapp.render import deliver, one_line
from handlers.common.events import Reply
from locales import t
from storage.models import Channel, OutboxItem, Reporter
from storage.reports import CODE_LENGTH, CODE_PREFIX
from storage.whatsapp import ServiceWindow, WhatsAppRecords

log = logging.getLogger(__name__)

WINDOW: Final = timedelta(hours=24)
# Delivery delays and clock skew: a notice sent at 23h59m could land outside the window.
WINDOW_MARGIN: Final = timedelta(minutes=10)
TEMPLATE_LANGUAGES: Final = {"id": TemplateLanguage.INDONESIAN, "en": TemplateLanguage.ENGLISH_US}
RE_ENGAGEMENT: Final = 131047
_CODE_RE: Final = re.compile(rf"{re.escape(CODE_PREFIX)}[2-9A-Z]{{{CODE_LENGTH}}}")
# Recipients WhatsApp will never reach: keep the notice as dead rather than retry for ever.
_UNREACHABLE: Final = (
    errors.MessageUndeliverable,
    errors.RecipientNotInAllowedList,
    errors.UserIsInExperimentGroup,
    errors.MessageUndeliverableDueToHealthyEcosystemEngagement,
)


def window_open(window: ServiceWindow | None, now: datetime) -> bool:
    """Whether a free-form message may go out now."""
    if window is None:
        return False
    if window.refused_at is not None and window.refused_at >= window.last_inbound_at:
        return False
    return now - window.last_inbound_at < WINDOW - WINDOW_MARGIN


class WhatsAppNotices:
    """The notifier's WhatsApp sender, and what follows from the delivery statuses of its messages."""

    def __init__(
        self,
        client: WhatsApp,
        records: WhatsAppRecords,
        template: str,
        clock: Callable[[], datetime],
        wake_outbox: Callable[[], None],
    ) -> None:
        self._client = client
        self._records = records
        self._template = template
        self._clock = clock
        self._wake = wake_outbox
        self._sent_as_template: dict[str, bool] = {}

    async def send(self, reporter: Reporter, reply: Reply, locale: str) -> str | None:
        """Deliver one notice; WhatsApp's answers become the outbox's retry decisions."""
        try:
            return await self._send(reporter, reply, locale)
        except errors.ThrottlingError as exc:
            raise RetryLater(60, "whatsapp throttling") from exc
        except _UNREACHABLE as exc:
            raise GiveUp(f"whatsapp cannot reach the reporter ({exc.code})") from exc
        except (errors.AuthorizationError, errors.IntegrityError) as exc:
            log.error("WhatsApp refused the bot's credentials or account: %s (code %s)", type(exc).__name__, exc.code)
            raise RetryLater(600, type(exc).__name__) from exc
        except errors.WhatsAppError as exc:
            if 132000 <= exc.code < 132100:
                # The template is missing, paused or differs from the configured one: an operator must act;
                # keep the notice until then.
                log.error(
                    "WhatsApp refused template %r: %s (code %s); see README",
                    self._template,
                    type(exc).__name__,
                    exc.code,
                )
                raise RetryLater(3600, type(exc).__name__) from exc
            raise

    async def _send(self, reporter: Reporter, reply: Reply, locale: str) -> str:
        now = self._clock()
        if window_open(await self._records.window(reporter.id), now):
            try:
                message_id = await deliver(self._client, reporter.address, reply, locale)
            except errors.ReEngagementMessage:
                await self._records.refuse_window(reporter.id, now)
            else:
                self._sent_as_template[message_id] = False
                return message_id
        message_id = await self._send_template(reporter, reply, locale)
        self._sent_as_template[message_id] = True
        return message_id

    async def _send_template(self, reporter: Reporter, reply: Reply, locale: str) -> str:
        found = _CODE_RE.search(reply.text)
        code = reply.extra.get("code") or (found.group(0) if found else t(locale, "wa.no_code"))
        language = TEMPLATE_LANGUAGES.get(locale, TemplateLanguage.INDONESIAN)
        sent = await self._client.send_template(
            to=recipient(reporter.address),
            name=self._template,
            language=language,
            params=[
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": code},
                        {"type": "text", "text": one_line(reply.text)},
                    ],
                }
            ],
        )
        log.info("notice sent as template (outside the 24-hour window)")
        return sent.id

    async def remember(self, item: OutboxItem, reporter: Reporter, message_id: str | None) -> None:
        """The notifier's sent hook: keep which outbox entry a wamid carried, for a late refusal."""
        if reporter.channel != Channel.WHATSAPP or not message_id:
            return
        as_template = self._sent_as_template.pop(message_id, True)
        await self._records.record_notice(message_id, item.id, reporter.id, as_template=as_template, now=self._clock())

    async def on_status(self, status: base_types.MessageStatus[Any]) -> None:
        """Record a delivery status; a free-form notice refused as outside the window is owed again."""
        error = status.error
        code = error.code if error is not None else None
        new = await self._records.record_status(status.id, status.status.value, status.timestamp, code, self._clock())
        if not new or code is None:
            return
        notice = await self._records.notice(status.id)
        if notice is None:
            log.warning("a WhatsApp message failed: code %s", code)
            return
        if code == RE_ENGAGEMENT and not notice.as_template:
            await self._records.refuse_window(notice.reporter_id, status.timestamp)
            if await self._records.requeue_notice(notice):
                log.info("notice outside the 24-hour window; sending it again as the template")
                self._wake()
        else:
            log.warning("a notice to a WhatsApp reporter failed: code %s", code)
