"""Fake Telegram Bot API server for end-to-end tests.

Runs a real HTTP server (aiohttp) on 127.0.0.1 so that the *real* python-telegram-bot
``Bot``/``Application`` can talk to it unchanged::

    async with FakeBotApi() as api:
        bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
        # base_url      == f"{api.url}/bot"       -> PTB requests f"{api.url}/bot{TOKEN}/sendMessage"
        # base_file_url == f"{api.url}/file/bot"  -> PTB downloads f"{api.url}/file/bot{TOKEN}/{file_path}"

Tests simulate users by pushing updates (``api.push_update(api.private_text(1, "hi"))``),
inspect what the bot sent (``api.calls_to("sendMessage")``, ``await api.wait_for(...)``) and
inject faults (``api.fail("sendMessage", times=1, mode=RetryAfter(1))``).

Standalone mode (for benchmarks / bots running as a subprocess)::

    python -m tests.fakes.bot_api --port 8081

adds a JSON control API under ``/_control/...`` (see ``FakeBotApi._control_routes``).

Telegram's flood limits are enforced by default (``limits``: 20 messages a minute per group, sends and
edits alike, an album one per photo; a burst then ~1 a second per private chat; 30 a second overall):
beyond them the answer is a 429 with ``retry_after``, and ``api.too_many_requests`` counts them (the
``api`` fixture fails a test in which the bot ran into one).

Fidelity notes: parameters are validated where real Telegram commonly rejects bot bugs
(HTML parse errors, empty/too long text, callback_data > 64 bytes, "message is not modified",
unknown file_id, getUpdates while a webhook is set). MarkdownV2 is *not* validated.
All waits are bounded and wake up immediately when the server stops.

Modules: ``server`` (``FakeBotApi``: its life cycle and inspection) made of one mixin per method family on
``state`` (the shared state): ``sending``, ``editing``, ``downloads`` (files), ``chats`` (users, groups,
members, menus), ``updates`` (getUpdates, webhooks), ``builders`` (the updates a test pushes), ``control``
(the JSON control API) and ``transport`` (HTTP, faults, flood limits); beside them ``faults`` (what a test
injects), ``calls`` (what is recorded), ``files``, ``validation`` (HTML, entities, lengths and markup as
Telegram checks them), ``limits`` (Telegram's flood limits), ``rates`` (random faults), ``__main__``
(standalone mode).
"""

from __future__ import annotations

from tests.fakes.bot_api.calls import Call
from tests.fakes.bot_api.faults import (
    DOWNLOAD,
    JSON,
    MAX_SLEEP_SECONDS,
    ApiError,
    ChatId,
    Drop,
    Fault,
    RetryAfter,
    ServerError,
    SlowAnswer,
    Timeout,
    fault_from_json,
    fault_to_json,
)
from tests.fakes.bot_api.limits import FloodControl, Limits
from tests.fakes.bot_api.rates import DEFAULT_RATE_EXCLUDE
from tests.fakes.bot_api.server import FakeBotApi

__all__ = [
    "DEFAULT_RATE_EXCLUDE",
    "DOWNLOAD",
    "JSON",
    "MAX_SLEEP_SECONDS",
    "ApiError",
    "Call",
    "ChatId",
    "Drop",
    "FakeBotApi",
    "Fault",
    "FloodControl",
    "Limits",
    "RetryAfter",
    "ServerError",
    "SlowAnswer",
    "Timeout",
    "fault_from_json",
    "fault_to_json",
]
