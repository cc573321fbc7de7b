"""What a citizen can send, and what the bot answers, in terms no channel owns.

Transports translate their updates into these events and render these replies; the conversation core
sees nothing else, so Telegram and WhatsApp run one flow.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from handlers.common.errors import LaporNetralError
from storage.models import Channel


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the slash, lower case
    args: str = ""


# A citizen command's names: the one the menus show (Indonesian) first, then what people also type (English,
# everyday words). Events carry the first name only, so the core never matches a list of spellings.
COMMAND_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "start": ("start", "mulai", "menu"),
    "lapor": ("lapor", "report"),
    "status": ("status", "cek", "check"),
    "formulir": ("formulir", "form"),
    "bahasa": ("bahasa", "language"),
    "batal": ("batal", "cancel"),
    "bantuan": ("bantuan", "help"),
}
_CANONICAL: Final = {name: command for command, names in COMMAND_NAMES.items() for name in names}


def command(name: str, args: str = "") -> Command:
    """The command `name` is a spelling of, under its menu name; an unknown name stays as typed."""
    lowered = name.lower()
    return Command(_CANONICAL.get(lowered, lowered), args.strip())


def parse_command(text: str) -> Command:
    """`/status LN-ABC234` as a command; a `@BotName` suffix (Telegram groups) is dropped."""
    head, _, args = text.strip().partition(" ")
    return command(head[1:].split("@", 1)[0], args)


# WhatsApp has no command menu and its users type commands as words ("status", not "/status"): every text
# a citizen reads that names a command has a twin key with this suffix naming the typed words.
TYPED_SUFFIX: Final = "_typed"


def typed_commands(channel: Channel | None) -> bool:
    """Whether the channel's users type commands as words: WhatsApp has no command menu and no "/"."""
    return channel is Channel.WHATSAPP


def command_text(key: str, *, typed: bool) -> str:
    """The catalog key of a text that names commands, as the citizen's channel takes them."""
    return key + TYPED_SUFFIX if typed else key


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A button press; `data` is untrusted and validated against the current step."""

    data: str


class FetchFailed(LaporNetralError):
    """The channel could not download an image the citizen sent (a network error, an expired file)."""


@dataclass(frozen=True, slots=True)
class Image:
    """A photo or an image file; bytes are fetched only after the cheap checks pass.

    `fetch` raises FetchFailed when the channel cannot deliver the bytes.
    """

    fetch: Callable[[], Awaitable[bytes]]
    size: int | None = None
    group_id: str | None = None  # Telegram media_group_id: photos sent together as an album
    # The channel's own id for these exact bytes (a Telegram photo's file_id), with which the supervisors'
    # group can be sent them again without an upload.
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class SharedContact:
    phone: str
    name: str | None = None


class UnsupportedKind(StrEnum):
    STICKER = "sticker"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    ANIMATION = "animation"
    POLL = "poll"
    REACTION = "reaction"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Unsupported:
    kind: UnsupportedKind


Event = Command | Text | Choice | Image | Location | SharedContact | Unsupported


class RequestKeyboard(StrEnum):
    """A keyboard that asks the client for data: Telegram's reply keyboard buttons."""

    CONTACT = "contact"
    LOCATION = "location"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


# A document the bot sends stays well under what either channel takes (Telegram bots upload up to 50 MB,
# WhatsApp documents up to 100 MB) and what a phone on a slow line downloads in reasonable time.
MAX_DOCUMENT_BYTES: Final = 10 * 1024 * 1024
# A caption is at most 1,024 characters on both channels; our HTML is never shorter than the text shown.
MAX_CAPTION: Final = 1024
_FILE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.[a-z0-9]{2,5}")


class DocumentRefused(LaporNetralError, ValueError):
    """A document the channels would refuse (empty, too large, a bad name): a bug where it was made."""


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (its text is the caption): the bytes, the name the citizen sees, the type."""

    data: bytes
    filename: str
    mime: str = "application/pdf"

    def __post_init__(self) -> None:
        if not 0 < len(self.data) <= MAX_DOCUMENT_BYTES:
            raise DocumentRefused(f"a document of {len(self.data)} bytes")
        if _FILE_NAME.fullmatch(self.filename) is None:
            raise DocumentRefused("a document name outside [A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the citizen.

    `text` is a small HTML subset (<b>, <i>, <code>) with every user-supplied part escaped.
    `coalesce_key` marks replies that the transport may merge: of several replies with one key sent in a
    burst (an album), only the last is delivered. With a `document`, `text` is its caption (at most
    MAX_CAPTION) and there are no buttons: WhatsApp's document messages take none.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    request: RequestKeyboard | None = None
    remove_keyboard: bool = False
    coalesce_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    document: Document | None = None

    def __post_init__(self) -> None:
        if self.document is not None and (len(self.text) > MAX_CAPTION or self.buttons or self.request):
            raise DocumentRefused("a document's caption is long, or it has buttons")

    def choices(self) -> list[Button]:
        return [b for row in self.buttons for b in row]
