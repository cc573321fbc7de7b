"""Users, groups and members; chat lookups, commands menus and callback answers."""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any

from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.state import _Req, _State
from tests.fakes.bot_api.validation import (
    _ADMIN_FALSE,
    _ADMIN_TRUE,
    _GIFT_TYPES,
    _RESTRICTED_FALSE,
    _ApiFailure,
    _chat_key,
    _utf16_len,
)


class Chats(_State):
    """Users, groups and their members; chat lookups, command menus, callback answers."""

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

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))
