"""Building blocks for triage tests: a store with reports in it, and supervisors in the fake group."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from handlers.triage.machine import Supervisor
from handlers.triage.service import TriageService
from storage.models import Category, Channel, Contact, NewReport, PhotoEvidence, Report, SubjectStatus, Witness
from storage.store import Store
from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import GROUP

NOW = datetime(2023, 11, 20, 3, 0, tzinfo=UTC)  # Monday 20 November 2023, 10.00 WIB
TZ = ZoneInfo("Asia/Jakarta")
REGIONS = RegionCatalog.load()
ALICE = Supervisor(9101, "Alice Pengawas")
BOB = Supervisor(9102, "Bob Pengawas")


def photo(sha: str, dhash: str | None = None) -> PhotoEvidence:
    return PhotoEvidence(sha256=sha, mime="image/jpeg", size_bytes=100, width=10, height=10, dhash=dhash)


@asynccontextmanager
async def open_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "db.sqlite3", tmp_path / "evidence")
    try:
        yield store
    finally:
        await store.close()


def service_for(store: Store, now: datetime = NOW) -> TriageService:
    return TriageService(store, REGIONS, "id", TZ, clock=lambda: now)


async def add_report(
    store: Store,
    *,
    address: str = "5001",
    subject: str | None = "Budi Santoso",
    region: str = "kab-klaten",
    incident: date = date(2023, 11, 18),
    photos: tuple[PhotoEvidence, ...] = (),
    links: tuple[str, ...] = (),
    contact: Contact | None = None,
    description: str = "Kepala dinas berfoto dengan pose dua jari di acara kantor.",
    channel: Channel = Channel.TELEGRAM,
    category: Category = Category.FOTO,
    now: datetime = NOW,
    known: date | None = None,
    workplace: str | None = None,
    witnesses: tuple[Witness, ...] = (),
) -> Report:
    reporter = await store.reporters.get_or_create(channel, address)
    new = NewReport(
        reporter_id=reporter.id,
        channel=channel,
        category=category,
        subject_name=subject,
        subject_agency="Dinas Pendidikan",
        subject_status=SubjectStatus.PNS,
        region_id=region,
        place="Balai desa",
        latitude=None,
        longitude=None,
        incident_date=incident,
        description=description,
        locale="id",
        photos=photos,
        links=links,
        contact=contact,
        known_date=known,
        workplace=workplace,
        witnesses=witnesses,
    )
    return await store.reports.submit(new, now=now)


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]


def outbox(path: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(p) for (p,) in rows(path, "SELECT payload FROM outbox WHERE kind = ? ORDER BY id", (kind,))]


class Supervisors:
    """Members of the fake supervisors' group pressing buttons and replying to the bot's messages."""

    def __init__(self, api: FakeBotApi, chat_id: int = GROUP) -> None:
        self.api = api
        self.chat_id = chat_id
        api.add_group(chat_id, "Tim Pengawas Netralitas ASN")

    def add(self, user_id: int, name: str, status: str = "member") -> int:
        self.api.add_user(user_id, name, username=f"sup{user_id}")
        self.api.set_member(self.chat_id, user_id, status)
        return user_id

    def press(self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else self.chat_id
        update = self.api.callback_query(
            user_id, chat, message_id, data, chat_type="supergroup" if chat < 0 else "private"
        )
        return self.api.push_update(update)

    def reply(self, user_id: int, to_message_id: int, text: str) -> dict[str, Any]:
        update = self.api.group_text(self.chat_id, user_id, text)
        update["message"]["reply_to_message"] = self.api.message(self.chat_id, to_message_id)
        return self.api.push_update(update)

    def command(self, user_id: int, command: str, args: str = "", *, chat_id: int | None = None) -> dict[str, Any]:
        return self.api.push_update(self.api.group_command(chat_id or self.chat_id, user_id, command, args))

    def buttons(self, message_id: int) -> dict[str, str]:
        """label → data of a group message's inline keyboard as it is now (edits applied)."""
        markup = self.api.message(self.chat_id, message_id).get("reply_markup") or {}
        return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}
