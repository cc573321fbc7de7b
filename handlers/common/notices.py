"""Notices to a reporter as outbox payloads (built by handlers/common/owed.py): a locale key and values,
rendered at send time in the reporter's language."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.common.events import Button, Reply, command_text
from locales import DEFAULT_LOCALE, catalog, t


def render_notice(payload: Mapping[str, object], locale: str, *, typed: bool = False) -> Reply:
    """The notice in `locale`; `typed` for a channel whose users type commands as words (its `_typed` text,
    where the notice names a command)."""
    raw = payload.get("values")
    values: dict[str, object] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, dict) and "key" in value:
                values[name] = t(locale, str(value["key"]))
            else:
                values[name] = value
    buttons_raw = payload.get("buttons")
    buttons = tuple(
        (Button(t(locale, str(label)), str(data)),)
        for label, data in (buttons_raw if isinstance(buttons_raw, list) else [])
    )
    # The ticket code apart from the text, for channels that must send it as a field (WhatsApp templates).
    extra = {"code": str(values["code"])} if "code" in values else {}
    key = str(payload["key"])
    if typed and command_text(key, typed=True) in catalog(DEFAULT_LOCALE):
        key = command_text(key, typed=True)
    return Reply(t(locale, key, **values), buttons, extra=extra)
