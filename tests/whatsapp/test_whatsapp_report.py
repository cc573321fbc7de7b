"""A citizen's whole report over WhatsApp: signed webhooks in, the fake Graph API out, the group on Telegram."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.whatsapp.render import OWN_NUMBER
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import card_of, is_card, shown
from tests.triage.helpers import Supervisors
from tests.whatsapp.fake_graph import FakeGraphApi, Sent
from tests.whatsapp.harness import GROUP, WhatsAppCitizen, post_signed, running_whatsapp, wa_settings

DESCRIPTION = "Kepala dinas berfoto dengan pose dua jari bersama calon bupati di acara kantor."


def text_of(call: Call) -> str:
    return str(call.params.get("text", ""))


def texts(sent: list[Sent]) -> list[str]:
    return [s.text for s in sent]


async def fill_until_evidence(citizen: WhatsAppCitizen) -> None:
    replies = await citizen.say("Halo")
    # The first message of a new reporter is answered like /start: what the service is, what is kept.
    assert replies[0].text.startswith("*Selamat datang di Lapor Netral*")
    assert replies[-1].choices() == {"go:start": "📝 Buat laporan"}
    replies = await citizen.press("go:start")
    categories = replies[-1]
    assert categories.interactive_type == "list" and len(categories.choices()) == 9
    await citizen.press("cat:foto")
    await citizen.say("Budi <Santoso>")
    await citizen.say("Dinas Pendidikan Kab. Klaten")
    await citizen.press("st:pns")
    replies = await citizen.say("solo")  # typed and fuzzy-matched, as on Telegram
    assert "Kota Surakarta" in replies[0].text
    replies = await citizen.say("Balai Kota Surakarta")
    assert replies[0].interactive_type == "location_request_message"
    assert set(replies[1].choices()) == {"loc:skip", "nav:back", "nav:cancel"}
    await citizen.send_location(-7.5666, 110.8166)
    await citizen.press("when:yesterday")
    await citizen.press("known:same")
    await citizen.say(DESCRIPTION)


async def test_a_report_over_whatsapp_reaches_the_supervisors_group(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    photos = [make_jpeg(1600, 1200, gps=(-7.5666, 110.8166), seed=1), make_jpeg(1024, 768, seed=2)]
    async with running_whatsapp(settings, telegram=True) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234567001")
        await fill_until_evidence(citizen)
        # Two photos sent together arrive as two webhooks: acknowledged once, like a Telegram album.
        acks = await citizen.send_together([citizen.image(p, media_id=f"media-{i}") for i, p in enumerate(photos)])
        assert len(acks) == 1, texts(acks)
        assert "2 foto diterima (total 2/10)" in acks[0].text
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        replies = await citizen.press("ct:skip")
        review = replies[-1]
        assert "Budi <Santoso>" in review.text  # escaped for Telegram HTML, plain again on WhatsApp
        assert set(review.choices()) == {"rv:send", "rv:edit", "nav:cancel"}
        replies = await citizen.press("rv:send")
        ticket = replies[-1].text
        assert "Terima kasih atas laporan Anda" in ticket
        code = ticket.split("```")[1]

        # The lighter card: the first photo with the card as caption, the second on demand.
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
        card_id = next(m["message_id"] for m in api.messages(GROUP) if code in shown(m) and m.get("reply_markup"))
        supervisors = Supervisors(api)
        supervisors.add(9101, "Pengawas")
        supervisors.press(9101, card_id, supervisors.buttons(card_id)["📷 Bukti (2)"])
        more = await api.wait_for(lambda c: c.method == "sendPhoto" and c.chat_id == GROUP and c is not card)
    # WhatsApp photos have no Telegram file_id: both go as their metadata-free previews, uploaded.
    assert card.method == "sendPhoto" and len(card.files) == 1 and len(more.files) == 1
    assert more.params["reply_parameters"]["message_id"] == card_id
    for data in (*card.files.values(), *more.files.values()):
        assert b"Exif\x00\x00" not in data
    text = card_of(card)
    assert code in text and "Kota Surakarta" in text and "Budi &lt;Santoso&gt;" in text
    # The reporter's number is their identity: never in the group.
    for form in ("6281234567001", "+6281234567001", "081234567001", "1234567001"):
        assert form not in text

    with sqlite3.connect(settings.database_path) as db:
        channel_name, address = db.execute(
            "SELECT r.channel, p.address FROM reports r JOIN reporters p ON p.id = r.reporter_id WHERE r.code = ?",
            (code,),
        ).fetchone()
        stored = db.execute("SELECT sha256 FROM evidence WHERE kind = 'photo' ORDER BY position").fetchall()
        contacts = db.execute("SELECT COUNT(*) FROM contacts").fetchone()
    assert (channel_name, address) == ("whatsapp", "+6281234567001")  # normalised +62…
    assert [s for (s,) in stored] == [hashlib.sha256(p).hexdigest() for p in photos]
    assert contacts == (0,)
    for photo in photos:  # the originals, byte for byte, through the Graph API media endpoint
        digest = hashlib.sha256(photo).hexdigest()
        assert (settings.evidence_dir / digest[:2] / digest[2:4] / digest).read_bytes() == photo
    assert sorted(graph.media_requests) == ["media-0", "media-1"]


async def test_sharing_the_own_number_and_an_image_document(
    api: FakeBotApi,
    graph: FakeGraphApi,
    tmp_path: Path,
) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings, telegram=True) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6285700000002")
        await fill_until_evidence(citizen)
        acks = await citizen.send_image(make_jpeg(800, 600, seed=3), media_id="doc-1", document=True)
        assert "1 foto diterima" in acks[0].text
        await citizen.press("ev:done")
        replies = await citizen.press("wit:none")
        assert OWN_NUMBER in replies[-1].choices()  # WhatsApp's "use this number" at the contact step
        replies = await citizen.press(OWN_NUMBER)
        assert "+6285700000002" in replies[-1].text  # the review shows the shared number
        replies = await citizen.press("rv:send")
        code = replies[-1].text.split("```")[1]
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
    # Shared by choice: then, and only then, the supervisors see it.
    assert "+6285700000002" in card_of(card)


async def test_ordered_handling_of_quick_messages(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path) -> None:
    """Messages posted back to back are handled in the order they arrived, each answered once."""
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281300000003")
        await citizen.say("/start")
        await citizen.press("go:start")
        mark = len(graph.to(citizen.wa_id))
        payloads = [
            citizen.payload(
                "interactive_list_reply",
                interactive={"type": "list_reply", "list_reply": {"id": "cat:medsos", "title": "x"}},
            ),
            citizen.payload("text_message", text={"body": "Budi"}),
            citizen.payload("text_message", text={"body": "Dinas Kominfo"}),
        ]
        for payload in payloads:
            assert (await post_signed(citizen.port, payload))[0] == 200
        replies = await graph.settle(citizen.wa_id, mark, quiet=0.5)
    expected = ["Siapa nama ASN", "Di instansi mana", "status kepegawaiannya"]
    assert [e in r.text for e, r in zip(expected, replies, strict=True)] == [True] * 3, texts(replies)


@pytest.mark.parametrize("how", ["typed", "card"])
async def test_a_shared_number_is_normalised(api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path, how: str) -> None:
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234500077")
        await fill_until_evidence(citizen)
        await citizen.say("https://www.instagram.com/p/XYZ123/")
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        if how == "typed":
            replies = await citizen.say("0812-3456-7890")
        else:
            replies = await citizen.send(
                citizen.payload(
                    "contacts_message",
                    contacts=[
                        {
                            "name": {"formatted_name": "Sri Rahayu"},
                            "phones": [{"phone": "+62 812-3456-7890", "type": "CELL"}],
                        }
                    ],
                )
            )
        assert "+6281234567890" in replies[-1].text  # the review
        await citizen.press("rv:send")
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT phone FROM contacts").fetchall() == [("+6281234567890",)]


async def test_the_welcome_and_the_ticket_name_words_that_work(
    api: FakeBotApi, graph: FakeGraphApi, tmp_path: Path
) -> None:
    """WhatsApp has no command menu: the texts name "lapor" and "status KODE", and typing them works."""
    settings = wa_settings(api, graph, tmp_path)
    async with running_whatsapp(settings) as channel:
        citizen = WhatsAppCitizen(graph, channel.port, wa_id="6281234500088")
        await fill_until_evidence(citizen)
        welcome = graph.to(citizen.wa_id)[0].text
        assert "lapor – buat laporan" in welcome and "status – cek laporan" in welcome
        assert "/" not in welcome
        await citizen.say("https://www.instagram.com/p/XYZ123/")
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        await citizen.press("ct:skip")
        ticket = (await citizen.press("rv:send"))[-1].text
        code = ticket.split("```")[1]
        assert f"mengetik status {code}" in ticket and "/" not in ticket
        detail = await citizen.say(f"status {code}")  # as the ticket says
        assert code in detail[0].text and "Terima kasih atas laporan Anda" not in detail[0].text
        listed = await citizen.say("status")
        assert code in listed[0].text and "Ketik status KODE" in listed[0].text
        categories = await citizen.say("lapor")  # the word the welcome names starts a new report
        assert categories[-1].interactive_type == "list" and len(categories[-1].choices()) == 9
