"""The fake's shared state and the small helpers every method family uses; the families are mixins on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.bot_api.calls import Call, _Notifier, _Pending
from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.files import _StoredFile, _Upload
from tests.fakes.bot_api.limits import FloodControl
from tests.fakes.bot_api.rates import _RateRule


@dataclass
class _Req:
    """What a method handler gets: decoded params, uploaded parts and the raw request."""

    params: dict[str, Any]
    uploads: dict[str, _Upload]
    request: web.Request


_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: JSON | None = None) -> web.Response:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


Handler = Callable[[_Req], Awaitable[Any]]


class _State:
    """What every mixin reads and writes; `FakeBotApi.__init__` (server.py) fills it in."""

    host: str
    token: str | None
    max_poll_seconds: float
    control_api: bool
    calls: list[Call]
    failed_calls: list[Call]
    throttled: list[Call]
    flood: FloodControl
    bot_user: JSON
    _port: int
    _runner: web.AppRunner | None
    _closing: asyncio.Event
    _changed: _Notifier
    _users: dict[int, JSON]
    _groups: dict[int, JSON]
    _members: dict[tuple[int, int], str]
    _blocked: set[int]
    _messages: dict[tuple[int, int], JSON]
    _next_message_id: dict[int, int]
    _files: dict[str, _StoredFile]
    _files_by_path: dict[str, _StoredFile]
    _updates: list[_Pending]
    _allowed_updates: frozenset[str] | None
    _next_update_id: int
    _poll_generation: int
    _callback_ids: set[str]
    _counter: int
    _commands: dict[tuple[str, str], list[JSON]]
    _webhook_url: str
    _faults: dict[str, list[list[Any]]]
    _rates: dict[str | None, _RateRule]
    _methods: dict[str, tuple[str, Handler]]
