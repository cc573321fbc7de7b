"""Replies rendered within WhatsApp's limits: every prompt of the core, through pywa, onto a recording wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from pywa_async import WhatsApp

from bot.whatsapp.render import (
    MAX_INTERACTIVE_BODY,
    MAX_TEXT,
    OWN_NUMBER,
    cut,
    deliver,
    one_line,
    render,
    split_text,
    units,
    whatsapp_text,
)
from handlers.common.events import Button, Reply, RequestKeyboard
from handlers.common.regions import RegionCatalog
from handlers.report.draft import Draft, Step
from handlers.report.prompts import BACK, CANCEL, View, prompt
from locales import LOCALES
from tests.whatsapp.fake_graph import GraphError, _validate

REGIONS = RegionCatalog.load()


class Wire:
    """httpx's MockTransport as the Graph API: records pywa's request bodies, answers like Meta."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.mock{len(self.bodies)}"}],
            },
        )


@pytest.fixture
async def wire() -> Iterator[tuple[WhatsApp, Wire]]:  # type: ignore[misc]
    recorder = Wire()
    session = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    yield WhatsApp(phone_id="1122334455667", token="EAAGtoken", session=session), recorder
    await session.aclose()


def drafts() -> Iterator[tuple[str, Draft]]:
    """A draft at every step, with the data each step's prompt shows."""
    for step in Step:
        if step is Step.REGION:
            for group in REGIONS.groups:
                yield f"region-{group.id}", Draft(step=step, history=[Step.REGION_GROUP], region_group=group.id)
            every = [r.id for g in REGIONS.groups for r in g.regions]
            yield "region-candidates", Draft(step=step, history=[Step.REGION_GROUP], region_candidates=every)
            continue
        full = Draft(
            step=step,
            history=[Step.CATEGORY],
            description="x" * 3000,
            place="Balai Kota",
            subject_name="Budi <Santoso>",
            photos=[],
            links=["https://example.org/a"],
        )
        yield step.value, full
    yield "category-first", Draft(step=Step.CATEGORY)


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_prompt_fits_whatsapp(wire: tuple[WhatsApp, Wire], locale: str) -> None:
    client, recorder = wire
    view = View(locale=locale, today=date(2024, 2, 14), regions=REGIONS, max_photos=10)
    for name, draft in drafts():
        reply = prompt(draft, view)
        before = len(recorder.bodies)
        await deliver(client, "+6281234567001", reply, locale)
        sent = recorder.bodies[before:]
        assert sent, name
        for body in sent:
            try:
                _validate(body)  # Meta's limits, as the fake Graph API enforces them
            except GraphError as exc:
                raise AssertionError(f"{name}: {exc.message}: {body}") from exc
            assert body["to"] == "6281234567001"
        # Every choice of the core is reachable: as a button or row, or numbered in the text.
        offered = {
            i["reply"]["id"]
            for b in sent
            if b["type"] == "interactive"
            for i in b["interactive"]["action"].get("buttons", [])
        }
        offered |= {
            r["id"]
            for b in sent
            if b["type"] == "interactive"
            for s in b["interactive"]["action"].get("sections", [])
            for r in s["rows"]
        }
        text = "\n".join(
            b.get("text", {}).get("body", "") or b.get("interactive", {}).get("body", {}).get("text", "") for b in sent
        )
        for button in reply.choices():
            assert button.data in offered or f". {button.label}" in text, (name, button)


def test_three_short_choices_are_reply_buttons() -> None:
    reply = Reply("Pilih", ((Button("Ya", "a:1"), Button("Tidak", "a:2")), (Button("Batal", CANCEL),)))
    [message] = render(reply, "id")
    assert isinstance(message.buttons, tuple) and [b.title for b in message.buttons] == ["Ya", "Tidak", "Batal"]


def test_more_choices_become_a_list_with_navigation_apart() -> None:
    buttons = tuple((Button(f"Pilihan {i}", f"c:{i}"),) for i in range(4))
    reply = Reply("Pilih", (*buttons, (Button("◀️ Kembali", BACK), Button("✖️ Batal", CANCEL))))
    [message] = render(reply, "id")
    listing = message.buttons
    assert listing is not None and not isinstance(listing, tuple)
    sections = list(listing.sections)
    assert [s.title for s in sections] == ["Pilihan", "Navigasi"]
    assert [r.callback_data for r in sections[0].rows] == [f"c:{i}" for i in range(4)]
    assert [r.callback_data for r in sections[1].rows] == [BACK, CANCEL]
    assert listing.button_title == "Pilih"


