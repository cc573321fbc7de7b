"""The citizen's report conversation: one event and the draft in, replies and the new draft out.

It knows nothing of Telegram or WhatsApp (see handlers/common/events.py) and nothing of SQL: storing photos
is a function it is given, and committing the finished report is the caller's job (`Turn.submit`).
Every step accepts typed text where a button is offered, so channels with few buttons work too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Final

from handlers.common.callbacks import GO_START
from handlers.common.events import (
    Choice,
    Command,
    Event,
    FetchFailed,
    Image,
    Location,
    Reply,
    SharedContact,
    Text,
    Unsupported,
    command_text,
)
from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.common.text import (
    clean,
    esc,
    esc_within,
    find_links,
    looks_like_phone,
    normalize_label,
    normalize_phone,
    one_line,
)
from handlers.common.when import (
    DateError,
    DateInFuture,
    DateTooOld,
    date_examples,
    format_long_date,
    parse_incident_date,
)
from handlers.report.draft import EDIT_FIELDS, FLOW, Draft, Step
from handlers.report.images import ImageRejected, RejectReason
from handlers.report.prompts import (
    BACK,
    CANCEL,
    MAX_DESCRIPTION,
    MAX_WITNESSES,
    MIN_DESCRIPTION,
    View,
    joined_story,
    link_caption,
    link_token,
    photo_caption,
    photo_token,
    prompt,
    story_complete,
)
from locales import t, tn
from storage.models import Category, Contact, PhotoEvidence, SubjectStatus, Witness

MAX_NAME: Final = 120
MAX_AGENCY: Final = 200
MAX_PLACE: Final = 200
MAX_LINKS: Final = 10

# What people type when they cannot name the kabupaten/kota (normalised as `normalize_label` does).
_UNKNOWN_REGION_WORDS: Final = frozenset(
    {
        "tidak tahu",
        "tdk tahu",
        "tidak tau",
        "gak tahu",
        "gak tau",
        "ga tau",
        "nggak tahu",
        "ngga tau",
        "enggak tahu",
        "tak tahu",
        "entah",
        "kurang tahu",
        "belum tahu",
        "medsos",
        "media sosial",
        "di media sosial",
        "di medsos",
        "sosmed",
        "online",
        "daring",
        "internet",
        "dont know",
        "i dont know",
        "idk",
        "unknown",
        "not sure",
        "social media",
        "on social media",
    }
)
_SAME_DAY_WORDS: Final = frozenset({"sama", "sama saja", "hari yang sama", "same", "same day"})


def says_region_unknown(line: str) -> bool:
    """Whether the answer to "which kab/kota" says the reporter does not know it."""
    wanted = normalize_label(line)
    return wanted in _UNKNOWN_REGION_WORDS or line.strip() in ("-", "?")


# Validates and keeps an image's bytes; the second argument is the channel's id for them (Image.source_id).
StoreImage = Callable[[bytes, str | None], Awaitable[PhotoEvidence]]
# The same for one sender (their reporter id first), within their daily evidence quota.
StoreSenderImage = Callable[[int, bytes, str | None], Awaitable[PhotoEvidence]]


@dataclass(frozen=True, slots=True)
class Context:
    view: View
    store_image: StoreImage
    max_image_bytes: int
    daily_quota_mb: float = 0  # MAX_EVIDENCE_MB_PER_DAY, for the answer once it is reached

    @property
    def locale(self) -> str:
        return self.view.locale


@dataclass(slots=True)
class Turn:
    replies: list[Reply] = field(default_factory=list)
    draft: Draft = field(default_factory=Draft)
    submit: bool = False


def _say(ctx: Context, key: str, **values: object) -> Reply:
    return Reply(t(ctx.locale, key, **values))


def _say_n(ctx: Context, key: str, n: int, **values: object) -> Reply:
    return Reply(tn(ctx.locale, key, n, **values))


def begin(draft: Draft, ctx: Context) -> Turn:
    """Start a fresh report at its first question."""
    fresh = Draft(step=Step.CATEGORY)
    return Turn([_say(ctx, "report.intro"), prompt(fresh, ctx.view)], fresh)


def _advance(draft: Draft, ctx: Context, replies: list[Reply]) -> Turn:
    """Move to the next step of the first pass, or of the field being edited, and ask it."""
    current = draft.step
    draft.history.append(current)
    if draft.editing:
        # The step just answered may still be queued (a typed name at the karesidenan step answers the
        # kab/kota step too), and the queue skips what this draft does not ask.
        queue = [step for step in draft.edit_queue if draft.asks(step) and step is not current]
        draft.step = queue.pop(0) if queue else Step.REVIEW
        draft.edit_queue = queue
        if draft.step is Step.REVIEW:
            draft.editing = False
            draft.history = [Step.REVIEW]
    else:
        draft.step = _next_in_flow(draft.step, draft)
    replies.append(prompt(draft, ctx.view))
    return Turn(replies, draft)


def _next_in_flow(step: Step, draft: Draft) -> Step:
    if step not in FLOW or step is Step.REVIEW:
        return Step.REVIEW
    for following in FLOW[FLOW.index(step) + 1 :]:
        if draft.asks(following):
            return following
    return Step.REVIEW


def _go_back(draft: Draft, ctx: Context) -> Turn:
    if not draft.history:
        return Turn([_say(ctx, "nav.first_step"), prompt(draft, ctx.view)], draft)
    previous = draft.history.pop()
    if previous is Step.REGION_GROUP or draft.step is Step.REGION:
        draft.region_candidates = []
    draft.step = previous
    if draft.editing and previous is Step.REVIEW:
        draft.editing = False
        draft.edit_queue = []
    return Turn([prompt(draft, ctx.view)], draft)


def _reprompt(draft: Draft, ctx: Context, key: str, **values: object) -> Turn:
    return Turn([_say(ctx, key, **values), prompt(draft, ctx.view)], draft)


def _reprompt_n(draft: Draft, ctx: Context, key: str, n: int, **values: object) -> Turn:
    """`_reprompt` for a plural entry, whose form `n` chooses."""
    return Turn([_say_n(ctx, key, n, **values), prompt(draft, ctx.view)], draft)


def _too_long_or_short(draft: Draft, ctx: Context, line: str, low: int, high: int) -> Turn:
    """Ask again, saying how long the answer was: "2–80" alone leaves the citizen to count."""
    length = tn(ctx.locale, "count.characters", len(line), n=len(line))
    return _reprompt_n(draft, ctx, "report.bad_length", high, min=low, max=high, length=length)


# Steps answered only by a choice, where a typed number can mean "the n-th option".
_CHOICE_ONLY: Final = frozenset(
    {
        Step.CATEGORY,
        Step.SUBJECT_STATUS,
        Step.REGION_GROUP,
        Step.REGION,
        Step.EVIDENCE_REMOVE,
        Step.REVIEW,
        Step.EDIT_MENU,
        Step.CONFIRM_CANCEL,
    }
)


def _typed_choice(text: str, draft: Draft, ctx: Context) -> str | None:
    """Match typed text to a button of the current prompt: by its label, or by its number."""
    buttons = prompt(draft, ctx.view).choices()
    wanted = normalize_label(text)
    if not wanted:
        return None
    # isdecimal, not isdigit: "፩" is a digit int() refuses; and int() refuses over 4,300 digits too.
    if wanted.isdecimal() and len(wanted) <= 3 and draft.step in _CHOICE_ONLY and 1 <= int(wanted) <= len(buttons):
        return buttons[int(wanted) - 1].data
    for button in buttons:
        if normalize_label(button.label) == wanted:
            return button.data
    return None


async def handle(event: Event, draft: Draft, ctx: Context) -> Turn:
    """Answer one event of the report conversation; the caller's draft is left untouched."""
    turn = await _answer(event, draft.model_copy(deep=True), ctx)
    turn.replies = merge_notices(turn.replies)
    return turn


