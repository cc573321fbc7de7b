"""What real people send (issue 12), through the real Application and the fake Bot API."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.common.when import format_long_date, format_short_date
from tests.fakes.bot_api import FakeBotApi
from tests.images import make_jpeg
from tests.summary.conftest import OFFICE_CHAT
from tests.summary.test_telegram_summary import command, summary_bot, wait_for_summary
from tests.telegram.harness import GROUP, Citizen, card_of, is_card, make_settings, markup_of, running_bot, text_of
from tests.telegram.test_telegram_report import finish_report

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
    await citizen.press("known:same")


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


async def fill_until_region(citizen: Citizen) -> None:
    await citizen.say("/start")
    await citizen.press("go:start")
    await citizen.press("cat:medsos")
    await citizen.say("Budi Santoso")
    await citizen.press("agency:unknown")
    await citizen.press("st:pns")


async def test_a_tidak_tahu_report_reaches_the_group_with_the_asns_workplace(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path)
    async with running_bot(settings):
        citizen = Citizen(api, 5102)
        await fill_until_region(citizen)
        # The karesidenan buttons lead to their kab/kota, with Kembali back to them.
        listing = await citizen.press("grp:pati")
        _, buttons = citizen.last_buttons()
        assert {"Kab. Pati", "Kab. Kudus", "Kab. Jepara", "Kab. Rembang", "Kab. Blora"} <= set(buttons)
        assert buttons["◀️ Kembali"] == "nav:back" and "reg:tidak-tahu" in buttons.values()
        assert "Pilih kabupaten/kotanya" in text_of(listing[-1])
        groups = await citizen.press("nav:back")
        assert "<b>Pati</b>: Kab. Pati, Kab. Kudus, Kab. Jepara, Kab. Rembang, Kab. Blora" in text_of(groups[-1])
        asked = await citizen.say("tidak tahu")
        assert "Di mana ASN itu bekerja" in text_of(asked[-1])
        await citizen.say("SMPN 1 Wonogiri")
        await citizen.say("Akun Facebook pribadinya")
        await citizen.say("Lewati lokasi")
        await citizen.press("when:yesterday")
        await citizen.press("known:same")
        await citizen.say("Ia mengunggah ajakan memilih pasangan calon di akun Facebook pribadinya.")
        await citizen.press("desc:done")
        await citizen.say("facebook.com/budi/posts/123")
        code = await finish_report(citizen)
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
    assert "Tidak tahu / di media sosial — ASN bekerja di: SMPN 1 Wonogiri" in card_of(card)
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT region_id, workplace FROM reports").fetchone() == ("tidak-tahu", "SMPN 1 Wonogiri")


async def test_a_photo_removed_at_the_review_is_gone_from_the_card_and_the_disk(
    api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(api, tmp_path)
    keep, mistake = make_jpeg(800, 600, seed=71), make_jpeg(1024, 768, seed=72, gps=(-7.1, 110.2))
    wrong = hashlib.sha256(mistake).hexdigest()
    async with running_bot(settings):
        citizen = Citizen(api, 5103)
        await fill_until_description(citizen)
        await citizen.say(FIRST_HALF + " " + SECOND_HALF)
        await citizen.press("desc:done")
        await citizen.send_photos([keep, mistake], album="ALBUM-RM")
        await citizen.press("ev:done")
        await citizen.press("wit:none")
        review = await citizen.say("Lewati (tetap anonim)")
        assert "2 foto" in text_of(review[-1])
        assert (settings.evidence_dir / wrong[:2] / wrong[2:4] / wrong).exists()
        await citizen.press("rv:edit")
        await citizen.press("ed:evidence")
        await citizen.press("ev:remove")
        _, buttons = citizen.last_buttons()
        removal = {label: data for label, data in buttons.items() if data.startswith("rm:p:")}
        assert list(removal) == ["🗑 Foto 1 (800×600)", "🗑 Foto 2 (1024×768)"]
        removed = await citizen.press(removal["🗑 Foto 2 (1024×768)"])
        assert "Foto 2 (1024×768) dihapus" in text_of(removed[-1])
        assert not (settings.evidence_dir / wrong[:2] / wrong[2:4] / wrong).exists()
        await citizen.press("rm:done")
        review = await citizen.press("ev:done")
        assert "1 foto, 0 tautan" in text_of(review[-1])
        ticket = await citizen.press("rv:send")
        code = text_of(ticket[-1]).split("<code>")[1].split("</code>")[0]
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
    assert "1 foto, 0 tautan" in card_of(card) and "GPS" not in card_of(card)
    # One photo to the group: a single photo goes as sendPhoto, never the removed one.
    sent = [c for c in api.calls if c.chat_id == GROUP and c.method in ("sendPhoto", "sendMediaGroup")]
    assert len(sent) == 1 and sent[0].method == "sendPhoto"
    assert mistake not in b"".join(sent[0].files.values())
    assert not any(wrong in p.name for p in settings.evidence_dir.rglob("*"))


async def test_the_known_day_drives_the_window_on_the_card_and_in_the_summary(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, summary_chat_id=OFFICE_CHAT)
    today = datetime.now(settings.tz).date()
    # Counted from the incident the window would be long past; from the known-day two days are left.
    incident, known = today - timedelta(days=20), today - timedelta(days=5)
    async with summary_bot(settings, lambda: datetime.now(UTC)):
        citizen = Citizen(api, 5104)
        await citizen.say("/start")
        await citizen.press("go:start")
        await citizen.press("cat:foto")
        await citizen.say("Budi Santoso")
        await citizen.say("Dinas Pendidikan Kab. Klaten")
        await citizen.press("st:pns")
        await citizen.say("solo")
        await citizen.say("Balai Kota Surakarta")
        await citizen.say("Lewati lokasi")
        asked = await citizen.say(incident.strftime("%d/%m/%Y"))
        assert "Sama dengan hari kejadian" in str(markup_of(asked[-1]))
        await citizen.say(known.strftime("%d/%m/%Y"))
        await citizen.say(FIRST_HALF + " " + SECOND_HALF)
        await citizen.press("desc:done")
        await citizen.send_photos([make_jpeg(800, 600, seed=73)])
        # Words left at the evidence step and Selesai pressed: they reach the chronology, and the citizen is told.
        await citizen.say("Saya melihatnya sendiri.")
        told = await citizen.press("ev:done")
        assert "ditambahkan ke kronologi" in text_of(told[0])
        noted = await citizen.say("Rina Lestari, 0812 3456 7890")
        assert "1 saksi dicatat" in text_of(noted[-1])
        await citizen.press("wit:done")
        await citizen.say("Lewati (tetap anonim)")
        ticket = await citizen.press("rv:send")
        code = text_of(ticket[-1]).split("<code>")[1].split("</code>")[0]
        card = await api.wait_for(lambda c: is_card(c, GROUP, code))
        # Today's summary so far, asked in the group: its deadline list is reckoned from tomorrow morning.
        mark = command(api, GROUP, today.isoformat())
        summary = text_of((await wait_for_summary(api, GROUP, since=mark))[0])
    closes = format_short_date(known + timedelta(days=7), "id")
    assert f"<code>{code}</code> · Kota Surakarta · batas {closes} (1 hari lagi)" in summary
    text = card_of(card)
    assert f"Diketahui:</b> {format_long_date(known, 'id')}" in text
    assert f"{closes} — tinggal 2 hari!" in text
    assert "Saya melihatnya sendiri." in text
    assert "1 orang disebutkan" in text and "Rina" not in text and "0812" not in text  # anonymous: kept apart
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT incident_date, known_date FROM reports").fetchone() == (
            incident.isoformat(),
            known.isoformat(),
        )
        assert db.execute("SELECT name, reach FROM witnesses").fetchall() == [("Rina Lestari", "0812 3456 7890")]
