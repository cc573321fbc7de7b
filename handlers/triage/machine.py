"""The triage state machine: which move a supervisor may make from which state, and the buttons for it.

Allowed moves (anything else is refused, never executed):

| from \\ action | claim    | request_info | info_received | verify        | reject  | forward    | close   | reopen   |
|---------------|----------|--------------|---------------|---------------|---------|------------|---------|----------|
| baru          | diproses |              |               |               | ditolak |            |         |          |
| diproses      |          | butuh_info   |               | terverifikasi | ditolak |            |         |          |
| butuh_info    |          | butuh_info   | diproses      | terverifikasi | ditolak |            |         |          |
| terverifikasi |          |              |               |               | ditolak | diteruskan | selesai |          |
| diteruskan    |          |              |               |               |         |            | selesai |          |
| selesai       |          |              |               |               |         |            |         | diproses |
| ditolak       |          |              |               |               |         |            |         | diproses |

Why these and not more:
- `verify` needs someone to have claimed the report first: the card then says who vouches for it.
- A second question while one is open stays `butuh_info`; the reporter's answer (`info_received`, the
  reporter's own move) hands the report back to the supervisors as `diproses`.
- A verified report may still be rejected (a duplicate or a non-ASN found later) or closed without
  forwarding (settled otherwise); once forwarded, the other institution decides, so it can only close.
- Nothing is ever deleted: a closed or rejected report can only be reopened, back to `diproses`.

Button data is "tr:<report_id>:<action>:<state code>[:<choice>]". The state code is the state the
button was drawn for: a press made on a card that has moved on since is refused as "the card changed",
so two supervisors pressing at once make exactly one move.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from handlers.common.callbacks import MAX_BYTES, TRIAGE, CallbackDataError, number
from handlers.common.events import Button
from locales import t
from storage.models import ReportState

CALLBACK_PREFIX: Final = TRIAGE.name + ":"
MAX_CALLBACK_BYTES: Final = MAX_BYTES
SUPERVISOR_ACTOR_PREFIX: Final = "supervisor:"
REPORTER_ACTOR: Final = "reporter"


class Action(StrEnum):
    CLAIM = "claim"
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    VERIFY = "verify"
    REJECT = "reject"
    FORWARD = "forward"
    CLOSE = "close"
    REOPEN = "reopen"


class RejectReason(StrEnum):
    """DOMAIN.md's short list; a typed reason is the sixth way."""

    NOT_ENOUGH_EVIDENCE = "evidence"
    NOT_ASN = "not_asn"
    DUPLICATE = "duplicate"
    OUTSIDE_PROVINCE = "outside"
    SPAM = "spam"


class ForwardTarget(StrEnum):
    BAWASLU = "bawaslu"
    BKN = "bkn"
    AGENCY = "agency"
    SP4N_LAPOR = "sp4n"


S = ReportState
A = Action
TRANSITIONS: Final[dict[tuple[ReportState, Action], ReportState]] = {
    (S.BARU, A.CLAIM): S.DIPROSES,
    (S.BARU, A.REJECT): S.DITOLAK,
    (S.DIPROSES, A.REQUEST_INFO): S.BUTUH_INFO,
    (S.DIPROSES, A.VERIFY): S.TERVERIFIKASI,
    (S.DIPROSES, A.REJECT): S.DITOLAK,
    (S.BUTUH_INFO, A.REQUEST_INFO): S.BUTUH_INFO,
    (S.BUTUH_INFO, A.INFO_RECEIVED): S.DIPROSES,
    (S.BUTUH_INFO, A.VERIFY): S.TERVERIFIKASI,
    (S.BUTUH_INFO, A.REJECT): S.DITOLAK,
    (S.TERVERIFIKASI, A.FORWARD): S.DITERUSKAN,
    (S.TERVERIFIKASI, A.REJECT): S.DITOLAK,
    (S.TERVERIFIKASI, A.CLOSE): S.SELESAI,
    (S.DITERUSKAN, A.CLOSE): S.SELESAI,
    (S.SELESAI, A.REOPEN): S.DIPROSES,
    (S.DITOLAK, A.REOPEN): S.DIPROSES,
}

# The reporter's own move is not a button.
SUPERVISOR_ACTIONS: Final = frozenset(set(Action) - {Action.INFO_RECEIVED})

# The buttons of each state, in the order they appear on the card: exactly the supervisor moves of
# TRANSITIONS, so the card has no dead buttons (tests check the two agree).
BUTTONS: Final[dict[ReportState, tuple[Action, ...]]] = {
    S.BARU: (A.CLAIM, A.REJECT),
    S.DIPROSES: (A.VERIFY, A.REQUEST_INFO, A.REJECT),
    S.BUTUH_INFO: (A.VERIFY, A.REQUEST_INFO, A.REJECT),
    S.TERVERIFIKASI: (A.FORWARD, A.CLOSE, A.REJECT),
    S.DITERUSKAN: (A.CLOSE,),
    S.SELESAI: (A.REOPEN,),
    S.DITOLAK: (A.REOPEN,),
}

