"""A simulated citizen who reads the bot's last question and answers it, as a person would.

Scripted citizens (tests/telegram/harness.py) expect every reply on time; under crashes and network faults
replies are late, repeated or lost. This one looks at the newest message the bot left in its chat, answers
whatever that asks, and when nothing comes for a while sends /start (which shows the draft waiting) or,
after pressing Kirim without a ticket, /status (which lists the code). It re-sends its photos only when
the bot says a download failed: every photo it sent must end up in its report, or the bot lost it.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from locales import t
from tests.fakes.bot_api import FakeBotApi

DESCRIPTION = "Kepala dinas berfoto dengan pose dua jari bersama calon bupati di acara kantor desa."
CODE_RE = re.compile(r"LN-[2-9A-HJKMNP-Z]{6}")
Hook = Callable[["BrainCitizen", str], Awaitable[None]]


def plain(key: str) -> str:
    """The start of a catalog text as Telegram shows it: up to its first placeholder, without tags."""
    text = t("id", key).split("{", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


PROMPTS = {
    name: plain(f"report.ask_{name}")
    for name in (
        "subject_name",
        "subject_agency",
        "subject_status",
        "place",
        "location",
        "description",
        "evidence",
        "contact",
    )
}
TICKET = plain("report.submitted")
DOWNLOAD_FAILED = plain("image.download_failed")
STATUS_LIST = plain("status.list_header")


async def _no_hook(citizen: BrainCitizen, moment: str) -> None:
    return None


@dataclass
class BrainCitizen:
    api: FakeBotApi
    user_id: int
    photos: list[bytes]
    album: bool = False
    name: str = "Budi <Santoso> & *Co* _x_"
    # A story long enough makes a card too long for a photo's caption: photo, then text card.
    description: str = DESCRIPTION
    think: tuple[float, float] = (0.05, 0.25)
    patience: float = 6.0
    hook: Hook = _no_hook  # told "album" before sending photos and "submit" before pressing Kirim
    is_up: Callable[[], bool] = lambda: True
    code: str | None = None
    code_via_status: bool = False
    sent_photos: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    recoveries: int = 0
    resends: int = 0
    draft_lost: bool = False
    _submitted: bool = False
    _photos_mark: int = 0
    _drafting: bool = False

    def __post_init__(self) -> None:
        self.api.add_user(self.user_id, f"Warga{self.user_id}", username=f"warga{self.user_id}")
        self._rng = random.Random(self.user_id)

    # ------------------------------------------------------------------ what the citizen sees

    def latest(self) -> dict[str, Any] | None:
        mine = [m for m in self.api.messages(self.user_id) if m.get("from", {}).get("is_bot") and "text" in m]
        return mine[-1] if mine else None

    def _bot_messages(self) -> int:
        return sum(1 for c in self.api.calls if c.method == "sendMessage" and c.chat_id == self.user_id)

    async def _wait_reply(self, before: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._bot_messages() <= before:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.05)
        # Several replies may follow one message (a confirmation, then the next question).
        count = -1
        while count != self._bot_messages():
            count = self._bot_messages()
            await asyncio.sleep(0.3)
        return True

    # ------------------------------------------------------------------ acting

    def _push(self, update: dict[str, Any]) -> None:
        self.api.push_update(update)

    def _say(self, text: str) -> None:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            self._push(self.api.private_command(self.user_id, command, args))
        else:
            self._push(self.api.private_text(self.user_id, text))

    def _press(self, message: dict[str, Any], data: str) -> None:
        self._push(self.api.callback_query(self.user_id, self.user_id, message["message_id"], data))

    async def run(self, deadline: float) -> None:
        """Report once, from /start to a ticket code; gives up at `deadline` (loop time)."""
        loop = asyncio.get_running_loop()
        self._say("/start")
        await self._wait_reply(0, self.patience)
        progress = loop.time()
        while self.code is None:
            if loop.time() > deadline:
                raise TimeoutError(f"citizen {self.user_id} got no ticket; answered {self.answered}")
            before = self._bot_messages()
            acted = await self._act()
            if await self._wait_reply(before, self.patience if acted else 0.5):
                progress = loop.time()
            elif acted or loop.time() - progress > self.patience:
                await self._recover()
                progress = loop.time()

    async def _recover(self) -> None:
        """Nothing came back: once the bot is up again, ask where we are."""
        while not self.is_up():
            await asyncio.sleep(0.2)
        self.recoveries += 1
        before = self._bot_messages()
        self._say("/status" if self._submitted else "/start")
        await self._wait_reply(before, self.patience)

    async def _act(self) -> bool | None:
        """Answer the newest message; True if something was sent, None if only waiting makes sense."""
        await asyncio.sleep(self._rng.uniform(*self.think))
        message = self.latest()
        if message is None:
            return None
        text = message["text"]
        buttons = [
            b["callback_data"]
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
            if "callback_data" in b
        ]
        if self._submitted and (TICKET in text or STATUS_LIST in text):
            found = CODE_RE.findall(text)
            if found:
                self.code, self.code_via_status = found[-1], TICKET not in text
                return False
        if "go:start" in buttons:  # the idle prompt (or "no reports yet")
            if self._submitted:
                self._say("/status")
                return True
            if self._drafting:
                self.draft_lost = True  # the idle prompt while a draft was in progress
            return self._step("start", lambda: self._press(message, "go:start"))
        if any(b.startswith("cat:") for b in buttons):
            self._drafting = True
            return self._step("category", lambda: self._press(message, "cat:foto"))
        if PROMPTS["subject_name"] in text:
            return self._step("name", lambda: self._say(self.name))
        if PROMPTS["subject_agency"] in text:
            return self._step("agency", lambda: self._say("Dinas Pendidikan Kab. Klaten"))
        if any(b.startswith("st:") for b in buttons):
            return self._step("status", lambda: self._press(message, "st:pns"))
        if any(b.startswith("grp:") for b in buttons):
            return self._step("region", lambda: self._say("solo"))
        if any(b.startswith("reg:") for b in buttons):
            first = next(b for b in buttons if b.startswith("reg:"))
            return self._step("region", lambda: self._press(message, first))
        if PROMPTS["place"] in text:
            return self._step("place", lambda: self._say("Balai Kota Surakarta"))
        if PROMPTS["location"] in text:
            return self._step("location", lambda: self._say(t("id", "report.skip_location")))
        if any(b.startswith("when:") for b in buttons):
            return self._step("when", lambda: self._press(message, "when:yesterday"))
        if "known:same" in buttons:
            return self._step("known", lambda: self._press(message, "known:same"))
        if "wit:none" in buttons:
            return self._step("witnesses", lambda: self._press(message, "wit:none"))
        if "desc:done" in buttons:  # the story was received; it is complete
            return self._step("description done", lambda: self._press(message, "desc:done"))
        if PROMPTS["description"] in text:
            return self._step("description", lambda: self._say(self.description))
        if PROMPTS["evidence"] in text:
            if not self.sent_photos:
                await self.hook(self, "album" if self.album else "photos")
                self._send_photos()
                self.answered.append("photos")
                return True
            failures = sum(
                1
                for m in self.api.messages(self.user_id)
                if m["message_id"] > self._photos_mark and DOWNLOAD_FAILED in m.get("text", "")
            )
            if failures > self.resends:
                # "Please send it again": which one is not said, so all again (duplicates are refused).
                self.resends = failures
                self._send_photos()
                self.answered.append("photos again")
                return True
            total = re.search(r"(\d+)/\d+\)", text)  # "… (total 2/10)" in an acknowledgement
            if "ev:done" in buttons and (total is None or int(total.group(1)) >= len(self.sent_photos)):
                return self._step("evidence", lambda: self._press(message, "ev:done"))
            return None  # photos sent, their acknowledgement not yet here
        if PROMPTS["contact"] in text:
            return self._step("contact", lambda: self._say(t("id", "report.skip_contact")))
        if "rv:send" in buttons:
            await self.hook(self, "submit")
            self._submitted = True
            return self._step("review", lambda: self._press(message, "rv:send"))
        return None

    def _step(self, name: str, action: Callable[[], None]) -> bool:
        self.answered.append(name)
        action()
        return True

    def _send_photos(self) -> None:
        group = f"album-{self.user_id}-{self.resends}" if self.album else None
        if not self._photos_mark:
            self._photos_mark = max((m["message_id"] for m in self.api.messages(self.user_id)), default=0)
        for data in self.photos:
            file_id = self.api.add_file(data)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in self.sent_photos:
                self.sent_photos.append(digest)
            self._push(self.api.private_photo(self.user_id, file_id, media_group_id=group))
