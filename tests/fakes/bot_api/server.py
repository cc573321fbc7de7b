"""The fake Bot API server: state, scenario builders, the Bot API methods and the control API."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import hashlib
import ipaddress
import json
import mimetypes
import random
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakes.bot_api.calls import Call, _Notifier, _Pending
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
)
from tests.fakes.bot_api.files import _guess_ext, _image_size, _StoredFile, _Upload
from tests.fakes.bot_api.limits import FloodControl, Limits, message_count
from tests.fakes.bot_api.rates import DEFAULT_RATE_EXCLUDE, _RateRule
from tests.fakes.bot_api.validation import (
    _ADMIN_FALSE,
    _ADMIN_TRUE,
    _GIFT_TYPES,
    _MAX_CAPTION,
    _MAX_DOWNLOAD,
    _MAX_TEXT,
    _MEDIA_KINDS,
    _NOT_MODIFIED,
    _RESTRICTED_FALSE,
    _ApiFailure,
    _chat_key,
    _check_entities,
    _decode_param,
    _render,
    _utf16_len,
    _validate_markup,
)


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

# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotApi:
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

    # ---------------------------------------------------------------- lifecycle

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

    # ---------------------------------------------------------------- inspection

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

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return [p.update for p in self._updates]

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

    # ---------------------------------------------------------------- configuration

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "id",
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        if last_name:
            user["last_name"] = last_name
        user["username"] = username if username is not None else f"user{user_id}"
        if not user["username"]:
            del user["username"]
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def add_group(self, chat_id: int, title: str | None = None, *, kind: str | None = None) -> JSON:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        # -100xxxxxxxxxx ids are supergroups in real Telegram.
        chat_type = kind or ("supergroup" if chat_id <= -1_000_000_000_000 else "group")
        chat: JSON = {"id": chat_id, "type": chat_type, "title": title or f"Grup {abs(chat_id)}"}
        self._groups[chat_id] = chat
        return copy.deepcopy(chat)

    def set_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """Status for getChatMember: creator/administrator/member/restricted/left/kicked."""
        self._members[(chat_id, user_id)] = status

    def member_change(self, chat_id: int, user_id: int, status: str) -> JSON:
        """Change a member's status and return the ``chat_member`` update Telegram sends about it
        (delivered only to a bot that asked for ``chat_member`` in ``allowed_updates``)."""
        old = self._member_obj(chat_id, user_id)
        self.set_member(chat_id, user_id, status)
        return {
            "chat_member": {
                "chat": self._chat(chat_id),
                "from": self._user(user_id),
                "date": int(time.time()),
                "old_chat_member": old,
                "new_chat_member": self._member_obj(chat_id, user_id),
            }
        }

    def set_blocked(self, chat_id: int, blocked: bool = True) -> None:
        """Sends to this chat then fail with 403 like a user who blocked the bot."""
        if blocked:
            self._blocked.add(chat_id)
        else:
            self._blocked.discard(chat_id)

    def add_file(
        self,
        data: bytes,
        file_id: str | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_unique_id: str | None = None,
    ) -> str:
        """Register downloadable content (as if a user had uploaded it); returns its file_id."""
        self._counter += 1
        file_id = file_id or f"FILE{self._counter:06d}-{hashlib.sha1(data).hexdigest()[:10]}"
        # Content-derived like Telegram: the same bytes keep the same unique id across file_ids.
        unique = file_unique_id or "U" + hashlib.sha256(data).hexdigest()[:15]
        ext = _guess_ext(data, file_name)
        folder = "photos" if ext in {".jpg", ".jpeg", ".png", ".webp"} else "documents"
        stored = _StoredFile(file_id, unique, bytes(data), f"{folder}/file_{self._counter}{ext}", file_name, mime_type)
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return file_id

    def file_data(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def fail(self, method: str, times: int = 1, mode: Fault | None = None, *, chat_id: ChatId | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with ``mode`` (default ``ServerError()``).

        ``method`` is the Bot API name (``"sendMessage"``) or ``DOWNLOAD`` for file downloads.
        Queued faults for the same method are consumed in order; with ``chat_id`` only calls to
        that chat are failed (the group, not the citizen's replies).
        """
        if times > 0:
            target = _chat_key(chat_id) if chat_id is not None else None
            self._faults.setdefault(method.lower(), []).append([mode or ServerError(), times, target])

    def fail_rate(
        self,
        method: str | None,
        rate: float,
        modes: Sequence[Fault],
        seed: int | None = 0,
        *,
        exclude: Collection[str] = DEFAULT_RATE_EXCLUDE,
    ) -> None:
        """Fail a fraction ``rate`` of calls (``method=None``: every method not in ``exclude``),
        picking a mode uniformly; seeded so runs are reproducible. ``rate=0`` removes the rule."""
        key = method.lower() if method else None
        if rate <= 0 or not modes:
            self._rates.pop(key, None)
            return
        self._rates[key] = _RateRule(
            rate=rate,
            modes=list(modes),
            rng=random.Random(seed),
            exclude=frozenset(m.lower() for m in exclude),
        )

    def clear_faults(self) -> None:
        self._faults.clear()
        self._rates.clear()

    def reset_calls(self) -> None:
        self.calls.clear()
        self.failed_calls.clear()
        self.throttled.clear()

    @property
    def too_many_requests(self) -> int:
        """How many calls the flood limits answered with 429 (injected ``RetryAfter`` faults not included)."""
        return len(self.throttled)

    # ---------------------------------------------------------------- simulating users

    def push_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates and return it (with ``update_id`` filled in).

        Pushing an update whose ``update_id`` was already confirmed delivers it once more,
        which simulates Telegram redelivering after a lost confirmation.
        """
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._updates.append(_Pending(update))
        message = update.get("message") or update.get("edited_message")
        if isinstance(message, dict) and "chat" in message:
            self._messages[(int(message["chat"]["id"]), int(message["message_id"]))] = copy.deepcopy(message)
        query = update.get("callback_query")
        if isinstance(query, dict):
            self._callback_ids.add(str(query["id"]))
        self._changed.notify_all()
        return copy.deepcopy(update)

    def private_text(self, user_id: int, text: str, *, entities: list[JSON] | None = None) -> JSON:
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._user_update(user_id, user_id, content)

    def private_command(self, user_id: int, command: str, args: str = "") -> JSON:
        return self._user_update(user_id, user_id, self._command_content(command, args, mention=False))

    def private_photo(
        self,
        user_id: int,
        file_id: str,
        file_size: int | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
    ) -> JSON:
        size = file_size if file_size is not None else self._size_of(file_id)
        stored = self._files.get(file_id)
        width, height = (_image_size(stored.data) if stored else None) or (1280, 960)
        unique = stored.file_unique_id if stored else "U" + hashlib.sha1(file_id.encode()).hexdigest()[:15]
        sizes: list[JSON] = []
        # Telegram sends several scaled copies, smallest first; bots should take the last one.
        for suffix, side, share in (("s", 90, 0.05), ("m", 320, 0.25)):
            scale = min(1.0, side / max(width, height))
            sizes.append(
                {
                    "file_id": f"{file_id}_{suffix}",
                    "file_unique_id": f"{unique}{suffix}",
                    "file_size": max(1, int(size * share)),
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_size": size,
                "width": width,
                "height": height,
            }
        )
        content: JSON = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._user_update(user_id, user_id, content)

    def private_document(
        self,
        user_id: int,
        file_id: str,
        mime_type: str = "application/pdf",
        file_name: str = "dokumen.pdf",
        file_size: int | None = None,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        content: JSON = {
            "document": {**self._file_obj(file_id, file_size), "file_name": file_name, "mime_type": mime_type}
        }
        if caption is not None:
            content["caption"] = caption
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._user_update(user_id, user_id, content)

    def private_sticker(self, user_id: int, file_id: str = "STICKER1", emoji: str = "👍") -> JSON:
        sticker = {
            **self._file_obj(file_id, None),
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": emoji,
        }
        return self._user_update(user_id, user_id, {"sticker": sticker})

    def private_voice(self, user_id: int, file_id: str, duration: int = 3, file_size: int | None = None) -> JSON:
        voice = {**self._file_obj(file_id, file_size), "duration": duration, "mime_type": "audio/ogg"}
        return self._user_update(user_id, user_id, {"voice": voice})

    def private_location(self, user_id: int, lat: float, lon: float) -> JSON:
        return self._user_update(user_id, user_id, {"location": {"latitude": lat, "longitude": lon}})

    def private_contact(
        self, user_id: int, phone: str, first_name: str | None = None, contact_user_id: int | None = None
    ) -> JSON:
        contact: JSON = {"phone_number": phone, "first_name": first_name or self._user(user_id)["first_name"]}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._user_update(user_id, user_id, {"contact": contact})

    def group_text(self, chat_id: int, user_id: int, text: str, *, title: str | None = None) -> JSON:
        self._group(chat_id, title)
        return self._user_update(user_id, chat_id, {"text": text})

    def group_command(self, chat_id: int, user_id: int, command: str, args: str = "", *, mention: bool = True) -> JSON:
        """``/cmd@BotName args`` by default, as Telegram clients send it in groups."""
        self._group(chat_id, None)
        return self._user_update(user_id, chat_id, self._command_content(command, args, mention=mention))

    def callback_query(
        self, user_id: int, chat_id: int, message_id: int, data: str, chat_type: str = "private"
    ) -> JSON:
        if chat_type != "private" and chat_id < 0:
            self._group(chat_id, None, kind=chat_type)
        message = self._messages.get((chat_id, message_id))
        if message is None:
            # The button's message is unknown to the fake: send what Telegram would for it.
            message = {
                "message_id": message_id,
                "from": self.bot_user,
                "chat": self._chat(chat_id),
                "date": int(time.time()),
            }
        self._counter += 1
        query: JSON = {
            "id": f"{self._counter}{user_id % 100000:05d}",
            "from": self._user(user_id),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((chat_id, self.bot_user["id"]))) % 10**18),
            "data": data,
        }
        return {"callback_query": query}

    # ---------------------------------------------------------------- internals: model

    def _user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            self.add_user(user_id)
        return copy.deepcopy(self._users[user_id])

    def _group(self, chat_id: int, title: str | None, kind: str | None = None) -> JSON:
        if chat_id not in self._groups or title:
            self.add_group(chat_id, title, kind=kind)
        return copy.deepcopy(self._groups[chat_id])

    def _chat(self, chat_id: int) -> JSON:
        if chat_id < 0:
            return self._group(chat_id, None)
        user = self._user(chat_id)
        chat: JSON = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        return chat

    def _resolve_chat(self, value: Any) -> int:
        key = _chat_key(value)
        if isinstance(key, int):
            return key
        if isinstance(key, str) and key.startswith("@"):
            name = key[1:].lower()
            for chat in (*self._users.values(), *self._groups.values()):
                if str(chat.get("username", "")).lower() == name:
                    return int(chat["id"])
        raise _ApiFailure(400, "Bad Request: chat not found")

    def _size_of(self, file_id: str) -> int:
        stored = self._files.get(file_id)
        return len(stored.data) if stored else 0

    def _file_obj(self, file_id: str, file_size: int | None) -> JSON:
        stored = self._files.get(file_id)
        unique = stored.file_unique_id if stored else "U" + hashlib.sha1(file_id.encode()).hexdigest()[:15]
        size = file_size if file_size is not None else self._size_of(file_id)
        return {"file_id": file_id, "file_unique_id": unique, "file_size": size}

    def _command_content(self, command: str, args: str, *, mention: bool) -> JSON:
        token = "/" + command.lstrip("/")
        if mention:
            token += f"@{self.bot_user['username']}"
        text = f"{token} {args}".rstrip()
        return {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": _utf16_len(token)}]}

    def _next_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _user_update(self, user_id: int, chat_id: int, content: JSON) -> JSON:
        # Pushed user messages share the per-chat message_id sequence with bot messages,
        # like in Telegram; they are stored on push_update (not here) so unpushed builds
        # don't appear in the chat.
        message = {
            "message_id": self._next_id(chat_id),
            "from": self._user(user_id),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        return {"message": message}

    def _new_bot_message(self, chat_id: int, content: JSON, params: dict[str, Any]) -> JSON:
        if chat_id in self._blocked:
            raise _ApiFailure(403, "Forbidden: bot was blocked by the user")
        message: JSON = {
            "message_id": self._next_id(chat_id),
            "from": copy.deepcopy(self.bot_user),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
        }
        reply_to = params.get("reply_to_message_id")
        reply_parameters = params.get("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = reply_parameters.get("message_id")
        if isinstance(reply_to, int) and (chat_id, reply_to) in self._messages:
            reply = copy.deepcopy(self._messages[(chat_id, reply_to)])
            reply.pop("reply_to_message", None)  # Telegram nests only one level
            message["reply_to_message"] = reply
        message.update(content)
        markup = _validate_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def _caption(self, params: dict[str, Any]) -> JSON:
        caption = params.get("caption")
        if caption is None:
            return {}
        plain = _render(str(caption), params.get("parse_mode"))
        if len(plain) > _MAX_CAPTION:
            raise _ApiFailure(400, "Bad Request: message caption is too long")
        _check_entities(plain, params.get("caption_entities"))
        return {"caption": plain} if plain else {}

    def _text(self, params: dict[str, Any]) -> str:
        plain = _render(str(params.get("text", "")), params.get("parse_mode"))
        if not plain.strip():
            raise _ApiFailure(400, "Bad Request: message text is empty")
        if len(plain) > _MAX_TEXT:
            raise _ApiFailure(400, "Bad Request: message is too long")
        _check_entities(plain, params.get("entities"))
        return plain

    def _resolve_input_file(self, value: Any, uploads: dict[str, _Upload], field_name: str) -> _StoredFile:
        """Turn an upload, ``attach://name``, file_id or URL into a stored file."""
        upload = uploads.get(field_name) if value is None else None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise _ApiFailure(400, f"Bad Request: file attach://{value[9:]} not found")
        if upload is not None:
            file_id = self.add_file(upload.data, file_name=upload.filename, mime_type=upload.content_type)
            self._files[file_id].uploaded_by_bot = True
            return self._files[file_id]
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id = self.add_file(value.encode(), file_name=value.rsplit("/", 1)[-1])
            return self._files[file_id]
        if value is None:
            raise _ApiFailure(400, f"Bad Request: there is no {field_name} in the request")
        raise _ApiFailure(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_content(self, kind: str, stored: _StoredFile) -> JSON:
        base: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if kind == "photo":
            size = _image_size(stored.data)
            # Only fresh uploads are checked: test fixtures often register placeholder bytes.
            if size is None and stored.uploaded_by_bot:
                raise _ApiFailure(400, "Bad Request: IMAGE_PROCESS_FAILED")
            width, height = size or (1280, 960)
            return {"photo": [{**base, "width": width, "height": height}]}
        if kind in {"document", "audio", "voice"}:
            if stored.file_name:
                base["file_name"] = stored.file_name
            mime = stored.mime_type or mimetypes.guess_type(stored.file_name or "")[0] or "application/octet-stream"
            base["mime_type"] = mime
            if kind != "document":
                base["duration"] = 1
            return {kind: base}
        if kind in {"video", "animation"}:
            return {kind: {**base, "width": 640, "height": 480, "duration": 1}}
        raise _ApiFailure(400, f"Bad Request: unsupported media type {kind!r}")

    def _stored_for_edit(self, params: dict[str, Any]) -> JSON | None:
        if params.get("inline_message_id") is not None:
            return None
        chat_id = self._resolve_chat(params.get("chat_id"))
        message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise _ApiFailure(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise _ApiFailure(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, changes: JSON, markup: JSON | None) -> JSON:
        """Apply ``changes`` (None values delete keys) plus the new markup, like Telegram:
        an edit without reply_markup removes the inline keyboard."""
        updated = {**message}
        for key, value in changes.items():
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        if markup is None:
            updated.pop("reply_markup", None)
        else:
            updated["reply_markup"] = markup
        if all(updated.get(k) == message.get(k) for k in (*changes, "reply_markup")):
            raise _ApiFailure(400, _NOT_MODIFIED)
        updated["edit_date"] = int(time.time())
        message.clear()
        message.update(updated)
        return copy.deepcopy(message)

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _member_obj(self, chat_id: int, user_id: int) -> JSON:
        status = self._members.get((chat_id, user_id))
        if status is None:
            # A user is trivially a member of their own private chat with the bot.
            status = "member" if chat_id == user_id else "left"
        member: JSON = {"status": status, "user": self._user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_FALSE, False) | dict.fromkeys(_ADMIN_TRUE, True))
        elif status == "restricted":
            member.update({"is_member": True, "until_date": 0, **dict.fromkeys(_RESTRICTED_FALSE, False)})
        elif status == "kicked":
            member["until_date"] = 0
        return member

    # ---------------------------------------------------------------- internals: HTTP

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params: dict[str, Any] = {k: _decode_param(k, v) for k, v in request.query.items()}
        uploads: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()  # handles urlencoded and multipart
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = _Upload(value.filename, value.content_type, value.file.read())
                    else:
                        params[key] = _decode_param(key, str(value))
        return params, uploads

    def _record(self, call: Call, *, failed: bool) -> None:
        (self.failed_calls if failed else self.calls).append(call)
        self._changed.notify_all()

    def _next_fault(self, method: str, chat_id: ChatId | None = None) -> Fault | None:
        key = method.lower()
        queue = self._faults.get(key)
        entry = next((e for e in queue or [] if e[2] is None or e[2] == chat_id), None)
        if queue and entry is not None:
            entry[1] -= 1
            if entry[1] <= 0:
                queue.remove(entry)
            fault: Fault = entry[0]
            return fault
        for rule_key in (key, None):
            rule = self._rates.get(rule_key)
            if rule is None or (rule_key is None and key in rule.exclude):
                continue
            if rule.rng.random() < rule.rate:
                return rule.rng.choice(rule.modes)
        return None

    async def _sleep(self, seconds: float) -> None:
        # Bounded, and cut short by stop() so a stuck fault never delays teardown.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), min(seconds, MAX_SLEEP_SECONDS))

    async def _apply_fault(
        self,
        request: web.Request,
        fault: Fault,
        failed: Call,
        proceed: Callable[[], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        match fault:
            case RetryAfter(seconds):
                response = _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
            case ServerError(status, description) | ApiError(status, description):
                response = _error(status, description)
            case SlowAnswer(seconds):
                answer = await proceed()  # recorded as done: Telegram did it
                await self._sleep(seconds)
                return answer
            case Timeout(seconds, deliver):
                self._record(failed, failed=True)
                await self._sleep(seconds)
                return await proceed() if deliver else _error(502, "Bad Gateway")
            case Drop(deliver):
                self._record(failed, failed=True)
                if deliver:
                    await proceed()
                if request.transport is not None:
                    request.transport.close()
                # Nothing reaches the client: the transport is already closed.
                return web.Response(status=499)
        self._record(failed, failed=True)
        return response

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        # A real token "<id>:<secret>" determines the bot id; keep PTB's bot.id and the
        # "from" of sent messages consistent with it.
        prefix = request.match_info["token"].split(":", 1)[0]
        if prefix.isdigit():
            self.bot_user["id"] = int(prefix)
        params, uploads = await self._read_params(request)
        raw_method = request.match_info["method"]
        name, handler = self._methods.get(raw_method.lower(), (raw_method, None))
        files = {k: u.data for k, u in uploads.items()}
        chat_id = _chat_key(params.get("chat_id"))

        def make_call(**extra: Any) -> Call:
            return Call(name, params, files, chat_id, time.monotonic(), **extra)

        if handler is None:
            description = "Not Found: method not found"
            self._record(make_call(error=description), failed=True)
            return _error(404, description)

        cost = message_count(name, params)

        async def proceed() -> web.StreamResponse:
            try:
                result = await handler(_Req(params, uploads, request))
            except _ApiFailure as exc:
                self._record(make_call(error=exc.description), failed=True)
                return _error(exc.status, exc.description, exc.parameters)
            self.flood.spend(chat_id, cost)
            self._record(make_call(), failed=False)
            return _ok(result)

        fault = self._next_fault(name, chat_id)
        if fault is None:
            retry_after = self.flood.check(chat_id, cost)
            if retry_after is not None:
                return self._too_many_requests(make_call(fault=RetryAfter(retry_after), error="flood limit"))
            return await proceed()
        return await self._apply_fault(request, fault, make_call(fault=fault, error=type(fault).__name__), proceed)

    def _too_many_requests(self, call: Call) -> web.Response:
        assert isinstance(call.fault, RetryAfter)
        seconds = call.fault.seconds
        self.throttled.append(call)
        self._record(call, failed=True)
        return _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["file_path"]

        async def proceed() -> web.StreamResponse:
            stored = self._files_by_path.get(path)
            if stored is None:
                return _error(404, "Not Found")
            return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

        fault = self._next_fault(DOWNLOAD)
        if fault is None:
            return await proceed()
        failed = Call(DOWNLOAD, {"file_path": path}, {}, None, time.monotonic(), fault, type(fault).__name__)
        return await self._apply_fault(request, fault, failed, proceed)

    # ---------------------------------------------------------------- Bot API methods

    async def _true(self, req: _Req) -> bool:
        return True

    async def _get_me(self, req: _Req) -> JSON:
        me = copy.deepcopy(self.bot_user)
        me.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return me

    async def _set_webhook(self, req: _Req) -> bool:
        self._webhook_url = str(req.params.get("url") or "")
        if req.params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _delete_webhook(self, req: _Req) -> bool:
        self._webhook_url = ""
        if req.params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _get_webhook_info(self, req: _Req) -> JSON:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            # Telegram: negative offset keeps only the last |offset| updates.
            self._updates = self._updates[offset:]
            return
        # Only drop updates the client has seen: a redelivered (re-pushed) update with an old id
        # must still reach the client once, even though its id is below the current offset.
        self._updates = [p for p in self._updates if not (p.delivered and p.update_id < offset)]

    async def _get_updates(self, req: _Req) -> list[JSON]:
        if self._webhook_url:
            raise _ApiFailure(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = req.params
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, min(float(params.get("timeout") or 0), self.max_poll_seconds))
        self._confirm(params.get("offset"))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(map(str, allowed)) if allowed else None
        # Updates of a type the bot did not ask for are never delivered (Telegram does not even keep them).
        self._updates = [p for p in self._updates if self._wanted(p.update)]
        # A newer getUpdates supersedes an older long-poll (e.g. one whose client was cancelled).
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = sorted(self._updates, key=lambda p: p.update_id)[:limit]
            if ready or self._closing.is_set() or generation != self._poll_generation:
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._changed.wait(remaining)
        transport = req.request.transport
        if generation != self._poll_generation or transport is None or transport.is_closing():
            return []  # nobody is listening; don't mark anything delivered
        for pending in ready:
            pending.delivered = True
        return [copy.deepcopy(p.update) for p in ready]

    def _wanted(self, update: JSON) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds & _NOT_BY_DEFAULT
        return bool(kinds & self._allowed_updates)

    async def _send_message(self, req: _Req) -> JSON:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        content: JSON = {"text": self._text(req.params)}
        return self._new_bot_message(chat_id, content, req.params)

    async def _send_media(self, req: _Req, kind: str) -> JSON:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        stored = self._resolve_input_file(req.params.get(kind), req.uploads, kind)
        content = {**self._media_content(kind, stored), **self._caption(req.params)}
        return self._new_bot_message(chat_id, content, req.params)

    async def _send_photo(self, req: _Req) -> JSON:
        return await self._send_media(req, "photo")

    async def _send_document(self, req: _Req) -> JSON:
        return await self._send_media(req, "document")

    async def _send_media_group(self, req: _Req) -> list[JSON]:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        media = req.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiFailure(400, "Bad Request: wrong number of media specified: must contain 2-10 items")
        kinds = {str(item.get("type")) for item in media if isinstance(item, dict)}
        for exclusive in ("document", "audio"):
            if exclusive in kinds and len(kinds) > 1:
                raise _ApiFailure(400, f"Bad Request: {exclusive} can't be mixed with other media types")
        # Resolve everything first so a bad item fails the whole album, like Telegram.
        contents: list[JSON] = []
        for index, item in enumerate(media):
            if not isinstance(item, dict) or item.get("type") not in _MEDIA_KINDS:
                raise _ApiFailure(400, f"Bad Request: can't parse InputMedia #{index + 1}")
            kind = str(item["type"])
            stored = self._resolve_input_file(item.get("media"), req.uploads, kind)
            contents.append({**self._media_content(kind, stored), **self._caption(item)})
        self._counter += 1
        group_id = f"{13_000_000_000_000_000 + self._counter}"
        return [
            self._new_bot_message(chat_id, {**content, "media_group_id": group_id}, req.params) for content in contents
        ]

    async def _edit_message_text(self, req: _Req) -> JSON | bool:
        text = self._text(req.params)
        message = self._stored_for_edit(req.params)
        markup = _validate_markup(req.params.get("reply_markup"))
        if message is None:
            return True
        if "text" not in message:
            raise _ApiFailure(400, "Bad Request: there is no text in the message to edit")
        return self._apply_edit(message, {"text": text}, markup)

    async def _edit_message_caption(self, req: _Req) -> JSON | bool:
        caption = self._caption(req.params).get("caption")
        message = self._stored_for_edit(req.params)
        markup = _validate_markup(req.params.get("reply_markup"))
        if message is None:
            return True
        if "text" in message:
            raise _ApiFailure(400, "Bad Request: there is no caption in the message to edit")
        return self._apply_edit(message, {"caption": caption}, markup)

    async def _edit_message_reply_markup(self, req: _Req) -> JSON | bool:
        message = self._stored_for_edit(req.params)
        markup = _validate_markup(req.params.get("reply_markup"))
        if message is None:
            return True
        return self._apply_edit(message, {}, markup)

    async def _delete_message(self, req: _Req) -> bool:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        if self._messages.pop((chat_id, int(req.params.get("message_id") or 0)), None) is None:
            raise _ApiFailure(400, "Bad Request: message to delete not found")
        return True

    async def _answer_callback_query(self, req: _Req) -> bool:
        if str(req.params.get("callback_query_id")) not in self._callback_ids:
            raise _ApiFailure(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = req.params.get("text")
        if isinstance(text, str) and _utf16_len(text) > 200:
            raise _ApiFailure(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _set_my_commands(self, req: _Req) -> bool:
        commands = req.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiFailure(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not command.get("description"):
                raise _ApiFailure(400, "Bad Request: BOT_COMMAND_INVALID")
        self._commands[self._commands_key(req.params.get("scope"), req.params.get("language_code"))] = commands
        return True

    async def _delete_my_commands(self, req: _Req) -> bool:
        self._commands.pop(self._commands_key(req.params.get("scope"), req.params.get("language_code")), None)
        return True

    async def _get_my_commands(self, req: _Req) -> list[JSON]:
        return self._commands.get(self._commands_key(req.params.get("scope"), req.params.get("language_code")), [])

    async def _get_file(self, req: _Req) -> JSON:
        stored = self._files.get(str(req.params.get("file_id")))
        if stored is None:
            raise _ApiFailure(400, "Bad Request: invalid file_id")
        if len(stored.data) > _MAX_DOWNLOAD:
            raise _ApiFailure(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _get_chat(self, req: _Req) -> JSON:
        chat = self._chat(self._resolve_chat(req.params.get("chat_id")))
        gifts = dict.fromkeys(_GIFT_TYPES, False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    async def _get_chat_member(self, req: _Req) -> JSON:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        user_id = req.params.get("user_id")
        if not isinstance(user_id, int):
            raise _ApiFailure(400, "Bad Request: invalid user_id specified")
        return self._member_obj(chat_id, user_id)

    async def _send_chat_action(self, req: _Req) -> bool:
        chat_id = self._resolve_chat(req.params.get("chat_id"))
        if chat_id in self._blocked:
            raise _ApiFailure(403, "Forbidden: bot was blocked by the user")
        return True

    def _source_message(self, params: dict[str, Any], what: str) -> JSON:
        source = self._messages.get(
            (self._resolve_chat(params.get("from_chat_id")), int(params.get("message_id") or 0))
        )
        if source is None:
            raise _ApiFailure(400, f"Bad Request: message to {what} not found")
        meta = {
            "message_id",
            "from",
            "chat",
            "date",
            "edit_date",
            "reply_to_message",
            "reply_markup",
            "forward_origin",
        }
        return {k: copy.deepcopy(v) for k, v in source.items() if k not in meta}

    async def _copy_message(self, req: _Req) -> JSON:
        content = self._source_message(req.params, "copy")
        if "caption" in req.params:
            content.pop("caption", None)
            content.update(self._caption(req.params))
        message = self._new_bot_message(self._resolve_chat(req.params.get("chat_id")), content, req.params)
        return {"message_id": message["message_id"]}

    async def _forward_message(self, req: _Req) -> JSON:
        source_key = (
            self._resolve_chat(req.params.get("from_chat_id")),
            int(req.params.get("message_id") or 0),
        )
        content = self._source_message(req.params, "forward")
        source = self._messages[source_key]
        content["forward_origin"] = {
            "type": "user",
            "sender_user": copy.deepcopy(source["from"]),
            "date": source["date"],
        }
        params = {k: v for k, v in req.params.items() if k != "reply_markup"}  # forwards carry no markup
        return self._new_bot_message(self._resolve_chat(req.params.get("chat_id")), content, params)

    # ---------------------------------------------------------------- control API

    # fmt: off
    _BUILDERS: frozenset[str] = frozenset(
        {"private_text", "private_command", "private_photo", "private_document", "private_sticker",
         "private_voice", "private_location", "private_contact", "callback_query", "group_text",
         "group_command"}
    )
    # fmt: on

    def _control_routes(self, app: web.Application) -> None:
        """JSON control API for driving the fake from another process (standalone mode).

        GET  /_control/health                         -> {"ok": true, "url", "base_url", "base_file_url"}
        POST /_control/update        body: update | [updates]  -> pushed updates (ids filled in)
        POST /_control/build/{kind}  body: builder kwargs      -> pushed update (e.g. private_text)
        POST /_control/file?file_id=&file_name=&mime_type=  body: raw bytes -> {"file_id"}
        GET  /_control/calls?method=&chat_id=&since=&failed=1  -> [Call.to_json()]
        GET  /_control/wait?method=&chat_id=&count=1&since=0&timeout=5  -> {"count"} or 408
        GET  /_control/message?chat_id=&message_id=           -> stored message or 404
        POST /_control/fail       {"method", "times", "mode": {"type": "retry_after", "seconds": 1}}
        POST /_control/fail_rate  {"method": null, "rate": 0.1, "modes": [...], "seed": 0}
        POST /_control/member     {"chat_id", "user_id", "status"}
        POST /_control/blocked    {"chat_id", "blocked": true}
        POST /_control/reset      clears recorded calls and faults
        GET  /_control/limits     -> {"too_many_requests": n, "limits": {...} | null}
        POST /_control/limits     {"group_per_minute": 20, ...} | null (null: no limits) -> the same
        """
        r = app.router
        r.add_get("/_control/health", self._c_health)
        r.add_post("/_control/update", self._c_update)
        r.add_post("/_control/build/{kind}", self._c_build)
        r.add_post("/_control/file", self._c_file)
        r.add_get("/_control/calls", self._c_calls)
        r.add_get("/_control/wait", self._c_wait)
        r.add_get("/_control/message", self._c_message)
        r.add_post("/_control/fail", self._c_fail)
        r.add_post("/_control/fail_rate", self._c_fail_rate)
        r.add_post("/_control/member", self._c_member)
        r.add_post("/_control/blocked", self._c_blocked)
        r.add_post("/_control/reset", self._c_reset)
        r.add_get("/_control/limits", self._c_limits)
        r.add_post("/_control/limits", self._c_set_limits)

    def _filtered_calls(self, query: Any) -> list[Call]:
        source = self.failed_calls if query.get("failed") in {"1", "true"} else self.calls
        since = int(query.get("since", 0))
        method = query.get("method")
        chat_id = _chat_key(query.get("chat_id"))
        return [
            c
            for c in source[since:]
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    async def _c_health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "url": self.url, "base_url": self.base_url, "base_file_url": self.base_file_url}
        )

    async def _c_update(self, request: web.Request) -> web.Response:
        body = await request.json()
        updates: Iterable[JSON] = body if isinstance(body, list) else [body]
        return web.json_response([self.push_update(u) for u in updates])

    async def _c_build(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in self._BUILDERS:
            return web.json_response({"ok": False, "description": f"unknown builder {kind}"}, status=404)
        kwargs = await request.json()
        try:
            update = getattr(self, kind)(**kwargs)
        except TypeError as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response(self.push_update(update))

    async def _c_file(self, request: web.Request) -> web.Response:
        q = request.query
        file_id = self.add_file(
            await request.read(), q.get("file_id"), file_name=q.get("file_name"), mime_type=q.get("mime_type")
        )
        return web.json_response({"file_id": file_id})

    async def _c_calls(self, request: web.Request) -> web.Response:
        return web.json_response([c.to_json() for c in self._filtered_calls(request.query)])

    async def _c_wait(self, request: web.Request) -> web.Response:
        count = int(request.query.get("count", 1))
        timeout = min(float(request.query.get("timeout", 5.0)), MAX_SLEEP_SECONDS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := len(self._filtered_calls(request.query))) < count:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return web.json_response({"ok": False, "count": found}, status=408)
            await self._changed.wait(remaining)
        return web.json_response({"ok": True, "count": found})

    async def _c_message(self, request: web.Request) -> web.Response:
        try:
            message = self.message(int(request.query["chat_id"]), int(request.query["message_id"]))
        except (KeyError, ValueError):
            return web.json_response({"ok": False}, status=404)
        return web.json_response(message)

    async def _c_fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail(
            str(body["method"]),
            int(body.get("times", 1)),
            fault_from_json(body.get("mode") or {"type": "server_error"}),
        )
        return web.json_response({"ok": True})

    async def _c_fail_rate(self, request: web.Request) -> web.Response:
        body = await request.json()
        modes = [fault_from_json(m) for m in body.get("modes", [])]
        exclude = body.get("exclude", DEFAULT_RATE_EXCLUDE)
        self.fail_rate(body.get("method"), float(body["rate"]), modes, body.get("seed", 0), exclude=exclude)
        return web.json_response({"ok": True})

    async def _c_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.set_member(int(body["chat_id"]), int(body["user_id"]), str(body.get("status", "member")))
        return web.json_response({"ok": True})

    async def _c_blocked(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.set_blocked(int(body["chat_id"]), bool(body.get("blocked", True)))
        return web.json_response({"ok": True})

    def _limits_json(self) -> JSON:
        limits = self.flood.limits
        return {"too_many_requests": self.too_many_requests, "limits": dataclasses.asdict(limits) if limits else None}

    async def _c_limits(self, request: web.Request) -> web.Response:
        return web.json_response(self._limits_json())

    async def _c_set_limits(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.flood.limits = Limits(**body) if isinstance(body, dict) else None
        self.flood.reset()
        return web.json_response(self._limits_json())

    async def _c_reset(self, request: web.Request) -> web.Response:
        self.reset_calls()
        self.clear_faults()
        return web.json_response({"ok": True})
