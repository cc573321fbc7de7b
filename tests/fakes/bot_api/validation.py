"""Param decoding and the checks real Telegram makes: HTML entities, lengths, markup, limits.

Lengths of a text or caption count code points; entity offsets count UTF-16 units, as Telegram does."""

from __future__ import annotations

import contextlib
import html
import json
import re
from typing import Any

from tests.fakes.bot_api.faults import JSON, ChatId


class _ApiFailure(Exception):
    """Raised by method handlers to answer with a Telegram error."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


# --------------------------------------------------------------------------------------------
# Param decoding / validation helpers
# --------------------------------------------------------------------------------------------

# fmt: off
# Sent by PTB as raw strings (never JSON-encoded); decoding "123" or "true" would change them.
_TEXT_PARAMS: frozenset[str] = frozenset(
    {
        "text", "caption", "parse_mode", "url", "title", "description", "short_description",
        "name", "action", "emoji", "language_code", "secret_token", "ip_address", "file_id",
        "callback_query_id", "inline_message_id", "business_connection_id", "message_effect_id",
        "phone_number", "first_name", "last_name", "vcard", "address", "question", "explanation",
        "query", "photo", "document", "video", "audio", "voice", "sticker", "animation",
        "video_note", "thumbnail", "payload", "currency", "start_parameter", "error_message",
    }
)
# fmt: on

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64
_MAX_DOWNLOAD = 20 * 1024 * 1024
_MAX_UPLOAD = 50 * 1000 * 1000  # a bot uploads files of up to 50 MB
_PARSE_ERROR = "Bad Request: can't parse entities"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
# fmt: off
_HTML_TAGS: frozenset[str] = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "code", "pre", "blockquote", "tg-emoji", "tg-time"}
)
# Flags PTB requires to build ChatMemberAdministrator / ChatMemberRestricted.
_ADMIN_FALSE = ("can_be_edited", "is_anonymous", "can_post_stories", "can_edit_stories",
                "can_delete_stories", "can_promote_members")
_ADMIN_TRUE = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
               "can_restrict_members", "can_change_info", "can_invite_users")
_RESTRICTED_FALSE = ("can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
                     "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                     "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
                     "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                     "can_react_to_messages")
_GIFT_TYPES = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
               "gifts_from_channels")
# fmt: on
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_MEDIA_KINDS = ("photo", "video", "animation", "audio", "document", "voice", "sticker")


def _decode_param(key: str, value: str) -> Any:
    if key in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_key(value: Any) -> ChatId | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    with contextlib.suppress(ValueError):
        return int(text)
    return text


def _utf16_len(text: str) -> int:
    # Entity offsets and lengths are in UTF-16 code units (an astral emoji counts two); the 4096/1024
    # limits of a text or caption are not: those count code points (a live test accepted 4096 emoji).
    return len(text.encode("utf-16-le")) // 2


def _check_entities(plain: str, entities: Any) -> None:
    """Explicit entities must lie within the text, counted in UTF-16 units as Telegram counts them."""
    if entities is None:
        return
    if not isinstance(entities, list):
        raise _ApiFailure(400, "Bad Request: can't parse entities: entities must be an array")
    size = _utf16_len(plain)
    for entity in entities:
        offset = entity.get("offset") if isinstance(entity, dict) else None
        length = entity.get("length") if isinstance(entity, dict) else None
        if (
            not isinstance(offset, int)
            or not isinstance(length, int)
            or offset < 0
            or length <= 0
            or offset + length > size
        ):
            raise _ApiFailure(400, f"{_PARSE_ERROR}: entity {entity!r} is outside the text")


def _render_html(text: str) -> str:
    """Validate Telegram-HTML like the real API and return the plain text it would store."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while (lt := text.find("<", pos)) >= 0:
        out.append(text[pos:lt])
        offset = len(text[:lt].encode())
        match = _TAG_RE.match(text, lt)
        if match is None:
            raise _ApiFailure(400, f'{_PARSE_ERROR}: Unsupported start tag "" at byte offset {offset}')
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise _ApiFailure(
                400,
                f'{_PARSE_ERROR}: Unsupported {kind} tag "{name}" at byte offset {offset}',
            )
        if not closing:
            stack.append(name)
        elif not stack or stack[-1] != name:
            expected = f'"</{stack[-1]}>"' if stack else "nothing"
            raise _ApiFailure(
                400,
                f'{_PARSE_ERROR}: Unmatched end tag at byte offset {offset}, expected {expected}, found "</{name}>"',
            )
        else:
            stack.pop()
        pos = match.end()
    out.append(text[pos:])
    if stack:
        raise _ApiFailure(
            400,
            f'{_PARSE_ERROR}: Can\'t find end tag corresponding to start tag "{stack[-1]}"',
        )
    return html.unescape("".join(out))


def _render(text: str, parse_mode: Any) -> str:
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        return _render_html(text)
    return text


def _validate_markup(markup: Any) -> JSON | None:
    """Return the inline keyboard to store on the message (only inline ones are part of a
    Telegram ``Message``), rejecting what Telegram rejects."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise _ApiFailure(
            400, 'Bad Request: can\'t parse inline keyboard button: field "inline_keyboard" must be an Array'
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _ApiFailure(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= _MAX_CALLBACK_DATA:
                raise _ApiFailure(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
