"""initData as Telegram documents it: valid, tampered, stale, another bot's, and malformed."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.miniapp.initdata import MAX_AGE_SECONDS, MAX_FIELDS, InitDataError, verify
from tests.miniapp.helpers import signed_init_data
from tests.telegram.harness import TOKEN

OTHER_BOT = "987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"


def reason(init_data: str, now: float | None = None, token: str = TOKEN) -> str:
    with pytest.raises(InitDataError) as caught:
        verify(init_data, token, time.time() if now is None else now)
    return caught.value.reason


def test_a_valid_init_data_signs_its_user_in() -> None:
    user = verify(signed_init_data(9101, "Alice", language="en"), TOKEN, time.time())
    assert (user.id, user.name, user.language_code) == (9101, "Alice", "en")


def test_fields_telegram_adds_later_are_part_of_the_signature() -> None:
    data = signed_init_data(9101, "Alice", extra={"chat_type": "sender", "signature": "abc", "start_param": "q"})
    assert verify(data, TOKEN, time.time()).id == 9101


def test_a_tampered_user_is_refused() -> None:
    fields = dict(parse_qsl(signed_init_data(9101, "Alice")))
    fields["user"] = fields["user"].replace("9101", "9666")
    assert reason(urlencode(fields)) == "signature"


def test_a_dropped_field_is_refused() -> None:
    fields = dict(parse_qsl(signed_init_data(9101, "Alice")))
    del fields["query_id"]
    assert reason(urlencode(fields)) == "signature"


def test_another_bots_init_data_is_refused() -> None:
    assert reason(signed_init_data(9101, "Alice", token=OTHER_BOT)) == "signature"


def test_stale_and_future_init_data_are_refused() -> None:
    now = time.time()
    old = signed_init_data(9101, "Alice", auth_date=int(now - MAX_AGE_SECONDS - 5))
    assert reason(old, now) == "stale"
    future = signed_init_data(9101, "Alice", auth_date=int(now + 3600))
    assert reason(future, now) == "stale"
    fresh = signed_init_data(9101, "Alice", auth_date=int(now - MAX_AGE_SECONDS + 30))
    assert verify(fresh, TOKEN, now).id == 9101


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "size"),
        ("x" * 9000, "size"),
        ("a=1&a=2&hash=00", "repeated"),
        ("%zz=1", "signature"),
        ("no-equals-sign", "syntax"),
        ("auth_date=1&hash=", "signature"),
    ],
)
def test_malformed_init_data_is_refused_politely(raw: str, why: str) -> None:
    assert reason(raw) == why


def test_a_signed_init_data_without_a_user_is_refused() -> None:
    import hashlib
    import hmac

    fields = {"auth_date": str(int(time.time())), "query_id": "Q"}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert reason(urlencode(fields)) == "user"


def _with_hash(value: str) -> str:
    fields = dict(parse_qsl(signed_init_data(9101, "Alice")))
    fields["hash"] = value
    return urlencode(fields)


@pytest.mark.parametrize(
    "bad_hash",
    [
        "é" * 64,  # compare_digest raises TypeError on a non-ASCII str: it must never get one
        "0" * 63 + "é",
        "ff" * 31 + "\u0661\u0662",  # Arabic-Indic digits: "digits" to str.isdigit, not hex
        "0" * 63,
        "0" * 65,
        "0" * 64 + "\n",
    ],
)
def test_a_hash_that_is_not_64_hex_characters_is_a_bad_signature(bad_hash: str) -> None:
    assert reason(_with_hash(bad_hash)) == "signature"


def test_the_right_hash_in_capitals_is_not_what_telegram_sends() -> None:
    good = dict(parse_qsl(signed_init_data(9101, "Alice")))["hash"]
    assert verify(_with_hash(good), TOKEN, time.time()).id == 9101
    assert reason(_with_hash(good.upper())) == "signature"


def test_too_many_fields_are_refused_before_anything_is_signed() -> None:
    padding = {f"x{n}": "1" for n in range(MAX_FIELDS)}
    assert reason(signed_init_data(9101, "Alice", extra=padding)) == "size"
    fewer = {f"x{n}": "1" for n in range(MAX_FIELDS - 4)}  # with query_id, user, auth_date, hash: the bound
    assert verify(signed_init_data(9101, "Alice", extra=fewer), TOKEN, time.time()).id == 9101
