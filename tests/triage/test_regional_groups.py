"""Regional supervisors' groups end to end: the real PTB Application, the fake Bot API, real SQLite.

Routing (REGION_GROUPS_FILE): a Klaten report reaches the Surakarta group and no other, a "tidak tahu"
report the provincial group; each group's members triage only their reports; a move between groups is
audited, posts the card in the new group and marks the old one; the lists are scoped per group; the
provincial group gets a digest instead of every card.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.settings import SettingsError, load_routing
from handlers.common import owed
from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.triage.regional import MOVE_ACTION
from storage.db import utcnow
from storage.models import Report
from tests.fakes.bot_api import Call, FakeBotApi
from tests.images import make_jpeg
from tests.telegram.harness import (
    GROUP,
    Citizen,
    card_of,
    eventually,
    is_card,
    make_settings,
    running_bot,
    shown,
    text_of,
)
from tests.telegram.test_telegram_report import fill_until_evidence, finish_report
from tests.triage.helpers import Supervisors, add_report, rows

SURAKARTA = -1002000000001
SEMARANG = -1002000000002
PROVINCIAL_SUP, SOLO_SUP, SEMARANG_SUP = 9201, 9202, 9203


def write_routing(tmp_path: Path, groups: list[dict[str, Any]] | None = None) -> Path:
    path = tmp_path / "region-groups.json"
    table = {
        "groups": groups
        if groups is not None
        else [
            {"chat_id": SURAKARTA, "name": "Bawaslu Surakarta", "covers": ["surakarta"]},
            {"chat_id": SEMARANG, "name": "Kota Semarang", "covers": ["kota-semarang", "kab-semarang"]},
        ]
    }
    path.write_text(json.dumps(table), encoding="utf-8")
    return path


def three_groups(api: FakeBotApi) -> tuple[Supervisors, Supervisors, Supervisors]:
    provincial, solo, semarang = Supervisors(api, GROUP), Supervisors(api, SURAKARTA), Supervisors(api, SEMARANG)
    provincial.add(PROVINCIAL_SUP, "Pengawas Provinsi")
    solo.add(SOLO_SUP, "Pengawas Solo")
    semarang.add(SEMARANG_SUP, "Pengawas Semarang")
    return provincial, solo, semarang


async def forwarded(app: App, report: Report) -> None:
    """A report made through storage, owed to its group as the intake owes it."""
    await app.services.store.outbox.enqueue(owed.forward_report(report.id))
    app.services.outbox.wake()


def cards_in(api: FakeBotApi, chat_id: int, code: str) -> list[Call]:
    return [c for c in api.calls if is_card(c, chat_id, code)]


async def klaten_card(app: App, api: FakeBotApi, address: str) -> tuple[Report, int]:
    """A Klaten report posted to the Surakarta group: the report and its live card's message id."""
    report = await add_report(app.services.store, address=address, region="kab-klaten", now=utcnow())
    await forwarded(app, report)
    await api.wait_for(lambda c: is_card(c, SURAKARTA, report.code), timeout=10)
    return report, card_message(api, SURAKARTA, report.code)


def card_message(api: FakeBotApi, chat_id: int, code: str) -> int:
    ids = [m["message_id"] for m in api.messages(chat_id) if code in shown(m) and m.get("reply_markup")]
    assert ids, f"no live card of {code} in {chat_id}"
    return int(ids[-1])


async def answer_to(api: FakeBotApi, group: Supervisors, user_id: int, message_id: int, data: str) -> Call:
    mark = len(api.calls)
    group.press(user_id, message_id, data)
    return await api.wait_for(
        lambda c: c.method == "answerCallbackQuery" and str(c.params["callback_query_id"]).endswith(f"{user_id:05d}"),
        since=mark,
    )


async def said_in(api: FakeBotApi, chat_id: int, text: str, mark: int, timeout: float = 10.0) -> Call:
    return await api.wait_for(
        lambda c: c.chat_id == chat_id and c.method in ("sendMessage", "sendDocument") and text in card_of(c),
        timeout,
        since=mark,
    )


# -------------------------------------------------------------------- the routing file


