"""What the bot asks at each step, and the review of a whole draft, as replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from handlers.common.callbacks import GO_START
from handlers.common.events import Button, Reply, RequestKeyboard
from handlers.common.regions import RegionCatalog
from handlers.common.text import esc
from handlers.common.when import format_long_date
from handlers.report.draft import Draft, Step
from locales import t
from storage.models import Category, SubjectStatus

BACK: Final = "nav:back"
CANCEL: Final = "nav:cancel"


@dataclass(frozen=True, slots=True)
class View:
    """What prompts need to know beyond the draft."""

    locale: str
    today: date
    regions: RegionCatalog
    max_photos: int


def nav_row(view: View, *, back: bool = True) -> tuple[Button, ...]:
    row = [Button(t(view.locale, "nav.back"), BACK)] if back else []
    row.append(Button(t(view.locale, "nav.cancel"), CANCEL))
    return tuple(row)


def category_label(locale: str, category: Category) -> str:
    return t(locale, f"category.{category}")


def status_label(locale: str, status: SubjectStatus) -> str:
    return t(locale, f"status.{status}")


def _ask(view: View, key: str, rows: Sequence[tuple[Button, ...]], *, back: bool = True, **values: object) -> Reply:
    return Reply(t(view.locale, key, **values), tuple([*rows, nav_row(view, back=back)]))


def prompt(draft: Draft, view: View) -> Reply:
    """The question of the draft's current step, with its buttons."""
    loc = view.locale
    step = draft.step
    first = not draft.history
    if step is Step.CATEGORY:
        cats = [Button(category_label(loc, c), f"cat:{c}") for c in Category]
        rows = [tuple(cats[i : i + 2]) for i in range(0, len(cats), 2)]
        return _ask(view, "report.ask_category", rows, back=not first)
    if step is Step.SUBJECT_NAME:
        return _ask(view, "report.ask_subject_name", [(Button(t(loc, "report.unknown_name"), "name:unknown"),)])
    if step is Step.SUBJECT_AGENCY:
        return _ask(view, "report.ask_subject_agency",
                    [(Button(t(loc, "report.unknown_agency"), "agency:unknown"),)])
    if step is Step.SUBJECT_STATUS:
        statuses = [Button(status_label(loc, s), f"st:{s}") for s in SubjectStatus]
        return _ask(view, "report.ask_subject_status", [tuple(statuses[:2]), tuple(statuses[2:])])
    if step is Step.REGION_GROUP:
        groups = [Button(g.name, f"grp:{g.id}") for g in view.regions.groups]
        rows = [tuple(groups[i : i + 2]) for i in range(0, len(groups), 2)]
        return _ask(view, "report.ask_region_group", rows, province=view.regions.province)
    if step is Step.REGION:
        if draft.region_candidates:
            regions = [r for r in (view.regions.region(i) for i in draft.region_candidates) if r]
            key = "report.ask_region_candidates"
        else:
            group = view.regions.group(draft.region_group or "")
            regions = list(group.regions) if group else []
            key = "report.ask_region"
        buttons = [Button(r.name, f"reg:{r.id}") for r in regions]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        return _ask(view, key, rows)
    if step is Step.PLACE:
        return _ask(view, "report.ask_place", [])
    if step is Step.LOCATION:
        # A reply keyboard: Telegram can only ask for a location from one.
        return Reply(
            t(loc, "report.ask_location"),
            ((Button(t(loc, "report.skip_location"), "loc:skip"),), nav_row(view)),
            request=RequestKeyboard.LOCATION,
        )
    if step is Step.WHEN:
        return _ask(view, "report.ask_when", [(
            Button(t(loc, "report.today"), "when:today"), Button(t(loc, "report.yesterday"), "when:yesterday"),
        )], example=format_long_date(view.today, loc))
    if step is Step.DESCRIPTION:
        return _ask(view, "report.ask_description", [])
    if step is Step.EVIDENCE:
        done = [(Button(t(loc, "report.evidence_done"), "ev:done"),)] if draft.photos or draft.links else []
        return _ask(view, "report.ask_evidence", done, max_photos=view.max_photos)
    if step is Step.CONTACT:
        return Reply(
            t(loc, "report.ask_contact"),
            ((Button(t(loc, "report.skip_contact"), "ct:skip"),), nav_row(view)),
            request=RequestKeyboard.CONTACT,
        )
    if step is Step.REVIEW:
        return Reply(review_text(draft, view), (
            (Button(t(loc, "review.send"), "rv:send"),),
            (Button(t(loc, "review.edit"), "rv:edit"), Button(t(loc, "nav.cancel"), CANCEL)),
        ))
    if step is Step.EDIT_MENU:
        fields = [Button(t(loc, f"edit.{name}"), f"ed:{name}") for name in (
            "category", "subject", "region", "place", "when", "description", "evidence", "contact")]
        rows = [tuple(fields[i : i + 2]) for i in range(0, len(fields), 2)]
        rows.append((Button(t(loc, "edit.back_to_review"), "ed:review"),))
        return Reply(t(loc, "edit.ask_field"), tuple(rows))
    if step is Step.CONFIRM_CANCEL:
        return Reply(t(loc, "cancel.confirm"), ((
            Button(t(loc, "cancel.yes"), "nav:cancel_yes"), Button(t(loc, "cancel.no"), "nav:cancel_no"),
        ),))
    return Reply(t(loc, "start.idle_hint"), ((Button(t(loc, "start.button"), GO_START),),))


def review_text(draft: Draft, view: View) -> str:
    loc = view.locale
    dash = t(loc, "review.none")
    region = view.regions.region(draft.region_id or "")
    subject = esc(draft.subject_name) if draft.subject_name else t(loc, "report.unknown_name")
    agency = esc(draft.subject_agency) if draft.subject_agency else t(loc, "report.unknown_agency")
    place = esc(draft.place or dash)
    if draft.latitude is not None and draft.longitude is not None:
        place += f" ({draft.latitude:.5f}, {draft.longitude:.5f})"
    if draft.contact is not None:
        contact = t(loc, "review.contact_shared", phone=esc(draft.contact.phone))
    else:
        contact = t(loc, "review.anonymous")
    return t(
        loc, "review.text",
        category=category_label(loc, draft.category) if draft.category else dash,
        subject=subject, agency=agency,
        status=status_label(loc, draft.subject_status) if draft.subject_status else dash,
        region=esc(region.name) if region else dash, place=place,
        date=format_long_date(draft.incident_date, loc) if draft.incident_date else dash,
        description=esc(draft.description or dash),
        photos=len(draft.photos), links=len(draft.links), contact=contact,
    )
