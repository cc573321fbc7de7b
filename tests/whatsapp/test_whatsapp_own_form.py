"""The reporter's own form over WhatsApp: /status KODE, the reply button, then an uploaded PDF document."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from bot.whatsapp.render import OWN_NUMBER
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.whatsapp.fake_graph import FakeGraphApi
from tests.whatsapp.harness import WhatsAppCitizen, running_whatsapp, wa_settings
from tests.whatsapp.test_whatsapp_report import fill_until_evidence


async def test_the_form_arrives_as_a_document_in_the_reporters_chat_only(
    api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings, telegram=True) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6285700000011")
        await fill_until_evidence(citizen)
        await citizen.send_image(make_jpeg(800, 600, seed=5), media_id="photo-1")
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        await citizen.press(OWN_NUMBER)
        code = (await citizen.press("rv:send"))[-1].text.split("```")[1]

        status = await citizen.say(f"/status {code}")
        offer = status[-1]
        assert offer.interactive_type == "button" and offer.choices() == {f"form:{code}": "📄 Formulir Bawaslu"}
        [sent] = await citizen.press(f"form:{code}")

        stranger = WhatsAppCitizen(graph, channel.port, wa_id="6285700000012")
        refused = await stranger.say(f"/formulir {code}")
    assert sent.type == "document" and sent.to == citizen.wa_id
    data, mime, name = graph.document_of(sent)
    assert (mime, name, sent.body["document"]["filename"]) == ("application/pdf", f"formulir-{code}.pdf", name)
    assert code in sent.caption and "*Bawaslu Kota Surakarta*" in sent.caption  # WhatsApp's bold, not HTML
    assert "<b>" not in sent.caption
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)
    assert text.startswith("FORMULIR LAPORAN (Model B.1)") and "+6285700000011" in text
    assert "Cara menyampaikan laporan ini ke Bawaslu" in text and "Riwayat penanganan" not in text
    assert [s.type for s in refused] == ["text"] and "tidak ditemukan" in refused[0].text
    assert all(s.type != "document" for s in graph.to(stranger.wa_id))
    assert len(graph.uploads) == 1  # one upload, for the one form asked for by its reporter
