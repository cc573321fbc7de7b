"""The known-day, the workplace of an unplaced report and the witnesses, as every view of a stored report
shows them (issue 12 items 3 and 5, issue 14): card, status, list, reminder, export, search, summary, sheet,
packet; and the witnesses purged with the contact."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader

from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.handoff.assemble import assemble
from handlers.report.reading import status_lines
from handlers.summary.figures import summary_query
from handlers.summary.service import SummaryConfig, SummaryService
from handlers.summary.sheet import sheet_xlsx
from handlers.triage.card import list_item
from handlers.triage.export import export_table
from handlers.triage.machine import Action, RejectReason
from handlers.triage.search import parse_search
from storage.models import Contact, ReportState, Witness
from storage.triage import TriageStore
from tests.triage.helpers import ALICE, NOW, REGIONS, TZ, add_report, open_store, service_for

TODAY = NOW.astimezone(TZ).date()  # Monday 20 November 2023
WITNESSES = (Witness(name="Rina Lestari", reach="0812 3456 7890"), Witness(name="Siti", reach=None))


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_window_counts_from_the_known_day_on_the_card_and_the_list(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        # It happened 10 days ago (its window from that day would be past), became known 2 days ago.
        report = await add_report(store, incident=TODAY - timedelta(days=10), known=TODAY - timedelta(days=2))
        stored = await store.reports.get(report.id)
        assert stored is not None and stored.known_date == TODAY - timedelta(days=2)
        card = (await service.card(stored)).text
        old = await add_report(store, address="2", incident=TODAY - timedelta(days=10))  # known: the same day
        old_card = (await service.card(old)).text
    assert "Kejadian:</b> Jumat, 10 November 2023" in card and "Diketahui:</b> Sabtu, 18 November 2023" in card
    assert "(sisa 5 hari)" in card and "lewat" not in card.lower()
    assert "Diketahui:</b> Jumat, 10 November 2023" in old_card and "lewat" in old_card.lower()
    assert "⛔" not in list_item(stored, REGIONS, "id", TZ, TODAY)
    assert "⛔" in list_item(old, REGIONS, "id", TZ, TODAY)


async def test_the_morning_reminder_selects_by_the_known_day(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        closing = await add_report(
            store, address="1", subject="Segera", incident=TODAY - timedelta(days=20), known=TODAY - timedelta(days=6)
        )
        later = await add_report(
            store, address="2", subject="Masih lama", incident=TODAY - timedelta(days=6), known=TODAY
        )
        text = await service.reminder_text(TODAY)
    assert text is not None and closing.code in text and later.code not in text


async def test_the_summary_lists_deadlines_by_the_known_day(tmp_path: Path) -> None:
    day = TODAY - timedelta(days=1)
    created = datetime.combine(day, time(9, 0), TZ).astimezone(UTC)
    async with open_store(tmp_path) as store:
        # The summary of `day` lists windows ending within two days of the next morning.
        near = await add_report(
            store, address="1", incident=day - timedelta(days=30), known=day - timedelta(days=5), now=created
        )
        by_incident_only = await add_report(
            store, address="2", incident=day - timedelta(days=5), known=day, now=created
        )
        service = SummaryService(store.summary, REGIONS, SummaryConfig("id", TZ, time(7, 0)), clock=lambda: NOW)
        figures = await service.figures(day, NOW)
        rows = await store.summary.sheet_rows(summary_query(day, TZ, figures.as_of).day, figures.as_of)
    assert [d.code for d in figures.deadlines] == [near.code]
    assert figures.deadline_count == 1 and by_incident_only.code not in [d.code for d in figures.deadlines]
    assert figures.deadlines[0].deadline == day - timedelta(days=5) + timedelta(days=7)
    workbook = load_workbook(io.BytesIO(sheet_xlsx(figures, rows, REGIONS, "id", TZ)))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet[2][0].value == near.code  # in order of arrival
    line = {h: c.value for h, c in zip(header, sheet[2], strict=True)}
    assert line["Tanggal diketahui"] == datetime.combine(day - timedelta(days=5), time())
    assert line["Batas lapor Bawaslu"] == datetime.combine(day + timedelta(days=2), time())


async def test_a_row_written_without_a_known_day_gets_its_incident_day(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        report = await add_report(store)
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO reports (code, reporter_id, channel, state, category, subject_status, region_id, place,"
            " incident_date, description, contact_shared, locale, created_at, updated_at)"
            " SELECT 'LN-IMPORT', reporter_id, channel, state, category, subject_status, region_id, place,"
            " '2023-11-01', description, 0, locale, created_at, updated_at FROM reports WHERE id = ?",
            (report.id,),
        )
        assert db.execute("SELECT known_date FROM reports WHERE code = 'LN-IMPORT'").fetchone() == ("2023-11-01",)


async def test_an_unplaced_report_reads_tidak_tahu_with_the_workplace_everywhere(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store, region=UNKNOWN_REGION_ID, workplace="Dinas <PU> Kab. Sragen")
        card = (await service.card(report)).text
        status = status_lines(report, await store.reports.events(report.id), "id", TZ, REGIONS)
        rows = await service.triage.export_rows(NOW - timedelta(days=1), NOW + timedelta(days=1))
        found, total = await service.triage.search(parse_search("wilayah:medsos", REGIONS, TZ), limit=10, offset=0)
        handoff = await assemble(store, TriageStore(store.db), REGIONS, report, tz=TZ, now=NOW)
    shown = "Tidak tahu / di media sosial — ASN bekerja di: Dinas &lt;PU&gt; Kab. Sragen"
    assert shown in card and shown in status
    assert "Tidak tahu / di media sosial" in list_item(report, REGIONS, "id", TZ, TODAY)
    table = export_table(rows, REGIONS, "id", TZ, TODAY)
    line = dict(zip(table[0], table[1], strict=True))
    assert line["Kabupaten/Kota"] == "Tidak tahu / di media sosial — ASN bekerja di: Dinas <PU> Kab. Sragen"
    assert total == 1 and found[0].code == report.code
    assert handoff.packet.region_name == "Tidak tahu / di media sosial — ASN bekerja di: Dinas <PU> Kab. Sragen"
    assert "ASN bekerja di: Dinas <PU> Kab. Sragen" in pdf_text(handoff.pdf)


async def test_witnesses_reach_the_packet_and_the_export_and_the_card_only_beside_a_shared_contact(
    tmp_path: Path,
) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        anonymous = await add_report(store, address="1", witnesses=WITNESSES, known=TODAY - timedelta(days=1))
        named = await add_report(
            store, address="2", witnesses=WITNESSES, contact=Contact(name="Ani", phone="+6281111111111")
        )
        anonymous_card = (await service.card(anonymous)).text
        named_card = (await service.card(named)).text
        handoff = await assemble(store, TriageStore(store.db), REGIONS, anonymous, tz=TZ, now=NOW)
        rows = await service.triage.export_rows(NOW - timedelta(days=1), NOW + timedelta(days=1))
    assert "Rina Lestari" not in anonymous_card and "0812" not in anonymous_card
    assert "2 orang disebutkan" in anonymous_card
    assert "Rina Lestari (0812 3456 7890); Siti" in named_card
    packet = handoff.packet
    assert [(w.name, w.reach) for w in packet.witnesses] == [("Rina Lestari", "0812 3456 7890"), ("Siti", None)]
    assert packet.known_date == TODAY - timedelta(days=1)
    assert packet.deadline.closes_on == TODAY - timedelta(days=1) + timedelta(days=7)
    text = pdf_text(handoff.pdf)
    assert "Rina Lestari" in text and "0812 3456 7890" in text and "Minggu, 19 November 2023" in text
    table = export_table(rows, REGIONS, "id", TZ, TODAY)
    by_code = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert by_code[anonymous.code]["Saksi"] == "Rina Lestari (0812 3456 7890)\nSiti"
    assert by_code[anonymous.code]["Tanggal diketahui"] == (TODAY - timedelta(days=1)).isoformat()


async def test_witnesses_are_purged_with_the_contact(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        report = await add_report(store, witnesses=WITNESSES)
        await service.move(report.id, Action.REJECT, ReportState.BARU, ALICE, reason=RejectReason.SPAM)
        assert len(await store.reports.witnesses(report.id)) == 2
        await store.retention.purge_contacts(NOW + timedelta(days=200), retention_days=180)
        assert await store.reports.witnesses(report.id) == []
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert b"0812 3456 7890" not in raw
