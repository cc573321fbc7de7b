"""The JSON control API for driving the fake from another process (standalone mode)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from tests.fakes.bot_api.calls import Call
from tests.fakes.bot_api.faults import (
    JSON,
    MAX_SLEEP_SECONDS,
    fault_from_json,
)
from tests.fakes.bot_api.limits import Limits
from tests.fakes.bot_api.rates import DEFAULT_RATE_EXCLUDE
from tests.fakes.bot_api.state import _State
from tests.fakes.bot_api.validation import _chat_key


class Control(_State):
    """The JSON control API (standalone mode)."""

    # fmt: off
    _BUILDERS: frozenset[str] = frozenset(
        {"private_text", "private_command", "private_photo", "private_document", "private_sticker",
         "private_voice", "private_location", "private_contact", "callback_query", "group_text",
         "group_command"}
    )
    # fmt: on

    def _control_routes(self, app: web.Application) -> None:
        """JSON control API for driving the fake from another process (standalone mode).

        GET  /_control/health                         -> {"ok": true, "url", "base_url", "base_file_url"}
        POST /_control/update        body: update | [updates]  -> pushed updates (ids filled in)
        POST /_control/build/{kind}  body: builder kwargs      -> pushed update (e.g. private_text)
        POST /_control/file?file_id=&file_name=&mime_type=  body: raw bytes -> {"file_id"}
        GET  /_control/calls?method=&chat_id=&since=&failed=1  -> [Call.to_json()]
        GET  /_control/wait?method=&chat_id=&count=1&since=0&timeout=5  -> {"count"} or 408
        GET  /_control/message?chat_id=&message_id=           -> stored message or 404
        POST /_control/fail       {"method", "times", "mode": {"type": "retry_after", "seconds": 1}}
        POST /_control/fail_rate  {"method": null, "rate": 0.1, "modes": [...], "seed": 0}
        POST /_control/member     {"chat_id", "user_id", "status"}
        POST /_control/blocked    {"chat_id", "blocked": true}
        POST /_control/reset      clears recorded calls and faults
        GET  /_control/limits     -> {"too_many_requests": n, "limits": {...} | null}
        POST /_control/limits     {"group_per_minute": 20, ...} | null (null: no limits) -> the same
        """
        r = app.router
        r.add_get("/_control/health", self._c_health)
        r.add_post("/_control/update", self._c_update)
        r.add_post("/_control/build/{kind}", self._c_build)
        r.add_post("/_control/file", self._c_file)
        r.add_get("/_control/calls", self._c_calls)
        r.add_get("/_control/wait", self._c_wait)
        r.add_get("/_control/message", self._c_message)
        r.add_post("/_control/fail", self._c_fail)
        r.add_post("/_control/fail_rate", self._c_fail_rate)
        r.add_post("/_control/member", self._c_member)
        r.add_post("/_control/blocked", self._c_blocked)
        r.add_post("/_control/reset", self._c_reset)
        r.add_get("/_control/limits", self._c_limits)
        r.add_post("/_control/limits", self._c_set_limits)

    def _filtered_calls(self, query: Any) -> list[Call]:
        source = self.failed_calls if query.get("failed") in {"1", "true"} else self.calls
        since = int(query.get("since", 0))
        method = query.get("method")
        chat_id = _chat_key(query.get("chat_id"))
        return [
            c
            for c in source[since:]
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    async def _c_health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "url": self.url, "base_url": self.base_url, "base_file_url": self.base_file_url}
        )

    async def _c_update(self, request: web.Request) -> web.Response:
        body = await request.json()
        updates: Iterable[JSON] = body if isinstance(body, list) else [body]
        return web.json_response([self.push_update(u) for u in updates])

    async def _c_build(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in self._BUILDERS:
            return web.json_response({"ok": False, "description": f"unknown builder {kind}"}, status=404)
        kwargs = await request.json()
        try:
            update = getattr(self, kind)(**kwargs)
        except TypeError as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response(self.push_update(update))

    async def _c_file(self, request: web.Request) -> web.Response:
        q = request.query
        file_id = self.add_file(
            await request.read(), q.get("file_id"), file_name=q.get("file_name"), mime_type=q.get("mime_type")
        )
        return web.json_response({"file_id": file_id})

    async def _c_calls(self, request: web.Request) -> web.Response:
        return web.json_response([c.to_json() for c in self._filtered_calls(request.query)])

    async def _c_wait(self, request: web.Request) -> web.Response:
        count = int(request.query.get("count", 1))
        timeout = min(float(request.query.get("timeout", 5.0)), MAX_SLEEP_SECONDS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := len(self._filtered_calls(request.query))) < count:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return web.json_response({"ok": False, "count": found}, status=408)
            await self._changed.wait(remaining)
        return web.json_response({"ok": True, "count": found})

    async def _c_message(self, request: web.Request) -> web.Response:
        try:
            message = self.message(int(request.query["chat_id"]), int(request.query["message_id"]))
        except (KeyError, ValueError):
            return web.json_response({"ok": False}, status=404)
        return web.json_response(message)

    async def _c_fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail(
            str(body["method"]),
            int(body.get("times", 1)),
            fault_from_json(body.get("mode") or {"type": "server_error"}),
        )
        return web.json_response({"ok": True})

    async def _c_fail_rate(self, request: web.Request) -> web.Response:
        body = await request.json()
        modes = [fault_from_json(m) for m in body.get("modes", [])]
        exclude = body.get("exclude", DEFAULT_RATE_EXCLUDE)
        self.fail_rate(body.get("method"), float(body["rate"]), modes, body.get("seed", 0), exclude=exclude)
        return web.json_response({"ok": True})

    async def _c_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.set_member(int(body["chat_id"]), int(body["user_id"]), str(body.get("status", "member")))
        return web.json_response({"ok": True})

    async def _c_blocked(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.set_blocked(int(body["chat_id"]), bool(body.get("blocked", True)))
        return web.json_response({"ok": True})

    def _limits_json(self) -> JSON:
        limits = self.flood.limits
        return {"too_many_requests": self.too_many_requests, "limits": dataclasses.asdict(limits) if limits else None}

    async def _c_limits(self, request: web.Request) -> web.Response:
        return web.json_response(self._limits_json())

    async def _c_set_limits(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.flood.limits = Limits(**body) if isinstance(body, dict) else None
        self.flood.reset()
        return web.json_response(self._limits_json())

    async def _c_reset(self, request: web.Request) -> web.Response:
        self.reset_calls()
        self.clear_faults()
        return web.json_response({"ok": True})
