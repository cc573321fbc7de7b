"""How a stored report reads: the supervisors' card and the reporter's own status view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from handlers.common.regions import RegionCatalog
from handlers.common.text import esc, esc_within
from handlers.common.when import format_long_date
from handlers.report.prompts import category_label, region_text, status_label
from locales import t, tn
from storage.models import Contact, Event, Evidence, Report, Witness

# Telegram counts a message's 4,096 characters in code points of the text after parsing; the HTML we
# build is never shorter than that text, so `len()` of it (code points) is the stricter count.
MESSAGE_LIMIT: Final = 4096
CARD_DESCRIPTION_MAX: Final = 1500
# The shortened card, for when Telegram refuses the full one anyway: the chronology cut hard.
CARD_SHORT_DESCRIPTION: Final = 300
CARD_LINKS_SHOWN: Final = 10


def format_moment(moment: datetime, locale: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return t(
        locale,
        "format.moment",
        date=format_long_date(local.date(), locale),
        time=local.strftime("%H.%M"),
        zone=local.tzname() or "",
    )


def card_text(
    report: Report,
    evidence: list[Evidence],
    contact: Contact | None,
    pseudonym: str,
    regions: RegionCatalog,
    locale: str,
    tz: ZoneInfo,
    extra_lines: tuple[str, ...] = (),
    *,
    short: bool = False,
    witnesses: Sequence[Witness] = (),
) -> str:
    """The supervisors' card: every field, user text escaped, within one Telegram message.

    At most CARD_LINKS_SHOWN links are listed, however many answers added. `short` cuts the chronology
    to CARD_SHORT_DESCRIPTION and says so: the card Telegram refused is posted that way, never stuck.
    Witnesses are named only where the reporter's own contact is (they shared it); otherwise counted.
    """
    region = esc_within(region_text(report.region_id, report.workplace, regions, locale), 300)
    place = esc_within(report.place, 200)
    if report.latitude is not None and report.longitude is not None:
        place += t(locale, "card.map", lat=f"{report.latitude:.5f}", lon=f"{report.longitude:.5f}")
    photos = [e.photo for e in evidence if e.photo is not None]
    links = [e.url for e in evidence if e.url]
    lines = [
        t(locale, "card.header", code=report.code, category=category_label(locale, report.category)),
        t(
            locale,
            "card.subject",
            name=esc_within(report.subject_name, 150) if report.subject_name else t(locale, "report.unknown_name"),
            agency=esc_within(report.subject_agency, 200)
            if report.subject_agency
            else t(locale, "report.unknown_agency"),
            status=status_label(locale, report.subject_status),
        ),
        t(locale, "card.place", region=region, place=place),
        t(locale, "card.when", date=format_long_date(report.incident_date, locale)),
        t(locale, "card.known", date=format_long_date(report.known_day, locale)),
        t(
            locale,
            "card.received",
            moment=format_moment(report.created_at, locale, tz),
            channel=t(locale, f"channel.{report.channel}"),
        ),
    ]
    if contact is not None:
        lines.append(
            t(
                locale,
                "card.reporter_shared",
                pseudonym=pseudonym,
                name=esc(contact.name or "-"),
                phone=esc(contact.phone),
            )
        )
    else:
        lines.append(t(locale, "card.reporter_anonymous", pseudonym=pseudonym))
    if witnesses and contact is not None:
        named = "; ".join(
            esc_within(w.name, 80) + (f" ({esc_within(w.reach, 80)})" if w.reach else "") for w in witnesses
        )
        lines.append(t(locale, "card.witnesses", witnesses=named))
    elif witnesses:
        lines.append(tn(locale, "card.witnesses_kept", len(witnesses), count=len(witnesses)))
    lines.append(t(locale, "card.state", state=t(locale, f"state.{report.state}")))
    lines.extend(extra_lines)
    evidence_lines = [
        t(
            locale,
            "card.evidence",
            photos=tn(locale, "count.photos", len(photos), n=len(photos)),
            links=tn(locale, "count.links", len(links), n=len(links)),
        )
    ]
    for number, photo in enumerate(photos, 1):
        meta = []
        if photo.captured_at is not None:
            meta.append(t(locale, "card.photo_taken", moment=format_moment(photo.captured_at, locale, tz)))
        if photo.latitude is not None and photo.longitude is not None:
            meta.append(t(locale, "card.photo_gps", lat=f"{photo.latitude:.5f}", lon=f"{photo.longitude:.5f}"))
        if meta:
            evidence_lines.append(t(locale, "card.photo_meta", number=number, meta="; ".join(meta)))
    evidence_lines += [f"• {esc_within(url, 150)}" for url in links[:CARD_LINKS_SHOWN]]
    if len(links) > CARD_LINKS_SHOWN:
        more = len(links) - CARD_LINKS_SHOWN
        evidence_lines.append(tn(locale, "card.links_more", more, count=more))
    if short:
        evidence_lines.append(t(locale, "card.shortened", code=report.code))
    head = "\n".join(lines + evidence_lines)
    frame = len(t(locale, "card.description", description=""))
    room = MESSAGE_LIMIT - len(head) - frame - 2
    cap = CARD_SHORT_DESCRIPTION if short else CARD_DESCRIPTION_MAX
    description = esc_within(report.description, min(cap, room))
    return head + "\n\n" + t(locale, "card.description", description=description)


def status_lines(report: Report, events: list[Event], locale: str, tz: ZoneInfo, regions: RegionCatalog) -> str:
    """One report as its reporter sees it: no supervisor names, only states and when."""
    lines = [
        t(
            locale,
            "status.detail",
            code=report.code,
            category=category_label(locale, report.category),
            region=esc(region_text(report.region_id, report.workplace, regions, locale)),
            date=format_long_date(report.incident_date, locale),
            known=format_long_date(report.known_day, locale),
            state=t(locale, f"state.{report.state}"),
        )
    ]
    for event in events:
        if event.to_state is not None:
            lines.append(
                t(
                    locale,
                    "status.history_item",
                    moment=format_moment(event.at, locale, tz),
                    state=t(locale, f"state.{event.to_state}"),
                )
            )
    return "\n".join(lines)
