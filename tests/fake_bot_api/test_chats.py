"""Chats, members, menus, callback answers, copies and forwards.

The fake Bot API against the real python-telegram-bot (PTB's transport and the bot's)."""

from __future__ import annotations

import pytest
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
    MessageId,
)
from telegram.error import EndPointNotFound

from tests.fake_bot_api.common import GROUP, USER
from tests.fakes.bot_api import FakeBotApi


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
