"""What users do, as Telegram delivers it: pushed updates, getUpdates' long poll and offsets, webhooks, getMe."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from tests.fakes.bot_api.calls import _Pending
from tests.fakes.bot_api.faults import JSON
from tests.fakes.bot_api.state import _NOT_BY_DEFAULT, _Req, _State
from tests.fakes.bot_api.validation import _ApiFailure


class Updates(_State):
    """The updates queue: pushes, getUpdates' long poll and offsets, webhooks, getMe."""

    def push_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates and return it (with ``update_id`` filled in).

        Pushing an update whose ``update_id`` was already confirmed delivers it once more,
        which simulates Telegram redelivering after a lost confirmation.
        """
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._updates.append(_Pending(update))
        message = update.get("message") or update.get("edited_message")
        if isinstance(message, dict) and "chat" in message:
            self._messages[(int(message["chat"]["id"]), int(message["message_id"]))] = copy.deepcopy(message)
        query = update.get("callback_query")
        if isinstance(query, dict):
            self._callback_ids.add(str(query["id"]))
        self._changed.notify_all()
        return copy.deepcopy(update)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return [p.update for p in self._updates]

    async def _true(self, req: _Req) -> bool:
        return True

    async def _get_me(self, req: _Req) -> JSON:
        me = copy.deepcopy(self.bot_user)
        me.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return me

    async def _set_webhook(self, req: _Req) -> bool:
        self._webhook_url = str(req.params.get("url") or "")
        if req.params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _delete_webhook(self, req: _Req) -> bool:
        self._webhook_url = ""
        if req.params.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _get_webhook_info(self, req: _Req) -> JSON:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            # Telegram: negative offset keeps only the last |offset| updates.
            self._updates = self._updates[offset:]
            return
        # Only drop updates the client has seen: a redelivered (re-pushed) update with an old id
        # must still reach the client once, even though its id is below the current offset.
        self._updates = [p for p in self._updates if not (p.delivered and p.update_id < offset)]

    async def _get_updates(self, req: _Req) -> list[JSON]:
        if self._webhook_url:
            raise _ApiFailure(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = req.params
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, min(float(params.get("timeout") or 0), self.max_poll_seconds))
        self._confirm(params.get("offset"))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(map(str, allowed)) if allowed else None
        # Updates of a type the bot did not ask for are never delivered (Telegram does not even keep them).
        self._updates = [p for p in self._updates if self._wanted(p.update)]
        # A newer getUpdates supersedes an older long-poll (e.g. one whose client was cancelled).
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = sorted(self._updates, key=lambda p: p.update_id)[:limit]
            if ready or self._closing.is_set() or generation != self._poll_generation:
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._changed.wait(remaining)
        transport = req.request.transport
        if generation != self._poll_generation or transport is None or transport.is_closing():
            return []  # nobody is listening; don't mark anything delivered
        for pending in ready:
            pending.delivered = True
        return [copy.deepcopy(p.update) for p in ready]

    def _wanted(self, update: JSON) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds & _NOT_BY_DEFAULT
        return bool(kinds & self._allowed_updates)
