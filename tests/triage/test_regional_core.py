"""Regional groups without any transport: the routing table, group scopes in storage, moves, the digest,
and the caption arithmetic of the lighter card."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.telegram.triage.delivery import CAPTION_MAX, caption_cut, caption_fits
from handlers.common import owed
from handlers.common.regions import UNKNOWN_REGION_ID
from handlers.common.routing import RegionGroupChat, Routing, RoutingError, RoutingFile
from handlers.triage.regional import MOVE_ACTION, RegionalTriage
from handlers.triage.service import MoveResult
from storage.triage import ReportFilter
from tests.triage.helpers import ALICE, BOB, NOW, REGIONS, add_report, open_store, outbox, rows, service_for

PROVINCIAL, SOLO, SMG = -1001, -1002, -1003


def routing() -> Routing:
    table = RoutingFile(
        groups=(
            RegionGroupChat(chat_id=SOLO, name="Bawaslu Surakarta", covers=("surakarta",)),
            RegionGroupChat(chat_id=SMG, name="Kota Semarang", covers=("kota-semarang", "kab-semarang")),
        )
    )
    return Routing.build(table, REGIONS, PROVINCIAL)


def test_a_karesidenan_covers_all_its_regions_and_the_rest_go_to_the_province() -> None:
    table = routing()
    surakarta = REGIONS.group("surakarta")
    assert surakarta is not None
    assert {table.group_for(r.id) for r in surakarta.regions} == {SOLO}
    assert table.group_for("kab-semarang") == SMG and table.group_for("kab-banyumas") == PROVINCIAL
    assert table.group_for(UNKNOWN_REGION_ID) == PROVINCIAL
    assert table.chats == (PROVINCIAL, SOLO, SMG) and table.scope(PROVINCIAL) is None
    scope = table.scope(SOLO)
    assert scope is not None and set(scope.region_ids) == {r.id for r in surakarta.regions}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([{"chat_id": SOLO, "name": "A", "covers": ["kab-atlantis"]}], "neither a karesidenan"),
        ([{"chat_id": SOLO, "name": "A", "covers": ["surakarta", "kab-klaten"]}], "covered twice"),
        ([{"chat_id": PROVINCIAL, "name": "A", "covers": ["surakarta"]}], "provincial group"),
        ([{"chat_id": 5, "name": "A", "covers": ["surakarta"]}], "less than 0"),
        ([{"chat_id": SOLO, "name": "A", "covers": []}], "at least 1"),
        ([{"chat_id": SOLO, "name": "A", "covers": ["surakarta"], "extra": 1}], "Extra inputs"),
    ],
)
def test_a_bad_routing_file_is_one_clear_error(tmp_path: Path, groups: list[object], expected: str) -> None:
    import json

    path = tmp_path / "groups.json"
    path.write_text(json.dumps({"groups": groups}), encoding="utf-8")
    with pytest.raises(RoutingError, match=expected):
        Routing.load(path, REGIONS, PROVINCIAL)


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="cannot be read"):
        Routing.load(tmp_path / "nope.json", REGIONS, PROVINCIAL)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(RoutingError):
        Routing.load(broken, REGIONS, PROVINCIAL)


async def test_scopes_follow_the_reports_group_once_decided(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        table = routing()
        klaten = await add_report(store, address="1", region="kab-klaten")
        moved = await add_report(store, address="2", region="kab-klaten")
        unknown = await add_report(store, address="3", region=UNKNOWN_REGION_ID)
        banyumas = await add_report(store, address="4", region="kab-banyumas")
        # `moved` was forwarded to Semarang's group: it is theirs now, not Surakarta's by its region.
        assert await store.reports.assign_group(moved.id, SMG) == SMG
        assert await store.reports.assign_group(moved.id, SOLO) == SMG  # decided once
        triage = store.triage

        async def codes(chat: int) -> set[str]:
            found, _ = await triage.search(ReportFilter(scope=table.own_scope(chat)), limit=100, offset=0)
            return {r.code for r in found}

        assert await codes(SOLO) == {klaten.code}
        assert await codes(SMG) == {moved.code}
        assert await codes(PROVINCIAL) == {unknown.code, banyumas.code}
        everything, total = await triage.search(ReportFilter(), limit=100, offset=0)
        assert total == 4 and len(everything) == 4
        figures = await triage.group_figures(table.own_scope(PROVINCIAL), NOW - timedelta(hours=1))
        assert (figures.received, figures.backlog, figures.oldest_waiting) == (2, 2, NOW)


async def test_two_concurrent_moves_make_one(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        service = service_for(store)
        regional = RegionalTriage(service, routing())
        report = await add_report(store, region="kab-klaten")
        await store.reports.assign_group(report.id, SOLO)
        await store.reports.set_card(report.id, SOLO, 77, "caption")
        outcomes = await asyncio.gather(
            regional.move(report.id, SMG, ALICE, from_chat=SOLO),
            regional.move(report.id, PROVINCIAL, BOB, from_chat=SOLO),
        )
        assert sorted(o.result for o in outcomes) == sorted([MoveResult.DONE, MoveResult.CHANGED])
        assert len(rows(tmp_path / "db.sqlite3", "SELECT id FROM events WHERE action = ?", (MOVE_ACTION,))) == 1
        assert len(outbox(tmp_path / "db.sqlite3", owed.FORWARD_REPORT)) == 1
        marked = outbox(tmp_path / "db.sqlite3", owed.CARD_MOVED)
        assert len(marked) == 1 and marked[0]["chat_id"] == SOLO and marked[0]["message_id"] == 77
        assert marked[0]["kind"] == "caption"
        now = await store.reports.get(report.id)
        assert now is not None and now.card_chat_id is None  # the new card, once posted, is the live one
        # A move to the group it is in, or to a chat that is no group, is refused and writes nothing.
        here = regional.group_of(now)
        assert (await regional.move(report.id, here, ALICE, from_chat=here)).result is MoveResult.INVALID
        assert (await regional.move(report.id, -999, ALICE, from_chat=here)).result is MoveResult.INVALID


async def test_the_digest_is_owed_once_a_period_and_only_when_something_happened(tmp_path: Path) -> None:
    async with open_store(tmp_path) as store:
        regional = RegionalTriage(service_for(store), routing())
        quiet_now = NOW + timedelta(days=2)
        assert not await regional.enqueue_digest(quiet_now, 60)  # nothing received or moved: no digest
        await add_report(store, address="1", region="kab-klaten", now=quiet_now - timedelta(minutes=30))
        assert await regional.enqueue_digest(quiet_now, 60)
        assert await regional.enqueue_digest(quiet_now + timedelta(minutes=5), 60)  # same period, same key
        digests = outbox(tmp_path / "db.sqlite3", owed.GROUP_POST)
        assert len(digests) == 1 and digests[0]["chat_id"] == PROVINCIAL
        assert "Bawaslu Surakarta</b>: 1 laporan baru, 1 belum diambil" in str(digests[0]["text"])
        single = RegionalTriage(service_for(store), Routing.single(PROVINCIAL))
        assert not await single.enqueue_digest(quiet_now + timedelta(hours=1), 60)  # one group: no digest


async def test_a_digest_of_35_groups_with_long_names_is_split_to_fit_telegrams_4096_characters(
    tmp_path: Path,
) -> None:
    regions = [r for r in REGIONS.regions if r.id != UNKNOWN_REGION_ID]
    assert len(regions) == 35
    groups = tuple(
        RegionGroupChat(
            chat_id=-2000 - n, name=f"Bawaslu {r.name} <Tim> & Sentra Gakkumdu".ljust(64, "x")[:64], covers=(r.id,)
        )
        for n, r in enumerate(regions)
    )
    async with open_store(tmp_path) as store:
        regional = RegionalTriage(service_for(store), Routing.build(RoutingFile(groups=groups), REGIONS, PROVINCIAL))
        now = NOW + timedelta(days=2)
        for n, region in enumerate(regions):
            await add_report(store, address=str(n), region=region.id, now=now - timedelta(minutes=30))
        assert await regional.enqueue_digest(now, 60)
        assert await regional.enqueue_digest(now + timedelta(minutes=5), 60)  # same period: owed once
        texts = [str(d["text"]) for d in outbox(tmp_path / "db.sqlite3", owed.GROUP_POST)]
    assert len(texts) >= 2 and all(len(text) <= 4096 for text in texts)
    for n, text in enumerate(texts, start=1):
        assert text.split("\n", 1)[0].startswith("🗺️ <b>Rekap grup wilayah</b>")
        assert text.split("\n", 1)[0].endswith(f"(bagian {n}/{len(texts)})")
    lines = [line for text in texts for line in text.split("\n")[1:]]
    # Every group once, in order, the provincial group last; nothing lost between the parts.
    assert len(lines) == 36 and all("1 laporan baru" in line for line in lines[:35])
    assert [line.split("</b>")[0] for line in lines[:35]] == [
        "• <b>" + g.name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for g in groups
    ]


def test_find_group_by_name_region_or_karesidenan() -> None:
    class _Service:
        regions = REGIONS
        locale = "id"

    regional = RegionalTriage(_Service(), routing())  # type: ignore[arg-type]
    assert regional.find_group("Kota Semarang") == SMG
    assert regional.find_group("surakarta") == SOLO
    assert regional.find_group("klaten") == SOLO  # a region it covers, typed as people type it
    assert regional.find_group("provinsi") == PROVINCIAL
    assert regional.find_group("banyumas") == PROVINCIAL  # covered by nobody: the provincial group's
    assert regional.find_group("atlantis") is None and regional.find_group("  ") is None


def test_caption_limits_count_code_points_after_the_entities() -> None:
    # Telegram counts a caption's length in code points (a live test took 1,024 astral emoji), not UTF-16 units.
    assert caption_fits("<b>" + "a" * CAPTION_MAX + "</b>")  # tags are entities, not characters
    assert not caption_fits("a" * (CAPTION_MAX + 1))
    assert caption_fits("🙏" * CAPTION_MAX) and not caption_fits("🙏" * CAPTION_MAX + "a")
    assert caption_fits("&lt;" * CAPTION_MAX)  # an escaped "<" is one character once parsed
    cut = caption_cut("<b>x</b>" + "🙏" * 1500)
    assert len(cut) == CAPTION_MAX and cut.endswith("…") and "<b>" not in cut
    assert caption_cut("<i>short</i>") == "short"
