"""/cari's syntax, the export's rows and files, and the card's triage lines."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.report.reading import MESSAGE_LIMIT
from handlers.triage.export import export_table, safe_cell, to_csv, to_xlsx
from handlers.triage.machine import Action, ForwardTarget
from handlers.triage.search import SearchError, parse_day, parse_range, parse_search
from storage.db import iso
from storage.models import Category, Contact, ReportState
from storage.triage import ReportFilter
from tests.triage.helpers import ALICE, REGIONS, TZ, add_report, open_store, photo, service_for


def test_search_syntax() -> None:
    where = parse_search(
        'wilayah:klaten status:baru,"butuh info" kategori:medsos dari:2023-11-01 sampai:30/11/2023 nama:"budi santoso"',
        REGIONS,
        TZ,
    )
    assert where.region_ids == ("kab-klaten",)
    assert where.states == (ReportState.BARU, ReportState.BUTUH_INFO)
    assert where.categories == (Category.MEDSOS,)
    assert where.received_from == datetime(2023, 10, 31, 17, 0, tzinfo=UTC)
    assert where.received_before == datetime(2023, 11, 30, 17, 0, tzinfo=UTC)  # sampai is included
    assert where.name == "budi santoso"


def test_search_accepts_english_keys_labels_and_bare_words() -> None:
    where = parse_search("region:semarang state:verified category:Media budi", REGIONS, TZ)
    assert set(where.region_ids or ()) == {"kota-semarang", "kab-semarang"}
    assert where.states == (ReportState.TERVERIFIKASI,)
    assert where.categories == (Category.MEDSOS,)
    assert where.name == "budi" and where.received_from is None


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("", "triage.search_help"),
        ('nama:"budi', "triage.search_bad_quotes"),
        ("warna:merah", "triage.search_bad_key"),
        ("wilayah:", "triage.search_empty_value"),
        ("wilayah:atlantis", "triage.search_bad_region"),
        ("status:hilang", "triage.search_bad_state"),
        ("kategori:zzz", "triage.search_bad_category"),
        ("dari:kemarin", "triage.search_bad_date"),
        ("dari:2023-02-30", "triage.search_bad_date"),
        ("dari:2023-12-01 sampai:2023-11-01", "triage.search_bad_range"),
        ("nama:" + "x" * 150, "triage.search_bad_name"),
    ],
)
def test_search_errors_name_the_problem(query: str, key: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_search(query, REGIONS, TZ)
    assert caught.value.key == key


def test_search_error_values_are_escaped() -> None:
    with pytest.raises(SearchError) as caught:
        parse_search("wilayah:<b>", REGIONS, TZ)
    assert caught.value.value == "&lt;b&gt;"


def test_dates_and_ranges() -> None:
    assert parse_day("2023-11-05") == parse_day("5/11/2023") == parse_day("05-11-2023") == date(2023, 11, 5)
    assert parse_day("11/2023") is None
    today = date(2023, 11, 20)
    default = parse_range("", today)
    assert (default.first, default.last) == (date(2023, 10, 22), today)
    assert parse_range("2023-11-01", today).last == today
    with pytest.raises(SearchError):
        parse_range("a b c", today)


@pytest.mark.parametrize("query", ["sampai:9999-12-31", "dari:0001-01-01", "dari:31/12/9999", "sampai:01-01-0001"])
def test_search_dates_out_of_range_are_named(query: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_search(query, REGIONS, TZ)
    assert caught.value.key == "triage.search_date_out_of_range"
    assert caught.value.value == query.partition(":")[2]


@pytest.mark.parametrize("args", ["0001-01-01 2024-01-01", "2024-01-01 9999-12-31", "9999-12-31"])
def test_export_dates_out_of_range_are_named(args: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse_range(args, date(2023, 11, 20))
    assert caught.value.key == "triage.search_date_out_of_range"


def test_the_outermost_days_in_range_become_instants_storage_can_hold() -> None:
    where = parse_search("dari:0001-01-02 sampai:9999-12-30", REGIONS, TZ)
    assert where.received_from is not None and where.received_before is not None
    assert iso(where.received_from) < iso(where.received_before)
    start, end = parse_range("0001-01-02 9999-12-30", date(2023, 11, 20)).instants(TZ)
    assert start is not None and end is not None and iso(start) < iso(end)


async def test_search_in_the_database(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        budi = await add_report(store, address="1", subject="Budi 50%_Santoso")
        await add_report(store, address="2", subject="Sri Wahyuni", region="kota-surakarta", category=Category.MEDSOS)
        await service.move(budi.id, Action.CLAIM, ReportState.BARU, ALICE)
        found, total = await service.triage.search(
            parse_search("nama:budi status:diproses", REGIONS, TZ), limit=10, offset=0
        )
        assert total == 1 and found[0].code == budi.code
        # LIKE wildcards typed by a supervisor match themselves only.
        assert (await service.triage.search(ReportFilter(name="50%_"), limit=10, offset=0))[1] == 1
        assert (await service.triage.search(ReportFilter(name="5_%"), limit=10, offset=0))[1] == 0
        page = await service.page(
            parse_search("wilayah:solo", REGIONS, TZ),
            0,
            header_key="triage.search_header",
            empty_key="triage.search_empty",
        )
        assert page.total == 1 and "Sri Wahyuni" in page.text and "Kota Surakarta" in page.text


def test_formula_cells_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("+62812") == "'+62812" and safe_cell("@x") == "'@x" and safe_cell("-1") == "'-1"
    assert safe_cell("Budi") == "Budi" and safe_cell(3) == 3 and safe_cell(None) is None


async def test_export_rows_and_files(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        anonymous = await add_report(
            store,
            address="5001",
            photos=(photo("a" * 64),),
            links=("https://x.example",),
            description="=cmd|' /C calc'!A0 lalu kepala dinas kampanye terang-terangan",
        )
        shared = await add_report(
            store, address="5002", subject=None, contact=Contact(name="Sri Rahayu", phone="+6281234567890")
        )
        await service.move(anonymous.id, Action.CLAIM, ReportState.BARU, ALICE)
        await service.move(anonymous.id, Action.VERIFY, ReportState.DIPROSES, ALICE)
        await service.move(anonymous.id, Action.FORWARD, ReportState.TERVERIFIKASI, ALICE, target=ForwardTarget.BKN)
        start = datetime(2023, 11, 1, tzinfo=TZ)
        rows = await service.triage.export_rows(start, datetime(2023, 12, 1, tzinfo=TZ))
        assert await service.triage.export_rows(datetime(2023, 12, 1, tzinfo=TZ), datetime(2024, 1, 1, tzinfo=TZ)) == []
    table = export_table(rows, REGIONS, "id", TZ, date(2023, 11, 20))
    header = table[0]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    first = by_code[anonymous.code]
    assert first["Status"] == "Diteruskan" and first["Kabupaten/Kota"] == "Kab. Klaten"
    assert first["Catatan terakhir"] == "Satgas Netralitas BKN" and first["Oleh"] == "Alice Pengawas"
    assert first["Nama pelapor (dibagikan)"] == "" and first["Telepon pelapor (dibagikan)"] == ""
    assert first["Syarat yang kurang"] == "identitas pelapor" and first["Jumlah foto"] == 1
    second = by_code[shared.code]
    assert second["Nama pelapor (dibagikan)"] == "Sri Rahayu"
    assert second["Telepon pelapor (dibagikan)"] == "+6281234567890"
    assert second["Pelapor (samaran)"].startswith(tuple("0123456789ABCDEFGHJKMNPQRSTVWXYZ"))
    workbook = load_workbook(io.BytesIO(to_xlsx(table, "Laporan")))
    sheet = workbook["Laporan"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == header and len(values) == 3
    description = values[1 + [r[0] for r in table[1:]].index(anonymous.code)][header.index("Kronologi")]
    assert isinstance(description, str) and description.startswith("'=cmd")  # text, not a formula
    parsed = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert parsed[0] == header and len(parsed) == 3


async def test_card_lines_show_state_clock_checklist_and_duplicates(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store, now=datetime(2023, 11, 23, 3, 0, tzinfo=UTC))
        older = await add_report(store, address="1", photos=(photo("a" * 64),), incident=date(2023, 11, 17))
        report = await add_report(
            store,
            address="2",
            photos=(photo("a" * 64),),
            incident=date(2023, 11, 17),
            description="<script>alert(1)</script> " * 300,
        )
        await service.move(report.id, Action.CLAIM, ReportState.BARU, ALICE)
        await service.move(report.id, Action.REQUEST_INFO, ReportState.DIPROSES, ALICE, note="Siapa <saksi>?")
        view = await service.card(await store.reports.get(report.id))  # type: ignore[arg-type]
        history = await service.history(report)
    text = view.text
    assert len(text) <= MESSAGE_LIMIT and "<script>" not in text
    assert "Status:</b> Butuh info" in text
    assert "Minta info oleh Alice Pengawas" in text and "Pertanyaan: <i>Siapa &lt;saksi&gt;?</i>" in text
    assert "tinggal 1 hari" in text  # incident 17 Nov, today 23 Nov: 24 Nov is the last day
    assert "Belum terpenuhi:</b> identitas pelapor" in text
    assert f"Mungkin ganda dengan</b> <code>{older.code}</code>: foto yang persis sama" in text
    assert [b.label for row in view.buttons for b in row] == ["✅ Verifikasi", "❓ Minta info", "🚫 Tolak"]
    assert "Riwayat" in history[0] and "Laporan masuk" in history[0] and "Diambil" in history[0]
    assert "→ Butuh info" in history[0] and "Pelapor" in history[0]
