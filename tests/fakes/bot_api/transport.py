"""The HTTP side: reading a request, faults injected by a test, Telegram's flood limits, recording."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from aiohttp import web

from tests.fakes.bot_api.calls import Call
from tests.fakes.bot_api.faults import (
    MAX_SLEEP_SECONDS,
    ApiError,
    ChatId,
    Drop,
    Fault,
    RetryAfter,
    ServerError,
    SlowAnswer,
    Timeout,
)
from tests.fakes.bot_api.files import _Upload
from tests.fakes.bot_api.limits import message_count
from tests.fakes.bot_api.rates import DEFAULT_RATE_EXCLUDE, _RateRule
from tests.fakes.bot_api.state import _error, _ok, _Req, _State
from tests.fakes.bot_api.validation import (
    _ApiFailure,
    _chat_key,
    _decode_param,
)


class Transport(_State):
    """Requests in, answers out: parameters, injected faults, flood limits, the record of calls."""

    def fail(self, method: str, times: int = 1, mode: Fault | None = None, *, chat_id: ChatId | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with ``mode`` (default ``ServerError()``).

        ``method`` is the Bot API name (``"sendMessage"``) or ``DOWNLOAD`` for file downloads.
        Queued faults for the same method are consumed in order; with ``chat_id`` only calls to
        that chat are failed (the group, not the citizen's replies).
        """
        if times > 0:
            target = _chat_key(chat_id) if chat_id is not None else None
            self._faults.setdefault(method.lower(), []).append([mode or ServerError(), times, target])

    def fail_rate(
        self,
        method: str | None,
        rate: float,
        modes: Sequence[Fault],
        seed: int | None = 0,
        *,
        exclude: Collection[str] = DEFAULT_RATE_EXCLUDE,
    ) -> None:
        """Fail a fraction ``rate`` of calls (``method=None``: every method not in ``exclude``),
        picking a mode uniformly; seeded so runs are reproducible. ``rate=0`` removes the rule."""
        key = method.lower() if method else None
        if rate <= 0 or not modes:
            self._rates.pop(key, None)
            return
        self._rates[key] = _RateRule(
            rate=rate,
            modes=list(modes),
            rng=random.Random(seed),
            exclude=frozenset(m.lower() for m in exclude),
        )

    def clear_faults(self) -> None:
        self._faults.clear()
        self._rates.clear()

    def reset_calls(self) -> None:
        self.calls.clear()
        self.failed_calls.clear()
        self.throttled.clear()

    @property
    def too_many_requests(self) -> int:
        """How many calls the flood limits answered with 429 (injected ``RetryAfter`` faults not included)."""
        return len(self.throttled)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params: dict[str, Any] = {k: _decode_param(k, v) for k, v in request.query.items()}
        uploads: dict[str, _Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()  # handles urlencoded and multipart
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = _Upload(value.filename, value.content_type, value.file.read())
                    else:
                        params[key] = _decode_param(key, str(value))
        return params, uploads

    def _record(self, call: Call, *, failed: bool) -> None:
        (self.failed_calls if failed else self.calls).append(call)
        self._changed.notify_all()

    def _next_fault(self, method: str, chat_id: ChatId | None = None) -> Fault | None:
        key = method.lower()
        queue = self._faults.get(key)
        entry = next((e for e in queue or [] if e[2] is None or e[2] == chat_id), None)
        if queue and entry is not None:
            entry[1] -= 1
            if entry[1] <= 0:
                queue.remove(entry)
            fault: Fault = entry[0]
            return fault
        for rule_key in (key, None):
            rule = self._rates.get(rule_key)
            if rule is None or (rule_key is None and key in rule.exclude):
                continue
            if rule.rng.random() < rule.rate:
                return rule.rng.choice(rule.modes)
        return None

    async def _sleep(self, seconds: float) -> None:
        # Bounded, and cut short by stop() so a stuck fault never delays teardown.
        # asyncio.timeout, not 3.11's wait_for, which can drop a cancellation that lands with the wake-up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(seconds, MAX_SLEEP_SECONDS)):
                await self._closing.wait()

    async def _apply_fault(
        self,
        request: web.Request,
        fault: Fault,
        failed: Call,
        proceed: Callable[[], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        match fault:
            case RetryAfter(seconds):
                response = _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
            case ServerError(status, description) | ApiError(status, description):
                response = _error(status, description)
            case SlowAnswer(seconds):
                answer = await proceed()  # recorded as done: Telegram did it
                await self._sleep(seconds)
                return answer
            case Timeout(seconds, deliver):
                self._record(failed, failed=True)
                await self._sleep(seconds)
                return await proceed() if deliver else _error(502, "Bad Gateway")
            case Drop(deliver):
                self._record(failed, failed=True)
                if deliver:
                    await proceed()
                if request.transport is not None:
                    request.transport.close()
                # Nothing reaches the client: the transport is already closed.
                return web.Response(status=499)
        self._record(failed, failed=True)
        return response

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.token is not None and request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        # A real token "<id>:<secret>" determines the bot id; keep PTB's bot.id and the
        # "from" of sent messages consistent with it.
        prefix = request.match_info["token"].split(":", 1)[0]
        if prefix.isdigit():
            self.bot_user["id"] = int(prefix)
        params, uploads = await self._read_params(request)
        raw_method = request.match_info["method"]
        name, handler = self._methods.get(raw_method.lower(), (raw_method, None))
        files = {k: u.data for k, u in uploads.items()}
        chat_id = _chat_key(params.get("chat_id"))

        def make_call(**extra: Any) -> Call:
            return Call(name, params, files, chat_id, time.monotonic(), **extra)

        if handler is None:
            description = "Not Found: method not found"
            self._record(make_call(error=description), failed=True)
            return _error(404, description)

        cost = message_count(name, params)

        async def proceed() -> web.StreamResponse:
            try:
                result = await handler(_Req(params, uploads, request))
            except _ApiFailure as exc:
                self._record(make_call(error=exc.description), failed=True)
                return _error(exc.status, exc.description, exc.parameters)
            self.flood.spend(chat_id, cost)
            self._record(make_call(), failed=False)
            return _ok(result)

        fault = self._next_fault(name, chat_id)
        if fault is None:
            retry_after = self.flood.check(chat_id, cost)
            if retry_after is not None:
                return self._too_many_requests(make_call(fault=RetryAfter(retry_after), error="flood limit"))
            return await proceed()
        return await self._apply_fault(request, fault, make_call(fault=fault, error=type(fault).__name__), proceed)

    def _too_many_requests(self, call: Call) -> web.Response:
        assert isinstance(call.fault, RetryAfter)
        seconds = call.fault.seconds
        self.throttled.append(call)
        self._record(call, failed=True)
        return _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
