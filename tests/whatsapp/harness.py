"""Running the WhatsApp channel (with or without Telegram) against fakes on loopback, and a citizen to use it.

The citizen posts real-shaped Cloud API webhook payloads (the fixtures, with sender, wamid, time and
content filled in), signed with the app secret, to the real webhook server on 127.0.0.1; what the bot
answers is read from the fake Graph API.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App, Tuning
from bot.settings import Settings
from bot.whatsapp.channel import WhatsAppChannel
from storage.db import utcnow
from tests.fakes.bot_api import FakeBotApi
from tests.whatsapp.fake_graph import PHONE_ID, TOKEN, FakeGraphApi, Sent

JSON = dict[str, Any]
FIXTURES = Path(__file__).parent / "fixtures"
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
GROUP = -1001234567890
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "verify-me-please"
_wamids = itertools.count(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wa_settings(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TELEGRAM_TOKEN,
        "telegram_api_url": api.url,
        "supervisor_chat_id": GROUP,
        "database_path": tmp_path / "db.sqlite3",
        "evidence_dir": tmp_path / "evidence",
        "whatsapp_token": TOKEN,
        "whatsapp_phone_number_id": PHONE_ID,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_url": graph.url,
        "http_port": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def fixture(name: str) -> JSON:
    data: JSON = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post(port: int, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST raw bytes to the webhook; (status, text)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/whatsapp",
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as response,
    ):
        return response.status, await response.text()


async def post_signed(port: int, payload: JSON) -> tuple[int, str]:
    body = json.dumps(payload).encode()
    return await post(port, body, {"X-Hub-Signature-256": sign(body)})


def message_payload(name: str, wa_id: str, timestamp: int, **message: Any) -> JSON:
    """A fixture sent by `wa_id` at `timestamp`, with a fresh wamid and `message` fields on messages[0]."""
    data = copy.deepcopy(fixture(name))
    value = data["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    value["contacts"][0]["user_id"] = f"ID.{wa_id}"
    first = value["messages"][0]
    first.update({"from": wa_id, "id": f"wamid.in{next(_wamids)}", "timestamp": str(timestamp)})
    first.update(message)
    return data


@asynccontextmanager
async def running_whatsapp(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    telegram: bool = False,
) -> AsyncIterator[WhatsAppChannel]:
    """The real WhatsApp channel on 127.0.0.1 (and the Telegram channel polling the fake Bot API)."""
    tuning = Tuning(album_delay=0.3, outbox_base_delay=0.2, burst_gap=1.0, whatsapp_clock=clock)
    async with App.running(settings, tuning, telegram_too=telegram, whatsapp=True) as app:
        assert app.whatsapp is not None
        yield app.whatsapp


class WhatsAppCitizen:
    """One WhatsApp user writing to the business number."""

    def __init__(
        self, graph: FakeGraphApi, port: int, wa_id: str = "6281234567001", *, clock: Callable[[], float] = time.time
    ) -> None:
        self.graph = graph
        self.port = port
        self.wa_id = wa_id
        self.clock = clock

    def payload(self, name: str, **message: Any) -> JSON:
        """A fixture as sent by this user now, with `message` fields set on messages[0]."""
        return message_payload(name, self.wa_id, int(self.clock()), **message)

    async def send(self, payload: JSON, *, quiet: float = 0.15) -> list[Sent]:
        """Post one signed payload; the bot's answers once it has gone quiet."""
        mark = len(self.graph.to(self.wa_id))
        status, _ = await post_signed(self.port, payload)
        assert status == 200
        return await self.graph.settle(self.wa_id, mark, quiet=quiet)

    async def say(self, text: str) -> list[Sent]:
        return await self.send(self.payload("text_message", text={"body": text}))

    def last_choices(self) -> Sent:
        for sent in reversed(self.graph.to(self.wa_id)):
            if sent.choices():
                return sent
        raise AssertionError("no message with buttons or a list")

    async def press(self, data: str) -> list[Sent]:
        """Tap the reply button or list row with this id on the newest message offering choices."""
        offer = self.last_choices()
        choices = offer.choices()
        assert data in choices, f"{data} not among {sorted(choices)}"
        if offer.interactive_type == "button":
            payload = self.payload(
                "interactive_button_reply",
                interactive={"type": "button_reply", "button_reply": {"id": data, "title": choices[data]}},
            )
        else:
            payload = self.payload(
                "interactive_list_reply",
                interactive={"type": "list_reply", "list_reply": {"id": data, "title": choices[data]}},
            )
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = {
            "from": "6281100000000",
            "id": offer.message_id,
        }
        return await self.send(payload)

    def image(self, data: bytes, *, media_id: str, document: bool = False) -> JSON:
        """An image (or an image sent as a file), its bytes served by the fake Graph API."""
        self.graph.add_media(media_id, data)
        if document:
            return self.payload(
                "document_message",
                document={"filename": "bukti.jpg", "mime_type": "image/jpeg", "sha256": "x", "id": media_id},
            )
        return self.payload("image_message", image={"mime_type": "image/jpeg", "sha256": "x", "id": media_id})

    async def send_image(self, data: bytes, *, media_id: str, document: bool = False) -> list[Sent]:
        return await self.send(self.image(data, media_id=media_id, document=document), quiet=0.6)

    async def send_together(self, payloads: list[JSON]) -> list[Sent]:
        """Several messages posted back to back (photos picked together arrive as separate webhooks)."""
        mark = len(self.graph.to(self.wa_id))
        for payload in payloads:
            status, _ = await post_signed(self.port, payload)
            assert status == 200
        return await self.graph.settle(self.wa_id, mark, quiet=0.8)

    async def send_location(self, latitude: float, longitude: float) -> list[Sent]:
        return await self.send(
            self.payload("location_current", location={"latitude": latitude, "longitude": longitude})
        )
