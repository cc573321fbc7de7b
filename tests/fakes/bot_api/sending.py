"""Bot API methods that put a message in a chat: text, photos, documents, albums, copies and forwards."""

from __future__ import annotations

import copy
import mimetypes
import time
from typing import Any

from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.files import _image_size, _StoredFile, _Upload
from tests.fakes.bot_api.state import _Req, _State
from tests.fakes.bot_api.validation import (
    _MAX_CAPTION,
    _MAX_TEXT,
    _MAX_UPLOAD,
    _MEDIA_KINDS,
    _ApiFailure,
    _check_entities,
    _render,
    _validate_markup,
)


class Sending(_State):
    """Sends: text, media, albums, copies and forwards, as Telegram checks and stores them."""

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
            if not upload.data:
                raise _ApiFailure(400, "Bad Request: file must be non-empty")
            if len(upload.data) > _MAX_UPLOAD:
                raise _ApiFailure(413, "Request Entity Too Large")
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
