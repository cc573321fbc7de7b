"""The WhatsApp channel: pywa's async client wired to the shared services, and its webhook server.

Incoming messages and button/list replies become core events for the one report service (the sender's
number, normalised to +62…, is their address); its replies are rendered within WhatsApp's limits. The
channel runs inside the Telegram application's event loop, started and stopped by bot/app.py: Telegram
carries the supervisors' group, WhatsApp is a second door for citizens.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from pywa import WhatsApp as BaseWhatsApp
from pywa import types
from pywa_async import WhatsApp, errors, handlers
from pywa_async.types import MessageType

from bot.coalesce import Coalescer
from bot.services import Services
from bot.web.server import HttpServer
from bot.whatsapp.events import Bursts, address_of, event_from_message
from bot.whatsapp.notices import WhatsAppNotices
from bot.whatsapp.render import OWN_NUMBER, send_reply
from bot.whatsapp.webhook import Webhook
from handlers.common.events import Choice, Command, Event, FetchFailed, Reply, SharedContact
from handlers.report.images import ImageRejected, RejectReason
from locales import t
from storage.db import utcnow
from storage.models import Channel

log = logging.getLogger(__name__)


class WhatsAppChannel:
    def __init__(
        self,
        services: Services,
        http: HttpServer,
        *,
        clock: Callable[[], datetime] = utcnow,
        album_delay: float = 1.2,
        burst_gap: float = 3.0,
        max_pending: int = 1000,
    ) -> None:
        settings = services.settings
        settings.require_whatsapp()
        assert settings.whatsapp_token is not None and settings.whatsapp_app_secret is not None
        assert settings.whatsapp_verify_token is not None
        self.services = services
        self._clock = clock
        self._max_bytes = settings.max_image_bytes
        self._session = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
        self.client = WhatsApp(
            phone_id=settings.whatsapp_phone_number_id.strip(),
            token=settings.whatsapp_token.get_secret_value(),
            session=self._session,
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
            app_secret=settings.whatsapp_app_secret.get_secret_value(),
            validate_updates=True,
        )
        # pywa always aims at graph.facebook.com: keep its API version, take the host from WHATSAPP_API_URL.
        self._session.base_url = httpx.URL(settings.whatsapp_api_url + self._session.base_url.path)
        self.client.add_handlers(
            handlers.MessageHandler(self.receive_message),
            handlers.CallbackButtonHandler(self.receive_button),
            handlers.CallbackSelectionHandler(self.receive_selection),
            handlers.MessageStatusHandler(self.receive_status),
        )
        self.records = services.store.whatsapp
        self.notices = WhatsAppNotices(
            self.client, self.records, settings.whatsapp_template_notice, clock, services.outbox.wake
        )
        self.webhook = Webhook(self.client, max_pending=max_pending)
        self._http = http
        http.add_routes(self.webhook.routes())
        self._bursts = Bursts(burst_gap)
        self._replies = Coalescer(album_delay)

    # ------------------------------------------------------------------ pywa callbacks
    # pywa types its handlers with the base (sync) client and update classes; the objects passed here are
    # their pywa_async subclasses. The callbacks only read them and send through `self.client`.

    async def receive_message(self, _: BaseWhatsApp, message: types.Message) -> None:
        """Any message from a citizen: translate it, let the core answer, send the answer."""
        address = address_of(message.from_user)
        if address is None:
            return
        group = None
        if message.type in (MessageType.IMAGE, MessageType.DOCUMENT):
            group = self._bursts.group_for(address, message.id, time.monotonic())
        event = event_from_message(message, self._downloader, group)
        if event is None:
            return
        replied = message.reply_to_message
        await self._dispatch(address, message.id, message.timestamp, event, replied.id if replied else None)

    async def receive_button(self, _: BaseWhatsApp, button: types.CallbackButton[Any]) -> None:
        """A reply button (or a template's quick reply) pressed: a choice, like a Telegram button."""
        replied = button.reply_to_message
        await self._choice(
            button.from_user, button.id, button.timestamp, str(button.data), replied.id if replied else None
        )

    async def receive_selection(self, _: BaseWhatsApp, selection: types.CallbackSelection[Any]) -> None:
        """A list row chosen: a choice too."""
        await self._choice(
            selection.from_user, selection.id, selection.timestamp, str(selection.data), selection.reply_to_message.id
        )

    async def receive_status(self, _: BaseWhatsApp, status: types.MessageStatus[Any]) -> None:
        """A delivery status of a message we sent: recorded, never answered."""
        await self.notices.on_status(status)

    async def _choice(
        self, user: types.User, message_id: str, sent_at: datetime, data: str, reply_to: str | None
    ) -> None:
        address = address_of(user)
        if address is None:
            return
        event: Event = Choice(data)
        if data == OWN_NUMBER and address.startswith("+"):
            event = SharedContact(phone=address, name=None, is_own=True)
        await self._dispatch(address, message_id, sent_at, event, reply_to)

    # ------------------------------------------------------------------ the conversation

    async def _dispatch(
        self, address: str, message_id: str, sent_at: datetime, event: Event, reply_to: str | None
    ) -> None:
        locale = self.services.settings.default_locale
        try:
            reporter = await self.services.store.reporters.get_or_create(Channel.WHATSAPP, address)
            locale = reporter.locale or locale
            now = self._clock()
            first = await self.records.record_inbound(reporter.id, min(sent_at, now), now)
            if first and not isinstance(event, Command | Choice):
                # WhatsApp has no start button: a first "halo" is answered with what /start says.
                event = Command("start")
            answer = await self.services.intake.handle(
                Channel.WHATSAPP,
                address,
                event,
                update_id=message_id,
                reply_to=reply_to,
            )
        except Exception:
            log.error("error while handling a WhatsApp message", exc_info=True)
            await send_reply(self.client, address, Reply(t(locale, "error.internal")), locale)
            return
        for reply in answer.replies:
            if reply.coalesce_key is not None:
                self._replies.submit(f"{address}:{reply.coalesce_key}", self._sender(address, reply, answer.locale))
            else:
                await send_reply(self.client, address, reply, answer.locale)

    def _sender(self, address: str, reply: Reply, locale: str) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            await send_reply(self.client, address, reply, locale)

        return send

    def _downloader(self, media_id: str) -> Callable[[], Awaitable[bytes]]:
        """Fetch through the Graph API media endpoint, only when the core asks, never past the size limit."""

        async def fetch() -> bytes:
            try:
                media = await self.client.get_media_url(media_id)
                if media.file_size > self._max_bytes:
                    raise ImageRejected(RejectReason.TOO_LARGE, f"{media.file_size} bytes announced")
                data = bytearray()
                async with contextlib.aclosing(self.client.stream_media(media.url)) as chunks:
                    async for chunk in chunks:
                        data += chunk
                        if len(data) > self._max_bytes:
                            raise ImageRejected(RejectReason.TOO_LARGE, "more bytes than announced")
                return bytes(data)
            except (errors.WhatsAppError, httpx.HTTPError) as exc:
                raise FetchFailed(type(exc).__name__) from exc

        return fetch

    # ------------------------------------------------------------------ life cycle

    @property
    def port(self) -> int:
        """Where Meta's calls arrive: the bot's HTTP server (behind the proxy's /whatsapp)."""
        return self._http.port

    async def stop_receiving(self) -> None:
        """After the HTTP server has stopped: finish the updates in hand, send the acknowledgements held back."""
        await self.webhook.stop()
        await self._replies.flush()

    async def close(self) -> None:
        """Close the Graph API session: after the outbox has stopped, which may still send notices."""
        await self._session.aclose()
