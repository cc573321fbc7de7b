"""Telegram's budgets, counted as the bot spends them: the pure core of the pacer (bot/telegram/pacer.py).

Telegram lets a bot put about 20 messages a minute into one group, about 1 a second into one private chat
(short bursts tolerated) and about 30 a second overall, and **edits spend a group's budget like sends**
(DOMAIN.md); an album spends one message per item. Beyond that it answers 429 with `retry_after`. Here the
waiting requests are ordered by priority, granted when their chat's budgets allow, and a 429 holds that one
chat for exactly the `retry_after` Telegram asked. No clock is read here: every method takes `now`, so
tests drive it second by second.

A granted message counts from its grant until its answer comes back, and then from the answer's time:
Telegram counts it somewhere in between, and counting late can only make the bot wait a little longer.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

ChatId = int | str
_PRUNE_EVERY: Final = 1000

# The endpoints that put a message in a chat or change one (the Bot API's whole list, used by the bot or
# not: a method added later is paced without a second thought); the rest (answers to buttons, getFile,
# chat actions, deletions) are not counted by Telegram and are never held. The fake Bot API keeps its own
# list of what Telegram counts (tests/fakes/bot_api/limits.py COUNTED), on purpose: it is the witness that
# this one is complete, and tests/telegram/test_pacing.py checks the two agree.
SENDS: Final = frozenset(
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
    }
)
EDITS: Final = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "stopPoll",
    }
)
# Several messages in one call: an album one per item, a batch forward or copy one per message.
_BATCHES: Final = {"sendMediaGroup": "media", "forwardMessages": "message_ids", "copyMessages": "message_ids"}


class Priority(IntEnum):
    """Who goes first when a chat's budget is short (lower first)."""

    REPLY = 0  # an answer to what a user just did: the conversation, a button, a command
    NOTICE = 1  # a reporter's notice (the outbox)
    CARD = 2  # a new report's album and card
    POST = 3  # something under a card: a reporter's answer, the hand-off packet
    EDIT = 4  # a card edited to a triage move (coalesced: only the latest edit of a card goes out)
    BULK = 5  # the morning reminder, the daily summary, an operator's warning


@dataclass(frozen=True, slots=True)
class Budget:
    """Telegram's limits as the pacer keeps them. A private chat's bucket holds one message fewer than
    Telegram's (a burst of about 20, then 1 a second: what our fake of it enforces) because it is counted
    from the grant while Telegram counts on arrival, and arrivals jitter: the spare message absorbs it. The
    windows count from the answer, later than Telegram does, so they can use the whole budget."""

    group_per_minute: int = 20
    private_per_second: float = 1.0
    private_burst: int = 19
    overall_per_second: int = 30
    group_window: float = 60.0  # seconds the group budget counts over (Telegram's minute; tests shorten it)


def is_group(chat_id: ChatId | None) -> bool:
    """Groups, supergroups and channels have negative ids; an "@name" is a public group or channel."""
    return (isinstance(chat_id, int) and chat_id < 0) or (isinstance(chat_id, str) and chat_id.startswith("@"))


def cost(endpoint: str, data: dict[str, object]) -> int:
    """Messages a request spends: an album one per item (a batch forward or copy one per message), a send or
    an edit one, anything else none."""
    if endpoint in _BATCHES:
        items = data.get(_BATCHES[endpoint])
        return len(items) if isinstance(items, list | tuple) and items else 1
    return 1 if endpoint in SENDS or endpoint in EDITS else 0


@dataclass(eq=False)
class Ticket:
    """One request waiting for its chat's budget. `key` names the card an edit is for (coalescing)."""

    chat: ChatId | None
    count: int
    priority: int
    seq: int
    key: Hashable | None = None
    # Filled in by the queue: when it was granted (its spend), and whether a newer edit replaced it.
    stamps: list[list[float]] = field(default_factory=list)
    granted: bool = False
    superseded: bool = False


