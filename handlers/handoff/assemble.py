"""Gathering one report's packet and archive from storage: what the Teruskan hook, /paket and the CLI share."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from handlers.handoff.archive import Archive, Original, archive_name, write_archive
from handlers.handoff.packet import (
    ArchiveRef,
    CasePacket,
    Identity,
    Link,
    Photo,
    Step,
    Witness,
    pdf_name,
    render_pdf,
)
from handlers.report.intake import PREVIEW_KIND
from handlers.report.prompts import region_text
from handlers.triage.duplicates import find_duplicates
from handlers.triage.machine import REPORTER_ACTOR
from handlers.triage.rules import bawaslu_deadline, requirements
from locales import t
from storage.models import Evidence, Report
from storage.reports import normalize_code
from storage.store import Store
from storage.triage import TriageStore

# A supervisor's id never goes in a document that leaves the team; a nameless one is "a supervisor".
SUPERVISOR = "pengawas"


@dataclass(frozen=True, slots=True)
class Handoff:
    packet: CasePacket
    pdf: bytes
    archive: Archive


async def assemble(
    store: Store,
    triage: TriageStore,
    regions: RegionCatalog,
    report: Report,
    *,
    tz: ZoneInfo,
    now: datetime,
    locale: str = "id",
    archive_to: IO[bytes] | None = None,
) -> Handoff:
    """The packet (PDF) and the evidence archive of `report`, as they stand at `now`.

    The archive is written into `archive_to` for whoever hands it over (a custodian, the command line);
    without it, into a scratch file that is dropped once the PDF has the archive's SHA-256."""
    packet, archive = await gather(store, triage, regions, report, tz=tz, now=now, locale=locale, archive_to=archive_to)
    assert archive is not None
    # Rendering takes a fraction of a second per page of photos: off the event loop, like the archive.
    return Handoff(packet, await asyncio.to_thread(render_pdf, packet, locale), archive)


async def write_evidence(store: Store, report: Report, out: IO[bytes]) -> Archive:
    """The evidence archive of `report` alone, into `out` (no PDF): what a custodian's /arsip sends."""
    evidence = await store.reports.evidence(report.id)
    return await asyncio.to_thread(write_archive, report.code, _originals(store, evidence), out)


def _originals(store: Store, evidence: Sequence[Evidence]) -> list[Original]:
    return [
        Original(
            item.position,
            item.photo.sha256,
            item.photo.mime,
            store.files.path(item.photo.sha256),
            item.photo.captured_at,
        )
        for item in evidence
        if item.photo is not None
    ]


def _archive(store: Store, code: str, originals: list[Original], out: IO[bytes] | None) -> Archive:
    """Blocking: reads and hashes every original."""
    if out is not None:
        return write_archive(code, originals, out)
    with store.files.scratch() as scratch:
        return write_archive(code, originals, scratch)


async def gather(
    store: Store,
    triage: TriageStore,
    regions: RegionCatalog,
    report: Report,
    *,
    tz: ZoneInfo,
    now: datetime,
    for_reporter: bool = False,
    locale: str = "id",
    archive_to: IO[bytes] | None = None,
) -> tuple[CasePacket, Archive | None]:
    """The packet's content; `for_reporter` leaves out what only the office may see (duplicates, the
    timeline with supervisors' names) and the archive of originals, whose files the reporter has already."""
    evidence = await store.reports.evidence(report.id)
    alias = await store.reporters.report_alias(report.id)
    contact = await store.reports.contact(report.id) if report.contact_shared else None
    events = [] if for_reporter else await store.reports.events(report.id)
    duplicates = [] if for_reporter else await find_duplicates(triage, report, evidence, now)
    photos: list[Photo] = []
    links: list[Link] = []
    for item in evidence:
        if item.photo is not None:
            photo = item.photo
            photos.append(
                Photo(
                    item.position,
                    photo.sha256,
                    await store.files.get_derived(photo.sha256, PREVIEW_KIND),
                    photo.captured_at,
                    photo.latitude,
                    photo.longitude,
                )
            )
        elif item.url:
            links.append(Link(item.url, item.added_at))
    archive = (
        None
        if for_reporter
        else await asyncio.to_thread(_archive, store, report.code, _originals(store, evidence), archive_to)
    )
    witnesses = await store.reports.witnesses(report.id)
    packet = CasePacket(
        code=report.code,
        category=report.category,
        subject_name=report.subject_name,
        subject_agency=report.subject_agency,
        subject_status=report.subject_status,
        region_name=region_text(report.region_id, report.workplace, regions, locale),
        place=report.place,
        incident_date=report.incident_date,
        known_date=report.known_day,
        description=report.description,
        reporter_alias=alias,
        channel=report.channel,
        received_at=report.created_at,
        checklist=requirements(report, evidence),
        deadline=bawaslu_deadline(report.known_day, now.astimezone(tz).date()),
        made_at=now,
        tz=tz,
        latitude=report.latitude,
        longitude=report.longitude,
        reporter=Identity(contact.name, contact.phone) if contact else None,
        witnesses=tuple(Witness(w.name, w.reach) for w in witnesses),
        photos=tuple(photos),
        links=tuple(links),
        archive=ArchiveRef(archive.name, archive.sha256, len(archive.manifest)) if archive else None,
        duplicates=tuple(d.code for d in duplicates),
        timeline=tuple(
            Step(
                e.at,
                e.action,
                t(locale, "handoff.timeline_reporter", alias=alias)
                if e.actor == REPORTER_ACTOR
                else (e.actor_name or SUPERVISOR),
                e.note,
            )
            for e in events
        ),
    )
    return packet, archive


async def write_packet(
    store: Store,
    triage: TriageStore,
    regions: RegionCatalog,
    code: str,
    out_dir: Path,
    *,
    tz: ZoneInfo,
    now: datetime,
    released_by: tuple[str, str | None],
) -> tuple[Path, Path] | None:
    """`python -m bot paket KODE`: the PDF and the archive of originals in `out_dir`; None for an unknown code.

    The archive holds originals, so writing it is a release: the audit log records who (`released_by`, actor
    and name) took how many, before the files exist, as /bukti does for custodians."""
    report = await store.reports.by_code(normalize_code(code))
    if report is None:
        return None
    originals = sum(1 for item in await store.reports.evidence(report.id) if item.photo is not None)
    if originals:
        actor, name = released_by
        await triage.record_release(report.id, actor=actor, actor_name=name, at=now, files=originals)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / archive_name(report.code)
    partial = archive.with_name(f".{archive.name}.partial")
    # Written under another name and renamed once whole: a failed write never leaves a file that looks
    # like the archive.
    try:
        with partial.open("w+b") as out:
            handoff = await assemble(store, triage, regions, report, tz=tz, now=now, archive_to=out)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    pdf = out_dir / pdf_name(report.code)
    pdf.write_bytes(handoff.pdf)
    return pdf, archive
