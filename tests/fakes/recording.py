"""A Bot API without a socket, for fast adapter tests.

`RecordingRequest` is a `telegram.request.BaseRequest`, the seam python-telegram-bot itself offers for
swapping the wire (its own tests do the same in `tests/auxil/networking.py`): a real `Bot` sends through
it, every call is recorded with its decoded parameters, and each answer comes from a canned result —
one queued with `answer`/`fail`, else a plausible default (a message echoing what was sent, `True`).
Nothing is validated here: what Telegram would refuse is the fake server's job (`tests/fakes/bot_api/`);
this tier checks what an adapter *asks* for, in milliseconds.

    request = RecordingRequest()
    async with Bot(TOKEN, request=request, get_updates_request=request) as bot:
        await send_reply(bot, 42, reply, "id")
    assert request.last("sendMessage").params["parse_mode"] == "HTML"
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

JSON = dict[str, Any]

BOT_USER: Final[JSON] = {"id": 123456789, "is_bot": True, "first_name": "Lapor Netral", "username": "lapor_test_bot"}


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API call as the bot made it: the method, its parameters (JSON values) and uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Canned:
    status: int
    body: JSON


class RecordingRequest(BaseRequest):
    """Answers each Bot API call from canned results, without any socket, and records it."""

    def __init__(self, bot_user: JSON | None = None) -> None:
        self.calls: list[RecordedCall] = []
        self.bot_user = bot_user or dict(BOT_USER)
        self._canned: defaultdict[str, deque[_Canned]] = defaultdict(deque)
        self._message_ids: defaultdict[Any, int] = defaultdict(int)
        self._defaults: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._me,
            "sendMessage": self._message,
            "editMessageText": self._message,
        }

    # ------------------------------------------------------------------ what a test sets up

    def answer(self, method: str, result: Any) -> None:
        """The next call of `method` succeeds with `result` (a JSON value, as Telegram sends it)."""
        self._canned[method].append(_Canned(200, {"ok": True, "result": result}))

    def fail(self, method: str, status: int, description: str, parameters: JSON | None = None) -> None:
        """The next call of `method` is refused as Telegram refuses it (e.g. 400 "Bad Request: ...")."""
        body: JSON = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._canned[method].append(_Canned(status, body))

    # ------------------------------------------------------------------ what a test reads

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def last(self, method: str) -> RecordedCall:
        calls = self.calls_to(method)
        assert calls, f"{method} was never called; calls: {[c.method for c in self.calls]}"
        return calls[-1]

    # ------------------------------------------------------------------ BaseRequest

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for part, content in request_data.multipart_data.items():
                data = content[1] if isinstance(content, tuple) else content
                if isinstance(data, bytes):
                    files[part] = data
        self.calls.append(RecordedCall(name, params, files))
        queued = self._canned.get(name)
        if queued:
            canned = queued.popleft()
            return canned.status, json.dumps(canned.body).encode()
        default = self._defaults.get(name)
        result = default(params) if default is not None else True  # what most methods answer
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _me(self, params: dict[str, Any]) -> JSON:
        return self.bot_user

    def _message(self, params: dict[str, Any]) -> JSON:
        """The message Telegram would return: what was sent, with an id of its chat's sequence."""
        chat_id = params.get("chat_id", 0)
        message_id = params.get("message_id")
        if message_id is None:
            self._message_ids[chat_id] += 1
            message_id = self._message_ids[chat_id]
        message: JSON = {
            "message_id": message_id,
            "date": int(time.time()),
            "from": self.bot_user,
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"},
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message
