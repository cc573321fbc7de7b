"""The callback-data registry: pack/unpack, the 64-byte guard, and untrusted digits."""

from __future__ import annotations

import pytest

from handlers.common.callbacks import (
    ANSWER,
    GO_START,
    MAX_BYTES,
    REPORT_STEPS,
    TRIAGE,
    TRIAGE_PAGE,
    CallbackDataError,
    number,
)
from handlers.common.errors import LaporNetralError
from handlers.triage.machine import Action, decode, encode
from storage.models import ReportState


def test_pack_and_unpack_round_trip() -> None:
    assert ANSWER.pack(42) == "ans:42" and ANSWER.unpack("ans:42") == ["42"]
    assert TRIAGE_PAGE.pack("s", 7, 2) == "tr:pg:s:7:2" and TRIAGE_PAGE.unpack("tr:pg:s:7:2") == ["s", "7", "2"]
    assert GO_START == "go:start"
    assert ANSWER.unpack("ansdone:42") is None  # another prefix's data
    assert TRIAGE.owns("tr:pg:q:0") and TRIAGE_PAGE.owns("tr:pg:q:0") and not TRIAGE_PAGE.owns("tr:1:claim:b")


def test_prefixes_are_unique() -> None:
    names = [p.name for p in (TRIAGE, TRIAGE_PAGE, ANSWER, *REPORT_STEPS)]
    assert len(names) == len(set(names))


def test_packing_past_64_bytes_is_a_bug_found_at_once() -> None:
    with pytest.raises(CallbackDataError):
        ANSWER.pack("x" * MAX_BYTES)
    assert issubclass(CallbackDataError, LaporNetralError)
    assert ANSWER.unpack("ans:" + "1" * MAX_BYTES) is None


@pytest.mark.parametrize("text", ["²", "١٢", "1²", "-1", "+1", " 1", "", "1" * 19])
def test_only_ascii_digits_are_numbers(text: str) -> None:
    assert number(text) is None


def test_a_number_below_its_limit() -> None:
    assert number("0") == 0 and number("9999", limit=10_000) == 9999 and number("10000", limit=10_000) is None


@pytest.mark.parametrize("data", ["tr:²:claim:b", "tr:١:claim:b", "tr:1²:claim:b"])
def test_triage_data_with_unicode_digits_is_refused_not_a_crash(data: str) -> None:
    # "²".isdigit() is True and int("²") raises: the handler used to crash on such data.
    assert decode(data) is None


def test_triage_buttons_still_decode() -> None:
    data = encode(12, Action.CLAIM, ReportState.BARU)
    press = decode(data)
    assert press is not None and press.report_id == 12 and press.action is Action.CLAIM
