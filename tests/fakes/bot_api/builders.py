"""Scenario builders: the updates a private chat, a group or a button press produces."""

from __future__ import annotations

import copy
import hashlib
import time

from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.files import _image_size
from tests.fakes.bot_api.state import _State
from tests.fakes.bot_api.validation import _utf16_len


class Builders(_State):
    """The updates a user's action produces, for a test to push."""

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