def merge_notices(replies: list[Reply]) -> list[Reply]:
    """A plain notice followed by the next question becomes one message.

    Fewer messages to read, and fewer of Telegram's ~30 messages/s that the whole bot shares.
    A notice that removes a keyboard stays apart: Telegram cannot remove one and add inline buttons
    in the same message.
    """
    merged: list[Reply] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and reply.coalesce_key is None
            and not (previous.buttons or previous.request or previous.remove_keyboard or previous.coalesce_key)
        ):
            reply = replace(reply, text=f"{previous.text}\n\n{reply.text}")
            merged.pop()
        merged.append(reply)
    return merged


async def _answer(event: Event, draft: Draft, ctx: Context) -> Turn:
    if isinstance(event, Command):
        return _command(event, draft, ctx)
    if isinstance(event, Unsupported):
        key = f"unsupported.{event.kind}"
        if not draft.active:
            return Turn([_say(ctx, key), prompt(draft, ctx.view)], draft)
        return _reprompt(draft, ctx, key)
    if not draft.active:
        if isinstance(event, Choice) and event.data == GO_START:
            return begin(draft, ctx)
        if isinstance(event, Choice):
            return Turn([_say(ctx, "nav.stale_button"), prompt(draft, ctx.view)], draft)
        return Turn([prompt(draft, ctx.view)], draft)
    if isinstance(event, Text):
        data = _typed_choice(event.text, draft, ctx)
        if data is not None:
            return await _on_choice(Choice(data), draft, ctx)
        return await _on_text(event.text, draft, ctx)
    if isinstance(event, Choice):
        return await _on_choice(event, draft, ctx)
    if isinstance(event, Image):
        return await _on_image(event, draft, ctx)
    if isinstance(event, Location):
        return _on_location(event, draft, ctx)
    return _on_contact(event, draft, ctx)


