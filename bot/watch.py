"""Watching the groups' budgets: the stale-card warning, and the pacer's memory across a restart.

The stale-card watch: a warning in the provincial group when a group's oldest waiting card is too old.

Every minute the outbox's backlog is read; a group whose oldest undelivered card (a report's album and card)
was owed more than STALE_CARD_MINUTES ago gets one warning in the provincial group (SUPERVISOR_CHAT_ID),
through the outbox, once per *stale episode*: from the first look that finds the group late until a look
finds its oldest card back under the limit (or nothing waiting). Not once per oldest card: in a saturated
group the oldest card leaves every few seconds, and each would have cost the provincial group (with one
group, the saturated group itself) a message. Not a repeat every N minutes either: while an episode lasts
/metrics shows it, and the warning is there to say it began. The open episodes are kept in the database
(storage/ops.py StaleEpisodes), each begun in the transaction that owes its warning, so a restart in the
middle of one does not announce it again: while the bot is down nothing leaves the outbox, so a group late
before the restart and late after it has been late throughout. Registered by the composition root
(bot/app.py), which delivers the warning ahead of cards (it is one message, and says why the cards are late).

At start, `recall_last_minute` tells the pacer what the outbox sent into each group in the last minute.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from telegram.ext import ContextTypes, JobQueue

from bot.telegram.pacer import Pacer
from handlers.common import owed
from locales import tn
from storage.ops import Backlog, OpsFigures, StaleEpisodes

log = logging.getLogger(__name__)

EVERY: Final = 60.0  # seconds


class StaleWatch:
    def __init__(
        self,
        figures: OpsFigures,
        episodes: StaleEpisodes,
        *,
        minutes: int,
        destination: Callable[[Backlog], str],
        group_name: Callable[[str], str],
        locale: str,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
    ) -> None:
        self._figures = figures
        self._episodes = episodes
        self._limit = timedelta(minutes=minutes)
        self._destination = destination
        self._group_name = group_name
        self._locale = locale
        self._clock = clock
        self._wake = wake

    def schedule(self, jobs: JobQueue[Any]) -> None:
        jobs.run_repeating(self.on_schedule, interval=EVERY, first=EVERY, name="stale-card-watch")

    async def on_schedule(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.check()

    async def check(self) -> int:
        """Owe a warning for each group whose oldest card waits too long; returns how many groups were late."""
        now = self._clock()
        oldest: dict[str, Backlog] = {}
        waiting: dict[str, int] = {}
        for row in await self._figures.backlog():
            if row.kind != owed.FORWARD_REPORT:
                continue
            chat = self._destination(row)
            waiting[chat] = waiting.get(chat, 0) + row.pending
            if chat not in oldest or row.oldest_created < oldest[chat].oldest_created:
                oldest[chat] = row
        episodes = await self._episodes.open()
        late = warned = 0
        for chat in episodes:
            if chat not in oldest or now - oldest[chat].oldest_created <= self._limit:
                await self._episodes.end(chat)  # its episode is over: a later one is announced again
        for chat, row in oldest.items():
            age = now - row.oldest_created
            if age <= self._limit:
                continue
            late += 1
            minutes = int(age.total_seconds() // 60)
            if chat not in episodes:
                text = tn(
                    self._locale,
                    "ops.stale_cards",
                    waiting[chat],
                    group=html.escape(self._group_name(chat)),
                    minutes=minutes,
                    count=waiting[chat],
                )
                await self._episodes.begin(chat, now, owed.stale_warning(chat, now, text))
                warned += 1
            log.warning("group %s: oldest card waiting %d minutes (%d waiting)", chat, minutes, waiting[chat])
        if warned:
            self._wake()  # a new warning to send, ahead of the waiting cards
        return late


async def recall_last_minute(
    pacer: Pacer,
    figures: OpsFigures,
    *,
    provincial: int,
    clock: Callable[[], datetime],
    summary_chat: int | None = None,
) -> int:
    """Tell a freshly started pacer what the outbox sent into groups in the last minute (a restart would
    otherwise find each group's budget whole while Telegram still counts it spent); returns the messages."""
    now = clock()
    recalled = 0
    for sent in await figures.recent_sends(now - timedelta(seconds=60)):
        count = group_cost(sent.kind, sent.photos)
        if count == 0:
            continue
        if sent.kind == owed.SUMMARY:
            if summary_chat is None:
                continue
            chat = summary_chat
        else:
            chat = sent.card_chat_id if sent.card_chat_id is not None else provincial
        pacer.recall(chat, (now - sent.sent_at).total_seconds(), count)
        recalled += count
    return recalled


def group_cost(kind: str, photos: int) -> int:
    """The messages an outbox item of `kind` put into a group (0: none, a reporter's private notice), counted
    high where it varies: Telegram must not find the budget more spent than the pacer believes."""
    if kind == owed.EVIDENCE_ALBUM:
        # The photos but the first, which the card shows (all of one photo), at most an album's ten.
        return min(max(photos - 1, 1), 10) if photos else 0
    if kind == owed.FORWARD_REPORT and photos:
        return 2  # the photo card, or a photo then a text card when the card is too long for a caption
    return GROUP_COSTS.get(kind, 0)


# What each kind costs its chat, when it does not vary. Every outbox kind is here or in PRIVATE_KINDS
# (tests/bot/test_ops.py checks): a kind left out would be forgotten by a restarted pacer.
GROUP_COSTS: Final = {
    owed.FORWARD_REPORT: 1,  # a text card (no photos)
    owed.EDIT_CARD: 1,
    owed.POST_ANSWER: 1,
    owed.HANDOFF_PACKET: 1,
    owed.GROUP_POST: 1,
    owed.OPS_WARNING: 1,
    owed.CARD_MOVED: 1,  # the old card's edit, in the group it was in (the payload's chat)
    owed.EVIDENCE_ALBUM: 1,  # varies: group_cost
    owed.SUMMARY: 3,  # text, chart and spreadsheet, in the office chat
}
PRIVATE_KINDS: Final = frozenset({owed.NOTIFY_REPORTER})
