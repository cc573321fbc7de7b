"""/aplikasi in the supervisors' group or the office chat: a button that opens the Mini App.

Telegram allows `web_app` buttons only in private chats, so the group gets a URL button to the bot's
main Mini App link (`https://t.me/<bot>?startapp`, set up in @BotFather with MINIAPP_URL); Telegram opens
it as the Mini App, signed for whoever pressed. The link itself grants nothing: the Mini App checks the
presser's membership when it opens.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from locales import t

log = logging.getLogger(__name__)

COMMAND = "aplikasi"


class MiniAppLink:
    def __init__(self, chats: frozenset[int], enabled: bool, locale: str) -> None:
        self._chats = chats
        self._enabled = enabled
        self._locale = locale

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The Mini App's button, in the chats whose members may open it; elsewhere a short refusal."""
        message = update.effective_message
        if message is None:
            return
        if message.chat_id not in self._chats:
            await message.reply_text(t(self._locale, "miniapp.link_elsewhere"))
            return
        if not self._enabled:
            await message.reply_text(t(self._locale, "miniapp.link_off"))
            return
        url = f"https://t.me/{context.bot.username}?startapp"
        button = InlineKeyboardButton(t(self._locale, "miniapp.link_button"), url=url)
        await message.reply_text(t(self._locale, "miniapp.link_text"), reply_markup=InlineKeyboardMarkup([[button]]))
