"""What a citizen can send, and what the bot answers, in terms no channel owns.

Transports translate their updates into these events and render these replies; the conversation core
sees nothing else, so Telegram and WhatsApp run one flow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.common.errors import LaporNetralError


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the slash, lower case
    args: str = ""


def parse_command(text: str) -> Command:
    """`/status LN-ABC234` as a command; a `@BotName` suffix (Telegram groups) is dropped."""
    head, _, args = text.strip().partition(" ")
    return Command(head[1:].split("@", 1)[0].lower(), args.strip())


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


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the citizen.

    `text` is a small HTML subset (<b>, <i>, <code>) with every user-supplied part escaped.
    `coalesce_key` marks replies that the transport may merge: of several replies with one key sent in a
    burst (an album), only the last is delivered.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    request: RequestKeyboard | None = None
    remove_keyboard: bool = False
    coalesce_key: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def choices(self) -> list[Button]:
        return [b for row in self.buttons for b in row]
