"""Cards Telegram might refuse (issue 11, items 8 and 9): an emoji-rich report, a refused card, and
answers that add evidence without end. The real bot, the fake Bot API, real SQLite."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fakes.bot_api import ApiError, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import finish_report

EMOJI = "\U0001f600"  # astral: one code point, two UTF-16 units


async def fill_long_report(citizen: Citizen, description: str) -> None:
    await citizen.say("/start")
    await citizen.press("go:start")
    await citizen.press("cat:foto")
    await citizen.say(("Budi " + EMOJI * 3) * 15)
    await citizen.say(("Dinas " + EMOJI * 4) * 20)
    await citizen.press("st:pns")
    await citizen.say("solo")
    await citizen.say(("Balai " + EMOJI * 4) * 20)
    await citizen.say("Lewati lokasi")
    await citizen.press("when:yesterday")
    await citizen.press("known:same")
    await citizen.say(description)


def group_cards(api: FakeBotApi, code: str) -> list[str]:
    return [text_of(c) for c in api.calls_to("sendMessage") if c.chat_id == GROUP and code in text_of(c)]


async def test_a_report_of_3000_astral_emoji_and_long_fields_reaches_the_group(
    api: FakeBotApi,
    tmp_path: Path,
) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5101)
        await fill_long_report(citizen, EMOJI * 3000)
        await citizen.send_photos([make_jpeg(800, 600, seed=1)])
        code = await finish_report(citizen)
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and code in text_of(c), timeout=10
        )
    assert not [c for c in api.failed_calls if c.chat_id == GROUP]


async def test_a_refused_card_is_posted_shortened_at_once_and_the_refusal_is_loud(
    api: FakeBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(api, tmp_path)
    too_long = ApiError(400, "Bad Request: message is too long")
    async with running_bot(settings):
        citizen = Citizen(api, 5102)
        await fill_long_report(citizen, EMOJI * 3000)
        await citizen.send_photos([make_jpeg(800, 600, seed=2)])
        api.fail("sendMessage", times=1, mode=too_long, chat_id=GROUP)
        code = await finish_report(citizen)
        # Not retried in five minutes, nor as a network error: the shortened card goes at once.
        await api.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == GROUP and code in text_of(c), timeout=5)
    cards = group_cards(api, code)
    assert len(cards) == 1 and "dipersingkat" in cards[0] and "…" in cards[0]
    refusals = [r for r in caplog.records if r.levelno == logging.ERROR and "refused by Telegram" in r.getMessage()]
    assert refusals


async def test_a_card_refused_twice_goes_as_plain_text(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5103)
        await fill_long_report(citizen, "Kronologi kejadian " + EMOJI * 100)
        await citizen.send_photos([make_jpeg(800, 600, seed=3)])
        api.fail("sendMessage", times=2, mode=ApiError(400, "Bad Request: can't parse entities: x"), chat_id=GROUP)
        code = await finish_report(citizen)
        card = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == GROUP and code in text_of(c), timeout=5
        )
    assert card.params.get("parse_mode") is None and "<b>" not in text_of(card) and "dipersingkat" in text_of(card)
