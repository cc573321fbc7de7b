"""The bot's one HTTP server, inside the bot's event loop: every web door shares one port behind the proxy.

WhatsApp's webhook, the operators' health and metrics and the Mini App are each an aiohttp application of
their own, mounted here under their prefix; they know nothing of one another or of the port. Telegram's own
webhook stays on python-telegram-bot's server (WEBHOOK_PORT), which `run_webhook` owns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from aiohttp import web

log = logging.getLogger(__name__)

# aiohttp reads a body's limit from the root application only, so the root's is the largest any door takes
# (WhatsApp's batches); a door that wants less checks its own.
MAX_BODY: Final = 3 * 1024 * 1024


class HttpServer:
    """Mounted doors first, then `start`; `stop` refuses new requests and lets those in hand finish."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._root = web.Application(client_max_size=MAX_BODY)
        self._runner: web.AppRunner | None = None

    def mount(self, prefix: str, app: web.Application) -> None:
        """A door under `prefix` ("/app"): its routes are relative to it."""
        self._root.add_subapp(prefix, app)

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Routes at fixed paths ("/whatsapp", "/healthz") on the root."""
        self._root.add_routes(list(routes))

    @property
    def port(self) -> int:
        """The port actually bound (HTTP_PORT=0 lets the system choose one, as tests do)."""
        if self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple):
                    return int(address[1])
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        # No access log: WhatsApp's verification request carries the verify token in its query string, and
        # the Mini App's paths carry report codes.
        self._runner = web.AppRunner(self._root, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("HTTP server listening on %s:%d", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
