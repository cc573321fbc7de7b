"""The fake Bot API server: one class made of its method families (one module each), and its life cycle.

`sending`, `editing` (messages), `downloads` (files), `chats` (users, groups, members, menus), `updates`
(getUpdates, webhooks), `builders` (the updates a test pushes), `control` (the JSON control API) and
`transport` (HTTP, faults, flood limits) are mixins on `state._State`.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakes.bot_api.builders import Builders
from tests.fakes.bot_api.calls import Call, _Notifier, _Pending
from tests.fakes.bot_api.chats import Chats
from tests.fakes.bot_api.control import Control
from tests.fakes.bot_api.downloads import Downloads
from tests.fakes.bot_api.editing import Editing
from tests.fakes.bot_api.faults import (
    JSON,
    ChatId,
)
from tests.fakes.bot_api.files import _StoredFile
from tests.fakes.bot_api.limits import FloodControl, Limits
from tests.fakes.bot_api.rates import _RateRule
from tests.fakes.bot_api.sending import Sending
from tests.fakes.bot_api.state import Handler, _State
from tests.fakes.bot_api.transport import Transport
from tests.fakes.bot_api.updates import Updates
from tests.fakes.bot_api.validation import _chat_key


class FakeBotApi(Sending, Editing, Downloads, Chats, Updates, Builders, Control, Transport, _State):
    """In-process fake of ``api.telegram.org``. Use as ``async with FakeBotApi() as api:``.

    Everything (push_update, add_file, fail, ...) must be called from the event loop thread
    the server runs on; no locking is needed because handlers never await mid-mutation.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        bot_id: int = 7000000001,
        bot_username: str = "LaporNetralTestBot",
        bot_first_name: str = "Lapor Netral",
        max_poll_seconds: float = 1.0,
        control_api: bool = False,
        limits: Limits | None = Limits(),  # noqa: B008 - frozen, so one shared default is safe
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the fake Bot API only binds to loopback addresses")
        self.host = host
        self.token = token  # None = accept any token (bot id then comes from the token)
        self.max_poll_seconds = max_poll_seconds
        self.control_api = control_api
        self.calls: list[Call] = []
        self.failed_calls: list[Call] = []
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._port = port
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._changed = _Notifier()
        self._users: dict[int, JSON] = {}
        self._groups: dict[int, JSON] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._updates: list[_Pending] = []
        # Telegram's default: every update type but these, until a getUpdates names its allowed_updates.
        self._allowed_updates: frozenset[str] | None = None
        self._next_update_id = 1
        self._poll_generation = 0
        self._callback_ids: set[str] = set()
        self._counter = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._webhook_url = ""
        self._faults: dict[str, list[list[Any]]] = {}  # method -> [[fault, remaining], ...]
        self._rates: dict[str | None, _RateRule] = {}
        # Telegram's flood limits (limits.py); ``throttled`` holds every call they answered with 429.
        self.flood = FloodControl(limits)
        self.throttled: list[Call] = []
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "sendChatAction": self._send_chat_action,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
        }
        # Telegram treats method names case-insensitively.
        self._methods: dict[str, tuple[str, Handler]] = {n.lower(): (n, h) for n, h in handlers.items()}

    async def start(self) -> Self:
        self._closing.clear()  # allow start() again after stop()
        # 64 MiB: Telegram accepts 50 MB uploads; aiohttp's default body limit is 1 MiB.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        if self.control_api:
            self._control_routes(app)
        # access_log=None keeps test output clean; short shutdown_timeout bounds stop().
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        # Wake long-polls and injected sleeps first so the runner has nothing to wait for.
        self._closing.set()
        self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """For PTB ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``; PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For PTB ``base_file_url``; PTB appends the token and then ``/<file_path>``."""
        return f"{self.url}/file/bot"

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: ChatId) -> list[Call]:
        key = _chat_key(chat_id)
        return [c for c in self.calls if c.chat_id == key]

    def message(self, chat_id: ChatId, message_id: int) -> JSON:
        """Snapshot of a stored message (bot-sent or pushed) with edits applied; KeyError if absent."""
        return copy.deepcopy(self._messages[(self._resolve_chat(chat_id), message_id)])

    def messages(self, chat_id: ChatId) -> list[JSON]:
        """Snapshots of all stored messages in a chat (bot and pushed user messages), oldest first."""
        chat = self._resolve_chat(chat_id)
        keys = sorted(key for key in self._messages if key[0] == chat)
        return [copy.deepcopy(self._messages[key]) for key in keys]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool] | str,
        timeout: float = 5.0,
        *,
        since: int = 0,
        failed: bool = False,
    ) -> Call:
        """Wait until a recorded call (index >= ``since``) matches; a str matches the method name.

        Looks at ``failed_calls`` instead when ``failed=True``. Raises ``TimeoutError``.
        """

        def matches(call: Call) -> bool:
            return call.method == predicate if isinstance(predicate, str) else predicate(call)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            source = self.failed_calls if failed else self.calls
            for call in source[since:]:
                if matches(call):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                recent = [c.method for c in source[-15:]]
                raise TimeoutError(f"no matching call within {timeout}s; last calls: {recent}")
            await self._changed.wait(remaining)
