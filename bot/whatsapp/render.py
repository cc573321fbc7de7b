"""Turning the core's replies into WhatsApp messages within the Cloud API's limits.

A reply with at most 3 short choices gets reply buttons; up to 10, one list (choices, then navigation in
its own section); more than 10, every choice numbered in the text and the first ones (with navigation)
in the list. Labels too long for a row are cut, the whole label kept as the row's description. Typed
answers always work too: the core matches a typed label or number, so nothing depends on the buttons.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx
from pywa_async import WhatsApp, errors, types

from bot.whatsapp.events import recipient
from handlers.common.events import Button, Reply, RequestKeyboard
from handlers.report.prompts import BACK, CANCEL
from locales import t

log = logging.getLogger(__name__)

# Cloud API limits (interactive messages, text messages).
MAX_TEXT: Final = 4096
MAX_INTERACTIVE_BODY: Final = 1024
MAX_BUTTONS: Final = 3
MAX_BUTTON_TITLE: Final = 20
MAX_ROWS: Final = 10
MAX_ROW_TITLE: Final = 24
MAX_ROW_DESCRIPTION: Final = 72
MAX_SECTION_TITLE: Final = 24
MAX_LIST_BUTTON: Final = 20
MAX_CAPTION: Final = 1024  # a media message's caption
MAX_TEMPLATE_PARAM: Final = 700  # the approved body is ~150 characters; the whole body may hold 1024

# A choice only WhatsApp offers: "use the number I am writing from" at the contact step. The transport
# answers it itself (a SharedContact of the sender's own number); the core never sees this data.
OWN_NUMBER: Final = "wa:own_number"
NAV_DATA: Final = frozenset({BACK, CANCEL})

_TAG_RE: Final = re.compile(r"<(b|i|code)>(.*?)</\1>", re.DOTALL)
_LINK_RE: Final = re.compile(r"<a\s+href=\"([^\"]*)\"\s*>(.*?)</a>", re.DOTALL)
_ANY_TAG_RE: Final = re.compile(r"</?[a-zA-Z][^>]*>")
_MARKERS: Final = {"b": "*", "i": "_", "code": "```"}


def units(text: str) -> int:
    """Length as WhatsApp may count it: UTF-16 code units, so an emoji counts twice (the safe side)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` within `limit` units, ending in an ellipsis when something was cut."""
    if units(text) <= limit:
        return text
    kept = text
    while kept and units(kept) + units(ellipsis) > limit:
        kept = kept[:-1]
    return kept.rstrip() + ellipsis


def _mark(match: re.Match[str]) -> str:
    marker, inner = _MARKERS[match.group(1)], match.group(2)
    stripped = inner.strip()
    if not stripped:
        return inner
    # WhatsApp formats only when the markers touch the text: keep the spaces outside them.
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def _link(match: re.Match[str]) -> str:
    url, label = html.unescape(match.group(1)), match.group(2)
    return url if html.unescape(label) == url else f"{label} ({url})"


def whatsapp_text(text: str) -> str:
    """Our HTML subset as WhatsApp formatting: <b> → *bold*, <i> → _italic_, <code> → ```mono```."""
    text = _LINK_RE.sub(_link, text)
    previous = None
    while previous != text:  # nested tags, innermost first
        previous, text = text, _TAG_RE.sub(_mark, text)
    return html.unescape(_ANY_TAG_RE.sub("", text))


def one_line(text: str, limit: int = MAX_TEMPLATE_PARAM) -> str:
    """A template parameter: WhatsApp refuses newlines, tabs and more than four spaces in a row."""
    return cut(" ".join(whatsapp_text(text).split()), limit)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Long text in pieces at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        window = cut(rest, limit, ellipsis="")
        at = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        at = at if at > len(window) // 2 else len(window)
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].strip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One WhatsApp message: text, with reply buttons or a list, or a location request."""

    text: str
    buttons: tuple[types.Button, ...] | types.SectionList | None = None
    ask_location: bool = False


def render(reply: Reply, locale: str, *, own_number: bool = True) -> list[Outgoing]:
    """The WhatsApp messages for one reply (usually one; a long text or a location request adds some)."""
    text = whatsapp_text(reply.text).strip()
    choices = reply.choices()
    if not text:
        # WhatsApp refuses empty bodies: nothing to say is nothing to send, choices get a short question.
        if not choices and reply.request is None:
            return []
        text = t(locale, "wa.choose_below")
    if reply.request is RequestKeyboard.CONTACT and own_number:
        choices = [Button(t(locale, "wa.share_own_number"), OWN_NUMBER), *choices]
    if reply.request is RequestKeyboard.LOCATION:
        # Only WhatsApp's own location request can ask for a pin; the other choices follow it.
        messages = _interactive(text, locale, lambda body: Outgoing(body, ask_location=True))
        if choices:
            messages += _with_choices(t(locale, "wa.or_choose"), choices, locale)
        return messages
    if not choices:
        return [Outgoing(piece) for piece in split_text(text)]
    return _with_choices(text, choices, locale)


def _interactive(text: str, locale: str, build: Callable[[str], Outgoing]) -> list[Outgoing]:
    """An interactive message, preceded by plain text when the text is too long for its body."""
    if units(text) <= MAX_INTERACTIVE_BODY:
        return [build(text)]
    return [*(Outgoing(piece) for piece in split_text(text)), build(t(locale, "wa.choose_below"))]


def _with_choices(text: str, choices: list[Button], locale: str) -> list[Outgoing]:
    if len(choices) <= MAX_BUTTONS and all(units(b.label) <= MAX_BUTTON_TITLE for b in choices):
        buttons = tuple(types.Button(title=b.label, callback_data=b.data) for b in choices)
        return _interactive(text, locale, lambda body: Outgoing(body, buttons))
    main = [b for b in choices if b.data not in NAV_DATA]
    nav = [b for b in choices if b.data in NAV_DATA]
    if len(main) + len(nav) > MAX_ROWS:
        # Too many for one list: all of them numbered in the text (the core takes a typed number or
        # name), the first ones in the list, Back and Cancel still at its end.
        numbered = "\n".join(f"{i}. {b.label}" for i, b in enumerate(main, 1))
        text = f"{text}\n\n{t(locale, 'wa.type_choice')}\n{numbered}"
        main = main[: MAX_ROWS - len(nav)]
    sections = []
    if main:
        sections.append(
            types.Section(title=cut(t(locale, "wa.section_choices"), MAX_SECTION_TITLE), rows=[_row(b) for b in main])
        )
    if nav:
        sections.append(
            types.Section(title=cut(t(locale, "wa.section_nav"), MAX_SECTION_TITLE), rows=[_row(b) for b in nav])
        )
    listing = types.SectionList(button_title=cut(t(locale, "wa.list_button"), MAX_LIST_BUTTON), sections=sections)
    return _interactive(text, locale, lambda body: Outgoing(body, listing))


def _row(button: Button) -> types.SectionRow:
    title = cut(button.label, MAX_ROW_TITLE)
    description = cut(button.label, MAX_ROW_DESCRIPTION) if title != button.label else None
    return types.SectionRow(title=title, callback_data=button.data, description=description)


async def deliver(client: WhatsApp, address: str, reply: Reply, locale: str) -> str:
    """Send one reply's messages in order; the wamid of the last. WhatsApp's refusals propagate."""
    to = recipient(address)
    if reply.document is not None:
        return await _send_document(client, to, reply)
    last = ""
    for message in render(reply, locale, own_number=address.startswith("+")):
        if message.ask_location:
            last = (await client.request_location(to=to, text=message.text)).id
        else:
            last = (await client.send_message(to=to, text=message.text, buttons=message.buttons)).id
    return last


async def _send_document(client: WhatsApp, to: str, reply: Reply) -> str:
    """Upload the file (POST /{phone-number-id}/media), then a document message naming the media id."""
    document = reply.document
    assert document is not None
    caption = cut(whatsapp_text(reply.text).strip(), MAX_CAPTION)
    sent = await client.send_document(
        to=to,
        document=document.data,
        filename=document.filename,
        caption=caption or None,
        mime_type=document.mime,
    )
    return sent.id


async def send_reply(client: WhatsApp, address: str, reply: Reply, locale: str) -> str | None:
    """Answer in the conversation: a throttle or a network blip is retried briefly, a refusal logged."""
    for attempt in range(3):
        try:
            return await deliver(client, address, reply, locale)
        except (errors.ThrottlingError, httpx.TransportError) as exc:
            if attempt == 2:
                log.warning("WhatsApp reply failed after retries: %s", type(exc).__name__)
                return None
            await asyncio.sleep(0.5 * (attempt + 1))
        except errors.WhatsAppError as exc:
            log.warning("WhatsApp refused a reply: %s (code %s)", type(exc).__name__, exc.code)
            return None
    return None
