"""Logging set up so that no secret and no personal data reaches a log line."""

from __future__ import annotations

import logging
import sys


class RedactSecrets(logging.Filter):
    """Replace known secrets anywhere in a record, tracebacks included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = message
        exc_text = record.exc_text or ""
        for secret in self._secrets:
            redacted = redacted.replace(secret, "[REDACTED]")
            exc_text = exc_text.replace(secret, "[REDACTED]")
        record.msg, record.args = redacted, None
        record.exc_text = exc_text or None
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # HTTP clients log request URLs (httpx at INFO), and Telegram's URLs contain the bot token.
    for noisy in ("httpx", "httpcore", "aiohttp.client", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, PTB logs every update and every request's parameters (names, chat ids, texts), and its
    # API URL with the token in it: even LOG_LEVEL=DEBUG keeps it at INFO.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
