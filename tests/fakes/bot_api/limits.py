"""Telegram's flood limits, enforced: 20 messages a minute into a group, about 1 a second into a private chat
(with a short burst allowed), about 30 a second overall. Beyond them the answer is Telegram's HTTP 429,
``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
"parameters": {"retry_after": N}}``, N being the whole seconds until the message would fit.

Sends and edits count alike (DOMAIN.md: edits spend the group's budget too); an album counts one message
per item. A refused call (4xx, 429) spends nothing. On by default, so no test can pass by ignoring them.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from tests.fakes.bot_api.faults import ChatId

# The methods that put (or change) a message in a chat, as Telegram counts them: every one the Bot API has,
# implemented here or not. Chat actions, callback answers and deletions do not count against Telegram's
# limits. Kept apart from the bot's own list (bot/telegram/pacing.py SENDS and EDITS) on purpose: the fake
# is the witness that the pacer forgets none (tests/telegram/test_pacing.py checks they agree).
COUNTED: Final = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendVideoNote",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "sendPaidMedia",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendInvoice",
        "sendGame",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "stopPoll",
    }
)
# A call that puts several messages at once, and the parameter that lists them.
BATCHES: Final = {"sendMediaGroup": "media", "forwardMessages": "message_ids", "copyMessages": "message_ids"}


@dataclass(frozen=True)
class Limits:
    """The budgets. ``private_burst`` is how many messages a private chat may take at once before the
    1-a-second rate applies (Telegram tolerates short bursts, then answers 429)."""

    group_per_minute: int = 20
    private_per_second: float = 1.0
    private_burst: int = 20
    overall_per_second: int = 30
    group_window: float = 60.0  # the span ``group_per_minute`` counts over: a test may shrink the minute


def message_count(method: str, params: dict[str, Any]) -> int:
    """How many messages a call costs: an album (or a batch forward or copy) one per item, anything counted
    one, the rest none."""
    if method not in COUNTED:
        return 0
    if method in BATCHES:
        items = params.get(BATCHES[method])
        return len(items) if isinstance(items, list) and items else 1
    return 1


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class FloodControl:
    """The state of every budget, on a clock a unit test may replace (``time.monotonic`` by default)."""

    limits: Limits | None = field(default_factory=Limits)
    clock: Callable[[], float] = time.monotonic
    _groups: dict[ChatId, deque[float]] = field(default_factory=dict)
    _private: dict[ChatId, _Bucket] = field(default_factory=dict)
    _overall: deque[float] = field(default_factory=deque)

    def check(self, chat_id: ChatId | None, count: int) -> int | None:
        """None when ``count`` messages to ``chat_id`` fit now; else Telegram's retry_after (whole seconds)."""
        limits = self.limits
        if limits is None or count <= 0:
            return None
        now = self.clock()
        waits = [self._overall_wait(limits, now, count)]
        if _is_group(chat_id):
            waits.append(self._group_wait(limits, chat_id, now, count))
        elif chat_id is not None:
            waits.append(self._private_wait(limits, chat_id, now, count))
        wait = max(waits)
        # Telegram's retry_after is a whole number of seconds, never 0: rounding down would come back early.
        return max(1, math.ceil(wait - 1e-9)) if wait > 0 else None

    def spend(self, chat_id: ChatId | None, count: int) -> None:
        """Record ``count`` messages delivered to ``chat_id`` (after a ``check`` that let them through)."""
        if self.limits is None or count <= 0:
            return
        now = self.clock()
        self._overall.extend([now] * count)
        if _is_group(chat_id):
            assert chat_id is not None
            self._groups.setdefault(chat_id, deque()).extend([now] * count)
        elif chat_id is not None:
            bucket = self._refilled(self.limits, chat_id, now)
            bucket.tokens -= count

    def seconds_until(self, chat_id: ChatId, count: int) -> float:
        """How long until ``count`` messages to this chat would fit (0 if now): the pace of a test's user,
        who, like a person, does not write faster than the bot may answer."""
        limits = self.limits
        if limits is None:
            return 0.0
        now = self.clock()
        if _is_group(chat_id):
            return self._group_wait(limits, chat_id, now, count)
        return self._private_wait(limits, chat_id, now, count)

    def reset(self) -> None:
        self._groups.clear()
        self._private.clear()
        self._overall.clear()

    # ---------------------------------------------------------------- the three budgets

    def _overall_wait(self, limits: Limits, now: float, count: int) -> float:
        return _window_wait(self._overall, now, 1.0, limits.overall_per_second, count)

    def _group_wait(self, limits: Limits, chat_id: ChatId | None, now: float, count: int) -> float:
        assert chat_id is not None
        sent = self._groups.setdefault(chat_id, deque())
        return _window_wait(sent, now, limits.group_window, limits.group_per_minute, count)

    def _private_wait(self, limits: Limits, chat_id: ChatId, now: float, count: int) -> float:
        bucket = self._refilled(limits, chat_id, now)
        missing = count - bucket.tokens
        return missing / limits.private_per_second if missing > 0 else 0.0

    def _refilled(self, limits: Limits, chat_id: ChatId, now: float) -> _Bucket:
        bucket = self._private.get(chat_id)
        if bucket is None:
            bucket = self._private[chat_id] = _Bucket(float(limits.private_burst), now)
        bucket.tokens = min(float(limits.private_burst), bucket.tokens + (now - bucket.at) * limits.private_per_second)
        bucket.at = now
        return bucket


def _is_group(chat_id: ChatId | None) -> bool:
    # Groups, supergroups and channels have negative ids; "@name" strings are public groups or channels.
    return (isinstance(chat_id, int) and chat_id < 0) or (isinstance(chat_id, str) and chat_id.startswith("@"))


def _window_wait(sent: deque[float], now: float, span: float, budget: int, count: int) -> float:
    """Seconds until ``count`` more fit in a sliding window of ``span`` seconds holding ``budget``."""
    while sent and sent[0] <= now - span:
        sent.popleft()
    excess = len(sent) + count - budget
    if excess <= 0:
        return 0.0
    if excess > len(sent):  # more than a whole window at once: it can never fit; wait one window
        return span
    # The window frees a place when its oldest entries age out: the excess-th oldest one decides.
    return sent[excess - 1] + span - now
