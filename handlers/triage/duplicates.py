"""Likely duplicates of a report: the same photo file, a near-identical picture, or the same terlapor at
the same place within a few days. Warnings only: a supervisor decides (and may reject as duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from handlers.common.text import normalize_label
from handlers.report.images import hamming
from storage.models import Evidence, PhotoEvidence, Report
from storage.triage import PhotoMatch, TriageStore

DHASH_MAX_DISTANCE: Final = 6  # handlers.report.images: <= ~5 is the same picture re-encoded or resized
SUBJECT_WINDOW_DAYS: Final = 3
PHOTO_LOOKBACK: Final = timedelta(days=120)
MAX_WARNINGS: Final = 5
# Honorifics and academic titles people add or leave out: "Bapak Drs. Budi Santoso, M.Pd" is Budi Santoso.
_NAME_NOISE: Final = frozenset(
    {
        "bapak",
        "bpk",
        "pak",
        "ibu",
        "bu",
        "sdr",
        "saudara",
        "sdri",
        "h",
        "hj",
        "haji",
        "hajjah",
        "drs",
        "dra",
        "dr",
        "ir",
        "prof",
        "spd",
        "mpd",
        "se",
        "sh",
        "mh",
        "mm",
        "msi",
        "ssos",
        "sag",
        "st",
        "mt",
        "skm",
        "skep",
        "ssi",
        "sip",
        "ak",
        "amd",
        "ma",
        "mba",
        "s",
        "m",
    }
)


class DuplicateKind(StrEnum):
    SAME_FILE = "same_file"  # identical SHA-256
    SIMILAR_PHOTO = "similar_photo"  # dHash within DHASH_MAX_DISTANCE bits
    SAME_SUBJECT = "same_subject"  # same terlapor name and region, incidents within a few days


@dataclass(frozen=True, slots=True)
class Duplicate:
    kind: DuplicateKind
    report_id: int
    code: str


def name_tokens(name: str) -> frozenset[str]:
    return frozenset(token for token in normalize_label(name).split() if token not in _NAME_NOISE)


def same_person(a: str, b: str) -> bool:
    """The same name once titles are dropped; or one full name (two words or more) inside the other."""
    first, second = name_tokens(a), name_tokens(b)
    if not first or not second:
        return False
    if first == second:
        return True
    shorter, longer = sorted((first, second), key=len)
    return len(shorter) >= 2 and shorter <= longer


def photo_duplicates(mine: list[PhotoEvidence], others: list[PhotoMatch]) -> list[Duplicate]:
    """One warning per other report, the strongest kind first (an identical file beats a look-alike)."""
    hashes = {p.sha256 for p in mine}
    dhashes = [p.dhash for p in mine if p.dhash]
    found: dict[int, Duplicate] = {}
    for other in others:
        if other.sha256 in hashes:
            found[other.report_id] = Duplicate(DuplicateKind.SAME_FILE, other.report_id, other.code)
        elif other.report_id not in found and other.dhash and any(_close(own, other.dhash) for own in dhashes):
            found[other.report_id] = Duplicate(DuplicateKind.SIMILAR_PHOTO, other.report_id, other.code)
    return list(found.values())


def _close(a: str, b: str) -> bool:
    try:
        return hamming(a, b) <= DHASH_MAX_DISTANCE
    except ValueError:  # a malformed stored hash is no evidence of anything
        return False


def subject_duplicates(report: Report, candidates: list[Report]) -> list[Duplicate]:
    if not report.subject_name:
        return []
    window = timedelta(days=SUBJECT_WINDOW_DAYS)
    return [
        Duplicate(DuplicateKind.SAME_SUBJECT, other.id, other.code)
        for other in candidates
        if other.id != report.id
        and other.region_id == report.region_id
        and other.subject_name
        and abs(other.incident_date - report.incident_date) <= window
        and same_person(report.subject_name, other.subject_name)
    ]


async def find_duplicates(
    triage: TriageStore,
    report: Report,
    evidence: list[Evidence],
    now: datetime,
) -> list[Duplicate]:
    """Every likely duplicate of `report`, one per other ticket, oldest other ticket first."""
    photos = [e.photo for e in evidence if e.photo is not None]
    found: dict[int, Duplicate] = {}
    if photos:
        others = await triage.photos_elsewhere(report.id, now - PHOTO_LOOKBACK)
        for dup in photo_duplicates(photos, others):
            found[dup.report_id] = dup
    if report.subject_name:
        window = timedelta(days=SUBJECT_WINDOW_DAYS)
        candidates = await triage.same_region_around(
            report, report.incident_date - window, report.incident_date + window
        )
        for dup in subject_duplicates(report, candidates):
            found.setdefault(dup.report_id, dup)
    return [found[key] for key in sorted(found)][:MAX_WARNINGS]
