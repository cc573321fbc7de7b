"""The Mini App's sign-in: Telegram's `initData`, verified exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app

    data_check_string = every received field but `hash`, as `key=<value>`, sorted by key, joined by "\\n"
    secret_key        = HMAC_SHA256(key="WebAppData", msg=bot_token)
    valid             = hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash

and `auth_date` recent enough: the signature never expires, so an old initData copied from a shared
screen or a proxy log would otherwise sign in for ever.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from handlers.common.errors import LaporNetralError

WEB_APP_DATA: Final = b"WebAppData"
MAX_INIT_DATA: Final = 8192  # Telegram's are well under 2 KB; anything larger is not from a client
# Telegram sends about a dozen fields (query_id, user, receiver, chat, chat_type, chat_instance, start_param,
# can_send_after, auth_date, signature, hash); a few hundred short ones would still fit in MAX_INIT_DATA.
MAX_FIELDS: Final = 32
# What hexdigest() writes: anything else (upper case, a non-ASCII character, a short one) cannot be ours,
# and compare_digest raises TypeError on a str that is not ASCII — a 500 instead of a refusal.
HASH_PATTERN: Final = re.compile(r"[0-9a-f]{64}")
MAX_AGE_SECONDS: Final = 3600
CLOCK_SKEW_SECONDS: Final = 60
NAME_MAX: Final = 64


class InitDataError(LaporNetralError):
    """initData that does not sign anyone in; `reason` is a short word for the log, never the data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """Who signed in, as the signed `user` field names them."""

    id: int
    name: str
    language_code: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(WEB_APP_DATA, bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram would put beside `fields` (tests and the README's example sign with it)."""
    return hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("size")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InitDataError("syntax") from None
    if len(pairs) > MAX_FIELDS:
        raise InitDataError("size")
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:  # two values for one key: which one was signed is anybody's guess
            raise InitDataError("repeated")
        fields[key] = value
    return fields


def verify(init_data: str, bot_token: str, now: float, *, max_age: float = MAX_AGE_SECONDS) -> WebAppUser:
    """The signed-in user, or InitDataError: tampered, another bot's, stale, or without a user."""
    fields = _fields(init_data)
    received = fields.get("hash", "")
    if HASH_PATTERN.fullmatch(received) is None or not hmac.compare_digest(sign(fields, bot_token), received):
        raise InitDataError("signature")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InitDataError("auth_date") from None
    if auth_date > now + CLOCK_SKEW_SECONDS or now - auth_date > max_age:
        raise InitDataError("stale")
    try:
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InitDataError("user") from None
    if not isinstance(user, dict) or user_id <= 0 or user.get("is_bot"):
        raise InitDataError("user")
    first, last = str(user.get("first_name") or ""), str(user.get("last_name") or "")
    name = " ".join(part for part in (first.strip(), last.strip()) if part)
    if not name and user.get("username"):
        name = f"@{user['username']}"
    language = user.get("language_code")
    return WebAppUser(user_id, (name or str(user_id))[:NAME_MAX], str(language) if language else None)