@dataclass
class _Window:
    """A sliding window: the times messages were spent, `inf` while a granted one has no answer yet."""

    span: float
    budget: int
    stamps: list[list[float]] = field(default_factory=list)

    def wait(self, now: float, count: int) -> float:
        self.stamps = [s for s in self.stamps if s[0] > now - self.span]
        excess = len(self.stamps) + count - self.budget
        if excess <= 0:
            return 0.0
        if count > self.budget:  # can never fit at once: let it go alone into an empty window
            return 0.0 if not self.stamps else max(0.0, max(s[0] for s in self.stamps) + self.span - now)
        times = sorted(s[0] for s in self.stamps)
        return max(0.0, times[excess - 1] + self.span - now)

    def spend(self, count: int) -> list[list[float]]:
        stamps = [[math.inf] for _ in range(count)]
        self.stamps.extend(stamps)
        return stamps


@dataclass
class _Bucket:
    """A private chat's budget: `burst` messages at once, refilled at `rate` a second."""

    rate: float
    burst: int
    tokens: float
    at: float

    def _refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = max(self.at, now)

    def wait(self, now: float, count: int) -> float:
        self._refill(now)
        missing = min(count, self.burst) - self.tokens
        return missing / self.rate if missing > 0 else 0.0

    def spend(self, now: float, count: int) -> None:
        self._refill(now)
        self.tokens -= count


