"""Sending: what the fake records of a send, and the checks Telegram makes on it.

The fake Bot API against the real python-telegram-bot (PTB's transport and the bot's)."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import BadRequest, Forbidden

from tests.fake_bot_api.common import USER, _image
from tests.fakes.bot_api import FakeBotApi


async def test_send_message_records_decoded_params(bot: Bot, api: FakeBotApi) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="yes")]])
    first = await bot.send_message(USER, "<b>Halo</b> &amp; selamat", parse_mode="HTML", reply_markup=markup)
    second = await bot.send_message(USER, "123")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.text == "Halo & selamat"  # Telegram stores the rendered text
    assert first.chat.type == "private" and first.from_user is not None and first.from_user.is_bot
    assert first.reply_markup == markup

    call = api.calls_to("sendMessage")[0]
    assert call.chat_id == USER
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "Ya", "callback_data": "yes"}]]}
    assert api.calls_to("sendMessage")[1].params["text"] == "123"  # free text is never JSON-decoded
    assert [c.method for c in api.sent_to(USER)] == ["sendMessage", "sendMessage"]
    assert api.message(USER, 1)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


async def test_telegram_validation_errors(bot: Bot, api: FakeBotApi) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "baris<br>baru", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
        await bot.send_message(USER, "hi", reply_markup=markup)
    api.set_blocked(USER)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER, "hi")
    assert api.calls_to("sendMessage") == []
    assert len(api.failed_calls) == 4


async def test_lengths_count_code_points_as_telegram_does(bot: Bot, api: FakeBotApi) -> None:
    """Telegram accepts 4096 astral emoji (8192 UTF-16 units) in a text, 1024 in a caption; one more is refused."""
    sent = await bot.send_message(USER, "😀" * 4096)
    assert sent.text == "😀" * 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "😀" * 4097)
    # Markup is not counted: only the text Telegram stores.
    await bot.send_message(USER, "<b>" + "é" * 4096 + "</b>", parse_mode="HTML")
    photo = await bot.send_photo(USER, _image("PNG", "red"), caption="😀" * 1024)
    assert photo.caption == "😀" * 1024
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(USER, _image("PNG", "red"), caption="😀" * 1025)


async def test_entity_offsets_count_utf16_units(bot: Bot, api: FakeBotApi) -> None:
    """After one astral emoji the next character starts at UTF-16 offset 2, and the text ends at 4."""
    bold = MessageEntity(MessageEntity.BOLD, offset=2, length=2)
    await bot.send_message(USER, "😀ab", entities=[bold])
    for outside in (
        MessageEntity(MessageEntity.BOLD, offset=3, length=2),
        MessageEntity(MessageEntity.BOLD, offset=0, length=5),
    ):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(USER, "😀ab", entities=[outside])
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_photo(
            USER,
            _image("PNG", "red"),
            caption="😀",
            caption_entities=[MessageEntity(MessageEntity.ITALIC, offset=1, length=2)],
        )


async def test_send_album_of_real_images(bot: Bot, api: FakeBotApi) -> None:
    png, jpeg = _image("PNG", "red"), _image("JPEG", "blue", (80, 60))
    messages = await bot.send_media_group(
        USER, [InputMediaPhoto(png, caption="Bukti 1"), InputMediaPhoto(jpeg, filename="b.jpg")]
    )

    assert len(messages) == 2
    assert messages[0].media_group_id is not None
    assert messages[0].media_group_id == messages[1].media_group_id
    assert [m.message_id for m in messages] == [1, 2]
    assert messages[0].caption == "Bukti 1"
    assert (messages[1].photo[-1].width, messages[1].photo[-1].height) == (80, 60)
    assert api.file_data(messages[1].photo[-1].file_id) == jpeg

    call = api.calls_to("sendMediaGroup")[0]
    assert sorted(call.files.values()) == sorted([png, jpeg])
    attach_names = [item["media"].removeprefix("attach://") for item in call.params["media"]]
    assert [call.files[name] for name in attach_names] == [png, jpeg]


async def test_send_photo_and_document_uploads(bot: Bot, api: FakeBotApi) -> None:
    png = _image("PNG", "green")
    photo = await bot.send_photo(USER, png, caption="foto")
    document = await bot.send_document(USER, b"%PDF-1.4 fake", filename="laporan.pdf")

    assert api.calls_to("sendPhoto")[0].files == {"photo": png}
    assert photo.caption == "foto" and photo.photo[-1].file_size == len(png)
    assert document.document is not None and document.document.file_name == "laporan.pdf"
    # Re-sending by file_id (no upload) resolves to the stored file.
    again = await bot.send_photo(USER, photo.photo[-1].file_id)
    assert again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(USER, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(USER, b"", filename="kosong.pdf")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(USER, b"%PDF-1.4 fake", filename="laporan.pdf", caption="x" * 1025)