def test_the_routing_file_is_checked_at_start_up(api: FakeBotApi, tmp_path: Path) -> None:
    """Unknown ids, a region covered twice, a private chat's id, the provincial group reused: one clear line."""
    cases = {
        "atlantis": [{"chat_id": SURAKARTA, "name": "X", "covers": ["atlantis"]}],
        "covered twice": [
            {"chat_id": SURAKARTA, "name": "A", "covers": ["surakarta"]},
            {"chat_id": SEMARANG, "name": "B", "covers": ["kab-klaten"]},
        ],
        "less than 0": [{"chat_id": 12345, "name": "Pribadi", "covers": ["surakarta"]}],
        "provincial group": [{"chat_id": GROUP, "name": "Provinsi", "covers": ["surakarta"]}],
        "listed twice": [
            {"chat_id": SURAKARTA, "name": "A", "covers": ["surakarta"]},
            {"chat_id": SURAKARTA, "name": "B", "covers": ["kota-semarang"]},
        ],
    }
    for expected, groups in cases.items():
        settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path, groups))
        with pytest.raises(SettingsError) as caught:
            load_routing(settings)
        assert "REGION_GROUPS_FILE" in str(caught.value) and expected in str(caught.value), str(caught.value)
    routing = load_routing(make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path)))
    assert routing.group_for("kab-klaten") == SURAKARTA and routing.group_for("kab-semarang") == SEMARANG
    assert routing.group_for("kab-banyumas") == GROUP and routing.group_for(UNKNOWN_REGION_ID) == GROUP
    assert load_routing(make_settings(api, tmp_path)).chats == (GROUP,)  # no file: one group, as before


# -------------------------------------------------------------------- routing


async def test_a_klaten_report_reaches_the_surakarta_group_and_no_other(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    three_groups(api)
    async with running_bot(settings) as app:
        # A citizen's report of Kota Surakarta ("solo"), through the whole conversation, with a photo.
        citizen = Citizen(api, 5301)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(800, 600, seed=3)])
        solo_code = await finish_report(citizen)
        await api.wait_for(lambda c: is_card(c, SURAKARTA, solo_code), timeout=10)
        # A Klaten report, and a "tidak tahu" one.
        klaten = await add_report(app.services.store, address="5302", region="kab-klaten", now=utcnow())
        unknown = await add_report(app.services.store, address="5303", region=UNKNOWN_REGION_ID, now=utcnow())
        for report in (klaten, unknown):
            await forwarded(app, report)
        await api.wait_for(lambda c: is_card(c, SURAKARTA, klaten.code), timeout=10)
        await api.wait_for(lambda c: is_card(c, GROUP, unknown.code), timeout=10)
        await asyncio.sleep(0.5)
        menus = {chat: api.commands({"type": "chat", "chat_id": chat}) for chat in (GROUP, SURAKARTA, SEMARANG)}
    for code in (solo_code, klaten.code):
        assert len(cards_in(api, SURAKARTA, code)) == 1
        assert [c for c in api.calls if c.chat_id in (GROUP, SEMARANG) and code in card_of(c)] == []
    assert len(cards_in(api, GROUP, unknown.code)) == 1
    assert [c for c in api.calls if c.chat_id in (SURAKARTA, SEMARANG) and unknown.code in card_of(c)] == []
    groups = dict(rows(settings.database_path, "SELECT code, group_chat_id FROM reports"))
    assert groups == {solo_code: SURAKARTA, klaten.code: SURAKARTA, unknown.code: GROUP}
    # Every group has triage's menu and /pindah; the provincial one /ringkasan too.
    for chat, menu in menus.items():
        names = [c["command"] for c in menu]
        assert {"laporan", "antrian", "cari", "ekspor", "pindah"} <= set(names), (chat, names)
        assert ("ringkasan" in names) is (chat == GROUP)


async def test_a_report_keeps_its_group_when_the_file_changes(api: FakeBotApi, tmp_path: Path) -> None:
    """The group is decided when the report is forwarded: a new file does not lose a card already posted."""
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    solo, _ = Supervisors(api, SURAKARTA), Supervisors(api, SEMARANG)
    solo.add(SOLO_SUP, "Pengawas Solo")
    async with running_bot(settings) as app:
        report = await add_report(app.services.store, address="5310", region="kab-klaten", now=utcnow())
        await forwarded(app, report)
        await api.wait_for(lambda c: is_card(c, SURAKARTA, report.code), timeout=10)
    # Klaten now belongs to the Semarang group's file entry; the report's card stays in Surakarta.
    moved_file = write_routing(
        tmp_path,
        [
            {"chat_id": SURAKARTA, "name": "Bawaslu Surakarta", "covers": ["kota-surakarta"]},
            {"chat_id": SEMARANG, "name": "Kota Semarang", "covers": ["kab-klaten"]},
        ],
    )
    settings = make_settings(api, tmp_path, region_groups_file=moved_file)
    async with running_bot(settings):
        card = card_message(api, SURAKARTA, report.code)
        answered = await answer_to(api, solo, SOLO_SUP, card, solo.buttons(card)["🙋 Ambil"])
        assert not answered.params.get("show_alert")
        await eventually(lambda: "Diambil oleh" in shown(api.message(SURAKARTA, card)))
    assert rows(settings.database_path, "SELECT group_chat_id FROM reports") == [(SURAKARTA,)]


