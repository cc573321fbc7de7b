"""An English-speaking citizen's counts through the real Application and the fake Bot API (issue 12, item 7)."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_api import FakeBotApi
from tests.telegram.harness import Citizen, make_settings, running_bot, text_of


async def test_a_one_link_evidence_step_reads_right_in_english(api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(make_settings(api, tmp_path)):
        citizen = Citizen(api, 5101, language="en")
        replies = await citizen.say("/start")
        assert "Welcome to Lapor Netral" in text_of(replies[0])
        await citizen.press("go:start")
        await citizen.press("cat:foto")
        await citizen.say("Budi Santoso")
        await citizen.say("Dinas Pendidikan Kab. Klaten")
        await citizen.press("st:pns")
        await citizen.say("solo")
        await citizen.say("Balai Kota Surakarta")
        await citizen.say("Skip location")
        await citizen.press("when:yesterday")
        await citizen.press("known:same")
        await citizen.say("The head of office posed with the candidate at an office event.")
        replies = await citizen.say("https://www.instagram.com/p/XYZ123/")
        ack = text_of(replies[0])
        assert ack.startswith("🔗 1 link received (total: 0 photos, 1 link).")
        assert "(s)" not in ack and "1 links" not in ack
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        replies = await citizen.say("Skip (stay anonymous)")
        review = text_of(replies[-1])
    assert "<b>Evidence:</b> 0 photos, 1 link\n" in review
