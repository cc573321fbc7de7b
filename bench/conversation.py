"""The report the benchmarks' citizens type: today's conversation, each button answered by typing its label
(the core accepts a button's label wherever it offers the button).

One list for every benchmark, and tests/bench/test_conversation_script.py types it against the test
harness: when the conversation changes, a test fails instead of a benchmark quietly measuring replies
to a conversation that never reaches Kirim.
"""

from __future__ import annotations

import re
from typing import Final

REGION: Final = "<region>"  # the kabupaten/kota, typed by name
PHOTO: Final = "<photo>"  # one photo
PHOTOS: Final = "<photos>"  # the citizen's photos, one message each
CODE_RE: Final = re.compile(r"LN-[2-9A-HJKMNP-Z]{6}")  # the ticket's code


def steps(*, region: str = REGION, evidence: tuple[str, ...] = (PHOTOS,)) -> tuple[str, ...]:
    return (
        "/start",
        "/lapor",
        "Media sosial",
        "Budi Santoso",
        "Dinas Pendidikan",
        "PNS",
        region,
        "Balai desa",
        "Lewati lokasi",
        "kemarin",
        "Sama dengan hari kejadian",
        "Ia membagikan poster calon bupati di grup WhatsApp dinas dan mengajak rekan memilihnya.",
        "Selesai",
        *evidence,
        "Selesai kirim bukti",
        "Tidak ada saksi",
        "Lewati (tetap anonim)",
        "Kirim",
    )
