"""Every callback-data prefix the bot puts on a button, with its codec: one registry, as aiogram's
`CallbackData(prefix=…)` keeps it.

Data is "<prefix>:<part>:<part>…" and never longer than Telegram's 64 bytes (checked when packing, so a
button that Telegram would refuse is a bug found at once). Button data comes back untrusted: `unpack`
and `number` accept only what `pack` could have made (ASCII digits, not `"²".isdigit()`).

| prefix    | whose                      | parts                                               |
|-----------|----------------------------|-----------------------------------------------------|
| `tr`      | triage card and menus      | report id, action, state code[, choice] (machine.py)|
| `tr:pg`   | triage list pages          | `q`, page / `s`, search id, page                    |
| `tr:mv`   | a card's "Pindah wilayah"  | report id[, from group, to group] (regional.py)     |
| `tr:ph`   | a card's "📷 Bukti (n)"    | report id                                           |
| `ans`     | a reporter's "answer" button | report id                                         |
| `ansdone` | "done answering"           | report id                                           |
| `go`      | start a new report         | `start`                                             |
| the report conversation's steps | `REPORT_STEPS` | one value (prompts.py)                         |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from handlers.common.errors import LaporNetralError

MAX_BYTES: Final = 64
_ASCII_DIGITS: Final = re.compile(r"[0-9]{1,18}")


class CallbackDataError(LaporNetralError, ValueError):
    """Button data Telegram would refuse: a bug in the code that packs it."""


def number(text: str, *, limit: int | None = None) -> int | None:
    """An untrusted decimal made of ASCII digits (at most 18), below `limit` when given; else None."""
    if _ASCII_DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if limit is None or value < limit else None


@dataclass(frozen=True, slots=True)
class Prefix:
    name: str

    @property
    def pattern(self) -> str:
        """The PTB CallbackQueryHandler pattern of this prefix's buttons."""
        return rf"^{re.escape(self.name)}(:|$)"

    def owns(self, data: str) -> bool:
        return data == self.name or data.startswith(self.name + ":")

    def pack(self, *parts: object) -> str:
        data = ":".join((self.name, *map(str, parts)))
        if len(data.encode()) > MAX_BYTES:
            raise CallbackDataError(f"callback data of {self.name!r} longer than {MAX_BYTES} bytes")
        return data

    def unpack(self, data: str) -> list[str] | None:
        """The parts after the prefix, or None for another prefix's data (or data Telegram never sends)."""
        if len(data.encode()) > MAX_BYTES or not data.startswith(self.name + ":"):
            return None
        return data[len(self.name) + 1 :].split(":")


TRIAGE: Final = Prefix("tr")
TRIAGE_PAGE: Final = Prefix("tr:pg")
# A card's "Pindah wilayah": "tr:mv:<report id>" opens the groups, "tr:mv:<report id>:<from>:<to>" moves
# (group indexes in the routing table, 0 the provincial group; <from> makes a stale press refusable).
TRIAGE_MOVE: Final = Prefix("tr:mv")
# A card's "📷 Bukti (n)": "tr:ph:<report id>", the report's other photos under the card, once.
TRIAGE_PHOTOS: Final = Prefix("tr:ph")
ANSWER: Final = Prefix("ans")
ANSWER_DONE: Final = Prefix("ansdone")
GO: Final = Prefix("go")
GO_START: Final = GO.pack("start")
# The report conversation's own steps (handlers/report/prompts.py): "<step>:<value>".
REPORT_STEPS: Final = tuple(
    Prefix(name)
    for name in (
        "cat",
        "name",
        "agency",
        "st",
        "grp",
        "reg",
        "loc",
        "when",
        "ev",
        "ct",
        "rv",
        "ed",
        "nav",
    )
)
# Everything not triage's is the citizen's (their conversation, answers and "start again").
CITIZEN_PATTERN: Final = rf"^(?!{re.escape(TRIAGE.name)}:)"
