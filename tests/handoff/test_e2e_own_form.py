"""/status KODE → the form button → the reporter's own pre-filled form as a PDF in their chat (real Application)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.fakes.bot_api import Call, FakeBotApi
from tests.handoff.test_e2e_handoff import pdf_text
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, is_card, make_settings, running_bot, text_of
from tests.telegram.test_telegram_report import fill_until_evidence
from tests.triage.helpers import Supervisors
from tests.triage.test_e2e_triage import ALICE, card_id, card_shows, press

PHONE = "+6281234567890"
NAME = "Sutarmi"


async def document_to(api: FakeBotApi, chat_id: int, mark: int) -> Call:
    return await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == chat_id, since=mark, timeout=20)


async def test_the_reporter_gets_their_own_form_from_status(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    photo = make_jpeg(800, 600, seed=41)
    async with running_bot(settings):
        citizen = Citizen(api, 5301)
        await fill_until_evidence(citizen)
        await citizen.send_photos([photo])
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        mark = len(api.calls)
        api.push_update(api.private_contact(citizen.user_id, PHONE, NAME, contact_user_id=citizen.user_id))
        await citizen.settle(mark, quiet=0.4)
        ticket = text_of((await citizen.press("rv:send"))[-1])
        code = ticket.split("<code>")[1].split("</code>")[0]
        await api.wait_for(lambda c: is_card(c, GROUP, code))
        card = card_id(api, code)
        # A supervisor handles it, by name: the office's packet has the name, the reporter's form never.
        await press(api, group, ALICE, card, "🙋 Ambil")
        await card_shows(api, card, "Diambil oleh Alice")

        status = await citizen.say(f"/status {code}")
        assert code in text_of(status[-1])
        message_id, buttons = citizen.last_buttons()
        assert buttons == {"📄 Formulir Bawaslu": f"form:{code}"}
        mark = len(api.calls)
        api.push_update(api.callback_query(citizen.user_id, citizen.user_id, message_id, f"form:{code}"))
        sent = await document_to(api, citizen.user_id, mark)

        # Someone else with the code gets nothing but "not found", by button data or by command.
        stranger = Citizen(api, 5302)
        mark = len(api.calls)
        api.push_update(api.callback_query(stranger.user_id, stranger.user_id, 1, f"form:{code}"))
        refused = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == stranger.user_id, since=mark, timeout=10
        )
        typed = await stranger.say(f"/formulir {code}")
    assert "tidak ditemukan" in text_of(refused) and "tidak ditemukan" in text_of(typed[-1])
    assert not [c for c in api.calls if c.method == "sendDocument" and c.chat_id == stranger.user_id]

    assert len(sent.files) == 1
    data = next(iter(sent.files.values()))
    assert data.startswith(b"%PDF")
    documents = [m["document"] for m in api.messages(citizen.user_id) if "document" in m]
    assert [(d["file_name"], d["mime_type"]) for d in documents] == [(f"formulir-{code}.pdf", "application/pdf")]
    caption = str(sent.params["caption"])
    assert code in caption and "Bawaslu Kota Surakarta" in caption and "KTP" in caption
    text = pdf_text(data)
    assert text.startswith("FORMULIR LAPORAN (Model B.1)") and code in text
    order = [
        "I. Identitas Pelapor",
        "Tempat/tanggal lahir",
        "Kewarganegaraan",
        "II. Identitas Terlapor",
        "III. Peristiwa",
        "Hari/tanggal diketahui",
        "IV. Saksi",
        "V. Bukti",
        "VI. Uraian Kejadian",
        "Penerimaan (diisi petugas Bawaslu)",
        "Petugas penerima",
        "Cara menyampaikan laporan ini ke Bawaslu",
    ]
    positions = [text.find(heading) for heading in order]
    assert -1 not in positions and positions == sorted(positions), list(zip(order, positions, strict=True))
    # Their own identity as they shared it; the rest left to fill in by hand.
    assert NAME in text and PHONE in text
    assert "Budi <Santoso>" in text and "Kota Surakarta" in text
    assert hashlib.sha256(photo).hexdigest() in text.replace(" ", "")
    assert "Bawaslu Kota Surakarta" in text and "KTP" in text and "3 hari" in text
    # None of the officer's part: no checklist, no duplicates, no timeline, no supervisor's name.
    for absent in ("Alice", "VII.", "Untuk Petugas", "Kemungkinan duplikat", "Riwayat penanganan", "Syarat formal:"):
        assert absent not in text, absent
    assert str(citizen.user_id) not in text
