"""The shared vocabulary of reports: enums and the pydantic records the repositories return."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    DEMO = "demo"


class Category(StrEnum):
    """The eight button-sized groups of SKB 2/2022's thirteen forms of violation."""

    MEDSOS = "medsos"
    FOTO = "foto"
    KAMPANYE = "kampanye"
    ALAT_PERAGA = "alat_peraga"
    FASILITAS = "fasilitas"
    KEPUTUSAN = "keputusan"
    PARTAI = "partai"
    LAINNYA = "lainnya"


class SubjectStatus(StrEnum):
    PNS = "pns"
    PPPK = "pppk"
    NON_ASN = "non_asn"
    UNKNOWN = "unknown"


class ReportState(StrEnum):
    BARU = "baru"
    DIPROSES = "diproses"
    BUTUH_INFO = "butuh_info"
    TERVERIFIKASI = "terverifikasi"
    DITERUSKAN = "diteruskan"
    SELESAI = "selesai"
    DITOLAK = "ditolak"


CLOSED_STATES: Final = frozenset({ReportState.SELESAI, ReportState.DITOLAK})


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reporter(Record):
    id: int
    channel: Channel
    address: str
    locale: str | None
    pseudonym: str


class PhotoEvidence(Record):
    """A stored photo: the original by SHA-256, and what was read from its metadata."""

    sha256: str
    mime: str
    size_bytes: int
    width: int
    height: int
    captured_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    dhash: str | None = None
    # The reporter's channel's id for these bytes (Telegram file_id), set only when the original carries
    # nothing the supervisors may not see: the group can then be sent it again without an upload.
    source_id: str | None = None


class Evidence(Record):
    kind: str
    position: int
    photo: PhotoEvidence | None = None
    url: str | None = None
    added_at: datetime


class Contact(Record):
    name: str | None
    phone: str


class NewReport(Record):
    """Everything a finished draft carries into the database."""

    reporter_id: int
    channel: Channel
    category: Category
    subject_name: str | None
    subject_agency: str | None
    subject_status: SubjectStatus
    region_id: str
    place: str
    latitude: float | None
    longitude: float | None
    incident_date: date
    description: str
    locale: str
    photos: tuple[PhotoEvidence, ...]
    links: tuple[str, ...]
    contact: Contact | None


class Report(Record):
    id: int
    code: str
    reporter_id: int
    channel: Channel
    state: ReportState
    category: Category
    subject_name: str | None
    subject_agency: str | None
    subject_status: SubjectStatus
    region_id: str
    place: str
    latitude: float | None
    longitude: float | None
    incident_date: date
    description: str
    contact_shared: bool
    locale: str
    created_at: datetime
    updated_at: datetime
    card_chat_id: int | None
    card_message_id: int | None
    # The supervisors' group the report belongs to (None until first forwarded), and how its card was
    # posted: "text" or "caption" (storage/migrations/0010_region_groups.sql).
    group_chat_id: int | None = None
    card_kind: str = "text"


class NewEvent(Record):
    """An entry for the append-only event log, before it has an id; a move adds its states."""

    actor: str
    action: str
    at: datetime
    actor_name: str | None = None
    note: str | None = None
    detail: str | None = None


class Event(Record):
    """One entry of a report's event log: its creation, a supervisor's move, the reporter's answer."""

    id: int
    report_id: int
    at: datetime
    actor: str
    actor_name: str | None
    action: str
    from_state: ReportState | None
    to_state: ReportState | None
    note: str | None
    detail: str | None


class Owed(Record):
    """A message the bot owes someone, as the outbox stores it; built by handlers/common/owed.py."""

    kind: str
    dedupe_key: str
    payload: dict[str, object]


class OutboxItem(Record):
    id: int
    kind: str
    payload: dict[str, object]
    attempts: int
    progress: dict[str, object]
