"""Short-lived Mini App sessions: a signed token naming the user and its expiry, nothing stored.

The token travels two ways: as an HttpOnly, SameSite=Strict cookie (Secure behind the HTTPS proxy) for
Telegram's own webviews, and as a bearer header the page's script sends, because Telegram Web opens a
Mini App in a cross-site iframe where browsers withhold such cookies. Neither is a licence on its own:
every request asks again (through a brief cache) whether the user still belongs to a group.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Final

SESSION_SECONDS: Final = 30 * 60
COOKIE: Final = "ln_session"
_CONTEXT: Final = b"lapor-netral miniapp session v1"


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    name: str
    locale: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and reads tokens signed with a key derived from the bot token (a new token, new sessions)."""

    def __init__(self, bot_token: str, *, ttl: int = SESSION_SECONDS) -> None:
        self._key = hmac.new(bot_token.encode(), _CONTEXT, hashlib.sha256).digest()
        self.ttl = ttl

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, user_id: int, name: str, locale: str, now: float) -> tuple[str, Session]:
        session = Session(user_id, name, locale, int(now) + self.ttl)
        body = _b64(
            json.dumps(
                {"u": user_id, "n": name, "l": locale, "e": session.expires}, ensure_ascii=False, separators=(",", ":")
            ).encode()
        )
        return f"{body}.{self._mac(body)}", session

    def read(self, token: str | None, now: float) -> Session | None:
        """The session a token carries, or None: absent, forged, malformed or expired."""
        if not token or len(token) > 2048 or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        if not hmac.compare_digest(self._mac(body), mac):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(int(data["u"]), str(data["n"]), str(data["l"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None
