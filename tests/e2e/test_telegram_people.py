"""What real people send (issue 12), through the real Application and the fake Bot API."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import GROUP, Citizen, card_of, is_card, make_settings, running_bot, text_of
from tests.e2e.test_telegram_report import finish_report
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg

FIRST_HALF = "Kepala dinas berfoto dengan pose dua jari bersama calon bupati,"
SECOND_HALF = "lalu fotonya diunggah ke grup WhatsApp kantor oleh ajudannya."


async def fill_until_description(citizen: Citizen) -> None:
    await citizen.say("/start")
    await citizen.press("go:start")
    await citizen.press("cat:foto")
    await citizen.say("Budi Santoso")
    await citizen.say("Dinas Pendidikan Kab. Klaten")
    await citizen.press("st:pns")
    await citizen.say("solo")
    await citizen.say("Balai Kota Surakarta")
    await citizen.say("Lewati lokasi")
    await citizen.press("when:yesterday")


async def test_a_story_in_two_messages_reaches_the_card_whole(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5101)
        await fill_until_description(citizen)
        first = await citizen.say(FIRST_HALF)
        assert "Bagian ke-1 diterima" in text_of(first[-1])
        second = await citizen.say(SECOND_HALF)
        assert "Bagian ke-2 diterima" in text_of(second[-1])
        assert "menunggu foto atau tautan" not in text_of(second[-1])
        await citizen.press("desc:done")
        await citizen.send_photos([make_jpeg(800, 600)])
        await citizen.say("instagram.com/p/BARE123")  # no scheme, as the share sheet copies it
        # Words at the evidence step are offered for the chronology, not dropped.
        offered = await citizen.say("Kejadiannya saat apel pagi.")
        assert "Tambahkan ke kronologi" in text_of(offered[-1])
        await citizen.press("ev:chrono")
        code = await finish_report(citizen)
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
    text = card_of(card)
    assert FIRST_HALF in text and SECOND_HALF in text and "Kejadiannya saat apel pagi." in text
    assert "https://instagram.com/p/BARE123" in text
