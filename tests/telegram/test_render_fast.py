"""Replies rendered into Bot API calls, through a real `Bot` over the recording request (no socket)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pytest
from telegram import Bot
from telegram.ext import ExtBot

from bot.telegram.channel import DEFAULTS
from bot.telegram.render import send_reply
from handlers.common.events import Button, Document, Reply, RequestKeyboard
from handlers.common.regions import RegionCatalog
from handlers.report.draft import Draft, Step
from handlers.report.prompts import View, prompt
from tests.fakes.recording import RecordingRequest

TOKEN = "123456789:TEST-recording"
CITIZEN = 5001


@pytest.fixture
async def wire() -> AsyncIterator[tuple[Bot, RecordingRequest]]:
    request = RecordingRequest()
    # The channel's own Defaults (HTML, no link previews), as its Application's bot carries them.
    async with ExtBot(TOKEN, request=request, get_updates_request=request, defaults=DEFAULTS) as bot:
        yield bot, request


async def test_a_reply_with_choices_becomes_an_html_message_with_an_inline_keyboard(
    wire: tuple[Bot, RecordingRequest],
) -> None:
    bot, request = wire
    reply = Reply(
        "Pilih <b>satu</b>:", ((Button("Ya", "cat:a"), Button("Tidak", "cat:b")), (Button("Batal", "nav:cancel"),))
    )
    sent = await send_reply(bot, CITIZEN, reply, "id")
    assert sent is not None and sent.message_id == 1
    params = request.last("sendMessage").params
    assert params["chat_id"] == CITIZEN and params["text"] == "Pilih <b>satu</b>:"
    assert params["parse_mode"] == "HTML" and params["link_preview_options"] == {"is_disabled": True}
    assert params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Ya", "callback_data": "cat:a"}, {"text": "Tidak", "callback_data": "cat:b"}],
            [{"text": "Batal", "callback_data": "nav:cancel"}],
        ]
    }
    assert [c.method for c in request.calls] == ["getMe", "sendMessage"]


async def test_the_category_menu_is_two_a_row_then_the_way_out(wire: tuple[Bot, RecordingRequest]) -> None:
    bot, request = wire
    view = View("id", date(2024, 2, 1), RegionCatalog.load(), max_photos=5)
    await send_reply(bot, CITIZEN, prompt(Draft(step=Step.CATEGORY), view), "id")
    rows = request.last("sendMessage").params["reply_markup"]["inline_keyboard"]
    assert all(len(row) <= 2 for row in rows) and all(b["callback_data"].startswith("cat:") for b in rows[0])
    assert [b["callback_data"] for b in rows[-1]] == ["nav:cancel"]  # the first step has no Kembali


async def test_asking_for_a_contact_uses_a_one_time_reply_keyboard(wire: tuple[Bot, RecordingRequest]) -> None:
    bot, request = wire
    reply = Reply("Nomor?", ((Button("Lewati", "ct:skip"),),), request=RequestKeyboard.CONTACT)
    await send_reply(bot, CITIZEN, reply, "id")
    markup = request.last("sendMessage").params["reply_markup"]
    assert markup["keyboard"][0][0]["request_contact"] is True
    assert markup["keyboard"][1] == [{"text": "Lewati"}]  # typed back as text, matched to its label
    assert markup["one_time_keyboard"] is True and markup["resize_keyboard"] is True


async def test_a_notice_that_removes_the_keyboard(wire: tuple[Bot, RecordingRequest]) -> None:
    bot, request = wire
    await send_reply(bot, CITIZEN, Reply("Dilewati.", remove_keyboard=True), "id")
    assert request.last("sendMessage").params["reply_markup"] == {"remove_keyboard": True}


async def test_a_short_flood_wait_is_waited_out_and_a_long_one_drops_the_reply(
    wire: tuple[Bot, RecordingRequest], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, request = wire
    waited: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:  # the wait is asserted, not spent
        waited.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    request.fail("sendMessage", 429, "Too Many Requests: retry after 3", {"retry_after": 3})
    assert await send_reply(bot, CITIZEN, Reply("Halo"), "id") is not None
    assert len(request.calls_to("sendMessage")) == 2 and waited == [3.0]
    request.fail("sendMessage", 429, "Too Many Requests: retry after 60", {"retry_after": 60})
    assert await send_reply(bot, CITIZEN, Reply("Halo"), "id") is None
    assert len(request.calls_to("sendMessage")) == 3


async def test_a_document_reply_is_uploaded_with_its_caption_and_name(wire: tuple[Bot, RecordingRequest]) -> None:
    bot, request = wire
    pdf = b"%PDF-1.4 the reporter's form"
    request.answer(
        "sendDocument",
        {
            "message_id": 7,
            "date": 0,
            "chat": {"id": CITIZEN, "type": "private"},
            "document": {"file_id": "D1", "file_unique_id": "U1", "file_name": "formulir-LN-7F3K9Q.pdf"},
        },
    )
    reply = Reply("📄 <b>Formulir laporan LN-7F3K9Q</b>", document=Document(pdf, "formulir-LN-7F3K9Q.pdf"))
    sent = await send_reply(bot, CITIZEN, reply, "id")
    assert sent is not None and sent.message_id == 7
    call = request.last("sendDocument")
    assert call.params["chat_id"] == CITIZEN and call.params["caption"] == reply.text
    assert call.params["parse_mode"] == "HTML" and call.params["disable_content_type_detection"] is True
    assert list(call.files.values()) == [pdf]
    assert not request.calls_to("sendMessage")  # the caption is the message: nothing sent twice


async def test_a_reply_telegram_refuses_is_sent_once_and_logged_not_retried(
    wire: tuple[Bot, RecordingRequest], caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 cannot succeed on a second try (PTB raises it as a NetworkError subclass: not retried as one)."""
    bot, request = wire
    request.fail("sendMessage", 400, "Bad Request: message is too long")
    with caplog.at_level("ERROR", logger="bot.telegram.render"):
        sent = await send_reply(bot, CITIZEN, Reply("x" * 10), "id")
    assert sent is None
    assert [c.method for c in request.calls] == ["getMe", "sendMessage"]
    assert [r.getMessage() for r in caplog.records] == ["reply refused by Telegram: Message is too long"]
    assert str(CITIZEN) not in caplog.text  # the chat is a reporter: never in a log line
