"""Floods: one sender over the limit is told once and then ignored; everyone else is served as usual."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings
from locales import t, tn
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import Citizen, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report

SLOW_DOWN = t("id", "flood.slow_down")


async def test_a_flooding_sender_is_told_once_and_others_are_unaffected(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, messages_per_minute=20, reports_per_day=1)
    async with running_bot(settings):
        flooder, honest, another = Citizen(api, 8001), Citizen(api, 8002), Citizen(api, 8003)

        async def flood() -> None:
            for number in range(60):
                api.push_update(api.private_text(8001, f"spam {number}"))
                await asyncio.sleep(0.01)

        async def report() -> str:
            await fill_until_evidence(honest)
            await honest.send_photos([make_jpeg(640, 480, seed=81)])
            return await finish_report(honest)

        code, _ = await asyncio.gather(report(), flood())
        await flooder.settle(0, quiet=0.5)

        # The flooder: answers to the first 20, one warning, then silence.
        texts = [text_of(c) for c in flooder.replies_since(0)]
        assert texts.count(SLOW_DOWN) == 1 and texts[-1] == SLOW_DOWN
        assert len(texts) <= 21

        # Reports per day: the honest citizen's second report waits for tomorrow; another citizen's does not.
        assert tn("id", "flood.daily_limit", 1, max=1) in text_of((await honest.say("/lapor"))[0])
        assert "1/8" in text_of((await another.say("/lapor"))[-1])
    assert code.startswith("LN-")


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESSAGES_PER_MINUTE", "7")
    monkeypatch.setenv("REPORTS_PER_DAY", "2")
    settings = load_settings(env_file=None)
    assert (settings.messages_per_minute, settings.reports_per_day) == (7, 2)
    monkeypatch.setenv("REPORTS_PER_DAY", "0")
    with pytest.raises(SettingsError, match="REPORTS_PER_DAY"):
        load_settings(env_file=None)
    monkeypatch.delenv("REPORTS_PER_DAY")
    monkeypatch.delenv("MESSAGES_PER_MINUTE")
    assert Settings(_env_file=None).messages_per_minute == 30  # the default without the variable
