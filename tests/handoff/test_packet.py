"""The case packet PDF: B.1's order, every field, the hashes, and no identity the reporter did not share."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from handlers.handoff.packet import ArchiveRef, Identity, printable, render_pdf, section_order
from tests.handoff.packets import archive_of, originals, packet


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # pypdf breaks lines where the PDF does; joining on spaces lets a test find a value a line wrapped.
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_sections_follow_formulir_b1_then_the_officers_part() -> None:
    text = text_of(render_pdf(packet()))
    positions = [text.find(heading) for heading in section_order()]
    assert -1 not in positions, positions
    assert positions == sorted(positions)


def test_every_field_is_in_its_section_in_the_forms_order() -> None:
    text = text_of(render_pdf(packet()))
    sections = section_order()
    expected = {
        sections[0]: ["Anonim", "R7KQ2M"],
        sections[1]: ["Budi Santoso", "Dinas Pendidikan Kab. Klaten, guru", "PNS", "198001012005011001"],
        sections[2]: [
            "Kampanye",
            "Kab. Klaten",
            "Lapangan Desa Jogonalan",
            "-7.705600, 110.606100",
            "Sabtu, 10 Februari 2024",
            "Minggu, 11 Februari 2024",
        ],
        sections[3]: ["Siti Aminah", "0812-3456-7890", "Data saksi berasal dari pelapor"],
        sections[4]: ["Foto 1", "Foto 2", "https://www.instagram.com/p/abc123"],
        sections[5]: ["kaos partai dan berpidato"],
        sections[6]: ["Diterima melalui", "Lapor Netral, lewat WhatsApp", "Minggu, 11 Februari 2024, 09.00 WIB"],
        sections[7]: [
            "Syarat formal",
            "identitas pelapor",
            "belum ada",
            "Minggu, 18 Februari 2024",
            "LN-2B8C4D",
            "pelapor R7KQ2M",
            "Rina (pengawas)",
            "Bawaslu Kab. Klaten",
        ],
    }
    assert set(expected) == set(sections)
    for heading, values in expected.items():
        start = text.index(heading)
        following = [text.index(s) for s in sections if text.index(s) > start]
        body = text[start : min(following) if following else len(text)]
        at = 0
        for value in values:  # each value in its section, after the one before it
            found = body.find(value, at)
            assert found != -1, (heading, value, body[at : at + 200])
            at = found + len(value)


def test_each_photo_carries_the_sha256_of_its_original_and_its_metadata(tmp_path: Path) -> None:
    files = originals(3, tmp_path)
    archive, _ = archive_of("LN-7F3K9Q", files)
    text = text_of(render_pdf(packet(files=files, archive=ArchiveRef(archive.name, archive.sha256, 3))))
    compact = text.replace(" ", "")
    for original in files:
        assert original.sha256 in compact
    assert archive.sha256 in compact and "bukti-LN-7F3K9Q.zip" in text
    assert "Sabtu, 10 Februari 2024, 08.16 WIB" in text  # the first photo's capture time, in WIB
    assert "GPS (metadata): -7.705600, 110.606100" in text


def test_an_anonymous_report_is_informasi_awal_without_any_identity() -> None:
    text = text_of(render_pdf(packet()))
    assert text.startswith("INFORMASI AWAL")
    assert "Anonim" in text and "informasi awal" in text
    assert "LAPORAN DUGAAN" not in text


def test_a_named_reporter_makes_a_laporan_with_what_they_shared() -> None:
    text = text_of(render_pdf(packet(identity=Identity("Ani Wijaya", "+6281234567890"))))
    assert text.startswith("LAPORAN DUGAAN PELANGGARAN NETRALITAS ASN")
    assert "Ani Wijaya" in text and "+6281234567890" in text and "Anonim" not in text


def test_text_the_font_cannot_draw_is_marked_not_lost() -> None:
    assert printable("Bukti 🙂 ada") == "Bukti \ufffd ada"
    text = text_of(render_pdf(packet(description="Kronologi 🙂 " + "kalimat panjang " * 400)))
    assert "Kronologi" in text and text.count("kalimat panjang") >= 300  # several pages, nothing cut


def test_the_english_rendering_uses_the_same_order() -> None:
    text = text_of(render_pdf(packet(), "en"))
    assert text.startswith("INITIAL INFORMATION")
    positions = [text.find(heading) for heading in section_order("en")]
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.skipif(not Path("/usr/bin/pdftoppm").exists(), reason="poppler-utils renders the page")
def test_the_first_page_renders(tmp_path: Path) -> None:
    pdf = tmp_path / "paket.pdf"
    pdf.write_bytes(render_pdf(packet()))
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True, timeout=60
    )
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 5_000
    assert re.match(rb"\x89PNG", page.read_bytes()[:4])