class PaceQueue:
    """The waiting requests and the budgets they spend; `release(now)` grants what fits, in priority order."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self._waiting: list[Ticket] = []
        self._overall = _Window(1.0, self.budget.overall_per_second)
        self._groups: dict[ChatId, _Window] = {}
        self._private: dict[ChatId, _Bucket] = {}
        self._held: dict[ChatId | None, float] = {}
        self._in_flight: dict[Hashable, int] = {}
        self._seq = 0
        self._pushes = 0

    # ---------------------------------------------------------------- requests

    def push(self, chat: ChatId | None, count: int, priority: int, key: Hashable | None = None) -> list[Ticket]:
        """Queue a request; returns it first, then any older waiting edit of the same card it replaces."""
        self._seq += 1
        self._pushes += 1
        if self._pushes >= _PRUNE_EVERY:
            self._prune()
        ticket = Ticket(chat, count, priority, self._seq, key)
        replaced = []
        if key is not None:
            replaced = [t for t in self._waiting if t.key == key]
            for old in replaced:
                old.superseded = True
                self._waiting.remove(old)
        self._waiting.append(ticket)
        return [ticket, *replaced]

    def requeue(self, ticket: Ticket) -> None:
        """A request Telegram answered 429: back in its place (its priority and age), spent nothing."""
        ticket.stamps = []
        ticket.granted = False
        self._waiting.append(ticket)

    def drop(self, ticket: Ticket, now: float) -> None:
        """A request given up by its caller (cancelled): out of the queue, or its spend settled."""
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        elif ticket.granted:
            self.done(ticket, now)

    def release(self, now: float) -> tuple[list[Ticket], float | None]:
        """Grant every waiting request that fits now, best first; and when to look again (None: nothing waits).

        Within one chat the order is strict: a request that must wait holds back the lower ones of its chat,
        so a card never lets an edit overtake it. Another chat's requests go on."""
        granted: list[Ticket] = []
        stuck: set[ChatId | None] = set()
        next_at = math.inf
        for ticket in sorted(self._waiting, key=lambda t: (t.priority, t.seq)):
            if ticket.chat in stuck:
                continue
            if ticket.key is not None and self._in_flight.get(ticket.key):
                # An edit of this card is on its way: the newer one follows it, never overtakes it.
                continue
            wait = self._wait(ticket, now)
            if wait > 0:
                stuck.add(ticket.chat)
                next_at = min(next_at, now + wait)
                continue
            self._spend(ticket, now)
            ticket.granted = True
            granted.append(ticket)
        for ticket in granted:
            self._waiting.remove(ticket)
        if self._waiting and next_at == math.inf:
            next_at = now + 0.05  # held only behind an edit in flight: its answer wakes the queue anyway
        return granted, (next_at if self._waiting else None)

    def done(self, ticket: Ticket, now: float, *, sent: bool = True) -> None:
        """The answer came back: the messages count from now on, and the card's next edit may go. With
        `sent=False` Telegram refused the request (a 400, a 403, a 429): nothing was spent, all is given back."""
        for stamp in ticket.stamps:
            stamp[0] = now if sent else -math.inf  # -inf: out of every window at the next look
        if not sent and not is_group(ticket.chat) and ticket.chat in self._private:
            bucket = self._private[ticket.chat]
            bucket.tokens = min(float(bucket.burst), bucket.tokens + ticket.count)
        ticket.stamps = []
        if ticket.key is not None:
            left = self._in_flight.get(ticket.key, 0) - 1
            if left > 0:
                self._in_flight[ticket.key] = left
            else:
                self._in_flight.pop(ticket.key, None)

    def recall(self, chat: ChatId, at: float, count: int) -> None:
        """Messages sent at `at` before this queue existed (a restart): they still count in their window."""
        stamps = [[at] for _ in range(count)]
        self._overall.stamps.extend(stamps)
        if is_group(chat):
            self._group(chat).stamps.extend([[at] for _ in range(count)])

    def hold(self, chat: ChatId | None, seconds: float, now: float) -> None:
        """Telegram said 429 for this chat: nothing more goes to it for exactly `seconds`."""
        self._held[chat] = max(self._held.get(chat, 0.0), now + seconds)

    # ---------------------------------------------------------------- what operators see

    def waiting(self) -> dict[ChatId | None, int]:
        counts: dict[ChatId | None, int] = {}
        for ticket in self._waiting:
            counts[ticket.chat] = counts.get(ticket.chat, 0) + 1
        return counts

    def __len__(self) -> int:
        return len(self._waiting)

    # ---------------------------------------------------------------- the budgets

    def _wait(self, ticket: Ticket, now: float) -> float:
        held = self._held.get(ticket.chat, 0.0) - now
        waits = [held, self._overall.wait(now, ticket.count)]
        if is_group(ticket.chat):
            waits.append(self._group(ticket.chat).wait(now, ticket.count))
        elif ticket.chat is not None:
            waits.append(self._bucket(ticket.chat, now).wait(now, ticket.count))
        return max(waits)

    def _spend(self, ticket: Ticket, now: float) -> None:
        ticket.stamps = self._overall.spend(ticket.count)
        if is_group(ticket.chat):
            ticket.stamps += self._group(ticket.chat).spend(ticket.count)
        elif ticket.chat is not None:
            self._bucket(ticket.chat, now).spend(now, ticket.count)
        if ticket.key is not None:
            self._in_flight[ticket.key] = self._in_flight.get(ticket.key, 0) + 1
        if self._held.get(ticket.chat, math.inf) <= now:
            del self._held[ticket.chat]

    def _prune(self, now: float | None = None) -> None:
        """Forget the budgets of chats that are whole again: one bucket per reporter would only grow."""
        self._pushes = 0
        stamp = now if now is not None else max((b.at for b in self._private.values()), default=0.0)
        busy = {t.chat for t in self._waiting}
        for chat, bucket in list(self._private.items()):
            if chat not in busy and bucket.tokens + (stamp - bucket.at) * bucket.rate >= bucket.burst:
                del self._private[chat]
        for chat, window in list(self._groups.items()):
            if chat not in busy and all(s[0] <= stamp - window.span for s in window.stamps):
                del self._groups[chat]

    def _group(self, chat: ChatId | None) -> _Window:
        assert chat is not None
        window = self._groups.get(chat)
        if window is None:
            window = self._groups[chat] = _Window(self.budget.group_window, self.budget.group_per_minute)
        return window

    def _bucket(self, chat: ChatId, now: float) -> _Bucket:
        bucket = self._private.get(chat)
        if bucket is None:
            budget = self.budget
            bucket = self._private[chat] = _Bucket(
                budget.private_per_second, budget.private_burst, budget.private_burst, now
            )
        return bucket
