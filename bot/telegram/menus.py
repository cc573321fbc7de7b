"""The command menus, per chat scope, in one place: Telegram keeps one menu per (scope, language).

The citizens' menu is shown in every private chat; the supervisors' group gets triage's commands and
/ringkasan, each regional group triage's commands (with /pindah when there are regional groups); the
summary chat gets /ringkasan. When SUMMARY_CHAT_ID is the supervisors' group, both
menus are merged, because setting the second would replace the first.
"""

from __future__ import annotations

from typing import Final

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeAllPrivateChats, BotCommandScopeChat

from locales import t

LANGUAGES: Final = ("id", "en")
# command → locale key of its description
CITIZEN: Final = {
    name: f"cmd.{name}" for name in ("start", "lapor", "status", "formulir", "bahasa", "batal", "bantuan")
}
TRIAGE: Final = {
    name: f"triage.cmd_{name}"
    for name in ("laporan", "antrian", "cari", "bukti", "paket", "arsip", "rujukan", "hasil", "ekspor")
}
# With regional groups, every supervisors' group can move a report to another's.
MOVE: Final = {"pindah": "triage.cmd_pindah"}
SUMMARY: Final = {"ringkasan": "summary.cmd_ringkasan"}
# Every group whose members may open the Mini App gets the command that posts its button.
MINIAPP: Final = {"aplikasi": "miniapp.cmd_aplikasi"}

Menu = dict[str, str]


def chat_menus(
    supervisor_chat_id: int, summary_chat_id: int | None, region_chats: tuple[int, ...] = ()
) -> dict[int, Menu]:
    """The group chats' menus, merged where one chat plays two parts."""
    moves = MOVE if region_chats else {}
    menus: dict[int, Menu] = {supervisor_chat_id: {**TRIAGE, **moves, **SUMMARY}}  # it answers /ringkasan too
    for chat in region_chats:
        menus[chat] = {**TRIAGE, **moves}
    if summary_chat_id is not None:
        menus[summary_chat_id] = {**menus.get(summary_chat_id, {}), **SUMMARY}
    return {chat: {**menu, **MINIAPP} for chat, menu in menus.items()}


async def set_menus(
    bot: Bot,
    *,
    supervisor_chat_id: int,
    summary_chat_id: int | None,
    default_locale: str,
    region_chats: tuple[int, ...] = (),
) -> None:
    """At start-up: every menu in both languages (the default locale's is the one without language_code)."""
    scopes: list[tuple[BotCommandScope, Menu, str]] = [(BotCommandScopeAllPrivateChats(), CITIZEN, "id")]
    scopes += [
        (BotCommandScopeChat(chat), menu, default_locale)
        for chat, menu in chat_menus(supervisor_chat_id, summary_chat_id, region_chats).items()
    ]
    for scope, menu, default in scopes:
        for language in LANGUAGES:
            commands = [BotCommand(name, t(language, key)) for name, key in menu.items()]
            await bot.set_my_commands(commands, scope=scope, language_code=None if language == default else language)