# -------------------------------------------------------------------- who may triage what


async def test_members_triage_only_their_groups_reports(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, semarang = three_groups(api)
    async with running_bot(settings) as app:
        report, card = await klaten_card(app, api, "5320")
        claim = solo.buttons(card)["🙋 Ambil"]

        # A Semarang supervisor is no member of the Surakarta group: refused there.
        refused = await answer_to(api, solo, SEMARANG_SUP, card, claim)
        assert refused.params["show_alert"] is True and "anggota tim pengawas" in refused.params["text"]
        # In their own group, the same (forged) button for a Surakarta report is refused too.
        refused = await answer_to(api, semarang, SEMARANG_SUP, 1, claim)
        assert refused.params["show_alert"] is True and "grup wilayah lain" in refused.params["text"]
        mark = len(api.calls)
        semarang.command(SEMARANG_SUP, "laporan", report.code)
        await said_in(api, SEMARANG, "grup wilayah lain", mark)
        semarang.command(SEMARANG_SUP, "bukti", report.code)
        await api.wait_for(
            lambda c: c.chat_id == SEMARANG and "grup wilayah lain" in text_of(c) and c.params.get("text") != "",
            since=len(api.calls) - 1,
        )
        for command in ("paket", "arsip"):  # the hand-off's commands too: neither the PDF nor the originals
            mark = len(api.calls)
            semarang.command(SEMARANG_SUP, command, report.code)
            await said_in(api, SEMARANG, "grup wilayah lain", mark)
        await asyncio.sleep(0.3)
        assert rows(settings.database_path, "SELECT state FROM reports") == [("baru",)]
        assert not [c for c in api.calls_to("sendDocument") if c.chat_id in (SEMARANG, SEMARANG_SUP)]

        # The provincial group acts on every report through its commands: /laporan gives it the card.
        mark = len(api.calls)
        provincial.command(PROVINCIAL_SUP, "laporan", report.code)
        await said_in(api, GROUP, "Riwayat", mark)
        there = card_message(api, GROUP, report.code)
        answered = await answer_to(api, provincial, PROVINCIAL_SUP, there, provincial.buttons(there)["🙋 Ambil"])
        assert not answered.params.get("show_alert")
    assert rows(settings.database_path, "SELECT state FROM reports") == [("diproses",)]
    assert rows(settings.database_path, "SELECT actor FROM events WHERE action = 'claim'") == [
        (f"supervisor:{PROVINCIAL_SUP}",)
    ]


async def test_provincial_laporan_is_a_copy_and_moves_on_it_edit_the_regional_card(
    api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, _ = three_groups(api)
    async with running_bot(settings) as app:
        store = app.services.store
        report, regional = await klaten_card(app, api, "5321")

        mark = len(api.calls)
        provincial.command(PROVINCIAL_SUP, "laporan", report.code)
        await said_in(api, GROUP, "Riwayat", mark)
        copy = card_message(api, GROUP, report.code)
        # The regional card keeps its buttons and stays the report's live card.
        assert "🙋 Ambil" in solo.buttons(regional)
        current = await store.reports.get(report.id)
        assert current is not None and (current.card_chat_id, current.card_message_id) == (SURAKARTA, regional)

        # Ambil on the provincial copy: the move counts, and the regional card is the one the outbox edits.
        answered = await answer_to(api, provincial, PROVINCIAL_SUP, copy, provincial.buttons(copy)["🙋 Ambil"])
        assert not answered.params.get("show_alert")
        await eventually(lambda: "Diambil oleh Pengawas Provinsi" in shown(api.message(SURAKARTA, regional)))
        assert "🙋 Ambil" not in solo.buttons(regional) and solo.buttons(regional)  # the new state's buttons
        # The copy shows the new state too, so its buttons are not a stale press.
        await eventually(lambda: "Diambil oleh Pengawas Provinsi" in shown(api.message(GROUP, copy)))
        assert provincial.buttons(copy) == solo.buttons(regional)
        # The region's own supervisors go on from their card.
        verify = next(data for label, data in solo.buttons(regional).items() if ":verify:" in data)
        done = await answer_to(api, solo, SOLO_SUP, regional, verify)
        assert not done.params.get("show_alert"), done.params
    assert rows(settings.database_path, "SELECT state, card_chat_id FROM reports") == [("terverifikasi", SURAKARTA)]


async def test_a_typed_reason_on_the_provincial_copy_shows_on_the_copy_and_the_regional_card(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """Tolak → "Alasan lain (ketik)" on the copy, then the reason as a reply to the prompt: the move is made
    from a reply, not a press, and the copy still shows it (its buttons are the new state's)."""
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, _ = three_groups(api)
    async with running_bot(settings) as app:
        report, regional = await klaten_card(app, api, "5322")
        mark = len(api.calls)
        provincial.command(PROVINCIAL_SUP, "laporan", report.code)
        await said_in(api, GROUP, "Riwayat", mark)
        copy = card_message(api, GROUP, report.code)

        await answer_to(api, provincial, PROVINCIAL_SUP, copy, provincial.buttons(copy)["🚫 Tolak"])
        await eventually(lambda: "✍️ Alasan lain (ketik)" in provincial.buttons(copy))
        mark = len(api.calls)
        await answer_to(api, provincial, PROVINCIAL_SUP, copy, provincial.buttons(copy)["✍️ Alasan lain (ketik)"])
        await said_in(api, GROUP, "alasan penolakan", mark)
        prompt = next(m["message_id"] for m in reversed(api.messages(GROUP)) if "alasan penolakan" in m.get("text", ""))
        provincial.reply(PROVINCIAL_SUP, prompt, "Kejadian di luar Jawa Tengah.")

        await eventually(lambda: "Kejadian di luar Jawa Tengah" in shown(api.message(SURAKARTA, regional)))
        await eventually(lambda: "Kejadian di luar Jawa Tengah" in shown(api.message(GROUP, copy)))
        assert provincial.buttons(copy) == solo.buttons(regional) and "🔄 Buka lagi" in solo.buttons(regional)
    assert rows(settings.database_path, "SELECT state, card_chat_id FROM reports") == [("ditolak", SURAKARTA)]


# -------------------------------------------------------------------- moving a report


async def test_a_report_moved_to_another_regions_group(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, semarang = three_groups(api)
    async with running_bot(settings):
        citizen = Citizen(api, 5330)
        await fill_until_evidence(citizen)
        await citizen.send_photos([make_jpeg(800, 600, seed=31), make_jpeg(640, 480, seed=32)])
        code = await finish_report(citizen)
        await api.wait_for(lambda c: is_card(c, SURAKARTA, code), timeout=10)
        old = card_message(api, SURAKARTA, code)
        assert set(solo.buttons(old)) == {"🙋 Ambil", "🚫 Tolak", "📷 Bukti (2)", "🧭 Pindah wilayah"}

        # Pindah wilayah → the groups → Kota Semarang.
        menu = await answer_to(api, solo, SOLO_SUP, old, solo.buttons(old)["🧭 Pindah wilayah"])
        assert "grup wilayah tujuan" in menu.params["text"]
        await eventually(lambda: "Kota Semarang" in solo.buttons(old))
        assert set(solo.buttons(old)) == {"Grup provinsi", "Kota Semarang", "◀️ Kembali"}
        stale = solo.buttons(old)["Kota Semarang"]
        done = await answer_to(api, solo, SOLO_SUP, old, stale)
        assert "dipindah ke grup Kota Semarang" in done.params["text"]

        await api.wait_for(lambda c: is_card(c, SEMARANG, code), timeout=10)
        new = card_message(api, SEMARANG, code)
        # The old card says where the report went, and has no buttons.
        await eventually(lambda: "dipindah ke grup Kota Semarang" in shown(api.message(SURAKARTA, old)))
        assert not api.message(SURAKARTA, old).get("reply_markup")
        assert [c.method for c in api.calls if c.chat_id == SURAKARTA and c.method.startswith("edit")][-1] == (
            "editMessageCaption"  # the old card was a photo card
        )
        # The same press again (a second supervisor, a stale menu) moves nothing.
        again = await answer_to(api, solo, SOLO_SUP, old, stale)
        assert again.params["show_alert"] is True
        # Semarang's members triage it now; Surakarta's no longer.
        refused = await answer_to(api, solo, SOLO_SUP, new, semarang.buttons(new)["🙋 Ambil"])
        assert refused.params["show_alert"] is True
        claimed = await answer_to(api, semarang, SEMARANG_SUP, new, semarang.buttons(new)["🙋 Ambil"])
        assert not claimed.params.get("show_alert")
        await eventually(lambda: "Diambil oleh Pengawas Semarang" in shown(api.message(SEMARANG, new)))

        # /pindah KODE provinsi: by command, to the provincial group.
        mark = len(api.calls)
        semarang.command(SEMARANG_SUP, "pindah", f"{code} provinsi")
        await said_in(api, SEMARANG, "dipindah ke grup Grup provinsi", mark)
        await api.wait_for(lambda c: is_card(c, GROUP, code), timeout=10, since=mark)
        await eventually(lambda: "dipindah ke grup" in shown(api.message(SEMARANG, new)))
        # Now the provincial group's: Semarang may not move it again, and an unknown group is named back.
        semarang.command(SEMARANG_SUP, "pindah", f"{code} surakarta")
        await said_in(api, SEMARANG, "grup wilayah lain", mark)
        provincial.command(PROVINCIAL_SUP, "pindah", f"{code} atlantis")
        await said_in(api, GROUP, "tidak dikenal", mark)
    events = rows(
        settings.database_path,
        "SELECT actor, action, note, detail FROM events WHERE action = ? ORDER BY id",
        (MOVE_ACTION,),
    )
    assert events == [
        (f"supervisor:{SOLO_SUP}", MOVE_ACTION, "Bawaslu Surakarta → Kota Semarang", f"group:{SURAKARTA}>{SEMARANG}"),
        (f"supervisor:{SEMARANG_SUP}", MOVE_ACTION, "Kota Semarang → Grup provinsi", f"group:{SEMARANG}>{GROUP}"),
    ]
    assert rows(settings.database_path, "SELECT group_chat_id, state FROM reports") == [(GROUP, "diproses")]
    # One card per group it passed through, each posted once.
    for chat in (SURAKARTA, SEMARANG, GROUP):
        assert len(cards_in(api, chat, code)) == 1, chat
    assert rows(settings.database_path, "SELECT COUNT(*) FROM report_cards") == [(3,)]
    assert rows(settings.database_path, "SELECT COUNT(*) FROM outbox WHERE state != 'sent'") == [(0,)]


# -------------------------------------------------------------------- lists per group


async def test_queue_search_and_export_are_scoped_per_group(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, semarang = three_groups(api)
    async with running_bot(settings) as app:
        store = app.services.store
        klaten = await add_report(store, address="5341", region="kab-klaten", subject="Budi Klaten", now=utcnow())
        kota = await add_report(store, address="5342", region="kota-semarang", subject="Budi Semarang", now=utcnow())
        unknown = await add_report(store, address="5343", region=UNKNOWN_REGION_ID, subject="Budi Entah", now=utcnow())
        await forwarded(app, klaten)  # one forwarded, the others not yet: scoped by region until then
        await api.wait_for(lambda c: is_card(c, SURAKARTA, klaten.code), timeout=10)
        codes = {klaten.code, kota.code, unknown.code}
        expected = {SURAKARTA: {klaten.code}, SEMARANG: {kota.code}, GROUP: codes}
        for group, user in ((solo, SOLO_SUP), (semarang, SEMARANG_SUP), (provincial, PROVINCIAL_SUP)):
            mark = len(api.calls)
            group.command(user, "antrian")
            queue = await said_in(api, group.chat_id, "Antrian", mark)
            assert {c for c in codes if c in text_of(queue)} == expected[group.chat_id], group.chat_id
            group.command(user, "cari", "nama:budi")
            found = await said_in(api, group.chat_id, "ditemukan", mark)
            assert {c for c in codes if c in text_of(found)} == expected[group.chat_id], group.chat_id
            group.command(user, "ekspor")
            sheet = await api.wait_for(
                lambda c, chat=group.chat_id: c.method == "sendDocument" and c.chat_id == chat and bool(c.files),
                since=mark,
            )
            workbook = load_workbook(io.BytesIO(next(iter(sheet.files.values()))))
            cells = {str(c.value) for row in workbook.active.iter_rows() for c in row}  # type: ignore[union-attr]
            assert codes & cells == expected[group.chat_id], group.chat_id
            await asyncio.sleep(0.3)  # the CSV after the workbook

        # The morning reminder: each group its own urgent reports, the provincial group every one.
        incident = (utcnow() + timedelta(hours=7)).date() - timedelta(days=6)
        urgent_solo = await add_report(store, address="5344", region="kab-klaten", incident=incident, now=utcnow())
        urgent_smg = await add_report(store, address="5345", region="kab-semarang", incident=incident, now=utcnow())
        mark = len(api.calls)
        await app.triage.morning_reminder()
        reminders = {chat: await said_in(api, chat, "Pengingat pagi", mark) for chat in (GROUP, SURAKARTA, SEMARANG)}
    urgent = {urgent_solo.code, urgent_smg.code}
    assert {c for c in urgent if c in text_of(reminders[SURAKARTA])} == {urgent_solo.code}
    assert {c for c in urgent if c in text_of(reminders[SEMARANG])} == {urgent_smg.code}
    assert {c for c in urgent if c in text_of(reminders[GROUP])} == urgent


# -------------------------------------------------------------------- the provincial digest


async def test_the_provincial_group_gets_a_digest_not_every_card(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    three_groups(api)
    async with running_bot(settings) as app:
        assert app.application.job_queue is not None
        assert len(app.application.job_queue.get_jobs_by_name("triage-digest")) == 1
        store = app.services.store
        made = [
            await add_report(store, address=f"535{i}", region=region, now=utcnow() - timedelta(minutes=i))
            for i, region in enumerate(("kab-klaten", "kab-klaten", "kota-semarang", "kab-banyumas"))
        ]
        for report in made:
            await forwarded(app, report)
        for report in made:
            await api.wait_for(lambda c, r=report: c.method == "sendMessage" and r.code in text_of(c), timeout=10)
        mark = len(api.calls)
        await app.triage.digest()
        await app.triage.digest()  # the job ran twice in one period (a restart): one digest
        digest = await said_in(api, GROUP, "Rekap grup wilayah", mark)
        await asyncio.sleep(0.5)
        digests = [c for c in api.calls[mark:] if c.chat_id == GROUP and "Rekap grup wilayah" in text_of(c)]
    text = text_of(digest)
    assert len(digests) == 1
    lines = {line.split("</b>")[0].removeprefix("• <b>"): line for line in text.splitlines()[1:]}
    assert "2 laporan baru, 2 belum diambil" in lines["Bawaslu Surakarta"]
    assert "1 laporan baru, 1 belum diambil" in lines["Kota Semarang"]
    assert "1 laporan baru, 1 belum diambil" in lines["Grup provinsi"]
    assert all("terlama menunggu sejak" in line for line in lines.values())
    # Cards went to the regional groups; the provincial group saw only Banyumas's (unmapped) and the digest.
    assert [c for c in api.calls if c.chat_id == GROUP and made[0].code in card_of(c)] == []
    assert len(cards_in(api, GROUP, made[3].code)) == 1


# -------------------------------------------------------------------- the daily summary


async def test_the_daily_summary_has_a_line_per_region_group(api: FakeBotApi, tmp_path: Path) -> None:
    settings = make_settings(api, tmp_path, region_groups_file=write_routing(tmp_path))
    provincial, solo, _ = three_groups(api)
    yesterday = utcnow() - timedelta(days=1)
    async with running_bot(settings) as app:
        store = app.services.store
        klaten = [
            await add_report(store, address=f"536{i}", region="kab-klaten", now=yesterday - timedelta(hours=i))
            for i in range(3)
        ]
        await add_report(store, address="5369", region=UNKNOWN_REGION_ID, now=yesterday)
        # One Klaten report forwarded and claimed: the group's backlog is the other two.
        await forwarded(app, klaten[0])
        await api.wait_for(lambda c: is_card(c, SURAKARTA, klaten[0].code), timeout=10)
        card = card_message(api, SURAKARTA, klaten[0].code)
        await answer_to(api, solo, SOLO_SUP, card, solo.buttons(card)["🙋 Ambil"])
        await eventually(lambda: "Diambil oleh" in shown(api.message(SURAKARTA, card)))
        # Today's summary so far: the claimed report has left Surakarta's backlog, the other two wait.
        mark = len(api.calls)
        provincial.command(PROVINCIAL_SUP, "ringkasan", app.services.summary.today().isoformat())
        summary = await said_in(api, GROUP, "Per grup wilayah", mark, timeout=15)
    lines = text_of(summary).split("Per grup wilayah")[1].splitlines()[1:4]
    assert lines[0].startswith("• Bawaslu Surakarta: 2 laporan; terlama menunggu sejak")
    assert lines[1] == "• Kota Semarang: 0 laporan; tidak ada yang menunggu"
    assert lines[2].startswith("• Grup provinsi: 1 laporan; terlama menunggu sejak")
