"""Teruskan → the hand-off packet as a PDF replying to the card; /paket posts it again (real Application)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from pypdf import PdfReader

from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import GROUP, Citizen, make_settings, running_bot
from tests.triage.helpers import Supervisors
from tests.triage.test_e2e_triage import ALICE, card_shows, file_report, keyboard_has, notice, press


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


async def test_forwarding_posts_the_packet_under_the_card_and_paket_posts_it_again(
    api: FakeBotApi,
    tmp_path: Path,
) -> None:
    settings = make_settings(api, tmp_path)
    group = Supervisors(api)
    group.add(ALICE, "Alice")
    photo = make_jpeg(seed=11)
    async with running_bot(settings):
        citizen = Citizen(api, 5101)
        code, card = await file_report(api, citizen, photo)
        await press(api, group, ALICE, card, "🙋 Ambil")
        await card_shows(api, card, "Diambil oleh Alice")
        await press(api, group, ALICE, card, "✅ Verifikasi")
        await card_shows(api, card, "Terverifikasi")
        await press(api, group, ALICE, card, "📤 Teruskan")
        await keyboard_has(group, card, "Bawaslu")
        mark = len(api.calls)
        await press(api, group, ALICE, card, "Bawaslu")
        posted = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark, timeout=20)
        assert posted.params["reply_parameters"]["message_id"] == card
        assert len(posted.files) == 1
        data = next(iter(posted.files.values()))
        assert data.startswith(b"%PDF")
        text = pdf_text(data)
        assert text.startswith("INFORMASI AWAL") and code in text
        assert hashlib.sha256(photo).hexdigest() in text.replace(" ", "")
        assert "Alice" in text and "Diteruskan" in text  # the timeline, supervisors by name
        assert "5101" not in text  # the reporter's chat id never
        assert code in str(posted.params["caption"]) and "SHA-256" in str(posted.params["caption"])
        assert photo not in posted.files.values()  # the original stays sealed

        mark = len(api.calls)
        group.command(ALICE, "paket", code.lower())
        again = await api.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == GROUP, since=mark)
        assert next(iter(again.files.values())).startswith(b"%PDF")
        mark = len(api.calls)
        group.command(ALICE, "paket")
        await api.wait_for(lambda c: c.chat_id == GROUP and "/paket KODE" in str(c.params.get("text")), since=mark)

        # The office registers it, later decides: both on the card and told to the reporter.
        group.command(ALICE, "rujukan", f"{code} 001/LP/PL/Kab/14.10/XI/2023")
        await card_shows(api, card, "Nomor rujukan: 001/LP/PL/Kab/14.10/XI/2023")
        await notice(api, 5101, "dengan nomor 001/LP/PL/Kab/14.10/XI/2023")
        group.command(ALICE, "hasil", f"{code} terbukti sanksi teguran tertulis")
        await card_shows(api, card, "terbukti, sanksi dijatuhkan — teguran tertulis")
        await notice(api, 5101, "terbukti, sanksi dijatuhkan")
    sends = [c for c in api.calls if c.method == "sendDocument" and c.chat_id == GROUP]
    assert len(sends) == 2  # once on Teruskan, once on /paket: never repeated by the outbox
