"""Fixtures for the daily summary: a seeded database and the service over it, with a pinned clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import summary_config
from bot.settings import Settings
from handlers.common.regions import RegionCatalog, default_catalog
from handlers.summary.service import SummaryService
from storage.db import Database
from storage.summary import SummaryStore
from tests.fakes.bot_api import FakeBotApi
from tests.summary.seed import AS_OF, Seed, insert_seeds, make_seeds
from tests.telegram.harness import make_settings

OFFICE_CHAT = -1009876543210


class Clock:
    """A settable clock: tests move time instead of waiting for it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def regions() -> RegionCatalog:
    return default_catalog()


@pytest.fixture
def seeds(regions: RegionCatalog) -> list[Seed]:
    return make_seeds(regions)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_path=tmp_path / "db.sqlite3",
        evidence_dir=tmp_path / "evidence",
        http_port=0,
        summary_chat_id=-1009876543210,
    )


@pytest.fixture
async def db(settings: Settings, seeds: list[Seed]) -> AsyncIterator[Database]:
    database = await Database.open(settings.database_path)
    await insert_seeds(database, seeds)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(AS_OF)


@pytest.fixture
def service(db: Database, regions: RegionCatalog, settings: Settings, clock: Clock) -> SummaryService:
    return SummaryService(SummaryStore(db), regions, summary_config(settings), clock=clock)


@pytest.fixture
async def office_settings(api: FakeBotApi, tmp_path: Path) -> Settings:
    """Settings of a bot against the fake Bot API with an office chat, over the seeded database."""
    settings = make_settings(api, tmp_path, summary_chat_id=OFFICE_CHAT)
    database = await Database.open(settings.database_path)
    try:
        await insert_seeds(database, make_seeds(default_catalog()))
    finally:
        await database.close()
    return settings
