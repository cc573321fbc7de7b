"""The case packet: one report as a PDF in the order of Bawaslu's Formulir Model B.1, then the officer's part.

B.1 (Perbawaslu 7/2022) reads: Identitas Pelapor, Identitas Terlapor, Peristiwa (what, where, the day it
happened, the day it became known), Saksi, Bukti, Uraian kejadian. The packet follows that order so that an
officer can copy it onto the form line by line, then adds what the kajian awal needs: the formal and
material requirements, the 7-day window, likely duplicates and the triage timeline.

A report without the reporter's identity does not meet the formal requirement and is handed over as
*informasi awal*: the title says so and the reporter appears only as "anonymous" and by an alias made for
this report alone (never the groups' per-reporter pseudonym, which would tie the reporter's packets
together). Where and when Lapor Netral received the report closes B.1's part, as the form's receipt does. The
packet shows the metadata-free copies of the photos (the group's copies), each with the SHA-256 of its
original; the originals travel in the evidence archive, whose hash the packet names.

Rendering uses fpdf2 with DejaVu Sans embedded (shipped by matplotlib), so every Indonesian or English
character is real, searchable text; glyphs the font lacks (most emoji) become U+FFFD rather than vanish.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from handlers.common.when import format_long_date
from handlers.triage.rules import Checklist, Deadline, DeadlineStatus, Requirement
from locales import MissingTranslation, t, tn
from storage.models import Category, Channel, SubjectStatus

FONT: Final = "DejaVu"
_FONT_DIR: Final = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_THUMB_MM: Final = 38.0
_LABEL_MM: Final = 58.0
_REPLACEMENT: Final = "\ufffd"


@dataclass(frozen=True, slots=True)
class Identity:
    """What the reporter chose to share; absent when they stayed anonymous."""

    name: str | None
    phone: str


@dataclass(frozen=True, slots=True)
class Witness:
    name: str
    reach: str | None  # how to reach them, as the reporter typed it


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo as the packet shows it: the clean copy's bytes, the original's hash and what its metadata held."""

    position: int
    original_sha256: str
    clean_copy: bytes | None
    captured_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ArchiveRef:
    name: str
    sha256: str
    files: int


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the triage timeline: supervisors by name, the reporter by the packet's alias."""

    at: datetime
    action: str  # an Action value (triage.action_<action> in the catalog)
    actor: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CasePacket:
    code: str
    category: Category
    subject_name: str | None
    subject_agency: str | None
    subject_status: SubjectStatus
    region_name: str
    place: str
    incident_date: date
    description: str
    reporter_alias: str  # this report's alias for its reporter (Reporters.report_alias), never the pseudonym
    channel: Channel
    received_at: datetime
    checklist: Checklist
    deadline: Deadline
    made_at: datetime
    tz: ZoneInfo
    known_date: date | None = None
    subject_nip: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter: Identity | None = None
    witnesses: tuple[Witness, ...] = ()
    photos: tuple[Photo, ...] = ()
    links: tuple[Link, ...] = ()
    archive: ArchiveRef | None = None
    duplicates: tuple[str, ...] = ()
    timeline: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def formal(self) -> bool:
        """Whether the packet is a report (the reporter is named) or informasi awal."""
        return self.reporter is not None


def pdf_name(code: str) -> str:
    return f"paket-{code}.pdf"


@cache
def _glyphs() -> frozenset[int]:
    with TTFont(_FONT_DIR / "DejaVuSans.ttf") as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """The text with every character the embedded font cannot draw replaced by U+FFFD.

    A visible mark, not a silent drop: the chronology is evidence, and the officer must see that a
    character was there (the original text is in the database and on the card).
    """
    glyphs = _glyphs()
    return "".join(c if ord(c) in glyphs or c in "\n\t" else _REPLACEMENT for c in text)


def label(text: str) -> str:
    """A catalog label without the emoji that decorates it in chat ("🗳 Kampanye" → "Kampanye")."""
    glyphs = _glyphs()
    kept = "".join(c for c in text if ord(c) in glyphs and unicodedata.category(c) != "So")
    return " ".join(kept.split())


