"""The citizen's side on WhatsApp, inbound: pywa's updates become the core's events.

Text, images, image documents, locations, contact cards and button/list replies map onto the same events
as on Telegram; everything else (stickers, voice notes, audio, video, other files, reactions…) becomes
`Unsupported`, which the core answers politely.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final

from pywa import types  # the base classes of pywa_async's updates: only their fields are read here
from pywa.types import MessageType

from handlers.common.events import (
    COMMAND_NAMES,
    Event,
    Image,
    Location,
    SharedContact,
    Text,
    Unsupported,
    UnsupportedKind,
    command,
    parse_command,
)
from handlers.common.text import normalize_phone

IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".webp", ".gif")

# WhatsApp has no command menu: a message that is only a command's word (or "status CODE") is taken as
# that command, so "lapor" works as "/lapor" does on Telegram, and so do its other names ("report").
COMMAND_WORDS: Final = frozenset(name for names in COMMAND_NAMES.values() for name in names)
# "status LN-7F3K9Q", "cek 7f3k9q", "formulir 7F3K9Q": a ticket code, as people type it, in the codes' own
# alphabet (no 0/O, 1/I/L: "pemilu" is no code). Anything else after the word is an answer that happens to
# start with it ("Status WhatsApp-nya" as the place, "Formulir C1 ..." as the story), not a command.
_WITH_CODE: Final = frozenset(COMMAND_NAMES["status"] + COMMAND_NAMES["formulir"])
_CODE_ARG: Final = re.compile(r"^(?:LN)?[2-9A-HJKMNP-Z]{6}$")

Fetch = Callable[[], Awaitable[bytes]]
FetchFor = Callable[[str], Fetch]


def address_of(user: types.User) -> str | None:
    """The reporter's address: their number as +62…, or (for a user who hides it) their business-scoped id."""
    if user.wa_id:
        return normalize_phone("+" + user.wa_id)
    return user.bsuid or None


def recipient(address: str) -> str:
    """What the Cloud API expects in `to`: digits without the plus, or the business-scoped id."""
    return address[1:] if address.startswith("+") else address


def parse_text(text: str) -> Event:
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        return parse_command(stripped)
    head, _, args = stripped.partition(" ")
    word = head.lower().rstrip("!.?")
    if word in COMMAND_WORDS and (not args.strip() or (word in _WITH_CODE and _is_code(args))):
        return command(word, args)
    return Text(text)


def _is_code(args: str) -> bool:
    return bool(_CODE_ARG.match("".join(ch for ch in args.upper() if ch not in " -")))


def read_text(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    return parse_text(message.text) if message.text is not None else Unsupported(UnsupportedKind.OTHER)


def read_image(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    if message.image is None:
        return Unsupported(UnsupportedKind.OTHER)
    return Image(fetch=fetch_for(message.image.id), group_id=group_id)


def read_document(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    """An image sent as a file is an image (kept whole); any other file is not evidence the bot reads."""
    document = message.document
    if document is None:
        return Unsupported(UnsupportedKind.OTHER)
    name = (document.filename or "").lower()
    if (document.mime_type or "").startswith("image/") or name.endswith(IMAGE_SUFFIXES):
        return Image(fetch=fetch_for(document.id), group_id=group_id)
    return Unsupported(UnsupportedKind.DOCUMENT)


def read_location(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    if message.location is None:
        return Unsupported(UnsupportedKind.OTHER)
    return Location(message.location.latitude, message.location.longitude)


def read_contacts(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    return _shared_contact(message) if message.contacts else Unsupported(UnsupportedKind.OTHER)


def read_reaction(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event | None:
    # Taking a reaction back sends an empty one: nothing to explain.
    emoji = message.reaction.emoji if message.reaction is not None else None
    return Unsupported(UnsupportedKind.REACTION) if emoji else None


def read_audio(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
    voice = message.audio is not None and bool(getattr(message.audio, "voice", False))
    return Unsupported(UnsupportedKind.VOICE if voice else UnsupportedKind.AUDIO)


Reader = Callable[[types.Message, FetchFor, str | None], Event | None]


def _refuse(kind: UnsupportedKind) -> Reader:
    def refuse(message: types.Message, fetch_for: FetchFor, group_id: str | None) -> Event:
        return Unsupported(kind)

    return refuse


# What each kind of message becomes; a kind not listed here (or a message missing the field its kind
# names) is Unsupported(OTHER), which the core answers politely.
_READERS: Final[dict[MessageType, Reader]] = {
    MessageType.TEXT: read_text,
    MessageType.IMAGE: read_image,
    MessageType.DOCUMENT: read_document,
    MessageType.LOCATION: read_location,
    MessageType.CONTACTS: read_contacts,
    MessageType.REACTION: read_reaction,
    MessageType.STICKER: _refuse(UnsupportedKind.STICKER),
    MessageType.AUDIO: read_audio,
    MessageType.VIDEO: _refuse(UnsupportedKind.VIDEO),
}
_OTHER: Final = _refuse(UnsupportedKind.OTHER)


def event_from_message(message: types.Message, fetch_for: FetchFor, group_id: str | None = None) -> Event | None:
    """Translate one incoming message; None for what needs no answer (a reaction taken back)."""
    return _READERS.get(message.type, _OTHER)(message, fetch_for, group_id)


def _shared_contact(message: types.Message) -> SharedContact:
    """The first contact card with a number; a card without one still reaches the core, which asks again."""
    assert message.contacts
    for contact in message.contacts:
        name = contact.name.formatted_name if contact.name is not None else None
        for phone in contact.phones:
            number = phone.phone or (f"+{phone.wa_id}" if phone.wa_id else None)
            if number:
                return SharedContact(phone=number, name=name or None)
    first = message.contacts[0]
    return SharedContact(phone="", name=first.name.formatted_name if first.name is not None else None)


class Bursts:
    """Images sent in one go arrive as separate messages: give them one group id, like a Telegram album.

    The core then counts them together and the transport acknowledges the burst once.
    """

    def __init__(self, gap: float) -> None:
        self._gap = gap
        self._last: dict[str, tuple[float, str]] = {}

    def group_for(self, address: str, message_id: str, now: float) -> str:
        last = self._last.get(address)
        group = last[1] if last is not None and now - last[0] <= self._gap else message_id
        self._last[address] = (now, group)
        if len(self._last) > 10_000:  # bounded: forget the quietest senders
            for key in sorted(self._last, key=lambda k: self._last[k][0])[:5_000]:
                del self._last[key]
        return group
