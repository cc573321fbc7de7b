"""Notices to a reporter as outbox payloads: a locale key and values, rendered at send time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import aiosqlite

from handlers.common.events import Button, Reply
from locales import t
from storage.outbox import enqueue_in

NOTIFY_KIND: Final = "notify_reporter"


async def enqueue_notice_in(
    conn: aiosqlite.Connection, reporter_id: int, key: str, values: Mapping[str, object], *,
    dedupe_key: str, buttons: tuple[tuple[str, str], ...] = (), extra: Mapping[str, object] | None = None,
) -> None:
    """Owe the reporter a notice, inside the caller's transaction.

    A value given as {"key": "..."} is itself translated in the reporter's language (a rejection
    reason, a state name); `buttons` are (label key, data) pairs.
    """
    payload: dict[str, object] = {
        "reporter_id": reporter_id, "key": key, "values": dict(values),
        "buttons": [list(b) for b in buttons], **(extra or {}),
    }
    await enqueue_in(conn, NOTIFY_KIND, dedupe_key, payload)


def render_notice(payload: Mapping[str, object], locale: str) -> Reply:
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
    return Reply(t(locale, str(payload["key"]), **values), buttons, extra=extra)
