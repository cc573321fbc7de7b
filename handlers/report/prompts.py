"""What the bot asks at each step, and the review of a whole draft, as replies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, tzinfo
from typing import Final

from handlers.common.callbacks import GO_START
from handlers.common.events import Button, Reply, RequestKeyboard, command_text
from handlers.common.regions import UNKNOWN_REGION_ID, RegionCatalog
from handlers.common.text import esc, esc_within
from handlers.common.when import date_examples, format_long_date
from handlers.report.draft import Draft, Step
from locales import t, tn
from storage.models import Category, PhotoEvidence, SubjectStatus, Witness

BACK: Final = "nav:back"
CANCEL: Final = "nav:cancel"
REGION_UNKNOWN: Final = f"reg:{UNKNOWN_REGION_ID}"
MAX_WITNESSES: Final = 5
# The review is one Telegram message: 4,096 characters of its text after parsing. The HTML we build is
# never shorter than that text, so len() of the HTML (code points) is the stricter count.
REVIEW_LIMIT: Final = 4096
REVIEW_MIN_DESCRIPTION: Final = 600  # below this much room for the chronology, the other fields are cut too
REVIEW_FIELD_CUT: Final = 100  # each typed field's length on a review that had to be cut


@dataclass(frozen=True, slots=True)
class View:
    """What prompts need to know beyond the draft."""

    locale: str
    today: date
    regions: RegionCatalog
    max_photos: int
    # WhatsApp has no command menu: its users type the commands as words ("status"), not "/status".
    typed_commands: bool = False
    # For times shown to the citizen (a photo's capture time); stored times are UTC.
    tz: tzinfo = UTC


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


def _pairs(buttons: Sequence[Button]) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def ask_category(draft: Draft, view: View) -> Reply:
    cats = [Button(category_label(view.locale, c), f"cat:{c}") for c in Category]
    return _ask(view, "report.ask_category", _pairs(cats), back=bool(draft.history))


def ask_subject_name(draft: Draft, view: View) -> Reply:
    return _ask(view, "report.ask_subject_name", [(Button(t(view.locale, "report.unknown_name"), "name:unknown"),)])


def ask_subject_agency(draft: Draft, view: View) -> Reply:
    return _ask(
        view, "report.ask_subject_agency", [(Button(t(view.locale, "report.unknown_agency"), "agency:unknown"),)]
    )


def ask_subject_status(draft: Draft, view: View) -> Reply:
    statuses = [Button(status_label(view.locale, s), f"st:{s}") for s in SubjectStatus]
    return _ask(view, "report.ask_subject_status", [tuple(statuses[:2]), tuple(statuses[2:])])


def _unknown_region_row(view: View) -> tuple[Button, ...]:
    return (Button(t(view.locale, "report.region_unknown"), REGION_UNKNOWN),)


def ask_region_group(draft: Draft, view: View) -> Reply:
    groups = [Button(g.name, f"grp:{g.id}") for g in view.regions.groups]
    # Which kab/kota each karesidenan holds: few people know the old residencies by heart.
    holds = "\n".join(
        t(
            view.locale,
            "report.region_group_holds",
            group=esc(g.name),
            regions=esc(", ".join(r.name for r in g.regions)),
        )
        for g in view.regions.groups
    )
    return _ask(
        view,
        "report.ask_region_group",
        [*_pairs(groups), _unknown_region_row(view)],
        province=view.regions.province,
        groups=holds,
    )


def ask_region(draft: Draft, view: View) -> Reply:
    if draft.region_candidates:
        regions = [r for r in (view.regions.region(i) for i in draft.region_candidates) if r]
        key = "report.ask_region_candidates"
    else:
        group = view.regions.group(draft.region_group or "")
        regions = list(group.regions) if group else []
        key = "report.ask_region"
    rows = _pairs([Button(r.name, f"reg:{r.id}") for r in regions])
    return _ask(view, key, [*rows, _unknown_region_row(view)])


def ask_workplace(draft: Draft, view: View) -> Reply:
    return _ask(view, "report.ask_workplace", [(Button(t(view.locale, "report.workplace_unknown"), "wp:unknown"),)])


def ask_place(draft: Draft, view: View) -> Reply:
    return _ask(view, "report.ask_place", [])


def ask_location(draft: Draft, view: View) -> Reply:
    # A reply keyboard: Telegram can only ask for a location from one.
    return Reply(
        t(view.locale, "report.ask_location"),
        ((Button(t(view.locale, "report.skip_location"), "loc:skip"),), nav_row(view)),
        request=RequestKeyboard.LOCATION,
    )


def ask_when(draft: Draft, view: View) -> Reply:
    loc = view.locale
    return _ask(
        view,
        "report.ask_when",
        [
            (
                Button(t(loc, "report.today"), "when:today"),
                Button(t(loc, "report.yesterday"), "when:yesterday"),
            )
        ],
        **asdict(date_examples(view.today, loc)),
    )


def ask_known(draft: Draft, view: View) -> Reply:
    loc = view.locale
    return _ask(
        view,
        "report.ask_known",
        [(Button(t(loc, "report.known_same"), "known:same"), Button(t(loc, "report.today"), "known:today"))],
        incident=format_long_date(draft.incident_date, loc) if draft.incident_date else t(loc, "review.none"),
        **asdict(date_examples(view.today, loc)),
    )


MIN_DESCRIPTION: Final = 20
MAX_DESCRIPTION: Final = 3000


def joined_story(draft: Draft) -> str:
    """The description the pieces sent so far make, one message a paragraph."""
    return "\n".join(draft.story)


def story_complete(draft: Draft) -> bool:
    """Whether Selesai may close the description: enough story, or (when editing) the old one kept."""
    if draft.story:
        return len(joined_story(draft)) >= MIN_DESCRIPTION
    return draft.description is not None


def ask_description(draft: Draft, view: View) -> Reply:
    done = [(Button(t(view.locale, "report.description_done"), "desc:done"),)] if story_complete(draft) else []
    return _ask(view, "report.ask_description", done)


def ask_evidence(draft: Draft, view: View) -> Reply:
    rows = []
    if draft.pending_text:
        rows.append((Button(t(view.locale, "report.add_to_chronology"), "ev:chrono"),))
    if draft.photos or draft.links:
        rows.append((Button(t(view.locale, "report.evidence_done"), "ev:done"),))
        rows.append((Button(t(view.locale, "report.evidence_remove"), "ev:remove"),))
    reply = _ask(view, "report.ask_evidence", rows, max_photos=view.max_photos)
    # One line: photos carry the device's identity, and the welcome promises anonymity.
    return Reply(reply.text + "\n" + t(view.locale, "report.evidence_sealed"), reply.buttons)


def photo_token(photo: PhotoEvidence) -> str:
    """A photo's name in callback data: a prefix of its SHA-256, unique within one draft's ten photos."""
    return photo.sha256[:16]


def link_token(link: str) -> str:
    """A link's name in callback data (a URL may be far longer than Telegram's 64 bytes)."""
    return hashlib.sha256(link.encode()).hexdigest()[:16]


def photo_caption(number: int, photo: PhotoEvidence, locale: str, tz: tzinfo = UTC) -> str:
    """How the removal list names a photo: its number in the order sent, and when it was taken if known."""
    if photo.captured_at is not None:
        taken = photo.captured_at.astimezone(tz).strftime("%d/%m %H.%M")
        return t(locale, "report.photo_item_taken", n=number, taken=taken)
    return t(locale, "report.photo_item", n=number, width=photo.width, height=photo.height)


def link_caption(link: str, limit: int = 40) -> str:
    shown = link.removeprefix("https://").removeprefix("http://").removeprefix("www.")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def ask_evidence_remove(draft: Draft, view: View) -> Reply:
    loc = view.locale
    rows: list[tuple[Button, ...]] = [
        (Button("🗑 " + photo_caption(n, p, loc, view.tz), f"rm:p:{photo_token(p)}"),)
        for n, p in enumerate(draft.photos, 1)
    ]
    rows += [(Button("🗑 " + link_caption(link), f"rm:l:{link_token(link)}"),) for link in draft.links]
    rows.append((Button(t(loc, "report.remove_done"), "rm:done"),))
    return _ask(view, "report.ask_evidence_remove", rows)


def ask_witnesses(draft: Draft, view: View) -> Reply:
    loc = view.locale
    row: tuple[Button, ...]
    if draft.witnesses:
        row = (
            Button(t(loc, "report.witnesses_done"), "wit:done"),
            Button(t(loc, "report.witnesses_clear"), "wit:clear"),
        )
    else:
        row = (Button(t(loc, "report.witnesses_none"), "wit:none"),)
    text_key = "report.ask_witnesses_more" if draft.witnesses else "report.ask_witnesses"
    return _ask(view, text_key, [row], listed=witness_list(draft.witnesses, loc), max=MAX_WITNESSES)


def witness_list(witnesses: Sequence[Witness], locale: str, *, cut: int | None = None) -> str:
    """One line a witness; `cut` shortens each name and way to reach them (a review that must fit)."""

    def shown(text: str) -> str:
        return esc(text) if cut is None else esc_within(text, cut)

    return "\n".join(
        t(
            locale,
            "report.witness_item",
            name=shown(w.name),
            reach=shown(w.reach) if w.reach else t(locale, "review.none"),
        )
        for w in witnesses
    )


def ask_contact(draft: Draft, view: View) -> Reply:
    return Reply(
        t(view.locale, "report.ask_contact"),
        ((Button(t(view.locale, "report.skip_contact"), "ct:skip"),), nav_row(view)),
        request=RequestKeyboard.CONTACT,
    )


def show_review(draft: Draft, view: View) -> Reply:
    loc = view.locale
    return Reply(
        review_text(draft, view),
        (
            (Button(t(loc, "review.send"), "rv:send"),),
            (Button(t(loc, "review.edit"), "rv:edit"), Button(t(loc, "nav.cancel"), CANCEL)),
        ),
    )


def ask_field_to_edit(draft: Draft, view: View) -> Reply:
    loc = view.locale
    rows = _pairs(
        [
            Button(t(loc, f"edit.{name}"), f"ed:{name}")
            for name in (
                "category",
                "subject",
                "region",
                "place",
                "when",
                "description",
                "evidence",
                "witnesses",
                "contact",
            )
        ]
    )
    rows.append((Button(t(loc, "edit.back_to_review"), "ed:review"),))
    return Reply(t(loc, "edit.ask_field"), tuple(rows))


def confirm_cancel(draft: Draft, view: View) -> Reply:
    loc = view.locale
    return Reply(
        t(loc, "cancel.confirm"),
        (
            (
                Button(t(loc, "cancel.yes"), "nav:cancel_yes"),
                Button(t(loc, "cancel.no"), "nav:cancel_no"),
            ),
        ),
    )


def offer_start(draft: Draft, view: View) -> Reply:
    hint = t(view.locale, command_text("start.idle_hint", typed=view.typed_commands))
    return Reply(hint, ((Button(t(view.locale, "start.button"), GO_START),),))


# Every step has its question; IDLE's is the way to start a report.
_PROMPTS: Final[dict[Step, Callable[[Draft, View], Reply]]] = {
    Step.IDLE: offer_start,
    Step.CATEGORY: ask_category,
    Step.SUBJECT_NAME: ask_subject_name,
    Step.SUBJECT_AGENCY: ask_subject_agency,
    Step.SUBJECT_STATUS: ask_subject_status,
    Step.REGION_GROUP: ask_region_group,
    Step.REGION: ask_region,
    Step.WORKPLACE: ask_workplace,
    Step.PLACE: ask_place,
    Step.LOCATION: ask_location,
    Step.WHEN: ask_when,
    Step.KNOWN: ask_known,
    Step.DESCRIPTION: ask_description,
    Step.EVIDENCE: ask_evidence,
    Step.EVIDENCE_REMOVE: ask_evidence_remove,
    Step.WITNESSES: ask_witnesses,
    Step.CONTACT: ask_contact,
    Step.REVIEW: show_review,
    Step.EDIT_MENU: ask_field_to_edit,
    Step.CONFIRM_CANCEL: confirm_cancel,
}


def prompt(draft: Draft, view: View) -> Reply:
    """The question of the draft's current step, with its buttons; outside a report, the way to start one."""
    return _PROMPTS[draft.step](draft, view)


