"""Running the real bot against the fake Bot API server, and a simulated citizen to talk to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App, Tuning
from bot.settings import Settings
from tests.fakes.bot_api import Call, FakeBotApi

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
GROUP = -1001234567890


def make_settings(api: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_url": api.url,
        "supervisor_chat_id": GROUP,
        "database_path": tmp_path / "db.sqlite3",
        "evidence_dir": tmp_path / "evidence",
        "http_port": 0,  # the bot's HTTP server on any free loopback port
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(settings: Settings, *, album_delay: float = 0.4, **tuning: Any) -> AsyncIterator[App]:
    """The real program as the root builds it, polling the fake server, with a real SQLite file; always stopped."""
    # The production pacer stays on: the fake enforces Telegram's limits, so a test that floods fails.
    knobs = Tuning(album_delay=album_delay, outbox_base_delay=0.2, **tuning)
    async with App.running(settings, knobs) as app:
        yield app


async def eventually(check: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until `check()` holds (polled every 50 ms), or fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition never held")
        await asyncio.sleep(0.05)


# A user writes again only once the bot could send this many replies at once without flooding the chat
# (Telegram's ~1 a second per private chat, after a burst): a person's pace, not a script's.
PACE_REPLIES = 4


class Citizen:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, api: FakeBotApi, user_id: int, language: str = "id") -> None:
        self.api = api
        self.user_id = user_id
        api.add_user(user_id, f"Warga{user_id}", username=f"warga{user_id}", language_code=language)

    def _mark(self) -> int:
        return len(self.api.calls)

    async def pace(self) -> None:
        """Wait, as a person would between messages, until the bot has room to answer in this chat."""
        import asyncio

        await asyncio.sleep(self.api.flood.seconds_until(self.user_id, PACE_REPLIES))

    async def _reply_after(self, mark: int, timeout: float = 5.0) -> Call:
        return await self.api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == self.user_id, timeout, since=mark
        )

    def replies_since(self, mark: int) -> list[Call]:
        return [c for c in self.api.calls[mark:] if c.method == "sendMessage" and c.chat_id == self.user_id]

    async def settle(self, mark: int, quiet: float = 0.15) -> list[Call]:
        """All replies after `mark`, once the bot has been quiet for a moment."""
        import asyncio

        count = -1
        while count != len(self.replies_since(mark)):
            count = len(self.replies_since(mark))
            await asyncio.sleep(quiet)
        return self.replies_since(mark)

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        await self.pace()
        return self.api.push_update(update)

    async def say(self, text: str) -> list[Call]:
        await self.pace()
        mark = self._mark()
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            self.api.push_update(self.api.private_command(self.user_id, command, args))
        else:
            self.api.push_update(self.api.private_text(self.user_id, text))
        await self._reply_after(mark)
        return await self.settle(mark)

    def last_buttons(self) -> tuple[int, dict[str, str]]:
        """The message id and label→data of the newest bot message in this chat with inline buttons."""
        for message in reversed(self.api.messages(self.user_id)):
            markup = message.get("reply_markup") or {}
            rows = markup.get("inline_keyboard")
            if rows and message.get("from", {}).get("is_bot"):
                return message["message_id"], {b["text"]: b["callback_data"] for row in rows for b in row}
        raise AssertionError("no message with inline buttons")

    async def press(self, data: str) -> list[Call]:
        message_id, buttons = self.last_buttons()
        assert data in buttons.values(), f"{data} not among {sorted(buttons.values())}"
        await self.pace()
        mark = self._mark()
        self.api.push_update(self.api.callback_query(self.user_id, self.user_id, message_id, data))
        await self._reply_after(mark)
        return await self.settle(mark)

    async def send_photos(self, images: list[bytes], *, album: str | None = None) -> list[Call]:
        await self.pace()
        mark = self._mark()
        for data in images:
            file_id = self.api.add_file(data)
            self.api.push_update(self.api.private_photo(self.user_id, file_id, media_group_id=album))
        await self._reply_after(mark)
        return await self.settle(mark, quiet=0.6)


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


def card_of(call: Call) -> str:
    """A card's text as sent: a message's text, or a photo card's caption."""
    return str(call.params.get("text") or call.params.get("caption") or "")


def shown(message: dict[str, Any]) -> str:
    """What a stored message shows: its text, or its caption (a photo card)."""
    return str(message.get("text") or message.get("caption") or "")


def is_card(call: Call, chat_id: int, code: str) -> bool:
    """A report's first card in a group: a text card, or the lighter photo card with the card as caption."""
    return (
        call.method in ("sendMessage", "sendPhoto")
        and call.chat_id == chat_id
        and code in card_of(call)
        and ("reply_markup" in call.params)
    )


def markup_of(call: Call) -> dict[str, Any]:
    markup = call.params.get("reply_markup") or {}
    return markup if isinstance(markup, dict) else json.loads(markup)


def group_posts(api: FakeBotApi, chat_id: int, code: str) -> tuple[list[Call], list[Call]]:
    """What reached a group for one report: its photo posts without buttons (the photo before a card too
    long for a caption, the on-demand album), and its cards (a text card, or a photo card whose caption is
    the card), each found by its first line: other cards may name this code as a possible duplicate."""

    def first_line(call: Call) -> str:
        return card_of(call).split("\n", 1)[0]

    photos = [
        c
        for c in api.calls
        if c.chat_id == chat_id
        and c.method in ("sendPhoto", "sendMediaGroup")
        and "reply_markup" not in c.params
        and code in str(c.params.get("caption") or c.params.get("media"))
    ]
    cards = [
        c
        for c in api.calls
        if c.chat_id == chat_id
        and (c.method == "sendMessage" or (c.method == "sendPhoto" and "reply_markup" in c.params))
        and code in first_line(c)
    ]
    return photos, cards


def shows_its_photo(photos: list[Call], cards: list[Call], photo_count: int) -> bool:
    """A report's first photo reached the group once: as its card, or just before a text card."""
    if photo_count == 0:
        return not photos and all(c.method == "sendMessage" for c in cards)
    return cards[0].method == "sendPhoto" or len(photos) >= 1
