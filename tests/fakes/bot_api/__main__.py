"""Standalone mode: ``python -m tests.fakes.bot_api --port 8081`` (for benchmarks and subprocess bots)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from tests.fakes.bot_api.limits import Limits
from tests.fakes.bot_api.server import FakeBotApi

# --------------------------------------------------------------------------------------------
# Standalone entry point
# --------------------------------------------------------------------------------------------


async def _serve(host: str, port: int, token: str | None, max_poll: float, limits: bool = True) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with FakeBotApi(
        host=host,
        port=port,
        token=token,
        max_poll_seconds=max_poll,
        control_api=True,
        limits=Limits() if limits else None,
    ) as api:
        # One parseable line so a parent process can pick up the port when --port 0 is used.
        print(f"fake-bot-api listening on {api.url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server (loopback only)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument("--max-poll", type=float, default=1.0, help="cap for getUpdates long-poll seconds")
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="answer no 429 (Telegram's flood limits are enforced by default): for measuring the bot alone",
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, args.token, args.max_poll, not args.no_limits))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