def region_text(region_id: str, workplace: str | None, regions: RegionCatalog, locale: str) -> str:
    """The kab/kota as a person reads it (plain text, to be escaped): the catalog's name; for a reporter who
    did not know it, "Tidak tahu / di media sosial" and where the ASN works, if they said."""
    if region_id == UNKNOWN_REGION_ID:
        unknown = t(locale, "region.unknown")
        return t(locale, "region.unknown_workplace", unknown=unknown, workplace=workplace) if workplace else unknown
    region = regions.region(region_id)
    return region.name if region is not None else region_id


def review_text(draft: Draft, view: View) -> str:
    """The whole report for the citizen to check, within one Telegram message (REVIEW_LIMIT).

    Every field at its longest, escaped, and five witnesses do not fit 4,096 characters: the chronology
    is shortened on this screen first (saying so; the report keeps it whole), and only if that is not
    enough every other typed field too.
    """
    for cut in (None, REVIEW_FIELD_CUT):
        frame = _review(draft, view, "", cut)
        room = REVIEW_LIMIT - len(frame)
        if cut is not None or room >= REVIEW_MIN_DESCRIPTION:
            break
    description = draft.description or t(view.locale, "review.none")
    if len(esc(description)) <= room:
        return _review(draft, view, esc(description), cut)
    note = t(view.locale, "review.description_cut")
    return _review(draft, view, esc_within(description, max(0, room - len(note)), ellipsis="") + note, cut)


