"""Editing: edits apply to the stored message; Telegram's refusals of an edit.

The fake Bot API against the real python-telegram-bot (PTB's transport and the bot's)."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest

from tests.fake_bot_api.common import USER, _image
from tests.fakes.bot_api import FakeBotApi


async def test_edits_that_change_nothing_or_find_nothing_are_refused(bot: Bot, api: FakeBotApi) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="yes")]])
    sent = await bot.send_message(USER, "Kartu", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=markup)
    photo = await bot.send_photo(USER, _image("PNG", "red"), caption="bukti")
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id, caption="bukti")
    for edit in (
        bot.edit_message_caption(chat_id=USER, message_id=999, caption="x"),
        bot.edit_message_reply_markup(chat_id=USER, message_id=999, reply_markup=markup),
    ):
        with pytest.raises(BadRequest, match=r"^Message to edit not found"):
            await edit
    failed = [c for c in api.failed_calls if c.method.startswith("edit")]
    assert {c.error for c in failed} == {  # the exact words Telegram answers
        "Bad Request: message to edit not found",
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message",
    }


async def test_edit_message_applies_to_stored_message(bot: Bot, api: FakeBotApi) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Kirim", callback_data="send")]])
    sent = await bot.send_message(USER, "Draf", reply_markup=markup)

    edited = await bot.edit_message_text("Terkirim", chat_id=USER, message_id=sent.message_id, reply_markup=markup)
    assert not isinstance(edited, bool)
    assert edited.text == "Terkirim" and edited.edit_date is not None
    assert api.message(USER, sent.message_id)["text"] == "Terkirim"

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Terkirim", chat_id=USER, message_id=sent.message_id, reply_markup=markup)

    await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=None)
    assert "reply_markup" not in api.message(USER, sent.message_id)

    photo = await bot.send_photo(USER, _image("PNG", "white"))
    await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id, caption="keterangan")
    assert api.message(USER, photo.message_id)["caption"] == "keterangan"
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