STATE_CODES: Final[dict[ReportState, str]] = {
    S.BARU: "b",
    S.DIPROSES: "p",
    S.BUTUH_INFO: "i",
    S.TERVERIFIKASI: "v",
    S.DITERUSKAN: "f",
    S.SELESAI: "s",
    S.DITOLAK: "x",
}
_STATE_BY_CODE: Final = {code: state for state, code in STATE_CODES.items()}

# Presses that open a menu or a prompt instead of moving at once.
MENU_BACK: Final = "back"
TYPED_REASON: Final = "typed"


def next_state(state: ReportState, action: Action) -> ReportState | None:
    """Where `action` takes a report in `state`, or None when the move is not allowed."""
    return TRANSITIONS.get((state, action))


def is_allowed(state: ReportState, action: Action) -> bool:
    return (state, action) in TRANSITIONS


def supervisor_actor(user_id: int) -> str:
    return f"{SUPERVISOR_ACTOR_PREFIX}{user_id}"


@dataclass(frozen=True, slots=True)
class Supervisor:
    """Who pressed: the Telegram user id (stable) and the display name the group knows them by."""

    user_id: int
    name: str

    @property
    def actor(self) -> str:
        return supervisor_actor(self.user_id)


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded triage button: the report, the move, the state the button was drawn for, a choice."""

    report_id: int
    action: Action | None  # None: the "back" button of a menu
    expected: ReportState
    choice: str | None = None

    def data(self) -> str:
        return encode(self.report_id, self.action, self.expected, self.choice)


def encode(report_id: int, action: Action | None, expected: ReportState, choice: str | None = None) -> str:
    parts = [CALLBACK_PREFIX.rstrip(":"), str(report_id), action.value if action else MENU_BACK, STATE_CODES[expected]]
    if choice is not None:
        parts.append(choice)
    data = ":".join(parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise CallbackDataError("callback data longer than Telegram allows")
    return data


_CHOICES: Final[dict[Action, frozenset[str]]] = {
    Action.REJECT: frozenset({r.value for r in RejectReason} | {TYPED_REASON}),
    Action.FORWARD: frozenset(target.value for target in ForwardTarget),
}


def decode(data: str) -> Press | None:
    """Parse untrusted button data; anything malformed is None (and refused by the caller)."""
    if len(data.encode()) > MAX_CALLBACK_BYTES or not data.startswith(CALLBACK_PREFIX):
        return None
    parts = data.split(":")
    report_id = number(parts[1]) if len(parts) in (4, 5) else None
    if report_id is None:
        return None
    expected = _STATE_BY_CODE.get(parts[3])
    if expected is None or report_id <= 0:
        return None
    if parts[2] == MENU_BACK:
        return Press(report_id, None, expected) if len(parts) == 4 else None
    try:
        action = Action(parts[2])
    except ValueError:
        return None
    if action not in SUPERVISOR_ACTIONS:
        return None
    choice = parts[4] if len(parts) == 5 else None
    if choice is not None and choice not in _CHOICES.get(action, frozenset()):
        return None
    return Press(report_id, action, expected, choice)


def reason_key(reason: RejectReason) -> str:
    return f"triage.reason_{reason.value}"


def target_key(target: ForwardTarget) -> str:
    return f"triage.target_{target.value}"


def action_key(action: Action) -> str:
    return f"triage.action_{action.value}"


def main_buttons(report_id: int, state: ReportState, locale: str) -> tuple[tuple[Button, ...], ...]:
    """The card's keyboard for its current state: one row of at most three moves."""
    return (
        tuple(
            Button(t(locale, f"triage.button_{action.value}"), encode(report_id, action, state))
            for action in BUTTONS[state]
        ),
    )


def reject_menu(report_id: int, state: ReportState, locale: str) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = [
        (Button(t(locale, reason_key(reason)), encode(report_id, Action.REJECT, state, reason.value)),)
        for reason in RejectReason
    ]
    rows.append(
        (
            Button(t(locale, "triage.button_typed_reason"), encode(report_id, Action.REJECT, state, TYPED_REASON)),
            Button(t(locale, "triage.button_back"), encode(report_id, None, state)),
        )
    )
    return tuple(rows)


def forward_menu(report_id: int, state: ReportState, locale: str) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = [
        (Button(t(locale, target_key(target)), encode(report_id, Action.FORWARD, state, target.value)),)
        for target in ForwardTarget
    ]
    rows.append((Button(t(locale, "triage.button_back"), encode(report_id, None, state)),))
    return tuple(rows)
