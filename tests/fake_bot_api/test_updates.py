"""Updates: the builders parse in PTB, getUpdates offsets and redelivery, the long poll, an Application polling.

The fake Bot API against the real python-telegram-bot (PTB's transport and the bot's)."""

from __future__ import annotations

import asyncio

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_bot_api.common import GROUP, TOKEN, USER, _image
from tests.fakes.bot_api import FakeBotApi


async def test_get_me_uses_token_id(bot: Bot, api: FakeBotApi) -> None:
    assert bot.id == 123456789
    assert bot.username == api.bot_user["username"]
    assert api.calls_to("getMe")


async def test_update_builders_parse_in_ptb(bot: Bot, api: FakeBotApi) -> None:
    api.add_user(USER, "Sri", username="sri_w", language_code="jv")
    photo_id = api.add_file(_image("JPEG", "red", (400, 300)))
    builders = {
        "text": api.private_text(USER, "halo"),
        "command": api.private_command(USER, "start", "ref123"),
        "photo": api.private_photo(USER, photo_id, media_group_id="g1", caption="bukti"),
        "document": api.private_document(USER, "DOC1", "application/pdf", "a.pdf", 1234),
        "sticker": api.private_sticker(USER),
        "voice": api.private_voice(USER, "VOICE1", file_size=99),
        "location": api.private_location(USER, -7.0, 110.4),
        "contact": api.private_contact(USER, "+628123", "Sri", USER),
        "group": api.group_text(GROUP, USER, "di grup", title="ASN Watch"),
        "group_command": api.group_command(GROUP, USER, "lapor"),
        "callback": api.callback_query(USER, USER, 1, "menu:1"),
    }
    updates = {name: Update.de_json(api.push_update(raw), bot) for name, raw in builders.items()}

    text = updates["text"].message
    assert text is not None and text.from_user is not None
    assert (text.from_user.first_name, text.from_user.username, text.from_user.language_code) == (
        "Sri",
        "sri_w",
        "jv",
    )
    assert updates["command"].message is not None and updates["command"].message.text == "/start ref123"
    photo = updates["photo"].message
    assert photo is not None and photo.media_group_id == "g1"
    assert [p.width for p in photo.photo] == [90, 320, 400]  # increasing sizes, largest last
    assert photo.photo[-1].file_id == photo_id
    assert photo.photo[-1].file_size == len(api.file_data(photo_id))
    assert updates["document"].message is not None and updates["document"].message.document is not None
    assert updates["sticker"].message is not None and updates["sticker"].message.sticker is not None
    assert updates["location"].message is not None and updates["location"].message.location is not None
    contact = updates["contact"].message
    assert contact is not None and contact.contact is not None and contact.contact.user_id == USER
    group = updates["group"].effective_chat
    assert group is not None and (group.id, group.type, group.title) == (GROUP, "supergroup", "ASN Watch")
    command = updates["group_command"].message
    assert command is not None and command.text == f"/lapor@{api.bot_user['username']}"
    assert command.entities[0].type == "bot_command"
    assert updates["callback"].callback_query is not None
    assert updates["callback"].callback_query.data == "menu:1"
    # update_ids increase; message ids increase per chat across user messages
    ids = [u.update_id for u in updates.values()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_get_updates_offset_and_redelivery(bot: Bot, api: FakeBotApi) -> None:
    pushed = api.push_update(api.private_text(USER, "satu"))
    update_id = pushed["update_id"]

    first = await bot.get_updates(timeout=0)
    assert [u.update_id for u in first] == [update_id]
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert api.pending_updates == []  # confirmed updates are dropped

    # Telegram redelivers an update whose confirmation was lost: same update_id again.
    api.push_update(pushed)
    again = await bot.get_updates(offset=update_id + 1, timeout=0)
    assert [u.update_id for u in again] == [update_id]
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()


async def test_long_poll_is_bounded_and_wakes_on_push() -> None:
    async with (
        FakeBotApi(max_poll_seconds=0.3) as api,
        Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as bot,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.get_updates(timeout=30) == ()  # capped at max_poll_seconds
        assert 0.25 < loop.time() - started < 1.5

        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)
        api.push_update(api.private_text(USER, "bangun"))
        updates = await asyncio.wait_for(poll, 2)
        assert updates[0].message is not None and updates[0].message.text == "bangun"


async def test_application_polls_and_replies(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
        await update.effective_message.reply_text(f"Diterima: {update.effective_message.text}", reply_markup=markup)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Siap")
        await query.edit_message_text(f"Dipilih: {query.data}")

    application = ApplicationBuilder().token(TOKEN).base_url(api.base_url).base_file_url(api.base_file_url).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(on_button))

    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            update = api.push_update(api.private_text(USER, "laporan pertama"))
            reply = await api.wait_for(lambda c: c.method == "sendMessage", timeout=3)
            assert reply.chat_id == USER
            assert reply.params["text"] == "Diterima: laporan pertama"

            # Redelivery of the same update_id reaches the bot again (dedup is the bot's job).
            mark = len(api.calls)
            api.push_update(update)
            again = await api.wait_for("sendMessage", since=mark, timeout=3)
            assert again.params["text"] == "Diterima: laporan pertama"

            bot_messages = [m for m in api.messages(USER) if m["from"]["is_bot"]]
            message_id = bot_messages[-1]["message_id"]
            api.push_update(api.callback_query(USER, USER, message_id, "ok"))
            await api.wait_for("editMessageText", timeout=3)
            assert api.calls_to("answerCallbackQuery")[0].params["text"] == "Siap"
            assert api.message(USER, message_id)["text"] == "Dipilih: ok"
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
