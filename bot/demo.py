"""The report conversation in a terminal: the citizen's side, and what the supervisors' group receives.

The same core, the same SQLite schema and the same outbox as the Telegram bot; only the wire differs.
Type a button's number, free text, a /command, `foto PATH` (or `foto contoh` for a sample picture),
`lokasi -7.0,110.4`, `kontak 0812…`, or `keluar`.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
import sys
from pathlib import Path

from bot.app import Tuning, open_services
from bot.outbox import Deliverer
from bot.services import Services
from bot.settings import Settings
from handlers.common import owed
from handlers.common.events import Choice, Event, Image, Location, Reply, SharedContact, Text, parse_command
from handlers.report.intake import PREVIEW_KIND
from storage.models import Channel, OutboxItem

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def sample_photo() -> bytes:
    """A small picture so a newcomer can finish a report without a file at hand."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    picture = PILImage.new("RGB", (640, 480), (40, 90, 160))
    draw = ImageDraw.Draw(picture)
    for i in range(0, 640, 40):
        draw.rectangle((i, 300 - i // 3, i + 30, 480), fill=(200, 60 + i // 4, 60))
    draw.text((20, 20), "Lapor Netral demo", fill=(255, 255, 255))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def event_from_line(line: str, last: Reply | None) -> Event | None:
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        return parse_command(text)
    buttons = last.choices() if last else []
    if text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= len(buttons):  # "፩".isdigit() is true too
        return Choice(buttons[int(text) - 1].data)
    word, _, rest = text.partition(" ")
    if word.lower() == "foto" and rest:
        data = sample_photo() if rest.strip() == "contoh" else Path(rest.strip()).expanduser().read_bytes()

        async def fetch() -> bytes:
            return data

        return Image(fetch=fetch, size=len(data))
    if word.lower() == "lokasi" and "," in rest:
        lat, lon = (float(p) for p in rest.split(",", 1))
        return Location(lat, lon)
    if word.lower() == "kontak" and rest:
        return SharedContact(phone=rest.strip())
    return Text(text)


def show(reply: Reply, out: io.TextIOBase | None = None, folder: Path | None = None) -> None:
    stream = out or sys.stdout
    stream.write("\n🤖 " + plain(reply.text).replace("\n", "\n   ") + "\n")
    if reply.document is not None and folder is not None:
        # A terminal cannot show a PDF: the file goes beside the demo's database, as a chat would save it.
        path = folder / reply.document.filename
        path.write_bytes(reply.document.data)
        stream.write(f"   [dokumen] {path}\n")
    for number, button in enumerate(reply.choices(), 1):
        stream.write(f"   [{number}] {button.label}\n")
    if reply.request is not None:
        stream.write(f"   (on Telegram: a button to share your {reply.request.value})\n")


def console_group(services: Services) -> Deliverer:
    """Make this terminal the supervisors' group: the card exactly as they would read it."""

    async def deliver(item: OutboxItem) -> None:
        store = services.store
        report = await store.reports.get(int(str(item.payload["report_id"])))
        assert report is not None
        evidence = await store.reports.evidence(report.id)
        sys.stdout.write("\n===== Grup pengawas menerima =====\n")
        for photo in (e.photo for e in evidence if e.photo):
            preview = services.store.files.derived_path(photo.sha256, PREVIEW_KIND)
            sys.stdout.write(f"[foto] {preview} (SHA-256 {photo.sha256[:16]}…)\n")
        # The very card the group receives: the same loader and renderer as the first post and every edit.
        card = await services.triage.card(report)
        buttons = "  ".join(f"[{button.label}]" for row in card.buttons for button in row)
        sys.stdout.write(f"{plain(card.text)}\n{buttons}\n==================================\n")

    services.outbox.register(owed.FORWARD_REPORT, deliver)
    return deliver


async def run_demo(settings: Settings, database: Path) -> int:
    settings = settings.model_copy(update={"database_path": database})
    services = await open_services(settings, Tuning(outbox_base_delay=0.5))
    # The demo's own small root: the terminal plays the supervisors' group; notices wait (no channel).
    console_group(services)
    services.outbox.register(owed.NOTIFY_REPORTER, services.notifier)
    services.outbox.start()
    sys.stdout.write(f"Lapor Netral — demo (database: {database}). Ketik /start. 'keluar' untuk selesai.\n")
    last: Reply | None = None
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip().lower() in ("keluar", "exit", "quit"):
                break
            try:
                event = event_from_line(line, last)
            except (OSError, ValueError) as exc:
                sys.stdout.write(f"   ({exc})\n")
                continue
            if event is None:
                continue
            answer = await services.intake.handle(Channel.DEMO, "terminal", event, language_hint=None)
            for reply in answer.replies:
                show(reply, folder=database.parent)
                if reply.buttons:
                    last = reply
            await asyncio.sleep(0.2)  # let the outbox print the group's side in order
    finally:
        await asyncio.sleep(0.6)
        await services.close()
    return 0