def test_a_long_label_is_cut_in_the_row_and_kept_whole_in_its_description() -> None:
    label = "⚖️ Keputusan / kegiatan berpihak"
    reply = Reply("Pilih", ((Button(label, "cat:keputusan"),), (Button("x", "a"), Button("y", "b"), Button("z", "c"))))
    [message] = render(reply, "id")
    assert message.buttons is not None and not isinstance(message.buttons, tuple)
    row = next(r for s in message.buttons.sections for r in s.rows if r.callback_data == "cat:keputusan")
    assert units(row.title) <= 24 and row.title.endswith("…") and row.description == label


def test_a_long_label_among_three_makes_a_list_not_a_cut_button() -> None:
    reply = Reply(
        "Bukti",
        ((Button("✅ Selesai kirim bukti", "ev:done"),), (Button("◀️ Kembali", BACK), Button("✖️ Batal", CANCEL))),
    )
    [message] = render(reply, "id")
    assert message.buttons is not None and not isinstance(message.buttons, tuple)


def test_more_than_ten_choices_are_numbered_in_the_text() -> None:
    buttons = tuple((Button(f"Kab. Nomor {i}", f"reg:{i}"),) for i in range(1, 13))
    [message] = render(Reply("Pilih kabupaten", (*buttons, (Button("Kembali", BACK),))), "id")
    assert message.buttons is not None and not isinstance(message.buttons, tuple)
    rows = [r.callback_data for s in message.buttons.sections for r in s.rows]
    assert rows == [f"reg:{i}" for i in range(1, 10)] + [BACK]
    assert "12. Kab. Nomor 12" in message.text and "Ketik nomor atau nama" in message.text


def test_a_long_text_with_buttons_goes_first_as_text() -> None:
    reply = Reply("a" * 1500, ((Button("Kirim", "rv:send"),),))
    messages = render(reply, "en")
    assert [m.buttons is None for m in messages] == [True, False]
    assert messages[0].text == "a" * 1500 and messages[1].text == "Please choose:"
    assert units(messages[1].text) <= MAX_INTERACTIVE_BODY


def test_a_very_long_text_is_split() -> None:
    text = "\n\n".join(f"Paragraf {i} " + "kata " * 300 for i in range(8))
    pieces = render(Reply(text), "id")
    assert len(pieces) > 1 and all(units(p.text) <= MAX_TEXT for p in pieces)
    assert " ".join(" ".join(p.text.split()) for p in pieces) == " ".join(text.split())


def test_location_requests_and_contact_offers() -> None:
    location = render(
        Reply("Bagikan lokasi", ((Button("Lewati", "loc:skip"),),), request=RequestKeyboard.LOCATION), "id"
    )
    assert location[0].ask_location and location[1].text == "Atau pilih salah satu:"
    contact = Reply("Kontak?", ((Button("Lewati", "ct:skip"),),), request=RequestKeyboard.CONTACT)
    [with_phone] = render(contact, "id", own_number=True)
    assert isinstance(with_phone.buttons, tuple) and with_phone.buttons[0].callback_data == OWN_NUMBER
    [without] = render(contact, "id", own_number=False)  # a user who hides their number
    assert isinstance(without.buttons, tuple) and [b.callback_data for b in without.buttons] == ["ct:skip"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>1/8 · Jenis</b>\nApa?", "*1/8 · Jenis*\nApa?"),
        ("<b>Nama: </b>Budi &lt;Santoso&gt; &amp; co", "*Nama:* Budi <Santoso> & co"),
        ("Kode: <code>LN-ABC234</code>", "Kode: ```LN-ABC234```"),
        ("<i>contoh</i>", "_contoh_"),
        ("<b><i>dua</i></b>", "*_dua_*"),
        ('<a href="https://x.org/a?b=1&amp;c=2">tautan</a>', "tautan (https://x.org/a?b=1&c=2)"),
        ("<b></b>kosong", "kosong"),
    ],
)
def test_html_becomes_whatsapp_formatting(html: str, expected: str) -> None:
    assert whatsapp_text(html) == expected


def test_template_parameters_are_one_line() -> None:
    text = one_line("<b>Pertanyaan</b>\n\nApa   nama\tkantornya?" + " x" * 1000)
    assert "\n" not in text and "\t" not in text and "     " not in text
    assert text.startswith("*Pertanyaan* Apa nama kantornya?") and units(text) <= 700


def test_empty_text_is_never_sent() -> None:
    assert render(Reply("  "), "id") == []
    [message] = render(Reply("", ((Button("Ya", "a:1"),),)), "id")
    assert message.text == "Silakan pilih:"


def test_cutting_counts_emoji_as_two_units() -> None:
    assert units("📱") == 2
    assert cut("📱📱📱", 5) == "📱📱…"
    assert split_text("") == [""]