def _command(event: Command, draft: Draft, ctx: Context) -> Turn:
    if event.name == "start":
        rows = [prompt(Draft(), ctx.view)]
        replies = [_say(ctx, command_text("start.welcome", typed=ctx.view.typed_commands))]
        if draft.active:
            replies.append(_say(ctx, "start.draft_waiting"))
            rows = [prompt(draft, ctx.view)]
        return Turn(replies + rows, draft)
    if event.name == "lapor":
        if draft.active:
            return _reprompt(draft, ctx, "report.resume")
        return begin(draft, ctx)
    if event.name == "batal":
        if not draft.active:
            return Turn([_say(ctx, "cancel.nothing")], draft)
        return _ask_cancel(draft, ctx)
    if event.name == "bantuan":
        replies = [_say(ctx, command_text("help.text", typed=ctx.view.typed_commands))]
        if draft.active:
            replies.append(prompt(draft, ctx.view))
        return Turn(replies, draft)
    replies = [_say(ctx, command_text("command.unknown", typed=ctx.view.typed_commands))]
    if draft.active:
        replies.append(prompt(draft, ctx.view))
    return Turn(replies, draft)


def _ask_cancel(draft: Draft, ctx: Context) -> Turn:
    if draft.step is not Step.CONFIRM_CANCEL:
        draft.resume_step = draft.step
        draft.step = Step.CONFIRM_CANCEL
    return Turn([prompt(draft, ctx.view)], draft)


async def _on_choice(event: Choice, draft: Draft, ctx: Context) -> Turn:
    data = event.data
    if data == BACK and draft.step is not Step.CONFIRM_CANCEL:
        return _go_back(draft, ctx)
    if data == CANCEL:
        return _ask_cancel(draft, ctx)
    if data == GO_START:
        return _reprompt(draft, ctx, "report.resume")
    if data not in {b.data for b in prompt(draft, ctx.view).choices()}:
        # Stale buttons of an earlier message, or forged data: never acted upon.
        return _reprompt(draft, ctx, "nav.stale_button")
    kind, _, value = data.partition(":")
    return _CHOICES[kind](value, draft, ctx)


def _answer_cancel(value: str, draft: Draft, ctx: Context) -> Turn:
    if value == "cancel_yes":
        return Turn([_say(ctx, "cancel.done"), prompt(Draft(), ctx.view)], Draft())
    draft.step = draft.resume_step or Step.CATEGORY
    draft.resume_step = None
    return Turn([prompt(draft, ctx.view)], draft)


