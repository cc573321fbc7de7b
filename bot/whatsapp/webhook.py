"""The WhatsApp webhook: Meta's verification challenge, and signed update POSTs answered at once.

pywa checks each POST's X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret, compared
in constant time) before anything is parsed: a missing signature is 401, a wrong one 403, and nothing is
stored or answered. A verified body is split into single updates (pywa reads one message per body; Meta
may batch several), acknowledged with 200, and handed to pywa in background tasks: one chain per sender,
so a reporter's messages are handled in the order they arrived. The work waiting is bounded; beyond it
the webhook answers 503 and Meta delivers again later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from pywa_async import WhatsApp

log = logging.getLogger(__name__)

PATH: Final = "/whatsapp"
SIGNATURE_HEADER: Final = "X-Hub-Signature-256"


def split_update(payload: object) -> list[tuple[str | None, bytes]]:
    """One body per message or status, each keyed by its sender (None: no order to keep).

    Raises ValueError for anything that is not a webhook notification.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValueError("not a webhook notification")
    pieces: list[tuple[str | None, bytes]] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            raise ValueError("malformed entry")
        for change in entry["changes"]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise ValueError("malformed change")
            for key, value in _single_values(_with_user_ids(change["value"])):
                single = {**payload, "entry": [{**entry, "changes": [{**change, "value": value}]}]}
                pieces.append((key, json.dumps(single, ensure_ascii=False).encode()))
    return pieces


def _single_values(value: dict[str, object]) -> list[tuple[str | None, dict[str, object]]]:
    messages, statuses = value.get("messages"), value.get("statuses")
    if isinstance(messages, list) and len(messages) > 1:
        contacts = value.get("contacts") if isinstance(value.get("contacts"), list) else []
        return [(_sender(m), {**value, "messages": [m], "contacts": _contacts_of(m, contacts)}) for m in messages]
    if isinstance(messages, list) and messages:
        return [(_sender(messages[0]), value)]
    if isinstance(statuses, list) and len(statuses) > 1:
        return [(None, {**value, "statuses": [s]}) for s in statuses]
    return [(None, value)]


def _with_user_ids(value: dict[str, object]) -> dict[str, object]:
    """Contacts in the older Cloud API shape, which has no `user_id` (BSUID), given an empty one.

    pywa 4.5 reads `contacts[0]["user_id"]` unconditionally and would raise KeyError, leaving the citizen
    unanswered; the sender's `wa_id` is what identifies them (bot/whatsapp/events.py `address_of`), and
    an empty BSUID tells pywa there is none.
    """
    contacts = value.get("contacts")
    if not isinstance(contacts, list) or all(not isinstance(c, dict) or "user_id" in c for c in contacts):
        return value
    return {
        **value,
        "contacts": [{**c, "user_id": ""} if isinstance(c, dict) and "user_id" not in c else c for c in contacts],
    }


def _sender(message: object) -> str | None:
    if isinstance(message, dict):
        sender = message.get("from") or message.get("from_user_id")
        return f"from:{sender}" if sender else None
    return None


def _contacts_of(message: object, contacts: object) -> object:
    """The contact entry of this message's sender (pywa takes the first one as the sender)."""
    if not isinstance(message, dict) or not isinstance(contacts, list):
        return contacts
    for contact in contacts:
        if isinstance(contact, dict) and message.get("from") in (contact.get("wa_id"), contact.get("user_id")):
            return [contact]
    return contacts


class OrderedTasks:
    """Background work: in arrival order for one key, concurrent across keys, bounded in number."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def has_room(self, count: int) -> bool:
        return len(self._running) + count <= self._limit

    def submit(self, key: str | None, work: Callable[[], Awaitable[object]]) -> None:
        previous = self._tails.get(key) if key is not None else None
        task = asyncio.create_task(self._run(previous, work))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        if key is not None:
            self._tails[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: str, done: asyncio.Task[None]) -> None:
        if self._tails.get(key) is done:
            del self._tails[key]

    @staticmethod
    async def _run(previous: asyncio.Task[None] | None, work: Callable[[], Awaitable[object]]) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its outcome is its own business; only the order matters
        try:
            await work()
        except Exception:
            log.exception("a WhatsApp update failed")

    async def drain(self, timeout: float) -> None:
        """Let the work in hand finish (at shutdown); cancel what is still running after `timeout`."""
        if not self._running:
            return
        _, late = await asyncio.wait(set(self._running), timeout=timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)  # not suppress(): drain() stays cancellable


class Webhook:
    """WhatsApp's door on the bot's HTTP server (bot/web/server.py): its routes, and the updates in hand."""

    def __init__(self, client: WhatsApp, *, max_pending: int = 1000) -> None:
        self._client = client
        self.tasks = OrderedTasks(max_pending)

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.verify), web.post(PATH, self.receive)]

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the updates in hand finish (the server has stopped accepting before)."""
        await self.tasks.drain(timeout)

    async def verify(self, request: web.Request) -> web.Response:
        """GET: Meta checks the URL with our verify token and expects its challenge echoed."""
        query = request.query
        if query.get("hub.mode") != "subscribe" or "hub.challenge" not in query:
            return web.Response(status=400, text="Bad Request")
        challenge, status = await self._client.webhook_challenge_handler(
            vt=query.get("hub.verify_token"),
            ch=query.get("hub.challenge"),
        )
        return web.Response(status=status, text=challenge or "")

    async def receive(self, request: web.Request) -> web.Response:
        """POST: verify the signature over the raw body, acknowledge, handle in the background."""
        body = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is not None and not signature.isascii():
            return web.Response(status=403, text="Forbidden")  # hmac.compare_digest takes ASCII only
        refused = await self._client.webhook_update_validator(body, signature)
        if refused is not None:
            text, status = refused
            return web.Response(status=status, text=text)
        try:
            pieces = split_update(json.loads(body))
        except (ValueError, UnicodeDecodeError):
            log.warning("a signed WhatsApp webhook body was not a notification (%d bytes)", len(body))
            return web.Response(status=400, text="Bad Request")
        if not self.tasks.has_room(len(pieces)):
            log.warning("WhatsApp updates are piling up; asking Meta to deliver again later")
            return web.Response(status=503, text="Busy")
        for key, piece in pieces:
            self.tasks.submit(key, self._handler_for(piece))
        return web.Response(text="ok")

    def _handler_for(self, piece: bytes) -> Callable[[], Awaitable[object]]:
        async def handle() -> None:
            await self._client.webhook_update_handler(piece)

        return handle
