"""The fake Graph API server for the WhatsApp tests, always stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.whatsapp.fake_graph import FakeGraphApi


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphApi]:
    async with FakeGraphApi() as server:
        yield server
