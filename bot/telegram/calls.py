"""One place where Telegram's errors become decisions: the outbox's outcomes and the tolerated answers.

- `RetryAfter` (429) → `RetryLater(retry_after + 0.1)`: wait what Telegram asked.
- `Forbidden` (blocked, kicked) and `BadRequest` (a wrong chat, a rejected text) → the caller's outcome
  (`GiveUp`, or a slow `RetryLater` for a group that must get the report once the setting is fixed),
  logged as an error first. A `BadRequest` is never retried as a network error, though PTB makes it a
  `NetworkError` subclass: the same request cannot succeed.
- Network errors and timeouts propagate: the outbox worker's exponential backoff is for them.

Only the answers named here are tolerated: "message is not modified" (an edit that changes nothing) and,
for callback queries, "query is too old" / "query ID is invalid" (Telegram allows ~15 s to answer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final, TypeVar

from telegram import CallbackQuery
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.outbox import DeliveryError, RetryLater

log = logging.getLogger(__name__)

T = TypeVar("T")
Refused = Callable[[TelegramError], DeliveryError]

NOT_MODIFIED: Final = "message is not modified"
QUERY_EXPIRED: Final = ("query is too old", "query id is invalid")


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's flood wait in seconds, whichever form (int or timedelta) PTB gives it in."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def flood_control(exc: RetryAfter) -> RetryLater:
    """The outbox's answer to a 429: wait what Telegram asked, and a little more."""
    return RetryLater(retry_after_seconds(exc) + 0.1, "telegram flood control")


def is_not_modified(exc: BadRequest) -> bool:
    return NOT_MODIFIED in exc.message.lower()


async def for_outbox(
    call: Awaitable[T],
    what: str,
    *,
    refused: Refused,
    quiet_forbidden: bool = False,
    edit: bool = False,
) -> T | None:
    """Await one Bot API call for an outbox deliverer, turning Telegram's refusals into its outcomes.

    `quiet_forbidden`: a reporter who blocked the bot is their choice, not the machine's error.
    `edit`: "message is not modified" means done (None is returned).
    """
    try:
        return await call
    except RetryAfter as exc:
        raise flood_control(exc) from exc
    except Forbidden as exc:
        if quiet_forbidden:
            log.info("%s: Telegram says Forbidden", what)
        else:
            log.error("%s refused by Telegram (Forbidden): %s", what, exc.message)
        raise refused(exc) from exc
    except BadRequest as exc:
        if edit and is_not_modified(exc):
            return None
        log.error("%s refused by Telegram (BadRequest): %s", what, exc.message)
        raise refused(exc) from exc


async def tolerate_not_modified(call: Awaitable[object]) -> None:
    """An edit that would change nothing is done already; any other BadRequest is raised."""
    try:
        await call
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


async def answer_query(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> None:
    """Answer a button press; an expired query only means the spinner stops late: the press still counts."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        if not any(expired in exc.message.lower() for expired in QUERY_EXPIRED):
            raise
        log.debug("callback query not answered: %s", exc.message)
