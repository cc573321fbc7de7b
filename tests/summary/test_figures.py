"""Every figure of the summary, and every number in its text, against counts made from the seed list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from handlers.common.regions import RegionCatalog
from handlers.summary.figures import RegionFigure, SummaryFigures, summary_text
from handlers.summary.service import SummaryService
from locales import t
from storage.db import Database
from storage.models import Category, ReportState
from storage.triage import GroupScope
from tests.summary.seed import AS_OF, DAY, STATES, TZ, Seed, expected, window

DATES = {  # written out by hand: the test does not ask Babel what it expects Babel to say
    DAY: "Rabu, 10 Januari 2024",
    DAY - timedelta(days=1): "Selasa, 9 Januari 2024",
    DAY - timedelta(days=7): "Rabu, 3 Januari 2024",
}
SHORT_DATES = {DAY + timedelta(days=n): f"{10 + n} Jan 2024" for n in (1, 2, 3)}


def duration_id(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "kurang dari 1 menit"
    if minutes < 60:
        return f"{minutes} menit"
    if minutes < 24 * 60:
        return f"{minutes // 60} jam {minutes % 60} menit"
    hours = minutes // 60
    return f"{hours // 24} hari {hours % 24} jam"


def change_id(current: int, base: int) -> str:
    delta = current - base
    if delta == 0:
        return "sama"
    word = "naik" if delta > 0 else "turun"
    if base == 0:
        return f"{word} {abs(delta)}"
    return f"{word} {abs(delta)} ({round(abs(delta) * 100 / base)}%)"


async def test_figures_match_independent_counts(service: SummaryService, seeds: list[Seed]) -> None:
    want = expected(seeds)
    got = await service.figures(DAY, AS_OF)
    assert want.new > 50 and want.previous and want.week_before  # the seed exercises every branch
    assert (got.new_reports, got.previous_day, got.week_before) == (want.new, want.previous, want.week_before)
    assert {str(c): n for c, n in got.by_category.items()} == want.by_category
    assert {r.region_id: {str(s): n for s, n in r.by_state.items()} for r in got.by_region} == want.by_region
    assert [r.total for r in got.by_region] == sorted((sum(v.values()) for v in want.by_region.values()), reverse=True)
    assert {str(s): n for s, n in got.states_now.items()} == want.states_now
    assert (got.backlog, got.backlog_oldest) == (want.backlog, want.backlog_oldest)
    assert (got.first_actions, got.first_action_median) == (want.first_actions, want.first_action_median)
    assert got.deadline_count == len(want.deadline) >= 3
    assert [d.code for d in got.deadlines] == [s.code for s in want.deadline[:10]]
    assert {d.code: d.days_left for d in got.deadlines} == {
        s.code: want.deadline_days_left[s.code] for s in want.deadline[:10]
    }


async def test_every_number_in_the_text(service: SummaryService, seeds: list[Seed], regions: RegionCatalog) -> None:
    want = expected(seeds)
    rendered = await service.compose(DAY)
    text = rendered.text
    assert len(text) <= 4096
    assert "Ringkasan harian Lapor Netral</b>" in text and "(terlambat)" not in text
    assert f"{DATES[DAY]}, pukul 00.00–24.00 WIB" in text
    assert f"Laporan baru:</b> {want.new}\n" in text
    assert (
        f"• dibanding {DATES[DAY - timedelta(days=1)]}: {want.previous} laporan, {change_id(want.new, want.previous)}\n"
    ) in text
    assert (
        f"• dibanding {DATES[DAY - timedelta(days=7)]} (sepekan sebelumnya): {want.week_before} laporan, "
        f"{change_id(want.new, want.week_before)}\n"
    ) in text
    for category, count in want.by_category.items():
        line = f"• {t('id', f'category.{category}')}: {count}\n"
        assert (line in text) == (count > 0), line
    order = {r.id: i for i, r in enumerate(regions.regions)}
    ranking = sorted(want.by_region.items(), key=lambda kv: (-sum(kv[1].values()), order[kv[0]]))
    for rank, (region_id, states) in enumerate(ranking[:5], 1):
        assert f"\n{rank}. {regions.region(region_id).name}: {sum(states.values())}\n" in text  # type: ignore[union-attr]
    assert f"… dan {len(ranking) - 5} kabupaten/kota lainnya" in text
    assert "(pada akhir hari itu, pukul 24.00 WIB)" in text and "07.00" not in text
    for state in STATES:
        assert f"• {t('id', f'state.{state}')}: {want.states_now[state]}\n" in text
    assert want.backlog_oldest is not None and want.first_action_median is not None
    age = duration_id((window(DAY)[1] - want.backlog_oldest).total_seconds())
    assert f"Belum diambil pengawas:</b> {want.backlog} laporan; yang terlama sudah menunggu {age}\n" in text
    assert (
        f"Waktu tanggap pengawas (median):</b> {duration_id(want.first_action_median)}, "
        f"dari {want.first_actions} laporan yang pertama kali ditangani hari itu"
    ) in text
    assert f"habis hari ini s.d. 2 hari lagi:</b> {len(want.deadline)} laporan" in text
    for seed in want.deadline[:10]:
        left = want.deadline_days_left[seed.code]
        region = regions.region(seed.region_id)
        assert region is not None
        deadline = SHORT_DATES[seed.incident_date + timedelta(days=7)]
        words = "hari ini" if left == 0 else f"{left} hari lagi"
        assert f"• <code>{seed.code}</code> · {region.name} · batas {deadline} ({words})" in text
    listed = re.findall(r"<code>(LN-T\d+)</code>", text)
    assert len(listed) == min(10, len(want.deadline))
    if len(want.deadline) > 10:
        assert f"… dan {len(want.deadline) - 10} laporan lainnya" in text


async def test_a_day_without_reports_gets_a_short_message(service: SummaryService, seeds: list[Seed]) -> None:
    quiet = DAY - timedelta(days=40)
    rendered = await service.compose(quiet)
    assert "Tidak ada laporan baru pada hari itu." in rendered.text
    assert "Menurut kategori" not in rendered.text and "Status semua laporan" not in rendered.text
    assert "dibanding" in rendered.text and "Belum diambil pengawas" in rendered.text
    assert rendered.chart is None and rendered.sheet is None
    assert len(rendered.text.splitlines()) <= 10


def _figures(**overrides: object) -> SummaryFigures:
    values: dict[str, object] = dict(
        day=date(2023, 11, 15),
        as_of=datetime(2023, 11, 16, 0, 0, tzinfo=UTC),
        new_reports=1234,
        previous_day=1000,
        week_before=0,
        by_category={c: (1234 if c is Category.MEDSOS else 0) for c in Category},
        by_region=(
            RegionFigure(
                region_id="kab-x&y",
                total=1234,
                by_state={s: (1234 if s is ReportState.BARU else 0) for s in ReportState},
            ),
        ),
        states_now={s: 2345 for s in ReportState},
        backlog=0,
        backlog_oldest=None,
        first_actions=0,
        first_action_median=None,
        deadline_count=0,
        deadlines=(),
    )
    values.update(overrides)
    return SummaryFigures.model_validate(values)


def test_numbers_and_dates_are_written_the_indonesian_way(regions: RegionCatalog) -> None:
    text = summary_text(_figures(), regions, "id", TZ)
    assert "Laporan baru:</b> 1.234" in text
    assert "naik 234 (23%)" in text and "sepekan sebelumnya): 0 laporan, naik 1.234" in text
    assert "Rabu, 15 November 2023" in text and "• Baru: 2.345" in text
    assert "kab-x&amp;y: 1.234" in text  # a region no longer in the catalog shows by id, escaped
    assert "Belum diambil pengawas:</b> tidak ada" in text and "tidak ada pada hari itu" in text
    english = summary_text(_figures(), regions, "en", TZ)
    assert "New reports:</b> 1,234" in english and "Wednesday, 15 November 2023" in english


def test_a_late_summary_says_so(regions: RegionCatalog) -> None:
    text = summary_text(_figures(), regions, "id", TZ, late=True)
    assert text.startswith("📊 <b>Ringkasan harian Lapor Netral (terlambat)</b>")
    assert "terlambat karena layanan sempat berhenti" in text


async def test_a_groups_share_is_counted_by_the_same_queries(
    service: SummaryService, seeds: list[Seed], db: Database
) -> None:
    """The Mini App's dashboard for a regional group: the summary's figures over its share only, which are
    the figures of a seed list holding only that share's reports (by region, or sent to its chat)."""
    share = {s.region_id for s in seeds[::2]}
    chat = -1007770000002
    # One report of another region was moved to this group's chat: in its share, whatever its region.
    moved = next(s for s in seeds if s.region_id not in share and s.created_at >= window(DAY)[0])
    await db.execute("UPDATE reports SET group_chat_id = ? WHERE id = ?", (chat, moved.id))
    # One of the share's regions whose report went to another group: out of it.
    away = next(s for s in seeds if s.region_id in share and s is not moved and s.created_at >= window(DAY)[0])
    await db.execute("UPDATE reports SET group_chat_id = ? WHERE id = ?", (-1009999, away.id))
    mine = [s for s in seeds if (s.region_id in share and s is not away) or s is moved]
    assert 0 < len(mine) < len(seeds)
    want = expected(mine)
    got = await service.figures(DAY, AS_OF, scopes=(GroupScope(chat_id=chat, region_ids=tuple(sorted(share))),))
    assert (got.new_reports, got.previous_day, got.week_before) == (want.new, want.previous, want.week_before)
    assert {str(c): n for c, n in got.by_category.items()} == want.by_category
    assert {r.region_id: {str(s): n for s, n in r.by_state.items()} for r in got.by_region} == want.by_region
    assert {str(s): n for s, n in got.states_now.items()} == want.states_now
    assert (got.backlog, got.backlog_oldest) == (want.backlog, want.backlog_oldest)
    assert (got.first_actions, got.first_action_median) == (want.first_actions, want.first_action_median)
    assert got.deadline_count == len(want.deadline)
    assert [d.code for d in got.deadlines] == [s.code for s in want.deadline[:10]]
    # No share at all counts nothing, and no scope is the province as before.
    nothing = await service.figures(DAY, AS_OF, scopes=())
    assert nothing.new_reports == 0 and sum(nothing.states_now.values()) == 0 and not nothing.deadlines
    assert (await service.figures(DAY, AS_OF)).new_reports == expected(seeds).new
