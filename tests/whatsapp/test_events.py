"""pywa's parse of real-shaped payloads, translated into the core's events (table-driven)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pywa import types
from pywa_async import WhatsApp, handlers

from bot.whatsapp.events import Bursts, address_of, event_from_message, parse_text, recipient
from handlers.common.events import (
    Command,
    Event,
    Image,
    Location,
    SharedContact,
    Text,
    Unsupported,
    UnsupportedKind,
)
from tests.whatsapp.fake_graph import PHONE_ID
from tests.whatsapp.harness import fixture, message_payload


class Parsed:
    """A pywa client with no server: updates go in through webhook_update_handler, messages come out."""

    def __init__(self, client: WhatsApp) -> None:
        self.client = client
        self.messages: list[types.Message] = []
        client.add_handlers(handlers.MessageHandler(self._keep))

    async def _keep(self, _: object, message: types.Message) -> None:
        self.messages.append(message)

    async def parse(self, payload: dict[str, Any]) -> types.Message:
        await self.client.webhook_update_handler(json.dumps(payload).encode())
        return self.messages[-1]


@pytest.fixture
async def pywa() -> AsyncIterator[Parsed]:
    session = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    yield Parsed(WhatsApp(phone_id=PHONE_ID, token="EAAGtoken", session=session, skip_duplicate_updates=False))
    await session.aclose()


def _fetch_for(media_id: str) -> Any:
    async def fetch() -> bytes:
        return media_id.encode()

    return fetch


@pytest.mark.parametrize(
    ("name", "fields", "expected"),
    [
        ("text_message", {}, Text("Body Text")),
        ("text_message", {"text": {"body": "/Lapor"}}, Command("lapor")),
        ("text_message", {"text": {"body": "Status ln-abc234"}}, Command("status", "ln-abc234")),
        ("reply_with_context", {}, Text("replied text")),
        ("location_current", {}, Location(12.25089, 43.90539)),
        ("contacts_message", {}, SharedContact(phone="+1 555-555-5555", name="Chandler Bing")),
        (
            "contacts_message",
            {
                "contacts": [
                    {"name": {"formatted_name": "Sri"}, "phones": [{"phone": "0812-3456-7890", "type": "CELL"}]}
                ]
            },
            SharedContact(phone="0812-3456-7890", name="Sri"),
        ),
        (
            "contacts_message",
            {"contacts": [{"name": {"formatted_name": "Sri"}}]},
            SharedContact(phone="", name="Sri"),
        ),  # no number: the core asks again
        ("document_message", {}, Unsupported(UnsupportedKind.DOCUMENT)),
        ("sticker_message", {}, Unsupported(UnsupportedKind.STICKER)),
        ("reaction_message", {}, Unsupported(UnsupportedKind.REACTION)),
        ("reaction_message", {"reaction": {"message_id": "wamid.x", "emoji": ""}}, None),
        ("voice_message", {}, Unsupported(UnsupportedKind.VOICE)),
        ("video_message", {}, Unsupported(UnsupportedKind.VIDEO)),
        ("unsupported_message", {}, Unsupported(UnsupportedKind.OTHER)),
    ],
)
async def test_messages_become_core_events(
    pywa: Parsed, name: str, fields: dict[str, Any], expected: Event | None
) -> None:
    payload = fixture(name)
    payload["entry"][0]["changes"][0]["value"]["messages"][0].update(fields)
    message = await pywa.parse(payload)
    assert event_from_message(message, _fetch_for) == expected


async def test_images_and_image_documents_are_fetched_lazily(pywa: Parsed) -> None:
    image = event_from_message(await pywa.parse(fixture("image_message")), _fetch_for, "burst-1")
    assert isinstance(image, Image) and image.size is None and image.group_id == "burst-1"
    assert await image.fetch() == b"65463453"  # the media id the Graph API is asked for
    document = fixture("document_message")
    document["entry"][0]["changes"][0]["value"]["messages"][0]["document"].update(
        {"filename": "IMG_0001.JPG", "mime_type": "application/octet-stream"}
    )
    as_file = event_from_message(await pywa.parse(document), _fetch_for)
    assert isinstance(as_file, Image) and as_file.group_id is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lapor", Command("lapor")),
        ("Batal!", Command("batal")),
        ("menu", Command("start")),
        ("bahasa", Command("bahasa")),
        ("cek LN-ABC234", Command("status", "LN-ABC234")),
        ("status abc 234", Command("status", "abc 234")),
        # An answer that starts with a command's word is an answer: the place, here (issue 12, item 1).
        ("Status WhatsApp-nya", Text("Status WhatsApp-nya")),
        ("cek di grup kantor", Text("cek di grup kantor")),
        ("lapor sekarang juga", Text("lapor sekarang juga")),  # a sentence, not a command
        ("Budi Santoso", Text("Budi Santoso")),
        ("/", Text("/")),
        ("formulir LN-ABC234", Command("formulir", "LN-ABC234")),
        ("Formulir abc234", Command("formulir", "abc234")),
        ("formulir", Command("formulir")),
        ("Formulir C1 dicoret", Text("Formulir C1 dicoret")),  # a story about the election's own forms
        ("formulir pemilu", Text("formulir pemilu")),
        # Codes are read in their own alphabet (no 0/O, 1/I/L): an all-letter code is a code, a word is not.
        ("cek XKCDTQ", Command("status", "XKCDTQ")),
        # English names, for the English texts that name them: the same commands.
        ("report", Command("lapor")),
        ("Cancel", Command("batal")),
        ("help", Command("bantuan")),
        ("language", Command("bahasa")),
        ("form LN-ABC234", Command("formulir", "LN-ABC234")),
        ("check ln-abc234", Command("status", "ln-abc234")),
        ("form of the election", Text("form of the election")),
        ("status pemilu", Text("status pemilu")),
    ],
)
def test_command_words_without_a_slash(text: str, expected: Event) -> None:
    assert parse_text(text) == expected


async def test_the_sender_is_known_by_a_normalised_number(pywa: Parsed) -> None:
    message = await pywa.parse(message_payload("text_message", "6281234567890", 1_700_000_000))
    assert address_of(message.from_user) == "+6281234567890"
    assert recipient("+6281234567890") == "6281234567890"
    hidden = fixture("text_message")
    del hidden["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"]
    message = await pywa.parse(hidden)
    assert address_of(message.from_user) == "US.13491208655302741918"  # a user who hides their number
    assert recipient("US.13491208655302741918") == "US.13491208655302741918"


def test_images_sent_together_share_a_group() -> None:
    bursts = Bursts(gap=2.0)
    assert bursts.group_for("+62a", "m1", 10.0) == "m1"
    assert bursts.group_for("+62a", "m2", 11.5) == "m1"
    assert bursts.group_for("+62b", "m3", 11.6) == "m3"
    assert bursts.group_for("+62a", "m4", 14.0) == "m4"
