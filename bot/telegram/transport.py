"""The Bot API transport: python-telegram-bot's `BaseRequest` on aiohttp instead of httpx.

Why: the bot spends most of its CPU making Bot API calls (bench/bench_intake.py, bench/README.md). PTB's
default transport stacks httpx, httpcore, anyio and h11, all in pure Python; aiohttp, which the bot
already carries for the WhatsApp webhook, parses HTTP in C and costs a fraction per call. PTB documents
`BaseRequest` as the seam for exactly this: it keeps the Bot API logic (JSON, errors, retries, the rate
limiter) and asks the transport only for "status and body of this request".

The wire format stays what PTB's httpx transport sends: form fields holding JSON-encoded values, and
multipart when a file is uploaded. Timeouts keep PTB's meaning as closely as aiohttp allows (it has no
separate write or pool timeout: the connect timeout covers waiting for a pooled connection, and an upload
gets a deadline for the whole call).
"""

from __future__ import annotations

import re
import time
from typing import Final
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict  # PTB's own names for its signatures
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults (HTTPXRequest): 5 s to read, write, connect and wait for a pooled connection;
# 20 s to write an upload.
DEFAULT_TIMEOUT: Final = 5.0
MEDIA_WRITE_TIMEOUT: Final = 20.0


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, created at `initialize`."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}
        # When Telegram last answered anything (monotonic): /healthz tells a cut-off bot from a quiet one.
        self.last_answer: float | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # No cookies: the Bot API sets none worth keeping. Not trust_env: aiohttp would then read the
            # environment and ~/.netrc in two worker-thread hops on every request (measured: about +40%
            # CPU per update); the proxy is looked up once per host instead (`_proxy_for`).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _proxy_for(self, url: str) -> str | None:
        """The egress proxy from HTTP(S)_PROXY / NO_PROXY, read once per host as httpx reads it once per
        client: government networks often allow no other way out."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            bypass = bool(parts.hostname) and proxy_bypass(parts.hostname or "")
            self._proxies[key] = None if bypass else getproxies().get(parts.scheme)
        return self._proxies[key]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        acquire = None if connect is None or pool is None else connect + pool
        # Reads are bounded per read (a long download keeps going while bytes flow), as with httpx. Only
        # an upload gets a deadline for the whole call, the one bound aiohttp offers on a stalled write.
        total = None
        if files and None not in (acquire, write, read):
            total = (acquire or 0) + (write or 0) + (read or 0)
        timeout = aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect, sock_read=read)
        data = _body(request_data, files)
        try:
            async with session.request(method, url, data=data, timeout=timeout, proxy=self._proxy_for(url)) as response:
                body = await response.read()
                self.last_answer = time.monotonic()
                return response.status, body
        except TimeoutError as exc:  # aiohttp's timeouts are asyncio.TimeoutError, i.e. TimeoutError
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Some aiohttp errors quote the URL, and Bot API URLs carry the token: errors get logged.
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {_without_token(str(exc), url)}") from exc


_TOKEN_IN_PATH: Final = re.compile(r"/(?:file/)?bot([^/]+)/")


def _without_token(text: str, url: str) -> str:
    match = _TOKEN_IN_PATH.search(url)
    return text.replace(match.group(1), "<token>") if match else text


def _body(request_data: RequestData | None, files: UploadFileDict | None) -> aiohttp.FormData | None:
    """PTB's parameters as a form: urlencoded, or multipart with the uploads."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files and not fields:
        return None
    form = aiohttp.FormData(quote_fields=True, charset="utf-8")
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in (files or {}).items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
