"""The webhook's shared secret, compared in constant time by python-telegram-bot's own webhook server.

Telegram sends the `secret_token` given to setWebhook back in `X-Telegram-Bot-Api-Secret-Token`, and PTB's
server (`telegram/ext/_utils/webhookhandler.py`, 22.x) answers 403 to a request without it or with another
one — but it compares with `token != self.secret_token`, which stops at the first differing character and
so tells a patient attacker, by timing, how much of a guess was right. Python tries a right operand's
comparison first when its type is a subclass of the left operand's, so handing PTB a `str` subclass whose
`__eq__`/`__ne__` use `hmac.compare_digest` makes that very line constant-time, while setWebhook still sends
the plain characters. tests/telegram/test_telegram_webhook.py proves it against PTB's real server, so a PTB that
compared some other way would fail the suite rather than silently leak.
"""

from __future__ import annotations

import hmac


class WebhookSecret(str):
    """A `str` that compares equal to another string only in constant time."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        return hmac.compare_digest(self.encode(), other.encode())

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return "WebhookSecret('**********')"
