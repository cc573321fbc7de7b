"""Logging set up so that no secret and no personal data reaches a log line, whichever library writes it.

Two layers. Libraries that print payloads at DEBUG (whole updates, request parameters, EXIF tag values)
are held at a floor however low `LOG_LEVEL` goes: that is what keeps names, phone numbers and report text
out, since no filter can recognise a name. Then every record that reaches the handler is filtered: known
secrets are replaced, and so is any run of eight or more digits (phone numbers, Telegram chat and user
ids), in the message and in the traceback alike; dicts and lists passed as arguments (payloads) are
withheld, should a line slip past the floors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Final

# The floor of each library's loggers (children included), whatever LOG_LEVEL says.
LIBRARY_FLOORS: Final[dict[str, int]] = {
    # HTTP clients log request URLs (httpx at INFO), and Telegram's URLs contain the bot token.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.client": logging.WARNING,
    # aiosqlite logs every statement with its parameters at DEBUG: addresses, contacts, descriptions.
    "aiosqlite": logging.WARNING,
    # Its DEBUG lines name jobs with their arguments.
    "apscheduler": logging.WARNING,
    # At DEBUG, PTB logs every update and every request's parameters (names, chat ids, texts), and its
    # API URL with the token in it; pywa logs every webhook body and Graph API call (phone numbers,
    # profile names, message text).
    "telegram": logging.INFO,
    "pywa": logging.INFO,
    "pywa_async": logging.INFO,
    # PTB's webhook server; aiohttp's servers (access lines carry query strings).
    "tornado": logging.INFO,
    "aiohttp": logging.INFO,
    # Pillow's TIFF/EXIF reader logs tag values at DEBUG: the camera owner's name, serial numbers.
    "PIL": logging.INFO,
    "matplotlib": logging.WARNING,
}
# Phone numbers (+62 8xx…, 10-15 digits) and Telegram ids (9-10 digits, groups -100…): counts, sizes, years
# and report ids are shorter.
_LONG_NUMBER: Final = re.compile(r"\+?\d{8,}")


def _withheld(value: object) -> object:
    return f"<{type(value).__name__} withheld>" if isinstance(value, Mapping | list) else value


class RedactSecrets(logging.Filter):
    """Replace known secrets and long numbers anywhere in a record, tracebacks included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Longest first: a secret that contains another is replaced whole.
        self._secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return _LONG_NUMBER.sub("[number]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        # A dict or list handed to a log call is a payload (PTB logs an update it could not parse, at
        # CRITICAL, as a dict): its names and texts are withheld, whatever the level.
        if isinstance(record.args, Mapping) and "%(" not in str(record.msg):
            record.args = (_withheld(record.args),)  # logging unpacks a lone dict argument into args
        elif isinstance(record.args, tuple):
            record.args = tuple(_withheld(a) for a in record.args)
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._clean(message), None
        record.exc_text = self._clean(record.exc_text) if record.exc_text else None
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
