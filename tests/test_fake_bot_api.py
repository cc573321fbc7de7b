"""The fake Bot API must be indistinguishable from Telegram for the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MessageEntity,
    MessageId,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, TimedOut
from telegram.error import RetryAfter as PtbRetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.transport import AiohttpRequest
from tests.fakes.bot_api import (
    ApiError,
    Drop,
    FakeBotApi,
    RetryAfter,
    ServerError,
    SlowAnswer,
    Timeout,
    fault_from_json,
    fault_to_json,
)

TOKEN = "123456789:TEST-fake-token"
USER = 1001
GROUP = -1001234567890


def _image(fmt: str, color: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(api: FakeBotApi, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """PTB's own transport and the bot's (bot/telegram/transport.py): the fake must tell them apart in nothing."""
    transport = AiohttpRequest() if request.param == "aiohttp" else None
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, request=transport) as client:
        yield client


# ----------------------------------------------------------------------------- Bot basics


async def test_get_me_uses_token_id(bot: Bot, api: FakeBotApi) -> None:
    assert bot.id == 123456789
    assert bot.username == api.bot_user["username"]
    assert api.calls_to("getMe")


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


async def test_download_registered_file(bot: Bot, api: FakeBotApi) -> None:
    data = b"%PDF-1.7 laporan" * 100
    file_id = api.add_file(data, file_name="laporan.pdf")

    tg_file = await bot.get_file(file_id)
    assert tg_file.file_size == len(data)
    assert tg_file.file_path is not None
    assert tg_file.file_path.startswith(f"{api.base_file_url}{TOKEN}/")
    assert bytes(await tg_file.download_as_bytearray()) == data

    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_download_fault(bot: Bot, api: FakeBotApi) -> None:
    tg_file = await bot.get_file(api.add_file(b"abc"))
    api.fail("download", times=1, mode=ServerError(503, "Service Unavailable"))
    with pytest.raises(NetworkError):
        await tg_file.download_as_bytearray()
    assert bytes(await tg_file.download_as_bytearray()) == b"abc"


async def test_misc_methods(bot: Bot, api: FakeBotApi) -> None:
    await bot.set_my_commands([BotCommand("lapor", "Buat laporan"), BotCommand("batal", "Batalkan")])
    assert [c.command for c in await bot.get_my_commands()] == ["lapor", "batal"]
    assert api.commands()[0] == {"command": "lapor", "description": "Buat laporan"}
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    api.set_member(GROUP, 5, "administrator")
    assert isinstance(await bot.get_chat_member(GROUP, 5), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(GROUP, 6), ChatMemberLeft)
    assert isinstance(await bot.get_chat_member(USER, USER), ChatMemberMember)
    expected = {"creator": ChatMemberOwner, "restricted": ChatMemberRestricted, "kicked": ChatMemberBanned}
    for status, member_type in expected.items():
        api.set_member(GROUP, 7, status)
        assert isinstance(await bot.get_chat_member(GROUP, 7), member_type)

    chat = await bot.get_chat(GROUP)
    assert isinstance(chat, ChatFullInfo) and chat.type == "supergroup"
    assert await bot.send_chat_action(USER, "typing") is True
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""

    source = api.push_update(api.private_text(USER, "laporan asli"))["message"]
    copied = await bot.copy_message(GROUP, USER, source["message_id"])
    assert isinstance(copied, MessageId)
    assert api.message(GROUP, copied.message_id)["text"] == "laporan asli"
    forwarded = await bot.forward_message(GROUP, USER, source["message_id"])
    assert forwarded.forward_origin is not None and forwarded.text == "laporan asli"

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert api.failed_calls[-1].error == "Not Found: method not found"


# ----------------------------------------------------------------------------- updates


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


# ----------------------------------------------------------------------------- faults


async def test_retry_after_raises_ptb_retry_after(bot: Bot, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # opt in, else .retry_after emits a deprecation warning
    api.fail("sendMessage", times=1, mode=RetryAfter(1))

    with pytest.raises(PtbRetryAfter) as info:
        await bot.send_message(USER, "flood")
    assert info.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    assert api.calls_to("sendMessage") == []
    assert [(c.method, c.fault) for c in api.failed_calls] == [("sendMessage", RetryAfter(1))]

    await bot.send_message(USER, "flood")  # the fault was used up
    assert len(api.calls_to("sendMessage")) == 1


async def test_server_error_raises_network_error(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", times=2, mode=ServerError())
    for _ in range(2):
        with pytest.raises(NetworkError) as info:
            await bot.send_message(USER, "x")
        assert type(info.value) is NetworkError
    assert len(api.failed_calls) == 2 and api.calls_to("sendMessage") == []
    await bot.send_message(USER, "x")


async def test_api_error_mode(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=ApiError(403, "Forbidden: bot was blocked by the user"))
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "x")


async def test_timeout_and_drop(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=Timeout(0.5))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "lambat", read_timeout=0.1)

    # deliver=True: Telegram sent it but the client never heard back -> duplicate risk.
    api.fail("sendMessage", mode=Timeout(0.3, deliver=True))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "terkirim diam-diam", read_timeout=0.1)
    delivered = await api.wait_for(lambda c: c.params.get("text") == "terkirim diam-diam", timeout=2)
    assert delivered.chat_id == USER

    api.fail("sendMessage", mode=Drop())
    with pytest.raises(NetworkError) as info:
        await bot.send_message(USER, "hilang")
    assert not isinstance(info.value, TimedOut)  # a dropped connection, not a timeout
    assert [c.fault for c in api.failed_calls] == [Timeout(0.5), Timeout(0.3, deliver=True), Drop()]
    await bot.send_message(USER, "normal lagi")
    assert api.calls_to("sendMessage")[-1].params["text"] == "normal lagi"


async def test_fail_rate_is_seeded(bot: Bot, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB's RetryAfter.__init__ warns otherwise

    async def run() -> list[bool]:
        api.fail_rate("sendMessage", 0.5, [ServerError(), RetryAfter(1)], seed=7)
        outcomes: list[bool] = []
        for i in range(12):
            try:
                await bot.send_message(USER, f"pesan {i}")
                outcomes.append(False)
            except (NetworkError, PtbRetryAfter):
                outcomes.append(True)
        return outcomes

    first = await run()
    second = await run()  # re-arming with the same seed replays the same pattern
    assert first == second and any(first) and not all(first)
    assert len(api.failed_calls) == 2 * sum(first)
    assert len(api.calls_to("sendMessage")) == 2 * (12 - sum(first))
    assert {type(c.fault) for c in api.failed_calls} <= {ServerError, RetryAfter}

    api.fail_rate("sendMessage", 0, [])
    await bot.send_message(USER, "tanpa gangguan")


async def test_wait_for_times_out(api: FakeBotApi) -> None:
    with pytest.raises(TimeoutError, match="no matching call"):
        await api.wait_for("sendMessage", timeout=0.05)


async def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeBotApi(host="0.0.0.0")


# ----------------------------------------------------------------------------- standalone / control API


async def test_standalone_process_with_control_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB's RetryAfter warns otherwise
    root = Path(__file__).resolve().parents[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.bot_api", "--port", "0",
        cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        url = match.group(0)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/_control/build/private_text", json={"user_id": USER, "text": "hai"}) as r:
                pushed = await r.json()
            async with http.post(f"{url}/_control/file?file_name=a.png", data=_image("PNG", "red")) as r:
                file_id = (await r.json())["file_id"]
            mode = fault_to_json(RetryAfter(3))
            async with http.post(f"{url}/_control/fail", json={"method": "sendMessage", "mode": mode}) as r:
                assert r.status == 200

            async with Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot") as bot:
                updates = await bot.get_updates(timeout=0)
                assert [u.update_id for u in updates] == [pushed["update_id"]]
                with pytest.raises(PtbRetryAfter):
                    await bot.send_message(USER, "x")
                await bot.send_message(USER, "y")
                assert await (await bot.get_file(file_id)).download_as_bytearray()

            async with http.get(f"{url}/_control/wait", params={"method": "sendMessage", "timeout": "2"}) as r:
                assert (await r.json())["ok"] is True
            async with http.get(f"{url}/_control/calls", params={"method": "sendMessage"}) as r:
                calls = await r.json()
            assert [c["params"]["text"] for c in calls] == ["y"]
            async with http.get(f"{url}/_control/calls", params={"failed": "1"}) as r:
                failed = await r.json()
            assert failed[0]["fault"] == {"type": "retry_after", "seconds": 3}
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0


async def test_slow_answer_is_done_at_once_and_answered_late(bot: Bot, api: FakeBotApi) -> None:
    api.fail("sendMessage", mode=SlowAnswer(0.5))
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "diterima, dijawab lambat", read_timeout=0.1)
    # Recorded (and visible) before the answer was due, as on Telegram; not a failed call.
    assert api.calls_to("sendMessage")[-1].params["text"] == "diterima, dijawab lambat"
    assert asyncio.get_running_loop().time() - started < 0.5 and api.failed_calls == []
    api.fail("sendMessage", mode=SlowAnswer(0.3))
    sent = await bot.send_message(USER, "sabar", read_timeout=2)
    assert sent.text == "sabar"
    assert fault_from_json(fault_to_json(SlowAnswer(2.5))) == SlowAnswer(2.5)
