"""The state table: every allowed move and every refused one, the buttons, and the button data codec."""

from __future__ import annotations

import itertools

import pytest

from handlers.triage.machine import (
    BUTTONS,
    STATE_CODES,
    SUPERVISOR_ACTIONS,
    TRANSITIONS,
    Action,
    ForwardTarget,
    Press,
    RejectReason,
    decode,
    encode,
    forward_menu,
    is_allowed,
    main_buttons,
    next_state,
    reject_menu,
)
from storage.models import ReportState as S

A = Action
ALLOWED = {
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
EVERY_PAIR = list(itertools.product(S, A))


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED), ids=lambda v: str(v))
def test_allowed_moves(state: S, action: A) -> None:
    assert is_allowed(state, action)
    assert next_state(state, action) == ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), [p for p in EVERY_PAIR if p not in ALLOWED], ids=lambda v: str(v))
def test_refused_moves(state: S, action: A) -> None:
    assert not is_allowed(state, action)
    assert next_state(state, action) is None


def test_the_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == ALLOWED
    assert len(EVERY_PAIR) - len(ALLOWED) == 41  # refused pairs, each tested above


@pytest.mark.parametrize("state", list(S))
def test_buttons_are_exactly_the_supervisor_moves_no_dead_buttons(state: S) -> None:
    moves = {a for (s, a) in TRANSITIONS if s == state and a in SUPERVISOR_ACTIONS}
    assert set(BUTTONS[state]) == moves
    datas = [b.data for row in main_buttons(7, state, "id") for b in row]
    assert [decode(d) for d in datas] == [Press(7, a, state) for a in BUTTONS[state]]


def test_every_state_can_be_left_or_reopened() -> None:
    for state in S:
        assert BUTTONS[state], state
    assert BUTTONS[S.SELESAI] == BUTTONS[S.DITOLAK] == (A.REOPEN,)


def test_card_labels_in_indonesian() -> None:
    labels = [b.label for row in main_buttons(1, S.BARU, "id") for b in row]
    assert labels == ["🙋 Ambil", "🚫 Tolak"]
    labels = [b.label for row in main_buttons(1, S.DIPROSES, "id") for b in row]
    assert labels == ["✅ Verifikasi", "❓ Minta info", "🚫 Tolak"]
    assert [b.label for row in main_buttons(1, S.DITERUSKAN, "id") for b in row] == ["🏁 Selesai"]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", sorted(SUPERVISOR_ACTIONS))
def test_codec_round_trip_within_64_bytes(state: S, action: A) -> None:
    data = encode(987654321012, action, state)
    assert len(data.encode()) <= 64 and data.startswith("tr:")
    assert decode(data) == Press(987654321012, action, state)


def test_menus_carry_choices_that_decode() -> None:
    reasons = [decode(b.data) for row in reject_menu(5, S.DIPROSES, "id") for b in row]
    assert [p.choice for p in reasons if p and p.action] == [r.value for r in RejectReason] + ["typed"]
    assert reasons[-1] == Press(5, None, S.DIPROSES)  # the back button
    targets = [decode(b.data) for row in forward_menu(5, S.TERVERIFIKASI, "id") for b in row]
    assert [p.choice for p in targets if p and p.action] == [t.value for t in ForwardTarget]
    assert all(p is not None and p.expected is S.TERVERIFIKASI for p in targets)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "tr:",
        "tr:1",
        "tr:1:claim",
        "tr:abc:claim:b",
        "tr:-1:claim:b",
        "tr:0:claim:b",
        "tr:1:claim:z",
        "tr:1:fly:b",
        "tr:1:info_received:i",
        "tr:1:reject:p:because",
        "tr:1:forward:v:mars",
        "tr:1:claim:b:x",
        "tr:1:back:b:x",
        "tr:1:claim:b:x:y",
        "xx:1:claim:b",
        "tr:1:claim:b" + "x" * 60,
        "tr:1234567890123456789:claim:b",
        "tr:1:reject:p:",
        "tr:1:CLAIM:b",
    ],
)
def test_forged_data_is_refused(data: str) -> None:
    assert decode(data) is None


def test_state_codes_are_unique() -> None:
    assert len(set(STATE_CODES.values())) == len(S)
