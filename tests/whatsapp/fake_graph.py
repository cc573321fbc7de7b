"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1: records what the bot sends, serves media bytes.

The real pywa client talks to it through WHATSAPP_API_URL. Like Meta, it refuses messages that break the
Cloud API's limits (reply buttons, lists, body lengths, template parameters, captions) with a Graph error,
so a renderer bug fails a test instead of a citizen's chat. Documents are uploaded first
(`POST /{phone-number-id}/media`, multipart, a supported type within its size) and sent by the media id
the upload returned; a document message naming an unknown media id is refused. Faults are injected with
`fail_next`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

JSON = dict[str, Any]
TOKEN = "EAAGfakeWhatsAppToken"
PHONE_ID = "1122334455667"  # the phone_number_id of the shared fixtures


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class GraphError(Exception):
    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Sent:
    """One message the bot sent: the request body, the wamid it got."""

    body: JSON
    message_id: str

    @property
    def to(self) -> str:
        return str(self.body.get("to"))

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def text(self) -> str:
        """The text a person reads: a text body, an interactive body, or the template's parameters."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.type == "template":
            return " | ".join(
                p["text"] for c in self.body["template"].get("components", []) for p in c.get("parameters", [])
            )
        return self.caption

    @property
    def caption(self) -> str:
        return str(self.body[self.type].get("caption", "")) if self.type in _MEDIA_TYPES else ""

    @property
    def interactive_type(self) -> str | None:
        return self.body["interactive"]["type"] if self.type == "interactive" else None

    def choices(self) -> dict[str, str]:
        """id → title of its reply buttons or list rows."""
        if self.type != "interactive":
            return {}
        action = self.body["interactive"].get("action", {})
        if "buttons" in action:
            return {b["reply"]["id"]: b["reply"]["title"] for b in action["buttons"]}
        return {r["id"]: r["title"] for s in action.get("sections", []) for r in s["rows"]}


@dataclass
class FakeGraphApi:
    host: str = "127.0.0.1"
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[JSON, int]] = field(default_factory=list)
    media_requests: list[str] = field(default_factory=list)
    _media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    uploads: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # media id → data, type, file name
    _faults: list[tuple[str, int, int]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    async def __aenter__(self) -> Self:
        # Meta takes documents of up to 100 MB; aiohttp's default body limit is 1 MiB.
        app = web.Application(client_max_size=_MAX_DOCUMENT + 1024 * 1024)
        app.router.add_post(r"/{version:v[0-9.]+}/{phone_id}/messages", self._messages)
        app.router.add_post(r"/{version:v[0-9.]+}/{phone_id}/media", self._upload)
        app.router.add_get(r"/{version:v[0-9.]+}/{media_id}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ test controls

    def add_media(self, media_id: str, data: bytes, mime: str = "image/jpeg") -> None:
        self._media[media_id] = (data, mime)

    def fail_next(self, kind: str, code: int, status: int = 400) -> None:
        """The next message of `kind` ("text", "interactive", "template" or "*") gets a Graph error."""
        self._faults.append((kind, code, status))

    def document_of(self, sent: Sent) -> tuple[bytes, str, str]:
        """The bytes, type and file name of the uploaded media a document message names."""
        return self.uploads[str(sent.body["document"]["id"])]

    def to(self, wa_id: str) -> list[Sent]:
        return [s for s in self.sent if s.to == wa_id]

    async def wait_for(self, count: int, wa_id: str, timeout: float = 5.0) -> list[Sent]:
        """Until `count` messages to `wa_id` were sent; all of them."""

        async def reached() -> None:
            while len(self.to(wa_id)) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(reached(), timeout)
        return self.to(wa_id)

    async def settle(self, wa_id: str, since: int, quiet: float = 0.15, timeout: float = 8.0) -> list[Sent]:
        """The messages to `wa_id` after the first `since`: at least one, then until `quiet` s pass without more."""

        async def first() -> None:
            while len(self.to(wa_id)) <= since:
                self._changed.clear()
                await self._changed.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first(), timeout)
        while True:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet)
            except TimeoutError:
                return self.to(wa_id)[since:]

    # ------------------------------------------------------------------ Graph endpoints

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(GraphError(190, "Invalid OAuth access token.", 401))
        body: JSON = await request.json()
        try:
            if request.match_info["phone_id"] != PHONE_ID:
                raise GraphError(100, "Unsupported post request.")
            _validate(body)
            if body.get("type") in _MEDIA_TYPES:
                media = body[str(body["type"])]
                _check(str(media.get("id", "")) in self.uploads, "media id not found")
            for i, (kind, code, status) in enumerate(self._faults):
                if kind in (body.get("type"), "*"):
                    del self._faults[i]
                    raise GraphError(code, f"injected fault {code}", status)
        except GraphError as exc:
            self.refused.append((body, exc.code))
            return _error(exc)
        message_id = f"wamid.fake{next(self._ids)}"
        self.sent.append(Sent(body, message_id))
        self._changed.set()
        to = str(body.get("to"))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(GraphError(190, "Invalid OAuth access token.", 401))
        try:
            if request.match_info["phone_id"] != PHONE_ID:
                raise GraphError(100, "Unsupported post request.")
            form = await request.post()
            upload = form.get("file")
            _check(form.get("messaging_product") == "whatsapp", "messaging_product")
            _check(isinstance(upload, web.FileField), "file")
            assert isinstance(upload, web.FileField)
            data = upload.file.read()
            mime = str(form.get("type", ""))
            _check(mime in _DOCUMENT_TYPES, f"unsupported media type {mime}")
            _check(upload.content_type == mime, "the file's type and `type` differ")
            _check(0 < len(data) <= _MAX_DOCUMENT, "document size")
        except GraphError as exc:
            self.refused.append(({"upload": request.match_info["phone_id"]}, exc.code))
            return _error(exc)
        media_id = str(900_000_000_000_000 + next(self._ids))  # Meta's media ids are digits
        self.uploads[media_id] = (data, mime, upload.filename or "")
        return web.json_response({"id": media_id})

    async def _media_url(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(GraphError(190, "Invalid OAuth access token.", 401))
        media_id = request.match_info["media_id"]
        if media_id not in self._media:
            return _error(GraphError(100, "Unsupported get request.", 400))
        data, mime = self._media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "id": media_id,
                "mime_type": mime,
                "sha256": "x",
                "file_size": len(data),
                "url": f"{self.url}/download/{media_id}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        self.media_requests.append(media_id)
        if not self._authorized(request):
            return web.Response(status=401)
        if media_id not in self._media:
            return web.Response(status=404)
        data, mime = self._media[media_id]
        return web.Response(body=data, content_type=mime)


def _error(exc: GraphError) -> web.Response:
    return web.json_response(
        {"error": {"message": exc.message, "type": "OAuthException", "code": exc.code, "fbtrace_id": "AfakeTrace"}},
        status=exc.status,
    )


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise GraphError(131009, f"(#131009) Parameter value is not valid: {message}")


_PARAM_RE = re.compile(r"[\n\t]| {5,}")
_MEDIA_TYPES = frozenset({"document", "image", "video", "audio", "sticker"})
# The Cloud API's document types (the ones this bot could send); 100 MB each.
_DOCUMENT_TYPES = frozenset({"application/pdf", "text/plain", "application/vnd.ms-excel"})
_MAX_DOCUMENT = 100 * 1024 * 1024
_MAX_CAPTION = 1024


def _validate(body: JSON) -> None:
    """The Cloud API's documented limits for what this bot sends."""
    _check(body.get("messaging_product") == "whatsapp", "messaging_product")
    _check(bool(body.get("to") or body.get("recipient")), "to")
    kind = body.get("type")
    if kind == "text":
        text = body["text"]["body"]
        _check(0 < _units(text) <= 4096, "text body length")
    elif kind == "interactive":
        interactive = body["interactive"]
        _check(0 < _units(interactive["body"]["text"]) <= 1024, "interactive body length")
        action = interactive["action"]
        if interactive["type"] == "button":
            buttons = action["buttons"]
            _check(1 <= len(buttons) <= 3, "at most 3 buttons")
            titles = [b["reply"]["title"] for b in buttons]
            _check(all(0 < _units(title) <= 20 for title in titles), "button title length")
            _check(len(set(titles)) == len(titles), "button titles must be unique")
            _check(all(0 < len(b["reply"]["id"]) <= 256 for b in buttons), "button id length")
        elif interactive["type"] == "list":
            sections = action["sections"]
            _check(0 < _units(action["button"]) <= 20, "list button length")
            _check(1 <= len(sections) <= 10, "sections")
            rows = [r for s in sections for r in s["rows"]]
            _check(1 <= len(rows) <= 10, "at most 10 rows in all sections")
            _check(len(sections) == 1 or all(s.get("title") for s in sections), "section titles")
            _check(all(_units(s.get("title", "")) <= 24 for s in sections), "section title length")
            _check(all(0 < _units(r["title"]) <= 24 for r in rows), "row title length")
            _check(all(_units(r.get("description", "")) <= 72 for r in rows), "row description length")
            _check(len({r["id"] for r in rows}) == len(rows), "row ids must be unique")
            _check(all(0 < len(r["id"]) <= 200 for r in rows), "row id length")
        elif interactive["type"] == "location_request_message":
            _check(action == {"name": "send_location"}, "location request action")
        else:
            raise GraphError(131009, f"unexpected interactive type {interactive['type']}")
    elif kind == "template":
        template = body["template"]
        _check(bool(re.fullmatch(r"[a-z0-9_]+", template["name"])), "template name")
        _check(template["language"]["code"] in ("id", "en_US"), "template language")
        for component in template.get("components", []):
            for parameter in component.get("parameters", []):
                text = parameter.get("text", "")
                if not text or _PARAM_RE.search(text):
                    raise GraphError(
                        132018, "Parameter text cannot have new-line/tab characters or more than 4 consecutive spaces"
                    )
    elif kind == "document":
        document = body["document"]
        _check(("id" in document) != ("link" in document), "exactly one of id and link")
        _check(_units(document.get("caption", "")) <= _MAX_CAPTION, "caption length")
        _check(len(document.get("filename", "x")) <= 240, "filename length")
    else:
        raise GraphError(131009, f"unexpected message type {kind}")
