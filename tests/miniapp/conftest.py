"""The bot as the Mini App's tests run it: Alice in the supervisors' group, Olga in the office chat, Bob
in a regional group (known to the fake, routed only where a test says), and a stranger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from tests.fakes.bot_api import FakeBotApi
from tests.miniapp.helpers import OFFICE
from tests.telegram.harness import make_settings, running_bot
from tests.triage.helpers import Supervisors

ALICE, OLGA, STRANGER, BOB = 9101, 9201, 9666, 9301
SURAKARTA = -1007770000002


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[App]:
    group = Supervisors(api)
    group.add(ALICE, "Alice Pengawas", "administrator")
    api.add_group(OFFICE, "Kantor Gubernur")
    api.add_user(OLGA, "Olga Kantor")
    api.set_member(OFFICE, OLGA, "member")
    api.add_user(STRANGER, "Orang Lain")
    api.add_group(SURAKARTA, "Pengawas Surakarta")
    api.add_user(BOB, "Bob Surakarta")
    api.set_member(SURAKARTA, BOB, "member")
    async with running_bot(make_settings(api, tmp_path, summary_chat_id=OFFICE)) as app:
        yield app
