"""Building blocks for the Mini App's tests: initData signed as Telegram signs it, reports that reach
the group as a citizen's would, and the Mini App served on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.app import App
from handlers.common import owed
from storage.db import utcnow
from storage.models import Category, Channel, NewReport, Report, SubjectStatus
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, TOKEN

OFFICE = -1005550000001


def signed_init_data(
    user_id: int,
    first_name: str,
    *,
    token: str = TOKEN,
    auth_date: int | None = None,
    language: str = "id",
    extra: dict[str, str] | None = None,
) -> str:
    """initData as a Telegram client receives it, signed by the documented algorithm written out here
    on its own (not with the code under test)."""
    user = {"id": user_id, "first_name": first_name, "last_name": "", "language_code": language}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
        **(extra or {}),
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


async def seed_report(
    app: App,
    *,
    address: str,
    subject: str,
    region: str = "kab-klaten",
    days_ago: int = 2,
    category: Category = Category.FOTO,
    photo_seed: int = 1,
) -> Report:
    """A report with a real photo, committed and owed to the group as Kirim would (album, then card)."""
    services = app.services
    photo = await services.intake.store_image(make_jpeg(640, 480, seed=photo_seed))
    reporter = await services.store.reporters.get_or_create(Channel.TELEGRAM, address)
    new = NewReport(
        reporter_id=reporter.id,
        channel=Channel.TELEGRAM,
        category=category,
        subject_name=subject,
        subject_agency="Dinas Pendidikan",
        subject_status=SubjectStatus.PNS,
        region_id=region,
        place="Balai desa",
        latitude=None,
        longitude=None,
        incident_date=(utcnow() - timedelta(days=days_ago)).date(),
        description="Kepala dinas berfoto dengan pose dua jari di acara kantor kecamatan.",
        locale="id",
        photos=(photo,),
        links=("https://www.instagram.com/p/Cexample1/",),
        contact=None,
    )
    report = await services.store.reports.submit(new, owed=lambda r: [owed.forward_report(r.id)])
    services.outbox.wake()
    return report


def body_of(message: dict[str, object]) -> str:
    """A group message's words: a card is a text, or the caption of its first photo (the lighter card)."""
    return str(message.get("text") or message.get("caption") or "")


async def card_of(api: FakeBotApi, code: str, chat_id: int = GROUP, timeout: float = 10.0) -> int:
    """The message id of the report's card in `chat_id`, once the forwarder has posted it."""
    await api.wait_for(
        lambda c: c.chat_id == chat_id and code in str(c.params.get("text") or c.params.get("caption") or ""),
        timeout,
    )
    for message in api.messages(chat_id):
        if code in body_of(message) and message.get("reply_markup"):
            return int(message["message_id"])
    raise AssertionError(f"no card for {code}")


def site_url(app: App) -> str:
    """Where the running bot's own HTTP server serves the Mini App (HTTP_PORT=0 in tests: a free port)."""
    return f"{app.http.url}/app/"


@asynccontextmanager
async def serve(application: web.Application) -> AsyncIterator[str]:
    """Another Mini App (a routing table the bot does not have yet) on 127.0.0.1, mounted at /app as on the
    bot's server; always stopped."""
    root = web.Application()
    root.add_subapp("/app/", application)
    runner = web.AppRunner(root, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/app/"
    finally:
        await runner.cleanup()