def _review(draft: Draft, view: View, description: str, cut: int | None) -> str:
    loc = view.locale
    dash = t(loc, "review.none")

    def shown(text: str) -> str:
        return esc_within(text, cut) if cut is not None else esc(text)

    subject = shown(draft.subject_name) if draft.subject_name else t(loc, "report.unknown_name")
    agency = shown(draft.subject_agency) if draft.subject_agency else t(loc, "report.unknown_agency")
    place = shown(draft.place) if draft.place else dash
    if draft.latitude is not None and draft.longitude is not None:
        place += f" ({draft.latitude:.5f}, {draft.longitude:.5f})"
    if draft.contact is not None:
        contact = t(loc, "review.contact_shared", phone=esc(draft.contact.phone))
    else:
        contact = t(loc, "review.anonymous")
    return t(
        loc,
        "review.text",
        category=category_label(loc, draft.category) if draft.category else dash,
        subject=subject,
        agency=agency,
        status=status_label(loc, draft.subject_status) if draft.subject_status else dash,
        region=shown(region_text(draft.region_id, draft.workplace, view.regions, loc)) if draft.region_id else dash,
        place=place,
        date=format_long_date(draft.incident_date, loc) if draft.incident_date else dash,
        known=format_long_date(draft.known_date or draft.incident_date, loc) if draft.incident_date else dash,
        description=description,
        photos=tn(loc, "count.photos", len(draft.photos), n=len(draft.photos)),
        links=tn(loc, "count.links", len(draft.links), n=len(draft.links)),
        witnesses=("\n" + witness_list(draft.witnesses, loc, cut=cut))
        if draft.witnesses
        else t(loc, "review.no_witnesses"),
        contact=contact,
    )
