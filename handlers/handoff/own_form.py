"""The reporter's own pre-filled form: their report as Formulir Model B.1, to complete, sign and file at Bawaslu.

A chat report is *informasi awal*; a formal report needs the reporter in person, with an ID card, at the
Bawaslu of the kabupaten/kota where the violation happened (Perbawaslu 7/2022 Art. 10), within 7 days of
its becoming known. This is the office packet's renderer in the reporter's version: their identity as
they shared it, or blank lines to fill in by hand; none of the officer's part (no requirements checklist,
no likely duplicates, no triage timeline, so no supervisor's name); the officer's receipt and both
signatures left blank, as B.1 has them; and a last page saying how to file it. It is sent only to the
chat the report came from: the intake checks the report is the asker's own.

The form is in Indonesian, as Bawaslu reads it; the caption is in the reporter's language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos

from handlers.common.events import MAX_DOCUMENT_BYTES, Document, Reply
from handlers.common.regions import RegionCatalog
from handlers.common.when import format_long_date
from handlers.handoff.assemble import gather
from handlers.handoff.packet import FONT, CasePacket, PacketWriter, printable
from handlers.triage.rules import DeadlineStatus
from locales import t, tn
from storage.db import utcnow
from storage.models import Report
from storage.store import Store

FORM_LOCALE: Final = "id"
# A line to write on by hand: long enough for an address, short enough to stay on one line of the value.
BLANK: Final = "." * 70
_REPORTER_FIELDS: Final = ("name", "birth", "sex", "job", "nationality", "address", "phone", "email")


def form_name(code: str) -> str:
    return f"formulir-{code}.pdf"


class ReporterFormWriter(PacketWriter):
    def __init__(self, packet: CasePacket, office: str | None) -> None:
        super().__init__(packet, FORM_LOCALE)
        self.office = office

    def _title(self) -> str:
        return self._t("own_title")

    def title(self) -> None:
        doc = self.doc
        doc.add_page()
        doc.set_font(FONT, "B", 15)
        doc.multi_cell(0, 7.5, printable(self._title()), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, "", 9)
        doc.set_text_color(80)
        subtitle = self._t("own_subtitle", code=self.p.code, made=self._moment(self.p.made_at))
        doc.multi_cell(0, 5, printable(subtitle), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_text_color(0)
        self.note_box(self._t("own_note"))

    def reporter(self) -> None:
        """B.1's reporter fields: what the reporter shared, a blank line for the rest."""
        self.heading(self._t("section_reporter"))
        identity = self.p.reporter
        shared = {"name": identity.name, "phone": identity.phone} if identity else {}
        for name in _REPORTER_FIELDS:
            self.row(self._t(f"own_field_{name}"), shared.get(name) or BLANK)

    def subject(self) -> None:
        super().subject()
        self.row(self._t("own_field_address"), BLANK)
        self.row(self._t("own_field_phone"), BLANK)

    def witnesses(self) -> None:
        if self.p.witnesses:
            super().witnesses()
            return
        self.heading(self._t("section_witnesses"))
        for number in (1, 2):
            self.row(self._t("witness_label", n=number), self._t("own_witness_blank", blank=BLANK))

    def receipt(self) -> None:
        """B.1's closing: where and when the officer received it, the truth statement, both signatures."""
        self.heading(self._t("own_section_receipt"))
        for name in ("received_at", "received_on", "number"):
            self.row(self._t(f"own_receipt_{name}"), BLANK)
        self.doc.ln(2)
        self.para(self._t("own_statement"))
        self.doc.ln(4)
        doc = self.doc
        if doc.will_page_break(40):
            doc.add_page()
        half = (doc.w - doc.l_margin - doc.r_margin) / 2
        top = doc.get_y()
        for column, who in enumerate(("own_sign_officer", "own_sign_reporter")):
            doc.set_xy(doc.l_margin + column * half, top)
            doc.set_font(FONT, "B", 9.5)
            doc.cell(half, 5.2, printable(self._t(who)), align="C")
            doc.set_xy(doc.l_margin + column * half, top + 28)
            doc.set_font(FONT, "", 9.5)
            doc.cell(half, 5.2, printable(self._t("own_sign_name")), align="C")
        doc.set_y(top + 36)

    def guide(self) -> None:
        """How to file it: where, by when, with what; and that not filing is fine too."""
        self.doc.add_page()
        self.heading(self._t("own_section_guide"))
        deadline = self.p.deadline
        closes = self._day(deadline.closes_on)
        if deadline.status is DeadlineStatus.PAST:
            when = self._t("own_guide_when_past", closes_on=closes)
        elif deadline.days_left == 0:
            when = self._t("own_guide_when_today", closes_on=closes)
        else:
            when = tn(
                FORM_LOCALE, "handoff.own_guide_when", deadline.days_left, closes_on=closes, days=deadline.days_left
            )
        office = self._t("own_office", region=self.office) if self.office else self._t("own_office_unknown")
        steps = [
            self._t("own_guide_print"),
            self._t("own_guide_where", office=office),
            when,
            self._t("own_guide_evidence"),
            self._t("own_guide_complete"),
            self._t("own_guide_optional", code=self.p.code),
        ]
        for number, step in enumerate(steps, start=1):
            self.para(f"{number}. {step}")
            self.doc.ln(1)

    def render(self) -> bytes:
        self.title()
        self.reporter()
        self.subject()
        self.event()
        self.witnesses()
        self.evidence()
        self.account()
        self.receipt()
        self.guide()
        return bytes(self.doc.output())


def render_reporter_form(packet: CasePacket, office: str | None) -> bytes:
    """The reporter's form as PDF bytes; `office` names the Bawaslu to go to (None: the region is unknown)."""
    return ReporterFormWriter(packet, office).render()


class OwnForms:
    """The reporter's form as a reply to their chat; the intake calls it for the asker's own report only."""

    def __init__(
        self, store: Store, regions: RegionCatalog, tz: ZoneInfo, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._store = store
        self._regions = regions
        self._tz = tz
        self._clock = clock

    async def __call__(self, report: Report, locale: str) -> Reply:
        packet, _ = await gather(
            self._store, self._store.triage, self._regions, report, tz=self._tz, now=self._clock(), for_reporter=True
        )
        region = self._regions.region(report.region_id)
        office = region.name if region is not None else None
        # Rendering takes a fraction of a second per page of photos: off the event loop.
        pdf = await asyncio.to_thread(render_reporter_form, packet, office)
        if len(pdf) > MAX_DOCUMENT_BYTES:
            return Reply(t(locale, "status.form_too_large", code=report.code))
        return Reply(self.caption(packet, office, locale), document=Document(pdf, form_name(report.code)))

    def caption(self, packet: CasePacket, office: str | None, locale: str) -> str:
        deadline = packet.deadline
        closes = format_long_date(deadline.closes_on, locale)
        where = t(locale, "status.form_office", region=office) if office else t(locale, "status.form_office_unknown")
        if deadline.status is DeadlineStatus.PAST:
            when = t(locale, "status.form_when_past", closes_on=closes)
        elif deadline.days_left == 0:
            when = t(locale, "status.form_when_today", closes_on=closes)
        else:
            when = tn(locale, "status.form_when", deadline.days_left, closes_on=closes, days=deadline.days_left)
        return t(locale, "status.form_caption", code=packet.code, where=where, when=when)
