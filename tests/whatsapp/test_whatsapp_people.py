"""Issue 12's new steps over WhatsApp: "tidak tahu" and the workplace, the known-day, witnesses and removing a
photo, each within the Cloud API's buttons and lists (signed webhooks in, the fake Graph API out)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from bot.whatsapp.render import MAX_ROW_TITLE, MAX_ROWS, units
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import card_of, is_card
from tests.whatsapp.fake_graph import FakeGraphApi
from tests.whatsapp.harness import GROUP, WhatsAppCitizen, running_whatsapp, wa_settings


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


async def test_the_new_steps_over_whatsapp(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> None:
    settings = wa_settings(api, graph, tmp_path)
    keep, mistake = make_jpeg(800, 600, seed=81), make_jpeg(1024, 768, seed=82)
    wrong = hashlib.sha256(mistake).hexdigest()
    async with running_whatsapp(settings, telegram=True) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234567009")
        await citizen.say("Halo")
        await citizen.press("go:start")
        await citizen.press("cat:medsos")
        await citizen.say("Budi Santoso")
        await citizen.press("agency:unknown")
        replies = await citizen.press("st:pns")
        # Six karesidenan, "tidak tahu", Kembali and Batal: one list within WhatsApp's ten rows.
        regions = replies[-1]
        assert regions.interactive_type == "list" and "reg:tidak-tahu" in regions.choices()
        assert len(regions.choices()) <= MAX_ROWS
        assert "*Surakarta*: Kota Surakarta, Kab. Boyolali" in "\n".join(r.text for r in replies)
        listing = await citizen.press("grp:banyumas")
        assert {"reg:kab-cilacap", "nav:back", "reg:tidak-tahu"} <= set(listing[-1].choices())
        await citizen.press("nav:back")
        asked = await citizen.press("reg:tidak-tahu")
        assert "Di mana ASN itu bekerja" in asked[-1].text
        await citizen.say("Kantor Kecamatan Sumpiuh")
        # A place that starts with a command word is the place, not "status" (WhatsApp has no slash).
        placed = await citizen.say("Status WhatsApp-nya")
        assert "loc:skip" in placed[-1].choices()
        await citizen.press("loc:skip")
        known = await citizen.press("when:yesterday")
        assert "known:same" in known[-1].choices()
        assert known[-1].interactive_type == "list"  # four choices: a list, each row within its limit
        assert all(units(title) <= MAX_ROW_TITLE for title in known[-1].choices().values())
        await citizen.press("known:same")
        await citizen.say("Ia memasang status ajakan memilih calon bupati di WhatsApp-nya.")
        await citizen.press("desc:done")
        await citizen.send_image(keep, media_id="m-keep")
        await citizen.send_image(mistake, media_id="m-wrong")
        await citizen.press("ev:done")
        noted = await citizen.say("Rina Lestari, 0812 3456 7890")
        assert "1 saksi dicatat" in noted[-1].text
        await citizen.press("wit:done")
        await citizen.press("ct:skip")
        await citizen.press("rv:edit")
        await citizen.press("ed:evidence")
        removal = await citizen.press("ev:remove")
        rows = removal[-1].choices()
        photos = {title: data for data, title in rows.items() if data.startswith("rm:p:")}
        assert set(photos) == {"🗑 Foto 1 (800×600)", "🗑 Foto 2 (1024×768)"}
        assert all(units(title) <= MAX_ROW_TITLE for title in rows.values())
        await citizen.press(photos["🗑 Foto 2 (1024×768)"])
        assert not (settings.evidence_dir / wrong[:2] / wrong[2:4] / wrong).exists()
        await citizen.press("rm:done")
        review = await citizen.press("ev:done")
        assert "1 foto, 0 tautan" in review[-1].text
        assert "Tidak tahu / di media sosial — ASN bekerja di: Kantor Kecamatan Sumpiuh" in review[-1].text
        ticket = await citizen.press("rv:send")
        code = ticket[-1].text.split("```")[1]
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
    assert "ASN bekerja di: Kantor Kecamatan Sumpiuh" in card_of(card) and "Rina" not in card_of(card)
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT region_id, incident_date = known_date FROM reports").fetchone() == ("tidak-tahu", 1)
        assert db.execute("SELECT name FROM witnesses").fetchall() == [("Rina Lestari",)]
