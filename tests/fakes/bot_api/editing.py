"""Bot API methods that change or delete a message the bot sent; Telegram's refusals of an edit."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.state import _Req, _State
from tests.fakes.bot_api.validation import (
    _NOT_MODIFIED,
    _ApiFailure,
    _validate_markup,
)


class Editing(_State):
    """Edits and deletions of stored messages."""

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