class _Document(FPDF):
    def __init__(self, code: str, locale: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._code = code
        self._locale = locale
        self.add_font(FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(_FONT_DIR / "DejaVuSans-Oblique.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(110)
        self.cell(0, 5, t(self._locale, "handoff.footer", code=self._code, page=self.page_no()), align="C")
        self.set_text_color(0)


class PacketWriter:
    """The office's packet, section by section; the reporter's own form (own_form.py) overrides some."""

    def __init__(self, packet: CasePacket, locale: str) -> None:
        self.p = packet
        self.locale = locale
        self.doc = _Document(packet.code, locale)
        self.doc.set_title(printable(self._title()))
        self.doc.set_author("Lapor Netral")
        self.doc.set_creation_date(packet.made_at)

    def _t(self, key: str, **values: object) -> str:
        return t(self.locale, f"handoff.{key}", **values)

    def _title(self) -> str:
        return self._t("title_formal" if self.p.formal else "title_initial")

    def _day(self, day: date) -> str:
        return format_long_date(day, self.locale)

    def _moment(self, moment: datetime) -> str:
        local = moment.astimezone(self.p.tz)
        return f"{format_long_date(local.date(), self.locale)}, {local:%H.%M} {local.tzname()}"

    # --- layout primitives -----------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        doc = self.doc
        doc.ln(3)
        doc.set_font(FONT, "B", 11.5)
        doc.set_fill_color(232, 238, 246)
        doc.cell(0, 7.5, printable(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1.5)

    def _height(self, width: float, text: str) -> float:
        """How tall `text` will be in the current font, laid out in `width` (fpdf2's dry run)."""
        height = self.doc.multi_cell(width, 5.2, text, dry_run=True, output="HEIGHT")
        assert isinstance(height, float | int)
        return float(height)

    def row(self, label: str, value: str) -> None:
        doc = self.doc
        label, value = printable(label), printable(value)
        doc.set_font(FONT, "B", 9.5)
        label_height = self._height(_LABEL_MM - 3, label)
        doc.set_font(FONT, "", 9.5)
        value_width = doc.w - doc.r_margin - doc.l_margin - _LABEL_MM
        value_height = self._height(value_width, value)
        if doc.will_page_break(max(label_height, value_height)):
            doc.add_page()
        y = doc.get_y()
        doc.set_font(FONT, "B", 9.5)
        doc.multi_cell(_LABEL_MM - 3, 5.2, label, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_xy(doc.l_margin + _LABEL_MM, y)
        doc.set_font(FONT, "", 9.5)
        doc.multi_cell(value_width, 5.2, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_y(y + max(label_height, value_height) + 0.8)

    def para(self, text: str, *, style: str = "", size: float = 9.5) -> None:
        self.doc.set_font(FONT, style, size)
        self.doc.multi_cell(0, 5.2, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # --- the sections, in B.1's order ---------------------------------------------------------------
    def title(self) -> None:
        doc = self.doc
        doc.add_page()
        doc.set_font(FONT, "B", 15)
        doc.multi_cell(0, 7.5, printable(self._title()), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, "", 9)
        doc.set_text_color(80)
        doc.multi_cell(
            0,
            5,
            printable(self._t("subtitle", code=self.p.code, made=self._moment(self.p.made_at))),
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        doc.set_text_color(0)
        if not self.p.formal:
            self.note_box(self._t("initial_note"))

    def note_box(self, text: str) -> None:
        """A framed note under the title, on the form's pale yellow: what the reader must know first."""
        doc = self.doc
        doc.ln(2)
        doc.set_fill_color(255, 244, 214)
        doc.set_font(FONT, "", 9.5)
        doc.multi_cell(
            0, 5.2, printable(text), fill=True, border=1, align="L", padding=2, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def reporter(self) -> None:
        self.heading(self._t("section_reporter"))
        identity = self.p.reporter
        if identity is None:
            self.row(self._t("field_name"), self._t("anonymous"))
        else:
            self.row(self._t("field_name"), identity.name or self._t("not_given"))
            self.row(self._t("field_phone"), identity.phone)
        self.row(self._t("field_alias"), self.p.reporter_alias)

    def subject(self) -> None:
        self.heading(self._t("section_subject"))
        unknown = self._t("unknown")
        self.row(self._t("field_name"), self.p.subject_name or unknown)
        self.row(self._t("field_agency"), self.p.subject_agency or unknown)
        self.row(self._t("field_asn_status"), label(t(self.locale, f"status.{self.p.subject_status}")))
        self.row(self._t("field_nip"), self.p.subject_nip or unknown)

    def event(self) -> None:
        self.heading(self._t("section_event"))
        self.row(self._t("field_what"), label(t(self.locale, f"category.{self.p.category}")))
        self.row(self._t("field_region"), self.p.region_name)
        self.row(self._t("field_where"), self.p.place)
        if self.p.latitude is not None and self.p.longitude is not None:
            self.row(self._t("field_gps"), f"{self.p.latitude:.6f}, {self.p.longitude:.6f}")
        self.row(self._t("field_incident_day"), self._day(self.p.incident_date))
        known = self.p.known_date
        self.row(self._t("field_known_day"), self._day(known) if known else self._t("known_as_incident"))

    def witnesses(self) -> None:
        self.heading(self._t("section_witnesses"))
        if not self.p.witnesses:
            self.para(self._t("no_witnesses"))
        for number, witness in enumerate(self.p.witnesses, start=1):
            self.row(
                self._t("witness_label", n=number),
                self._t("witness", name=witness.name, reach=witness.reach or self._t("unknown")),
            )
        if self.p.witnesses:
            # The witnesses gave the reporter nothing to pass on and agreed to nothing: the officer must
            # know their details came second-hand before calling anyone.
            self.para(self._t("witnesses_third_party"), style="I", size=8.5)

    def evidence(self) -> None:
        self.heading(self._t("section_evidence"))
        if not self.p.photos and not self.p.links:
            self.para(self._t("no_evidence"))
        for photo in self.p.photos:
            self._photo(photo)
        for number, link in enumerate(self.p.links, start=1):
            self.row(
                self._t("link_label", n=number), self._t("link", url=link.url, when=self._moment(link.received_at))
            )
        if self.p.archive is not None:
            self.doc.ln(1)
            archive = self.p.archive
            self.para(
                tn(
                    self.locale,
                    "handoff.archive_line",
                    archive.files,
                    name=archive.name,
                    files=archive.files,
                    sha256=archive.sha256,
                ),
                style="I",
                size=8.5,
            )

    def _photo(self, photo: Photo) -> None:
        doc = self.doc
        if doc.will_page_break(_THUMB_MM + 4):
            doc.add_page()
        top = doc.get_y()
        x = doc.l_margin
        shown = False
        if photo.clean_copy:
            try:
                info = doc.image(io.BytesIO(photo.clean_copy), x=x, y=top, w=_THUMB_MM)
                shown = True
                image_bottom = top + float(info.rendered_height)
            except Exception:  # a copy fpdf cannot read still leaves its hash on the page
                shown = False
        if not shown:
            image_bottom = top
        text_x = x + (_THUMB_MM + 4 if shown else 0)
        doc.set_xy(text_x, top)
        width = doc.w - doc.r_margin - text_x
        lines = [self._t("photo_label", n=photo.position), self._t("photo_sha", sha256=photo.original_sha256)]
        if photo.captured_at is not None:
            lines.append(self._t("photo_captured", when=self._moment(photo.captured_at)))
        if photo.latitude is not None and photo.longitude is not None:
            lines.append(self._t("photo_gps", lat=f"{photo.latitude:.6f}", lon=f"{photo.longitude:.6f}"))
        if photo.captured_at is None and photo.latitude is None:
            lines.append(self._t("photo_no_metadata"))
        for index, line in enumerate(lines):
            doc.set_x(text_x)
            doc.set_font(FONT, "B" if index == 0 else "", 9 if index else 9.5)
            doc.multi_cell(width, 4.8, printable(line), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_y(max(doc.get_y(), image_bottom) + 3)

    def account(self) -> None:
        self.heading(self._t("section_account"))
        self.para(self.p.description)

    def received(self) -> None:
        """B.1 closes with where and when the report was received: here, by Lapor Netral, on which channel."""
        self.heading(self._t("section_received"))
        self.row(self._t("field_received_via"), self._t(f"received_via_{self.p.channel}"))
        self.row(self._t("field_received_at"), self._moment(self.p.received_at))

    # --- the officer's part ----------------------------------------------------------------------------
    def officer(self) -> None:
        self.heading(self._t("section_officer"))
        checklist = self.p.checklist
        for requirement in Requirement:
            kind = self._t("formal" if requirement is Requirement.REPORTER else "material")
            state = self._t("met" if requirement in checklist.met else "missing")
            self.row(f"{kind}: {label(t(self.locale, f'triage.req_{requirement}'))}", state)
        deadline = self.p.deadline
        closes = self._day(deadline.closes_on)
        if deadline.status is DeadlineStatus.PAST:
            window = self._t("window_past", closes_on=closes)
        elif deadline.days_left == 0:
            window = self._t("window_today", closes_on=closes)
        else:
            window = self._t("window_open", closes_on=closes)
        self.row(self._t("window_label"), window)
        duplicates = ", ".join(self.p.duplicates) if self.p.duplicates else self._t("no_duplicates")
        self.row(self._t("duplicates_label"), duplicates)
        self.doc.ln(1)
        self.para(self._t("timeline_label"), style="B")
        for step in self.p.timeline:
            try:
                action = label(t(self.locale, f"triage.action_{step.action}"))
            except MissingTranslation:  # an action a later version added: its name beats a crash
                action = step.action
            note = self._t("timeline_note", note=step.note) if step.note else ""
            self.para(
                self._t("timeline_line", when=self._moment(step.at), action=action, actor=step.actor, note=note), size=9
            )

    def render(self) -> bytes:
        self.title()
        self.reporter()
        self.subject()
        self.event()
        self.witnesses()
        self.evidence()
        self.account()
        self.received()
        self.officer()
        return bytes(self.doc.output())


def render_pdf(packet: CasePacket, locale: str = "id") -> bytes:
    """The packet as PDF bytes; Indonesian unless asked otherwise (the receiving offices read Indonesian)."""
    return PacketWriter(packet, locale).render()


def section_order(locale: str = "id") -> Sequence[str]:
    """The section headings in the order the PDF prints them (B.1's, then the officer's part)."""
    return [
        t(locale, f"handoff.section_{name}")
        for name in ("reporter", "subject", "event", "witnesses", "evidence", "account", "received", "officer")
    ]
