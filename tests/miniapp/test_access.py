"""Sessions and the one visibility rule, without transport."""

from __future__ import annotations

import pytest

from bot.web.miniapp.session import Sessions
from handlers.miniapp.visibility import Access, Audience, access_for, in_scope
from storage.models import Report
from storage.triage import GroupScope
from tests.telegram.harness import TOKEN

PROVINCE, SURAKARTA, KEDU, OFFICE = -1001, -1002, -1003, -1009


def test_a_session_reads_back_until_it_expires() -> None:
    sessions = Sessions(TOKEN, ttl=600)
    token, session = sessions.issue(9101, "Alice", "en", now=1000.0)
    assert sessions.read(token, 1599.0) == session
    assert sessions.read(token, 1600.0) is None


@pytest.mark.parametrize("mangle", [lambda s: s + "x", lambda s: "A" + s[1:], lambda s: s.replace(".", ""), str.upper])
def test_a_forged_or_damaged_session_is_none(mangle: object) -> None:
    sessions = Sessions(TOKEN)
    token, _ = sessions.issue(9101, "Alice", "id", now=1000.0)
    assert callable(mangle)
    assert sessions.read(mangle(token), 1001.0) is None


def test_another_bots_sessions_are_not_ours() -> None:
    token, _ = Sessions("987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9").issue(9101, "Alice", "id", now=1000.0)
    assert Sessions(TOKEN).read(token, 1001.0) is None


SOLO = GroupScope(chat_id=SURAKARTA, region_ids=("kab-klaten", "kota-surakarta"))
MAGELANG = GroupScope(chat_id=KEDU, region_ids=("kab-magelang",))
AUDIENCE = Audience(PROVINCE, OFFICE, region_groups={SURAKARTA: SOLO, KEDU: MAGELANG})


async def access(chats: set[int], audience: Audience = AUDIENCE, user_id: int = 1) -> Access | None:
    asked: list[int] = []

    async def is_member(chat_id: int) -> bool:
        asked.append(chat_id)
        return chat_id in chats

    return await access_for(user_id, audience, is_member)


async def test_the_provincial_group_sees_everything() -> None:
    assert await access({PROVINCE, OFFICE}) == Access(triage=True, dashboard=True, scopes=None)


async def test_regional_groups_see_their_regions_together() -> None:
    found = await access({SURAKARTA, KEDU})
    assert found is not None and found.triage and found.scopes == (SOLO, MAGELANG)
    assert found.regions == {"kab-klaten", "kota-surakarta", "kab-magelang"}


def report(region: str, group: int | None) -> Report:
    from datetime import UTC, date, datetime

    now = datetime(2026, 12, 1, tzinfo=UTC)
    return Report.model_validate(
        {
            "id": 1, "code": "LN-AAAAAA", "reporter_id": 1, "channel": "telegram", "state": "baru",
            "category": "foto", "subject_name": None, "subject_agency": None, "subject_status": "unknown",
            "region_id": region, "place": "-", "latitude": None, "longitude": None,
            "incident_date": date(2026, 11, 30), "description": "-", "contact_shared": False, "locale": "id",
            "created_at": now, "updated_at": now, "card_chat_id": None, "card_message_id": None,
            "group_chat_id": group,
        }
    )  # fmt: skip


def test_a_groups_share_is_where_it_was_sent_or_else_its_regions() -> None:
    assert in_scope(SOLO, report("kab-klaten", None))
    assert in_scope(SOLO, report("kab-brebes", SURAKARTA))  # moved to Solo's group
    assert not in_scope(SOLO, report("kab-klaten", PROVINCE))  # moved away to the provincial group
    provincial_own = GroupScope(chat_id=PROVINCE, region_ids=("kab-klaten",), except_regions=True)
    assert in_scope(provincial_own, report("kab-brebes", None)) and not in_scope(
        provincial_own, report("kab-klaten", None)
    )
    solo = Access(triage=True, dashboard=True, scopes=(SOLO,))
    assert solo.sees(report("kota-surakarta", None)) and not solo.sees(report("kab-magelang", None))
    assert not Access(triage=False, dashboard=True, scopes=()).sees(report("kab-klaten", None))


async def test_the_office_sees_the_dashboard_only() -> None:
    assert await access({OFFICE}) == Access(triage=False, dashboard=True, scopes=())


async def test_a_stranger_sees_nothing_and_the_allow_list_holds() -> None:
    assert await access(set()) is None
    listed = Audience(PROVINCE, OFFICE, allow_list=frozenset({7}))
    assert await access({PROVINCE}, listed, user_id=8) is None
    assert await access({PROVINCE, OFFICE}, listed, user_id=8) == Access(False, True, ())
    assert (await access({PROVINCE}, listed, user_id=7)) == Access(True, True, None)


async def test_a_regional_groups_dashboard_counts_its_share_unless_also_in_the_office() -> None:
    regional = await access({SURAKARTA, KEDU})
    assert regional is not None and regional.figure_scopes == (SOLO, MAGELANG)
    both = await access({SURAKARTA, OFFICE})
    assert both is not None and both.scopes == (SOLO,) and both.figure_scopes is None
    provincial = await access({PROVINCE})
    assert provincial is not None and provincial.figure_scopes is None