def _choose_category(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.category = Category(value)
    return _advance(draft, ctx, [])


def _name_unknown(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.subject_name = None
    return _advance(draft, ctx, [])


def _agency_unknown(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.subject_agency = None
    return _advance(draft, ctx, [])


def _choose_status(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.subject_status = SubjectStatus(value)
    return _advance(draft, ctx, [])


def _choose_region_group(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.region_group = value
    draft.region_candidates = []
    # Its kab/kota list comes next, even after an earlier "tidak tahu" (which skips that list otherwise).
    draft.history.append(draft.step)
    draft.step = Step.REGION
    return Turn([prompt(draft, ctx.view)], draft)


def _choose_region(value: str, draft: Draft, ctx: Context) -> Turn:
    if value == UNKNOWN_REGION_ID:
        return _region_unknown(draft, ctx)
    region = ctx.view.regions.region(value)
    assert region is not None  # validated against the offered buttons
    draft.region_id, draft.region_group, draft.region_candidates = region.id, region.group_id, []
    draft.workplace = None
    return _advance(draft, ctx, [_say(ctx, "report.region_chosen", region=region.name)])


def _region_unknown(draft: Draft, ctx: Context) -> Turn:
    """No kab/kota (a post seen on social media, say): the report goes to the provincial team, and where the
    ASN works is asked instead, which often tells the team whose it is."""
    draft.region_id, draft.region_candidates = UNKNOWN_REGION_ID, []
    return _advance(draft, ctx, [_say(ctx, "report.region_chosen", region=t(ctx.locale, "region.unknown"))])


def _workplace_unknown(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.workplace = None
    return _advance(draft, ctx, [])


def _skip_location(value: str, draft: Draft, ctx: Context) -> Turn:
    return _advance(draft, ctx, [Reply(t(ctx.locale, "report.location_skipped"), remove_keyboard=True)])


def _choose_day(value: str, draft: Draft, ctx: Context) -> Turn:
    days = 0 if value == "today" else 1
    draft.incident_date = ctx.view.today - timedelta(days=days)
    return _advance(draft, ctx, [])


def _choose_known(value: str, draft: Draft, ctx: Context) -> Turn:
    assert draft.incident_date is not None  # the known-day is asked after the incident day
    draft.known_date = draft.incident_date if value == "same" else ctx.view.today
    return _advance(draft, ctx, [])


def _close_story(draft: Draft) -> None:
    if draft.story:
        draft.description = joined_story(draft)
    draft.story = []


def _finish_description(value: str, draft: Draft, ctx: Context) -> Turn:
    _close_story(draft)
    return _advance(draft, ctx, [])


def _finish_evidence(value: str, draft: Draft, ctx: Context) -> Turn:
    if value == "chrono":
        return _add_to_chronology(draft, ctx)
    if value == "remove":
        draft.history.append(draft.step)
        draft.step = Step.EVIDENCE_REMOVE
        return Turn([prompt(draft, ctx.view)], draft)
    replies = _keep_pending_text(draft, ctx)
    draft.album_id, draft.album_count = None, 0
    return _advance(draft, ctx, replies)


def _keep_pending_text(draft: Draft, ctx: Context) -> list[Reply]:
    """Words typed at the evidence step and not yet placed: Selesai puts them in the chronology, and says so
    (the review can still change it); only what cannot fit is left out, and the citizen is told."""
    pending, draft.pending_text = draft.pending_text, None
    if not pending:
        return []
    longer = "\n".join(part for part in (draft.description, pending) if part)
    if len(longer) > MAX_DESCRIPTION:
        limit = tn(ctx.locale, "count.characters", MAX_DESCRIPTION, n=MAX_DESCRIPTION)
        return [_say(ctx, "report.pending_too_long", text=esc_within(pending, 200), max=limit)]
    draft.description = longer
    return [_say(ctx, "report.pending_added", length=tn(ctx.locale, "count.characters", len(longer), n=len(longer)))]


def _remove_evidence(value: str, draft: Draft, ctx: Context) -> Turn:
    """One photo or link out of the draft; the file is shredded by the caller once nothing refers to it."""
    if value == "done":
        draft.step = Step.EVIDENCE
        if draft.history and draft.history[-1] is Step.EVIDENCE:
            draft.history.pop()
        return Turn([prompt(draft, ctx.view)], draft)
    kind, _, token = value.partition(":")
    if kind == "p":
        number = next(n for n, p in enumerate(draft.photos, 1) if photo_token(p) == token)
        removed = photo_caption(number, draft.photos[number - 1], ctx.locale, ctx.view.tz)
        del draft.photos[number - 1]
    else:
        link = next(link for link in draft.links if link_token(link) == token)
        removed = link_caption(link)
        draft.links.remove(link)
    draft.album_id, draft.album_count = None, 0
    if not (draft.photos or draft.links):
        # Nothing left to remove: back to the evidence step, which asks for at least one piece.
        draft.step = Step.EVIDENCE
        if draft.history and draft.history[-1] is Step.EVIDENCE:
            draft.history.pop()
    return _reprompt(draft, ctx, "report.evidence_removed", item=esc(removed))


def _answer_witnesses(value: str, draft: Draft, ctx: Context) -> Turn:
    if value == "clear":
        draft.witnesses = []
        return _reprompt(draft, ctx, "report.witnesses_cleared")
    if value == "none":
        draft.witnesses = []
    return _advance(draft, ctx, [])


def _add_to_chronology(draft: Draft, ctx: Context) -> Turn:
    assert draft.pending_text is not None  # the button is offered only then
    longer = "\n".join(part for part in (draft.description, draft.pending_text) if part)
    if len(longer) > MAX_DESCRIPTION:
        return _reprompt_n(
            draft,
            ctx,
            "report.description_long",
            MAX_DESCRIPTION,
            max=MAX_DESCRIPTION,
            length=tn(ctx.locale, "count.characters", len(longer), n=len(longer)),
        )
    draft.description, draft.pending_text = longer, None
    return _reprompt(draft, ctx, "report.chronology_extended", length=len(longer))


def _skip_contact(value: str, draft: Draft, ctx: Context) -> Turn:
    draft.contact = None
    return _advance(draft, ctx, [Reply(t(ctx.locale, "report.contact_skipped"), remove_keyboard=True)])


def _answer_review(value: str, draft: Draft, ctx: Context) -> Turn:
    if value == "send" and not (draft.photos or draft.links):
        # Every piece removed at Ubah → Bukti, then Kembali: a report needs at least one, so ask for it.
        _start_edit("evidence", draft, ctx)
        return _reprompt(draft, ctx, "report.evidence_required")
    if value == "send":
        return Turn([], draft, submit=True)
    draft.history.append(draft.step)
    draft.step = Step.EDIT_MENU
    return Turn([prompt(draft, ctx.view)], draft)


def _start_edit(field_name: str, draft: Draft, ctx: Context) -> Turn:
    if field_name == "review":
        draft.step, draft.history = Step.REVIEW, [Step.REVIEW]
        return Turn([prompt(draft, ctx.view)], draft)
    steps = list(EDIT_FIELDS[field_name])
    draft.story = []  # a rewrite starts from nothing; Selesai without a piece keeps the old story
    draft.editing = True
    draft.history = [Step.REVIEW]
    draft.step = steps.pop(0)
    draft.edit_queue = steps
    return Turn([prompt(draft, ctx.view)], draft)


# A valid choice's prefix names what it answers; every prefix the prompts offer is here ("nav:" is
# left only for the cancel confirmation once Kembali and Batal are handled).
_CHOICES: Final[dict[str, Callable[[str, Draft, Context], Turn]]] = {
    "nav": _answer_cancel,
    "cat": _choose_category,
    "name": _name_unknown,
    "agency": _agency_unknown,
    "st": _choose_status,
    "grp": _choose_region_group,
    "reg": _choose_region,
    "wp": _workplace_unknown,
    "loc": _skip_location,
    "when": _choose_day,
    "known": _choose_known,
    "desc": _finish_description,
    "ev": _finish_evidence,
    "rm": _remove_evidence,
    "wit": _answer_witnesses,
    "ct": _skip_contact,
    "rv": _answer_review,
    "ed": _start_edit,
}


async def _on_text(raw: str, draft: Draft, ctx: Context) -> Turn:
    step = draft.step
    text = clean(raw)
    line = one_line(raw)
    if step is Step.SUBJECT_NAME:
        if not 2 <= len(line) <= MAX_NAME:
            return _too_long_or_short(draft, ctx, line, 2, MAX_NAME)
        draft.subject_name = line
        return _advance(draft, ctx, [])
    if step is Step.SUBJECT_AGENCY:
        if not 2 <= len(line) <= MAX_AGENCY:
            return _too_long_or_short(draft, ctx, line, 2, MAX_AGENCY)
        draft.subject_agency = line
        return _advance(draft, ctx, [])
    if step in (Step.REGION_GROUP, Step.REGION):
        if says_region_unknown(line):
            return _region_unknown(draft, ctx)
        return _typed_region(line, draft, ctx)
    if step is Step.WORKPLACE:
        if not 2 <= len(line) <= MAX_AGENCY:
            return _too_long_or_short(draft, ctx, line, 2, MAX_AGENCY)
        draft.workplace = line
        return _advance(draft, ctx, [])
    if step is Step.PLACE:
        if not 3 <= len(line) <= MAX_PLACE:
            return _too_long_or_short(draft, ctx, line, 3, MAX_PLACE)
        draft.place = line
        return _advance(draft, ctx, [])
    if step is Step.WHEN:
        return _typed_date(line, draft, ctx)
    if step is Step.KNOWN:
        return _typed_known(line, draft, ctx)
    if step is Step.WITNESSES:
        return _typed_witnesses(text, draft, ctx)
    if step is Step.DESCRIPTION:
        return _story_piece(text, draft, ctx)
    if step is Step.EVIDENCE:
        if not find_links(text):
            return _offer_for_chronology(text, draft, ctx)
        return _typed_links(text, draft, ctx)
    if step is Step.CONTACT:
        if looks_like_phone(line):
            draft.contact = Contact(name=None, phone=normalize_phone(line))
            return _advance(draft, ctx, [Reply(t(ctx.locale, "report.contact_saved"), remove_keyboard=True)])
        return _reprompt(draft, ctx, "report.contact_expected")
    if step is Step.LOCATION:
        return _reprompt(draft, ctx, "report.location_expected")
    return _reprompt(draft, ctx, "nav.use_buttons")


def _typed_region(line: str, draft: Draft, ctx: Context) -> Turn:
    matches = ctx.view.regions.match(line)
    if not matches:
        return _reprompt(draft, ctx, "report.region_not_found", text=line[:40], province=ctx.view.regions.province)
    if len(matches) == 1:
        region = matches[0]
        if draft.step is Step.REGION_GROUP:
            draft.history.append(Step.REGION_GROUP)
            draft.step = Step.REGION
        draft.region_id, draft.region_group, draft.region_candidates = region.id, region.group_id, []
        draft.workplace = None
        return _advance(draft, ctx, [_say(ctx, "report.region_chosen", region=region.name)])
    if draft.step is Step.REGION_GROUP:
        draft.history.append(Step.REGION_GROUP)
        draft.step = Step.REGION
    draft.region_candidates = [r.id for r in matches]
    return Turn([prompt(draft, ctx.view)], draft)


def _typed_date(line: str, draft: Draft, ctx: Context) -> Turn:
    try:
        draft.incident_date = parse_incident_date(line, ctx.view.today)
    except DateInFuture:
        return _reprompt(draft, ctx, "report.date_future")
    except DateTooOld:
        return _reprompt(draft, ctx, "report.date_too_old")
    except DateError:
        return _reprompt(draft, ctx, "report.date_not_understood", **asdict(date_examples(ctx.view.today, ctx.locale)))
    return _advance(draft, ctx, [])


def _typed_known(line: str, draft: Draft, ctx: Context) -> Turn:
    assert draft.incident_date is not None
    if normalize_label(line) in _SAME_DAY_WORDS:
        return _choose_known("same", draft, ctx)
    try:
        known = parse_incident_date(line, ctx.view.today)
    except DateInFuture:
        return _reprompt(draft, ctx, "report.date_future")
    except DateTooOld:
        return _reprompt(draft, ctx, "report.date_too_old")
    except DateError:
        return _reprompt(draft, ctx, "report.date_not_understood", **asdict(date_examples(ctx.view.today, ctx.locale)))
    if known < draft.incident_date:
        return _reprompt(
            draft, ctx, "report.known_before_incident", date=format_long_date(draft.incident_date, ctx.locale)
        )
    draft.known_date = known
    return _advance(draft, ctx, [])


def _typed_witnesses(text: str, draft: Draft, ctx: Context) -> Turn:
    """One witness a line: a name, then (after a comma, a dash or a colon) how to reach them."""
    if _only_links(text):
        return _reprompt(draft, ctx, "report.witness_expected")  # a link is evidence, not a person
    lines = [one_line(line) for line in text.splitlines() if one_line(line)]
    added = 0
    for line in lines:
        if len(draft.witnesses) >= MAX_WITNESSES:
            break
        name, reach = _split_witness(line)
        if len(name) < 2:
            continue
        draft.witnesses.append(Witness(name=name[:MAX_NAME], reach=reach[:MAX_PLACE] if reach else None))
        added += 1
    if not added:
        if len(draft.witnesses) >= MAX_WITNESSES:
            return _reprompt_n(draft, ctx, "report.witnesses_full", MAX_WITNESSES, max=MAX_WITNESSES)
        return _reprompt(draft, ctx, "report.witness_expected")
    return _reprompt_n(draft, ctx, "report.witnesses_received", added, count=added)


def _split_witness(line: str) -> tuple[str, str | None]:
    for separator in (",", " - ", " – ", ":", ";", "("):
        name, found, reach = line.partition(separator)
        if found and name.strip():
            return name.strip(), reach.strip(" )") or None
    return line.strip(), None


def _only_links(text: str) -> bool:
    rest = text
    for link in find_links(text):
        rest = rest.replace(link, " ")
    return bool(find_links(text)) and not any(ch.isalnum() for ch in rest)


def _story_piece(text: str, draft: Draft, ctx: Context) -> Turn:
    """Keep one piece of the story (phones split stories over messages); Selesai or evidence closes it."""
    if _only_links(text) and story_complete(draft):
        # A bare link is evidence: the citizen has moved on.
        _close_story(draft)
        _advance(draft, ctx, [])
        return _typed_links(text, draft, ctx)
    whole = "\n".join([*draft.story, text])
    if len(whole) > MAX_DESCRIPTION:
        return _reprompt_n(
            draft,
            ctx,
            "report.description_long",
            MAX_DESCRIPTION,
            max=MAX_DESCRIPTION,
            length=tn(ctx.locale, "count.characters", len(whole), n=len(whole)),
        )
    draft.story.append(text)
    if len(whole) < MIN_DESCRIPTION:
        return _reprompt_n(draft, ctx, "report.description_short", MIN_DESCRIPTION, min=MIN_DESCRIPTION)
    return _reprompt(
        draft, ctx, "report.story_piece_received", pieces=len(draft.story), length=len(whole), max=MAX_DESCRIPTION
    )


def _offer_for_chronology(text: str, draft: Draft, ctx: Context) -> Turn:
    """Words sent with the evidence are kept and offered for the chronology, never dropped."""
    draft.pending_text = "\n".join(part for part in (draft.pending_text, text) if part)
    return _reprompt(draft, ctx, "report.offer_chronology")


def _typed_links(text: str, draft: Draft, ctx: Context) -> Turn:
    links = find_links(text)
    if not links:
        return _reprompt(draft, ctx, "report.evidence_expected")
    added = [link for link in links if link not in draft.links][: MAX_LINKS - len(draft.links)]
    if not added:
        return _reprompt(draft, ctx, "report.links_full" if len(draft.links) >= MAX_LINKS else "report.link_duplicate")
    draft.links.extend(added)
    photo_count, link_count = len(draft.photos), len(draft.links)
    return Turn(
        [
            _say_n(
                ctx,
                "report.links_received",
                len(added),
                count=len(added),
                photos=tn(ctx.locale, "count.photos", photo_count, n=photo_count),
                links=tn(ctx.locale, "count.links", link_count, n=link_count),
            ),
            prompt(draft, ctx.view),
        ],
        draft,
    )


async def _on_image(event: Image, draft: Draft, ctx: Context) -> Turn:
    if draft.step is Step.DESCRIPTION and story_complete(draft):
        # A photo after the story: the citizen has moved on to the evidence.
        _close_story(draft)
        _advance(draft, ctx, [])
    if draft.step is not Step.EVIDENCE:
        return _reprompt(draft, ctx, "report.photo_not_now")
    if len(draft.photos) >= ctx.view.max_photos:
        return Turn([_say_n(ctx, "report.photos_full", ctx.view.max_photos, max=ctx.view.max_photos)], draft)
    limit_mb = max(1, ctx.max_image_bytes // (1024 * 1024))
    if event.size is not None and event.size > ctx.max_image_bytes:
        return Turn([_say(ctx, "image.too_large", max_mb=limit_mb)], draft)
    try:
        data = await event.fetch()
        photo = await ctx.store_image(data, event.source_id)
    except FetchFailed:
        return Turn([_say(ctx, "image.download_failed")], draft)
    except ImageRejected as rejected:
        if rejected.reason is RejectReason.TOO_LARGE:
            return Turn([_say(ctx, "image.too_large", max_mb=limit_mb)], draft)
        if rejected.reason is RejectReason.QUOTA:
            return Turn([_say(ctx, "image.quota", max_mb=f"{ctx.daily_quota_mb:g}")], draft)
        return Turn([_say(ctx, f"image.{rejected.reason.value.lower()}")], draft)
    if any(p.sha256 == photo.sha256 for p in draft.photos):
        return Turn([_say(ctx, "report.photo_duplicate")], draft)
    draft.photos.append(photo)
    if event.group_id is not None and event.group_id == draft.album_id:
        draft.album_count += 1
    else:
        draft.album_id, draft.album_count = event.group_id, 1
    ack = Reply(
        tn(
            ctx.locale,
            "report.photos_received",
            draft.album_count,
            count=draft.album_count,
            total=len(draft.photos),
            max=ctx.view.max_photos,
        )
        + "\n\n"
        + prompt(draft, ctx.view).text,
        prompt(draft, ctx.view).buttons,
        coalesce_key=event.group_id,
    )
    return Turn([ack], draft)


def _on_location(event: Location, draft: Draft, ctx: Context) -> Turn:
    if not (-90 <= event.latitude <= 90 and -180 <= event.longitude <= 180):
        return _reprompt(draft, ctx, "report.location_expected")
    if draft.step not in (Step.PLACE, Step.LOCATION):
        return _reprompt(draft, ctx, "report.location_not_now")
    draft.latitude, draft.longitude = event.latitude, event.longitude
    if draft.step is Step.PLACE:
        # The coordinates are kept; the place still needs words a supervisor can read.
        return _reprompt(draft, ctx, "report.location_received_need_place")
    return _advance(draft, ctx, [Reply(t(ctx.locale, "report.location_received"), remove_keyboard=True)])


def _on_contact(event: SharedContact, draft: Draft, ctx: Context) -> Turn:
    if draft.step is not Step.CONTACT:
        return _reprompt(draft, ctx, "report.contact_not_now")
    if not looks_like_phone(event.phone):
        return _reprompt(draft, ctx, "report.contact_expected")
    name = one_line(event.name)[:MAX_NAME] if event.name else None
    draft.contact = Contact(name=name or None, phone=normalize_phone(event.phone))
    return _advance(draft, ctx, [Reply(t(ctx.locale, "report.contact_saved"), remove_keyboard=True)])
